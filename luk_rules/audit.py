"""The diploma audit (docs/audit.md): has this student completed the exam programme?

An audit runs the ruleset's compiled program on a study record's facts (its results
on its date, and ``audit()``): the exam programme is rules of that program
(``compile/exam.py``). This module only reads the derivation: which results count
and why the others do not (their notes), the credits counted and short, the
required units and elective groups still missing, and the audit's findings, each
rendered from its report alone, like a decision's, with the same proof trees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from luk_rules.compile import Compiled, Value
from luk_rules.decide import (
    EXPLAINED_FINDINGS_SCHEMA,
    FINDING_SCHEMA,
    NODE_SCHEMA,
    Explainer,
    Finding,
    date_text,
    fired_sites,
    render_findings,
    render_note,
    reports_of,
)
from luk_rules.engine import Derivation
from luk_rules.i18n import Lang, say
from luk_rules.submission import Record

AuditStatus = Literal["complete", "incomplete"]


@attrs.frozen
class ResultStatus:
    """One result of the record as the audit reads it: does it count, and why not."""

    unit: str
    date: str
    how: str
    credits: int
    counts: bool
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in ``luk audit --format json``."""
        return {"date": self.date, "how": self.how, "credits": self.credits,
                "counts": self.counts, "reason": self.reason}


