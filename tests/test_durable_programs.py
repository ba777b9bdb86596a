"""The durable backend runs any stratified program as the native engine does: random programs
with joins, constants, tests, negations, counts, aggregates and computed numbers, over values
durable_rules cannot carry itself, derive the same facts with the same proofs on both engines."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luk_rules.compile import (
    Aggregate,
    Atom,
    Cite,
    Compute,
    CountAtLeast,
    Neg,
    Program,
    Rule,
    Test,
    Value,
    Var,
)
from luk_rules.compile.program import Literal_
from luk_rules.engine import Derivation, make_runner

try:  # tests/ is a package when run with `python -m pytest`, a folder on sys.path otherwise
    from tests import fuzz_strategies as fs
except ImportError:  # pragma: no cover - depends on how pytest was started
    import fuzz_strategies as fs  # type: ignore[import-not-found, no-redef]

pytest.importorskip("durable.engine", reason="durable-rules is not installed "
                    "(it does not build on Python 3.13+)")

CITE = Cite("r", "b", "s")
# Values of three kinds; strings that durable_rules would compare by their JSON text, cut
# to 16-bit lengths, or refuse (a lone surrogate), and numbers beyond what a double holds.
VALUES: dict[str, list[Value]] = {
    "s": ["a", "b", "ab", "ab!", "a b", 'a"', "a\\", "\u00e9", "\ud800", "0", "s1",
          "x" * 65_536 + "a", "x" * 65_536 + "b"],
    "i": [-1, 0, 1, 2, 3, 2**60, 2**60 + 1],
    "b": [True, False],
}
INPUTS = {"e": ("s", "s"), "f": ("i",), "g": ("s", "i", "b")}
STATIC = {"k": ("s", "i")}
OPS = ["<", "<=", ">", ">=", "=", "!="]


class _Body:
    """The variables a rule body has bound so far, with their kinds."""

    def __init__(self) -> None:
        self.kinds: dict[str, str] = {}
        self.origin: dict[str, int] = {}  # the literal that binds the variable
        self.lits: list[Literal_] = []
        self.computed: set[str] = set()  # bound by an aggregate or a computation

    def fresh(self, kind: str) -> Var:
        name = f"V{len(self.kinds)}"
        self.kinds[name] = kind
        self.origin[name] = len(self.lits)
        return Var(name)


@st.composite
def atoms(draw: st.DrawFn, body: _Body, pred: str, kinds: tuple[str, ...], binding: bool
          ) -> Atom:
    """An atom over ``pred``: each position a bound variable, a new one, `_` or a constant.

    Not binding (a negation or a count), a new variable stays unbound: existential, or
    counted."""
    args: list[Any] = []
    for kind in kinds:
        # a computed number is only compared (the durable backend matches no fact on one)
        bound = [v for v, k in body.kinds.items() if k == kind and v not in body.computed]
        choice = draw(st.sampled_from(["new", "bound", "_", "const", "new"]))
        if choice == "bound" and bound:
            args.append(Var(draw(st.sampled_from(bound))))
        elif choice == "const":
            args.append(draw(st.sampled_from(VALUES[kind])))
        elif choice == "_":
            args.append(Var("_"))
        elif binding:
            args.append(body.fresh(kind))
        else:
            args.append(Var(f"U{len(args)}"))
    return Atom(pred, tuple(args))


@st.composite
def programs(draw: st.DrawFn) -> tuple[Program, dict[str, tuple[str, ...]]]:
    """Three layers of derived predicates; negation and counting only look at lower layers
    (stratified), positive atoms at lower layers and, for recursion, the rule's own."""
    signatures: dict[str, tuple[str, ...]] = {**INPUTS, **STATIC}
    lower = list(signatures)
    rules: list[Rule] = []
    for layer in range(3):
        layer_preds = []
        for n in range(draw(st.integers(1, 3))):
            pred = f"d{layer}{n}"
            for _ in range(draw(st.integers(1, 2))):
                body = _Body()
                sources = lower + ([pred] if pred in signatures else [])
                for _ in range(draw(st.integers(1, 3))):
                    source = draw(st.sampled_from(sources))
                    body.lits.append(draw(atoms(body, source, signatures[source], True)))
                for _ in range(draw(st.integers(0, 2)) if body.kinds else 0):
                    body.lits.append(draw(comparisons(body)))
                for _ in range(draw(st.integers(0, 2))):
                    # mostly derived predicates: counting those needs their phase complete
                    derived = [p for p in lower if p not in INPUTS and p not in STATIC]
                    prefer_derived: bool = draw(st.booleans())
                    source = draw(st.sampled_from(derived if derived and prefer_derived
                                                  else lower))
                    atom = draw(atoms(body, source, signatures[source], False))
                    numbers = [pos for pos, k in enumerate(signatures[source]) if k == "i"]
                    form = draw(st.sampled_from(["neg", "count", "aggregate"]))
                    if form == "neg":
                        body.lits.append(Neg(atom))
                    elif form == "aggregate":
                        result = body.fresh("i")
                        body.computed.add(result.name)
                        free = [pos for pos in numbers if isinstance(atom.args[pos], Var)
                                and atom.args[pos].name.startswith("U")]
                        if free and draw(st.booleans()):
                            value = atom.args[draw(st.sampled_from(free))]
                            assert isinstance(value, Var)
                            body.lits.append(Aggregate("sum", atom, result, value))
                        else:
                            body.lits.append(Aggregate("count", atom, result))
                        if draw(st.booleans()):
                            body.lits.append(draw(comparisons(body, result.name)))
                        numbers_bound = sorted(v for v, k in body.kinds.items() if k == "i")
                        if draw(st.booleans()):
                            computed = body.fresh("i")
                            body.computed.add(computed.name)
                            other: Var | int = draw(st.sampled_from(
                                [*(Var(v) for v in numbers_bound), 0, 1, 3]))
                            body.lits.append(Compute(computed, result,
                                                     draw(st.sampled_from(["+", "-"])), other))
                    else:
                        body.lits.append(CountAtLeast(atom, draw(st.integers(0, 3)),
                                                      draw(st.booleans())))
                head_vars = [Var(v) for v in body.kinds
                             if v in _bound(body.lits) or v in body.computed]
                arity = draw(st.integers(0, min(2, len(head_vars)) if head_vars else 0))
                head_args: list[Var | Value] = (
                    list(draw(st.permutations(head_vars))[:arity]) if arity else [])
                if draw(st.booleans()):
                    head_args = [*head_args, draw(st.sampled_from(VALUES["s"]))]
                kinds = tuple(body.kinds[a.name] if isinstance(a, Var) else "s"
                              for a in head_args)
                if pred in signatures and signatures[pred] != kinds:
                    continue  # one signature per predicate
                signatures[pred] = kinds
                rules.append(Rule(f"rule-{pred}-{len(rules)}", Atom(pred, tuple(head_args)),
                                  tuple(body.lits), CITE))
            if pred in signatures:
                layer_preds.append(pred)
        lower += layer_preds
    static = [("k", (draw(st.sampled_from(VALUES["s"])), draw(st.sampled_from(VALUES["i"]))))
              for _ in range(draw(st.integers(0, 3)))]
    # Each static fact once: the native engine counts a repeated one twice (facts are sets).
    return Program.build(rules, list(dict.fromkeys(static)), INPUTS), signatures


