"""What durable_rules cannot run is refused cleanly, naming the rule; what it can run, it runs
as the native engine does: large counts, many assessments, values it cannot carry itself,
and rulesets loaded and dropped by the thousand."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import luk_rules
from luk_rules.compile import Aggregate, Atom, Cite, Compute, Neg, Program, Rule, Test, Var
from luk_rules.engine import make_runner
from luk_rules.engine.durable_backend import (
    MAX_PATTERNS_PER_FACT_TYPE,
    MAX_PATTERNS_PER_RULE,
    MAX_PROPERTIES,
    MAX_RULES,
    durable_limits,
)
from luk_rules.errors import EngineUnavailable

ROOT = Path(__file__).resolve().parent.parent
CITE = Cite("r", "b", "s")
X, Y = Var("X"), Var("Y")

_PROGRAMME = """programme SW "Software"
  level hbo-bachelor
  form deeltijd
  institution "H"
  under whw, wet-leeruitkomsten
  opted in 2024-01-01
  units are eenheid-van-leeruitkomsten
  at least {n} items per outcome

evidence beroepsproduct "B"
evidence x "X"

unit SW-GES "G"
  credits 5
  outcome 1 "O1"
  outcome 2 "O2"
  accepts beroepsproduct, x
  recommended activity studio
{assessments}{rules}"""
_ASSESSMENT = """
assessment SW-T{i} "T"
  portfolio
  path-independent
  assesses SW-GES
