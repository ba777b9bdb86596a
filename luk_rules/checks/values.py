"""Passes over values and clauses: dates, numbers and vocabulary words are valid, and
each declaration has the clauses it needs, each once (LUK021-LUK030, LUK034)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence

from luk_rules import ast
from luk_rules.checks.common import decl_name, quoted, span_of
from luk_rules.checks.resolve import (
    COMBINATIONS,
    EVL,
    FORMS,
    LEVEL_FAMILIES,
    LEVELS,
    ONDERWIJSEENHEID,
    UNIT_KINDS,
    ClausedDecl,
    Resolution,
    SymbolTable,
    clauses_of,
    conditions_of,
    first_clause,
)
from luk_rules.diagnostics import Diagnostic, Label, error, suggest, warning
from luk_rules.sources import Workspace


def check_dates(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK021: dates are calendar dates, and a period does not end before it starts."""
    table = resolved.table
    for date in _dates(table):
        if _parse_date(date) is None:
            yield error(
                "LUK021",
                f"`{date.value}` is not a calendar date",
                date.span,
                hint="write an existing date as YYYY-MM-DD, e.g. `2025-02-28`",
            )
    for decl in table.declarations:
        if not isinstance(decl, ast.Regime):
            continue
        for period in clauses_of(decl, ast.Period):
            if period.start is None or period.end is None:
                continue
            start, end = _parse_date(period.start), _parse_date(period.end)
            if start is not None and end is not None and end < start:
                yield error(
                    "LUK021",
                    f"regime `{decl.name.value}` ends on {period.end.value}, "
                    f"before it comes into force on {period.start.value}",
                    period.end.span,
                    hint="the `until` date must be on or after the `from` date",
                    labels=[Label(period.start.span, "in force from here")],
                )


def _parse_date(date: ast.DateLit) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(date.value)
    except ValueError:
        return None


def _dates(table: SymbolTable) -> Iterator[ast.DateLit]:
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            for clause in decl.clauses:
                if isinstance(clause, ast.AsIf | ast.OptedInOn | ast.Replaces):
                    yield clause.date
        elif isinstance(decl, ast.Regime):
            for period in clauses_of(decl, ast.Period):
                if period.start is not None:
                    yield period.start
                if period.end is not None:
                    yield period.end
    for node in conditions_of(table):
        if isinstance(node, ast.Submitted):
            yield node.date


def check_numbers(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK022, LUK023, LUK024: credits, ages and item/unit counts are positive."""
    table = resolved.table
    for decl in table.declarations:
        if not isinstance(decl, ast.Programme | ast.EvidenceType | ast.Unit | ast.Assessment):
            continue
        for clause in decl.clauses:
            if isinstance(clause, ast.Credits) and clause.credits.value <= 0:
                yield error(
                    "LUK022",
                    f"unit `{decl_name(decl).value}` has {clause.credits.value} credits",
                    clause.credits.span,
                    hint="write the unit's study load in EC, more than 0, e.g. `credits 5`",
                )
            elif isinstance(clause, ast.MaxAge | ast.DefaultMaxAge) and (
                clause.age.amount.value <= 0
            ):
                written = "max evidence age" if isinstance(clause, ast.DefaultMaxAge) else (
                    "max age")
                yield error(
                    "LUK023",
                    f"a maximum age of {clause.age.amount.value} {clause.age.unit} "
                    "lets no evidence count",
                    clause.age.amount.span,
                    hint=f"write a positive age, e.g. `{written} 2 years`, or leave the "
                    "clause out",
                )
            elif isinstance(clause, ast.MinItems) and clause.count.value <= 0:
                yield error(
                    "LUK024",
                    f"`at least {clause.count.value} items per outcome` asks for no evidence",
                    clause.count.span,
                    hint="every outcome needs at least one item; leave the clause out for "
                    "the default of 1",
                )
            elif isinstance(clause, ast.MaxUnits) and clause.count.value <= 0:
                yield error(
                    "LUK024",
                    f"`at most {clause.count.value} units at once` lets the assessment "
                    "assess no unit",
                    clause.count.span,
                    hint="write a positive number, or leave the clause out for no maximum",
                )
    for exam in (d for d in table.declarations if isinstance(d, ast.ExamProgramme)):
        for exam_clause in clauses_of(exam, ast.Validity):
            if exam_clause.age.amount.value <= 0:
                yield error(
                    "LUK023",
                    f"results valid for {exam_clause.age.amount.value} {exam_clause.age.unit} "
                    "would let no result count",
                    exam_clause.age.amount.span,
                    hint="write a positive period, e.g. `results valid for 6 years`, or leave "
                    "the clause out: results then never expire",
                )


def check_vocabulary(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK025-LUK028: unit kinds, forms, levels and combinations are known words."""
    table = resolved.table
    words: list[tuple[ast.Name, str]] = []
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            for clause in decl.clauses:
                if isinstance(clause, ast.Level):
                    words.append((clause.level, "level"))
                elif isinstance(clause, ast.Forms):
                    words.extend((f, "form") for f in clause.forms)
                elif isinstance(clause, ast.DefaultKind):
                    words.append((clause.kind, "kind"))
        elif isinstance(decl, ast.Unit):
            words.extend((k.kind, "kind") for k in clauses_of(decl, ast.Kind))
        elif isinstance(decl, ast.Regime):
            for regime_clause in decl.clauses:
                if isinstance(regime_clause, ast.Permit):
                    words.append((regime_clause.kind, "kind"))
                    words.extend((f, "form") for f in regime_clause.forms)
                elif isinstance(regime_clause, ast.Allow):
                    words.extend((c, "combination") for c in regime_clause.combinations)
                    words.extend((k, "kind") for k in regime_clause.kinds)
    for node in conditions_of(table):
        if isinstance(node, ast.FormIs):
            words.extend((f, "form") for f in node.forms)
        elif isinstance(node, ast.CombinationIs):
            words.extend((c, "combination") for c in node.combinations)
        elif isinstance(node, ast.LevelIs):
            words.append((node.level, "level or family"))
    for name, what in words:
        yield from _vocabulary_word(name, what)


_VOCABULARY: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "kind": ("LUK025", "unit kind", UNIT_KINDS),
    "form": ("LUK026", "form", FORMS),
    "level": ("LUK027", "level", LEVELS),
    "level or family": ("LUK027", "level", (*LEVELS, *LEVEL_FAMILIES)),
    "combination": ("LUK028", "combination", COMBINATIONS),
}


