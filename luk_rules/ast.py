"""The surface syntax tree: one frozen attrs class per construct, names as written.

Every node carries a ``span`` that equality and hashing ignore, so two trees
parsed from differently laid-out text compare equal. Conditions carry two more
such *layout markers*, kept for ``luk fmt`` only: ``parens``, the parentheses the
author wrote around a condition, and on ``and``/``or`` chains ``written``, the
chain as the author grouped it before same-kind groups were spliced in (see
:class:`And`). Equality, hashing and every stage after the parser ignore them,
so redundant parentheses never change what a ruleset means. Nothing here knows
lark.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal, TypeAlias, TypeVar

import attrs

from luk_rules.i18n import Localized
from luk_rules.span import Span, span_field

BUILT_IN_FINDINGS = frozenset({
    # decisions (docs/semantics.md)
    "combination-not-allowed", "entry-requirement-not-met", "evidence-after-submission",
    "evidence-not-verified", "evidence-too-old", "evidence-type-not-accepted",
    "no-regime-in-force", "outcome-not-claimed", "too-many-units", "unit-kind-not-permitted",
    "unit-not-assessed",
    # audits (docs/audit.md)
    "credits-short", "elective-group-short", "exemption", "exemption-grounds-not-allowed",
    "exemption-without-decision", "exemptions-over-limit", "required-unit-missing",
    "result-expired", "validity-extended",
})
"""The finding codes of the built-in semantics: reserved, a ``rule`` may not take one."""

# ------------------------------------------------------------------ leaves


@attrs.frozen
class Name:
    """An identifier as written: a unit code, an evidence type, a form, ..."""

    value: str
    span: Span = span_field()


@attrs.frozen
class Text:
    """A string literal, escapes already decoded."""

    value: str
    span: Span = span_field()


@attrs.frozen
class Integer:
    """A whole number as written."""

    value: int
    span: Span = span_field()


@attrs.frozen
class DateLit:
    """A date as written (``2025-01-01``); checked for validity by the checks."""

    value: str
    span: Span = span_field()


AgeUnit: TypeAlias = Literal["years", "months"]


@attrs.frozen
class Age:
    """A maximum age: an amount of years or months."""

    amount: Integer
    unit: AgeUnit
    span: Span = span_field()


# ------------------------------------------------------------- conditions

LAYOUT = "luk_layout"
"""The metadata key that marks a layout field: one that equality, hashing and the ``repr``
ignore, which only the printer reads."""


def parens_field() -> int:
    """An attrs field for the pairs of parentheses the author wrote right around a condition
    (``((opted in))`` has 2): layout only, ignored by ``==`` and hashing."""
    field: int = attrs.field(default=0, eq=False, repr=False, kw_only=True,
                             metadata={LAYOUT: True})
    return field


def written_field() -> tuple[Condition, ...] | None:
    """An attrs field for a chain's items as the author grouped them (see :class:`And`):
    layout only, ignored by ``==`` and hashing."""
    field: tuple[Condition, ...] | None = attrs.field(
        default=None, eq=False, repr=False, kw_only=True, metadata={LAYOUT: True})
    return field


@attrs.frozen
class Or:
    """``a or b or ...``: true when any holds.

    Like :class:`And`, a chain holds no parenthesised ``or`` directly: the parser splices
    such a group's items in, keeping the grouping in ``written``.
    """

    items: tuple[Condition, ...]
    span: Span = span_field()
    written: tuple[Condition, ...] | None = written_field()
    parens: int = parens_field()


@attrs.frozen
class And:
    """``a and b and ...``: true when all hold.

    ``items`` is the flat chain: ``(a and b) and c`` means ``a and b and c``, and the
    parser gives the three as items, so that the grouping never changes the tree. When
    the author did group a part of the chain like that, ``written`` keeps the items as
    written: ``(And((a, b), parens=1), c)``, the group an ``And`` of its own items (with
    its own ``written``, when it has groups inside). It is None for a chain written
    without such groups. Build a chain from what was written with :func:`chain`.
    """

    items: tuple[Condition, ...]
    span: Span = span_field()
    written: tuple[Condition, ...] | None = written_field()
    parens: int = parens_field()


@attrs.frozen
class Not:
    """``not a``."""

    item: Condition
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class UnitClaimed:
    """``unit BK-COM is claimed``: the submission claims the unit."""

    unit: Name
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class AssessmentIs:
    """``assessment is BK-PORTFOLIO``: the requested assessment."""

    assessment: Name
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class AssessmentPathIndependent:
    """``assessment is path-independent``."""

    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class AssessmentPathDependent:
    """``assessment is path-dependent``."""

    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class AssessmentMethod:
    """``assessment is portfolio`` / ``assessment is exam``."""

    method: Literal["portfolio", "exam"]
    span: Span = span_field()
    parens: int = parens_field()


Quantifier: TypeAlias = Literal["every", "some", "no"]


@attrs.frozen
class EvidenceQuantified:
    """``every|some|no evidence is T`` (or ``is one of T, U``).

    ``every`` needs at least one item: an empty submission is not "all reflection".
    """

    quantifier: Quantifier
    types: tuple[Name, ...]
    span: Span = span_field()
    parens: int = parens_field()


Comparison: TypeAlias = Literal["<", "<=", ">", ">=", "="]


@attrs.frozen
class CountUnits:
    """``number of units > 1``: how many units the submission claims."""

    op: Comparison
    value: Integer
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class CountEvidence:
    """``number of evidence [of type T] >= 2``; no types means every item."""

    types: tuple[Name, ...]
    op: Comparison
    value: Integer
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class CombinationIs:
    """``combination is D`` (or ``is one of B, C``): the route of the submission."""

    combinations: tuple[Name, ...]
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class FormIs:
    """``form is deeltijd`` (or ``is one of deeltijd, duaal``)."""

    forms: tuple[Name, ...]
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class LevelIs:
    """``level is hbo``: the programme's level, or its family (hbo, wo)."""

    level: Name
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class ActivityFollowed:
    """``activity se-leerlijn is followed``: listed in activities or on an item."""

    activity: Name
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class Submitted:
    """``submitted before 2025-01-01`` / ``submitted from 2025-01-01``."""

    op: Literal["before", "from"]
    date: DateLit
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class InstitutionParticipates:
    """``institution participates``: the institution takes part in the experiment."""

    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class HasPracticeComponent:
    """``substantial practice component``: the programme declares one."""

    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class OptedIn:
    """``opted in``: the programme opted in to EVL units on or before the date."""

    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class RecommendedRoute:
    """``recommended route``: every EVL unit keeps a recommended activity."""

    span: Span = span_field()
    parens: int = parens_field()


