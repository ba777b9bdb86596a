"""Passes over values and clauses: dates, numbers and vocabulary words are valid, and
each declaration has the clauses it needs, each once (LUK021-LUK030, LUK034)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Sequence
from typing import TypeAlias

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
from luk_rules.i18n import Message, msg
from luk_rules.sources import Workspace


def check_dates(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK021: dates are calendar dates, and a period does not end before it starts."""
    table = resolved.table
    for date in _dates(table):
        if _parse_date(date) is None:
            yield error(
                "LUK021",
                msg("`{date}` is not a calendar date", date=date.value),
                date.span,
                hint=msg("write an existing date as YYYY-MM-DD, e.g. `2025-02-28`"),
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
                    msg("regime `{name}` ends on {end}, before it comes into force on "
                        "{start}", name=decl.name.value, end=period.end.value,
                        start=period.start.value),
                    period.end.span,
                    hint=msg("the `until` date must be on or after the `from` date"),
                    labels=[Label(period.start.span, msg("in force from here"))],
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
                    msg("unit `{name}` has {credits} credits", name=decl_name(decl).value,
                        credits=clause.credits.value),
                    clause.credits.span,
                    hint=msg("write the unit's study load in EC, more than 0, e.g. "
                             "`credits 5`"),
                )
            elif isinstance(clause, ast.MaxAge | ast.DefaultMaxAge) and (
                clause.age.amount.value <= 0
            ):
                written = "max evidence age" if isinstance(clause, ast.DefaultMaxAge) else (
                    "max age")
                yield error(
                    "LUK023",
                    msg("a maximum age of {amount} {unit} lets no evidence count",
                        amount=clause.age.amount.value, unit=_AGE_UNIT[clause.age.unit]),
                    clause.age.amount.span,
                    hint=msg("write a positive age, e.g. `{written} 2 years`, or leave the "
                             "clause out", written=written),
                )
            elif isinstance(clause, ast.MinItems) and clause.count.value <= 0:
                yield error(
                    "LUK024",
                    msg("`at least {count} items per outcome` asks for no evidence",
                        count=clause.count.value),
                    clause.count.span,
                    hint=msg("every outcome needs at least one item; leave the clause out for "
                             "the default of 1"),
                )
            elif isinstance(clause, ast.MaxUnits) and clause.count.value <= 0:
                yield error(
                    "LUK024",
                    msg("`at most {count} units at once` lets the assessment assess no unit",
                        count=clause.count.value),
                    clause.count.span,
                    hint=msg("write a positive number, or leave the clause out for no "
                             "maximum"),
                )
    for exam in (d for d in table.declarations if isinstance(d, ast.ExamProgramme)):
        for exam_clause in clauses_of(exam, ast.Validity):
            if exam_clause.age.amount.value <= 0:
                yield error(
                    "LUK023",
                    msg("results valid for {amount} {unit} would let no result count",
                        amount=exam_clause.age.amount.value,
                        unit=_AGE_UNIT[exam_clause.age.unit]),
                    exam_clause.age.amount.span,
                    hint=msg("write a positive period, e.g. `results valid for 6 years`, or "
                             "leave the clause out: results then never expire"),
                )


# Translators: a unit of time after a number: "a maximum age of 0 years".
_AGE_UNIT: dict[ast.AgeUnit, Message] = {"years": msg("years"), "months": msg("months")}


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


_Wording: TypeAlias = Callable[[str], Message]
# For each kind of word: its code, the known words, "unknown X `name`", "the Xs are ...".
_VOCABULARY: dict[str, tuple[str, tuple[str, ...], _Wording, _Wording]] = {
    "kind": ("LUK025", UNIT_KINDS,
             lambda name: msg("unknown unit kind `{name}`", name=name),
             lambda known: msg("the unit kinds are {known}", known=known)),
    "form": ("LUK026", FORMS,
             lambda name: msg("unknown form `{name}`", name=name),
             lambda known: msg("the forms are {known}", known=known)),
    "level": ("LUK027", LEVELS,
              lambda name: msg("unknown level `{name}`", name=name),
              lambda known: msg("the levels are {known}", known=known)),
    "level or family": ("LUK027", (*LEVELS, *LEVEL_FAMILIES),
                        lambda name: msg("unknown level `{name}`", name=name),
                        lambda known: msg("the levels are {known}", known=known)),
    "combination": ("LUK028", COMBINATIONS,
                    lambda name: msg("unknown combination `{name}`", name=name),
                    lambda known: msg("the combinations are {known}", known=known)),
}