"""


def require_durable() -> None:
    pytest.importorskip("durable.engine", reason="durable-rules is not installed "
                        "(it does not build on Python 3.13+)")


def ruleset_text(n: int = 1, assessments: int = 1, rules: str = "") -> str:
    return _PROGRAMME.format(n=n, rules=rules, assessments="".join(
        _ASSESSMENT.format(i=i) for i in range(assessments)))


def submission(items: int, kind: str = "beroepsproduct") -> dict[str, Any]:
    return {"id": "S1", "programme": "SW", "form": "deeltijd", "date": "2025-03-01",
            "units": ["SW-GES"], "assessment": "SW-T0",
            "evidence": [{"id": f"e{i}", "type": kind, "outcomes": ["SW-GES.1", "SW-GES.2"],
                          "date": "2024-06-01"} for i in range(items)]}


def both(path: Path, sub: dict[str, Any]) -> dict[str, Any]:
    """The decision with its explanation, the same on both engines."""
    native = luk_rules.load(path).decide(sub, explain=True).to_dict()
    durable = luk_rules.load(path, engine="durable").decide(sub, explain=True).to_dict()
    assert durable == native
    return native


# -- counts


@pytest.mark.parametrize("n", [100, 400])
def test_a_count_of_hundreds_is_decided(tmp_path: Path, n: int) -> None:
    """`number of evidence of type x >= 400` (once 400 join patterns, error 303 at assert
    time) holds at 400 items and not at 399, on both engines alike."""
    require_durable()
    path = tmp_path / "count.luk"
    path.write_text(ruleset_text(rules=f'\nrule veel "R"\n  warn when number of evidence '
                                 f'of type x >= {n}\n  basis "B"\n'), encoding="utf-8")
    assert "veel" in [f["code"] for f in both(path, submission(n, "x"))["findings"]]
    assert "veel" not in [f["code"] for f in both(path, submission(n - 1, "x"))["findings"]]


@pytest.mark.parametrize(("n", "items"), [(5, 40), (2, 1000)])
def test_many_items_per_outcome_are_counted_quickly(tmp_path: Path, n: int,
                                                    items: int) -> None:
    """`at least 5 items per outcome` with 40 items (once 85 s and 4 GB) and `at least 2` with
    1,000 items (once 54 s): admissible, explained with the n smallest items as on the native
    engine; with one item too few for n, incomplete."""
    require_durable()
    path = tmp_path / "items.luk"
    path.write_text(ruleset_text(n=n), encoding="utf-8")
    decision = both(path, submission(items))
    assert decision["status"] == "admissible"
    assert both(path, submission(n - 1))["status"] == "incomplete"


# -- limits


def _program(rules: list[Rule], inputs: tuple[str, ...] = ("e",),
             static: list[tuple[str, tuple[Any, ...]]] | None = None) -> Program:
    return Program.build(rules, static or [], inputs)


def too_many_patterns_in_a_rule(n: int) -> Program:
    body = tuple(Atom(f"p{i}", (X,)) for i in range(n))
    return _program([Rule("big", Atom("d", (X,)), body, CITE)],
                    tuple(f"p{i}" for i in range(n)))


def too_many_patterns_on_a_type(n: int) -> Program:
    """Rules whose patterns on `e` differ, and all hold for the same facts."""
    return _program([Rule(f"r{i}", Atom(f"d{i}", (X,)), (Atom("e", (X, Y)),
                                                         Test(Y, "!=", 1000 + i)), CITE)
                     for i in range(n)])


def too_many_rules(n: int) -> Program:
    return _program([Rule(f"r{i}", Atom(f"d{i}", (X,)), (Atom("e", (X, Y)),), CITE)
                     for i in range(n)])


def too_many_properties(n: int) -> Program:
    return _program([Rule("wide", Atom("d", (X,)),
                          (Atom("e", (X, Y)), *(Test(Y, "!=", 1000 + i) for i in range(n))),
                          CITE)])


LIMITS = [
    (too_many_patterns_in_a_rule, MAX_PATTERNS_PER_RULE, "big", "matches 17 facts at once"),
    (too_many_patterns_on_a_type, MAX_PATTERNS_PER_FACT_TYPE, "r60", "different patterns"),
    (too_many_rules, MAX_RULES - 1, "r249", "compiles to 251 durable_rules rules"),
    (too_many_properties, MAX_PROPERTIES - 4, "wide", "properties"),
]


@pytest.mark.parametrize(("build", "limit", "rule", "says"), LIMITS)
def test_past_a_limit_the_rule_is_named(build: Any, limit: int, rule: str, says: str) -> None:
    """One past each limit, durable_limits names the rule (without needing durable_rules)
    and the durable runner refuses with the same message; at the limit, nothing is listed."""
    assert durable_limits(build(limit)) == []
    limits = durable_limits(build(limit + 1))
    assert [name for name, _ in limits] == [rule]
    assert says in limits[0][1]
    require_durable()
    with pytest.raises(EngineUnavailable) as refused:
        make_runner(build(limit + 1), "durable")
    assert limits[0][1] in str(refused.value)
    assert rule in str(refused.value)


def test_at_each_limit_durable_runs_like_native() -> None:
    """Each program at a limit runs on durable_rules without a crash (in a subprocess, so a
    crash would fail the test, not end it) and derives what the native engine derives, with
    facts that match every pattern at once."""
    require_durable()
    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, sys.argv[1])
        from tests.test_durable_limits import LIMITS
        from luk_rules.engine import make_runner
        for build, limit, _, _ in LIMITS:
            program = build(limit)
            facts = {p: [(1, 1), (2, 3)] if p == "e" else [(1,), (2,)] for p in program.inputs}
            native = make_runner(program).run(facts, trace=True)
            durable = make_runner(program, "durable").run(facts, trace=True)
            assert dict(durable.facts) == dict(native.facts), build.__name__
            assert dict(durable.proofs) == dict(native.proofs), build.__name__
            assert native.fired, build.__name__
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script, str(ROOT)], capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr[-2000:]


def test_a_head_variable_the_condition_does_not_bind_is_a_limit() -> None:
    """A program the durable backend cannot translate is listed, not an internal error."""
    program = _program([Rule("loose", Atom("d", (X, Y)), (Atom("e", (X, 1)),), CITE)])
    assert [name for name, _ in durable_limits(program)] == ["loose"]


def test_a_fact_matched_on_a_computed_number_is_a_limit() -> None:
    """Aggregates and computed numbers are evaluated in Python when a rule fires: tests and
    the head may use them, a fact matched on one is listed (native runs it)."""
    n, m = Var("N"), Var("M")
    count = Aggregate("count", Atom("e", (X, Var("_"))), n)
    fine = _program([Rule("fine", Atom("d", (m,)), (
        Atom("e", (X, Var("_"))), count, Compute(m, n, "+", 1), Test(m, ">", 1)), CITE)])
    assert durable_limits(fine) == []
    matched = _program([Rule("matched", Atom("d", (n,)), (
        Atom("e", (X, Var("_"))), count, Atom("e", (n, X))), CITE)])
    assert [name for name, _ in durable_limits(matched)] == ["matched"]


def test_limits_are_listed_without_durable_rules() -> None:
    """durable_limits works where durable_rules is not installed; the runner says so."""
    script = textwrap.dedent("""
        import sys
        sys.modules["durable"] = None
        sys.modules["durable.engine"] = None
        sys.path.insert(0, sys.argv[1])
        from tests.test_durable_limits import too_many_patterns_in_a_rule
        from luk_rules.engine import make_runner
        from luk_rules.engine.durable_backend import durable_limits
        from luk_rules.errors import EngineUnavailable
        print(durable_limits(too_many_patterns_in_a_rule(17))[0][0])
        try:
            make_runner(too_many_patterns_in_a_rule(3), "durable")
        except EngineUnavailable as exc:
            print("not installed" in str(exc))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(ROOT)], capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split() == ["big", "True"], done.stderr[-2000:]


