"""Passes over names: references resolve to a declaration of the right kind, names are
declared and listed once, rules do not take reserved names (LUK010-LUK015, LUK020)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import attrs

from luk_rules import ast
from luk_rules.checks.common import decl_name
from luk_rules.checks.resolve import (
    DeclKind,
    Resolution,
    SymbolTable,
    clauses_of,
    conditions_of,
)
from luk_rules.diagnostics import Diagnostic, Label, error, suggest
from luk_rules.sources import Workspace

_ARTICLE: dict[DeclKind, str] = {
    "programme": "a programme",
    "evidence type": "an evidence type",
    "unit": "a unit",
    "assessment": "an assessment",
    "law regime": "a law regime",
    "rule": "a rule",
}


@attrs.frozen
class Reference:
    """A name that must be declared as ``kind``; ``place`` says where it was written."""

    name: ast.Name
    kind: DeclKind
    place: str


def references(table: SymbolTable) -> Iterator[Reference]:
    """Every reference to a declaration in the workspace, in reading order."""
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            for clause in decl.clauses:
                if isinstance(clause, ast.Under):
                    for name in clause.regimes:
                        yield Reference(name, "law regime", "`under` lists law regimes")
                elif isinstance(clause, ast.AsIf):
                    yield Reference(clause.regime, "law regime", "`as if` names a law regime")
        elif isinstance(decl, ast.Unit):
            for accepts in clauses_of(decl, ast.Accepts):
                for name in accepts.types:
                    yield Reference(name, "evidence type", "`accepts` lists evidence types")
            for narrowed in clauses_of(decl, ast.OutcomeAccepts):
                for name in narrowed.types:
                    yield Reference(name, "evidence type",
                                    "`outcome ... accepts` lists evidence types")
        elif isinstance(decl, ast.Assessment):
            for assesses in clauses_of(decl, ast.Assesses):
                for name in assesses.units:
                    yield Reference(name, "unit", "`assesses` lists units")
        elif isinstance(decl, ast.Regime):
            for extends in clauses_of(decl, ast.Extends):
                yield Reference(extends.regime, "law regime", "`extends` names a law regime")
        elif isinstance(decl, ast.ExamProgramme):
            for names, place in _exam_lists(decl):
                for name in names:
                    yield Reference(name, "unit", place)
    for node in conditions_of(table):
        if isinstance(node, ast.UnitClaimed):
            yield Reference(node.unit, "unit", "`unit ... is claimed` names a unit")
        elif isinstance(node, ast.AssessmentIs):
            yield Reference(
                node.assessment, "assessment", "`assessment is ...` names an assessment"
            )
        elif isinstance(node, ast.EvidenceQuantified):
            for name in node.types:
                yield Reference(name, "evidence type", "`evidence is ...` names evidence types")
        elif isinstance(node, ast.CountEvidence):
            for name in node.types:
                yield Reference(
                    name, "evidence type", "`number of evidence of type` names evidence types"
                )


def _exam_lists(decl: ast.ExamProgramme) -> Iterator[tuple[tuple[ast.Name, ...], str]]:
    """The unit lists of an exam programme, with how each is written."""
    for clause in decl.clauses:
        if isinstance(clause, ast.Required):
            yield clause.units, "`required` lists units"
        elif isinstance(clause, ast.ChooseUnits | ast.ChooseCredits):
            yield clause.units, "`choose ... of` lists units"
        elif isinstance(clause, ast.Entry):
            yield (clause.unit,), "`... only after` starts with a unit"
            yield clause.after, "`only after` lists units"


def _name_lists(table: SymbolTable) -> Iterator[tuple[tuple[ast.Name, ...], str]]:
    """Every list of names, with how the list is written."""
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            for clause in decl.clauses:
                if isinstance(clause, ast.Forms):
                    yield clause.forms, "form"
                elif isinstance(clause, ast.Under):
                    yield clause.regimes, "under"
        elif isinstance(decl, ast.Unit):
            for unit_clause in decl.clauses:
                if isinstance(unit_clause, ast.Accepts):
                    yield unit_clause.types, "accepts"
                elif isinstance(unit_clause, ast.Recommended):
                    yield unit_clause.activities, "recommended activity"
                elif isinstance(unit_clause, ast.OutcomeAccepts):
                    yield unit_clause.types, "outcome ... accepts"
        elif isinstance(decl, ast.Assessment):
            for assesses in clauses_of(decl, ast.Assesses):
                yield assesses.units, "assesses"
        elif isinstance(decl, ast.ExamProgramme):
            for exam_clause in decl.clauses:
                if isinstance(exam_clause, ast.Grounds):
                    yield exam_clause.grounds, "exemptions on grounds"
            for names, place in _exam_lists(decl):
                if "starts with" not in place:
                    yield names, place.split("`")[1]
        elif isinstance(decl, ast.Regime):
            for regime_clause in decl.clauses:
                if isinstance(regime_clause, ast.Permit):
                    yield regime_clause.forms, "permit ... for"
                elif isinstance(regime_clause, ast.Allow):
                    yield regime_clause.combinations, "allow combination"
                    yield regime_clause.kinds, "allow combination ... for"
    for node in conditions_of(table):
        if isinstance(node, ast.EvidenceQuantified):
            yield node.types, "evidence is one of"
        elif isinstance(node, ast.CountEvidence):
            yield node.types, "number of evidence of type"
        elif isinstance(node, ast.CombinationIs):
            yield node.combinations, "combination is one of"
        elif isinstance(node, ast.FormIs):
            yield node.forms, "form is one of"


def check_reserved_rule_names(workspace: Workspace, resolved: Resolution
                              ) -> Iterator[Diagnostic]:
    """LUK015: a rule does not take the name of a built-in finding."""
    table = resolved.table
    for name, decls in table.rules.items():
        if name in ast.BUILT_IN_FINDINGS:
            for decl in decls:
                yield error(
                    "LUK015",
                    f"`{name}` is the code of a built-in finding; a rule cannot take it",
                    decl.name.span,
                    hint=f"give the rule a name of its own, such as `{name}-oer`",
                )


def check_programme_count(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK013: a ruleset describes exactly one programme."""
    table = resolved.table
    if not table.programmes:
        return
    first = table.programmes[0]
    for extra in table.programmes[1:]:
        yield error(
            "LUK013",
            f"a ruleset describes one programme, but `{extra.code.value}` is a second one",
            extra.code.span,
            hint="put each programme variant in its own file and share units with `include`",
            labels=[Label(first.code.span, f"the first programme, `{first.code.value}`")],
        )