@st.composite
def comparisons(draw: st.DrawFn, body: _Body, var: str | None = None) -> Test:
    """A test of a bound variable (``var`` when given) against another of its kind (most
    often), a constant, or a set of constants."""
    if var is None:
        var = draw(st.sampled_from(sorted(body.kinds)))
    kind = body.kinds[var]
    same = [v for v, k in body.kinds.items() if k == kind and v != var]
    # mostly a variable of another fact: a join the engine compares, not a test in Python
    other = [v for v in same if body.origin[v] != body.origin[var]]
    prefer_other: bool = draw(st.booleans())
    same = other if other and prefer_other else same
    form = draw(st.sampled_from(["var", "var", "const", "in", "not in"]))
    if form == "var" and same:
        return Test(Var(var), draw(st.sampled_from(OPS)), Var(draw(st.sampled_from(same))))
    if form in ("in", "not in"):
        values = tuple(draw(st.lists(st.sampled_from(VALUES[kind]), max_size=3)))
        return Test(Var(var), "in" if form == "in" else "not in", values)
    return Test(Var(var), draw(st.sampled_from(OPS)), draw(st.sampled_from(VALUES[kind])))


def _bound(lits: list[Literal_]) -> set[str]:
    return {v for lit in lits if isinstance(lit, Atom) for v in lit.variables()}