def test_hundreds_of_assessments_load(tmp_path: Path) -> None:
    """505 portfolio assessments (once: loading spun forever in durable_rules) load and
    decide as on native; run in a subprocess with a timeout, so a hang fails the test."""
    require_durable()
    path = tmp_path / "many.luk"
    path.write_text(ruleset_text(assessments=505), encoding="utf-8")
    case = tmp_path / "case.json"
    case.write_text(json.dumps(submission(1)), encoding="utf-8")
    command = [sys.executable, "-m", "luk_rules.cli", "decide", "--format", "json", str(path),
               str(case)]
    native = subprocess.run(command, capture_output=True, text=True, timeout=120)
    durable = subprocess.run([*command, "--engine", "durable"], capture_output=True, text=True,
                             timeout=120)
    assert (durable.returncode, durable.stdout) == (native.returncode, native.stdout)
    assert json.loads(native.stdout)["status"] == "admissible"


# -- values durable_rules cannot carry


def test_values_durable_rules_cannot_carry() -> None:
    """A lone surrogate, a string over durable_rules' 16 MB, strings alike in their first
    65,536 characters, quotes and escapes: joined and compared as natively."""
    require_durable()
    big = "x" * (17 * 2**20)
    program = _program([
        Rule("same", Atom("same", (X, Y)), (Atom("e", (X, Y)), Atom("e", (Y, X))), CITE),
        Rule("less", Atom("less", (X, Y)), (Atom("e", (X, "k")), Atom("e", (Y, "k")),
                                           Test(X, "<", Y)), CITE),
        Rule("none", Atom("none", (X,)), (Atom("e", (X, "k")), Neg(Atom("e", ("k", X)))),
             CITE),
        # the ruleset's own strings (static facts, constants in heads) among the run's
        Rule("below", Atom("below", (X, Y)), (Atom("e", (X, "k")), Atom("s", (Y,)),
                                             Test(X, "<", Y)), CITE),
        Rule("mark", Atom("mark", (X, "ab!")), (Atom("e", (X, "k")),), CITE),
        Rule("marked", Atom("marked", (X, Y)), (Atom("mark", (X, Y)), Atom("e", (Y, "k")),
                                               Test(X, ">=", Y)), CITE),
    ], static=[("s", (v,)) for v in ("a", "ab", "b", "\uffff")])
    values = ["\ud800", "\udfff", "y" * 65_536 + "a", "y" * 65_536 + "b", 'a"', "a\\", "a",
              "ab", "ab!", "a b"]
    facts = {"e": [(v, "k") for v in values] + [("k", values[0])]}
    native = make_runner(program).run(facts, trace=True)
    durable = make_runner(program, "durable").run(facts, trace=True)
    assert dict(durable.facts) == dict(native.facts)
    assert dict(durable.proofs) == dict(native.proofs)
    assert ("\ud800", "\udfff") in native.of("less")
    assert ("a b", "ab") in native.of("below") and ("ab!", "ab") not in native.of("below")
    assert ("ab!", "ab!") in native.of("marked") and ("a", "ab!") not in native.of("marked")
    # Without explanations: tracing repr()s every fact, seconds for a 17 MB string.
    facts["e"].extend([(big, "k"), (big + "a", "k"), (big, big + "a"), (big + "a", big)])
    native = make_runner(program).run(facts)
    assert dict(make_runner(program, "durable").run(facts).facts) == dict(native.facts)
    assert (big, big + "a") in native.of("less") and (big, big + "a") in native.of("same")


