"""From a derivation to a Decision (DESIGN.md §3-§4), with its explanation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from luk_rules import ir
from luk_rules.compile import Compiled, Fact, Value
from luk_rules.compile.rules import BUILT_IN
from luk_rules.engine import Derivation
from luk_rules.submission import Submission

Status = Literal["admissible", "incomplete", "inadmissible"]
Severity = Literal["deny", "warning", "info"]
_SEVERITY_ORDER = {"deny": 0, "warning": 1, "info": 2}


@attrs.frozen
class Finding:
    """A conclusion about the submission, with the rule and the law behind it."""

    code: str
    severity: Severity
    message: str
    basis: str
    rule: str
    source: str
    facts: tuple[str, ...]
    derived: tuple[Value, ...] = attrs.field(default=(), eq=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of DESIGN.md §4."""
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "basis": self.basis, "rule": self.rule, "source": self.source,
                "facts": list(self.facts)}


@attrs.frozen
class Missing:
    """An outcome that lacks counting evidence, and what would cover it."""

    unit: str
    outcome: str
    needed: int
    accepted: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of DESIGN.md §4."""
        return {"unit": self.unit, "outcome": self.outcome, "needed": self.needed,
                "accepted": list(self.accepted)}

    def advice(self) -> str:
        """What the student would have to add ("why not")."""
        items = "one more item" if self.needed == 1 else f"{self.needed} more items"
        types = " or ".join(self.accepted) if self.accepted else "an accepted type"
        return f"{items} of type {types} covering {self.outcome}"


@attrs.frozen
class UnitOutcome:
    """A claimed unit: its kind and, per outcome, the evidence items that count."""

    kind: str
    outcomes: Mapping[str, tuple[str, ...]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of DESIGN.md §4."""
        return {"kind": self.kind,
                "outcomes": {o: list(items) for o, items in sorted(self.outcomes.items())}}