def _vocabulary_word(name: ast.Name, what: str) -> Iterator[Diagnostic]:
    code, known, unknown, listing = _VOCABULARY[what]
    if name.value in known:
        return
    close = suggest(name.value, known)
    hint = msg("did you mean `{name}`?", name=close) if close else listing(quoted(known))
    yield error(code, unknown(name.value), name.span, hint=hint)


def check_required_clauses(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK029: every declaration has the clauses it cannot do without."""
    table = resolved.table
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            yield from _missing(decl, decl.code, (
                (ast.Level, lambda n: msg("programme `{name}` has no `level`", name=n),
                 msg("add `level hbo-bachelor` (or another level)")),
                (ast.Forms, lambda n: msg("programme `{name}` has no `form`", name=n),
                 msg("add `form deeltijd` (or `voltijd`, `duaal`)")),
                (ast.Institution,
                 lambda n: msg("programme `{name}` has no `institution`", name=n),
                 msg('add `institution "Hogeschool ..."`')),
                (ast.Under, lambda n: msg("programme `{name}` has no `under`", name=n),
                 msg("add the law regimes it stands under, e.g. "
                     "`under whw, wet-leeruitkomsten`")),
            ))
        elif isinstance(decl, ast.Unit):
            yield from _missing(decl, decl.name, (
                (ast.Credits, lambda n: msg("unit `{name}` has no `credits`", name=n),
                 msg("add the study load in EC, e.g. `credits 5`")),
                (ast.Outcome, lambda n: msg("unit `{name}` has no `outcome`", name=n),
                 msg('add at least one `outcome 1 "..."`')),
                (ast.Accepts, lambda n: msg("unit `{name}` has no `accepts`", name=n),
                 msg("add the evidence types that count, e.g. `accepts beroepsproduct`")),
            ))
            if table.programme is not None and resolved.kind_of(decl).written is None:
                yield error(
                    "LUK029",
                    msg("unit `{name}` has no `kind` and the programme no `units are`",
                        name=decl.name.value),
                    decl.name.span,
                    hint=msg("add `kind {course}` or `kind {evl}` to the unit, or "
                             "`units are {course}` to the programme",
                             course=ONDERWIJSEENHEID, evl=EVL),
                )
        elif isinstance(decl, ast.Assessment):
            yield from _missing(decl, decl.name, (
                (ast.Method,
                 lambda n: msg("assessment `{name}` has no method (`portfolio` or `exam`)",
                               name=n),
                 msg("add `portfolio` (prior evidence is assessed) or `exam` (no prior "
                     "evidence)")),
                (ast.PathClause,
                 lambda n: msg("assessment `{name}` has no path (`path-independent` or "
                               "`path-dependent`)", name=n),
                 msg("add `path-independent` or `path-dependent`")),
            ))
        elif isinstance(decl, ast.Regime):
            yield from _missing(decl, decl.name, (
                (ast.Period,
                 lambda n: msg("regime `{name}` has no period (`in force ...` or `proposal`)",
                               name=n),
                 msg("add `in force always`, `in force from YYYY-MM-DD [until YYYY-MM-DD]` "
                     "or `proposal`")),
                (ast.Basis, lambda n: msg("regime `{name}` has no `basis`", name=n),
                 msg('add the legal basis it rests on: `basis "..."`')),
            ))


def _missing(
    decl: ClausedDecl,
    name: ast.Name,
    required: Sequence[tuple[type, _Wording, Message]],
) -> Iterator[Diagnostic]:
    """LUK029 for each clause of ``required`` that ``decl`` lacks: (the clause's class,
    the message for a declaration of that name, the hint)."""
    for cls, missing, hint in required:
        if first_clause(decl, cls) is None:
            yield error("LUK029", missing(name.value), name.span, hint=hint)


# For each kind of declaration, the clauses it may have once: how the clause is named in
# "... appears more than once" (its words, or a message), and a hint other than "keep one".
_ONCE: dict[type, dict[type, tuple[str, Message | None]]] = {
    ast.Programme: {
        ast.Level: ("`level`", None),
        ast.Forms: ("`form`", msg("list every form in one clause: `form deeltijd, duaal`")),
        ast.Institution: ("`institution`", None),
        ast.Participates: ("`participates in experiment`", None),
        ast.PracticeComponent: ("`substantial practice component`", None),
        ast.Under: ("`under`", msg("list every regime in one clause: `under whw, ...`")),
        ast.OptedInOn: ("`opted in`", None),
        ast.Replaces: ("`replaces`", None),
        ast.DefaultKind: ("`units are`", None),
        ast.DefaultMaxAge: ("`max evidence age`", None),
        ast.MinItems: ("`at least ... items per outcome`", None),
        ast.Closing: ("`closing`", msg("write every paragraph in one clause: "
                                       '`closing "..." "..."`')),
    },
    ast.Unit: {
        ast.Credits: ("`credits`", None),
        ast.Kind: ("`kind`", None),
        ast.Accepts: ("`accepts`", msg("list every evidence type in one `accepts` clause")),
        ast.Recommended: (
            "`recommended activity`",
            msg("list every activity in one clause: `recommended activity a, b`"),
        ),
        ast.MaxAge: ("`max age`", None),
        ast.MinItems: ("`at least ... items per outcome`", None),
    },
    ast.EvidenceType: {
        ast.MaxAge: ("`max age`", None),
        ast.NeedsVerification: ("`needs verification`", None),
    },
    ast.Assessment: {
        ast.Method: (msg("the method (`portfolio` or `exam`)"), None),
        ast.PathClause: (msg("the path (`path-independent` or `path-dependent`)"), None),
        ast.Assesses: ("`assesses`", msg("list every unit in one `assesses` clause")),
        ast.MaxUnits: ("`at most ... units at once`", None),
    },
    ast.Regime: {
        ast.Period: (msg("the period (`in force ...` or `proposal`)"), None),
        ast.Extends: ("`extends`", None),
        ast.Provenance: (msg("the status (`enacted` or `interpretation`)"), None),
        ast.Basis: ("`basis`", None),
    },
    ast.ExamProgramme: {
        ast.Required: ("`required`", msg("list every required unit in one clause")),
        ast.Diploma: ("`diploma`", None),
        ast.Validity: ("`results valid for`", None),
        ast.Grounds: ("`exemptions on grounds`", msg("list every ground in one clause")),
        ast.ExemptionLimit: ("`exemptions count for at most`", None),
        ast.Basis: ("`basis`", None),
    },
}


_NOUN: dict[type, Message] = {
    # Translators: a kind of declaration, as in "`credits` appears more than once in unit `x`".
    ast.Programme: msg("programme"),
    ast.Unit: msg("unit"),
    ast.EvidenceType: msg("evidence type"),
    ast.Assessment: msg("assessment"),
    ast.Regime: msg("regime"),
    ast.ExamProgramme: msg("exam programme"),
}


def check_repeated_clauses(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK030: a clause that may appear once in a declaration appears once."""
    table = resolved.table
    for decl in table.declarations:
        if isinstance(decl, ast.Include | ast.Rule | ast.Field):
            continue
        once = _ONCE.get(type(decl), {})
        name = decl_name(decl).value
        noun = _NOUN.get(type(decl)) or msg("declaration")
        firsts: dict[object, object] = {}
        for clause in decl.clauses:
            key: object
            if isinstance(clause, ast.AsIf):
                key = ("as if", clause.regime.value)
                written: str = f"`as if {clause.regime.value}`"
                hint: Message | None = None
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
                msg("{clause} appears more than once in {noun} `{name}`", clause=written,
                    noun=noun, name=name),
                span_of(clause),
                hint=hint or msg("keep one of them"),
                labels=[Label(span_of(first), msg("first given here"))],
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
            msg("assessment `{name}` takes at most {limit} units at once but assesses only "
                "{count}", name=decl.name.value, limit=limit.count.value, count=len(units)),
            limit.count.span,
            hint=msg("write `at most {count} units at once`, or leave the clause out",
                     count=len(units)),
        )
