"""Compile a checked ruleset (IR) into a rule program and a fact builder.

The decision semantics of docs/semantics.md are written here once as rules; the
law regimes' ``permit``/``allow`` clauses and the ruleset's own ``rule``s
become rules of the same program. ``docs/semantics.md`` lists them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Literal

import attrs

from luk_rules import ir
from luk_rules.compile import exam
from luk_rules.compile.program import (
    Args,
    Atom,
    Cite,
    Collected,
    CountAtLeast,
    Fact,
    FactSet,
    Literal_,
    Neg,
    Note,
    Param,
    Program,
    Report,
    Rule,
    Test,
    Var,
)
from luk_rules.compile.scoped import UNSCOPED, Scope, ScopedCompiler
from luk_rules.i18n import msg
from luk_rules.submission import FieldValue, Result, Submission

# Input predicates, asserted per submission:
#   sub(form, assessment, date, n_units, n_items, n_activities)
#   claimed(unit)               item(id, type, date, activity, verified)
#   claim(item, unit, outcome)  followed(activity)
#   accept(unit, type, oldest_date, needs_verification)
#   item-org(item, organisation)  item-issuer(item, issuer)  field(item, field, value)
#   age-cutoff(months, oldest_date)
#   and the results, with on(date): see compile/exam.py
# Static predicates, from the declarations:
#   unit(unit, kind)  outcome(unit, outcome)  recommended(unit, activity)
#   assess(assessment, unit)  assessment(assessment, method, path_independent)
#   max-units(assessment, n)  regime(name, start, end)  (the exam programme's: exam.py)
#   unit-credits(unit, credits)  minimum(outcome, n, basis, source)
#   outcome-accepts(outcome, type)  narrowed-out(outcome, type)
# and the texts and places findings cite: accepts-text(unit, text, source),
#   age-limit(unit, type, text, basis, source), verification-cite(type, basis, source),
#   outcome-accepts-text(outcome, text, basis, source),
#   assessment-text(assessment, units, source), regime-cite(regime, basis, source, status),
#   permit-clause(regime, kind, form, basis, source, status),
#   allow-clause(regime, combination, kind, basis, source, status)
SCOPED_INPUTS = frozenset({"item-org", "item-issuer", "field", "age-cutoff"})
INPUTS = frozenset({"sub", "claimed", "item", "claim", "followed", "accept"}) | exam.INPUTS \
    | SCOPED_INPUTS
SINGLETONS = frozenset({"sub"}) | exam.SINGLETONS
"""The inputs with one fact per submission (and none, or one, per record)."""
NO_END = exam.NO_END  # "until" of a regime without an end, as an ordinal date
NO_ACTIVITY = ""
BUILT_IN = "built-in"


def _v(name: str) -> Var:
    return Var(name)


_ = Var("_")
# Rule variables, named as in docs/semantics.md: item, unit, outcome, type, date, ...
I, U, O, T, D, SD, A, K, R, S, E, X, F, N = (  # noqa: E741
    _v(n) for n in ("I", "U", "O", "T", "D", "SD", "A", "K", "R", "S", "E", "X", "F", "N"))


def _sub(form: Var | str = _, assessment: Var | str = _, date: Var = _, units: Var = _,
         items: Var = _, activities: Var = _) -> Atom:
    return Atom("sub", (form, assessment, date, units, items, activities))


def _item(i: Var | str = _, t: Var = _, d: Var = _, act: Var | str = _,
          verified: Var | bool = _) -> Atom:
    return Atom("item", (i, t, d, act, verified))


Term_ = Var | str | int | bool


ItemRow = tuple[str, str, int, str, bool]
"""An evidence item as its ``item`` fact: id, type, date (ordinal), activity (or
:data:`NO_ACTIVITY`), verified."""


@attrs.frozen
class Compiled:
    """A compiled ruleset: the program, and how to turn a submission into facts."""

    ruleset: ir.Ruleset
    program: Program
    condition_count: int
    accepted: Mapping[str, tuple[tuple[str, ir.MaxAge | None, bool], ...]]
    ages: tuple[int, ...] = ()
    """The ages (in months) the rules compare items with: ``age-cutoff`` facts."""
    reads: frozenset[str] = frozenset()
    """The input predicates of scoped rules that some rule reads: only those are built."""
    field_types: Mapping[str, str] = attrs.field(factory=dict)

    @functools.cached_property
    def _accepting(self) -> Mapping[str, tuple[tuple[str, int | None, bool], ...]]:
        """:attr:`accepted` with each maximum age in months (the cutoff depends on nothing
        else), read once."""
        return {code: tuple((name, age.in_months if age else None, needs)
                            for name, age, needs in rows)
                for code, rows in self.accepted.items()}

    @functools.cached_property
    def _ages(self) -> Mapping[str, tuple[int, ...]]:
        """The maximum ages (in months) of the types each unit accepts."""
        return {code: tuple(sorted({months for _, months, _ in rows if months is not None}))
                for code, rows in self._accepting.items()}

    @functools.cached_property
    def _validity(self) -> int | None:
        """How long results stay valid, in months (None: for ever, or no exam programme)."""
        exam_programme = self.ruleset.exam
        validity = exam_programme.validity if exam_programme else None
        return validity.in_months if validity else None

    def facts(self, submission: Submission) -> FactSet:
        """The input facts of a (validated) submission, by predicate.

        Facts are sets: their order does not matter to any result (proofs are chosen
        by a total order too), so they are not sorted here.
        """
        items: list[ItemRow] = []
        claims: list[Args] = []
        for e in submission.evidence:
            items.append((e.id, e.type, e.date.toordinal(), e.activity or NO_ACTIVITY,
                          e.verified))
            claims.extend((e.id, ref.rpartition(".")[0], ref) for ref in e.outcomes)
        followed = dict.fromkeys(submission.activities)
        followed.update(dict.fromkeys(e.activity for e in submission.evidence if e.activity))
        facts = self.input_facts(submission.form, submission.assessment, submission.date,
                                 list(dict.fromkeys(submission.units)), items, claims,
                                 followed, len(submission.activities), submission.results)
        if self.reads:
            facts.update(self.scoped_facts(submission.date, (
                (e.id, e.organisation, e.issuer, e.fields) for e in submission.evidence)))
        return facts

    def input_facts(self, form: str, assessment: str, date: dt.date, units: list[str],
                    items: list[ItemRow], claims: list[Args], followed: Iterable[str],
                    activities: int, results: Sequence[Result] = ()
                    ) -> dict[str, Sequence[Args]]:
        """The input facts of a submission's parts, read and checked (all but the facts
        of scoped rules): its ``units`` without repeats, its ``items`` and their
        ``claims`` (item, unit, outcome), the activities ``followed`` (listed or named by
        an item) and how many ``activities`` it lists."""
        accepting, ages = self._accepting, self._ages
        cutoffs: dict[int | None, int] = {None: 0}
        for code in units:
            for months in ages.get(code, ()):
                if months not in cutoffs:
                    cutoffs[months] = cutoff(date, months)
        accept = [(code, type_name, cutoffs[months], needs) for code in units
                  for type_name, months, needs in accepting.get(code, ())]
        day = date.toordinal()
        facts: dict[str, Sequence[Args]] = {
            "sub": [(form, assessment, day, len(units), len(items), activities)],
            "claimed": [(u,) for u in units],
            "item": items,
            "claim": claims,
            "followed": [(a,) for a in followed],
            "accept": accept,
        }
        if results:
            facts.update(exam.result_facts(self.ruleset, results, date))
        else:  # what exam.result_facts gives for no results, quicker
            validity = self._validity
            facts.update({"on": [(day,)], "result": [], "extension": [],
                          "result-cutoff": [(0 if validity is None else cutoff(date, validity),)]})
        return facts

    def scoped_facts(self, date: dt.date,
                     items: Iterable[tuple[str, str | None, str | None,
                                           tuple[tuple[str, FieldValue], ...]]]
                     ) -> dict[str, list[Args]]:
        """The facts only scoped rules read: organisations, issuers, fields, age cutoffs;
        ``items`` are each evidence item's id, organisation, issuer and fields."""
        found: dict[str, list[Args]] = {
            "item-org": [],
            "item-issuer": [],
            "age-cutoff": [(months, ir.MaxAge(months=months).cutoff(date).toordinal())
                           for months in self.ages],
            "field": [],
        }
        for item_id, organisation, issuer, fields in items:
            if organisation is not None:
                found["item-org"].append((item_id, organisation))
            if issuer is not None:
                found["item-issuer"].append((item_id, issuer))
            for name, value in fields:
                if self.field_types.get(name) == "date" and isinstance(value, str):
                    found["field"].append((item_id, name,
                                           dt.date.fromisoformat(value).toordinal()))
                elif isinstance(value, str | int):
                    found["field"].append((item_id, name, value))
        return {pred: rows for pred, rows in found.items() if pred in self.reads}


