"""From a derivation to a Decision (docs/semantics.md), with its explanation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import compress
from typing import Any, Literal, overload

import attrs

from luk_rules import ir
from luk_rules.compile import Compiled, Fact, Note, Param, Program, Report, Value
from luk_rules.compile.rules import BUILT_IN
from luk_rules.engine import Derivation, Runner, focused, selector
from luk_rules.i18n import Lang, Message, msg, msgn, say

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
    derived: Fact = attrs.field(default=("", ()), eq=False, repr=False)
    status: str = "oer"
    #: What would change the outcome ("add ..."), when the rule says; not in the JSON.
    advice: str = attrs.field(default="", eq=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of docs/semantics.md §12, with the basis' ``status``: ``oer``, ``enacted``,
        ``interpretation``, ``proposal``, or null when the law clause does not say."""
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "basis": self.basis, "status": self.status or None, "rule": self.rule,
                "source": self.source, "facts": list(self.facts)}


class Findings(Sequence[Finding]):
    """A decision's findings, rendered from the derivation when first read.

    Deciding needs only whether a finding denies (its report says so), so the messages,
    citations and facts are written only for a caller that reads them. Ordered as
    :func:`render_findings` orders them; equal to another sequence of the same findings.
    Safe to read from several threads: rendering twice gives the same tuple.
    """

    __slots__ = ("_derivation", "_rendered", "_reports", "_texts", "lang")

    def __init__(self, reports: Iterable[tuple[str, Report]], derivation: Derivation,
                 texts: Mapping[str, Message] | None = None, lang: Lang = "en") -> None:
        self._reports = reports
        self._derivation = derivation
        self._texts = texts or {}
        self._rendered: tuple[Finding, ...] | None = None
        self.lang = lang

    def _all(self) -> tuple[Finding, ...]:
        rendered = self._rendered
        if rendered is None:
            rendered = render_findings(self._reports, self._derivation, self.lang, self._texts)
            self._rendered = rendered
        return rendered

    def in_language(self, lang: Lang) -> Findings:
        """The same findings, their messages and citations in ``lang``."""
        if lang == self.lang:
            return self
        return Findings(self._reports, self._derivation, self._texts, lang)

    @overload
    def __getitem__(self, index: int) -> Finding: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Finding, ...]: ...
    def __getitem__(self, index: int | slice) -> Finding | tuple[Finding, ...]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return self._all() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


@attrs.frozen
class Missing:
    """An outcome that lacks counting evidence, and what would cover it."""

    unit: str
    outcome: str
    needed: int
    accepted: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of docs/semantics.md §12."""
        return {"unit": self.unit, "outcome": self.outcome, "needed": self.needed,
                "accepted": list(self.accepted)}

    def advice(self) -> Message:
        """What the student would have to add ("why not")."""
        types: str = msg("an accepted type")
        for i, name in enumerate(self.accepted):
            types = name if i == 0 else msg("{first} or {last}", first=types, last=name)
        return msgn("one more item of type {types} covering {outcome}",
                    "{n} more items of type {types} covering {outcome}", self.needed,
                    types=types, outcome=self.outcome)


@attrs.frozen
class UnitOutcome:
    """A claimed unit: its kind and, per outcome, the evidence items that count."""

    kind: str
    outcomes: Mapping[str, tuple[str, ...]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of docs/semantics.md §12."""
        return {"kind": self.kind,
                "outcomes": {o: list(items) for o, items in sorted(self.outcomes.items())}}


def _counting(counts: Iterable[tuple[Value, ...]]) -> dict[str, list[str]]:
    """The items that count for each outcome, from the ``counts(item, unit, outcome)``
    facts."""
    counting: dict[str, list[str]] = {}
    for item, _unit, outcome in counts:
        counting.setdefault(str(outcome), []).append(str(item))
    return counting


