"""One resolver: the checks and lowering read a ruleset the same way (issue 9, item 7).

The checks judge a :class:`~luk_rules.checks.resolve.Resolution`, and lowering turns that
same resolution into IR. These tests hold the two to one reading, for every shipped ruleset
and for small rulesets written to reach one decision each: a unit's kind (its own or the
programme's ``units are``), what a regime inherits through a chain of ``extends`` (proposals
included), and ``opted in``, which holds from the opt-in date on: a date condition in the IR,
a condition the checks take to depend on the submission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import luk_rules
from luk_rules import ast, ir, lower, pipeline
from luk_rules.checks import check
from luk_rules.checks.resolve import Resolution, resolve
from luk_rules.diagnostics import Diagnostic
from luk_rules.lower import LoweringError

REPO = Path(__file__).resolve().parent.parent
SHIPPED = sorted((REPO / "rulesets").rglob("*.luk"))


# ------------------------------------------------------------------ helpers


def analysed(text: str, name: str = "r.luk") -> pipeline.Analysis:
    """A ruleset given as text, read and checked (the shipped law is readable)."""
    return pipeline.analyse_text(text, name)


def lowered(analysis: pipeline.Analysis) -> ir.Ruleset:
    """The IR of a ruleset that passed the checks."""
    assert analysis.ok, [d.message for d in analysis.diagnostics]
    return pipeline.build(analysis).ruleset


def codes(analysis: pipeline.Analysis) -> list[str]:
    """The codes of the diagnostics of an analysis."""
    return [d.code for d in analysis.diagnostics]


def folded(cond: ir.Cond) -> bool | None:
    """The value of an IR condition where lowering folded it to constants (three-valued:
    None where the submission decides it)."""
    if isinstance(cond, ir.Const):
        return cond.value
    if isinstance(cond, ir.Negation):
        inner = folded(cond.item)
        return None if inner is None else not inner
    if isinstance(cond, ir.AllOf):
        parts = [folded(c) for c in cond.items]
        return False if False in parts else True if all(p is True for p in parts) else None
    if isinstance(cond, ir.AnyOf):
        parts = [folded(c) for c in cond.items]
        return True if True in parts else False if all(p is False for p in parts) else None
    return None


PROGRAMME_ATOMS = (ast.OptedIn, ast.InstitutionParticipates, ast.LevelIs, ast.RecommendedRoute,
                   ast.HasPracticeComponent)


def paired(condition: ast.Condition, cond: ir.Cond) -> Iterator[tuple[ast.Condition, ir.Cond]]:
    """Each atom of an AST condition with the IR lowering made of it."""
    if isinstance(condition, ast.And | ast.Or):
        assert isinstance(cond, ir.AllOf | ir.AnyOf) and len(cond.items) == len(condition.items)
        for part, lowered_part in zip(condition.items, cond.items, strict=True):
            yield from paired(part, lowered_part)
    elif isinstance(condition, ast.Not):
        assert isinstance(cond, ir.Negation)
        yield from paired(condition.item, cond.item)
    else:
        yield condition, cond


def conditions(resolved: Resolution, ruleset: ir.Ruleset
               ) -> Iterator[tuple[ast.Condition | None, ir.Cond]]:
    """Every permit, allow and rule condition as written, with the IR lowering made of it."""
    for regime in ruleset.programme.regimes:
        permits = resolved.inherited(regime.name, ast.Permit)
        for (_, permit), lowered_permit in zip(permits, regime.permits, strict=True):
            yield permit.when, lowered_permit.when
        allows = resolved.inherited(regime.name, ast.Allow)
        for (_, allow), lowered_allow in zip(allows, regime.allows, strict=True):
            yield allow.when, lowered_allow.when
    rules = [decls[0] for decls in resolved.table.rules.values()]
    for rule, lowered_rule in zip(rules, ruleset.rules, strict=True):
        yield rule.when, lowered_rule.when


def assert_checks_and_lowering_agree(analysis: pipeline.Analysis) -> ir.Ruleset:
    """The IR of ``analysis`` says what its resolution (the one the checks judged) says."""
    resolved = analysis.resolution
    ruleset = lowered(analysis)
    facts = resolved.facts
    assert facts is not None
    table = resolved.table

    # Unit kinds: one decision, for the checks (kind_of) and the IR alike.
    assert {u.code: u.kind for u in ruleset.units} == dict(resolved.unit_kinds)
    for name, decls in table.units.items():
        assert resolved.kind_of(decls[0]).kind == resolved.unit_kinds[name]
    # How many items an outcome needs: the unit's own minimum, else the programme's.
    for unit in ruleset.units:
        clause = resolved.minimum_of(table.units[unit.code][0])
        assert unit.min_items == (clause.count.value if clause is not None else 1)

    # Regimes: what each inherits through `extends` is the resolver's closure.
    assert [r.name for r in ruleset.programme.regimes] == [
        n for n in dict.fromkeys(facts.under) if n in table.regimes]
    for regime in ruleset.programme.regimes:
        closure = resolved.extends(regime.name)
        assert closure[0] == regime.name
        permits = resolved.inherited(regime.name, ast.Permit)
        assert [(p.kind, p.forms, p.cite.span, p.cite.rule) for p in regime.permits] == [
            (p.kind.value, tuple(dict.fromkeys(f.value for f in p.forms)), p.span,
             f"{source}: permit {p.kind.value}") for source, p in permits]
        allows = resolved.inherited(regime.name, ast.Allow)
        assert [(a.combinations, a.kinds, a.cite.span) for a in regime.allows] == [
            (tuple(dict.fromkeys(c.value for c in a.combinations)),
             tuple(dict.fromkeys(k.value for k in a.kinds)), a.span) for _, a in allows]
        assert {source for source, _ in (*permits, *allows)} <= set(closure)
        assert regime.never == (not resolved.may_be_in_force(regime.name))

    # What the programme fixes.
    programme = ruleset.programme
    assert (programme.level, programme.forms, programme.participates, programme.opted_in) == (
        facts.level, facts.forms, facts.participates, facts.opted_in)

    # Conditions: every programme-level atom is lowered to what the resolver says it is,
    # and wherever the checks decide a whole condition, lowering folds it to that value.
    for condition, cond in conditions(resolved, ruleset):
        expected = facts.evaluate(condition)
        if expected is not None:
            assert folded(cond) == expected, (condition, cond)
        if condition is None:
            continue
        for atom, lowered_atom in paired(condition, cond):
            if not isinstance(atom, PROGRAMME_ATOMS):
                continue
            value = facts.atom(atom)
            if isinstance(atom, ast.OptedIn) and facts.opts_in:
                # The legal meaning: opted in *from* a date, never decided by the programme.
                assert value is None
            if value is None:
                assert isinstance(atom, ast.OptedIn)
                assert lowered_atom == ir.DateFrom(facts.opted_in or dt.date.min,
                                                   span=atom.span)
            else:
                assert lowered_atom == ir.Const(value, span=atom.span)

    # LUK041 looks ahead at what the IR permits: every kind in use in every form.
    permitted = {(p.kind, form) for r in programme.regimes if not r.never
                 for p in r.permits for form in p.forms}
    for unit in ruleset.units:
        for form in programme.forms:
            assert (unit.kind, form) in permitted
    return ruleset


# ------------------------------------------------------------------ shipped rulesets


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))
def test_shipped_rulesets_are_read_alike_by_checks_and_lowering(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For every shipped ruleset, the IR's unit kinds, regimes and programme-level
    conditions are the resolver's; one without a programme is refused by lowering."""
    monkeypatch.chdir(REPO)
    analysis = pipeline.analyse(path.relative_to(REPO))
    assert analysis.ok
    if analysis.resolution.facts is None:
        with pytest.raises(luk_rules.RulesetError):
            pipeline.build(analysis)
        return
    assert_checks_and_lowering_agree(analysis)


