"""``luk law``: the law regimes, what each permits and allows and on what authority, and
which one governs a programme of each form and level on a date.

:func:`law_report` reads the shipped law (every file of ``rulesets/law``, each through the
normal loader and checks, like any ruleset) or one ruleset's regimes, and returns a
:class:`LawReport`: data only, nothing printed (``luk_rules.report.law_text`` writes it
for people, :meth:`LawReport.to_dict` as JSON, :data:`LAW_SCHEMA` describes that JSON).
Its words are messages (:attr:`RegimeEntry.period`): English in the JSON, any language in
the text.

Which regime *governs* a form and level on a date (:class:`Governing`): of the candidate
regimes in force on the date, latest in force first (``in force always`` counts as the
earliest; ties by name, the last first, as in language.md §9), the first whose *own*
``permit`` clauses (not those it inherits through ``extends``) include the form with a
condition that is not False for that level; when there is none, the latest in force. The
candidates and the facts the conditions are judged by:

- the shipped law, or a file of regimes without a programme: every regime that is not a
  ``proposal``, for every form and level, judged for a programme that makes every choice
  the law leaves to the institution in its favour (:meth:`ProgrammeFacts.assumed`: it
  participates in the experiment, declares a substantial practice component, opted in,
  keeps a recommended route);
- a ruleset with a programme: the regimes the programme stands ``under`` (a proposal only
  through ``as if``, from its date), for the programme's own forms and level, judged by
  the programme's facts on the date.

So on 2025-03-01 the Wet leeruitkomsten governs deeltijd and duaal, hbo and wo (it permits
units of learning outcomes there itself), and the WHW voltijd (the Wet leeruitkomsten
permits nothing of its own for voltijd). A decision applies the latest regime in force
with everything it inherits (:attr:`ProgrammeEntry.applies`); in the shipped law, where
every regime extends the WHW, that permits for such a form exactly what the governing
regime does: ``luk law`` names the regime whose own clause a programme relies on.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

import attrs

from luk_rules import ast, pipeline
from luk_rules.checks.resolve import (
    FORMS,
    LEVELS,
    ProgrammeFacts,
    Resolution,
    clauses_of,
    first_clause,
    remaining,
)
from luk_rules.errors import RulesetError, RulesetUnreadable
from luk_rules.i18n import Message, msg
from luk_rules.printer import condition_text
from luk_rules.resources import law_dir
from luk_rules.sources import DEFAULT_MAX_FILE_SIZE

Reason = Literal["own-permit", "latest-in-force", "none-in-force"]
"""Why a regime governs a form and level: its own permit for the form holds (or may), or
no candidate has one and it is the latest in force, or no candidate is in force."""

STATUSES: Final = ("enacted", "interpretation", "proposal", "")
"""The statuses of a law citation ("" when neither the clause nor its regime says)."""


@attrs.frozen
class Clause:
    """One ``permit`` or ``allow`` of a regime, with the regime that declares it.

    Attributes:
        clause: ``permit`` or ``allow``.
        kinds: the unit kinds (a permit's one kind; an allow's ``for`` kinds).
        forms: a permit's forms (empty for an allow).
        combinations: an allow's combinations (empty for a permit).
        when: the condition as written canonically, or None when it has none.
        basis: the clause's citation.
        status: ``enacted``, ``interpretation``, ``proposal``, or "" (not stated): its
            own, else its regime's.
        reading: for an interpretation, whose reading and why.
        source: where it is written (``file:line:column``).
        regime: the regime that declares it.
    """

    clause: Literal["permit", "allow"]
    kinds: tuple[str, ...]
    forms: tuple[str, ...]
    combinations: tuple[str, ...]
    when: str | None
    basis: str
    status: str
    reading: str
    source: str
    regime: str

    def to_dict(self) -> dict[str, Any]:
        """As in :data:`LAW_SCHEMA`."""
        return attrs.asdict(self, recurse=False, value_serializer=_plain)


@attrs.frozen
class RegimeEntry:
    """One law regime as ``luk law`` lists it.

    Attributes:
        name, title: as declared.
        period: the period in words (``in force from 2025-01-01``, ``proposal, as if in
            force from 2026-09-01``, ...).
        start, end: the first and last day in force (None: no bound), ``as if`` applied.
        proposal: whether it is a ``proposal``.
        as_if: the date from which the programme evaluates it as if in force, or None.
        in_force: whether it is in force on the report's date (a proposal only through
            ``as if``).
        extends: the regimes it names in ``extends``.
        basis, status, reading: its citation and what that is.
        source: where it is declared (``file:line:column``).
        shipped: whether its file is the shipped law (or an exact copy).
        permits, allows: its clauses and those it inherits through ``extends``, each with
            the regime that declares it; of the furthest regime first, its own last.
    """

    name: str
    title: str
    period: str
    start: dt.date | None
    end: dt.date | None
    proposal: bool
    as_if: dt.date | None
    in_force: bool
    extends: tuple[str, ...]
    basis: str
    status: str
    reading: str
    source: str
    shipped: bool
    permits: tuple[Clause, ...]
    allows: tuple[Clause, ...]

    def to_dict(self) -> dict[str, Any]:
        """As in :data:`LAW_SCHEMA`."""
        found = attrs.asdict(self, recurse=False, value_serializer=_plain)
        found["permits"] = [c.to_dict() for c in self.permits]
        found["allows"] = [c.to_dict() for c in self.allows]
        return found


@attrs.frozen
class Permitted:
    """A unit kind the governing regime permits for a form, own or inherited.

    Attributes:
        kind: the unit kind.
        when: what the permit still asks (its condition without what the level and form,
            or the programme's facts, settle), or None when nothing.
        regime: the regime that declares the permit.
        basis, status: the permit's citation and what that is.
        source: where the permit is written.
    """

    kind: str
    when: str | None
    regime: str
    basis: str
    status: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """As in :data:`LAW_SCHEMA`."""
        return attrs.asdict(self, recurse=False)


@attrs.frozen
class Governing:
    """Which regime governs programmes of one form and level on the report's date.

    Attributes:
        form, level: the programme's form and level.
        regime: the regime that governs, or None when none is in force.
        title, status: its title and status ("" when there is none).
        reason: why it governs (:data:`Reason`).
        permits: the unit kinds it permits for the form: its own first, then those it
            inherits, nearest regime first; a permit whose condition cannot hold is left
            out.
    """

    form: str
    level: str
    regime: str | None
    title: str
    status: str
    reason: Reason
    permits: tuple[Permitted, ...]

    def to_dict(self) -> dict[str, Any]:
        """As in :data:`LAW_SCHEMA`."""
        found = attrs.asdict(self, recurse=False)
        found["permits"] = [p.to_dict() for p in self.permits]
        return found


@attrs.frozen
class ProgrammeEntry:
    """The programme of a ruleset, as far as the law is concerned.

    Attributes:
        code, title, level, forms: as declared.
        under: the regimes it stands under, as written.
        as_if: the regimes it evaluates as if in force, with the date from which.
        applies: the regime a decision on the report's date applies (language.md §9: of
            the regimes in ``under`` in force, the one that came into force last, with
            what it inherits), or None when none is in force.
    """

    code: str
    title: str
    level: str
    forms: tuple[str, ...]
    under: tuple[str, ...]
    as_if: Mapping[str, dt.date | None]
    applies: str | None

    def to_dict(self) -> dict[str, Any]:
        """As in :data:`LAW_SCHEMA`."""
        found = attrs.asdict(self, recurse=False, value_serializer=_plain)
        found["as_if"] = {name: _plain(self, None, date) for name, date in self.as_if.items()}
        return found


@attrs.frozen
class LawReport:
    """What ``luk law`` reports: the regimes and which governs each form and level.

    Attributes:
        date: the date asked about.
        ruleset: the ruleset's file (named as in its sources), or None for the shipped law.
        assumption: ``favourable`` (any programme, judged as making every institution
            choice) or ``programme`` (the ruleset's programme, by its facts).
        programme: the ruleset's programme, or None.
        regimes: every regime, sorted by name.
        governing: one entry per form and level, in the order of the language's forms and
            levels (for a programme: its forms, its level).
    """

    date: dt.date
    ruleset: str | None
    assumption: Literal["favourable", "programme"]
    programme: ProgrammeEntry | None
    regimes: tuple[RegimeEntry, ...]
    governing: tuple[Governing, ...]

    def regime(self, name: str) -> RegimeEntry | None:
        """The regime ``name``, or None."""
        return next((r for r in self.regimes if r.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON data (:data:`LAW_SCHEMA`); ``json.dumps(..., sort_keys=True)``
        of it is the same on every run."""
        return {
            "date": self.date.isoformat(),
            "law": "shipped" if self.ruleset is None else "ruleset",
            "ruleset": self.ruleset,
            "assumption": self.assumption,
            "programme": self.programme.to_dict() if self.programme is not None else None,
            "regimes": [r.to_dict() for r in self.regimes],
            "governing": [g.to_dict() for g in self.governing],
        }


def _plain(_inst: object, _field: object, value: Any) -> Any:
    """Dates as ISO text, tuples as lists: JSON values."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


# ---------------------------------------------------------------- building the report


def law_report(on: dt.date, ruleset: str | os.PathLike[str] | None = None, *,
               roots: Iterable[str | os.PathLike[str]] = (),
               max_file_size: int = DEFAULT_MAX_FILE_SIZE,
               law: Path | None = None) -> LawReport:
    """The law regimes and which governs each form and level on ``on``.

    Without ``ruleset``: the shipped law (the files of ``law``, by default the shipped
    law folder), each file read and checked as a ruleset of its own. With ``ruleset``:
    its regimes (those it stands ``under`` and those they extend, with ``as if`` dates
    applied, and its own), and for a programme its forms and level by its facts.

    Raises:
        RulesetUnreadable: when the ruleset (or a root) cannot be read, or ``law`` holds no
            law files.
        RulesetError: with every diagnostic, when the ruleset or a law file has errors.
    """
    if ruleset is not None:
        analysis = pipeline.analyse(Path(ruleset), roots=roots, max_file_size=max_file_size)
        _ensure_ok([analysis])
        resolution = analysis.resolution
        homes = {name: (resolution, analysis) for name in resolution.table.regimes}
        return _report(on, analysis.workspace.root, homes, resolution.facts)
    folder = law if law is not None else law_dir()
    files = sorted(p for p in folder.glob("*.luk") if p.is_file()) if folder.is_dir() else []
    if not files:
        raise RulesetUnreadable(str(folder), msg("no law regimes (*.luk files) in it"))
    analyses = [pipeline.analyse(path, max_file_size=max_file_size) for path in files]
    _ensure_ok(analyses)
    homes = {}
    for analysis in analyses:  # each regime as resolved where its own file is the root
        own = analysis.workspace.files[0].module
        declared = {d.name.value for d in own.declarations if isinstance(d, ast.Regime)} \
            if own is not None else set()
        for name in analysis.resolution.table.regimes:
            if name in declared or name not in homes:
                homes[name] = (analysis.resolution, analysis)
    return _report(on, None, homes, None)


def _ensure_ok(analyses: Sequence[pipeline.Analysis]) -> None:
    """Raise the errors of every analysis that has any, with the files they name."""
    bad = [a for a in analyses if not a.ok]
    if not bad:
        return
    diagnostics = [d for a in bad for d in a.diagnostics]
    texts = {k: v for a in bad for k, v in a.workspace.texts.items()}
    paths = {k: v for a in bad for k, v in a.workspace.paths.items()}
    raise RulesetError(diagnostics, texts, paths)


_Home = tuple[Resolution, pipeline.Analysis]


def _report(on: dt.date, ruleset: str | None, homes: Mapping[str, _Home],
            facts: ProgrammeFacts | None) -> LawReport:
    regimes = {name: _regime(name, on, *home) for name, home in homes.items()}
    if facts is None:
        candidates = [n for n, r in regimes.items() if r.in_force and not r.proposal]
        rows = [_governing(form, level, on, candidates, regimes, homes,
                           ProgrammeFacts.assumed(level, form), favourable=True)
                for form in FORMS for level in LEVELS]
        programme = None
    else:
        candidates = [n for n in dict.fromkeys(facts.under) if n in regimes
                      and regimes[n].in_force]
        level = facts.level or ""
        rows = [_governing(form, level, on, candidates, regimes, homes, facts,
                           favourable=False) for form in facts.forms]
        latest = _latest_first(candidates, regimes)
        title = facts.programme.title.value
        programme = ProgrammeEntry(facts.programme.code.value, title, level, facts.forms,
                                   facts.under, dict(facts.as_if),
                                   latest[0] if latest else None)
    return LawReport(on, ruleset, "favourable" if facts is None else "programme", programme,
                     tuple(regimes[n] for n in sorted(regimes)), tuple(rows))


def _latest_first(names: Iterable[str], regimes: Mapping[str, RegimeEntry]) -> list[str]:
    """Latest in force first; ``in force always`` last; on the same day, the last name
    first (language.md §9)."""
    return sorted(names, key=lambda n: (regimes[n].start or dt.date.min, n), reverse=True)


def _governing(form: str, level: str, on: dt.date, candidates: Sequence[str],
               regimes: Mapping[str, RegimeEntry], homes: Mapping[str, _Home],
               facts: ProgrammeFacts, *, favourable: bool) -> Governing:
    order = _latest_first(candidates, regimes)
    chosen: str | None = None
    reason: Reason = "none-in-force"
    for name in order:
        resolution = homes[name][0]
        regime = resolution.table.regime(name)
        own = clauses_of(regime, ast.Permit) if regime is not None else []
        if any(form in _values(p.forms) and facts.evaluate(p.when, form, on) is not False
               for p in own):
            chosen, reason = name, "own-permit"
            break
    if chosen is None and order:
        chosen, reason = order[0], "latest-in-force"
    if chosen is None:
        return Governing(form, level, None, "", "", reason, ())

    def settled(node: ast.Condition) -> bool | None:
        # Any programme: only what its level and form settle; the institution's choices
        # stay as conditions. A programme: everything its facts settle on the date.
        if favourable and not isinstance(node, ast.LevelIs | ast.FormIs):
            return None
        return facts.atom(node, form, on)

    resolution = homes[chosen][0]
    permitted: list[Permitted] = []
    for source, permit in resolution.inherited(chosen, ast.Permit):
        if form not in _values(permit.forms):
            continue
        left = True if permit.when is None else remaining(permit.when, settled)
        if left is False:
            continue
        permitted.append(Permitted(
            permit.kind.value, None if left is True else condition_text(left), source,
            permit.basis.cited, resolution.clause_status(permit, source)[0],
            str(permit.span)))
    nearest = resolution.extends(chosen)  # its own permits first, then what it extends
    permitted.sort(key=lambda p: nearest.index(p.regime))
    entry = regimes[chosen]
    return Governing(form, level, chosen, entry.title, entry.status, reason,
                     tuple(permitted))


def _values(names: Iterable[ast.Name]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.value for n in names))


def _regime(name: str, on: dt.date, resolution: Resolution,
            analysis: pipeline.Analysis) -> RegimeEntry:
    decl = resolution.table.regimes[name][0]
    start, end = resolution.period(name)
    proposal = resolution.is_proposal(name)
    as_if = resolution.facts.as_if.get(name) if resolution.facts is not None else None
    never = not resolution.may_be_in_force(name)
    in_force = not never and (start is None or start <= on) and (end is None or on <= end)
    status, reading = resolution.status(name)
    basis = first_clause(decl, ast.Basis)
    shipped = next((f.shipped for f, d in analysis.workspace.declarations() if d is decl),
                   False)
    return RegimeEntry(
        name=name, title=decl.title.value,
        period=_period_text(first_clause(decl, ast.Period), as_if),
        start=start, end=end, proposal=proposal, as_if=as_if, in_force=in_force,
        extends=_values(c.regime for c in clauses_of(decl, ast.Extends)),
        basis=basis.cited if basis is not None else "",
        status=status, reading=reading, source=str(decl.span), shipped=shipped,
        permits=tuple(_clause(resolution, source, c)
                      for source, c in resolution.inherited(name, ast.Permit)),
        allows=tuple(_clause(resolution, source, c)
                     for source, c in resolution.inherited(name, ast.Allow)),
    )


def _period_text(period: ast.Period | None, as_if: dt.date | None) -> Message:
    """The period in words (a :class:`Message`: English in the JSON, ``lang`` in text)."""
    text: Message
    if period is None or period.kind == "always":
        text = msg("in force always")
    elif period.kind == "proposal":
        # Translators: the period of a law regime that is a proposal, not law.
        text = msg("proposal")
    else:
        start = str(period.start.value) if period.start else "?"
        text = (msg("in force from {start}", start=start) if period.end is None else
                msg("in force from {start} until {end}", start=start,
                    end=str(period.end.value)))
    if as_if is None:
        return text
    return msg("{period}, as if in force from {date}", period=text, date=as_if.isoformat())


def _clause(resolution: Resolution, regime: str, clause: ast.Permit | ast.Allow) -> Clause:
    status, reading = resolution.clause_status(clause, regime)
    when = condition_text(clause.when) if clause.when is not None else None
    kinds: tuple[str, ...]
    forms: tuple[str, ...]
    combinations: tuple[str, ...]
    if isinstance(clause, ast.Permit):
        kinds, forms, combinations = (clause.kind.value,), _values(clause.forms), ()
    else:
        kinds, forms, combinations = _values(clause.kinds), (), _values(clause.combinations)
    return Clause("permit" if isinstance(clause, ast.Permit) else "allow", kinds, forms,
                  combinations, when, clause.basis.cited, status, reading,
                  str(clause.span), regime)


# ---------------------------------------------------------------- the JSON Schema

_NAMES: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
_DATE: dict[str, Any] = {"type": "string", "format": "date"}
_STATUS: dict[str, Any] = {"enum": list(STATUSES)}

_CLAUSE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["clause", "kinds", "forms", "combinations", "when", "basis", "status",
                 "reading", "source", "regime"],
    "properties": {
        "clause": {"enum": ["permit", "allow"]},
        "kinds": _NAMES,
        "forms": {**_NAMES, "description": "a permit's forms; empty for an allow"},
        "combinations": {**_NAMES, "description": "an allow's combinations; empty for a permit"},
        "when": {"type": ["string", "null"], "description": "the condition, canonical text"},
        "basis": {"type": "string"},
        "status": _STATUS,
        "reading": {"type": "string", "description": "whose reading and why (interpretation)"},
        "source": {"type": "string", "description": "file:line:column"},
        "regime": {"type": "string", "description": "the regime that declares the clause"},
    },
}

LAW_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://luk-rules.example/schema/law.json",
    "title": "Law",
    "description": "`luk law --format json`: the law regimes, and which governs programmes of "
    "each form and level on a date (docs/law.md).",
    "type": "object",
    "additionalProperties": False,
    "required": ["date", "law", "ruleset", "assumption", "programme", "regimes", "governing"],
    "$defs": {"clause": _CLAUSE},
    "properties": {
        "date": _DATE,
        "law": {"enum": ["shipped", "ruleset"]},
        "ruleset": {"type": ["string", "null"]},
        "assumption": {
            "enum": ["favourable", "programme"],
            "description": "favourable: any programme, judged as participating in the "
            "experiment, declaring a substantial practice component, opted in and keeping a "
            "recommended route; programme: the "
            "ruleset's programme, by its facts on the date"},
        "programme": {
            "anyOf": [{"type": "null"}, {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "title", "level", "forms", "under", "as_if", "applies"],
                "properties": {
                    "code": {"type": "string"},
                    "title": {"type": "string"},
                    "level": {"type": "string"},
                    "forms": _NAMES,
                    "under": _NAMES,
                    "as_if": {"type": "object",
                              "additionalProperties": {"anyOf": [_DATE, {"type": "null"}]}},
                    "applies": {"type": ["string", "null"],
                                "description": "the regime a decision on the date applies"},
                },
            }],
        },
        "regimes": {
            "type": "array",
            "description": "every regime, sorted by name",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "title", "period", "start", "end", "proposal", "as_if",
                             "in_force", "extends", "basis", "status", "reading", "source",
                             "shipped", "permits", "allows"],
                "properties": {
                    "name": {"type": "string"},
                    "title": {"type": "string"},
                    "period": {"type": "string"},
                    "start": {"anyOf": [_DATE, {"type": "null"}]},
                    "end": {"anyOf": [_DATE, {"type": "null"}]},
                    "proposal": {"type": "boolean"},
                    "as_if": {"anyOf": [_DATE, {"type": "null"}]},
                    "in_force": {"type": "boolean"},
                    "extends": _NAMES,
                    "basis": {"type": "string"},
                    "status": _STATUS,
                    "reading": {"type": "string"},
                    "source": {"type": "string"},
                    "shipped": {"type": "boolean"},
                    "permits": {"type": "array", "items": {"$ref": "#/$defs/clause"}},
                    "allows": {"type": "array", "items": {"$ref": "#/$defs/clause"}},
                },
            },
        },
        "governing": {
            "type": "array",
            "description": "per form and level, the regime that governs on the date",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["form", "level", "regime", "title", "status", "reason",
                             "permits"],
                "properties": {
                    "form": {"enum": list(FORMS)},
                    "level": {"type": "string"},
                    "regime": {"type": ["string", "null"]},
                    "title": {"type": "string"},
                    "status": _STATUS,
                    "reason": {"enum": ["own-permit", "latest-in-force", "none-in-force"]},
                    "permits": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["kind", "when", "regime", "basis", "status",
                                         "source"],
                            "properties": {
                                "kind": {"type": "string"},
                                "when": {"type": ["string", "null"]},
                                "regime": {"type": "string"},
                                "basis": {"type": "string"},
                                "status": _STATUS,
                                "source": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
}
"""The JSON Schema of :meth:`LawReport.to_dict` (``luk schema law``)."""


__all__ = ["LAW_SCHEMA", "Clause", "Governing", "LawReport", "Permitted", "ProgrammeEntry",
           "RegimeEntry", "law_report"]