# ------------------------------------------- item sets, values, scoped atoms


@attrs.frozen
class Ref:
    """A name where a value belongs: a binding (``outcome``, ``n``) or a declared name
    (``ICT-PM``, ``certificaat``); the checks decide which."""

    name: Name
    span: Span = span_field()


@attrs.frozen
class Covering:
    """``covering O``: the item is offered for outcome ``O`` (or for an outcome of unit ``O``)."""

    target: Ref
    span: Span = span_field()


@attrs.frozen
class CountingFor:
    """``counting for O``: the item counts for outcome ``O`` (or for an outcome of unit ``O``)."""

    target: Ref
    span: Span = span_field()


@attrs.frozen
class From:
    """``from ORG``: the item's organisation is ``ORG`` (a binding or a quoted text)."""

    source: Ref | Text
    span: Span = span_field()


@attrs.frozen
class VerifiedOnly:
    """``that are verified``: only items marked verified."""

    span: Span = span_field()


ItemFilter: TypeAlias = Covering | CountingFor | From | VerifiedOnly


@attrs.frozen
class ItemFilters:
    """Which items: ``of type T`` (or ``one of``), then filters in the order written."""

    types: tuple[Name, ...]
    filters: tuple[ItemFilter, ...]
    span: Span = span_field()


@attrs.frozen
class CountItems:
    """``number of items [of type T] [covering O] ...``: how many items match."""

    items: ItemFilters
    span: Span = span_field()


