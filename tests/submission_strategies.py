"""Generators of submissions and rulesets for the property and thread tests.

Each generator is written once against a small :class:`Choices` interface, and driven
either by hypothesis (:func:`submissions`, :func:`rulesets`, :func:`bad_submissions`:
shrinkable strategies) or by a seeded :class:`random.Random` (:func:`random_submissions`:
a fixed corpus without hypothesis, for the thread tests).

Everything drawn here is *valid* unless the name says otherwise: a submission from
:func:`submissions` passes ``Ruleset.decide`` without a ``SubmissionError``, and a ruleset
from :func:`rulesets` passes ``luk check`` (warnings allowed).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import random
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import attrs
from hypothesis import strategies as st

import luk_rules
from luk_rules import ir
from luk_rules.diagnostics import render_text

T = TypeVar("T")

FORMS = ("voltijd", "deeltijd", "duaal")
LEVELS = ("hbo-associate-degree", "hbo-bachelor", "hbo-master", "wo-bachelor", "wo-master")
EVL = "eenheid-van-leeruitkomsten"
OE = "onderwijseenheid"
LAW = "whw, experiment-leeruitkomsten, wet-leeruitkomsten"

# Dates where something changes: the experiment starts and ends, the law starts.
_LAW_DATES = (dt.date(2016, 6, 30), dt.date(2016, 7, 1), dt.date(2024, 12, 31), dt.date(2025, 1, 1))
_OWN_ACTIVITIES = ("stage", "selficient", "eigen-project", "hackathon", "vrijwilligerswerk")


# ------------------------------------------------------------------ choices


class Choices(Protocol):
    """The random decisions a generator makes; hypothesis or ``random`` behind it."""

    def integer(self, lo: int, hi: int) -> int:
        """An integer in ``lo..hi`` (both included)."""
        ...

    def date(self, lo: dt.date, hi: dt.date) -> dt.date:
        """A date in ``lo..hi`` (both included)."""
        ...

    def subset(self, items: Sequence[T], lo: int, hi: int) -> list[T]:
        """Between ``lo`` and ``hi`` distinct elements of ``items``, in random order."""
        ...


def _chance(c: Choices, percent: int) -> bool:
    return c.integer(1, 100) <= percent


def _pick(c: Choices, items: Sequence[T]) -> T:
    return items[c.integer(0, len(items) - 1)]


@attrs.define
class _Drawn:
    """Choices drawn by hypothesis (so failures shrink)."""

    draw: Callable[[st.SearchStrategy[Any]], Any]

    def integer(self, lo: int, hi: int) -> int:
        return int(self.draw(st.integers(lo, hi)))

    def date(self, lo: dt.date, hi: dt.date) -> dt.date:
        value: dt.date = self.draw(st.dates(lo, hi))
        return value

    def subset(self, items: Sequence[T], lo: int, hi: int) -> list[T]:
        hi = min(hi, len(items))
        picked = self.draw(
            st.lists(st.integers(0, len(items) - 1), min_size=min(lo, hi), max_size=hi, unique=True)
        )
        return [items[i] for i in picked]


@attrs.define
class _Seeded:
    """Choices from a seeded ``random.Random`` (a fixed corpus)."""

    rng: random.Random

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def date(self, lo: dt.date, hi: dt.date) -> dt.date:
        return dt.date.fromordinal(self.rng.randint(lo.toordinal(), hi.toordinal()))

    def subset(self, items: Sequence[T], lo: int, hi: int) -> list[T]:
        hi = min(hi, len(items))
        return self.rng.sample(list(items), self.rng.randint(min(lo, hi), hi))


# ------------------------------------------------------------------ submissions


@attrs.frozen
class Vocabulary:
    """What a submission may name, read from a loaded ruleset's IR.

    A ruleset that ``replaces`` an earlier one from a date leaves the submissions dated
    before it to that one: ``predecessor`` is its vocabulary, and :meth:`on` picks the
    vocabulary that applies on a date.
    """

    programme: str
    forms: tuple[str, ...]
    units: tuple[ir.Unit, ...]
    assessments: tuple[ir.Assessment, ...]
    types: tuple[str, ...]
    law_dates: tuple[dt.date, ...]
    predecessor: tuple[dt.date, Vocabulary] | None = None
    fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, ruleset: ir.Ruleset) -> Vocabulary:
        """The vocabulary of a checked ruleset (``luk_rules.load(path).ir``)."""
        p = ruleset.programme
        dates = {*_LAW_DATES}
        dates |= {r.start for r in p.regimes if r.start} | {r.end for r in p.regimes if r.end}
        predecessor = None
        if p.opted_in:
            dates |= {p.opted_in, p.opted_in - dt.timedelta(days=1)}
        if p.replaces is not None:
            earlier = _predecessor_ir(p.replaces.path)
            predecessor = (p.replaces.date, cls.of(earlier))
            dates |= {p.replaces.date, p.replaces.date - dt.timedelta(days=1)}
        return cls(
            p.code,
            p.forms,
            ruleset.units,
            ruleset.assessments,
            tuple(e.name for e in ruleset.evidence_types),
            tuple(sorted(d for d in dates if dt.date(2016, 1, 1) <= d <= dt.date(2027, 12, 31))),
            predecessor,
            tuple((f.name, f.type) for f in ruleset.fields),
        )

    def on(self, date: dt.date) -> Vocabulary:
        """The vocabulary of the ruleset that decides submissions dated ``date``."""
        here = self
        while here.predecessor is not None and date < here.predecessor[0]:
            here = here.predecessor[1]
        return here

    def outcomes_of(self, codes: Sequence[str]) -> list[str]:
        """The outcome refs of these units, in declaration order."""
        return [o.ref for u in self.units if u.code in codes for o in u.outcomes]

    @property
    def all_outcomes(self) -> list[str]:
        """Every outcome ref of the ruleset."""
        return [o.ref for u in self.units for o in u.outcomes]

    @property
    def recommended(self) -> list[str]:
        """Every recommended activity of the ruleset."""
        return sorted({a for u in self.units for a in u.recommended})


@functools.cache
def _predecessor_ir(path: str) -> ir.Ruleset:
    return luk_rules.load(path).ir


def _submission_date(c: Choices, v: Vocabulary) -> dt.date:
    if v.law_dates and _chance(c, 20):
        return _pick(c, v.law_dates)
    if _chance(c, 50):  # under the Wet leeruitkomsten
        return c.date(dt.date(2025, 1, 1), dt.date(2027, 12, 31))
    return c.date(dt.date(2016, 1, 1), dt.date(2024, 12, 31))


def _item_date(c: Choices, on: dt.date) -> dt.date:
    if _chance(c, 70):  # mostly before the submission date, often recent enough to count
        lo = max(dt.date(2015, 1, 1), on - dt.timedelta(days=6 * 366))
        return c.date(min(lo, on), on)
    return c.date(dt.date(2015, 1, 1), dt.date(2027, 12, 31))


def _activity(c: Choices, v: Vocabulary, units: Sequence[ir.Unit]) -> str:
    recommended = [a for u in units for a in u.recommended] or v.recommended
    if recommended and _chance(c, 60):
        return _pick(c, recommended)
    return _pick(c, _OWN_ACTIVITIES)


def submission_from(c: Choices, v: Vocabulary) -> dict[str, Any]:
    """One valid submission (a JSON-like dict) for the vocabulary ``v``."""
    on = _submission_date(c, v)
    v = v.on(on)
    most = 1 if _chance(c, 45) else 4
    if _chance(c, 60):  # units the assessment takes together
        assessment = _pick(c, v.assessments)
        codes = c.subset(assessment.units, 1, min(most, assessment.max_units or 4))
        claimed = [u for code in codes for u in v.units if u.code == code]
    else:  # any units, any assessment
        claimed = c.subset(v.units, 1, most)
        codes = [u.code for u in claimed]
        covering = [a for a in v.assessments if set(a.units) & set(codes)]
        assessment = _pick(c, covering if covering and _chance(c, 75) else v.assessments)
    ids = [f"e{n}" for n in c.subset(range(1, 40), 12, 12)]
    evidence: list[dict[str, Any]] = []
    if _chance(c, 30):  # a complete portfolio: enough counting items for every outcome
        for unit in claimed:
            for _ in range(max(o.minimum.count for o in unit.outcomes)):
                if len(evidence) < 8:
                    evidence.append(_complete_item(c, v, unit, on, ids[len(evidence)]))
        if evidence and _chance(c, 35):  # all but one item: often incomplete, nothing else
            evidence.pop()
            return _submission(c, v, on, codes, assessment, claimed, evidence)
    for _ in range(c.integer(0, 8 - len(evidence))):
        evidence.append(_random_item(c, v, claimed, on, ids[len(evidence)]))
    return _submission(c, v, on, codes, assessment, claimed, evidence)


def _submission(c: Choices, v: Vocabulary, on: dt.date, codes: list[str],
                assessment: ir.Assessment, claimed: Sequence[ir.Unit],
                evidence: list[dict[str, Any]]) -> dict[str, Any]:
    sub: dict[str, Any] = {
        "id": _pick(c, ("S1", "case-7", "R2D2", "student_42")),
        "programme": v.programme,
        "form": _pick(c, v.forms),
        "date": on.isoformat(),
        "units": codes,
        "assessment": assessment.name,
        "evidence": evidence,
    }
    if _chance(c, 50):
        sub["activities"] = [_activity(c, v, claimed) for _ in range(c.integer(0, 3))]
    if _chance(c, 25):
        sub["results"] = [_result(c, u.code, on) for u in c.subset(v.units, 0, 2)]
    return sub


def _complete_item(
    c: Choices, v: Vocabulary, unit: ir.Unit, on: dt.date, id_: str
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": id_,
        "type": _pick(c, _narrowest(unit)),
        "outcomes": c.subset([o.ref for o in unit.outcomes], len(unit.outcomes), 3),
        "date": c.date(on - dt.timedelta(days=300), on).isoformat(),
        "verified": True,
    }
    if unit.recommended and _chance(c, 80):
        item["activity"] = _pick(c, unit.recommended)
    _item_extras(c, v, item, on)
    return item


def _narrowest(unit: ir.Unit) -> tuple[str, ...]:
    """The types every outcome of the unit accepts (the unit's, when none narrows them)."""
    common = [t for t in unit.accepts if all(t in unit.accepted_for(o.ref) for o in unit.outcomes)]
    return tuple(common) or unit.accepts


def _random_item(
    c: Choices, v: Vocabulary, claimed: Sequence[ir.Unit], on: dt.date, id_: str
) -> dict[str, Any]:
    claimed_refs = v.outcomes_of([u.code for u in claimed])
    pool = claimed_refs if _chance(c, 85) else v.all_outcomes
    outcomes = c.subset(pool, 1, 3)
    unit = next(u for u in v.units if u.code == outcomes[0].rpartition(".")[0])
    etype = _pick(c, unit.accepts) if _chance(c, 80) else _pick(c, v.types)
    item: dict[str, Any] = {
        "id": id_,
        "type": etype,
        "outcomes": outcomes,
        "date": _item_date(c, on).isoformat(),
    }
    if _chance(c, 60):
        item["activity"] = _activity(c, v, claimed)
    if _chance(c, 70):
        item["verified"] = _chance(c, 60)
    _item_extras(c, v, item, on)
    return item


ORGANISATIONS = ("O1", "O2", "O3")
ISSUERS = ("I1", "I2")


def _item_extras(c: Choices, v: Vocabulary, item: dict[str, Any], on: dt.date) -> None:
    """An item's organisation and issuer (often), and values for the ruleset's fields."""
    if _chance(c, 60):
        item["organisation"] = _pick(c, ORGANISATIONS)
    if _chance(c, 40):
        item["issuer"] = _pick(c, ISSUERS)
    for name, kind in v.fields:
        if not _chance(c, 60):
            continue
        if kind == "number":
            item[name] = c.integer(0, 60)
        elif kind == "yes/no":
            item[name] = _chance(c, 50)
        elif kind == "date":
            item[name] = _item_date(c, on).isoformat()
        else:
            item[name] = _pick(c, ("K1", "K2"))


def _result(c: Choices, unit: str, on: dt.date) -> dict[str, Any]:
    earliest = min(on, max(dt.date(2015, 1, 1), on - dt.timedelta(days=8 * 366)))
    result: dict[str, Any] = {"unit": unit, "date": c.date(earliest, on).isoformat()}
    if _chance(c, 50):
        result["how"] = "passed"
    elif _chance(c, 50):
        result.update(
            how="exempted", by="examencommissie",
            grounds=_pick(c, ("eerdere-opleiding", "eerdere-opleiding", "werkervaring")),
            decision="EC-2025-1"
        )
    return result


def submissions(ruleset: ir.Ruleset) -> st.SearchStrategy[dict[str, Any]]:
    """Valid submissions for ``ruleset`` (the IR: ``luk_rules.load(path).ir``)."""
    vocabulary = Vocabulary.of(ruleset)

    @st.composite
    def draw(draw_: Any) -> dict[str, Any]:
        return submission_from(_Drawn(draw_), vocabulary)

    return draw()


def random_submissions(ruleset: ir.Ruleset, count: int, seed: int) -> list[dict[str, Any]]:
    """A fixed corpus of ``count`` valid submissions, the same for the same seed."""
    choices = _Seeded(random.Random(seed))
    vocabulary = Vocabulary.of(ruleset)
    return [submission_from(choices, vocabulary) for _ in range(count)]


# ------------------------------------------------------------------ bad submissions

Path_ = tuple[str | int, ...]

_WRONG_TYPES: tuple[Any, ...] = (7, None, "x", [], ["x"], {}, {"a": 1}, True, False, 2.5, -1e300)
_BAD_DATES = (
    "2025-02-30",
    "tomorrow",
    "2025-13-01",
    "2025-3-1",
    "01-03-2025",
    "",
    "2025-03-01T10:00",
    "2025/03/01",
    "0000-01-01",
)


def render_path(path: Path_) -> str:
    """``("evidence", 2, "date")`` as ``$.evidence[2].date``."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _places(sub: dict[str, Any]) -> list[tuple[Path_, str]]:
    """Every value in a valid submission with the kind of value expected there."""
    places: list[tuple[Path_, str]] = [
        (("id",), "str"),
        (("programme",), "str"),
        (("form",), "form"),
        (("date",), "date"),
        (("units",), "list"),
        (("assessment",), "str"),
        (("evidence",), "list"),
    ]
    places += [(("units", i), "str") for i in range(len(sub["units"]))]
    for key in ("activities", "results"):
        if key in sub:
            places.append(((key,), "list"))
    places += [(("activities", i), "str") for i in range(len(sub.get("activities", ())))]
    for i, item in enumerate(sub["evidence"]):
        places += [
            (("evidence", i), "object"),
            (("evidence", i, "id"), "str"),
            (("evidence", i, "type"), "str"),
            (("evidence", i, "date"), "date"),
            (("evidence", i, "outcomes"), "list"),
        ]
        places += [(("evidence", i, "outcomes", j), "str") for j in range(len(item["outcomes"]))]
        if "activity" in item:
            places.append((("evidence", i, "activity"), "optstr"))
        if "verified" in item:
            places.append((("evidence", i, "verified"), "bool"))
    for i, result in enumerate(sub.get("results", ())):
        places += [
            (("results", i), "object"),
            (("results", i, "unit"), "str"),
            (("results", i, "date"), "date"),
        ]
        places += [
            (("results", i, k), "optstr") for k in ("by", "grounds", "decision") if k in result
        ]
    return places


def _get(doc: Any, path: Path_) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _set(doc: Any, path: Path_, value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value


def _wrong_type(c: Choices, kind: str) -> Any:
    allowed: dict[str, Callable[[Any], bool]] = {
        "str": lambda x: isinstance(x, str),
        "optstr": lambda x: x is None or isinstance(x, str),
        "form": lambda x: x in FORMS,
        "date": lambda x: isinstance(x, str),
        "list": lambda x: isinstance(x, list),
        "object": lambda x: isinstance(x, dict),
        "bool": lambda x: isinstance(x, bool),
    }
    candidates = [w for w in _WRONG_TYPES if not allowed[kind](w)]
    return copy.deepcopy(_pick(c, candidates))


def _junk(c: Choices, depth: int) -> Any:
    value: Any = _pick(c, ("x", 1, None, 2.5))
    for _ in range(depth):
        value = [value] if _chance(c, 50) else {"k": value, "j": [1, None]}
    return value


def _names_something(path: Path_, kind: str) -> bool:
    """Whether the value at ``path`` names a programme, unit, assessment, type or outcome."""
    if path in (("programme",), ("assessment",)):
        return True
    if path[0] == "units":
        return len(path) == 2
    return (
        path[0] == "evidence"
        and len(path) >= 3
        and path[2] in ("type", "outcomes")
        and kind == "str"
    )


@attrs.frozen
class Broken:
    """A submission broken in one place.

    Attributes:
        document: the broken JSON-like value.
        path: the JSON path where a problem must be reported (``$``: the document).
        what: how it was broken, for failure messages.
        structural: whether the JSON Schema alone can see the fault (False for unknown
            names, duplicates and forms the programme does not offer).
    """

    document: Any
    path: str
    what: str
    structural: bool = True


def bad_submission_from(c: Choices, v: Vocabulary) -> Broken:
    """A valid submission broken in one place."""
    sub = submission_from(c, v)
    v = v.on(dt.date.fromisoformat(sub["date"]))
    places = _places(sub)
    mutation = c.integer(0, 15)
    if mutation == 0:  # a required key dropped
        required = ["id", "programme", "form", "date", "units", "assessment", "evidence"]
        optional_paths: list[Path_] = [(k,) for k in required]
        for i in range(len(sub["evidence"])):
            optional_paths += [("evidence", i, k) for k in ("id", "type", "outcomes", "date")]
        for i in range(len(sub.get("results", ()))):
            optional_paths += [("results", i, k) for k in ("unit", "date")]
        path = _pick(c, optional_paths)
        del _get(sub, path[:-1])[path[-1]]
        return Broken(sub, render_path(path), "a required field dropped")
    if mutation == 1:  # an unknown key, at the top or in an item
        objects: list[Path_] = [()]
        objects += [("evidence", i) for i in range(len(sub["evidence"]))]
        objects += [("results", i) for i in range(len(sub.get("results", ())))]
        where = _pick(c, objects)
        key = _pick(c, ("colour", "Id", "extra", "evidence_", "notes"))
        _get(sub, where)[key] = _junk(c, c.integer(0, 3))
        return Broken(sub, render_path((*where, key)), "an unknown field")
    if mutation in (2, 3, 4):  # a value of the wrong JSON type
        path, kind = _pick(c, places)
        _set(sub, path, _wrong_type(c, kind))
        return Broken(sub, render_path(path), "a value of the wrong JSON type")
    if mutation == 5:  # an empty or space-padded string
        path, kind = _pick(c, [p for p in places if p[1] in ("str", "optstr", "form")])
        _set(sub, path, _pick(c, ("", " ", " x", "x ", "\t")))
        return Broken(sub, render_path(path), "an empty or space-padded string")
    if mutation == 6:  # a string that is no date
        path, _ = _pick(c, [p for p in places if p[1] == "date"])
        _set(sub, path, _pick(c, _BAD_DATES))
        return Broken(sub, render_path(path), "a string that is no date")
    if mutation == 7:  # an unknown programme, unit, assessment, evidence type or outcome
        path = _pick(c, [p for p, kind in places if _names_something(p, kind)])
        _set(sub, path, _get(sub, path) + _pick(c, ("X", "-9", ".0", "zz")))
        return Broken(sub, render_path(path), "an unknown name", structural=False)
    if mutation == 8 and len(v.forms) < len(FORMS):  # a form the programme does not offer
        sub["form"] = _pick(c, [f for f in FORMS if f not in v.forms])
        return Broken(sub, "$.form", "a form the programme does not offer", structural=False)
    if mutation == 9 and len(sub["evidence"]) >= 2:  # two evidence items with one id
        i, j = sorted(c.subset(range(len(sub["evidence"])), 2, 2))
        sub["evidence"][j]["id"] = sub["evidence"][i]["id"]
        return Broken(sub, f"$.evidence[{j}].id", "two items with one id", structural=False)
    if mutation == 10:  # no units
        sub["units"] = []
        return Broken(sub, "$.units", "no units")
    if mutation == 11:  # deeply nested junk in place of a value
        path, _ = _pick(c, places)
        _set(sub, path, _junk(c, c.integer(5, 60)))
        return Broken(sub, render_path(path), "deeply nested junk")
    if mutation == 12:  # the document itself is no object
        return Broken(
            copy.deepcopy(_pick(c, ([], [sub], "S1", None, 3, True, 1.5))), "$", "no object"
        )
    if mutation == 13:  # a unit listed twice
        sub["units"].append(sub["units"][0])
        return Broken(sub, f"$.units[{len(sub['units']) - 1}]", "a unit twice", structural=False)
    if mutation == 14 and sub["evidence"]:  # an item with no outcomes, or one twice
        i = c.integer(0, len(sub["evidence"]) - 1)
        outcomes = sub["evidence"][i]["outcomes"]
        if _chance(c, 50):
            sub["evidence"][i]["outcomes"] = []
            return Broken(sub, f"$.evidence[{i}].outcomes", "an item without outcomes")
        outcomes.append(outcomes[0])
        return Broken(
            sub,
            f"$.evidence[{i}].outcomes[{len(outcomes) - 1}]",
            "an outcome twice in one item",
            structural=False,
        )
    # an enum value that is not one of its values
    sub["form"] = _pick(c, ("avond", "Voltijd", "deeltijd ", "part-time"))
    return Broken(sub, "$.form", "an unknown form")


def bad_submissions(ruleset: ir.Ruleset) -> st.SearchStrategy[Broken]:
    """Invalid submissions for ``ruleset``, each with the JSON path of its fault."""
    vocabulary = Vocabulary.of(ruleset)

    @st.composite
    def draw(draw_: Any) -> Broken:
        return bad_submission_from(_Drawn(draw_), vocabulary)

    return draw()


# ------------------------------------------------------------------ rulesets

_TYPE_NAMES = ("bp", "pv", "cert", "evc", "refl", "wpp")
_ACTIVITIES = ("studio", "practicum", "leerlijn-a", "leerlijn-b", "werkplaats")


def _age(c: Choices) -> str:
    if _chance(c, 70):
        n = c.integer(1, 6)
        return f"{n} year{'s' if n != 1 else ''}"
    n = c.integer(1, 30)
    return f"{n} month{'s' if n != 1 else ''}"


def _rule_date(c: Choices) -> str:
    if _chance(c, 40):
        return _pick(c, _LAW_DATES).isoformat()
    return c.date(dt.date(2015, 1, 1), dt.date(2027, 12, 31)).isoformat()


def _one_or_list(c: Choices, names: Sequence[str]) -> str:
    picked = c.subset(names, 1, 3)
    return picked[0] if len(picked) == 1 and _chance(c, 70) else "one of " + ", ".join(picked)


@attrs.frozen
class _Decls:
    """What a condition may name in a generated ruleset."""

    units: tuple[str, ...]
    assessments: tuple[str, ...]
    types: tuple[str, ...]
    activities: tuple[str, ...]


def _atom(c: Choices, d: _Decls) -> str:
    match c.integer(0, 17):
        case 0:
            return f"unit {_pick(c, d.units)} is claimed"
        case 1:
            return f"assessment is {_pick(c, d.assessments)}"
        case 2:
            return _pick(
                c,
                ("assessment is path-independent", "assessment is portfolio", "assessment is exam"),
            )
        case 3 | 4:
            quantifier = _pick(c, ("every", "some", "no"))
            return f"{quantifier} evidence is {_one_or_list(c, d.types)}"
        case 5:
            return f"number of units {_pick(c, ('<', '<=', '>', '>=', '='))} {c.integer(0, 4)}"
        case 6 | 7:
            of_type = f" of type {_one_or_list(c, d.types)}" if _chance(c, 50) else ""
            op = _pick(c, ("<", "<=", ">", ">=", "="))
            return f"number of evidence{of_type} {op} {c.integer(0, 5)}"
        case 8:
            return f"combination is {_one_or_list(c, ('A', 'B', 'C', 'D'))}"
        case 9:
            return f"form is {_one_or_list(c, FORMS)}"
        case 10:
            return f"level is {_pick(c, ('hbo', 'wo', *LEVELS))}"
        case 11:
            return f"activity {_pick(c, (*d.activities, *_OWN_ACTIVITIES))} is followed"
        case 12:
            return f"submitted before {_rule_date(c)}"
        case 13:
            return f"submitted from {_rule_date(c)}"
        case 14:
            return "institution participates"
        case 15:
            return "opted in"
        case 16:
            return "recommended route"
        case _:
            return f"not unit {_pick(c, d.units)} is claimed"


def condition_text(c: Choices, d: _Decls, depth: int = 0) -> str:
    """A random condition from the grammar's condition language."""
    shape = c.integer(0, 9) if depth < 3 else 0
    if shape <= 4:
        return _atom(c, d)
    if shape == 5:
        return f"not ({condition_text(c, d, depth + 1)})"
    op = "and" if shape in (6, 7) else "or"
    parts = [condition_text(c, d, depth + 1) for _ in range(c.integer(2, 3))]
    joined = f" {op} ".join(f"({p})" if " and " in p or " or " in p else p for p in parts)
    return f"({joined})" if _chance(c, 30) else joined


_FIELD_TYPES = ("number", "text", "date", "yes/no")
_AGE_OPS = ("<", "<=", ">", ">=")


@attrs.frozen
class _Scope:
    """What a generated scoped rule binds: names by kind, and the ruleset's fields."""

    units: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    results: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()


def _basis(c: Choices, article: str) -> str:
    return f' basis "OER art. {article}"' if _chance(c, 40) else ""


def _items(c: Choices, d: _Decls, s: _Scope, aggregates: bool) -> str:
    """Item filters that name what the scope binds (or a unit code)."""
    parts: list[str] = []
    if _chance(c, 50):
        parts.append(f"of type {_pick(c, d.types)}" if aggregates or _chance(c, 100)
                     else f"of type {_one_or_list(c, d.types)}")
    targets = [*s.outcomes, *s.units] or list(d.units)
    if _chance(c, 60):
        keyword = "counting for" if _chance(c, 35) else "covering"
        parts.append(f"{keyword} {_pick(c, targets if _chance(c, 80) else d.units)}")
    if s.organisations and _chance(c, 50):
        parts.append(f"from {_pick(c, s.organisations)}")
    elif _chance(c, 15):
        parts.append(f'from "{_pick(c, ORGANISATIONS)}"')
    if _chance(c, 15):
        parts.append("that are verified")
    return "".join(f" {p}" for p in parts)


def _item_test(c: Choices, d: _Decls, s: _Scope) -> str:
    yes_no = [name for name, kind in s.fields if kind == "yes/no"]
    match c.integer(0, 4):
        case 0:
            return "verified"
        case 1:
            return f"younger than {_age(c)}"
        case 2:
            return f"older than {_age(c)}"
        case 3 if yes_no:
            return _pick(c, yes_no)
        case _:
            return _pick(c, d.types)


def _field_compare(c: Choices, item: str, name: str, kind: str) -> str:
    if kind == "number":
        return f"{name} of {item} {_pick(c, ('<', '>=', '='))} {c.integer(0, 60)}"
    if kind == "date":
        return f"{name} of {item} < {_rule_date(c)}"
    if kind == "yes/no":
        return f"{item} is {'not ' if _chance(c, 30) else ''}{name}"
    return f'{name} of {item} is {"not " if _chance(c, 30) else ""}"{_pick(c, ("K1", "K2"))}"'


def _scoped_atom(c: Choices, d: _Decls, s: _Scope, aggregates: bool) -> str:
    """A condition about what the rule binds (with counts only when ``aggregates``)."""
    options: list[Callable[[], str]] = [lambda: _atom(c, d)]
    for item in s.items:
        options += [
            lambda item=item: f"{item} is {_pick(c, d.types)}",
            lambda item=item: f"{item} is {'not ' if _chance(c, 30) else ''}verified",
            lambda item=item: f"{item} is {_pick(c, ('older', 'younger'))} than {_age(c)}",
            lambda item=item: f"age of {item} {_pick(c, _AGE_OPS)} {_age(c)}",
            lambda item=item: f"date of {item} {_pick(c, _AGE_OPS)} {_rule_date(c)}",
            lambda item=item: f'organisation of {item} is "{_pick(c, ORGANISATIONS)}"',
        ]
        options += [lambda item=item, f=f: _field_compare(c, item, *f) for f in s.fields]
    for unit in s.units:
        options += [lambda unit=unit: f"{unit} is {_pick(c, d.units)}",
                    lambda unit=unit: f"credits of {unit} > {c.integer(0, 20)}"]
    for result in s.results:
        options += [lambda result=result: f"age of {result} > {_age(c)}",
                    lambda result=result: f"date of {result} >= {_rule_date(c)}"]
    options.append(lambda: f"{_pick(c, ('some', 'no', 'every'))} item{_items(c, d, s, aggregates)} "
                   f"is {_item_test(c, d, s)}")
    if aggregates:
        op = ("<", "<=", ">", ">=", "=")
        options += [
            lambda: f"number of items{_items(c, d, s, True)} {_pick(c, op)} {c.integer(0, 3)}",
            lambda: f"credits of results that count {_pick(c, op)} {c.integer(0, 30)}",
            lambda: f"number of items{_items(c, d, s, True)} > {c.integer(10, 90)}% of number "
            f"of items{_items(c, d, s, True)}",
        ]
        for outcome in s.outcomes:
            options.append(lambda outcome=outcome: f"number of items counting for {outcome} = "
                           f"minimum of {outcome}")
    return _pick(c, options)()


def _scoped_condition(c: Choices, d: _Decls, s: _Scope, aggregates: bool, depth: int = 0) -> str:
    shape = c.integer(0, 9) if depth < 2 else 0
    if shape <= 5:
        return _scoped_atom(c, d, s, aggregates)
    if shape == 6:
        return f"not ({_scoped_condition(c, d, s, aggregates, depth + 1)})"
    op = "and" if shape in (7, 8) else "or"
    parts = [_scoped_condition(c, d, s, aggregates, depth + 1) for _ in range(2)]
    return f" {op} ".join(f"({p})" for p in parts)


def scoped_rule_text(c: Choices, d: _Decls, number: int, fields: tuple[tuple[str, str], ...],
                     aggregates: bool) -> list[str]:
    """A rule with binders, `where` names and a message that names them."""
    s = _Scope(fields=fields)
    binders: list[str] = []
    shape = c.integer(0, 5)
    if shape in (0, 1):
        if _chance(c, 30):
            binders.append(f"for each outcome of {_pick(c, d.units)}")
        else:
            binders.append("for each outcome")
        s = attrs.evolve(s, outcomes=("outcome",))
        if shape == 1:
            binders.append("for each item covering outcome")
            s = attrs.evolve(s, items=("item",))
    elif shape == 2:
        binders.append("for each unit")
        s = attrs.evolve(s, units=("unit",))
    elif shape == 3:
        of_type = f" of type {_pick(c, d.types)}" if _chance(c, 50) else ""
        binders.append(f"for each item called ding{of_type}")
        s = attrs.evolve(s, items=("ding",))
    elif shape == 4:
        binders.append("for each organisation")
        s = attrs.evolve(s, organisations=("organisation",))
    else:
        binders.append("for each result")
        s = attrs.evolve(s, results=("result",))
    wheres: list[str] = []
    shown: list[str] = []
    if s.items and fields and _chance(c, 50):
        name, _ = _pick(c, fields)
        wheres.append(f"where veld is {name} of {s.items[0]}")
        shown.append("veld")
    if s.items and _chance(c, 30):
        wheres.append(f"where datum is date of {s.items[0]}")
        shown.append("datum")
    if aggregates and _chance(c, 50):
        wheres.append(f"where aantal is number of items{_items(c, d, s, True)}")
        shown.append("aantal")
    if aggregates and _chance(c, 25):
        wheres.append(f"where groep are items{_items(c, d, s, True)}")
        shown.append("groep")
    names = [*s.units, *s.outcomes, *s.items, *s.results, *s.organisations, *shown]
    message = f"Regel {number}: " + ", ".join(f"{{{n}}}" for n in names)
    severity = "deny" if _chance(c, 25) else _pick(c, ("warn", "info"))
    return [f'rule scoped-{number} "{message}"', *(f"  {b}" for b in binders),
            *(f"  {w}" for w in wheres),
            f"  {severity} when {_scoped_condition(c, d, s, aggregates)}",
            f'  basis "OER art. 9.{number}"', ""]


def ruleset_text_from(c: Choices, aggregates: bool = True) -> str:
    """A random ruleset that passes the checks (under the shipped law regimes); its scoped
    rules count and sum only when ``aggregates`` (the durable backend has no aggregates)."""
    code = _pick(c, ("GP", "XA", "Q7"))
    forms = c.subset(FORMS, 1, 3)
    proposal = _chance(c, 35)
    as_if = proposal and _chance(c, 70)
    evl_possible = all(f != "voltijd" or as_if for f in forms)
    opted_in = c.date(dt.date(2016, 1, 1), dt.date(2027, 6, 30)) if _chance(c, 75) else None
    lines = [
        f'programme {code} "Gegenereerde opleiding"',
        f"  level {_pick(c, LEVELS)}",
        f"  form {', '.join(forms)}",
        '  institution "Hogeschool Gegenereerd"',
        f"  under {LAW}{', voltijd-uitbreiding' if proposal else ''}",
    ]
    if as_if:
        lines.append(
            f"  as if voltijd-uitbreiding in force from "
            f"{c.date(dt.date(2024, 1, 1), dt.date(2027, 12, 31)).isoformat()}"
        )
    if _chance(c, 40):
        lines.append("  participates in experiment")
    if opted_in:
        lines.append(f"  opted in {opted_in.isoformat()}")
    n_units = c.integer(1, 5)
    kinds = [EVL if evl_possible and _chance(c, 60) else OE for _ in range(n_units)]
    default_kind = _pick(c, (None, *sorted(set(kinds))))
    if default_kind:
        lines.append(f"  units are {default_kind}")
    if _chance(c, 50):
        lines.append(f"  max evidence age {_age(c)}{_basis(c, '1.1')}")
    programme_min = 1
    if _chance(c, 30):
        programme_min = c.integer(1, 3)
        lines.append(f"  at least {programme_min} items per outcome{_basis(c, '1.2')}")
    lines.append("")

    types = c.subset(_TYPE_NAMES, 2, 5)
    for t in types:
        lines.append(f'evidence {t} "Type {t}"')
        if _chance(c, 30):
            lines.append(f"  max age {_age(c)}{_basis(c, '2.1')}")
        if _chance(c, 25):
            lines.append(f"  needs verification{_basis(c, '2.2')}")
    fields = tuple((f"veld{i + 1}", _pick(c, _FIELD_TYPES)) for i in range(c.integer(0, 2)))
    for name, kind in fields:
        lines.append(f'evidence field {name} "Veld {name}" {kind}')
    lines.append("")

    units = [f"{code}-U{i + 1}" for i in range(n_units)]
    activities: list[str] = []
    credits: dict[str, int] = {}
    for name, kind in zip(units, kinds, strict=True):
        lines.append(f'unit {name} "Eenheid {name}"')
        credits[name] = c.integer(1, 30)
        lines.append(f"  credits {credits[name]}")
        if kind != default_kind or _chance(c, 30):
            lines.append(f"  kind {kind}")
        n_outcomes = c.integer(1, 3)
        for i in range(n_outcomes):
            lines.append(f'  outcome {i + 1} "Leeruitkomst {i + 1} van {name}"')
        accepted = c.subset(types, 1, 4)
        lines.append(f"  accepts {', '.join(accepted)}")
        unit_min = programme_min
        if _chance(c, 20):
            narrowed = c.subset(accepted, 1, len(accepted))
            lines.append(f"  outcome {c.integer(1, n_outcomes)} accepts {', '.join(narrowed)}"
                         f"{_basis(c, '3.1')}")
        if kind == EVL or _chance(c, 60):
            recommended = c.subset(_ACTIVITIES, 1, 2)
            activities += recommended
            lines.append(f"  recommended activity {', '.join(recommended)}")
        if _chance(c, 25):
            lines.append(f"  max age {_age(c)}{_basis(c, '3.2')}")
        if _chance(c, 25):
            unit_min = c.integer(1, 3)
            lines.append(f"  at least {unit_min} items per outcome{_basis(c, '3.3')}")
        if _chance(c, 15):
            lines.append(f"  outcome {c.integer(1, n_outcomes)} needs at least "
                         f"{c.integer(unit_min, unit_min + 2)} items{_basis(c, '3.4')}")
        lines.append("")

    assessed: list[list[str]] = [c.subset(units, 1, 3) for _ in range(c.integer(1, 3))]
    for name in units:  # every unit is assessed by some assessment
        if not any(name in a for a in assessed):
            _pick(c, assessed).append(name)
    assessments = [f"{code}-T{i + 1}" for i in range(len(assessed))]
    for name, covers in zip(assessments, assessed, strict=True):
        has_evl = any(kinds[units.index(u)] == EVL for u in covers)
        independent = has_evl or _chance(c, 50)
        lines.append(f'assessment {name} "Toets {name}"')
        lines.append(f"  {_pick(c, ('portfolio', 'exam'))}")
        lines.append(f"  {'path-independent' if independent else 'path-dependent'}")
        lines.append(f"  assesses {', '.join(covers)}")
        if _chance(c, 30):
            lines.append(f"  at most {c.integer(1, len(covers))} units at once")
        lines.append("")

    decls = _Decls(
        tuple(units),
        tuple(assessments),
        tuple(types),
        tuple(sorted(set(activities))) or _ACTIVITIES[:1],
    )
    for i in range(c.integer(0, 3)):
        severity = _pick(c, ("deny", "warn"))
        lines.append(f'rule regel-{i + 1} "Regel {i + 1} van de instelling"')
        lines.append(f"  {severity} when {condition_text(c, decls)}")
        lines.append(f'  basis "OER art. {i + 1}"')
        lines.append("")
    for i in range(c.integer(0, 3)):
        lines += scoped_rule_text(c, decls, i + 1, fields, aggregates)
    if _chance(c, 75):
        lines.extend(exam_programme_lines(c, credits))
    return "\n".join(lines)


GROUNDS = ("eerdere-opleiding", "ervaringscertificaat", "elders-behaald")
_OTHER_GROUNDS = ("anders", "mondelinge-toezegging")


def exam_programme_lines(c: Choices, credits: dict[str, int]) -> list[str]:
    """An examination programme for units with these credits that passes LUK036-LUK039:
    required units, elective groups of units or credits, diploma credits, entry
    requirements in one order (no cycles), often a short validity, allowed grounds."""
    codes = list(credits)
    lines, required, _ = exam_head(c, codes, credits, 60)
    diploma = None
    if _chance(c, 65):
        low = max(1, sum(credits[r] for r in required))
        diploma = c.integer(low, sum(credits.values()))
        lines.append(f"  diploma {diploma} credits")
    order = c.subset(codes, len(codes), len(codes))  # entry requirements follow this order
    if len(order) >= 2 and _chance(c, 50):
        for _ in range(c.integer(1, 2)):
            i = c.integer(1, len(order) - 1)
            lines.append(f"  {order[i]} only after {', '.join(c.subset(order[:i], 1, 3))}")
    if _chance(c, 65):
        n = c.integer(1, 6)
        lines.append(f"  results valid for {n} year{'s' if n != 1 else ''}" if _chance(c, 60)
                     else f"  results valid for {n * 5} months")
    if _chance(c, 75):
        lines.append(f"  exemptions on grounds {', '.join(c.subset(GROUNDS, 1, 2))}")
        if _chance(c, 30):
            lines.append('    basis "OER art. 3.3"')
    if _chance(c, 40):
        lines.append(f"  {exemption_limit(c, diploma)}")
    lines.append("")
    return lines


def exam_head(c: Choices, codes: Sequence[str], credits: dict[str, int], basis_chance: int
              ) -> tuple[list[str], list[str], int]:
    """The start of a generated examination programme: its title, often its basis, often
    required units, and up to two elective groups (of units or of credits). Returns the
    lines, the required units and the number of elective groups."""
    lines = ['examination programme "Examenprogramma gegenereerd"']
    if _chance(c, basis_chance):
        lines.append('  basis "OER art. 3.1"')
    required = c.subset(codes, 1, len(codes)) if _chance(c, 70) else []
    if required:
        lines.append(f"  required {', '.join(required)}")
    groups = c.integer(0, 2)
    for _ in range(groups):
        members = c.subset(codes, 1, 3)
        if _chance(c, 50):
            n = c.integer(1, len(members))
            lines.append(f"  choose at least {n} unit{'s' if n != 1 else ''} of "
                         f"{', '.join(members)}")
        else:
            n = c.integer(1, sum(credits[m] for m in members))
            lines.append(f"  choose at least {n} credits of {', '.join(members)}")
    return lines, required, groups


def exemption_limit(c: Choices, diploma: int | None) -> str:
    """``exemptions count for at most ...``: a share of the diploma (when it has credits) or
    fewer credits than it (LUK044)."""
    if diploma is not None and _chance(c, 50):
        return f"exemptions count for at most {c.integer(1, 99)}% of diploma credits"
    most = diploma - 1 if diploma is not None else 60
    return f"exemptions count for at most {c.integer(0, max(0, most))} credits"


def _result_date(c: Choices, on: dt.date, validity: ir.MaxAge | None) -> dt.date:
    """A result's date on or before ``on``: often recent, often expired, sometimes right at
    the expiry (the last day it counts, or the first it does not)."""
    earliest = dt.date(2005, 1, 1)
    if validity is not None and _chance(c, 50):
        cutoff = validity.cutoff(on)
        pick = c.integer(0, 2)
        if pick == 0:
            date = cutoff + dt.timedelta(days=c.integer(-1, 0))
        elif pick == 1:
            date = c.date(max(earliest, cutoff - dt.timedelta(days=2000)),
                          max(earliest, cutoff - dt.timedelta(days=1)))
        else:
            date = c.date(max(earliest, cutoff), on)
        return min(max(date, earliest), on)
    return c.date(max(earliest, on - dt.timedelta(days=3 * 366)), on)


def record_result(c: Choices, unit: str, on: dt.date, exam: ir.ExamProgramme | None
                  ) -> dict[str, Any]:
    """A valid result for ``unit``: passed, or exempted on an allowed ground, on another,
    on none, with or without a decision reference and ``by``; sometimes with its validity
    extended until the record's date, a later day or an earlier one (run out)."""
    validity = exam.validity if exam is not None else None
    date = _result_date(c, on, validity)
    result: dict[str, Any] = {"unit": unit, "date": date.isoformat()}
    if _chance(c, 15):
        until = _pick(c, (on, on + dt.timedelta(days=c.integer(1, 900)),
                          max(date, on - dt.timedelta(days=c.integer(1, 900)))))
        result["extended"] = {"until": until.isoformat(), "decision": "EC-2025-7"}
        if _chance(c, 50):
            result["extended"]["by"] = "examencommissie"
    if _chance(c, 55):
        if _chance(c, 50):
            result["how"] = "passed"
        return result
    result["how"] = "exempted"
    allowed = exam.grounds if exam is not None and exam.grounds else GROUNDS
    ground = c.integer(0, 5)
    if ground <= 3:
        result["grounds"] = _pick(c, allowed)
    elif ground == 4:
        result["grounds"] = _pick(c, _OTHER_GROUNDS)
    if _chance(c, 80):
        result["by"] = "examencommissie"
    if _chance(c, 80):
        result["decision"] = f"EC-{c.integer(2015, 2027)}-{c.integer(1, 999)}"
    return result


def record_from(c: Choices, ruleset: ir.Ruleset) -> dict[str, Any]:
    """A valid study record for ``ruleset`` (one without ``replaces``): results of its
    units, none after the record's date; often every unit, so that groups and credits
    are met as often as they fall short."""
    v = Vocabulary.of(ruleset)
    on = _submission_date(c, v)
    codes = [u.code for u in ruleset.units]
    units = codes if _chance(c, 35) else c.subset(codes, 0, len(codes))
    return {
        "id": _pick(c, ("R1", "ICT-2026-0042", "dossier_7")),
        "programme": v.programme,
        "form": _pick(c, v.forms),
        "date": on.isoformat(),
        "results": [record_result(c, u, on, ruleset.exam) for u in units],
    }


def records(ruleset: ir.Ruleset) -> st.SearchStrategy[dict[str, Any]]:
    """Valid study records for ``ruleset`` (the IR: ``luk_rules.load(path).ir``)."""

    @st.composite
    def draw(draw_: Any) -> dict[str, Any]:
        return record_from(_Drawn(draw_), ruleset)

    return draw()


def random_records(ruleset: ir.Ruleset, count: int, seed: int) -> list[dict[str, Any]]:
    """A fixed corpus of ``count`` valid records, the same for the same seed."""
    choices = _Seeded(random.Random(seed))
    return [record_from(choices, ruleset) for _ in range(count)]


_TMP = tempfile.TemporaryDirectory(prefix="luk-generated-")


def write_ruleset(text: str) -> Path:
    """Write a ruleset into its own folder of a temporary directory; return the file."""
    folder = Path(_TMP.name) / hashlib.sha256(text.encode()).hexdigest()[:16]
    folder.mkdir(exist_ok=True)
    path = folder / "gegenereerd.luk"
    if not path.exists():
        path.write_text(text, encoding="utf-8")
    return path


def ruleset_texts(aggregates: bool = True) -> st.SearchStrategy[str]:
    """The text of random valid rulesets (counts and sums only with ``aggregates``)."""

    @st.composite
    def draw(draw_: Any) -> str:
        return ruleset_text_from(_Drawn(draw_), aggregates)

    return draw()


def rulesets(aggregates: bool = True) -> st.SearchStrategy[Path]:
    """Random valid rulesets, written to a temporary folder (no includes: the law regimes
    come from the package's law folder)."""
    return ruleset_texts(aggregates).map(write_ruleset)


def random_ruleset_texts(count: int, seed: int, aggregates: bool = True) -> list[str]:
    """A fixed corpus of ``count`` ruleset texts, the same for the same seed."""
    choices = _Seeded(random.Random(seed))
    return [ruleset_text_from(choices, aggregates) for _ in range(count)]


def load_generated(path: Path, engine: str = "native") -> luk_rules.Ruleset:
    """Load a generated ruleset; a ruleset that fails the checks is a generator bug,
    reported with its text and every diagnostic."""
    try:
        return luk_rules.load(path, engine=engine)
    except luk_rules.RulesetError as exc:
        shown = "\n\n".join(render_text(d, exc.sources) for d in exc.diagnostics)
        text = path.read_text(encoding="utf-8")
        raise AssertionError(f"generated ruleset does not load:\n{shown}\n\n{text}") from None