def check_duplicates(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK011, LUK012: a name is declared once per kind, an outcome id once per unit."""
    table = resolved.table
    kinds: tuple[tuple[DeclKind, Mapping[str, Sequence[ast.Declaration]]], ...] = (
        ("evidence type", table.evidence),
        ("unit", table.units),
        ("assessment", table.assessments),
        ("law regime", table.regimes),
        ("rule", table.rules),
    )
    for kind, index in kinds:
        for name, decls in index.items():
            first = decl_name(decls[0])
            for again in decls[1:]:
                yield error(
                    "LUK011",
                    f"{kind} `{name}` is declared more than once",
                    decl_name(again).span,
                    hint=f"remove the second declaration or give it another name than `{name}`",
                    labels=[Label(first.span, "first declared here")],
                )
    for decl in table.declarations:
        if not isinstance(decl, ast.Unit):
            continue
        seen: dict[str, ast.Outcome] = {}
        for outcome in clauses_of(decl, ast.Outcome):
            earlier = seen.setdefault(outcome.id.value, outcome)
            if earlier is not outcome:
                yield error(
                    "LUK012",
                    f"outcome `{outcome.id.value}` of unit `{decl.name.value}` "
                    "is declared more than once",
                    outcome.id.span,
                    hint="give every outcome of a unit its own id",
                    labels=[Label(earlier.id.span, "first declared here")],
                )


def check_repeated_names(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK014: a list names each thing once."""
    table = resolved.table
    for names, written in _name_lists(table):
        seen: dict[str, ast.Name] = {}
        for name in names:
            earlier = seen.setdefault(name.value, name)
            if earlier is not name:
                yield error(
                    "LUK014",
                    f"`{name.value}` is listed more than once in `{written}`",
                    name.span,
                    hint=f"remove the second `{name.value}`",
                    labels=[Label(earlier.span, "first listed here")],
                )


def check_references(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK020, LUK010: every referenced name is declared, and as the right kind."""
    table = resolved.table
    for ref in references(table):
        name = ref.name.value
        if table.declares(ref.kind, name):
            continue
        close = suggest(name, table.names(ref.kind))
        did_you_mean = f"did you mean `{close}`?" if close else None
        other = [k for k in table.kinds_of(name) if k != ref.kind]
        if other:
            yield error(
                "LUK020",
                f"`{name}` is {_ARTICLE[other[0]]}, not {_ARTICLE[ref.kind]}",
                ref.name.span,
                hint=f"{ref.place}; {did_you_mean}" if did_you_mean else ref.place,
            )
        elif table.complete:
            yield error(
                "LUK010",
                f"undefined {ref.kind} `{name}`",
                ref.name.span,
                hint=did_you_mean or _declare_hint(ref.kind, name),
            )


def _declare_hint(kind: DeclKind, name: str) -> str:
    if kind == "law regime":
        return (f"declare it with `regime {name} \"...\"`, or put `{name}.luk` in the "
                "`law` folder")
    keyword = {"evidence type": "evidence", "unit": "unit", "assessment": "assessment"}.get(
        kind, kind
    )
    return f"declare it: `{keyword} {name} \"...\"`"