@attrs.frozen
class CountNamed:
    """``number of NAME``: how many items a ``where NAME are items ...`` holds."""

    name: Name
    span: Span = span_field()


@attrs.frozen
class CreditsOfResults:
    """``credits of results that count``: the credits of every unit with a result that counts."""

    span: Span = span_field()


AttributeName: TypeAlias = Literal["credits", "minimum", "age", "date", "organisation", "issuer"]


@attrs.frozen
class Attribute:
    """``credits of UNIT``, ``minimum of OUTCOME``, ``age of ITEM``, ``date of ITEM``,
    ``organisation of ITEM``, ``issuer of ITEM``."""

    attribute: AttributeName
    of: Ref
    span: Span = span_field()


@attrs.frozen
class FieldOf:
    """``uren of item``: a declared field of an evidence item."""

    field: Name
    of: Ref
    span: Span = span_field()


@attrs.frozen
class PercentOf:
    """``50% of number of items``: a share of a count."""

    percent: Integer
    of: Value
    span: Span = span_field()


Value: TypeAlias = (
    Ref | CountItems | CountNamed | CreditsOfResults | Attribute | FieldOf | PercentOf
    | Integer | DateLit | Text | Age
)
"""What a comparison compares and a ``where`` names."""

CompareOp: TypeAlias = Literal["<", "<=", ">", ">=", "=", "is", "is not"]


@attrs.frozen
class Compare:
    """``n > 2``, ``item is certificaat``, ``organisation of item is not "X"``."""

    left: Value
    op: CompareOp
    right: Value
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class Verified:
    """``verified``, as in ``item is verified``."""

    span: Span = span_field()


@attrs.frozen
class AgeTest:
    """``younger than 12 months`` / ``older than 5 years``."""

    comparison: Literal["younger", "older"]
    age: Age
    span: Span = span_field()


ItemTest: TypeAlias = Verified | AgeTest


@attrs.frozen
class IsTest:
    """``item is [not] verified``, ``item is [not] older than 5 years``."""

    subject: Value
    test: ItemTest
    negated: bool = False
    span: Span = span_field()
    parens: int = parens_field()


@attrs.frozen
class ItemsQuantified:
    """``some|no|every item [of type T] [covering O] ... is verified|younger than A|T``."""

    quantifier: Quantifier
    items: ItemFilters
    test: ItemTest | Name
    span: Span = span_field()
    parens: int = parens_field()


Condition: TypeAlias = (
    Or | And | Not | UnitClaimed | AssessmentIs | AssessmentPathIndependent
    | AssessmentPathDependent | AssessmentMethod | EvidenceQuantified | CountUnits
    | CountEvidence | CombinationIs | FormIs | LevelIs | ActivityFollowed | Submitted
    | InstitutionParticipates | OptedIn | RecommendedRoute | Compare | IsTest
    | ItemsQuantified | HasPracticeComponent
)

# ------------------------------------------------------ shared clauses


@attrs.frozen
class Translation:
    """``en "..."`` after a rule's message: the message in that language."""

    lang: Literal["en", "nl"]
    text: Text
    span: Span = span_field()


def localized(text: Text, translations: tuple[Translation, ...]) -> str:
    """A ruleset's text with its translations (``"..." nl "..."``): the text itself when it
    has none, else a :class:`~luk_rules.i18n.Localized` that renders each language."""
    if not translations:
        return text.value
    return Localized(text.value, {t.lang: t.text.value for t in translations})


@attrs.frozen
class Basis:
    """``basis "WHW art. 7.3"``: the legal basis a rule (or a policy clause) cites, with
    its text in other languages (``basis "..." nl "..."``)."""

    text: Text
    span: Span = span_field()
    translations: tuple[Translation, ...] = ()

    @property
    def cited(self) -> str:
        """The basis as cited: the text, in another language its translation there."""
        return localized(self.text, self.translations)