@attrs.frozen
class Decision:
    """Whether a submission is admissible, by which route, under which law, and why.

    Example:
        >>> decision.status, decision.combination, decision.law  # doctest: +SKIP
        ('incomplete', 'D', 'wet-leeruitkomsten')
    """

    case: str
    status: Status
    combination: str
    law: str | None
    units: Mapping[str, UnitOutcome]
    missing: tuple[Missing, ...]
    findings: tuple[Finding, ...]
    explanation: Mapping[str, Any] | None = None
    fired: frozenset[tuple[str, str]] = attrs.field(default=frozenset(), eq=False, repr=False)

    @property
    def admissible(self) -> bool:
        """True when the status is ``admissible``."""
        return self.status == "admissible"

    def to_dict(self) -> dict[str, Any]:
        """The decision as the JSON of DESIGN.md §4 (sorted, deterministic)."""
        out: dict[str, Any] = {
            "case": self.case,
            "status": self.status,
            "admissible": self.admissible,
            "combination": self.combination,
            "law": self.law,
            "units": {code: u.to_dict() for code, u in sorted(self.units.items())},
            "missing": [m.to_dict() for m in self.missing],
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.explanation is not None:
            out["explanation"] = dict(self.explanation)
        return out


@attrs.frozen
class Verdict:
    """A decision in brief: status, law, route, missing outcomes, finding codes.

    The same as the corresponding parts of :class:`Decision`, without messages
    or sources; cheap to build, for comparing many cases.
    """

    status: Status
    law: str | None
    combination: str
    missing: tuple[str, ...]
    findings: tuple[tuple[str, str], ...]


# ------------------------------------------------------------------ building

_DATE_POSITIONS = {"sub": (2,), "item": (2,), "accept": (2,), "regime": (1, 2),
                   "in-force": (1,), "claimed-item": (4,)}


def _date(ordinal: Value) -> str:
    if isinstance(ordinal, int) and 0 < ordinal < 3_652_060:
        return dt.date.fromordinal(ordinal).isoformat()
    return "-" if ordinal == 0 else "open"


def render_fact(fact: Fact) -> str:
    """A fact as text, dates shown as dates: ``item(e1, beroepsproduct, 2024-06-01, ...)``."""
    pred, args = fact
    dates = _DATE_POSITIONS.get(pred, ())
    shown = [
        _date(a) if i in dates else ("true" if a is True else "false" if a is False
                                     else "-" if a == "" else str(a))
        for i, a in enumerate(args)
    ]
    return f"{pred}({', '.join(shown)})"


def rule_sites(compiled: Compiled) -> list[tuple[str, str]]:
    """The rules written in the ruleset and its law regimes: (name, source), sorted.

    These are what ``luk test --coverage`` counts: each ``permit`` and ``allow``
    of a regime the programme stands under, and each of the ruleset's ``rule``s.
    """
    return sorted({(r.name, r.cite.source) for r in compiled.program.rules
                   if r.cite.source != BUILT_IN and not r.name.endswith("(condition)")})


class DecisionBuilder:
    """Reads a derivation into a :class:`Decision`; one per compiled ruleset."""

    def __init__(self, compiled: Compiled) -> None:
        self.compiled = compiled
        rs = compiled.ruleset
        self.rs = rs
        self.units = {u.code: u for u in rs.units}
        self.types = {t.name: t for t in rs.evidence_types}
        self.assessments = {a.name: a for a in rs.assessments}
        self.regimes = {r.name: r for r in rs.programme.regimes}
        self.rules = {r.name: r for r in rs.rules}
        self.max_age = {(unit, name): age for unit, accepted in compiled.accepted.items()
                        for name, age, _ in accepted}
        # Texts every decision may need, made once.
        self.programme_source = str(rs.programme.span)
        self.accepts_source = {u.code: str(u.accepts_span) for u in rs.units}
        self.accepts_text = {u.code: ", ".join(sorted(u.accepts)) for u in rs.units}
        self.accepted_sorted = {u.code: tuple(sorted(u.accepts)) for u in rs.units}
        self.age_texts = {
            key: (_age_text(age), str(age.span if age else self.units[key[0]].span))
            for key, age in self.max_age.items()}
        self.finding_rules = {
            str(r.head.args[0]): r for r in reversed(compiled.program.rules)
            if r.head.pred == "finding"}

    def verdict(self, derivation: Derivation) -> Verdict:
        """The decision in brief, without messages: what impact analysis compares."""
        law = min((str(f[0]) for f in derivation.of("law")), default=None)
        combination = min((str(c[0]) for c in derivation.of("combination")), default="A")
        missing = tuple(sorted(str(o) for _, o in derivation.of("missing")))
        findings = tuple(sorted((str(f[0]), "deny" if f[1] == "deny" else "warning")
                                for f in derivation.of("finding")))
        if any(severity == "deny" for _, severity in findings):
            status: Status = "inadmissible"
        elif missing:
            status = "incomplete"
        else:
            status = "admissible"
        return Verdict(status, law, combination, missing, findings)

    def build(self, submission: Submission, derivation: Derivation, explain: bool) -> Decision:
        """Assemble the decision (and, with ``explain``, its proof tree)."""
        law_facts = sorted(derivation.of("law"))
        law = str(law_facts[0][0]) if law_facts else None
        combos = sorted(str(c[0]) for c in derivation.of("combination"))
        combination = combos[0] if combos else "A"
        counting: dict[str, list[str]] = {}
        for item, _unit, outcome in derivation.of("counts"):
            counting.setdefault(str(outcome), []).append(str(item))
        claimed = sorted(set(submission.units))
        units = {
            code: UnitOutcome(
                self.units[code].kind,
                {o.ref: tuple(sorted(counting.get(o.ref, ()))) for o in self.units[code].outcomes},
            )
            for code in claimed
        }
        missing = tuple(sorted(
            (self._missing(str(u), str(o), len(counting.get(str(o), ())))
             for u, o in derivation.of("missing")),
            key=lambda m: (m.unit, m.outcome)))
        context = _Context(submission, derivation.of("entry-missing"))
        findings = tuple(sorted(
            (self._finding(args, context, law) for args in derivation.of("finding")),
            key=lambda f: (_SEVERITY_ORDER[f.severity], f.code, f.facts, f.message)))
        if any(f.severity == "deny" for f in findings):
            status: Status = "inadmissible"
        elif missing:
            status = "incomplete"
        else:
            status = "admissible"
        explanation = None
        fired: frozenset[tuple[str, str]] = frozenset()
        if explain:
            explanation = _Explainer(self, derivation).explain(findings, missing, law, combination)
            rules = self.compiled.program.rules
            fired = frozenset((rules[i].name, rules[i].cite.source) for i in derivation.fired)
        return Decision(submission.id, status, combination, law, units, missing, findings,
                        explanation, fired)

    @staticmethod
    def _failing_clause(regime: ir.Regime, code: str, a: str, b: str) -> ir.Cite | None:
        """The clause of the regime that would have permitted this, had its condition held."""
        if code == "unit-kind-not-permitted":
            permits = [p.cite for p in regime.permits if p.kind == a and b in p.forms]
            return permits[-1] if permits else None
        allows = [x.cite for x in regime.allows if a in x.combinations and b in x.kinds]
        return allows[-1] if allows else None

    def _missing(self, unit: str, outcome: str, have: int) -> Missing:
        u = self.units[unit]
        return Missing(unit, outcome, max(u.min_items - have, 1), self.accepted_sorted[unit])

    # -- findings

    def _finding(self, args: tuple[Value, ...], context: _Context, law: str | None) -> Finding:
        code, severity, a, b = args[0], args[1], args[2], args[3]
        if not isinstance(b, str):
            b = str(b)
        assert isinstance(code, str) and isinstance(a, str)
        sub, items, on = context.submission, context.items, context.on
        rule = self.finding_rules[code]
        basis, source = rule.cite.basis, rule.cite.source
        if source == BUILT_IN:
            source = self.programme_source
        facts: tuple[str, ...] = ()
        regime = self.regimes.get(law or "")
        if rule.cite.from_regime and regime is not None:
            basis, source = regime.basis, str(regime.span)
        message = code
        if code in {"evidence-type-not-accepted", "evidence-too-old", "evidence-after-submission",
                    "evidence-not-verified", "outcome-not-claimed"}:
            item = items[a]
            unit = self.units.get(b.rpartition(".")[0])
            facts = (a,)
            if code == "evidence-type-not-accepted" and unit:
                message = (f"{a} ({item.type}) does not count for {b}: {unit.code} accepts "
                           f"{self.accepts_text[unit.code]}")
                source = self.accepts_source[unit.code]
            elif code == "evidence-too-old" and unit:
                limit, source = self.age_texts[(unit.code, item.type)]
                message = (f"{a} ({item.type}, {item.date.isoformat()}) does not count for {b}: "
                           f"older than {limit} on {on}")
            elif code == "evidence-after-submission":
                message = (f"{a} is dated {item.date.isoformat()}, after the submission date "
                           f"{on}; it does not count for {b}")
            elif code == "evidence-not-verified":
                etype = self.types.get(item.type)
                message = f"{a} ({item.type}) does not count for {b}: it needs verification"
                if etype:
                    source = str(etype.span)
            else:
                message = f"{a} covers {b}, but unit {b.rpartition('.')[0]} is not claimed"
        elif code == "no-regime-in-force":
            names = ", ".join(r.name for r in self.rs.programme.regimes) or "none"
            message = (f"no law regime of this programme is in force on {on} "
                       f"(it stands under {names})")
        elif code in ("unit-kind-not-permitted", "combination-not-allowed") and regime:
            clause = self._failing_clause(regime, code, a, b)
            if clause is not None:
                basis, source = clause.basis, str(clause.span)
        if code == "unit-kind-not-permitted":
            facts = tuple(u for u in sorted(set(sub.units)) if self.units[u].kind == a)
            message = (f"{law} does not permit {a} units in a {b} programme on {on} "
                       f"({', '.join(facts)})")
        if code == "combination-not-allowed":
            facts = tuple(u for u in sorted(set(sub.units)) if self.units[u].kind == b)
            message = f"{law} does not allow combination {a} for {b} units ({', '.join(facts)})"
            if b == "onderwijseenheid" and a in {"B", "C"}:
                message += f"; {sub.assessment} is not path-independent"
        if code == "unit-not-assessed":
            facts = (a,)
            assessment = self.assessments.get(b)
            covers = ", ".join(assessment.units) if assessment else "-"
            message = f"assessment {b} does not assess unit {a} (it assesses {covers})"
            if assessment:
                source = str(assessment.span)
        elif code == "too-many-units":
            assessment = self.assessments[a]
            facts = tuple(sorted(set(sub.units)))
            message = (f"assessment {a} assesses at most {assessment.max_units} units at once; "
                       f"{b} are claimed")
            source = str(assessment.span)
        elif code == "entry-requirement-not-met":
            entry = next((e for e in self.rs.exam.entry if e.unit == a), None) \
                if self.rs.exam else None
            todo = tuple(sorted(str(p) for u, p in context.entry_missing if u == a))
            facts = todo
            after = ", ".join(entry.after) if entry else ""
            message = (f"{a} may only be assessed once {after} are completed; "
                       f"still to complete: {', '.join(todo)}")
        elif code in self.rules:
            r = self.rules[code]
            message = r.message
            facts = _condition_facts(r.when, sub)
        return Finding(code, "deny" if severity == "deny" else "warning", message, basis,
                       rule.cite.rule, source, facts, args)


class _Context:
    """What every finding of one decision reads: the submission, its items by id, its date."""

    __slots__ = ("entry_missing", "items", "on", "submission")

    def __init__(self, submission: Submission,
                 entry_missing: Iterable[tuple[Value, ...]] = ()) -> None:
        self.submission = submission
        self.entry_missing = tuple(entry_missing)
        self.items = {e.id: e for e in submission.evidence}
        self.on = submission.date.isoformat()


def _age_text(age: ir.MaxAge | None) -> str:
    return age.describe() if age is not None else "the maximum age"


def _condition_facts(cond: ir.Cond, sub: Submission) -> tuple[str, ...]:
    """The submission's units and items a rule's condition speaks about."""
    found: set[str] = set()

    def walk(c: ir.Cond) -> None:
        match c:
            case ir.AllOf(items) | ir.AnyOf(items):
                for i in items:
                    walk(i)
            case ir.Negation(item):
                walk(item)
            case ir.Claimed(unit) if unit in sub.units:
                found.add(unit)
            case ir.EvidenceTypes(_, types) | ir.Count("evidence", types):
                found.update(e.id for e in sub.evidence if not types or e.type in types)
            case _:
                pass

    walk(cond)
    return tuple(sorted(found))


class _Explainer:
    """Builds the proof tree of ``--explain`` from the derivation's proofs."""

    def __init__(self, builder: DecisionBuilder, derivation: Derivation) -> None:
        self.builder = builder
        self.derivation = derivation
        self.rules = builder.compiled.program.rules

    def node(self, fact: Fact, depth: int = 0) -> dict[str, Any]:
        proof = self.derivation.proofs.get(fact)
        if proof is None:
            given = ("ruleset" if fact[0] in _STATIC
                     else "ruleset, on the submission date" if fact[0] == "accept"
                     else "submission")
            return {"fact": render_fact(fact), "given": given}
        rule_index, used = proof
        rule = self.rules[rule_index]
        shown = (f"the condition at {rule.cite.source} holds" if _is_condition(fact)
                 else render_fact(fact))
        node: dict[str, Any] = {
            "fact": shown,
            "rule": rule.cite.rule,
            "source": rule.cite.source,
            "basis": rule.cite.basis,
        }
        if depth < 12:
            node["because"] = [self.node(f, depth + 1) for f in used if not _is_condition(f)] + [
                self.node(f, depth + 1) for f in used if _is_condition(f)]
        return node

    def explain(self, findings: Iterable[Finding], missing: Iterable[Missing], law: str | None,
                combination: str) -> dict[str, Any]:
        d = self.derivation
        out: dict[str, Any] = {
            "law": self.node(("law", (law,))) if law else None,
            "combination": self.node(("combination", (combination,))),
            "scope": [
                self.node((pred, args))
                for pred in ("permitted", "allowed")
                for args in sorted(d.of(pred), key=repr)
            ],
            "outcomes": {
                str(o): self.node(("covered", (u, o)))
                for u, o in sorted(d.of("covered"), key=lambda t: (str(t[0]), str(t[1])))
            },
            "findings": [],
            "missing": [
                {"unit": m.unit, "outcome": m.outcome, "add": m.advice(),
                 "why_not": self.node(("missing", (m.unit, m.outcome)))}
                for m in missing
            ],
        }
        for f in findings:
            out["findings"].append({"code": f.code, "message": f.message,
                                    "proof": self.node(("finding", f.derived))})
        return out


def _is_condition(fact: Fact) -> bool:
    return fact[0].startswith("cond")


_STATIC = frozenset({"unit", "unitmin", "outcome", "recommended", "assess", "assessment",
                     "max-units", "regime", "entry"})


FINDING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "severity", "message", "basis", "rule", "source", "facts"],
    "properties": {
        "code": {"type": "string"},
        "severity": {"enum": ["deny", "warning", "info"]},
        "message": {"type": "string"},
        "basis": {"type": "string"},
        "rule": {"type": "string"},
        "source": {"type": "string"},
        "facts": {"type": "array", "items": {"type": "string"}},
    },
}
"""The JSON Schema of one finding, in a decision and in an audit."""