@attrs.frozen
class ElectiveShortfall:
    """An elective group that is not satisfied yet."""

    group: str
    needed: int
    unit: Literal["units", "credits"]
    members: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in ``luk audit --format json``."""
        return {"group": self.group, "needed": self.needed, "counted_in": self.unit,
                "of": list(self.members)}


@attrs.frozen
class Audit:
    """Whether a record completes the exam programme, what is missing, and why."""

    record: str
    status: AuditStatus
    credits_earned: int
    credits_required: int | None
    results: Mapping[str, ResultStatus]
    missing_units: tuple[str, ...]
    electives: tuple[ElectiveShortfall, ...]
    credits_short: int
    findings: tuple[Finding, ...]
    explanation: Mapping[str, Any] | None = None
    fired: frozenset[tuple[str, str]] = attrs.field(default=frozenset(), eq=False, repr=False)

    @property
    def complete(self) -> bool:
        """True when the record completes the exam programme."""
        return self.status == "complete"

    def to_dict(self) -> dict[str, Any]:
        """The audit as JSON (sorted, deterministic); ``luk schema audit`` describes it."""
        out: dict[str, Any] = {
            "record": self.record,
            "status": self.status,
            "complete": self.complete,
            "credits": {"earned": self.credits_earned, "required": self.credits_required,
                        "short": self.credits_short},
            "results": {u: r.to_dict() for u, r in sorted(self.results.items())},
            "missing": {"units": list(self.missing_units),
                        "electives": [e.to_dict() for e in self.electives],
                        "credits": self.credits_short},
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.explanation is not None:
            out["explanation"] = dict(self.explanation)
        return out


def _number(value: Value) -> int:
    """A whole number read from a fact (the exam programme's rules derive only these)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number in a derived fact, got {value!r}")
    return value


class AuditBuilder:
    """Reads a derivation of a record's facts into an :class:`Audit`; one per ruleset."""

    def __init__(self, compiled: Compiled) -> None:
        self.program = compiled.program
        self.reports = reports_of(compiled, "audit")
        self.notes = tuple(sorted(compiled.program.notes.items()))

    def build(self, record: Record, derivation: Derivation, explain: bool,
              lang: Lang = "en") -> Audit:
        """Assemble the audit (and, with ``explain``, the proof of every finding); its
        findings and reasons in ``lang``."""
        d = derivation
        credits = {str(u): _number(c) for u, c in d.of("unit-credits")}
        counted = {str(u) for (u,) in d.of("counts-result")}
        why: dict[str, list[str]] = {}
        for pred, note in self.notes:
            for args in d.of(pred):
                why.setdefault(str(note.value(note.about, args)), []).append(
                    render_note(note, args, lang, self.program.texts))
        results = {
            str(unit): ResultStatus(
                str(unit), date_text(date), str(how), credits[str(unit)], str(unit) in counted,
                "; ".join(sorted(why[str(unit)])) if str(unit) in why else None)
            for unit, date, how, *_ in d.of("result")}
        counted_in: dict[str, Literal["units", "credits"]] = {
            str(g): "units" if k == "units" else "credits" for g, k, _ in d.of("elective")}
        members: dict[str, list[str]] = {}
        for group, unit in d.of("elective-member"):
            members.setdefault(str(group), []).append(str(unit))
        electives = tuple(sorted(
            (ElectiveShortfall(say(self.program.texts.get(str(g), str(g)), lang), _number(short),
                               counted_in[str(g)],
                               tuple(sorted(members[str(g)])))
             for g, short, _ in d.of("elective-short")),
            key=lambda e: (e.group, e.needed)))
        findings = render_findings(self.reports, d, lang, self.program.texts)
        status: AuditStatus = ("incomplete" if any(f.severity == "deny" for f in findings)
                               else "complete")
        earned = next((_number(e) for (e,) in d.of("credits-earned")), 0)
        required = next((_number(n) for (n,) in d.of("diploma-credits")), None)
        short = next((_number(s) for _, _, s in d.of("credits-short")), 0)
        explanation = None
        fired: frozenset[tuple[str, str]] = frozenset()
        if explain:
            explainer = Explainer(self.program, d, "record")
            explanation = {
                "credits": explainer.node(("credits-earned", (earned,))),
                "results": {unit: explainer.node(("counts-result", (unit,)))
                            for unit in sorted(counted)},
                "findings": explainer.findings(findings),
            }
            fired = fired_sites(self.program, d)
        return Audit(record.id, status, earned, required, results,
                     tuple(sorted(str(u) for (u,) in d.of("required-missing"))), electives,
                     short, findings, explanation, fired)


AUDIT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://luk-rules.example/schema/audit.json",
    "title": "Audit",
    "description": "Whether a record completes the exam programme (docs/audit.md).",
    "type": "object",
    "additionalProperties": False,
    "required": ["record", "status", "complete", "credits", "results", "missing", "findings"],
    "$defs": {"node": NODE_SCHEMA},
    "properties": {
        "record": {"type": "string"},
        "status": {"enum": ["complete", "incomplete"]},
        "complete": {"type": "boolean"},
        "credits": {
            "type": "object", "additionalProperties": False,
            "required": ["earned", "required", "short"],
            "properties": {"earned": {"type": "integer"},
                           "required": {"type": ["integer", "null"]},
                           "short": {"type": "integer", "minimum": 0}}},
        "results": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False,
            "required": ["date", "how", "credits", "counts", "reason"],
            "properties": {"date": {"type": "string"}, "how": {"enum": ["passed", "exempted"]},
                           "credits": {"type": "integer"}, "counts": {"type": "boolean"},
                           "reason": {"type": ["string", "null"]}}}},
        "missing": {
            "type": "object", "additionalProperties": False,
            "required": ["units", "electives", "credits"],
            "properties": {
                "units": {"type": "array", "items": {"type": "string"}},
                "electives": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["group", "needed", "counted_in", "of"],
                    "properties": {"group": {"type": "string"}, "needed": {"type": "integer"},
                                   "counted_in": {"enum": ["units", "credits"]},
                                   "of": {"type": "array", "items": {"type": "string"}}}}},
                "credits": {"type": "integer", "minimum": 0}}},
        "findings": {"type": "array", "items": FINDING_SCHEMA},
        "explanation": {
            "type": "object",
            "additionalProperties": False,
            "required": ["credits", "results", "findings"],
            "properties": {
                "credits": {"$ref": "#/$defs/node"},
                "results": {"type": "object", "additionalProperties": {"$ref": "#/$defs/node"}},
                "findings": EXPLAINED_FINDINGS_SCHEMA,
            },
        },
    },
}
