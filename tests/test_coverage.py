"""`luk test --coverage` per ruleset, counting only the rules that can fire for its programme.

A law clause for a form the programme is not offered in, about a unit kind none of its
units has, with a condition its facts (level, participation, ...) make false, or granted
only by regimes that are never the law for the ruleset cannot fire, whatever the
submission: lowering marks it (from the one resolver), and the coverage lists it apart
with why instead of counting it. Each ruleset has its own figures and never-fired list,
and `--min-coverage` holds for each.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import luk_rules
from luk_rules import ast, ir, report
from luk_rules import scenarios as runner
from luk_rules.api import Ruleset
from luk_rules.checks.resolve import ProgrammeFacts
from luk_rules.submission import Record, structure

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "rulesets" / "examples"

# A law of its own, beside the rulesets (pulled in by `under eigen` as a law file).
EIGEN = """\
regime eigen "Eigen wet"
  in force from 2020-01-01
  basis "Eigen wet"
  enacted

  permit eenheid-van-leeruitkomsten
    for deeltijd
    basis "Eigen wet art. 1"

  permit eenheid-van-leeruitkomsten
    for voltijd
    basis "Eigen wet art. 2"

  permit eenheid-van-leeruitkomsten
    for deeltijd, voltijd
    when level is wo
    basis "Eigen wet art. 3"

  allow combination A, B, C, D
    for eenheid-van-leeruitkomsten
    basis "Eigen wet art. 4"

  allow combination A
    for onderwijseenheid
    basis "Eigen wet art. 5"
"""

PROGRAMME = """\
programme P "Programma"
  level hbo-bachelor
  form {form}
  institution "Hogeschool"
  under eigen
  units are eenheid-van-leeruitkomsten
{extra}
evidence bp "Beroepsproduct"

unit EVL-1 "Leeruitkomst"
  credits 10
  outcome 1 "Kan iets"
  accepts bp
  recommended activity werkplaats

assessment T "Portfolio"
  portfolio
  path-independent
  assesses EVL-1