def cutoff(on: dt.date, months: int) -> int:
    """The oldest date (an ordinal) an item may have to count on ``on`` when it may be
    ``months`` old: ``MaxAge(months=months).cutoff(on).toordinal()``, quicker."""
    year, month = divmod(on.year * 12 + on.month - 1 - months, 12)
    if year < dt.MINYEAR:
        return 1  # date.min
    day = on.day
    if day <= 28:
        return dt.date(year, month + 1, day).toordinal()
    return ir.MaxAge(months=months).cutoff(on).toordinal()


def effective_max_age(rs: ir.Ruleset, unit: ir.Unit, etype: ir.EvidenceType | None
                      ) -> ir.MaxAge | None:
    """The strictest of the type's, the unit's and the programme's maximum age."""
    ages = [a for a in (etype.max_age if etype else None, unit.max_age, rs.programme.max_age)
            if a is not None]
    return min(ages, key=lambda a: a.in_months) if ages else None


def _text(name: str) -> Param:
    return Param(name)


def _date_param(name: str) -> Param:
    return Param(name, "date")


def _number(name: str) -> Param:
    return Param(name, "number")


class _Builder:
    def __init__(self, rs: ir.Ruleset) -> None:
        self.rs = rs
        self.rules: list[Rule] = []
        self.conditions = 0
        self.oer = f"OER {rs.programme.title} ({rs.programme.code})"
        self.programme_source = str(rs.programme.span)
        self.reports: dict[str, Report] = {}
        self.scoped = ScopedCompiler(self)
        self.notes: dict[str, Note] = {}

    def finding(self, rule: str, cite: Cite, code: str,
                severity: Literal["deny", "warning", "info"], message: str,
                params: Sequence[tuple[Term_, Param]], body: list[Literal_], *,
                basis: str | None = None, source: str | None = None,
                facts: tuple[str, ...] = (), facts_from: str | None = None,
                facts_key: str | None = None,
                verdict: Literal["decision", "audit"] = "decision",
                variant: str = "", collected: tuple[Collected, ...] = (),
                status: str | None = None,
                translations: tuple[tuple[str, str], ...] = (), advice: str = "") -> None:
        """A rule deriving a finding, and what its facts report (see :class:`Report`).

        ``basis`` and ``source`` default to the rule's citation (the programme's own
        line for a built-in rule); ``variant`` tells apart rules of one code whose
        findings report different values.
        """
        pred = f"finding:{code}" + (f":{variant}" if variant else "")
        report = Report(
            code, severity, message, tuple(p for _, p in params), cite.rule,
            basis if basis is not None else cite.basis,
            source if source is not None else (
                self.programme_source if cite.source == BUILT_IN else cite.source),
            facts, facts_from, collected, facts_key, verdict,
            status if status is not None else cite.status, translations, advice)
        if self.reports.setdefault(pred, report) != report:  # pragma: no cover - a bug here
            raise ValueError(f"two reports for `{pred}`")
        self.add(rule, Atom(pred, tuple(t for t, _ in params)), body, cite)

    def cite(self, rule: str, basis: str | None = None, source: str | None = None,
             from_regime: bool = False, status: str = "oer") -> Cite:
        """Built-in rules have the source ``built-in`` (see docs/semantics.md)."""
        return Cite(rule, basis if basis is not None else self.oer,
                    source if source is not None else BUILT_IN, from_regime, status)

    def add(self, name: str, head: Atom, body: list[Literal_], cite: Cite) -> None:
        self.rules.append(Rule(name, head, tuple(body), cite))

    # ------------------------------------------------------------ conditions

    def condition(self, c: ir.Cond, cite: Cite, scope: Scope = UNSCOPED) -> str:
        """Compile a condition to a predicate that holds when it does: nullary, or, in a
        scoped rule, per value of its binders (``cond7(O, I)``)."""
        self.conditions += 1
        pred = f"cond{self.conditions}"
        head = Atom(pred, scope.vars)
        name = f"{cite.rule} (condition)"
        if c.span.line:  # each part of a condition cites its own place
            cite = Cite(cite.rule, cite.basis, str(c.span), cite.from_regime, cite.status)
        guard: list[Literal_] = [scope.atom] if scope.atom is not None else []
        match c:
            case ir.Const(True):
                self.add(name, head, guard, cite)
            case ir.Const(False):
                pass
            case ir.AllOf(items):
                parts: list[Literal_] = [Atom(self.condition(i, cite, scope), scope.vars)
                                         for i in items]
                self.add(name, head, parts or guard, cite)
            case ir.AnyOf(items):
                for i in items:
                    self.add(name, head, [Atom(self.condition(i, cite, scope), scope.vars)],
                             cite)
            case ir.Negation(item):
                self.add(name, head, [*scope.guard(), Neg(Atom(self.condition(item, cite, scope),
                                                                scope.vars))], cite)
            case ir.Comparison() | ir.Share() | ir.Has() | ir.Quantified():
                for body in self.scoped.bodies(c, scope, cite):
                    self.add(name, head, [*scope.guard(), *body], cite)
            case _:
                for body in self._atom_bodies(c, pred, name, cite):
                    self.add(name, head, [*guard, *body], cite)
        return pred

    def _atom_bodies(self, c: ir.Cond, pred: str, name: str, cite: Cite
                     ) -> list[list[Literal_]]:
        """The bodies of an atom about the whole submission (helper rules written here)."""
        match c:
            case ir.Claimed(unit):
                return [[Atom("claimed", (unit,))]]
            case ir.RequestedAssessment(names):
                return [[_sub(assessment=A), Test(A, "in", tuple(sorted(names)))]]
            case ir.EvidenceTypes("some", types):
                return [[_item(t=T), Test(T, "in", tuple(sorted(types)))]]
            case ir.EvidenceTypes("every", types):
                other = f"{pred}_other"
                self.add(name, Atom(other, ()), [_item(t=T), Test(T, "not in",
                                                                  tuple(sorted(types)))], cite)
                return [[_sub(items=N), Test(N, ">", 0), Neg(Atom(other, ()))]]
            case ir.EvidenceTypes(_, types):  # "no"
                some = f"{pred}_some"
                self.add(name, Atom(some, ()), [_item(t=T), Test(T, "in",
                                                                 tuple(sorted(types)))], cite)
                return [[_sub(), Neg(Atom(some, ()))]]
            case ir.Count("units", _, op, value):
                return [[_sub(units=N), Test(N, op, value)]]
            case ir.Count(_, (), op, value):
                return [[_sub(items=N), Test(N, op, value)]]
            case ir.Count(_, types, op, value):
                of_type = f"{pred}_item"
                self.add(name, Atom(of_type, (I,)),
                         [_item(i=I, t=T), Test(T, "in", tuple(sorted(types)))], cite)
                return [[_sub(), *self._count(Atom(of_type, (_,)), op, value)]]
            case ir.CombinationIn(combos):
                return [[Atom("combination", (X,)), Test(X, "in", tuple(sorted(combos)))]]
            case ir.FormIn(forms):
                return [[_sub(form=F), Test(F, "in", tuple(sorted(forms)))]]
            case ir.Followed(activity):
                return [[Atom("followed", (activity,))]]
            case ir.DateFrom(date):
                return [[_sub(date=SD), Test(SD, ">=", date.toordinal())]]
        raise AssertionError(f"unknown condition {c!r}")  # pragma: no cover

    @staticmethod
    def _count(atom: Atom, op: str, value: int) -> list[Literal_]:
        if op == ">=":
            return [CountAtLeast(atom, value)]
        if op == ">":
            return [CountAtLeast(atom, value + 1)]
        if op == "<":
            return [CountAtLeast(atom, value, at_least=False)]
        if op == "<=":
            return [CountAtLeast(atom, value + 1, at_least=False)]
        return [CountAtLeast(atom, value), CountAtLeast(atom, value + 1, at_least=False)]

    # ------------------------------------------------------------ semantics

    def evidence(self) -> None:
        """Valid evidence (DESIGN §3.1): which items count for which outcomes, and why not."""
        v = Var("V")
        cite = self.cite("valid-evidence", msg("{oer}: accepted evidence, maximum age",
                                                oer=self.oer))
        # An item's claim on an outcome of a claimed unit, joined once for the rules below.
        self.add("valid-evidence", Atom("claimed-item", (I, U, O, T, D, v)),
                 [Atom("claim", (I, U, O)), Atom("claimed", (U,)), _item(I, T, D, _, v)], cite)
        claimed_item = Atom("claimed-item", (I, U, O, T, D, v))
        # An outcome that narrows its unit's types (`outcome 2 accepts ...`) refuses the rest.
        narrowing = any(o.accepts is not None for u in self.rs.units for o in u.outcomes)
        narrowed: list[Literal_] = [Neg(Atom("narrowed-out", (O, T)))] if narrowing else []
        self.add("valid-evidence", Atom("counts", (I, U, O)),
                 [claimed_item, Atom("accept", (U, T, E, False)), *narrowed, _sub(date=SD),
                  Test(D, "<=", SD), Test(D, ">=", E)], cite)
        self.add("valid-evidence", Atom("counts", (I, U, O)),
                 [Atom("claimed-item", (I, U, O, T, D, True)), Atom("accept", (U, T, E, True)),
                  *narrowed, _sub(date=SD), Test(D, "<=", SD), Test(D, ">=", E)], cite)
        SRC, LIM, TXT, B = Var("SRC"), Var("LIM"), Var("TXT"), Var("B")
        own: list[Literal_] = [Neg(Atom("outcome-accepts-text", (O, _, _, _)))] if narrowing else []
        self.finding(
            "evidence-type-not-accepted", self.cite("evidence-type-not-accepted"),
            "evidence-type-not-accepted", "warning",
            msg("{item} ({type}) does not count for {outcome}: {unit} accepts {accepted}"),
            [(I, _text("item")), (T, _text("type")), (O, _text("outcome")), (U, _text("unit")),
             (TXT, _text("accepted")), (SRC, _text("source"))],
            [claimed_item, Neg(Atom("accept", (U, T, _, _))), *own,
             Atom("accepts-text", (U, TXT, SRC))],
            source="{source}", facts=("item",),
            advice=msg("cover {outcome} with an item of a type {unit} accepts: {accepted}"))
        if narrowing:
            self.finding(
                "evidence-type-not-accepted", self.cite("evidence-type-not-accepted"),
                "evidence-type-not-accepted", "warning",
                msg("{item} ({type}) does not count for {outcome}: {outcome} accepts only "
                    "{accepted}"),
                [(I, _text("item")), (T, _text("type")), (O, _text("outcome")),
                 (TXT, _text("accepted")), (B, _text("basis")), (SRC, _text("source"))],
                [claimed_item, Atom("outcome-accepts-text", (O, TXT, B, SRC)),
                 Neg(Atom("outcome-accepts", (O, T)))],
                basis="{basis}", source="{source}", facts=("item",), variant="outcome",
                advice=msg("cover {outcome} with an item of a type it accepts: {accepted}"))
        self.finding(
            "evidence-too-old", self.cite("evidence-too-old"), "evidence-too-old", "warning",
            msg("{item} ({type}, {date}) does not count for {outcome}: older than {limit} "
                "on {on}"),
            [(I, _text("item")), (T, _text("type")), (D, _date_param("date")),
             (O, _text("outcome")), (LIM, _text("limit")), (SD, _date_param("on")),
             (B, _text("basis")), (SRC, _text("source"))],
            [claimed_item, Atom("accept", (U, T, E, _)), *narrowed, Test(D, "<", E),
             _sub(date=SD), Atom("age-limit", (U, T, LIM, B, SRC))],
            basis="{basis}", source="{source}", facts=("item",),
            advice=msg("cover {outcome} with evidence that is at most {limit} old on {on}"))
        self.finding(
            "evidence-after-submission", self.cite("evidence-after-submission"),
            "evidence-after-submission", "warning",
            msg("{item} is dated {date}, after the submission date {on}; it does not count "
                "for {outcome}"),
            [(I, _text("item")), (D, _date_param("date")), (SD, _date_param("on")),
             (O, _text("outcome"))],
            [_sub(date=SD), claimed_item, Test(D, ">", SD)], facts=("item",),
            advice=msg("submit only evidence dated on or before the submission date {on}"))
        self.finding(
            "evidence-not-verified", self.cite("evidence-not-verified"),
            "evidence-not-verified", "warning",
            msg("{item} ({type}) does not count for {outcome}: it needs verification"),
            [(I, _text("item")), (T, _text("type")), (O, _text("outcome")),
             (B, _text("basis")), (SRC, _text("source"))],
            [Atom("claimed-item", (I, U, O, T, _, False)), Atom("accept", (U, T, _, True)),
             *narrowed, Atom("verification-cite", (T, B, SRC))],
            basis="{basis}", source="{source}", facts=("item",),
            advice=msg("have {item} verified by an assessor"))
        self.finding(
            "outcome-not-claimed", self.cite("outcome-not-claimed"), "outcome-not-claimed",
            "warning", msg("{item} covers {outcome}, but unit {unit} is not claimed"),
            [(I, _text("item")), (O, _text("outcome")), (U, _text("unit"))],
            [Atom("claim", (I, U, O)), Neg(Atom("claimed", (U,)))], facts=("item",),
            advice=msg("claim unit {unit} as well, or leave {outcome} out of {item}'s claims"))

    def coverage(self) -> None:
        """Coverage (§3.2): a portfolio needs enough counting items for every outcome."""
        cite = self.cite("coverage", msg("{oer}: evidence per outcome", oer=self.oer))
        self.add("coverage", Atom("needs-evidence", ()),
                 [_sub(assessment=A), Atom("assessment", (A, "portfolio", _))], cite)
        for n in sorted({o.minimum.count for u in self.rs.units for o in u.outcomes}):
            self.add("coverage", Atom("covered", (U, O)),
                     [Atom("claimed", (U,)), Atom("outcome", (U, O)),
                      Atom("minimum", (O, n, _, _)),
                      CountAtLeast(Atom("counts", (_, U, O)), n)], cite)
        self.add("coverage", Atom("missing", (U, O)),
                 [Atom("needs-evidence", ()), Atom("claimed", (U,)), Atom("outcome", (U, O)),
                  Neg(Atom("covered", (U, O)))], cite)

    def combination(self) -> None:
        """Combination (§3.3): D, else C, else B, else A."""
        c = self.cite("combination", msg("routes A-D: a reading of current practice, not a "
                                         "statutory term (docs/law.md)"),
                      status="interpretation")
        u2 = Var("U2")
        self.add("combination", Atom("item-unit", (I, U)),
                 [Atom("claimed-item", (I, U, _, _, _, _))], c)
        self.add("combination", Atom("multi-unit-item", (I,)),
                 [Atom("item-unit", (I, U)), Atom("item-unit", (I, u2)), Test(U, "<", u2)], c)
        self.add("combination", Atom("route-d", ()), [Atom("multi-unit-item", (_,))], c)
        self.add("combination", Atom("route-d", ()), [_sub(units=N), Test(N, ">=", 2)], c)
        self.add("combination", Atom("route-c", ()),
                 [_sub(items=N, activities=Var("NA")), Test(N, "=", 0), Test(Var("NA"), "=", 0),
                  Neg(Atom("route-d", ()))], c)
        self.add("combination", Atom("recommended-for-claimed", (A,)),
                 [Atom("claimed", (U,)), Atom("recommended", (U, A))], c)
        self.add("combination", Atom("own-learning", ()),
                 [Atom("followed", (A,)), Neg(Atom("recommended-for-claimed", (A,)))], c)
        self.add("combination", Atom("own-learning", ()), [_item(act=NO_ACTIVITY)], c)
        self.add("combination", Atom("route-b", ()),
                 [Atom("own-learning", ()), Neg(Atom("route-d", ())), Neg(Atom("route-c", ()))],
                 c)
        for letter, pred in (("D", "route-d"), ("C", "route-c"), ("B", "route-b")):
            self.add("combination", Atom("combination", (letter,)), [Atom(pred, ())], c)
        self.add("combination", Atom("combination", ("A",)),
                 [_sub(), Neg(Atom("route-d", ())), Neg(Atom("route-c", ())),
                  Neg(Atom("route-b", ()))], c)

    def law(self) -> None:
        """The regime in force on the date: of those in force, the one that started last."""
        c = self.cite("law-in-force", msg("the law regime in force on the submission date"))
        r2, s2 = Var("R2"), Var("S2")
        self.add("law-in-force", Atom("in-force", (R, S)),
                 [Atom("regime", (R, S, E)), _sub(date=SD), Test(S, "<=", SD), Test(SD, "<=", E)],
                 c)
        self.add("law-in-force", Atom("superseded", (R,)),
                 [Atom("in-force", (R, S)), Atom("in-force", (r2, s2)), Test(s2, ">", S)], c)
        self.add("law-in-force", Atom("superseded", (R,)),
                 [Atom("in-force", (R, S)), Atom("in-force", (r2, S)), Test(r2, ">", R)], c)
        self.add("law-in-force", Atom("law", (R,)),
                 [Atom("in-force", (R, _)), Neg(Atom("superseded", (R,)))], c)
        names = ", ".join(r.name for r in self.rs.programme.regimes) or msg("none")
        self.finding(
            "no-regime-in-force", self.cite("no-regime-in-force"), "no-regime-in-force", "deny",
            msg("no law regime of this programme is in force on {on} (it stands under "
                "{regimes})", regimes=names),
            [(SD, _date_param("on"))], [_sub(date=SD), Neg(Atom("law", (_,)))],
            advice=msg("the programme must stand under a law regime in force on {on} "
                       "(`under` in its `programme`)"))

    def scope(self) -> None:
        """Scope (§3.4): unit kinds per form and combinations per kind, per the regime."""
        self.add("scope", Atom("kind-used", (K,)),
                 [Atom("claimed", (U,)), Atom("unit", (U, K))],
                 self.cite("scope", msg("the unit kinds of the claimed units")))
        # A clause inherited through `extends` is one rule, for every regime that has it.
        permits: dict[ir.Permit, list[str]] = {}
        allows: dict[ir.Allow, list[str]] = {}
        for regime in self.rs.programme.regimes:
            for p in regime.permits:
                permits.setdefault(p, []).append(regime.name)
            for a in regime.allows:
                allows.setdefault(a, []).append(regime.name)
        for p, regimes in permits.items():
            cite = self.cite(p.cite.rule, p.cite.basis, str(p.cite.span),
                             status=p.cite.status)
            cond = self.condition(p.when, cite)
            self.add(p.cite.rule, Atom("permitted", (p.kind,)),
                     [Atom("law", (R,)), Test(R, "in", tuple(sorted(regimes))),
                      Atom("kind-used", (p.kind,)), _sub(form=F),
                      Test(F, "in", tuple(sorted(p.forms))), Atom(cond, ())], cite)
        for a, regimes in allows.items():
            cite = self.cite(a.cite.rule, a.cite.basis, str(a.cite.span),
                             status=a.cite.status)
            cond = self.condition(a.when, cite)
            self.add(a.cite.rule, Atom("allowed", (K,)),
                     [Atom("law", (R,)), Test(R, "in", tuple(sorted(regimes))),
                      Atom("kind-used", (K,)), Test(K, "in", tuple(sorted(a.kinds))),
                      Atom("combination", (X,)), Test(X, "in", tuple(sorted(a.combinations))),
                      Atom(cond, ())], cite)
        # The findings cite the clause of the regime in force that would have permitted
        # (allowed) this, had its condition held; without one, the regime itself.
        B, SRC, ST = Var("B"), Var("SRC"), Var("ST")
        kind_cite = self.cite("unit-kind-not-permitted", from_regime=True)
        kind_params: list[tuple[Term_, Param]] = [
            (R, _text("law")), (K, _text("kind")), (U, _text("unit")), (F, _text("form")),
            (SD, _date_param("on")), (B, _text("basis")), (SRC, _text("source")),
            (ST, _text("status"))]
        kind_body: list[Literal_] = [
            Atom("claimed", (U,)), Atom("unit", (U, K)), Atom("law", (R,)),
            _sub(form=F, date=SD), Neg(Atom("permitted", (K,)))]
        self.finding("unit-kind-not-permitted", kind_cite, "unit-kind-not-permitted", "deny",
                     msg("{law} does not permit {kind} unit {unit} in a {form} programme on "
                         "{on}: the clause at {source} permits such units only when its "
                         "condition holds"), kind_params,
                     [*kind_body, Atom("permit-clause", (R, K, F, B, SRC, ST))],
                     basis="{basis}", source="{source}", status="{status}", facts=("unit",),
                     variant="clause",
                     advice=msg("meet the condition of the clause at {source}, or leave unit "
                                "{unit} out of this submission"))
        self.finding("unit-kind-not-permitted", kind_cite, "unit-kind-not-permitted", "deny",
                     msg("{law} does not permit {kind} unit {unit} in a {form} programme on "
                         "{on}: no clause of it permits such units"), kind_params,
                     [*kind_body, Neg(Atom("permit-clause", (R, K, F, _, _, _))),
                      Atom("regime-cite", (R, B, SRC, ST))],
                     basis="{basis}", source="{source}", status="{status}", facts=("unit",),
                     variant="regime",
                     advice=msg("leave unit {unit} out of this submission: {law} does not "
                                "permit it in a {form} programme"))
        combination_cite = self.cite("combination-not-allowed", from_regime=True)
        combination_params: list[tuple[Term_, Param]] = [
            (R, _text("law")), (X, _text("combination")), (K, _text("kind")),
            (U, _text("unit")), (B, _text("basis")), (SRC, _text("source")), (ST, _text("status"))]
        combination_body: list[Literal_] = [
            Atom("claimed", (U,)), Atom("unit", (U, K)), Atom("law", (R,)),
            Atom("combination", (X,)), Neg(Atom("allowed", (K,)))]
        self.finding("combination-not-allowed", combination_cite, "combination-not-allowed",
                     "deny", msg("{law} does not allow combination {combination} for {kind} "
                                 "unit {unit}: the clause at {source} allows it only when its "
                                 "condition holds"), combination_params,
                     [*combination_body, Atom("allow-clause", (R, X, K, B, SRC, ST))],
                     basis="{basis}", source="{source}", status="{status}", facts=("unit",),
                     variant="clause",
                     advice=msg("meet the condition of the clause at {source}, or take unit "
                                "{unit} by another route"))
        self.finding("combination-not-allowed", combination_cite, "combination-not-allowed",
                     "deny", msg("{law} does not allow combination {combination} for {kind} "
                                 "unit {unit}: no clause of it allows it"),
                     combination_params,
                     [*combination_body, Neg(Atom("allow-clause", (R, X, K, _, _, _))),
                      Atom("regime-cite", (R, B, SRC, ST))],
                     # that no clause allows a route is a reading of the regime, whatever
                     # the regime itself is
                     basis="{basis}", source="{source}", status="interpretation",
                     facts=("unit",), variant="regime",
                     advice=msg("take unit {unit} by a route {law} allows, in a submission of "
                                "its own"))

    def institution(self) -> None:
        """Institution rules (§3.5): the assessment assesses the units; the ruleset's rules."""
        TXT, SRC, M = Var("TXT"), Var("SRC"), Var("M")
        self.finding(
            "assessment-covers-units", self.cite("assessment-covers-units"),
            "unit-not-assessed", "deny",
            msg("assessment {assessment} does not assess unit {unit} (it assesses {covers})"),
            [(A, _text("assessment")), (U, _text("unit")), (TXT, _text("covers")),
             (SRC, _text("source"))],
            [Atom("claimed", (U,)), _sub(assessment=A), Neg(Atom("assess", (A, U))),
             Atom("assessment-text", (A, TXT, SRC))],
            source="{source}", facts=("unit",),
            advice=msg("choose an assessment that assesses {unit}, or leave {unit} out"))
        self.finding(
            "assessment-max-units", self.cite("assessment-max-units"), "too-many-units", "deny",
            msg("assessment {assessment} assesses at most {most} units at once; {claimed} are "
                "claimed"),
            [(A, _text("assessment")), (M, _number("most")), (N, _number("claimed")),
             (SRC, _text("source"))],
            [_sub(assessment=A, units=N), Atom("max-units", (A, M)), Test(N, ">", M),
             Atom("assessment-text", (A, _, SRC))],
            source="{source}", facts=("assessment",),
            advice=msg("claim at most {most} units in one submission for {assessment}"))
        exam.rules(self)
        for rule in self.rs.rules:
            cite = self.cite(rule.name, rule.cite.basis, str(rule.cite.span))
            if rule.binders or rule.definitions or _scoped(rule.when):
                self.scoped.rule(rule, cite, list(_mentions(rule.when)))
                continue
            cond = self.condition(rule.when, cite)
            about = f"about:{rule.name}"
            for body in _mentions(rule.when):
                self.add(rule.name, Atom(about, (X,)), [Atom(cond, ()), *body], cite)
            self.finding(rule.name, cite, rule.name, rule.severity, rule.message, [],
                         [Atom(cond, ())], facts_from=about, translations=rule.translations,
                         advice=rule.advice)

    def static(self) -> Iterator[Fact]:
        rs = self.rs
        for u in rs.units:
            yield "unit", (u.code, u.kind)
            yield "unit-credits", (u.code, u.credits)
            for o in u.outcomes:
                yield "outcome", (u.code, o.ref)
                minimum = o.minimum
                yield "minimum", (o.ref, minimum.count, minimum.basis or self.oer,
                                  str(minimum.span) if minimum.span.line else
                                  self.programme_source)
                if o.accepts is not None:
                    for name in o.accepts:
                        yield "outcome-accepts", (o.ref, name)
                    for name in u.accepts:
                        if name not in o.accepts:
                            yield "narrowed-out", (o.ref, name)
            for activity in u.recommended:
                yield "recommended", (u.code, activity)
        for a in rs.assessments:
            yield "assessment", (a.name, a.method, a.path_independent)
            if a.max_units:
                yield "max-units", (a.name, a.max_units)
            for code in a.units:
                yield "assess", (a.name, code)
        for r in rs.programme.regimes:
            if not r.never:
                start = r.start.toordinal() if r.start else 0
                end = r.end.toordinal() if r.end else NO_END
                yield "regime", (r.name, start, end)
        yield from exam.static(rs)
        yield from self.citations()

    def citations(self) -> Iterator[Fact]:
        """The texts and places findings cite, as facts (see the module comment)."""
        rs = self.rs
        types = {t.name: t for t in rs.evidence_types}
        for t in rs.evidence_types:
            if t.needs_verification:
                yield "verification-cite", (t.name, t.verification_basis or self.oer,
                                            str(t.verification_span))
        for u in rs.units:
            yield "accepts-text", (u.code, ", ".join(sorted(u.accepts)), str(u.accepts_span))
            for name in u.accepts:
                age = effective_max_age(rs, u, types.get(name))
                yield "age-limit", (u.code, name, age.describe() if age else msg("the maximum age"),
                                    (age.basis if age else "") or self.oer,
                                    str(age.span if age else u.span))
            for o in u.outcomes:
                if o.accepts is not None:
                    yield "outcome-accepts-text", (o.ref, ", ".join(sorted(o.accepts)),
                                                   o.accepts_basis or self.oer,
                                                   str(o.accepts_span))
        for a in rs.assessments:
            yield "assessment-text", (a.name, ", ".join(a.units) or "-", str(a.span))
        for r in rs.programme.regimes:
            yield "regime-cite", (r.name, r.basis, str(r.span), r.status)
            permits: dict[tuple[str, str], ir.Cite] = {}
            for p in r.permits:
                for form in p.forms:
                    permits[(p.kind, form)] = p.cite
            for (kind, form), cite in permits.items():
                yield "permit-clause", (r.name, kind, form, cite.basis, str(cite.span),
                                        cite.status)
            allows: dict[tuple[str, str], ir.Cite] = {}
            for allow in r.allows:
                for combination in allow.combinations:
                    for kind in allow.kinds:
                        allows[(combination, kind)] = allow.cite
            for (combination, kind), cite in allows.items():
                yield "allow-clause", (r.name, combination, kind, cite.basis, str(cite.span),
                                       cite.status)


