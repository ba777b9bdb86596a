"""The checked intermediate representation: names resolved, kinds known, dates parsed.

Built by :mod:`luk_rules.lower` from a workspace that passed the checks. Every
node keeps the span of the construct it came from, for explanations.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, TypeAlias

import attrs

from luk_rules.span import Span, span_field

UnitKind: TypeAlias = Literal["onderwijseenheid", "eenheid-van-leeruitkomsten"]
Form: TypeAlias = Literal["voltijd", "deeltijd", "duaal"]

UNIT_KINDS: tuple[UnitKind, ...] = ("onderwijseenheid", "eenheid-van-leeruitkomsten")
FORMS: tuple[Form, ...] = ("voltijd", "deeltijd", "duaal")
LEVELS = ("hbo-associate-degree", "hbo-bachelor", "hbo-master", "wo-bachelor", "wo-master")
COMBINATIONS = ("A", "B", "C", "D")


@attrs.frozen
class MaxAge:
    """A maximum age of evidence, in years and months."""

    years: int = 0
    months: int = 0
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

    def describe(self) -> str:
        """``2 years``, ``18 months``, ``1 year and 6 months``."""
        parts = []
        if self.years:
            parts.append(f"{self.years} year{'s' if self.years != 1 else ''}")
        if self.months:
            parts.append(f"{self.months} month{'s' if self.months != 1 else ''}")
        return " and ".join(parts) or "0 months"

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


Cond: TypeAlias = (
    Const | AllOf | AnyOf | Negation | Claimed | RequestedAssessment | EvidenceTypes | Count
    | CombinationIn | FormIn | Followed | DateFrom
)

# --------------------------------------------------------------- declarations


@attrs.frozen
class Cite:
    """Where a rule is written and the legal basis it cites."""

    rule: str
    basis: str
    span: Span


@attrs.frozen
class EvidenceType:
    """A type of evidence item."""

    name: str
    title: str
    max_age: MaxAge | None
    needs_verification: bool
    span: Span = span_field()


@attrs.frozen
class Outcome:
    """A learning outcome ``<unit>.<id>``."""

    ref: str
    unit: str
    text: str
    span: Span = span_field()


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
class Permit:
    """A regime permits a unit kind in a programme form, under a condition."""

    kind: str
    forms: tuple[str, ...]
    when: Cond
    cite: Cite


@attrs.frozen
class Allow:
    """A regime allows combinations for unit kinds, under a condition."""

    combinations: tuple[str, ...]
    kinds: tuple[str, ...]
    when: Cond
    cite: Cite


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

    def in_force(self, on: dt.date) -> bool:
        """Whether the regime is in force on the date."""
        if self.never:
            return False
        if self.start is not None and on < self.start:
            return False
        return not (self.end is not None and on > self.end)


@attrs.frozen
class Rule:
    """An institution rule: a deny or warn finding when the condition holds."""

    name: str
    message: str
    severity: Literal["deny", "warning"]
    when: Cond
    cite: Cite


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

    def describe(self) -> str:
        """``at least 1 unit of ICT-PM, ICT-DATA``."""
        amount = (f"{self.units} unit{'s' if self.units != 1 else ''}" if self.units is not None
                  else f"{self.credits} credits")
        return f"at least {amount} of {', '.join(self.members)}"


@attrs.frozen
class EntryRequirement:
    """A unit that may only be assessed once other units are completed."""

    unit: str
    after: tuple[str, ...]
    span: Span = span_field()


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

    def unit(self, code: str) -> Unit:
        """The unit with this code (KeyError when unknown)."""
        for u in self.units:
            if u.code == code:
                return u
        raise KeyError(code)