@attrs.frozen
class Advice:
    """``advice "..."`` after a rule's basis: what would resolve its finding, naming the
    same ``{placeholders}`` as the message, with its text in other languages."""

    text: Text
    span: Span = span_field()
    translations: tuple[Translation, ...] = ()

    @property
    def localized(self) -> str:
        """The advice: the text, in another language its translation there."""
        return localized(self.text, self.translations)


@attrs.frozen
class MaxAge:
    """``max age 2 years [basis "..."]`` on an evidence type or a unit."""

    age: Age
    basis: Basis | None = None
    span: Span = span_field()


@attrs.frozen
class MinItems:
    """``at least 2 items per outcome [basis "..."]`` on a programme (default) or a unit."""

    count: Integer
    basis: Basis | None = None
    span: Span = span_field()


# -------------------------------------------------------------- programme


@attrs.frozen
class Level:
    """``level hbo-bachelor``."""

    level: Name
    span: Span = span_field()


@attrs.frozen
class Forms:
    """``form deeltijd`` (or several: ``form deeltijd, duaal``)."""

    forms: tuple[Name, ...]
    span: Span = span_field()


@attrs.frozen
class Institution:
    """``institution "Hogeschool Voorbeeld"``."""

    name: Text
    span: Span = span_field()


@attrs.frozen
class Participates:
    """``participates in experiment``: the institution takes part in the experiment."""

    span: Span = span_field()


@attrs.frozen
class PracticeComponent:
    """``substantial practice component``: a full-time programme with a substantial
    practice component (what the proposal `voltijd-praktijkcomponent` asks for)."""

    span: Span = span_field()


@attrs.frozen
class Under:
    """``under whw, wet-leeruitkomsten``: the law regimes the programme stands under."""

    regimes: tuple[Name, ...]
    span: Span = span_field()


@attrs.frozen
class AsIf:
    """``as if voltijd-uitbreiding in force from 2025-09-01``: a what-if date for a regime."""

    regime: Name
    date: DateLit
    span: Span = span_field()


@attrs.frozen
class OptedInOn:
    """``opted in 2024-11-01``: opted in to EVL units with programme-committee consent."""

    date: DateLit
    span: Span = span_field()


@attrs.frozen
class DefaultKind:
    """``units are eenheid-van-leeruitkomsten``: the kind of units that do not say."""

    kind: Name
    span: Span = span_field()


@attrs.frozen
class DefaultMaxAge:
    """``max evidence age 5 years [basis "..."]``: how old evidence may be unless its
    type says less."""

    age: Age
    basis: Basis | None = None
    span: Span = span_field()


@attrs.frozen
class Replaces:
    """``replaces "old.luk" from 2025-09-01``: earlier submissions go to the old ruleset."""

    path: Text
    date: DateLit
    span: Span = span_field()


@attrs.frozen
class Closing:
    """``closing "..." "..."``: the closing text of a decision letter (how to object and
    appeal), one or more paragraphs, as the exam committee sends it."""

    paragraphs: tuple[Text, ...]
    span: Span = span_field()


ProgrammeClause: TypeAlias = (
    Level | Forms | Institution | Participates | PracticeComponent | Under | AsIf | OptedInOn
    | DefaultKind
    | DefaultMaxAge | MinItems | Replaces | Closing
)


@attrs.frozen
class Programme:
    """``programme BK "Bouwkunde" ...``: the programme variant this ruleset describes."""

    code: Name
    title: Text
    clauses: tuple[ProgrammeClause, ...]
    span: Span = span_field()


# --------------------------------------------------------------- evidence


@attrs.frozen
class NeedsVerification:
    """``needs verification [basis "..."]``: an item counts only when verified."""

    basis: Basis | None = None
    span: Span = span_field()


EvidenceClause: TypeAlias = MaxAge | NeedsVerification


