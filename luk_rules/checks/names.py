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
from luk_rules.i18n import Message, msg
from luk_rules.sources import Workspace

_ARTICLE: dict[DeclKind, Message] = {
    # Translators: what a name is, in "`x` is a unit, not an evidence type".
    "programme": msg("a programme"),
    "evidence type": msg("an evidence type"),
    "unit": msg("a unit"),
    "assessment": msg("an assessment"),
    "law regime": msg("a law regime"),
    "rule": msg("a rule"),
}

_KIND: dict[DeclKind, Message] = {
    # Translators: a kind of declaration, as in "unit `x` is declared more than once".
    "programme": msg("programme"),
    "evidence type": msg("evidence type"),
    "unit": msg("unit"),
    "assessment": msg("assessment"),
    "law regime": msg("law regime"),
    "rule": msg("rule"),
}


@attrs.frozen
class Reference:
    """A name that must be declared as ``kind``; ``place`` says where it was written."""

    name: ast.Name
    kind: DeclKind
    place: Message


def references(table: SymbolTable) -> Iterator[Reference]:
    """Every reference to a declaration in the workspace, in reading order."""
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            for clause in decl.clauses:
                if isinstance(clause, ast.Under):
                    for name in clause.regimes:
                        yield Reference(name, "law regime", msg("`under` lists law regimes"))
                elif isinstance(clause, ast.AsIf):
                    yield Reference(clause.regime, "law regime",
                                    msg("`as if` names a law regime"))
        elif isinstance(decl, ast.Unit):
            for accepts in clauses_of(decl, ast.Accepts):
                for name in accepts.types:
                    yield Reference(name, "evidence type",
                                    msg("`accepts` lists evidence types"))
            for narrowed in clauses_of(decl, ast.OutcomeAccepts):
                for name in narrowed.types:
                    yield Reference(name, "evidence type",
                                    msg("`outcome ... accepts` lists evidence types"))
        elif isinstance(decl, ast.Assessment):
            for assesses in clauses_of(decl, ast.Assesses):
                for name in assesses.units:
                    yield Reference(name, "unit", msg("`assesses` lists units"))
        elif isinstance(decl, ast.Regime):
            for extends in clauses_of(decl, ast.Extends):
                yield Reference(extends.regime, "law regime",
                                msg("`extends` names a law regime"))
        elif isinstance(decl, ast.ExamProgramme):
            for names, _, place in _exam_lists(decl):
                for name in names:
                    yield Reference(name, "unit", place)
    for node in conditions_of(table):
        if isinstance(node, ast.UnitClaimed):
            yield Reference(node.unit, "unit", msg("`unit ... is claimed` names a unit"))
        elif isinstance(node, ast.AssessmentIs):
            yield Reference(
                node.assessment, "assessment", msg("`assessment is ...` names an assessment")
            )
        elif isinstance(node, ast.EvidenceQuantified):
            for name in node.types:
                yield Reference(name, "evidence type",
                                msg("`evidence is ...` names evidence types"))
        elif isinstance(node, ast.CountEvidence):
            for name in node.types:
                yield Reference(
                    name, "evidence type",
                    msg("`number of evidence of type` names evidence types")
                )


def _exam_lists(decl: ast.ExamProgramme
                ) -> Iterator[tuple[tuple[ast.Name, ...], str | None, Message]]:
    """The unit lists of an exam programme: the names, the words of the clause that lists
    them (None for the unit an entry requirement starts with) and what the clause says."""
    for clause in decl.clauses:
        if isinstance(clause, ast.Required):
            yield clause.units, "required", msg("`required` lists units")
        elif isinstance(clause, ast.ChooseUnits | ast.ChooseCredits):
            yield clause.units, "choose ... of", msg("`choose ... of` lists units")
        elif isinstance(clause, ast.Entry):
            yield (clause.unit,), None, msg("`... only after` starts with a unit")
            yield clause.after, "only after", msg("`only after` lists units")


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
            for names, written, _ in _exam_lists(decl):
                if written is not None:
                    yield names, written
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
                    msg("`{name}` is the code of a built-in finding; a rule cannot take it",
                        name=name),
                    decl.name.span,
                    hint=msg("give the rule a name of its own, such as `{name}-oer`", name=name),
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
            msg("a ruleset describes one programme, but `{code}` is a second one",
                code=extra.code.value),
            extra.code.span,
            hint=msg("put each programme variant in its own file and share units with "
                     "`include`"),
            labels=[Label(first.code.span, msg("the first programme, `{code}`",
                                               code=first.code.value))],
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
                    msg("{kind} `{name}` is declared more than once", kind=_KIND[kind],
                        name=name),
                    decl_name(again).span,
                    hint=msg("remove the second declaration or give it another name than "
                             "`{name}`", name=name),
                    labels=[Label(first.span, msg("first declared here"))],
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
                    msg("outcome `{outcome}` of unit `{unit}` is declared more than once",
                        outcome=outcome.id.value, unit=decl.name.value),
                    outcome.id.span,
                    hint=msg("give every outcome of a unit its own id"),
                    labels=[Label(earlier.id.span, msg("first declared here"))],
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
                    msg("`{name}` is listed more than once in `{written}`", name=name.value,
                        written=written),
                    name.span,
                    hint=msg("remove the second `{name}`", name=name.value),
                    labels=[Label(earlier.span, msg("first listed here"))],
                )


def check_references(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK020, LUK010: every referenced name is declared, and as the right kind."""
    table = resolved.table
    for ref in references(table):
        name = ref.name.value
        if table.declares(ref.kind, name):
            continue
        close = suggest(name, table.names(ref.kind))
        other = [k for k in table.kinds_of(name) if k != ref.kind]
        if other:
            yield error(
                "LUK020",
                msg("`{name}` is {actual}, not {expected}", name=name,
                    actual=_ARTICLE[other[0]], expected=_ARTICLE[ref.kind]),
                ref.name.span,
                hint=msg("{place}; did you mean `{close}`?", place=ref.place, close=close)
                if close else ref.place,
            )
        elif table.complete:
            yield error(
                "LUK010",
                msg("undefined {kind} `{name}`", kind=_KIND[ref.kind], name=name),
                ref.name.span,
                hint=msg("did you mean `{name}`?", name=close) if close
                else _declare_hint(ref.kind, name),
            )


def _declare_hint(kind: DeclKind, name: str) -> Message:
    if kind == "law regime":
        return msg("declare it with `regime {name} \"...\"`, or put `{name}.luk` in the "
                   "`law` folder", name=name)
    keyword = {"evidence type": "evidence", "unit": "unit", "assessment": "assessment"}.get(
        kind, kind
    )
    return msg("declare it: `{keyword} {name} \"...\"`", keyword=keyword, name=name)