def test_the_shipped_rulesets_reach_every_decision_tested_here(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped rulesets exercise what the agreement test compares: both unit kinds,
    an `extends` chain of more than one step, a proposal, and `opted in`."""
    monkeypatch.chdir(REPO)
    kinds: set[str] = set()
    chains: set[int] = set()
    atoms: set[type] = set()
    proposals = 0
    for path in SHIPPED:
        resolved = pipeline.analyse(path.relative_to(REPO)).resolution
        kinds |= set(resolved.unit_kinds.values())
        chains |= {len(resolved.extends(name)) for name in resolved.table.regimes}
        proposals += sum(resolved.is_proposal(name) for name in resolved.table.regimes)
        atoms |= {type(node) for decl in resolved.table.declarations
                  if isinstance(decl, ast.Regime) for clause in decl.clauses
                  if isinstance(clause, ast.Permit) and clause.when is not None
                  for node in walk(clause.when)}
    assert kinds == {"onderwijseenheid", "eenheid-van-leeruitkomsten"}
    assert max(chains) >= 3
    assert proposals
    assert {ast.OptedIn, ast.RecommendedRoute, ast.LevelIs, ast.InstitutionParticipates} <= atoms


def walk(condition: ast.Condition) -> Iterator[ast.Condition]:
    """Every node of a condition."""
    yield condition
    if isinstance(condition, ast.And | ast.Or):
        for item in condition.items:
            yield from walk(item)
    elif isinstance(condition, ast.Not):
        yield from walk(condition.item)


# ------------------------------------------------------------------ small rulesets

UNITS = """
evidence bp "Beroepsproduct"

unit OE-1 "Cursus"
  credits 5
  kind onderwijseenheid
  outcome 1 "Kan iets"
  accepts bp

unit EVL-1 "Leeruitkomst"
  credits 10
  outcome 1 "Kan meer"
  accepts bp
  recommended activity werkplaats

assessment T "Portfolio"
  portfolio
  path-independent
  assesses OE-1, EVL-1
"""

PROGRAMME = """
programme P "Programma"
  level hbo-bachelor
  form {forms}
  institution "Hogeschool"
  under {under}
  {extra}
  units are eenheid-van-leeruitkomsten
"""

CHAIN = """
regime top "Bovenste regeling"
  in force from 2026-01-01
  extends middle
  basis "Top"
  permit eenheid-van-leeruitkomsten
    for deeltijd
    when opted in and level is hbo
    basis "Top art. 1"

regime middle "Voorstel in het midden"
  proposal
  extends bottom
  basis "Middle"
  permit eenheid-van-leeruitkomsten
    for voltijd
    when recommended route and not institution participates
    basis "Middle art. 1"

regime bottom "Onderste regeling"
  in force always
  extends whw
  basis "Bottom"
  allow combination A, B
    for eenheid-van-leeruitkomsten
    basis "Bottom art. 1"
"""


def programme(forms: str = "deeltijd", under: str = "whw, wet-leeruitkomsten",
              extra: str = "opted in 2025-01-01") -> str:
    """A programme whose units are units of learning outcomes unless they say otherwise."""
    return PROGRAMME.format(forms=forms, under=under, extra=extra)


def test_a_units_own_kind_and_the_programme_default() -> None:
    """A unit's own `kind` wins; a unit without one takes the programme's `units are`;
    the checks (kind_of) and the IR give each unit the same kind."""
    analysis = analysed(programme() + UNITS)
    resolved = analysis.resolution
    own, default = (resolved.table.units[n][0] for n in ("OE-1", "EVL-1"))
    assert (resolved.kind_of(own).written, resolved.kind_of(own).from_programme) == (
        "onderwijseenheid", False)
    assert (resolved.kind_of(default).written, resolved.kind_of(default).from_programme) == (
        "eenheid-van-leeruitkomsten", True)
    ruleset = assert_checks_and_lowering_agree(analysis)
    assert {u.code: u.kind for u in ruleset.units} == {
        "OE-1": "onderwijseenheid", "EVL-1": "eenheid-van-leeruitkomsten"}


def test_a_unit_without_any_kind_is_a_course_unit_in_a_library() -> None:
    """Without `kind` and without a programme, a unit is decided as onderwijseenheid (and a
    library is not lowered)."""
    analysis = analysed('evidence bp "B"\nunit U "U"\n  credits 1\n  outcome 1 "O"\n'
                        "  accepts bp\n")
    resolved = analysis.resolution
    unit = resolved.table.units["U"][0]
    assert resolved.kind_of(unit).written is None
    assert resolved.unit_kinds == {"U": "onderwijseenheid"}
    assert resolved.facts is None
    with pytest.raises(LoweringError):
        lower.lower(analysis.workspace, resolved)


def test_a_chain_of_extends_through_a_proposal() -> None:
    """`top` extends a proposal that extends `bottom` that extends `whw`: the resolver's
    closure is the whole chain, the checks find EVL permitted in voltijd through it (no
    LUK041), and the IR of `top` holds every inherited permit and allow, furthest first."""
    analysis = analysed(programme(forms="voltijd, deeltijd", under="whw, top") + UNITS + CHAIN)
    assert codes(analysis) == []
    resolved = analysis.resolution
    assert resolved.extends("top") == ("top", "middle", "bottom", "whw")
    assert resolved.extends("middle") == ("middle", "bottom", "whw")
    assert not resolved.may_be_in_force("middle") and resolved.may_be_in_force("top")
    ruleset = assert_checks_and_lowering_agree(analysis)
    (top,) = (r for r in ruleset.programme.regimes if r.name == "top")
    assert [p.cite.rule for p in top.permits] == [
        "whw: permit onderwijseenheid", "middle: permit eenheid-van-leeruitkomsten",
        "top: permit eenheid-van-leeruitkomsten"]
    assert [a.cite.rule.split(":")[0] for a in top.allows] == ["whw", "whw", "bottom"]


def test_a_voltijd_submission_under_the_chain_is_permitted_as_the_checks_said() -> None:
    """What the checks found permitted through the proposal is permitted when deciding."""
    ruleset = luk_rules.loads(programme(forms="voltijd, deeltijd", under="whw, top")
                              + UNITS + CHAIN, name="r.luk")
    decision = ruleset.decide(submission("voltijd", "2026-06-01"))
    assert "unit-kind-not-permitted" not in {f.code for f in decision.findings}


def test_extends_stops_at_a_cycle_and_at_an_undeclared_regime() -> None:
    """A cycle (LUK033) or an unknown name (LUK010) ends the chain; nothing loops."""
    text = ('regime a "A"\n  in force always\n  extends b\n  basis "A"\n'
            'regime b "B"\n  in force always\n  extends a\n  basis "B"\n'
            'regime c "C"\n  in force always\n  extends nergens\n  basis "C"\n')
    analysis = analysed(text)
    assert set(codes(analysis)) == {"LUK033", "LUK010"}
    resolved = analysis.resolution
    assert resolved.extends("a") == ("a", "b")
    assert resolved.extends("c") == ("c",)
    assert resolved.extends("nergens") == ()


OWN_REGIME = """
regime eigen "Eigen regeling"
  in force from 2020-01-01
  extends whw
  basis "Eigen"
  permit eenheid-van-leeruitkomsten
    for deeltijd
    when {when}
    basis "Eigen art. 1"
  allow combination A
    for eenheid-van-leeruitkomsten
    basis "Eigen art. 2"
"""


def submission(form: str, date: str) -> dict[str, Any]:
    """A submission claiming the unit of learning outcomes."""
    return {"id": "S", "programme": "P", "form": form, "date": date, "units": ["EVL-1"],
            "assessment": "T", "evidence": [
                {"id": "e1", "type": "bp", "outcomes": ["EVL-1.1"], "date": "2019-06-01",
                 "activity": "werkplaats", "verified": True}]}


def permit_when(resolved: Resolution) -> ast.Condition:
    """The condition of the permit of the regime `eigen`."""
    ((_, permit),) = [(s, p) for s, p in resolved.inherited("eigen", ast.Permit)
                      if s == "eigen"]
    assert permit.when is not None
    return permit.when


@pytest.mark.parametrize("when", ["opted in", "not opted in"])
def test_opted_in_is_a_date_condition_for_the_checks_and_lowering(when: str) -> None:
    """With `opted in DATE`, `opted in` holds from DATE on: the checks do not decide it (it
    depends on the submission date, so neither `opted in` nor `not opted in` gives
    LUK043), and lowering makes it a test on the submission date."""
    analysis = analysed(programme(under="whw, eigen") + UNITS + OWN_REGIME.format(when=when))
    assert codes(analysis) == []
    resolved = analysis.resolution
    facts = resolved.facts
    assert facts is not None and facts.opted_in == dt.date(2025, 1, 1)
    condition = permit_when(resolved)
    assert facts.evaluate(condition) is None
    assert facts.evaluate(condition, "deeltijd") is None
    ruleset = assert_checks_and_lowering_agree(analysis)
    (eigen,) = (r for r in ruleset.programme.regimes if r.name == "eigen")
    if isinstance(condition, ast.Not):
        assert eigen.permits[-1].when == ir.Negation(
            ir.DateFrom(dt.date(2025, 1, 1), span=condition.item.span), span=condition.span)
    else:
        assert eigen.permits[-1].when == ir.DateFrom(dt.date(2025, 1, 1), span=condition.span)


@pytest.mark.parametrize(("when", "before", "after"), [
    ("opted in", False, True),
    ("not opted in", True, False),
])
def test_opted_in_decides_by_the_submission_date(when: str, before: bool, after: bool) -> None:
    """A submission dated before the opt-in date and one dated after it get opposite answers
    from the same permit: both are possible, as the checks say."""
    ruleset = luk_rules.loads(programme(under="whw, eigen") + UNITS
                              + OWN_REGIME.format(when=when), name="r.luk")

    def permitted(date: str) -> bool:
        decision = ruleset.decide(submission("deeltijd", date))
        return "unit-kind-not-permitted" not in {f.code for f in decision.findings}

    assert (permitted("2024-06-01"), permitted("2025-06-01")) == (before, after)


def test_without_opted_in_the_permit_never_holds_for_both() -> None:
    """Without an `opted in` clause, `opted in` is False for the checks (LUK043, with the
    hint to opt in) and a constant False in the IR."""
    analysis = analysed(programme(under="whw, eigen", extra="") + UNITS
                        + OWN_REGIME.format(when="opted in"))
    (warned,) = [d for d in analysis.diagnostics if d.code == "LUK043"]
    assert_warns_to_opt_in(warned)
    resolved = analysis.resolution
    assert resolved.facts is not None and not resolved.facts.opts_in
    assert resolved.facts.evaluate(permit_when(resolved)) is False
    ruleset = assert_checks_and_lowering_agree(analysis)
    (eigen,) = (r for r in ruleset.programme.regimes if r.name == "eigen")
    assert eigen.permits[-1].when == ir.Const(False, span=permit_when(resolved).span)


def assert_warns_to_opt_in(diagnostic: Diagnostic) -> None:
    """LUK043's hint tells how to opt in."""
    assert diagnostic.hint == ("opt in with the programme committee's consent: "
                               "`opted in YYYY-MM-DD`")


# ------------------------------------------------------------------ one resolution


def test_the_pipeline_resolves_once_and_lowering_takes_that_resolution(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading a ruleset resolves it once; lowering never resolves again."""
    calls: list[object] = []

    def counted(workspace: Any) -> Resolution:
        calls.append(workspace)
        return resolve(workspace)

    def refused(workspace: Any) -> Resolution:
        raise AssertionError("lowering resolved the workspace again")

    monkeypatch.setattr(pipeline, "resolve", counted)
    monkeypatch.setattr(lower, "resolve", refused)
    luk_rules.loads(programme() + UNITS, name="r.luk")
    assert len(calls) == 1


def test_lowering_uses_the_resolution_as_it_is() -> None:
    """Lowering reads unit kinds and programme facts from the resolution it is given, not
    from the AST again: a changed resolution changes the IR."""
    analysis = analysed(programme() + UNITS)
    resolved = analysis.resolution
    assert resolved.facts is not None
    changed = attrs.evolve(
        resolved, unit_kinds={**resolved.unit_kinds, "OE-1": "eenheid-van-leeruitkomsten"},
        facts=attrs.evolve(resolved.facts, opted_in=dt.date(2030, 1, 1)))
    ruleset = lower.lower(analysis.workspace, changed)
    assert {u.code: u.kind for u in ruleset.units}["OE-1"] == "eenheid-van-leeruitkomsten"
    assert ruleset.programme.opted_in == dt.date(2030, 1, 1)


def test_check_takes_a_given_resolution() -> None:
    """`check` judges the resolution it is given (the pipeline's), and makes one otherwise."""
    analysis = analysed(programme() + UNITS)
    assert check(analysis.workspace) == check(analysis.workspace,
                                              resolved=analysis.resolution) == []
    assert analysis.resolution.facts is not None
    never = attrs.evolve(analysis.resolution, facts=attrs.evolve(
        analysis.resolution.facts, opts_in=False, opted_in=None))
    assert "LUK043" in {d.code for d in check(analysis.workspace, resolved=never)}