@attrs.frozen
class EvidenceType:
    """``evidence beroepsproduct "Beroepsproduct" ...``: a type of evidence item."""

    name: Name
    title: Text
    clauses: tuple[EvidenceClause, ...]
    span: Span = span_field()


# ------------------------------------------------------------------ units


@attrs.frozen
class Credits:
    """``credits 15`` (EC)."""

    credits: Integer
    span: Span = span_field()


@attrs.frozen
class Kind:
    """``kind eenheid-van-leeruitkomsten`` or ``kind onderwijseenheid``."""

    kind: Name
    span: Span = span_field()


@attrs.frozen
class Outcome:
    """``outcome 1 "..."``: a learning outcome, referred to as ``<unit>.<id>``."""

    id: Name
    text: Text
    span: Span = span_field()


@attrs.frozen
class Accepts:
    """``accepts beroepsproduct, projectverslag``: evidence types that count."""

    types: tuple[Name, ...]
    span: Span = span_field()


@attrs.frozen
class Recommended:
    """``recommended activity ontwerpstudio``: the unit's recommended learning activities."""

    activities: tuple[Name, ...]
    span: Span = span_field()


@attrs.frozen
class OutcomeAccepts:
    """``outcome 2 accepts werkplekproduct [basis "..."]``: the outcome narrows the unit's
    accepted evidence types."""

    id: Name
    types: tuple[Name, ...]
    basis: Basis | None = None
    span: Span = span_field()


@attrs.frozen
class OutcomeMinItems:
    """``outcome 3 needs at least 3 items [basis "..."]``: the outcome raises the minimum."""

    id: Name
    count: Integer
    basis: Basis | None = None
    span: Span = span_field()


UnitClause: TypeAlias = (
    Credits | Kind | Outcome | Accepts | Recommended | MaxAge | MinItems | OutcomeAccepts
    | OutcomeMinItems
)


@attrs.frozen
class Unit:
    """``unit BK-ONT "Bouwkundig ontwerpen" ...``: a course unit or EVL unit."""

    name: Name
    title: Text
    clauses: tuple[UnitClause, ...]
    span: Span = span_field()


# ------------------------------------------------------------ assessments


@attrs.frozen
class Method:
    """``portfolio`` or ``exam``: whether prior evidence is assessed."""

    method: Literal["portfolio", "exam"]
    span: Span = span_field()


@attrs.frozen
class PathClause:
    """``path-independent`` or ``path-dependent``."""

    independent: bool
    span: Span = span_field()


@attrs.frozen
class Assesses:
    """``assesses BK-ONT, BK-INS``: the units that may be combined in the assessment."""

    units: tuple[Name, ...]
    span: Span = span_field()


@attrs.frozen
class MaxUnits:
    """``at most 3 units at once``."""

    count: Integer
    span: Span = span_field()


AssessmentClause: TypeAlias = Method | PathClause | Assesses | MaxUnits


@attrs.frozen
class Assessment:
    """``assessment BK-PORTFOLIO "..." ...``: how units are assessed."""

    name: Name
    title: Text
    clauses: tuple[AssessmentClause, ...]
    span: Span = span_field()


# ------------------------------------------------------------ law regimes


@attrs.frozen
class Period:
    """When a regime is in force: ``always``, ``from D [until E]``, or a ``proposal``."""

    kind: Literal["always", "dates", "proposal"]
    start: DateLit | None = None
    end: DateLit | None = None
    span: Span = span_field()


@attrs.frozen
class Extends:
    """``extends whw``: everything the other regime allows, this one allows too."""

    regime: Name
    span: Span = span_field()


@attrs.frozen
class Provenance:
    """What a law citation is: ``enacted`` (the statute), ``interpretation "whose reading
    and why"`` (with the reading in other languages: ``nl "..."``), or ``proposal`` (not
    law)."""

    status: Literal["enacted", "interpretation", "proposal"]
    reading: Text | None = None
    span: Span = span_field()
    translations: tuple[Translation, ...] = ()

    @property
    def read(self) -> str:
        """The reading (``""`` for none): its text, in another language its translation."""
        return "" if self.reading is None else localized(self.reading, self.translations)


