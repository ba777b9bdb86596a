"""The checked intermediate representation: names resolved, kinds known, dates parsed.

Built by :mod:`luk_rules.lower` from a workspace that passed the checks. Every
node keeps the span of the construct it came from, for explanations.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, TypeAlias

import attrs

from luk_rules.i18n import Message, msg, msgn
from luk_rules.span import Span, span_field

UnitKind: TypeAlias = Literal["onderwijseenheid", "eenheid-van-leeruitkomsten"]
Form: TypeAlias = Literal["voltijd", "deeltijd", "duaal"]

UNIT_KINDS: tuple[UnitKind, ...] = ("onderwijseenheid", "eenheid-van-leeruitkomsten")
FORMS: tuple[Form, ...] = ("voltijd", "deeltijd", "duaal")
LEVELS = ("hbo-associate-degree", "hbo-bachelor", "hbo-master", "wo-bachelor", "wo-master")
COMBINATIONS = ("A", "B", "C", "D")


@attrs.frozen
class MaxAge:
    """A maximum age of evidence, in years and months; ``basis`` is the article the clause
    cites (empty: the programme's OER)."""

    years: int = 0
    months: int = 0
    basis: str = ""
    span: Span = span_field()

    def cutoff(self, on: dt.date) -> dt.date:
        """The oldest date an item may have to count on ``on``.

        Example:
            >>> MaxAge(years=2).cutoff(dt.date(2024, 2, 29))
            datetime.date(2022, 2, 28)
        """
        total = on.year * 12 + (on.month - 1) - (self.years * 12 + self.months)
        year, month = divmod(total, 12)
        month += 1
        if year < dt.MINYEAR:
            return dt.date.min
        day = on.day
        while True:
            try:
                return dt.date(year, month, day)
            except ValueError:
                day -= 1

    def expiry(self, start: dt.date) -> dt.date:
        """The first day on which something dated ``start`` is older than this age.

        Example:
            >>> MaxAge(years=6).expiry(dt.date(2019, 11, 15))
            datetime.date(2025, 11, 16)
        """
        total = start.year * 12 + (start.month - 1) + self.years * 12 + self.months
        year, month = divmod(total, 12)
        if year > dt.MAXYEAR or (year == dt.MAXYEAR and month == 11 and start.day == 31):
            return dt.date.max
        day = start.day
        while True:
            try:
                last_valid = dt.date(year, month + 1, day)
                break
            except ValueError:
                day -= 1
        return last_valid + dt.timedelta(days=1)

    def describe(self) -> Message:
        """``2 years``, ``18 months``, ``1 year and 6 months``."""
        years = msgn("{n} year", "{n} years", self.years)
        months = msgn("{n} month", "{n} months", self.months)
        if self.years and self.months:
            return msg("{years} and {months}", years=years, months=months)
        return years if self.years else months

    @property
    def in_months(self) -> int:
        """The age in months, to compare two maximum ages."""
        return self.years * 12 + self.months


# --------------------------------------------------------------- conditions


@attrs.frozen
class Const:
    """A condition known when the ruleset is compiled (the programme's level, ...)."""

    value: bool
    span: Span = span_field()


@attrs.frozen
class AllOf:
    """All of the conditions hold."""

    items: tuple[Cond, ...]
    span: Span = span_field()


@attrs.frozen
class AnyOf:
    """At least one of the conditions holds."""

    items: tuple[Cond, ...]
    span: Span = span_field()


@attrs.frozen
class Negation:
    """The condition does not hold."""

    item: Cond
    span: Span = span_field()


@attrs.frozen
class Claimed:
    """The submission claims the unit."""

    unit: str
    span: Span = span_field()


@attrs.frozen
class RequestedAssessment:
    """The requested assessment is one of these."""

    assessments: tuple[str, ...]
    span: Span = span_field()


@attrs.frozen
class EvidenceTypes:
    """``every``/``some``/``no`` evidence item is of one of the types."""

    quantifier: Literal["every", "some", "no"]
    types: tuple[str, ...]
    span: Span = span_field()


@attrs.frozen
class Count:
    """The number of claimed units, or evidence items (of the types), compared to a value."""

    counted: Literal["units", "evidence"]
    types: tuple[str, ...]
    op: Literal["<", "<=", ">", ">=", "="]
    value: int
    span: Span = span_field()


@attrs.frozen
class CombinationIn:
    """The submission's combination (route) is one of these."""

    combinations: tuple[str, ...]
    span: Span = span_field()


@attrs.frozen
class FormIn:
    """The submission's programme form is one of these."""

    forms: tuple[str, ...]
    span: Span = span_field()


@attrs.frozen
class Followed:
    """The student followed the activity (listed, or on an evidence item)."""

    activity: str
    span: Span = span_field()


@attrs.frozen
class DateFrom:
    """The submission is dated on or after the date."""

    date: dt.date
    span: Span = span_field()


# ------------------------------------------------- scoped rules: terms and sets

Noun: TypeAlias = Literal["unit", "outcome", "item", "result", "organisation", "issuer"]
ValueType: TypeAlias = Literal["number", "date", "text", "yes/no", "unit", "outcome", "item",
                               "result", "items"]


@attrs.frozen
class Bound:
    """A name bound by the rule: a binder (``outcome``) or a ``where`` (``n``)."""

    name: str


Term: TypeAlias = Bound | str
"""A binder's value, or a declared name (a unit code)."""


@attrs.frozen
class Target:
    """What ``covering`` / ``counting for`` names: an outcome binder, or a unit (a binder
    or a code): then any outcome of that unit."""

    kind: Literal["outcome", "unit"]
    ref: Term


@attrs.frozen
class ItemSet:
    """The evidence items of the submission that match: of one of ``types`` (any when
    empty), offered for every ``covering`` target, counting for every ``counting_for``
    target, from each of ``organisations``, verified when ``verified``."""

    types: tuple[str, ...] = ()
    covering: tuple[Target, ...] = ()
    counting_for: tuple[Target, ...] = ()
    organisations: tuple[Term, ...] = ()
    verified: bool = False
    span: Span = span_field()

    @property
    def unfiltered(self) -> bool:
        """Every item of the submission."""
        return not (self.types or self.covering or self.counting_for or self.organisations
                    or self.verified)


@attrs.frozen
class Binder:
    """``for each NOUN``: the rule holds for each claimed unit, outcome of a claimed unit,
    item (of ``items``), result, or distinct organisation or issuer of the items.

    ``unit`` is the unit an outcome binder ranges in (a binder or a code; None: every
    claimed unit).
    """

    name: str
    noun: Noun
    unit: Term | None = None
    items: ItemSet | None = None
    span: Span = span_field()


# ---------------------------------------------------------------- values


@attrs.frozen
class CountOf:
    """The number of items of a set (or of a ``where NAME are items`` set, by name)."""

    items: ItemSet | str
    span: Span = span_field()


@attrs.frozen
class CreditsOfResults:
    """The credits of every unit whose result counts on the date (a sum)."""

    span: Span = span_field()


@attrs.frozen
class UnitCredits:
    """The credits of a unit."""

    unit: Term
    span: Span = span_field()


@attrs.frozen
class OutcomeMinimum:
    """How many counting items an outcome needs."""

    outcome: Bound
    span: Span = span_field()


@attrs.frozen
class DateOf:
    """The date of an item or a result."""

    subject: Bound
    span: Span = span_field()


@attrs.frozen
class ItemText:
    """The organisation or issuer of an item (absent when the item has none)."""

    attribute: Literal["organisation", "issuer"]
    item: Bound
    span: Span = span_field()


@attrs.frozen
class ItemField:
    """A declared field of an item (absent when the item has none)."""

    field: str
    item: Bound
    span: Span = span_field()


@attrs.frozen
class Constant:
    """A number, a text or a date written in the rule."""

    value: int | str | dt.date
    span: Span = span_field()


Value: TypeAlias = (
    Bound | CountOf | CreditsOfResults | UnitCredits | OutcomeMinimum | DateOf | ItemText
    | ItemField | Constant
)


@attrs.frozen
class Definition:
    """``where NAME is VALUE`` / ``where NAME are items ...``: ``partial`` when the value
    may be absent (a field an item lacks)."""

    name: str
    value: Value | ItemSet
    type: ValueType
    partial: bool = False
    span: Span = span_field()


# ----------------------------------------------------------- item tests


@attrs.frozen
class TypeTest:
    """The item is of one of the types."""

    types: tuple[str, ...]


@attrs.frozen
class VerifiedTest:
    """The item is marked verified."""


@attrs.frozen
class FieldTest:
    """The item's yes/no field is yes."""

    field: str


@attrs.frozen
class AgeTest:
    """The item's (or result's) age on the date compares to ``months``."""

    op: Literal["<", "<=", ">", ">="]
    months: int


ItemTest: TypeAlias = TypeTest | VerifiedTest | FieldTest | AgeTest


# ------------------------------------------------------- scoped conditions


@attrs.frozen
class Comparison:
    """Two values compared (``=`` and ``!=`` for every type, the others for numbers and
    dates); false when a value is absent."""

    left: Value
    op: Literal["<", "<=", ">", ">=", "=", "!="]
    right: Value
    span: Span = span_field()


@attrs.frozen
class Share:
    """``left_weight`` times a count compared to ``right_weight`` times another:
    ``number of items from org > 50% of number of items`` is 100 x left > 50 x right."""

    left: CountOf
    left_weight: int
    op: Literal["<", "<=", ">", ">=", "="]
    right: CountOf
    right_weight: int
    span: Span = span_field()


@attrs.frozen
class Has:
    """A bound item (or result, for ages) passes a test."""

    subject: Bound
    test: ItemTest
    span: Span = span_field()


@attrs.frozen
class Quantified:
    """``some``/``no``/``every`` item of a set passes a test (``every`` needs one item)."""

    quantifier: Literal["every", "some", "no"]
    items: ItemSet
    test: ItemTest
    span: Span = span_field()


Cond: TypeAlias = (
    Const | AllOf | AnyOf | Negation | Claimed | RequestedAssessment | EvidenceTypes | Count
    | CombinationIn | FormIn | Followed | DateFrom | Comparison | Share | Has | Quantified
)

# --------------------------------------------------------------- declarations


@attrs.frozen
class Cite:
    """Where a rule is written and the legal basis it cites; for a law clause, what that
    basis is (``status``: enacted, interpretation or proposal; ``reading``: whose
    interpretation and why)."""

    rule: str
    basis: str
    span: Span
    status: str = ""
    reading: str = ""


@attrs.frozen
class EvidenceType:
    """A type of evidence item; ``verification`` cites the ``needs verification`` clause."""

    name: str
    title: str
    max_age: MaxAge | None
    needs_verification: bool
    span: Span = span_field()
    verification_basis: str = ""
    verification_span: Span = span_field()


FieldType: TypeAlias = Literal["text", "date", "number", "yes/no"]


@attrs.frozen
class Field:
    """A further, typed field of evidence items, declared by the ruleset."""

    name: str
    title: str
    type: FieldType
    span: Span = span_field()


@attrs.frozen
class Minimum:
    """How many counting items an outcome needs, and the clause that says so (``basis``
    empty: the programme's OER; ``span`` unknown: the default of 1)."""

    count: int
    basis: str = ""
    span: Span = span_field()


@attrs.frozen
class Outcome:
    """A learning outcome ``<unit>.<id>``; ``accepts`` narrows the unit's accepted types
    (None: the unit's), ``minimum`` is the number of counting items it needs."""

    ref: str
    unit: str
    text: str
    span: Span = span_field()
    accepts: tuple[str, ...] | None = None
    accepts_basis: str = ""
    accepts_span: Span = span_field()
    minimum: Minimum = Minimum(1)


@attrs.frozen
class Unit:
    """A unit with its kind, outcomes, accepted evidence and recommended activities."""

    code: str
    title: str
    credits: int
    kind: UnitKind
    outcomes: tuple[Outcome, ...]
    accepts: tuple[str, ...]
    recommended: tuple[str, ...]
    max_age: MaxAge | None
    min_items: int
    span: Span = span_field()
    accepts_span: Span = span_field()

    def outcome(self, ref: str) -> Outcome:
        """The outcome with this ref (KeyError when unknown)."""
        for o in self.outcomes:
            if o.ref == ref:
                return o
        raise KeyError(ref)

    def accepted_for(self, ref: str) -> tuple[str, ...]:
        """The evidence types that can count for an outcome: its own list, or the unit's."""
        narrowed = self.outcome(ref).accepts
        return self.accepts if narrowed is None else narrowed


@attrs.frozen
class Assessment:
    """An assessment and the cluster of units it may assess together."""

    name: str
    title: str
    method: Literal["portfolio", "exam"]
    path_independent: bool
    units: tuple[str, ...]
    max_units: int | None
    span: Span = span_field()


@attrs.frozen
class NotTheLaw:
    """Why a law regime the programme stands under is never the law in force for a decision
    by this ruleset (the resolver's :meth:`~luk_rules.checks.resolve.Resolution.not_the_law`).

    Attributes:
        regime: the regime.
        why: ``proposal``: a proposal the programme does not evaluate ``as if`` in force;
            ``ended``: its period ends before the first date the ruleset decides (the date
            of its ``replaces``); ``superseded``: on every date it is in force for the
            ruleset, a regime that took effect later is the law.
        until: for ``ended``, the regime's last day in force.
        since: for ``ended``, the first date the ruleset decides.
        by: for ``superseded``, the regimes that are the law instead, sorted.
    """

    regime: str
    why: Literal["proposal", "ended", "superseded"]
    until: dt.date | None = None
    since: dt.date | None = None
    by: tuple[str, ...] = ()


@attrs.frozen
class Unreachable:
    """One reason why a law clause or a rule of the ruleset can never fire for its
    programme, whatever the submission or record: ``luk test --coverage`` leaves such a
    rule out of what its scenarios must make fire, and lists it with the reason.

    Attributes:
        why: ``form``: a ``permit`` for forms the programme is not offered in;
            ``kind``: a clause about unit kinds no unit of the programme has;
            ``condition``: a condition that the programme's own facts (level, forms,
            participation, practice component, opting in) make false;
            ``law``: a clause granted only by regimes that are never the law in force for
            the ruleset.
        names: for ``form``, the clause's forms; for ``kind``, its unit kinds; for
            ``condition``, the parts of the condition that never hold, as written; for
            ``law``, the regimes that grant the clause.
        have: for ``form``, the programme's forms; for ``kind``, the unit kinds its units
            have.
        regimes: for ``law``, why each regime that grants the clause is never the law.
    """

    why: Literal["form", "kind", "condition", "law"]
    names: tuple[str, ...] = ()
    have: tuple[str, ...] = ()
    regimes: tuple[NotTheLaw, ...] = ()


@attrs.frozen
class Permit:
    """A regime permits a unit kind in a programme form, under a condition;
    ``unreachable`` says why it can never fire for the programme (empty: it can)."""

    kind: str
    forms: tuple[str, ...]
    when: Cond
    cite: Cite
    unreachable: tuple[Unreachable, ...] = ()


@attrs.frozen
class Allow:
    """A regime allows combinations for unit kinds, under a condition;
    ``unreachable`` says why it can never fire for the programme (empty: it can)."""

    combinations: tuple[str, ...]
    kinds: tuple[str, ...]
    when: Cond
    cite: Cite
    unreachable: tuple[Unreachable, ...] = ()


@attrs.frozen
class Regime:
    """A law regime as it applies to the programme (an ``as if`` date already applied).

    ``permits`` and ``allows`` include those of the regimes it extends.
    """

    name: str
    title: str
    start: dt.date | None
    end: dt.date | None
    never: bool
    basis: str
    permits: tuple[Permit, ...]
    allows: tuple[Allow, ...]
    span: Span = span_field()
    status: str = ""
    reading: str = ""
    shipped: bool = True

    def in_force(self, on: dt.date) -> bool:
        """Whether the regime is in force on the date."""
        if self.never:
            return False
        if self.start is not None and on < self.start:
            return False
        return not (self.end is not None and on > self.end)


@attrs.frozen
class Rule:
    """An institution rule: a deny, warning or info finding when the condition holds,
    for each combination of its binders' values (once when it has none)."""

    name: str
    message: str
    severity: Literal["deny", "warning", "info"]
    when: Cond
    cite: Cite
    binders: tuple[Binder, ...] = ()
    definitions: tuple[Definition, ...] = ()
    #: The message in other languages (``en "..."``), as (language, text).
    translations: tuple[tuple[str, str], ...] = ()
    unreachable: tuple[Unreachable, ...] = ()
    """Why the rule can never fire for the programme (empty: it can)."""
    advice: str = ""
    """What would resolve the finding (``advice "..."``, with its translations), or ``""``."""


@attrs.frozen
class Predecessor:
    """The ruleset this one replaces: submissions dated before ``date`` are decided by it."""

    path: str
    date: dt.date
    span: Span = span_field()


@attrs.frozen
class Programme:
    """The programme variant a ruleset describes."""

    code: str
    title: str
    level: str
    forms: tuple[str, ...]
    institution: str
    participates: bool
    opted_in: dt.date | None
    max_age: MaxAge | None
    min_items: int
    regimes: tuple[Regime, ...]
    replaces: Predecessor | None = None
    closing: tuple[str, ...] = ()
    span: Span = span_field()

    def regime_on(self, on: dt.date) -> Regime | None:
        """The regime in force on a date: of those in force, the one that started last."""
        in_force = [r for r in self.regimes if r.in_force(on)]
        if not in_force:
            return None
        return max(in_force, key=lambda r: (r.start or dt.date.min, r.name))


@attrs.frozen
class ElectiveGroup:
    """At least ``units`` units, or ``credits`` credits, from a set of units."""

    members: tuple[str, ...]
    units: int | None
    credits: int | None
    span: Span = span_field()

    def describe(self) -> Message:
        """``at least 1 unit of ICT-PM, ICT-DATA``."""
        members = ", ".join(self.members)
        if self.units is not None:
            return msgn("at least {n} unit of {members}", "at least {n} units of {members}",
                        self.units, members=members)
        return msg("at least {credits} credits of {members}", credits=self.credits,
                   members=members)


@attrs.frozen
class EntryRequirement:
    """A unit that may only be assessed once other units are completed."""

    unit: str
    after: tuple[str, ...]
    span: Span = span_field()


@attrs.frozen
class ExemptionLimit:
    """``exemptions count for at most N credits`` (``share`` False) or ``... N% of diploma
    credits`` (``share`` True): the credits exemptions may contribute to the diploma."""

    amount: int
    share: bool
    basis: str = ""
    span: Span = span_field()

    def credits(self, diploma: int | None) -> int:
        """The most credits that may count by exemption: a share is rounded down (a whole
        number of credits over it exceeds it)."""
        return self.amount * (diploma or 0) // 100 if self.share else self.amount

    def describe(self, diploma: int | None) -> Message:
        """``30 credits``; ``50% of the diploma's 60 credits``."""
        if self.share:
            return msg("{amount}% of the diploma's {diploma} credits", amount=self.amount,
                       diploma=diploma)
        return msg("{amount} credits", amount=self.amount)


@attrs.frozen
class ExamProgramme:
    """What the diploma needs: required units, elective groups, credits, entry
    requirements, how long results stay valid, and the allowed exemption grounds."""

    title: str
    required: tuple[str, ...]
    electives: tuple[ElectiveGroup, ...]
    diploma_credits: int | None
    entry: tuple[EntryRequirement, ...]
    validity: MaxAge | None
    grounds: tuple[str, ...]
    basis: str
    span: Span = span_field()
    validity_span: Span = span_field()
    required_span: Span = span_field()
    diploma_span: Span = span_field()
    grounds_span: Span = span_field()
    grounds_basis: str = ""
    exemption_limit: ExemptionLimit | None = None


@attrs.frozen
class Ruleset:
    """A checked, resolved ruleset: everything a decision needs."""

    path: str
    programme: Programme
    evidence_types: tuple[EvidenceType, ...]
    units: tuple[Unit, ...]
    assessments: tuple[Assessment, ...]
    rules: tuple[Rule, ...]
    exam: ExamProgramme | None = None
    fields: tuple[Field, ...] = ()

    def unit(self, code: str) -> Unit:
        """The unit with this code (KeyError when unknown)."""
        for u in self.units:
            if u.code == code:
                return u
        raise KeyError(code)