def _vocabulary_word(name: ast.Name, what: str) -> Iterator[Diagnostic]:
    code, noun, known = _VOCABULARY[what]
    if name.value in known:
        return
    close = suggest(name.value, known)
    hint = f"did you mean `{close}`?" if close else f"the {noun}s are {quoted(known)}"
    yield error(code, f"unknown {noun} `{name.value}`", name.span, hint=hint)


def check_required_clauses(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK029: every declaration has the clauses it cannot do without."""
    table = resolved.table
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            yield from _missing(decl, decl.code, "programme", (
                (ast.Level, "`level`", "add `level hbo-bachelor` (or another level)"),
                (ast.Forms, "`form`", "add `form deeltijd` (or `voltijd`, `duaal`)"),
                (ast.Institution, "`institution`", 'add `institution "Hogeschool ..."`'),
                (ast.Under, "`under`",
                 "add the law regimes it stands under, e.g. `under whw, wet-leeruitkomsten`"),
            ))
        elif isinstance(decl, ast.Unit):
            yield from _missing(decl, decl.name, "unit", (
                (ast.Credits, "`credits`", "add the study load in EC, e.g. `credits 5`"),
                (ast.Outcome, "`outcome`", 'add at least one `outcome 1 "..."`'),
                (ast.Accepts, "`accepts`",
                 "add the evidence types that count, e.g. `accepts beroepsproduct`"),
            ))
            if table.programme is not None and resolved.kind_of(decl).written is None:
                yield error(
                    "LUK029",
                    f"unit `{decl.name.value}` has no `kind` and the programme no `units are`",
                    decl.name.span,
                    hint=f"add `kind {ONDERWIJSEENHEID}` or `kind {EVL}` to the unit, or "
                    f"`units are {ONDERWIJSEENHEID}` to the programme",
                )
        elif isinstance(decl, ast.Assessment):
            yield from _missing(decl, decl.name, "assessment", (
                (ast.Method, "method (`portfolio` or `exam`)",
                 "add `portfolio` (prior evidence is assessed) or `exam` (no prior evidence)"),
                (ast.PathClause, "path (`path-independent` or `path-dependent`)",
                 "add `path-independent` or `path-dependent`"),
            ))
        elif isinstance(decl, ast.Regime):
            yield from _missing(decl, decl.name, "regime", (
                (ast.Period, "period (`in force ...` or `proposal`)",
                 "add `in force always`, `in force from YYYY-MM-DD [until YYYY-MM-DD]` "
                 "or `proposal`"),
                (ast.Basis, "`basis`", 'add the legal basis it rests on: `basis "..."`'),
            ))


def _missing(
    decl: ClausedDecl,
    name: ast.Name,
    noun: str,
    required: Sequence[tuple[type, str, str]],
) -> Iterator[Diagnostic]:
    for cls, written, hint in required:
        if first_clause(decl, cls) is None:
            yield error(
                "LUK029", f"{noun} `{name.value}` has no {written}", name.span, hint=hint
            )


_ONCE: dict[type, dict[type, tuple[str, str | None]]] = {
    ast.Programme: {
        ast.Level: ("`level`", None),
        ast.Forms: ("`form`", "list every form in one clause: `form deeltijd, duaal`"),
        ast.Institution: ("`institution`", None),
        ast.Participates: ("`participates in experiment`", None),
        ast.PracticeComponent: ("`substantial practice component`", None),
        ast.Under: ("`under`", "list every regime in one clause: `under whw, ...`"),
        ast.OptedInOn: ("`opted in`", None),
        ast.Replaces: ("`replaces`", None),
        ast.DefaultKind: ("`units are`", None),
        ast.DefaultMaxAge: ("`max evidence age`", None),
        ast.MinItems: ("`at least ... items per outcome`", None),
        ast.Closing: ("`closing`", "write every paragraph in one clause: "
                      '`closing "..." "..."`'),
    },
    ast.Unit: {
        ast.Credits: ("`credits`", None),
        ast.Kind: ("`kind`", None),
        ast.Accepts: ("`accepts`", "list every evidence type in one `accepts` clause"),
        ast.Recommended: (
            "`recommended activity`",
            "list every activity in one clause: `recommended activity a, b`",
        ),
        ast.MaxAge: ("`max age`", None),
        ast.MinItems: ("`at least ... items per outcome`", None),
    },
    ast.EvidenceType: {
        ast.MaxAge: ("`max age`", None),
        ast.NeedsVerification: ("`needs verification`", None),
    },
    ast.Assessment: {
        ast.Method: ("the method (`portfolio` or `exam`)", None),
        ast.PathClause: ("the path (`path-independent` or `path-dependent`)", None),
        ast.Assesses: ("`assesses`", "list every unit in one `assesses` clause"),
        ast.MaxUnits: ("`at most ... units at once`", None),
    },
    ast.Regime: {
        ast.Period: ("the period (`in force ...` or `proposal`)", None),
        ast.Extends: ("`extends`", None),
        ast.Provenance: ("the status (`enacted` or `interpretation`)", None),
        ast.Basis: ("`basis`", None),
    },
    ast.ExamProgramme: {
        ast.Required: ("`required`", "list every required unit in one clause"),
        ast.Diploma: ("`diploma`", None),
        ast.Validity: ("`results valid for`", None),
        ast.Grounds: ("`exemptions on grounds`", "list every ground in one clause"),
        ast.ExemptionLimit: ("`exemptions count for at most`", None),
        ast.Basis: ("`basis`", None),
    },
}


_NOUN: dict[type, str] = {
    ast.Programme: "programme",
    ast.Unit: "unit",
    ast.EvidenceType: "evidence type",
    ast.Assessment: "assessment",
    ast.Regime: "regime",
    ast.ExamProgramme: "exam programme",
}


def check_repeated_clauses(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK030: a clause that may appear once in a declaration appears once."""
    table = resolved.table
    for decl in table.declarations:
        if isinstance(decl, ast.Include | ast.Rule | ast.Field):
            continue
        once = _ONCE.get(type(decl), {})
        name = decl_name(decl).value
        noun = _NOUN.get(type(decl), "declaration")
        firsts: dict[object, object] = {}
        for clause in decl.clauses:
            key: object
            if isinstance(clause, ast.AsIf):
                key = ("as if", clause.regime.value)
                written = f"`as if {clause.regime.value}`"
                hint: str | None = None
            elif type(clause) in once:
                key = type(clause)
                written, hint = once[type(clause)]
            else:
                continue
            first = firsts.setdefault(key, clause)
            if first is clause:
                continue
            yield error(
                "LUK030",
                f"{written} appears more than once in {noun} `{name}`",
                span_of(clause),
                hint=hint or "keep one of them",
                labels=[Label(span_of(first), "first given here")],
            )


def check_max_units(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK034: `at most N units at once` is not more than the units assessed."""
    table = resolved.table
    for decl in table.declarations:
        if not isinstance(decl, ast.Assessment):
            continue
        units = {n.value for c in clauses_of(decl, ast.Assesses) for n in c.units}
        limit = first_clause(decl, ast.MaxUnits)
        if limit is None or not units or limit.count.value <= len(units):
            continue
        yield warning(
            "LUK034",
            f"assessment `{decl.name.value}` takes at most {limit.count.value} units at once "
            f"but assesses only {len(units)}",
            limit.count.span,
            hint=f"write `at most {len(units)} units at once`, or leave the clause out",
        )
