"""The diploma audit (DESIGN.md §9): has this student completed the exam programme?

An audit reads a study record (results: passed, or exempted by the exam
committee) against the ruleset's ``exam programme``: which results still count
on the record's date, which required units, elective groups and credits are
still missing, and which exemptions were granted outside the allowed grounds or
without a decision reference. Every finding cites the clause of the exam
programme it comes from, its line and the OER's basis, like a decision's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from luk_rules import ir
from luk_rules.decide import FINDING_SCHEMA, Finding
from luk_rules.span import Span
from luk_rules.submission import Record, Result

AuditStatus = Literal["complete", "incomplete"]
_ORDER = {"deny": 0, "warning": 1, "info": 2}


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


def audit(ruleset: ir.Ruleset, record: Record, *, explain: bool = False) -> Audit:
    """Audit a validated record against the ruleset's exam programme."""
    return _Auditor(ruleset, record).run(explain)


class _Auditor:
    def __init__(self, ruleset: ir.Ruleset, record: Record) -> None:
        self.rs = ruleset
        self.record = record
        self.exam = ruleset.exam or ir.ExamProgramme(
            title="", required=(), electives=(), diploma_credits=None, entry=(),
            validity=None, grounds=(), basis="", span=ruleset.programme.span,
            required_span=ruleset.programme.span, diploma_span=ruleset.programme.span,
            grounds_span=ruleset.programme.span)
        self.units = {u.code: u for u in ruleset.units}
        self.on = record.date.isoformat()
        self.basis = self.exam.basis or f"OER {ruleset.programme.title}"
        self.findings: list[Finding] = []
        self.because: dict[int, list[str]] = {}

    def finding(self, code: str, severity: Literal["deny", "warning", "info"], message: str,
                rule: str, source: Span | str, facts: tuple[str, ...],
                because: list[str]) -> None:
        self.because[len(self.findings)] = because
        self.findings.append(Finding(code, severity, message, self.basis, rule, str(source),
                                     tuple(sorted(facts))))

    def run(self, explain: bool) -> Audit:
        exam = self.exam
        oldest = exam.validity.cutoff(self.record.date) if exam.validity else None
        statuses: dict[str, ResultStatus] = {}
        for result in sorted(self.record.results, key=lambda r: r.unit):
            statuses[result.unit] = self.result_status(result, oldest)
        counted = {u for u, s in statuses.items() if s.counts}
        earned = sum(self.units[u].credits for u in counted)
        missing = tuple(sorted(u for u in exam.required if u not in counted))
        for unit in missing:
            why = statuses[unit].reason if unit in statuses else "no result"
            self.finding(
                "required-unit-missing", "deny",
                f"{unit} ({self.units[unit].title}) is required and not completed ({why})",
                "required units", exam.required_span, (unit,),
                [f"required: {', '.join(exam.required)}", f"{unit}: {why}"])
        shortfalls = []
        for group in exam.electives:
            have = [u for u in group.members if u in counted]
            if group.units is not None:
                short = group.units - len(have)
                kind: Literal["units", "credits"] = "units"
            else:
                short = (group.credits or 0) - sum(self.units[u].credits for u in have)
                kind = "credits"
            if short > 0:
                shortfalls.append(ElectiveShortfall(group.describe(), short, kind,
                                                    group.members))
                done = ", ".join(have) or "none"
                self.finding(
                    "elective-group-short", "deny",
                    f"{group.describe()}: {short} more {kind if short != 1 else kind[:-1]} "
                    f"needed (completed: {done})",
                    "elective group", group.span, tuple(group.members),
                    [f"completed of the group: {done}"])
        credits_short = 0
        if exam.diploma_credits is not None and earned < exam.diploma_credits:
            credits_short = exam.diploma_credits - earned
            self.finding(
                "credits-short", "deny",
                f"the diploma needs {exam.diploma_credits} credits; {earned} count on "
                f"{self.on}, {credits_short} short",
                "diploma credits", exam.diploma_span, tuple(sorted(counted)),
                [f"{u}: {self.units[u].credits} credits" for u in sorted(counted)])
        denied = any(f.severity == "deny" for f in self.findings)
        status: AuditStatus = "incomplete" if denied else "complete"
        order = sorted(range(len(self.findings)), key=lambda i: (
            _ORDER[self.findings[i].severity], self.findings[i].code, self.findings[i].facts,
            self.findings[i].message))
        findings = tuple(self.findings[i] for i in order)
        explanation = None
        if explain:
            explanation = {
                "counted": [
                    {"unit": u, "credits": self.units[u].credits, "how": statuses[u].how,
                     "date": statuses[u].date} for u in sorted(counted)],
                "findings": [
                    {"code": self.findings[i].code, "rule": self.findings[i].rule,
                     "source": self.findings[i].source, "basis": self.findings[i].basis,
                     "because": self.because[i]} for i in order],
            }
        return Audit(self.record.id, status, earned, exam.diploma_credits, statuses, missing,
                     tuple(shortfalls), credits_short, findings, explanation)

    def result_status(self, result: Result, oldest: Any) -> ResultStatus:
        exam = self.exam
        unit = self.units[result.unit]
        date = result.date.isoformat()
        base = ResultStatus(result.unit, date, result.how, unit.credits, True)
        if oldest is not None and result.date < oldest:
            assert exam.validity is not None
            expired = exam.validity.expiry(result.date).isoformat()
            reason = f"the result of {date} expired on {expired}"
            self.finding(
                "result-expired", "warning",
                f"the result for {result.unit} of {date} no longer counts on {self.on}: "
                f"results are valid for {exam.validity.describe()} (it expired on {expired})",
                "result validity", exam.validity_span, (result.unit,),
                [f"{result.unit}: {result.how} on {date}",
                 f"results dated before {oldest.isoformat()} no longer count on {self.on}"])
            return attrs.evolve(base, counts=False, reason=reason)
        if result.how != "exempted":
            return base
        who = result.by or "(not recorded)"
        if not result.grounds or result.grounds not in exam.grounds:
            allowed = ", ".join(exam.grounds) or "none"
            grounds = result.grounds or "(none recorded)"
            self.finding(
                "exemption-grounds-not-allowed", "deny",
                f"{result.unit} was exempted on grounds {grounds}, which the exam programme "
                f"does not allow (allowed: {allowed}); the exemption does not count",
                "exemption grounds", exam.grounds_span, (result.unit,),
                [f"{result.unit}: exempted by {who} on grounds {grounds}"])
            return attrs.evolve(base, counts=False,
                                reason=f"exempted on grounds {grounds}, not allowed")
        if not result.decision:
            self.finding(
                "exemption-without-decision", "deny",
                f"the exemption for {result.unit} has no decision reference; an exemption is "
                "a recorded decision of the exam committee",
                "exemption grounds", exam.grounds_span, (result.unit,),
                [f"{result.unit}: exempted by {who} on grounds {result.grounds}"])
            return attrs.evolve(base, counts=False, reason="exemption without a decision")
        self.finding(
            "exemption", "info",
            f"{result.unit} exempted by {who} on grounds {result.grounds} "
            f"(decision {result.decision}, {date})",
            "exemption grounds", exam.grounds_span, (result.unit,),
            [f"{result.unit}: exempted by {who}, decision {result.decision}"])
        return base



AUDIT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://luk-rules.example/schema/audit.json",
    "title": "Audit",
    "description": "Whether a record completes the exam programme (DESIGN.md §9).",
    "type": "object",
    "additionalProperties": False,
    "required": ["record", "status", "complete", "credits", "results", "missing", "findings"],
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
        "explanation": {"type": "object"},
    },
}
