"""The native engine's untraced program is specialised to its ruleset (what follows from
the ruleset alone derived once, rules that can never fire left out, look-ups instead of
loops): it must derive exactly the facts the traced program derives, which runs every
rule as written."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import luk_rules
from luk_rules.compile import (
    Aggregate,
    Atom,
    Cite,
    CountAtLeast,
    FactSet,
    Neg,
    Program,
    Rule,
    Test,
    Var,
    exam,
)
from luk_rules.engine import make_runner
from luk_rules.submission import Record, structure

try:  # tests/ is a package when run with `python -m pytest`, a folder on sys.path otherwise
    from tests import submission_strategies as gen
except ImportError:  # pragma: no cover - depends on how pytest was started
    import submission_strategies as gen  # type: ignore[import-not-found, no-redef]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "rulesets" / "examples").glob("*.luk")
                  if "\nprogramme " in p.read_text(encoding="utf-8"))
_SLOW = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
_ = Var("_")
CITE = Cite("r", "basis", "test")


def as_sets(derived: Any) -> dict[str, set[tuple[Any, ...]]]:
    return {pred: set(rows) for pred, rows in derived.facts.items()}


def assert_plain_is_traced(rs: luk_rules.Ruleset, facts: FactSet) -> None:
    traced = rs._runner.run(facts, trace=True)
    expected = as_sets(traced)
    # Each runner on the facts it is for: a decision's on a submission's (no `audit`),
    # one for what the fast reader reads on those without results too.
    runners = [rs._runner]
    if not facts.get("audit"):
        runners += [rs._builder.decider, rs._builder.verdicter]
        if not facts.get("result") and not facts.get("extension"):
            runners += [rs._read_builder.decider, rs._read_builder.verdicter]
    for runner in runners:
        assert runner is not None
        plain = runner.run(facts)
        assert as_sets(plain) == expected
        for pred in expected:
            assert set(plain.of(pred)) == expected[pred]
        assert plain.of("no such predicate") == frozenset()
        # Read one predicate at a time, in a fresh derivation (a focused runner's second
        # part runs when a predicate of it is read).
        for pred in ("law", "combination", "missing", *expected):
            assert set(runner.run(facts).of(pred)) == expected.get(pred, set())
        both = runner.run(facts)
        assert [set(rows) for rows in both.of_each(sorted(expected))] == [
            expected[pred] for pred in sorted(expected)]


def assert_same_on(rs: luk_rules.Ruleset, submissions: list[dict[str, Any]]) -> None:
    for sub in submissions:
        parsed = structure(sub, fields=rs.fields)
        chosen = rs.for_date(parsed.date)
        assert_plain_is_traced(chosen, chosen._compiled.facts(parsed))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_plain_and_traced_derive_the_same_facts_on_examples(path: Path) -> None:
    """Every shipped example, 60 generated submissions and 20 records each."""
    rs = luk_rules.load(path)
    assert_same_on(rs, gen.random_submissions(rs.ir, 60, seed=7))
    if rs.ir.exam is not None:
        for record in gen.random_records(rs.ir, 20, seed=7):
            parsed = structure(record, Record)
            chosen = rs.for_date(parsed.date)
            assert_plain_is_traced(chosen, exam.record_facts(chosen.ir, parsed))


@settings(max_examples=30, deadline=None, suppress_health_check=_SLOW)
@given(path=gen.rulesets(), data=st.data())
def test_plain_and_traced_derive_the_same_facts_on_generated_rulesets(
        path: Path, data: st.DataObject) -> None:
    """Random rulesets (scoped rules, counts and sums included) and submissions."""
    rs = gen.load_generated(path)
    subs = [data.draw(gen.submissions(rs.ir), label="submission") for _ in range(3)]
    assert_same_on(rs, subs)


def _same(program: Program, facts: FactSet) -> dict[str, set[tuple[Any, ...]]]:
    runner = make_runner(program)
    plain, traced = as_sets(runner.run(facts)), as_sets(runner.run(facts, trace=True))
    assert plain == traced
    return plain


def test_what_follows_from_the_static_facts_alone_is_derived_once() -> None:
    """A rule reading only static facts (or nothing) gives the same facts in every run; a
    rule that needs facts no rule derives never fires; a negation of such facts holds."""
    x, y = Var("X"), Var("Y")
    program = Program.build([
        Rule("always", Atom("always", ()), (), CITE),
        Rule("pairs", Atom("pair", (x, y)), (Atom("edge", (x, y)), Atom("always", ())), CITE),
        Rule("never", Atom("never", (x,)), (Atom("nowhere", (x,)),), CITE),
        Rule("unless", Atom("seen", (x,)),
             (Atom("in", (x,)), Neg(Atom("never", (x,))), Atom("pair", (x, _))), CITE),
        Rule("few", Atom("few", (x,)),
             (Atom("in", (x,)), CountAtLeast(Atom("never", (x, _)), 1, at_least=False)), CITE),
        Rule("blocked", Atom("blocked", (x,)), (Atom("in", (x,)), Neg(Atom("always", ()))),
             CITE),
    ], [("edge", ("a", "b")), ("edge", ("c", "d"))], ["in"])
    facts = _same(program, {"in": [("a",), ("b",)]})
    assert facts["pair"] == {("a", "b"), ("c", "d")}
    assert facts["seen"] == {("a",)}
    assert facts["few"] == {("a",), ("b",)}
    assert "never" not in facts and "blocked" not in facts
    assert _same(program, {})["pair"] == {("a", "b"), ("c", "d")}


def test_a_static_predicate_that_rules_derive_too_keeps_its_static_facts() -> None:
    """Static facts of a predicate some rule also derives are in every run, and the
    derived ones are added per run (never to the shared static facts)."""
    x = Var("X")
    program = Program.build([
        Rule("more", Atom("known", (x,)), (Atom("in", (x,)),), CITE),
        Rule("echo", Atom("echo", (x,)), (Atom("known", (x,)),), CITE),
    ], [("known", ("s",))], ["in"])
    assert _same(program, {"in": [("a",)]})["echo"] == {("s",), ("a",)}
    assert _same(program, {"in": [("b",)]})["echo"] == {("s",), ("b",)}
    assert _same(program, {})["known"] == {("s",)}


def test_recursion_lookups_and_aggregates_in_the_plain_program() -> None:
    """A recursive stratum runs to its fixpoint; whole-fact and partial look-ups, a
    repeated variable, a test and a sum give what the traced program gives."""
    x, y, z, n, s = Var("X"), Var("Y"), Var("Z"), Var("N"), Var("S")
    program = Program.build([
        Rule("base", Atom("path", (x, y)), (Atom("edge", (x, y)),), CITE),
        Rule("step", Atom("path", (x, z)), (Atom("path", (x, y)), Atom("edge", (y, z))), CITE),
        Rule("loop", Atom("loop", (x,)), (Atom("path", (x, x)),), CITE),
        Rule("linked", Atom("linked", (x, y)),
             (Atom("node", (x,)), Atom("node", (y,)), Atom("edge", (x, y))), CITE),
        Rule("source", Atom("source", (x,)), (Atom("edge", (x, _)), Atom("node", (x,))), CITE),
        Rule("heavy", Atom("heavy", (x, s)),
             (Atom("node", (x,)), Aggregate("sum", Atom("weight", (x, _, n)), s, n),
              Test(s, ">", 2)), CITE),
    ], [], ["edge", "node", "weight"])
    facts = _same(program, {"edge": [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")],
                            "node": [("a",), ("b",), ("d",)],
                            "weight": [("a", 1, 2), ("a", 2, 2), ("b", 1, 1)]})
    assert ("a", "d") in facts["path"] and facts["loop"] == {("a",), ("b",), ("c",)}
    assert facts["linked"] == {("a", "b")}
    assert facts["source"] == {("a",), ("b",)}
    assert facts["heavy"] == {("a", 4)}


def test_a_decision_derives_its_findings_when_they_are_read() -> None:
    """Deciding derives what the status needs; the warnings' facts only when read, and
    then the same as a full run; from two threads at once too."""
    rs = luk_rules.load(ROOT / "rulesets" / "examples" / "hbo-ict-deeltijd.luk")
    decider = rs._builder.decider
    assert decider is not rs._runner
    for sub in gen.random_submissions(rs.ir, 30, seed=11):
        facts = rs._compiled.facts(structure(sub))
        full = as_sets(rs._runner.run(facts))
        derived = decider.run(facts)
        assert derived.facts._finish is not None  # type: ignore[attr-defined]
        derived.of("law")
        derived.of("missing")
        assert derived.facts._finish is not None  # type: ignore[attr-defined]
        threads = [threading.Thread(target=derived.of, args=("finding:evidence-too-old",))
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert derived.facts._finish is None  # type: ignore[attr-defined]
        assert as_sets(derived) == full
        explained = rs.decide(sub, explain=True).to_dict()
        del explained["explanation"]
        assert rs.decide(sub).to_dict() == explained


def test_reordering_keeps_what_negations_counts_and_sums_mean() -> None:
    """The plain program reads one-fact predicates first and tests as early as they can
    go, but a negation, count or sum means the same: checked on rules where moving an
    atom or a negation carelessly would change the facts derived."""
    x, y, n, s = Var("X"), Var("Y"), Var("N"), Var("S")
    program = Program.build([
        # "no blocked(Y) for any Y" before the one-fact atom that binds Y
        Rule("none", Atom("none", (x,)),
             (Atom("in", (x,)), Neg(Atom("blocked", (y,))), Atom("one", (y,))), CITE),
        # grouped by X only, not by the Y the one-fact atom binds after it
        Rule("many", Atom("many", (x, n)),
             (Atom("in", (x,)), Aggregate("count", Atom("pair", (x, _)), n),
              Atom("one", (n,))), CITE),
        Rule("few", Atom("few", (x,)),
             (Atom("in", (x,)), CountAtLeast(Atom("pair", (x, y)), 2, at_least=False),
              Atom("one", (y,))), CITE),
        Rule("sum", Atom("sum", (x, s)),
             (Atom("in", (x,)), Aggregate("sum", Atom("pair", (x, y)), s, y),
              Test(s, ">", 1), Atom("one", (_,))), CITE),
        Rule("late", Atom("late", (x,)),
             (Atom("in", (x,)), Atom("pair", (x, y)), Test(y, "<", 3),
              Neg(Atom("blocked", (y,))), Atom("one", (_,))), CITE),
    ], [], ["in", "pair", "blocked", "one"], singletons=["one"])
    assert program.singletons == {"one"}
    for facts in ({"in": [("a",), ("b",)], "pair": [("a", 1), ("a", 2), ("b", 2)],
                   "blocked": [(2,)], "one": [(2,)]},
                  {"in": [("a",)], "pair": [("a", 1)], "blocked": [], "one": [(1,)]},
                  {"in": [("a",)], "pair": [("a", 5)], "blocked": [(7,)], "one": [(7,)]}):
        _same(program, facts)
    derived = _same(program, {"in": [("a",), ("b",)], "pair": [("a", 1), ("a", 2), ("b", 2)],
                              "blocked": [(2,)], "one": [(2,)]})
    assert "none" not in derived
    assert derived["many"] == {("a", 2)}
    assert derived["sum"] == {("a", 3), ("b", 2)}
    assert derived["late"] == {("a",)}


def test_rules_run_on_each_new_fact_derive_what_a_later_loop_would() -> None:
    """A rule matching the facts of a predicate that one earlier rule alone derives runs
    inside that rule, on each new fact, when all else it reads is complete by then; not
    when the predicate has two rules, when it reads the predicate again, or when a
    negation before the atom shares its variables. Constants, repeated variables, chains
    of such rules, a one-fact input and sums give what the traced program gives."""
    x, y, n, s = Var("X"), Var("Y"), Var("N"), Var("S")
    program = Program.build([
        Rule("mid", Atom("mid", (x, y)), (Atom("in", (x,)), Atom("pair", (x, y))), CITE),
        Rule("big", Atom("big", (x,)), (Atom("mid", (x, y)), Test(y, ">", 1)), CITE),
        Rule("same", Atom("same", (x,)), (Atom("mid", (x, x)),), CITE),
        Rule("one", Atom("one-of", (x,)), (Atom("mid", (x, 1)),), CITE),
        Rule("chain", Atom("chain", (x,)), (Atom("big", (x,)), Atom("in", (x,))), CITE),
        Rule("chain2", Atom("chain2", (x, y)), (Atom("chain", (x,)), Atom("day", (y,))), CITE),
        Rule("unblocked", Atom("unblocked", (x,)),
             (Atom("in", (x,)), Neg(Atom("blocked", (y,))), Atom("mid", (x, y))), CITE),
        Rule("sums", Atom("sums", (x, s)),
             (Atom("mid", (x, _)), Aggregate("sum", Atom("weight", (x, _, n)), s, n)), CITE),
        Rule("self", Atom("self", (x,)), (Atom("mid", (x, y)), Atom("mid", (y, x))), CITE),
        Rule("twice-a", Atom("twice", (x,)), (Atom("in", (x,)),), CITE),
        Rule("twice-b", Atom("twice", (x,)), (Atom("pair", (_, x)),), CITE),
        Rule("of-twice", Atom("of-twice", (x,)), (Atom("twice", (x,)),), CITE),
    ], [], ["in", "pair", "blocked", "weight", "day"], singletons=["day"])
    source = make_runner(program)._plain.source  # type: ignore[attr-defined]
    pushed = {line.split(":")[0].strip() for line in source.splitlines()
              if line.endswith("(on each new fact)")}
    names = {f"# rule {i}": rule.name for i, rule in enumerate(program.rules)}
    assert {names[p] for p in pushed} == {"big", "same", "one", "chain", "chain2", "sums"}
    for facts in ({"in": [(5,), (6,), (1,)], "pair": [(5, 2), (5, 1), (6, 6), (1, 1), (6, 5)],
                   "blocked": [(2,)], "weight": [(5, 1, 3), (5, 2, 4)], "day": [(9,)]},
                  {"in": [(5,)], "pair": [(5, 1)], "blocked": [], "weight": [], "day": []},
                  {}):
        _same(program, facts)
    derived = _same(program, {"in": [(5,), (6,)], "pair": [(5, 2), (6, 5), (5, 6)],
                              "blocked": [(2,)], "weight": [(5, 1, 3)], "day": [(9,)]})
    assert derived["big"] == {(5,), (6,)} and derived["chain2"] == {(5, 9), (6, 9)}
    assert "unblocked" not in derived  # some blocked(Y) exists, whatever Y
    assert derived["sums"] == {(5, 3), (6, 0)}
    assert derived["self"] == {(5,), (6,)}
    assert "same" not in derived and "one-of" not in derived
    assert derived["of-twice"] == {(5,), (6,), (2,)}


def test_a_decision_runs_rules_on_each_new_fact() -> None:
    """The shipped programmes reach the rules run on each new fact (what the test above
    checks in general): the evidence checks run on each valid item as it is derived."""
    rs = luk_rules.load(ROOT / "rulesets" / "examples" / "hbo-ict-deeltijd.luk")
    verdicter = rs._read_builder.verdicter
    source = verdicter._compiled.source  # type: ignore[union-attr]
    assert "# rule 0: valid-evidence\n" in source
    assert source.count("(on each new fact)") >= 10