# -- registered rulesets


def _chain(k: int) -> Program:
    """A program whose durable_rules definition differs for every k: a chain of k rules."""
    first = Rule("r0", Atom("d0", (X,)), (Atom("e", (X, 1)),), CITE)
    return _program([first, *(Rule(f"r{j}", Atom(f"d{j}", (X,)), (Atom(f"d{j - 1}", (X,)),),
                                   CITE) for j in range(1, k))])


def test_rulesets_no_runner_uses_are_released() -> None:
    """Runners dropped release their registered rulesets (on native, memory stays flat; so
    must it on durable): after 60 distinct programs ran and were dropped, the Host holds no
    more rulesets than before; a runner still alive keeps working, also after a runner of the
    same definition (sharing its registered ruleset) was dropped."""
    require_durable()
    from luk_rules.engine import durable_backend

    host = durable_backend._get_host()
    keep = make_runner(_chain(1), "durable")
    twin = make_runner(_chain(1), "durable")
    del twin
    gc.collect()
    assert keep.run({"e": [(5, 1)]}).of("d0") == {(5,)}
    before = len(host._ruleset_list)
    for k in range(2, 62):
        assert make_runner(_chain(k), "durable").run({"e": [(1, 1)]}).of(f"d{k - 1}") == {(1,)}
    gc.collect()
    assert keep.run({"e": [(6, 1)]}).of("d0") == {(6,)}
    assert len(host._ruleset_list) == before


def test_a_number_beyond_64_bits_is_refused_cleanly() -> None:
    """A number durable_rules cannot compare (it reads integers as 64-bit) in a joined
    position is refused with EngineUnavailable naming it, not a wrong answer; the same
    runner then decides the next facts; where nothing is joined on it, it is fine. In a
    static fact, durable_limits names the rule that joins on it."""
    require_durable()
    program = _program([Rule("pair", Atom("pair", (X,)), (Atom("e", (X, Y)), Atom("e", (Y, X))),
                             CITE)])
    runner = make_runner(program, "durable")
    with pytest.raises(EngineUnavailable, match=str(2**64)):
        runner.run({"e": [(2**64, 1), (1, 2**64)]})
    assert runner.run({"e": [(2**63 - 1, 1), (1, 2**63 - 1)]}).of("pair") == {(1,),
                                                                             (2**63 - 1,)}
    lone = _program([Rule("big", Atom("big", (X,)), (Atom("e", (X, Y)),), CITE)])
    assert make_runner(lone, "durable").run({"e": [(1, 2**70)]}).of("big") == {(1,)}
    static = _program([Rule("joined", Atom("joined", (X,)), (Atom("e", (X, Y)),
                                                             Atom("s", (Y,))), CITE)],
                      static=[("s", (2**64,))])
    assert [name for name, _ in durable_limits(static)] == ["joined"]
