"""The aggregates of the rule program: a count or a sum bound to a variable, grouped by
the variables bound before it, 0 for an empty group; and numbers computed from bound
ones; both engines give the same."""

from __future__ import annotations

import pytest

from luk_rules.compile import Aggregate, Atom, Cite, Compute, Program, Rule, Test, Var
from luk_rules.engine import ENGINES, make_runner

_ = Var("_")
CITE = Cite("r", "basis", "test")


def program() -> Program:
    c, s, n, g = Var("C"), Var("S"), Var("N"), Var("G")
    return Program.build([
        Rule("sum", Atom("total", (s,)),
             (Atom("start", ()), Aggregate("sum", Atom("credits", (_, c)), s, c)), CITE),
        Rule("count", Atom("per", (g, n)),
             (Atom("group", (g,)), Aggregate("count", Atom("item", (_, g)), n)), CITE),
    ], [], ["start", "credits", "group", "item"])


@pytest.mark.parametrize("engine", ENGINES)
def test_sum_and_count_with_groups_and_empty_groups(engine: str) -> None:
    """Sum of credits over distinct facts; a count per group, 0 where the group is empty."""
    if engine == "durable":
        pytest.importorskip("durable")
    runner = make_runner(program(), engine)
    derived = runner.run({"start": [()], "credits": [("a", 5), ("b", 10), ("c", 10)],
                          "group": [("x",), ("y",)], "item": [(1, "x"), (2, "x")]}, trace=True)
    assert sorted(derived.of("total")) == [(25,)]
    assert sorted(derived.of("per")) == [("x", 2), ("y", 0)]
    rule, used = derived.proofs[("total", (25,))]
    assert rule == 0 and {f for f in used if f[0] == "credits"} == {
        ("credits", ("a", 5)), ("credits", ("b", 10)), ("credits", ("c", 10))}


@pytest.mark.parametrize("engine", ENGINES)
def test_compute_binds_a_sum_or_difference_of_bound_numbers(engine: str) -> None:
    """`S = N - E` and `T = N + E` bind whole numbers from bound ones, per binding."""
    if engine == "durable":
        pytest.importorskip("durable")
    n, e, s, t = Var("N"), Var("E"), Var("S"), Var("T")
    program = Program.build([
        Rule("short", Atom("short", (n, e, s, t)),
             (Atom("need", (n,)), Atom("have", (e,)), Test(e, "<", n),
              Compute(s, n, "-", e), Compute(t, n, "+", e)), CITE),
    ], [], ["need", "have"])
    derived = make_runner(program, engine).run({"need": [(70,)], "have": [(60,), (80,)]})
    assert sorted(derived.of("short")) == [(70, 60, 10, 130)]
