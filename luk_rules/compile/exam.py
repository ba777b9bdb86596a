"""The examination programme as rules (docs/semantics.md §15): when a result counts, why not,
entry requirements, and the diploma audit.

One definition of "a result counts" serves decisions (entry requirements) and audits
alike: a result counts on the date decided on unless a reason says it does not (it
expired, it is dated after that date, it is an exemption on a ground the programme does
not allow or without a decision reference). An exam committee may extend a result's
validity (WHW art. 7.13 lid 2 sub k): the result then expires on the later of the days
``results valid for`` and the extension give. Each reason is a derived fact, shown in
words by a :class:`~luk_rules.compile.program.Note`; the findings that cite one
(``entry-requirement-not-met``, ``required-unit-missing``) say it in the same words.

The audit's findings are rules of the same program that fire only when a record is
audited (the input fact ``audit()``); the credits that count are an aggregate sum.
``docs/semantics.md`` and ``docs/audit.md`` list the rules.

Input facts, per submission or record:
    on(date)                        the date decided on: the submission's or the record's
    result(unit, date, how, grounds, decision, by, expires)
    extension(unit, until, decision, by)  the exam committee extended the result's validity:
                                    it counts through ``until``
    result-cutoff(oldest_date)      results dated before it have expired on that date
    audit()                         only when a record is audited
Static facts, from the exam programme:
    exemption-ground(ground)  entry(unit, earlier unit)  required(unit)
    unit-credits(unit, n)  unit-title(unit, title)  diploma-credits(n)
    elective(group, units|credits, n)  elective-member(group, unit)
    exemption-limit(n)              the most credits that may count by exemption
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Literal, Protocol

import attrs

from luk_rules import ir
from luk_rules.compile.program import (
    Aggregate,
    Args,
    Atom,
    Cite,
    Compute,
    Fact,
    Literal_,
    Neg,
    Note,
    Param,
    Term,
    Test,
    Var,
)
from luk_rules.i18n import Message, msg, msgn
from luk_rules.submission import Record, Result

INPUTS = frozenset({"on", "audit", "result", "extension", "result-cutoff"})
SINGLETONS = frozenset({"on", "audit", "result-cutoff"})
#: The input predicates only the facts of an audit have (never a submission's).
RECORD_ONLY = frozenset({"audit"})
"""The inputs with at most one fact: the date, whether it is an audit, the results' cutoff."""
NO_END = 99_999_999  # a date after every date: no end, never expires (ordinal)
EXTENSION_BASIS = "WHW art. 7.13 lid 2 sub k"
"""The legal basis of an extension of a result's validity: the OER states how long passed
exams are valid, and the exam committee may extend that period."""

_ = Var("_")
U, P, D, SD, EX, G, DEC, BY = (Var(n) for n in ("U", "P", "D", "SD", "EX", "G", "DEC", "BY"))
C, N, E, S, K, T, UT, X = (Var(n) for n in ("C", "N", "E", "S", "K", "T", "UT", "X"))
Severity = Literal["deny", "warning", "info"]


class Builder(Protocol):
    """What the rules here need of the compiler's rule builder (``compile/rules.py``)."""

    rs: ir.Ruleset
    oer: str
    notes: dict[str, Note]

    def cite(self, rule: str, basis: str | None = None, source: str | None = None,
             from_regime: bool = False) -> Cite:
        """A citation; without ``source``, the rule is built in."""
        ...

    def add(self, name: str, head: Atom, body: list[Literal_], cite: Cite) -> None:
        """Add a rule."""
        ...

    def finding(self, rule: str, cite: Cite, code: str, severity: Severity, message: str,
                params: Sequence[tuple[Term, Param]], body: list[Literal_], *,
                basis: str | None = None, source: str | None = None,
                facts: tuple[str, ...] = (), facts_from: str | None = None,
                facts_key: str | None = None,
                verdict: Literal["decision", "audit"] = "decision",
                variant: str = "", advice: str = "") -> None:
        """Add a rule deriving a finding, with its :class:`Report`."""
        ...


def _result(unit: Term = _, date: Term = _, how: Term = _, grounds: Term = _,
            decision: Term = _, by: Term = _, expires: Term = _) -> Atom:
    return Atom("result", (unit, date, how, grounds, decision, by, expires))