def facts() -> st.SearchStrategy[dict[str, list[tuple[Value, ...]]]]:
    def rows(kinds: tuple[str, ...]) -> st.SearchStrategy[list[tuple[Value, ...]]]:
        return st.lists(st.tuples(*(st.sampled_from(VALUES[k]) for k in kinds)), max_size=6)
    return st.fixed_dictionaries({pred: rows(kinds) for pred, kinds in INPUTS.items()})


def same(native: Derivation, durable: Derivation) -> None:
    assert {p: set(r) for p, r in durable.facts.items() if r} == {
        p: set(r) for p, r in native.facts.items() if r}
    assert dict(durable.proofs) == dict(native.proofs)
    assert durable.fired == native.fired


@fs.fuzz_settings(150, share=1.5)
@given(program=programs(), inputs=st.lists(facts(), min_size=1, max_size=3))
def test_engines_agree_on_random_programs(
        program: tuple[Program, dict[str, tuple[str, ...]]],
        inputs: list[dict[str, list[tuple[Value, ...]]]]) -> None:
    """Same facts, same smallest proofs, same rules fired, run after run on one runner.

    150 programs by default; `make fuzz` runs 3,000 (it took about 500 to hit the crash that
    ending every join with one that holds now prevents)."""
    native = make_runner(program[0], "native")
    durable = make_runner(program[0], "durable")
    for facts_ in inputs:
        same(native.run(facts_, trace=True), durable.run(facts_, trace=True))
        assert {p: set(r) for p, r in durable.run(facts_).facts.items() if r} == {
            p: set(r) for p, r in native.run(facts_).facts.items() if r}


_CHILD = """
import json, sys
import durable.engine as de
definition, facts = json.loads(sys.stdin.read())
fired = []
class Host(de.Host):
    def _run(self): pass
    def get_action(self, name): return lambda c: fired.append(name)
host = Host()
host.register_rulesets({"x": definition})
for fact in facts:
    host.assert_fact("x", fact)
print(json.dumps(sorted(fired)))
"""


@pytest.mark.parametrize(("x", "fires"), [(5, False), (2, False), (1, True)])
def test_a_join_ending_in_a_failed_comparison_is_safe(x: int, fires: bool) -> None:
    """durable_rules reads past the end of a pattern's join conditions when the last one
    fails (a segfault, or a wrong answer from whatever lies there). The backend's translation
    of `f(X), g(Y), Y > X`, run on durable_rules alone in a fresh process (where the bad read
    reliably crashes), fires exactly when Y > X."""
    from luk_rules.engine import durable_backend

    x_, y_ = Var("X"), Var("Y")
    program = Program.build([Rule("gt", Atom("gt", (x_, y_)), (
        Atom("f", (x_,)), Atom("g", (y_,)), Test(y_, ">", x_)), CITE)], [], ["f", "g"])
    compiled = durable_backend._Compiled(program)
    run = durable_backend._Run(compiled, "1", {}, False)
    facts = [run.message(pred, args, str(run.add(pred, args)))
             for pred, args in [("f", (x,)), ("g", (2,))]] + [run.trigger("final")]
    done = subprocess.run([sys.executable, "-c", _CHILD],
                          input=json.dumps([compiled.definition, facts]), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == (["finaliser", "r0"] if fires else ["finaliser"])


def test_a_count_waits_for_what_it_counts() -> None:
    """A count over facts derived only once a negation could be decided (phase 1) is taken
    after them (phase 2): `at least 2` holds, `fewer than 2` does not, as natively."""
    x_ = Var("X")
    blocked = Atom("blocked", (Var("_"),))
    program = Program.build([
        Rule("blocked", Atom("blocked", (x_,)), (Atom("f", (x_,)), Neg(Atom("g", (x_,)))), CITE),
        Rule("many", Atom("many", ()), (Atom("f", (x_,)), CountAtLeast(blocked, 2)), CITE),
        Rule("few", Atom("few", ()), (Atom("f", (x_,)), CountAtLeast(blocked, 2, False)),
             CITE),
    ], [], ["f", "g"])
    assert program.phases["many"] == 2
    facts: dict[str, list[tuple[Value, ...]]] = {"f": [(1,), (2,), (3,)], "g": [(3,)]}
    native = make_runner(program).run(facts, trace=True)
    assert native.of("many") and not native.of("few")
    same(native, make_runner(program, "durable").run(facts, trace=True))