class ClaimedUnits(Mapping[str, UnitOutcome]):
    """A decision's claimed units by code, each with its kind and the items that count
    for each of its outcomes: written when first read (a decision's status does not need
    them). Equal to any mapping of the same units; safe to read from several threads."""

    __slots__ = ("_claimed", "_counts", "_made", "_outcomes")

    def __init__(self, claimed: Iterable[str], counts: Iterable[tuple[Value, ...]],
                 outcomes: Mapping[str, tuple[str, tuple[str, ...]]]) -> None:
        self._claimed = claimed
        self._counts = counts
        self._outcomes = outcomes
        self._made: dict[str, UnitOutcome] | None = None

    def _all(self) -> dict[str, UnitOutcome]:
        made = self._made
        if made is None:
            counting = _counting(self._counts)
            made = {}
            for code in sorted(set(self._claimed)):
                kind, refs = self._outcomes[code]
                made[code] = UnitOutcome(
                    kind, {ref: tuple(sorted(counting[ref])) if ref in counting else ()
                           for ref in refs})
            self._made = made
        return made

    def __getitem__(self, code: str) -> UnitOutcome:
        return self._all()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


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
    findings: Sequence[Finding]
    explanation: Mapping[str, Any] | None = None
    fired: frozenset[tuple[str, str]] = attrs.field(default=frozenset(), eq=False, repr=False)

    @property
    def admissible(self) -> bool:
        """True when the status is ``admissible``."""
        return self.status == "admissible"

    def in_language(self, lang: Lang) -> Decision:
        """This decision with its findings in ``lang`` (codes, facts and status as they are)."""
        if isinstance(self.findings, Findings):
            return attrs.evolve(self, findings=self.findings.in_language(lang))
        return self

    def to_dict(self) -> dict[str, Any]:
        """The decision as the JSON of docs/semantics.md §12 (sorted, deterministic)."""
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
                   "in-force": (1,), "claimed-item": (4,), "result": (1, 6),
                   "result-cutoff": (0,), "age-cutoff": (1,), "on": (0,),
                   "result-expired": (1, 2), "result-later": (1, 2), "extension": (1,),
                   "result-extended": (1, 2, 3)}


def date_text(ordinal: Value) -> str:
    """A date of a fact (an ordinal) as ISO text; ``-`` for none, ``open`` for no end."""
    if isinstance(ordinal, int) and 0 < ordinal < 3_652_060:
        return dt.date.fromordinal(ordinal).isoformat()
    return "-" if ordinal == 0 else "open"


def render_fact(fact: Fact) -> str:
    """A fact as text, dates shown as dates: ``item(e1, beroepsproduct, 2024-06-01, ...)``."""
    pred, args = fact
    dates = _DATE_POSITIONS.get(pred, ())
    shown = [
        date_text(a) if i in dates else ("true" if a is True else "false" if a is False
                                     else "-" if a == "" else str(a))
        for i, a in enumerate(args)
    ]
    return f"{pred}({', '.join(shown)})"


def rule_sites(compiled: Compiled) -> list[tuple[str, str]]:
    """The rules written in the ruleset and its law regimes: (name, source), sorted.

    These are what ``luk test --coverage`` counts: each ``permit`` and ``allow``
    of a regime the programme stands under, each of the ruleset's ``rule``s, and
    each clause of its examination programme that a rule cites (entry requirements,
    and what an audit applies); decisions and audits alike make them fire.
    """
    return sorted({(r.name, r.cite.source) for r in compiled.program.rules
                   if r.cite.source != BUILT_IN and not r.name.endswith("(condition)")})


def unreachable_sites(compiled: Compiled
                      ) -> dict[tuple[str, str], tuple[ir.Unreachable, ...]]:
    """The rules of :func:`rule_sites` that can never fire for the programme, as (name,
    source), each with why (lowering's :attr:`ir.Permit.unreachable` and the like): a law
    clause for a form, a unit kind or a level the programme lacks, one granted only by
    regimes that are never the law for the ruleset, a rule whose condition its programme
    makes false. ``luk test --coverage`` leaves them out of what must fire."""
    found: dict[tuple[str, str], tuple[ir.Unreachable, ...]] = {}
    for regime in compiled.ruleset.programme.regimes:
        clauses: list[ir.Permit | ir.Allow] = [*regime.permits, *regime.allows]
        for clause in clauses:
            if clause.unreachable:
                found[(clause.cite.rule, str(clause.cite.span))] = clause.unreachable
    for rule in compiled.ruleset.rules:
        if rule.unreachable:
            found[(rule.name, str(rule.cite.span))] = rule.unreachable
    return found