def _words(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(names) == 1:
        return names[0]
    return msg("{names} and {last}", names=", ".join(names[:-1]), last=names[-1])


# ------------------------------------------------------------------ input facts


def result_facts(rs: ir.Ruleset, results: Sequence[Result], on: dt.date
                 ) -> dict[str, list[Args]]:
    """The facts of results judged on the date ``on`` (a submission's or a record's).

    The cutoff and each result's expiry are dates the ruleset's ``results valid for``
    gives for that date, as a unit's maximum evidence age gives ``accept``'s cutoff.
    An extension of a result's validity is a fact of its own, as the record gives it:
    the rules decide what it changes.
    """
    validity = rs.exam.validity if rs.exam else None
    return {
        "on": [(on.toordinal(),)],
        "result": [
            (r.unit, r.date.toordinal(), r.how, r.grounds or "", r.decision or "", r.by or "",
             validity.expiry(r.date).toordinal() if validity else NO_END)
            for r in results],
        "extension": [
            (r.unit, r.extended.until.toordinal(), r.extended.decision, r.extended.by or "")
            for r in results if r.extended is not None],
        "result-cutoff": [(validity.cutoff(on).toordinal() if validity else 0,)],
    }


def record_facts(rs: ir.Ruleset, record: Record) -> dict[str, list[Args]]:
    """The input facts of an audit: the record's results on its date, and ``audit()``."""
    return {**result_facts(rs, record.results, record.date), "audit": [()]}


# ------------------------------------------------------------------ static facts


def static(rs: ir.Ruleset) -> Iterator[Fact]:
    """The facts the exam programme states (see the module docstring)."""
    exam = rs.exam
    if exam is None:
        return
    for u in rs.units:
        yield "unit-credits", (u.code, u.credits)
        yield "unit-title", (u.code, u.title)
    for requirement in exam.entry:
        for before in requirement.after:
            yield "entry", (requirement.unit, before)
    for ground in exam.grounds:
        yield "exemption-ground", (ground,)
    for code in exam.required:
        yield "required", (code,)
    if exam.diploma_credits is not None:
        yield "diploma-credits", (exam.diploma_credits,)
    if exam.exemption_limit is not None:
        yield "exemption-limit", (exam.exemption_limit.credits(exam.diploma_credits),)
    for group in exam.electives:
        name = group.describe()
        if group.units is not None:
            yield "elective", (name, "units", group.units)
        else:
            yield "elective", (name, "credits", group.credits or 0)
        for code in group.members:
            yield "elective-member", (name, code)


# ------------------------------------------------------------------ rules

# Why a result does not count: the predicate (its first argument the unit), the words
# (about the unit; the other arguments by name) and those arguments.
_DATE, _EXPIRED, _ON = Param("date", "date"), Param("expired", "date"), Param("on", "date")
_GROUNDS = Param("grounds")
_REASONS: tuple[tuple[str, Message, tuple[tuple[Var, Param], ...]], ...] = (
    ("result-expired", msg("the result of {date} expired on {expired}"),
     ((D, _DATE), (EX, _EXPIRED))),
    ("result-later", msg("the result of {date} is dated after {on}"), ((D, _DATE), (SD, _ON))),
    ("ground-not-allowed", msg("exempted on grounds {grounds}, not allowed"), ((G, _GROUNDS),)),
    ("no-ground", msg("exempted on grounds (none recorded), not allowed"), ()),
    ("no-decision", msg("exemption without a decision"), ()),
)
_NO_RESULT = msg("no result")


@attrs.frozen
class _Reason:
    """Why a unit's result does not count, as the findings that cite it use it."""

    name: str
    words: Message
    params: tuple[tuple[Term, Param], ...]
    atom: Atom  # holds for the unit ``U``; "no result" is its negation

    def about(self, unit: Var) -> Literal_:
        """The literal that holds when this is why ``unit``'s result does not count."""
        atom = Atom(self.atom.pred, (unit, *self.atom.args[1:]))
        return Neg(atom) if self.name == "no-result" else atom


def rules(b: Builder) -> None:
    """Every rule of the exam programme: results, entry requirements and the audit."""
    exam = b.rs.exam
    if exam is None:
        return
    basis = exam.basis or b.oer
    reasons = _results(b, exam, basis)
    _entry(b, exam, basis, reasons)
    _required(b, exam, basis, reasons)
    _credits(b, exam, basis)
    _exemption_limit(b, exam, basis)
    _electives(b, exam, basis)
    _result_findings(b, exam, basis)


def _results(b: Builder, exam: ir.ExamProgramme, basis: str) -> list[_Reason]:
    """A result counts unless a reason says it does not; each reason cites its clause.

    Returns the reasons, "no result" first, for the findings that say why.
    """
    validity = b.cite("result validity", _validity_basis(exam, basis), str(exam.validity_span))
    grounds = b.cite("exemption grounds", exam.grounds_basis or basis, str(exam.grounds_span))
    counts = b.cite("result-counts", basis)
    if exam.validity is not None:
        # Older than `results valid for` allows: expired, unless the exam committee extended it.
        outdated: list[Literal_] = [_result(U, D, expires=EX), Atom("result-cutoff", (C,)),
                                    Test(D, "<", C)]
        b.add(validity.rule, Atom("result-expired", (U, D, EX)),
              [*outdated, Neg(Atom("extension", (U, _, _, _)))], validity)
        _extensions(b, exam, validity, outdated)
    b.add(counts.rule, Atom("result-later", (U, D, SD)),
          [_result(U, D), Atom("on", (SD,)), Test(D, ">", SD)], counts)
    # An expired exemption no longer counts whatever its grounds: those are then moot.
    live = [Neg(Atom("result-expired", (U, _, _)))] if exam.validity is not None else []
    b.add(grounds.rule, Atom("ground-not-allowed", (U, G)),
          [_result(U, how="exempted", grounds=G), Test(G, "!=", ""),
           Neg(Atom("exemption-ground", (G,))), *live], grounds)
    b.add(grounds.rule, Atom("no-ground", (U,)),
          [_result(U, how="exempted", grounds=""), *live], grounds)
    b.add(grounds.rule, Atom("no-decision", (U,)),
          [_result(U, how="exempted", decision=""), *live], grounds)
    out = [_Reason("no-result", _NO_RESULT, (), Atom("has-result", (U,)))]
    for pred, words, params in _REASONS:
        if pred == "result-expired" and exam.validity is None:
            continue
        atom = Atom(pred, (U, *(v for v, _ in params)))
        b.add(counts.rule, Atom("result-fails", (U,)), [atom], counts)
        b.notes[pred] = Note(words, (Param("unit"), *(p for _, p in params)), "unit")
        out.append(_Reason(pred, words, params, atom))
    b.add(counts.rule, Atom("counts-result", (U,)),
          [_result(U), Neg(Atom("result-fails", (U,)))], counts)
    b.add(counts.rule, Atom("has-result", (U,)), [_result(U)], counts)
    return out


def _extensions(b: Builder, exam: ir.ExamProgramme, validity: Cite,
                outdated: list[Literal_]) -> None:
    """A result older than ``results valid for`` allows, whose validity the exam committee
    extended: it counts through the extension's last day (``result-extended``, citing
    the WHW), and has expired once that day is past, on the later of the day after it
    and the day ``results valid for`` gives."""
    extended = b.cite(validity.rule, EXTENSION_BASIS, str(exam.validity_span))
    b.add(extended.rule, Atom("result-extended", (U, D, EX, UT, DEC, BY)),
          [*outdated, Atom("extension", (U, UT, DEC, BY)), Atom("on", (SD,)), Test(UT, ">=", SD)],
          extended)
    ran_out = [*outdated, Atom("extension", (U, UT, _, _)), Atom("on", (SD,)), Test(UT, "<", SD),
               Compute(X, UT, "+", 1)]
    b.add(validity.rule, Atom("result-expired", (U, D, X)), [*ran_out, Test(X, ">", EX)],
          validity)
    b.add(validity.rule, Atom("result-expired", (U, D, EX)), [*ran_out, Test(X, "<=", EX)],
          validity)


def _entry(b: Builder, exam: ir.ExamProgramme, basis: str, reasons: list[_Reason]) -> None:
    """Entry requirements: a claimed unit whose earlier units' results do not count is
    refused, one finding per earlier unit and reason, citing its own requirement."""
    if not exam.entry:
        return
    cite = b.cite("entry-requirement", basis)
    b.add(cite.rule, Atom("entry-missing", (U, P)),
          [Atom("claimed", (U,)), Atom("entry", (U, P)), Neg(Atom("counts-result", (P,)))], cite)
    for i, requirement in enumerate(exam.entry):
        own = b.cite(f"entry {requirement.unit}", basis, str(requirement.span))
        for reason in reasons:
            b.finding(
                own.rule, own, "entry-requirement-not-met", "deny",
                msgn("{unit} may only be assessed once {after} is completed; still to "
                     "complete: {earlier} ({reason})",
                     "{unit} may only be assessed once {after} are completed; still to "
                     "complete: {earlier} ({reason})", len(requirement.after),
                     after=_words(requirement.after), reason=reason.words),
                [(requirement.unit, Param("unit")), (P, Param("earlier")), *reason.params],
                [Atom("entry-missing", (requirement.unit, P)),
                 Test(P, "in", tuple(sorted(set(requirement.after)))), reason.about(P)],
                facts=("earlier",), variant=f"{i + 1}:{reason.name}",
                advice=msg("complete {earlier} first, with a result that counts"))


def _required(b: Builder, exam: ir.ExamProgramme, basis: str, reasons: list[_Reason]) -> None:
    """Every required unit needs a result that counts; the finding says why it has none."""
    if not exam.required:
        return
    cite = b.cite("required units", basis, str(exam.required_span))
    b.add(cite.rule, Atom("required-missing", (U,)),
          [Atom("audit", ()), Atom("required", (U,)), Neg(Atom("counts-result", (U,)))], cite)
    for reason in reasons:
        b.finding(
            cite.rule, cite, "required-unit-missing", "deny",
            msg("{unit} ({title}) is required and not completed ({reason})",
                reason=reason.words),
            [(U, Param("unit")), (T, Param("title")), *reason.params],
            [Atom("required-missing", (U,)), Atom("unit-title", (U, T)), reason.about(U)],
            facts=("unit",), verdict="audit", variant=reason.name,
            advice=msg("complete {unit} with a result that counts"))


def _credits(b: Builder, exam: ir.ExamProgramme, basis: str) -> None:
    """The credits that count: the sum over the units whose results count."""
    counted = b.cite("credits-counted", basis)
    b.add(counted.rule, Atom("counted-credits", (U, C)),
          [Atom("counts-result", (U,)), Atom("unit-credits", (U, C))], counted)
    b.add(counted.rule, Atom("credits-earned", (E,)),
          [Atom("audit", ()), Aggregate("sum", Atom("counted-credits", (_, C)), E, C)], counted)
    if exam.diploma_credits is None:
        return
    cite = b.cite("diploma credits", basis, str(exam.diploma_span))
    b.add(cite.rule, Atom("credits-short", (N, E, S)),
          [Atom("credits-earned", (E,)), Atom("diploma-credits", (N,)), Test(E, "<", N),
           Compute(S, N, "-", E)], cite)
    b.finding(
        cite.rule, cite, "credits-short", "deny",
        msg("the diploma needs {needed} credits; {earned} count on {on}, {short} short"),
        [(N, Param("needed", "number")), (E, Param("earned", "number")), (SD, _ON),
         (S, Param("short", "number"))],
        [Atom("credits-short", (N, E, S)), Atom("on", (SD,))],
        facts_from="counted-credits", verdict="audit",
        advice=msg("earn {short} more credits with results that count"))


def _exemption_limit(b: Builder, exam: ir.ExamProgramme, basis: str) -> None:
    """The credits that count by exemption (a sum) stay within the limit."""
    limit = exam.exemption_limit
    if limit is None:
        return
    cite = b.cite("exemption limit", limit.basis or basis, str(limit.span))
    b.add(cite.rule, Atom("exempted-credits", (U, C)),
          [Atom("counted-credits", (U, C)), _result(U, how="exempted")], cite)
    b.add(cite.rule, Atom("credits-exempted", (E,)),
          [Atom("audit", ()), Aggregate("sum", Atom("exempted-credits", (_, C)), E, C)], cite)
    b.add(cite.rule, Atom("exemptions-over", (E, N)),
          [Atom("credits-exempted", (E,)), Atom("exemption-limit", (N,)), Test(E, ">", N)],
          cite)
    b.finding(
        cite.rule, cite, "exemptions-over-limit", "deny",
        msg("exemptions count for {exempted} credits on {on}; at most {limit} may count by "
            "exemption ({amount})", amount=limit.describe(exam.diploma_credits)),
        [(E, Param("exempted", "number")), (SD, _ON), (N, Param("limit", "number"))],
        [Atom("exemptions-over", (E, N)), Atom("on", (SD,))],
        facts_from="exempted-credits", verdict="audit",
        advice=msg("bring the credits that count by exemption down to at most {limit}"))


_RENEW = msg("take {unit} again, or ask the exam committee to extend the validity of its "
             "result ({basis})", basis=EXTENSION_BASIS)
_GROUND_ADVICE = msg("ask the exam committee for a decision on {unit} on grounds the exam "
                     "programme allows, or complete {unit} with a result")

_BY: tuple[tuple[str, Test, tuple[tuple[Term, Param], ...]], ...] = (
    ("by", Test(BY, "!=", ""), ((BY, Param("by")),)),
    ("unrecorded", Test(BY, "=", ""), ()),
)
"""The two variants of a finding about an extension ``BY`` granted: one names who (when the
record says), the other does not. Each: its name, the test and the param shown."""


def _validity_findings(b: Builder, exam: ir.ExamProgramme, validity: ir.MaxAge,
                       basis: str) -> None:
    """Each expired result is a warning (saying so when its extension ran out too); each
    result an extension keeps counting is an ``info`` finding, citing the WHW."""
    cite = b.cite("result validity", _validity_basis(exam, basis), str(exam.validity_span))
    valid = validity.describe()
    shown: list[tuple[Term, Param]] = [(U, Param("unit")), (D, _DATE), (SD, _ON), (EX, _EXPIRED)]
    expired = [Atom("audit", ()), Atom("result-expired", (U, D, EX)), Atom("on", (SD,))]
    b.finding(cite.rule, cite, "result-expired", "warning",
              msg("the result for {unit} of {date} no longer counts on {on}: results are valid "
                  "for {valid} (it expired on {expired})", valid=valid), shown,
              [*expired, Neg(Atom("extension", (U, _, _, _)))], facts=("unit",), verdict="audit",
              advice=_RENEW)
    until, decision = Param("until", "date"), Param("decision")
    ran_out = {
        "by": msg("the result for {unit} of {date} no longer counts on {on}: results are valid "
                  "for {valid}, and its extension until {until} by {by} (decision {decision}) "
                  "has run out too (it expired on {expired})", valid=valid),
        "unrecorded": msg("the result for {unit} of {date} no longer counts on {on}: results "
                          "are valid for {valid}, and its extension until {until} (decision "
                          "{decision}) has run out too (it expired on {expired})", valid=valid)}
    for variant, test, by_param in _BY:
        b.finding(
            cite.rule, cite, "result-expired", "warning", ran_out[variant],
            [*shown, (UT, until), (DEC, decision), *by_param],
            [*expired, Atom("extension", (U, UT, DEC, BY)), test],
            facts=("unit",), verdict="audit", variant=f"extension-{variant}", advice=_RENEW)
    extended = b.cite("result validity", EXTENSION_BASIS, str(exam.validity_span))
    kept = {
        "by": msg("the result for {unit} of {date} counts until {until}: its validity was "
                  "extended by {by} (decision {decision}); without the extension it would have "
                  "expired on {expired}"),
        "unrecorded": msg("the result for {unit} of {date} counts until {until}: its validity "
                          "was extended (decision {decision}); without the extension it would "
                          "have expired on {expired}")}
    for variant, test, by_param in _BY:
        b.finding(
            extended.rule, extended, "validity-extended", "info", kept[variant],
            [(U, Param("unit")), (D, _DATE), (UT, until), (DEC, decision), (EX, _EXPIRED),
             *by_param],
            [Atom("audit", ()), Atom("result-extended", (U, D, EX, UT, DEC, BY)), test],
            facts=("unit",), verdict="audit", variant=variant)


def _validity_basis(exam: ir.ExamProgramme, basis: str) -> str:
    """``results valid for``'s own basis, else the exam programme's."""
    return (exam.validity.basis if exam.validity is not None else "") or basis


def _electives(b: Builder, exam: ir.ExamProgramme, basis: str) -> None:
    """Each elective group needs enough units (or credits) that count; one rule per group,
    citing its own clause."""
    if not exam.electives:
        return
    helper = b.cite("elective-completed", basis)
    b.add(helper.rule, Atom("group-completed", (G, U)),
          [Atom("elective-member", (G, U)), Atom("counts-result", (U,))], helper)
    b.add(helper.rule, Atom("group-credits", (G, U, C)),
          [Atom("elective-member", (G, U)), Atom("counted-credits", (U, C))], helper)
    for i, group in enumerate(exam.electives):
        name = group.describe()
        cite = b.cite("elective group", basis, str(group.span))
        if group.units is not None:
            done = Aggregate("count", Atom("group-completed", (name, _)), K)
            some = msg("{group}: {short} more needed ({done} of them completed)")
        else:
            done = Aggregate("sum", Atom("group-credits", (name, _, C)), K, C)
            some = msg("{group}: {short} more needed ({done} credits of them count)")
        b.add(cite.rule, Atom("elective-short", (name, S, K)),
              [Atom("audit", ()), Atom("elective", (name, _, N)), done, Test(K, "<", N),
               Compute(S, N, "-", K)], cite)
        none = msg("{group}: {short} more needed (completed: none)")
        for variant, test, message in (("none", Test(K, "=", 0), none),
                                       ("some", Test(K, ">", 0), some)):
            b.finding(
                cite.rule, cite, "elective-group-short", "deny", message,
                [(name, Param("group")), (S, Param("short", "number")),
                 (K, Param("done", "number"))],
                [Atom("elective-short", (name, S, K)), test],
                facts_from="elective-member", facts_key="group", verdict="audit",
                variant=f"{i + 1}:{variant}",
                advice=msg("complete {short} more of the group ({group}) with results that "
                           "count"))


def _result_findings(b: Builder, exam: ir.ExamProgramme, basis: str) -> None:
    """Each result that does not count says why; each exemption that counts, who granted it."""
    if exam.validity is not None:
        _validity_findings(b, exam, exam.validity, basis)
    cite = b.cite("exemption grounds", exam.grounds_basis or basis, str(exam.grounds_span))

    def finding(code: str, severity: Severity, message: Message,
                params: list[tuple[Term, Param]], body: list[Literal_], variant: str = "",
                advice: str = "") -> None:
        b.finding(cite.rule, cite, code, severity, message, [(U, Param("unit")), *params],
                  [Atom("audit", ()), *body], facts=("unit",), verdict="audit", variant=variant,
                  advice=advice)

    allowed = ", ".join(exam.grounds) or msg("none")
    finding("exemption-grounds-not-allowed", "deny",
            msg("{unit} was exempted on grounds {grounds}, which the exam programme does not "
                "allow (allowed: {allowed}); the exemption does not count", allowed=allowed),
            [(G, _GROUNDS)], [Atom("ground-not-allowed", (U, G))], "ground",
            _GROUND_ADVICE)
    finding("exemption-grounds-not-allowed", "deny",
            msg("{unit} was exempted on grounds (none recorded), which the exam programme does "
                "not allow (allowed: {allowed}); the exemption does not count",
                allowed=allowed),
            [], [Atom("no-ground", (U,))], "none", _GROUND_ADVICE)
    finding("exemption-without-decision", "deny",
            msg("the exemption for {unit} has no decision reference; an exemption is a "
                "recorded decision of the exam committee"), [], [Atom("no-decision", (U,))],
            advice=msg("record the exam committee's decision on the exemption for {unit}"))
    exempted = [_result(U, D, "exempted", G, DEC, BY), Atom("counts-result", (U,))]
    shown: list[tuple[Term, Param]] = [(G, _GROUNDS), (DEC, Param("decision")), (D, _DATE)]
    finding("exemption", "info",
            msg("{unit} exempted by {by} on grounds {grounds} (decision {decision}, {date})"),
            [*shown, (BY, Param("by"))], [*exempted, Test(BY, "!=", "")], "by")
    finding("exemption", "info",
            msg("{unit} exempted by (not recorded) on grounds {grounds} (decision {decision}, "
                "{date})"), shown, [*exempted, Test(BY, "=", "")], "unrecorded")