_NODE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["fact"],
    "properties": {
        "fact": {"type": "string"},
        "given": {"enum": ["ruleset", "submission", "ruleset, on the submission date"]},
        "rule": {"type": "string"},
        "source": {"type": "string"},
        "basis": {"type": "string"},
        "because": {"type": "array", "items": {"$ref": "#/$defs/node"}},
    },
}

DECISION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://luk-rules.example/schema/decision.json",
    "title": "Decision",
    "description": "Whether a submission is admissible, and why (DESIGN.md §4).",
    "type": "object",
    "additionalProperties": False,
    "required": ["case", "status", "admissible", "combination", "law", "units", "missing",
                 "findings"],
    "$defs": {"node": _NODE_SCHEMA},
    "properties": {
        "case": {"type": "string"},
        "status": {"enum": ["admissible", "incomplete", "inadmissible"]},
        "admissible": {"type": "boolean"},
        "combination": {"enum": ["A", "B", "C", "D"]},
        "law": {"type": ["string", "null"]},
        "units": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["kind", "outcomes"],
                "properties": {
                    "kind": {"enum": ["onderwijseenheid", "eenheid-van-leeruitkomsten"]},
                    "outcomes": {"type": "object", "additionalProperties": {
                        "type": "array", "items": {"type": "string"}}},
                },
            },
        },
        "missing": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["unit", "outcome", "needed", "accepted"],
                "properties": {
                    "unit": {"type": "string"},
                    "outcome": {"type": "string"},
                    "needed": {"type": "integer", "minimum": 1},
                    "accepted": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "findings": {"type": "array", "items": FINDING_SCHEMA},
        "explanation": {
            "type": "object",
            "properties": {
                "law": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]},
                "combination": {"$ref": "#/$defs/node"},
                "scope": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                "outcomes": {"type": "object", "additionalProperties": {"$ref": "#/$defs/node"}},
                "findings": {"type": "array", "items": {
                    "type": "object", "required": ["code", "message", "proof"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                   "proof": {"$ref": "#/$defs/node"}}}},
                "missing": {"type": "array", "items": {
                    "type": "object", "required": ["unit", "outcome", "add", "why_not"],
                    "properties": {"unit": {"type": "string"}, "outcome": {"type": "string"},
                                   "add": {"type": "string"},
                                   "why_not": {"$ref": "#/$defs/node"}}}},
            },
        },
    },
}