def fired_sites(program: Program, derivation: Derivation) -> frozenset[tuple[str, str]]:
    """The (name, source) of every rule that fired in a traced derivation: what
    ``luk test --coverage`` compares with :func:`rule_sites`."""
    return frozenset((program.rules[i].name, program.rules[i].cite.source)
                     for i in derivation.fired)


class DecisionBuilder:
    """Reads a derivation into a :class:`Decision`; one per compiled ruleset."""

    def __init__(self, compiled: Compiled, runner: Runner | None = None) -> None:
        self.compiled = compiled
        rs = compiled.ruleset
        self.rs = rs
        self.units = {u.code: u for u in rs.units}
        self.needs = {o.ref: (o.minimum.count, tuple(sorted(u.accepted_for(o.ref))))
                      for u in rs.units for o in u.outcomes}
        self.reports = reports_of(compiled, "decision")
        self._unit_outcomes = {u.code: (u.kind, tuple(o.ref for o in u.outcomes))
                               for u in rs.units}
        # Each outcome's Missing by how many counting items it has (immutable, so shared
        # by every decision): the last for as many as it needs, or more.
        self._missing_known: dict[tuple[Value, ...], tuple[Missing, ...]] = {
            (u.code, o.ref): tuple(self._missing(u.code, o.ref, have)
                                   for have in range(max(self.needs[o.ref][0], 0) + 1))
            for u in rs.units for o in u.outcomes}
        # What a decision reads of a derivation, in one call: law, route, counting items,
        # missing outcomes and the finding predicates that deny (the others' findings are
        # made when read). ``decider`` derives these first, the other facts when read.
        essentials = ("law", "combination", "counts", "missing",
                      *(pred for pred, report in self.reports if report.severity == "deny"))
        self.decider = None if runner is None else focused(runner, essentials)
        self._select = selector(self.decider, essentials)
        # A verdict reads every finding predicate (its finding, whether it denies), and
        # ``verdicter`` derives no more (nothing for audits or only for messages).
        in_brief = ("law", "combination", "missing", *(pred for pred, _ in self.reports))
        self.verdicter = None if runner is None else focused(runner, in_brief)
        self._select_verdict = selector(self.verdicter, in_brief)
        self._findings = tuple((report.code, report.severity) for _, report in self.reports)
        self._denies = tuple(report.severity == "deny" for _, report in self.reports)
        self._positions = tuple(range(len(self.reports)))

    def verdict(self, derivation: Derivation) -> Verdict:
        """The decision in brief, without messages: what impact analysis compares."""
        laws, combinations, missed, *found = self._select_verdict(derivation)
        law = min([str(f[0]) for f in laws]) if laws else None
        combination = min([str(c[0]) for c in combinations]) if combinations else "A"
        missing = tuple(sorted([str(o) for _, o in missed]))
        findings: list[tuple[str, str]] = []
        for at in compress(self._positions, found):  # the finding predicates with facts
            findings += [self._findings[at]] * len(found[at])
        findings.sort()
        if any(compress(self._denies, found)):
            status: Status = "inadmissible"
        elif missing:
            status = "incomplete"
        else:
            status = "admissible"
        return Verdict(status, law, combination, missing, tuple(findings))

    def build(self, case: str, units: Iterable[str], derivation: Derivation,
              explain: bool, lang: Lang = "en") -> Decision:
        """Assemble the decision on the submission ``case`` claiming ``units`` (and, with
        ``explain``, its proof tree); its findings in ``lang``."""
        laws, combinations, counts, missed, *denying = self._select(derivation)
        law = str(min(laws)[0]) if laws else None
        combination = min([str(c[0]) for c in combinations]) if combinations else "A"
        outcomes = ClaimedUnits(units, counts, self._unit_outcomes)
        missing: tuple[Missing, ...] = ()
        if missed:
            have: dict[Value, int] = {}  # how many items count for each outcome
            for _item, _unit, outcome in counts:
                have[outcome] = have.get(outcome, 0) + 1
            known = self._missing_known
            found: list[Missing] = []
            for key in sorted(missed):  # (unit, outcome): names, so sorted as text
                options = known.get(key)
                if options is None:
                    outcome = str(key[1])
                    found.append(self._missing(str(key[0]), outcome, have.get(outcome, 0)))
                else:
                    found.append(options[min(have.get(key[1], 0), len(options) - 1)])
            missing = tuple(found)
        if any(denying):
            status: Status = "inadmissible"
        elif missing:
            status = "incomplete"
        else:
            status = "admissible"
        findings = Findings(self.reports, derivation, self.compiled.program.texts)
        explanation = None
        fired: frozenset[tuple[str, str]] = frozenset()
        if explain:
            explanation = self._explain(derivation, tuple(findings), missing, law, combination)
            fired = fired_sites(self.compiled.program, derivation)
        return Decision(case, status, combination, law, outcomes, missing,
                        findings.in_language(lang), explanation, fired)

    def _missing(self, unit: str, outcome: str, have: int) -> Missing:
        """What an outcome lacks: its own minimum and accepted types (or its unit's)."""
        needed, accepted = self.needs[outcome]
        return Missing(unit, outcome, max(needed - have, 1), accepted)

    def _explain(self, derivation: Derivation, findings: Iterable[Finding],
                 missing: Iterable[Missing], law: str | None, combination: str
                 ) -> dict[str, Any]:
        """The proof trees of ``--explain``: the law, the route, scope, outcomes, findings
        and, for each missing outcome, what to add and why it is missing."""
        explainer = Explainer(self.compiled.program, derivation, "submission")
        d = derivation
        out: dict[str, Any] = {
            "law": explainer.node(("law", (law,))) if law else None,
            "combination": explainer.node(("combination", (combination,))),
            "scope": [
                explainer.node((pred, args))
                for pred in ("permitted", "allowed")
                for args in sorted(d.of(pred), key=repr)
            ],
            "outcomes": {
                str(o): explainer.node(("covered", (u, o)))
                for u, o in sorted(d.of("covered"), key=lambda t: (str(t[0]), str(t[1])))
            },
            "findings": explainer.findings(findings),
            "missing": [
                {"unit": m.unit, "outcome": m.outcome, "add": m.advice(),
                 "why_not": explainer.node(("missing", (m.unit, m.outcome)))}
                for m in missing
            ],
        }
        regime = next((r for r in self.compiled.ruleset.programme.regimes if r.name == law),
                      None)
        if regime is not None and not regime.shipped:
            out["law_file"] = regime.span.file
        return out