"""

ART = {n: f"eigen.luk:{line}:3" for n, line in ((1, 6), (2, 10), (3, 14), (4, 19), (5, 23))}
PERMIT = "eigen: permit eenheid-van-leeruitkomsten"


def submission(form: str, date: str) -> dict[str, Any]:
    """A request for EVL-1 along the recommended route (A), complete."""
    return {"id": "S", "programme": "P", "form": form, "date": date, "units": ["EVL-1"],
            "assessment": "T", "activities": ["werkplaats"],
            "evidence": [{"id": "e1", "type": "bp", "outcomes": ["EVL-1.1"],
                          "date": "2021-06-01", "activity": "werkplaats"}]}


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``folder/name`` and return the path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def scenario_file(folder: Path, ruleset: str, scenarios: list[dict[str, Any]]) -> Path:
    """The scenario file beside ``ruleset``."""
    stem = ruleset.removesuffix(".luk")
    return write(folder, f"{stem}.scenarios.json",
                 json.dumps({"ruleset": ruleset, "scenarios": scenarios}, indent=2))


@pytest.fixture
def two_programmes(tmp_path: Path) -> Path:
    """Two rulesets that share the law `eigen`: one offered deeltijd, whose scenario fires
    the deeltijd permit and the route's allow, and one offered voltijd, whose scenario is
    dated before the law took effect and so fires none of its clauses."""
    write(tmp_path, "eigen.luk", EIGEN)
    write(tmp_path, "deeltijd.luk", PROGRAMME.format(form="deeltijd", extra=""))
    write(tmp_path, "voltijd.luk", PROGRAMME.format(form="voltijd", extra=""))
    scenario_file(tmp_path, "deeltijd.luk", [
        {"name": "route-a", "submission": submission("deeltijd", "2024-01-01"),
         "expect": {"status": "admissible", "combination": "A", "law": "eigen"}}])
    scenario_file(tmp_path, "voltijd.luk", [
        {"name": "before-the-law", "submission": submission("voltijd", "2019-06-01"),
         "expect": {"status": "inadmissible", "law": None}}])
    return tmp_path


def coverage_of(run: runner.TestRun, name: str) -> runner.RulesetCoverage:
    """The coverage of the ruleset file ``name`` in ``run``."""
    (found,) = (r for r in run.coverage.rulesets if Path(r.path).name == name)
    return found


def test_a_clause_for_a_form_the_programme_lacks_is_left_out_with_why(
        two_programmes: Path) -> None:
    """For the deeltijd programme the voltijd permit (form), the permit for `level is wo`
    (condition) and the allow for course units (kind) cannot fire: not counted, listed
    with why. What is left fired, so the ruleset reaches 100%."""
    run = runner.run_files([two_programmes / "deeltijd.scenarios.json"])
    assert run.count("passed") == 1
    deeltijd = coverage_of(run, "deeltijd.luk")
    assert deeltijd.sites == ((PERMIT, ART[1]), ("eigen: allow combination A, B, C, D", ART[4]))
    assert deeltijd.fired == frozenset(deeltijd.sites) and deeltijd.percent == 100.0
    assert dict(deeltijd.excluded) == {
        (PERMIT, ART[2]): (ir.Unreachable("form", ("voltijd",), ("deeltijd",)),),
        (PERMIT, ART[3]): (ir.Unreachable("condition", ("level is wo",)),),
        ("eigen: allow combination A", ART[5]): (
            ir.Unreachable("kind", ("onderwijseenheid",), ("eenheid-van-leeruitkomsten",)),),
    }
    lines = report.coverage_lines(run)
    assert lines[0] == (f"rule coverage of {deeltijd.path}: 2/2 rules that can fire for its "
                        "programme fired (100.0%); 3 cannot fire")
    assert (f"  cannot fire for this programme: {ART[2]}  {PERMIT}: it is for voltijd only; "
            "the programme is offered deeltijd") in lines
    assert (f"  cannot fire for this programme: {ART[3]}  {PERMIT}: its condition never "
            "holds for this programme (`level is wo`)") in lines
    assert (f"  cannot fire for this programme: {ART[5]}  eigen: allow combination A: it is "
            "about onderwijseenheid only; the programme's units are "
            "eenheid-van-leeruitkomsten") in lines
    assert not any("never fired" in line for line in lines)


def test_two_rulesets_sharing_a_law_have_their_own_never_fired_lists(
        two_programmes: Path) -> None:
    """The deeltijd scenario fired the allow of `eigen`; that does not cover it for the
    voltijd ruleset, which lists it (and its own permit) as never fired, and not the
    deeltijd permit, which cannot fire for it."""
    run = runner.run_files(runner.find_files([str(two_programmes)])[0])
    assert run.count("passed") == 2
    deeltijd, voltijd = (coverage_of(run, n) for n in ("deeltijd.luk", "voltijd.luk"))
    assert deeltijd.unfired == []
    assert voltijd.unfired == [(PERMIT, ART[2]), ("eigen: allow combination A, B, C, D", ART[4])]
    assert (PERMIT, ART[1]) in dict(voltijd.excluded)
    assert voltijd.percent == 0.0
    assert (run.coverage.fired, run.coverage.can_fire, run.coverage.excluded) == (2, 4, 6)


def luk(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command line, run as a subprocess in ``cwd``."""
    return subprocess.run([sys.executable, "-m", "luk_rules.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_min_coverage_holds_for_each_ruleset_and_names_the_one_below(
        two_programmes: Path) -> None:
    """`luk test --min-coverage 50`: the deeltijd ruleset (100%) passes, the voltijd one
    (0%) does not, so the run exits 1 naming it; the report is per ruleset, in path order,
    with each never-fired rule at file:line:col."""
    result = luk("test", ".", "--min-coverage", "50", cwd=two_programmes)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    heads = [line for line in lines if not line.startswith("  ")]
    assert heads == [
        "rule coverage of deeltijd.luk: 2/2 rules that can fire for its programme fired "
        "(100.0%); 3 cannot fire",
        "rule coverage of voltijd.luk: 0/2 rules that can fire for its programme fired "
        "(0.0%); 3 cannot fire",
        "rule coverage over 2 rulesets: 2/4 rules that can fire fired (50.0%); 6 cannot "
        "fire for their programme",
        "rule coverage of voltijd.luk is 0.0%, below the minimum 50%",
        "2 passed, 0 failed",
    ]
    voltijd = lines[lines.index(heads[1]) + 1:lines.index(heads[2])]
    assert voltijd == [
        f"  never fired: {ART[2]}  {PERMIT}",
        f"  never fired: {ART[4]}  eigen: allow combination A, B, C, D",
        f"  cannot fire for this programme: {ART[1]}  {PERMIT}: it is for deeltijd only; "
        "the programme is offered voltijd",
        f"  cannot fire for this programme: {ART[3]}  {PERMIT}: its condition never holds "
        "for this programme (`level is wo`)",
        f"  cannot fire for this programme: {ART[5]}  eigen: allow combination A: it is "
        "about onderwijseenheid only; the programme's units are eenheid-van-leeruitkomsten",
    ]
    assert "deeltijd.luk is" not in result.stdout
    passing = luk("test", "deeltijd.luk", "--min-coverage", "100", cwd=two_programmes)
    assert passing.returncode == 0, passing.stdout
    assert "below the minimum" not in passing.stdout
    again = luk("test", ".", "--coverage", cwd=two_programmes)
    assert again.returncode == 0
    assert again.stdout.splitlines() == [line for line in lines if "below the minimum" not in line]


def test_a_clause_of_a_regime_that_ended_before_the_ruleset_decides_cannot_fire() -> None:
    """bouwkunde-voltijd-evl decides from 2025-09-01 (before that, the ruleset it replaces
    does): the experiment, in force until 2024-12-31, is never its law, so the experiment's
    own allow cannot fire for it; the WHW's allow of route A is about course units, which
    it has none of."""
    never = luk_rules.load(EXAMPLES / "bouwkunde-voltijd-evl.luk").unreachable_sites()
    ended = ir.NotTheLaw("experiment-leeruitkomsten", "ended", until=dt.date(2024, 12, 31),
                         since=dt.date(2025, 9, 1))
    assert never[("experiment-leeruitkomsten: allow combination A, B, C, D",
                  "law/experiment-leeruitkomsten.luk:19:3")] == (
        ir.Unreachable("law", ("experiment-leeruitkomsten",), regimes=(ended,)),)
    assert report.unreachable_text(never[("whw: allow combination A", "law/whw.luk:16:3")]) == (
        "it is about onderwijseenheid only; the programme's units are "
        "eenheid-van-leeruitkomsten")
    assert ("voltijd-uitbreiding: permit eenheid-van-leeruitkomsten",
            "law/voltijd-uitbreiding.luk:12:3") not in never


LATER = """\
regime later "Latere wet"
  in force from 2024-01-01
  basis "Latere wet"
  enacted

  permit eenheid-van-leeruitkomsten
    for deeltijd
    basis "Latere wet art. 1"

  allow combination A
    for eenheid-van-leeruitkomsten
    basis "Latere wet art. 2"
"""

VOORSTEL = """\
regime voorstel "Voorstel"
  proposal
  basis "Voorstel"

  allow combination B
    for eenheid-van-leeruitkomsten
    basis "Voorstel art. 1"
"""


def test_regimes_superseded_whenever_in_force_and_proposals_are_never_the_law(
        tmp_path: Path) -> None:
    """A ruleset that decides from 2025-01-01 under `eigen` (from 2020) and `later` (from
    2024): `eigen` is in force on every date it decides, but `later` took effect later and
    is the law; a proposal not evaluated `as if` is never the law. Their own clauses cannot
    fire, and the report says why; a clause `later` inherits could."""
    write(tmp_path, "eigen.luk", EIGEN)
    write(tmp_path, "later.luk", LATER)
    write(tmp_path, "voorstel.luk", VOORSTEL)
    write(tmp_path, "old.luk", PROGRAMME.format(form="deeltijd", extra=""))
    text = PROGRAMME.format(form="deeltijd", extra='  replaces "old.luk" from 2025-01-01\n')
    write(tmp_path, "new.luk", text.replace("under eigen", "under eigen, later, voorstel"))
    ruleset = luk_rules.load(tmp_path / "new.luk")
    never = ruleset.unreachable_sites()
    superseded = ir.Unreachable("law", ("eigen",), regimes=(
        ir.NotTheLaw("eigen", "superseded", by=("later",)),))
    assert never[(PERMIT, ART[1])] == (superseded,)
    assert never[("eigen: allow combination A, B, C, D", ART[4])] == (superseded,)
    assert never[("voorstel: allow combination B", "voorstel.luk:5:3")] == (
        ir.Unreachable("law", ("voorstel",), regimes=(ir.NotTheLaw("voorstel", "proposal"),)),)
    assert ("later: allow combination A", "later.luk:10:3") not in never
    assert report.unreachable_text(never[(PERMIT, ART[1])]) == (
        "it applies only when eigen is the law, which it never is for this ruleset "
        "(whenever eigen is in force, later is the law)")
    assert report.unreachable_text(never[("voorstel: allow combination B",
                                          "voorstel.luk:5:3")]) == (
        "it applies only when voorstel is the law, which it never is for this ruleset "
        "(voorstel is a proposal the programme does not evaluate `as if` in force)")
    # The ruleset it replaces decides from any date: there `eigen` is the law until 2024.
    assert (PERMIT, ART[1]) not in luk_rules.load(tmp_path / "old.luk").unreachable_sites()


def test_a_scenario_decided_by_the_replaced_ruleset_counts_for_that_one(tmp_path: Path) -> None:
    """A scenario dated before the `replaces` date is decided by the earlier ruleset: the
    rules it fires count for that ruleset (listed even without scenarios of its own), not
    for the one whose scenario file it is in."""
    write(tmp_path, "eigen.luk", EIGEN)
    write(tmp_path, "old.luk", PROGRAMME.format(form="deeltijd", extra=""))
    write(tmp_path, "new.luk", PROGRAMME.format(
        form="deeltijd", extra='  replaces "old.luk" from 2025-01-01\n'))
    scenario_file(tmp_path, "new.luk", [
        {"name": "early", "submission": submission("deeltijd", "2024-01-01"),
         "expect": {"status": "admissible"}}])
    run = runner.run_files([tmp_path / "new.scenarios.json"])
    assert run.count("passed") == 1
    old, new = coverage_of(run, "old.luk"), coverage_of(run, "new.luk")
    assert old.percent == 100.0 and new.fired == frozenset() and len(new.sites) == 2


def test_the_coverage_example_of_the_contracts_page_is_what_luk_test_prints() -> None:
    """docs/contracts.md#rule-coverage shows `luk test --coverage --min-coverage 80` on the
    HBO-ICT audit scenarios: the command prints exactly that, and exits 1."""
    text = (REPO / "docs" / "contracts.md").read_text(encoding="utf-8")
    block = text.split("$ luk test --coverage --min-coverage 80 ", 1)[1].split("```", 1)[0]
    command, *shown = block.splitlines()
    result = luk("test", "--coverage", "--min-coverage", "80", *command.split(), cwd=REPO)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == shown


HBO, WO = ast.LevelIs(ast.Name("hbo")), ast.LevelIs(ast.Name("wo"))
PARTICIPATES, OPTED_IN = ast.InstitutionParticipates(), ast.OptedIn()


@pytest.mark.parametrize(("condition", "culprits"), [
    (ast.And((HBO, OPTED_IN)), (HBO,)),
    (ast.Or((HBO, PARTICIPATES)), (HBO, PARTICIPATES)),
    (ast.Or((HBO, OPTED_IN)), ()),  # `opted in` depends on the submission's date
    (ast.Not(ast.LevelIs(ast.Name("wo"))), (ast.Not(WO),)),
    (ast.And((ast.Or((HBO, PARTICIPATES)), ast.Not(HBO))), (HBO, PARTICIPATES)),
])
def test_the_parts_of_a_condition_that_never_hold(condition: ast.Condition,
                                                   culprits: tuple[ast.Condition, ...]) -> None:
    """`ProgrammeFacts.failing` names what makes a condition false for a wo master that does
    not take part in the experiment and has opted in on a date: an atom that settles an
    `and`, every part of an `or`, a `not` whose inner condition holds; nothing when the
    condition can still hold."""
    facts = attrs.evolve(ProgrammeFacts.assumed("wo-master", "deeltijd"), participates=False)
    assert facts.failing(condition, "deeltijd") == culprits
    assert (facts.evaluate(condition, "deeltijd") is False) == bool(culprits)


# ------------------------------------------------------------------ soundness


def scenario_inputs() -> list[tuple[Path, dict[str, Any]]]:
    """Every shipped scenario's ruleset and submission or record (not the refused ones)."""
    found = []
    for path in sorted(EXAMPLES.glob("*.scenarios.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for sc in data["scenarios"]:
            if runner.INPUT_ERROR not in sc["expect"]:
                found.append((path.parent / data["ruleset"], sc))
    return found


def fired_though_unreachable(ruleset: Ruleset, data: dict[str, Any], record: bool = False
                             ) -> set[tuple[str, str]]:
    """The rules marked as never firing for the programme that fired for ``data`` (a
    submission, or with ``record`` a study record), in the ruleset that decided or audited
    it."""
    if record:
        parsed = structure(data, Record)
        decider = ruleset.for_date(parsed.date)
        fired = decider.audit(parsed, explain=True).fired
    else:
        submission = structure(data, fields=ruleset.fields)
        decider = ruleset.for_date(submission.date)
        fired = decider.decide(submission, explain=True).fired
    return set(fired) & set(decider.unreachable_sites())


def test_no_rule_marked_unreachable_fires_in_the_shipped_scenarios_or_past_cases() -> None:
    """What lowering marks as never firing never fires: in any shipped scenario, nor in the
    400 past full-time cases under the full-time ruleset and its what-if."""
    loaded: dict[Path, Ruleset] = {}
    for path, sc in scenario_inputs():
        if path not in loaded:
            loaded[path] = luk_rules.load(path)
        ruleset = loaded[path]
        data = sc["record"] if "record" in sc else sc["submission"]
        assert not fired_though_unreachable(ruleset, data, "record" in sc), (path.name,
                                                                           sc["name"])
    cases = [json.loads(line) for line in (EXAMPLES / "past-cases" / "bouwkunde-voltijd.jsonl")
             .read_text(encoding="utf-8").splitlines() if line.strip()]
    for name in ("bouwkunde-voltijd.luk", "bouwkunde-voltijd-evl.luk"):
        ruleset = luk_rules.load(EXAMPLES / name)
        for case in cases:
            assert not fired_though_unreachable(ruleset, case), (name, case["id"])


FORMS = ("voltijd", "deeltijd", "duaal")
KINDS = ("eenheid-van-leeruitkomsten", "onderwijseenheid")
CONDITIONS = ("level is hbo", "level is wo", "institution participates",
              "not institution participates", "opted in", "substantial practice component",
              "form is voltijd", "form is deeltijd or form is duaal",
              "level is wo or institution participates", "assessment is path-independent",
              "combination is one of B, C", "opted in and level is hbo", "recommended route")
DATES = ("2019-06-01", "2020-01-01", "2022-03-01", "2024-12-31", "2025-01-01", "2025-06-30",
         "2026-02-01", "2027-01-01")


@st.composite
def clauses(draw: st.DrawFn) -> str:
    """One to three random `permit` and `allow` clauses of a regime."""
    text = ""
    for _ in range(draw(st.integers(1, 3))):
        when = draw(st.none() | st.sampled_from(CONDITIONS))
        cond = f"\n    when {when}" if when else ""
        if draw(st.booleans()):
            forms = draw(st.lists(st.sampled_from(FORMS), min_size=1, max_size=3, unique=True))
            text += (f"  permit {draw(st.sampled_from(KINDS))}\n    for {', '.join(forms)}"
                     f'{cond}\n    basis "b"\n')
        else:
            combos = draw(st.lists(st.sampled_from("ABCD"), min_size=1, max_size=4,
                                   unique=True))
            kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=2, unique=True))
            text += (f"  allow combination {', '.join(sorted(combos))}\n    for "
                     f'{", ".join(kinds)}{cond}\n    basis "b"\n')
    return text


@st.composite
def laws(draw: st.DrawFn) -> tuple[str, str]:
    """Two regimes: `r1`, dated, permitting both unit kinds in every form under random
    conditions (so the checks find every kind permitted somewhere, LUK041), with random
    clauses; `r2`, dated, in force always or a proposal, perhaps extending `r1`, with
    random clauses. Returns their texts."""
    start = draw(st.sampled_from(DATES))
    end = draw(st.none() | st.sampled_from(DATES).filter(lambda d: d > start))
    r1 = f'regime r1 "R1"\n  in force from {start}{f" until {end}" if end else ""}\n'
    r1 += '  basis "r1"\n'
    for kind in KINDS:
        r1 += (f"  permit {kind}\n    for voltijd, deeltijd, duaal\n"
               f'    when {draw(st.sampled_from(CONDITIONS))}\n    basis "b"\n')
    r1 += draw(clauses())
    period = draw(st.sampled_from(("in force always", "proposal", "dated")))
    if period == "dated":
        period = f"in force from {draw(st.sampled_from(DATES))}"
    extends = "  extends r1\n" if draw(st.booleans()) else ""
    r2 = f'regime r2 "R2"\n  {period}\n{extends}  basis "r2"\n' + draw(clauses())
    return r1, r2


@attrs.frozen
class Programme:
    """A generated programme: its text (with a ``{replaces}`` slot), the date it replaces
    the same programme from (if it does), its forms and whether it has a course unit."""

    text: str
    replaces: str | None
    forms: tuple[str, ...]
    course_unit: bool


@st.composite
def programmes(draw: st.DrawFn) -> Programme:
    """A programme under r1 (and perhaps r2, perhaps `as if`), of a random level and forms,
    perhaps participating, with a practice component, opted in; with a unit of learning
    outcomes and perhaps a course unit (with a path-dependent exam of its own)."""
    forms = tuple(draw(st.lists(st.sampled_from(FORMS), min_size=1, max_size=3, unique=True)))
    extra = [clause for clause in ("participates in experiment",
                                   "substantial practice component") if draw(st.booleans())]
    if draw(st.booleans()):
        extra.append(f"opted in {draw(st.sampled_from(DATES))}")
    under = draw(st.sampled_from(("r1, r2", "r1")))
    if under == "r1, r2" and draw(st.booleans()):
        extra.append(f"as if r2 in force from {draw(st.sampled_from(DATES))}")
    course_unit = draw(st.booleans())
    lines = "".join(f"  {e}\n" for e in extra)
    assessed = "EVL-1, OE-1" if course_unit else "EVL-1"
    text = (f'programme P "P"\n  level {draw(st.sampled_from(("hbo-bachelor", "wo-master")))}\n'
            f'  form {", ".join(forms)}\n  institution "H"\n  under {under}\n{lines}'
            "{replaces}  units are eenheid-van-leeruitkomsten\n\n"
            'evidence bp "B"\n\n'
            'unit EVL-1 "L"\n  credits 10\n  outcome 1 "O"\n  accepts bp\n'
            "  recommended activity werkplaats\n\n"
            f'assessment T "T"\n  portfolio\n  path-independent\n  assesses {assessed}\n')
    if course_unit:
        text += ('\nunit OE-1 "C"\n  credits 5\n  kind onderwijseenheid\n  outcome 1 "O"\n'
                 '  accepts bp\n\nassessment X "X"\n  exam\n  path-dependent\n'
                 "  assesses OE-1\n")
    replaces = draw(st.none() | st.sampled_from(DATES[3:]))  # late: after some regimes end
    return Programme(text, replaces, forms, course_unit)


def requests(programme: Programme) -> st.SearchStrategy[dict[str, Any]]:
    """Submissions for ``programme`` in its forms, on any of the dates, by any route."""
    units = ("EVL-1", "OE-1") if programme.course_unit else ("EVL-1",)
    assessments = ("T", "X") if programme.course_unit else ("T",)

    @st.composite
    def request(draw: st.DrawFn) -> dict[str, Any]:
        claimed = draw(st.lists(st.sampled_from(units), min_size=1, max_size=2, unique=True))
        activity = draw(st.sampled_from(("werkplaats", "eigen-werk")))
        evidence = [{"id": f"e{i}", "type": "bp", "outcomes": [f"{u}.1"],
                     "date": "2019-01-01", "activity": activity}
                    for i, u in enumerate(claimed) if draw(st.booleans())]
        return {"id": "S", "programme": "P", "form": draw(st.sampled_from(programme.forms)),
                "date": draw(st.sampled_from(DATES)), "units": claimed,
                "assessment": draw(st.sampled_from(assessments)),
                "activities": draw(st.sampled_from(([], [activity]))), "evidence": evidence}

    return request()


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(laws(), programmes(), st.data())
def test_no_rule_marked_unreachable_fires_for_generated_programmes(
        law: tuple[str, str], programme: Programme, data: st.DataObject) -> None:
    """For random regimes (dates, proposals, extends, conditions on level, form,
    participation, opting in) and programmes (forms, level, unit kinds, `as if`,
    `replaces`), no rule lowering marks as never firing fires for any submission."""
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        write(here, "r1.luk", law[0])
        write(here, "r2.luk", law[1])
        write(here, "old.luk", programme.text.format(replaces=""))
        replaces = (f'  replaces "old.luk" from {programme.replaces}\n'
                    if programme.replaces else "")
        write(here, "new.luk", programme.text.format(replaces=replaces))
        ruleset = luk_rules.load(here / "new.luk")
        for submission in data.draw(st.lists(requests(programme), min_size=4, max_size=8)):
            assert not fired_though_unreachable(ruleset, submission), submission