@attrs.frozen
class Permit:
    """``permit eenheid-van-leeruitkomsten for deeltijd, duaal when ... basis "..."
    [enacted | interpretation "..." | proposal]``."""

    kind: Name
    forms: tuple[Name, ...]
    when: Condition | None
    basis: Basis
    provenance: Provenance | None = None
    span: Span = span_field()


@attrs.frozen
class Allow:
    """``allow combination A, B for onderwijseenheid when ... basis "..." [provenance]``."""

    combinations: tuple[Name, ...]
    kinds: tuple[Name, ...]
    when: Condition | None
    basis: Basis
    provenance: Provenance | None = None
    span: Span = span_field()


RegimeClause: TypeAlias = Period | Extends | Basis | Provenance | Permit | Allow


@attrs.frozen
class Regime:
    """``regime whw "..." ...``: a law regime with its period of validity."""

    name: Name
    title: Text
    clauses: tuple[RegimeClause, ...]
    span: Span = span_field()


# ------------------------------------------------------------------ rules


Noun: TypeAlias = Literal["unit", "outcome", "item", "result", "organisation", "issuer"]


@attrs.frozen
class Binder:
    """``for each NOUN [called NAME] ...``: the rule holds for each one it ranges over.

    ``of`` is the unit an outcome binder ranges in (``for each outcome of ICT-PM``);
    ``items`` the filters of an item binder (``for each item covering outcome``).
    """

    noun: Noun
    called: Name | None = None
    of: Ref | None = None
    items: ItemFilters | None = None
    span: Span = span_field()


@attrs.frozen
class WhereValue:
    """``where n is VALUE``: a name for a value, for the condition and the message."""

    name: Name
    value: Value
    span: Span = span_field()


@attrs.frozen
class WhereItems:
    """``where certificaten are items ...``: a name for a set of items."""

    name: Name
    items: ItemFilters
    span: Span = span_field()


Where: TypeAlias = WhereValue | WhereItems
Severity: TypeAlias = Literal["deny", "warn", "info"]


@attrs.frozen
class Rule:
    """``rule NAME "message" [for each ...] [where ...] deny|warn|info when CONDITION
    basis "..." [advice "..."]``: an institution rule."""

    name: Name
    message: Text
    severity: Severity
    when: Condition
    basis: Basis
    binders: tuple[Binder, ...] = ()
    wheres: tuple[Where, ...] = ()
    translations: tuple[Translation, ...] = ()
    advice: Advice | None = None
    span: Span = span_field()


FieldType: TypeAlias = Literal["text", "date", "number", "yes/no"]


@attrs.frozen
class Field:
    """``evidence field uren "Aantal uren" number``: a further, typed field of items."""

    name: Name
    title: Text
    type: FieldType
    span: Span = span_field()


# ------------------------------------------------------- the exam programme


@attrs.frozen
class Required:
    """``required ICT-SE, ICT-ARCH``: units the diploma needs."""

    units: tuple[Name, ...]
    span: Span = span_field()


@attrs.frozen
class ChooseUnits:
    """``choose at least 1 unit of ICT-PM, ICT-DATA``: an elective group counted in units."""

    count: Integer
    units: tuple[Name, ...]
    span: Span = span_field()


@attrs.frozen
class ChooseCredits:
    """``choose at least 10 credits of ...``: an elective group counted in credits."""

    credits: Integer
    units: tuple[Name, ...]
    span: Span = span_field()


@attrs.frozen
class Diploma:
    """``diploma 70 credits``: the credits the diploma needs in all."""

    credits: Integer
    span: Span = span_field()


@attrs.frozen
class Entry:
    """``ICT-AFS only after ICT-SE, ICT-ARCH``: an entry requirement."""

    unit: Name
    after: tuple[Name, ...]
    span: Span = span_field()


@attrs.frozen
class Validity:
    """``results valid for 6 years [basis "..."]``: how long a result counts."""

    age: Age
    basis: Basis | None = None
    span: Span = span_field()