def reports_of(compiled: Compiled, verdict: Literal["decision", "audit"]
               ) -> tuple[tuple[str, Report], ...]:
    """The finding predicates of a decision's (or an audit's) findings, with their reports."""
    return tuple(sorted((pred, report) for pred, report in compiled.program.reports.items()
                        if report.verdict == verdict))


def render_findings(reports: Iterable[tuple[str, Report]], derivation: Derivation,
                    lang: Lang = "en", texts: Mapping[str, Message] | None = None
                    ) -> tuple[Finding, ...]:
    """Every finding the derivation holds for these reports, most severe first, then by
    code, facts and message: equal derivations give equal lists. Messages and citations
    are in ``lang``; ``texts`` are the program's words among the facts' values."""
    groups = _Groups(derivation)
    return tuple(sorted(
        (render_finding(report, (pred, args), derivation, lang, texts, groups)
         for pred, report in reports for args in derivation.of(pred)),
        key=lambda f: (_SEVERITY_ORDER[f.severity], f.code, f.facts, f.message)))


class _Groups:
    """The facts of a derivation grouped by their first values, each predicate grouped
    once: a finding reads its group instead of every fact of the predicate, so that
    rendering n findings over n facts costs n, not n squared."""

    def __init__(self, derivation: Derivation) -> None:
        self.derivation = derivation
        self.grouped: dict[tuple[str, int, int], dict[tuple[Value, ...], set[str]]] = {}

    def get(self, pred: str, key: tuple[Value, ...], at: int) -> set[str]:
        """The value at ``at`` (as text) of the facts of ``pred`` that start with ``key``."""
        width = len(key)
        grouped = self.grouped.get((pred, width, at))
        if grouped is None:
            grouped = self.grouped[(pred, width, at)] = {}
            for f in self.derivation.of(pred):
                found = grouped.get(f[:width])
                if found is None:
                    grouped[f[:width]] = {str(f[at])}
                else:
                    found.add(str(f[at]))
        return grouped.get(key, set())