def compile_ruleset(ruleset: ir.Ruleset) -> Compiled:
    """Compile a checked ruleset into a program (pure: no engine is involved).

    Raises:
        StratificationError: never for rulesets that passed the checks; kept as a guard.
    """
    b = _Builder(ruleset)
    b.evidence()
    b.coverage()
    b.combination()
    b.law()
    b.scope()
    b.institution()
    static = sorted(set(b.static()), key=_fact_key)
    program = Program.build(b.rules, static, INPUTS, b.reports, b.notes, SINGLETONS)
    types = {t.name: t for t in ruleset.evidence_types}
    accepted = {
        unit.code: tuple(
            (name, effective_max_age(ruleset, unit, types.get(name)),
             bool(types[name].needs_verification) if name in types else False)
            for name in sorted(unit.accepts))
        for unit in ruleset.units
    }
    read = {pred for rule in program.rules for pred, _ in rule.depends()}
    return Compiled(ruleset, program, b.conditions, accepted, tuple(sorted(b.scoped.months)),
                    frozenset(read & SCOPED_INPUTS), {f.name: f.type for f in ruleset.fields})


def _mentions(cond: ir.Cond) -> Iterator[list[Literal_]]:
    """Bodies binding ``X`` to each unit and item a rule's condition speaks about: the
    facts its findings list."""
    match cond:
        case ir.AllOf(items) | ir.AnyOf(items):
            for c in items:
                yield from _mentions(c)
        case ir.Negation(item):
            yield from _mentions(item)
        case ir.Claimed(unit):
            yield [Atom("claimed", (X,)), Test(X, "in", (unit,))]
        case ir.EvidenceTypes(_, types) | ir.Count("evidence", types):
            yield [_item(i=X, t=T), *([Test(T, "in", tuple(sorted(types)))] if types else [])]
        case _:
            pass


def _scoped(cond: ir.Cond) -> bool:
    """Whether a condition compares values or tests items (its findings list the items)."""
    stack = [cond]
    while stack:
        node = stack.pop()
        if isinstance(node, ir.AllOf | ir.AnyOf):
            stack.extend(node.items)
        elif isinstance(node, ir.Negation):
            stack.append(node.item)
        elif isinstance(node, ir.Comparison | ir.Share | ir.Has | ir.Quantified):
            return True
    return False


def _fact_key(fact: Fact) -> tuple[str, tuple[tuple[str, str], ...]]:
    return fact[0], tuple((type(v).__name__, str(v)) for v in fact[1])