@attrs.frozen
class Grounds:
    """``exemptions on grounds ervaringscertificaat [basis "..."]``: grounds the committee
    may exempt on."""

    grounds: tuple[Name, ...]
    basis: Basis | None = None
    span: Span = span_field()


@attrs.frozen
class ExemptionLimit:
    """``exemptions count for at most 30 credits`` or ``... at most 50% of diploma credits``
    ``[basis "..."]``: how many credits exemptions may contribute to the diploma."""

    amount: Integer
    share: bool
    basis: Basis | None = None
    span: Span = span_field()


ExamClause: TypeAlias = (
    Required | ChooseUnits | ChooseCredits | Diploma | Entry | Validity | Grounds
    | ExemptionLimit | Basis
)


@attrs.frozen
class ExamProgramme:
    """``exam programme "..." ...``: what the diploma needs (docs/language.md §14)."""

    title: Text
    clauses: tuple[ExamClause, ...]
    span: Span = span_field()


@attrs.frozen
class Include:
    """``include "shared.luk"``: declarations shared with other rulesets."""

    path: Text
    span: Span = span_field()


Declaration: TypeAlias = (
    Include | Programme | ExamProgramme | EvidenceType | Unit | Assessment | Regime | Rule
    | Field
)


@attrs.frozen
class Comment:
    """A ``# ...`` comment; kept for ``luk fmt``, ignored by the meaning of a ruleset."""

    text: str
    own_line: bool
    span: Span = span_field()


@attrs.frozen
class Module:
    """One parsed ``.luk`` file: its declarations in source order, and its comments.

    Comments do not take part in equality: two files that differ only in
    comments and layout have equal modules.
    """

    declarations: tuple[Declaration, ...]
    comments: tuple[Comment, ...] = attrs.field(default=(), eq=False, repr=False)
    span: Span = span_field()


# ------------------------------------------------------------ layout of chains

Chain = TypeVar("Chain", And, Or)


def chain(kind: type[Chain], written: Sequence[Condition], *, parens: int = 0,
          span: Span | None = None) -> Chain:
    """An ``and``/``or`` chain as the parser builds it from its operands as written: the
    items of a parenthesised operand of the same kind are spliced in (it means the same),
    and the grouping is kept in ``written`` when there was such an operand.

    Example:
        >>> a, b, c = OptedIn(), RecommendedRoute(), InstitutionParticipates()
        >>> made = chain(And, (And((a, b), parens=1), c))
        >>> made == And((a, b, c)), len(made.written or ())
        (True, 2)
    """
    items: list[Condition] = []
    grouped = False
    for operand in written:
        if isinstance(operand, kind) and operand.parens:
            items.extend(operand.items)
            grouped = True
        else:
            items.append(operand)
    return kind(tuple(items), written=tuple(written) if grouped else None, parens=parens,
                span=span if span is not None else Span.unknown())


def written_items(group: And | Or) -> tuple[Condition, ...]:
    """The operands of a chain as the author grouped them: ``written`` when it still
    splices into exactly ``items`` (the very nodes, in order), else ``items``.

    A tree rebuilt from a parsed one (a chain with some items dropped) falls back to its
    flat items.

    Example:
        >>> a, b, c = OptedIn(), RecommendedRoute(), InstitutionParticipates()
        >>> written_items(chain(Or, (a, Or((b, c), parens=1))))[1].items == (b, c)
        True
        >>> written_items(Or((a, b)))
        (OptedIn(), RecommendedRoute())
    """
    written = group.written
    if written is None:
        return group.items
    spliced = list(_spliced(written, type(group)))
    if len(spliced) == len(group.items) and all(
            x is y for x, y in zip(spliced, group.items, strict=True)):
        return written
    return group.items


def _spliced(written: Sequence[Condition], kind: type[And] | type[Or]) -> Iterator[Condition]:
    for operand in written:
        if isinstance(operand, kind) and operand.parens:
            yield from operand.items
        else:
            yield operand