def render_finding(report: Report, fact: Fact, derivation: Derivation, lang: Lang = "en",
                   texts: Mapping[str, Message] | None = None,
                   groups: _Groups | None = None) -> Finding:
    """A finding fact as a :class:`Finding`: all of it read off its :class:`Report`.

    ``groups`` (of the same derivation) are shared by the findings of one decision."""
    args = fact[1]
    words = texts or {}
    values = {p.name: _show(p, args[i], lang, words) for i, p in report.shown}
    gathered: dict[str, list[str]] = {}
    raw = dict(zip((p.name for p in report.params), fact[1], strict=True)) if (
        report.collected) else {}
    if groups is None:
        groups = _Groups(derivation)
    for collected in report.collected:
        key = tuple(raw[name] for name in collected.key)
        gathered[collected.name] = sorted(groups.get(collected.pred, key, -1))
        values[collected.name] = ", ".join(gathered[collected.name])
    facts: set[str] = set()
    for name in report.facts:
        facts.update(gathered[name] if name in gathered else (values[name],))
    if report.facts_from and report.facts_key:
        key_value = report.value(report.facts_key, fact[1])
        facts.update(groups.get(report.facts_from, (key_value,), 1))
    elif report.facts_from:
        facts.update(str(f[0]) for f in derivation.of(report.facts_from))
    basis, source, status = report.cited_params
    return Finding(report.code, report.severity, report.templates[lang].fill(values),
                   values.get(basis, report.basis) if basis else say(report.basis, lang),
                   report.rule,
                   values.get(source, report.source) if source else report.source,
                   tuple(sorted(facts)), fact,
                   values.get(status, report.status) if status else report.status,
                   report.advice_templates[lang].fill(values) if report.advice else "")


def render_note(note: Note, args: tuple[Value, ...], lang: Lang = "en",
                texts: Mapping[str, Message] | None = None) -> str:
    """A fact of a predicate with a :class:`Note` in words."""
    words = texts or {}
    return note.templates[lang].fill(
        {p.name: _show(p, a, lang, words) for p, a in zip(note.params, args, strict=True)})


_YES, _NO = msg("yes"), msg("no")


def _show(param: Param, value: Value, lang: Lang, texts: Mapping[str, Message]) -> str:
    if param.kind == "date":
        return date_text(value)
    if isinstance(value, bool):
        return say(_YES if value else _NO, lang)
    text = str(value)
    return say(texts.get(text, text), lang)


def _age_text(age: ir.MaxAge | None) -> str:
    return age.describe() if age is not None else "the maximum age"


Subject = Literal["submission", "record"]


class Explainer:
    """The proof trees of ``--explain``, for decisions and audits alike.

    A node for a derived fact names the fact, the rule that derived it (its name,
    source and basis) and, under ``because``, the nodes of the facts it used; a leaf
    says who gave it: the ruleset, the ``subject`` (the submission or the record), or
    the ruleset on the subject's date (a cutoff date).
    """

    def __init__(self, program: Program, derivation: Derivation, subject: Subject) -> None:
        self.derivation = derivation
        self.rules = program.rules
        self.reports = program.reports
        self.static = frozenset(pred for pred, _ in program.static)
        self.subject = subject

    def shown(self, fact: Fact) -> str:
        """A fact as text; a finding as ``finding(code, severity, values...)``."""
        report = self.reports.get(fact[0])
        if report is None:
            return render_fact(fact)
        values = [_show(p, a, "en", {}) for p, a in zip(report.params, fact[1], strict=True)]
        return f"finding({', '.join([report.code, report.severity, *values])})"

    def node(self, fact: Fact, depth: int = 0) -> dict[str, Any]:
        """The proof of ``fact`` as a tree (``because`` left out below depth 12)."""
        proof = self.derivation.proofs.get(fact)
        if proof is None:
            given = ("ruleset" if fact[0] in self.static
                     else f"ruleset, on the {self.subject} date" if fact[0] in _ON_THE_DATE
                     else self.subject)
            return {"fact": render_fact(fact), "given": given}
        rule_index, used = proof
        rule = self.rules[rule_index]
        shown = (f"the condition at {rule.cite.source} holds" if _is_condition(fact)
                 else self.shown(fact))
        if _is_condition(fact) and fact[1]:
            shown += " for " + render_fact(("", fact[1]))[1:-1]
        node: dict[str, Any] = {
            "fact": shown,
            "rule": rule.cite.rule,
            "source": rule.cite.source,
            "basis": rule.cite.basis,
        }
        if rule.cite.status != "oer":
            node["status"] = rule.cite.status or None
        if depth < 12:
            because = [self.node(f, depth + 1) for f in used if not _is_condition(f)] + [
                self.node(f, depth + 1) for f in used if _is_condition(f)]
            node["because"] = [grand for child in because
                               for grand in _unnested(child, shown, rule.cite.source)]
        return node

    def findings(self, findings: Iterable[Finding]) -> list[dict[str, Any]]:
        """Each finding with its code, message and proof."""
        return [{"code": f.code, "message": f.message, "proof": self.node(f.derived)}
                for f in findings]


def _unnested(child: dict[str, Any], fact: str, source: str) -> list[dict[str, Any]]:
    """``child``, or its own ``because`` when it says what its parent says (a condition
    built of parts at the same place): no line is nested under an identical one."""
    if child.get("fact") == fact and child.get("source") == source:
        return list(child.get("because", []))
    return [child]


def _is_condition(fact: Fact) -> bool:
    return fact[0].startswith("cond")


_ON_THE_DATE = frozenset({"accept", "result-cutoff", "age-cutoff"})
"""Input facts that the ruleset gives for the submission's (record's) date: cutoff dates."""


FINDING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "severity", "message", "basis", "status", "rule", "source", "facts"],
    "properties": {
        "code": {"type": "string"},
        "severity": {"enum": ["deny", "warning", "info"]},
        "message": {"type": "string"},
        "basis": {"type": "string"},
        "status": {"enum": ["oer", "enacted", "interpretation", "proposal", None],
                   "description": "what the basis is: the institution's regulations (oer), "
                   "the statute as enacted, an interpretation of it, a proposal, or null "
                   "when a law clause does not say"},
        "rule": {"type": "string"},
        "source": {"type": "string"},
        "facts": {"type": "array", "items": {"type": "string"}},
    },
}
"""The JSON Schema of one finding, in a decision and in an audit."""

NODE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["fact"],
    "properties": {
        "fact": {"type": "string"},
        "given": {"enum": ["ruleset", "submission", "ruleset, on the submission date",
                           "record", "ruleset, on the record date"]},
        "rule": {"type": "string"},
        "source": {"type": "string"},
        "basis": {"type": "string"},
        "status": {"enum": ["enacted", "interpretation", "proposal", None]},
        "because": {"type": "array", "items": {"$ref": "#/$defs/node"}},
    },
}
"""The JSON Schema of a node of a proof tree (``$defs/node`` in the decision and audit
schemas)."""

EXPLAINED_FINDINGS_SCHEMA: dict[str, Any] = {"type": "array", "items": {
    "type": "object", "required": ["code", "message", "proof"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "proof": {"$ref": "#/$defs/node"}}}}
"""The JSON Schema of ``explanation.findings``, in a decision and in an audit."""

DECISION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://luk-rules.example/schema/decision.json",
    "title": "Decision",
    "description": "Whether a submission is admissible, and why (docs/semantics.md §12).",
    "type": "object",
    "additionalProperties": False,
    "required": ["case", "status", "admissible", "combination", "law", "units", "missing",
                 "findings"],
    "$defs": {"node": NODE_SCHEMA},
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
                "law_file": {
                    "type": "string",
                    "description": "the file the law in force came from, when it is not the "
                    "shipped law (a regime the ruleset declares, or finds beside itself, "
                    "under a shipped regime's name)"},
                "combination": {"$ref": "#/$defs/node"},
                "scope": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                "outcomes": {"type": "object", "additionalProperties": {"$ref": "#/$defs/node"}},
                "findings": EXPLAINED_FINDINGS_SCHEMA,
                "missing": {"type": "array", "items": {
                    "type": "object", "required": ["unit", "outcome", "add", "why_not"],
                    "properties": {"unit": {"type": "string"}, "outcome": {"type": "string"},
                                   "add": {"type": "string"},
                                   "why_not": {"$ref": "#/$defs/node"}}}},
            },
        },
    },
}
