"""Reading a submission straight into its input facts: the fast path of a decision.

:func:`luk_rules.submission.structure` reads a submission into attrs classes and
:func:`luk_rules.submission.validate` checks its names against the ruleset; then
:meth:`Compiled.facts` turns it into facts. A :class:`Reader` does all three at once for
the usual submission, on the decoded JSON itself, and gives up (returns None) at the
first thing it is not sure of: anything invalid, and anything unusual (an item with
further fields, results, a name of characters beyond the quick test, a mapping that is
not a ``dict``). The caller then takes the full path, which reads the submission again
and says precisely what is wrong (or decides it, when it was only unusual).

So a submission the reader accepts is one the full path accepts too, with the same
facts: it applies the same checks, only fewer of them succeed here. The tests hold it to
that (tests/test_reader.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar, NamedTuple

from luk_rules.compile.program import Args, FactSet
from luk_rules.compile.rules import NO_ACTIVITY, Compiled, ItemRow

_SUBMISSION_KEYS = frozenset({"id", "programme", "form", "date", "units", "assessment",
                              "evidence", "activities", "results"})
_ITEM_KEYS = frozenset({"id", "type", "outcomes", "date", "activity", "verified", "issuer",
                        "organisation"})
_FORMS = frozenset({"voltijd", "deeltijd", "duaal"})


class Read(NamedTuple):
    """A submission read by a :class:`Reader`: what a decision needs of it."""

    case: str
    date: dt.date
    units: tuple[str, ...]
    facts: FactSet


def _quick_name(value: Any) -> bool:
    """Whether ``value`` is a name by the schema's quick test: a ``str`` of printable
    characters, not empty, without a space at either end (the full test accepts more)."""
    return (type(value) is str and value != "" and value.isprintable()
            and value[0] != " " and value[-1] != " ")


def _quick_names(names: Iterable[str]) -> frozenset[str]:
    """The names that pass the quick test: only these are accepted here."""
    return frozenset(name for name in names if _quick_name(name))


def _quick_date(value: Any) -> dt.date | None:
    """``value`` as a date if it is ``YYYY-MM-DD`` (ASCII digits) and a real date, else
    None: what the full reader's pattern and ``date.fromisoformat`` accept.

    Ten ASCII characters with ``-`` at positions 4 and 7 leave ``fromisoformat`` only
    its calendar form, which takes ASCII digits only.
    """
    if (type(value) is not str or len(value) != 10 or value[4] != "-" or value[7] != "-"
            or not value.isascii()):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


class Reader:
    """Reads a usual, valid submission for one compiled ruleset into its facts.

    Thread-safe and immutable: it keeps only the names the ruleset knows.
    """

    #: The input predicates whose facts a read never holds: it gives up on a submission
    #: with results (so a run on its facts may leave out the rules that need them).
    ABSENT: ClassVar[frozenset[str]] = frozenset({"result", "extension"})

    def __init__(self, compiled: Compiled) -> None:
        self.compiled = compiled
        rs = compiled.ruleset
        programme = rs.programme
        self.programme = programme.code if _quick_name(programme.code) else None
        self.forms = frozenset(programme.forms) & _FORMS
        self.units = _quick_names(u.code for u in rs.units)
        # Each outcome with its unit as the claim fact names it (the text before the dot).
        self.outcomes = {ref: ref.rpartition(".")[0]
                         for ref in _quick_names(o.ref for u in rs.units for o in u.outcomes)}
        self.types = _quick_names(e.name for e in rs.evidence_types)
        self.assessments = _quick_names(a.name for a in rs.assessments)
        self.scoped = bool(compiled.reads)

    def __call__(self, data: Any) -> Read | None:
        """The submission ``data`` (decoded JSON) read into facts, or None when this
        reader is not sure of it: then read it with :func:`~luk_rules.submission.structure`
        and :func:`~luk_rules.submission.validate`.

        The checks of :func:`_quick_name` and :func:`_quick_date` are written out inline
        here: this runs for every decision.
        """
        if type(data) is not dict or not _SUBMISSION_KEYS.issuperset(data):
            return None
        try:
            case, programme, form = data["id"], data["programme"], data["form"]
            units, assessment, evidence = data["units"], data["assessment"], data["evidence"]
            date = _quick_date(data["date"])
        except KeyError:
            return None
        activities = data.get("activities", [])
        results = data.get("results", [])
        if (date is None or not _quick_name(case) or type(programme) is not str
                or programme != self.programme
                or type(form) is not str or form not in self.forms
                or type(assessment) is not str or assessment not in self.assessments
                or type(units) is not list or not units or type(evidence) is not list
                or type(activities) is not list or type(results) is not list or results):
            return None
        known = self.units
        for code in units:
            if type(code) is not str or code not in known:
                return None
        if len(units) > 1 and len(set(units)) != len(units):
            return None
        for activity in activities:
            if not _quick_name(activity):
                return None
        items: list[ItemRow] = []
        claims: list[Args] = []
        followed = dict.fromkeys(activities)
        ids: set[str] = set()
        outcomes, types, iso = self.outcomes, self.types, dt.date.fromisoformat
        for item in evidence:
            if type(item) is not dict or not _ITEM_KEYS.issuperset(item):
                return None
            try:
                item_id, kind, refs, on = item["id"], item["type"], item["outcomes"], item["date"]
            except KeyError:
                return None
            if (type(on) is not str or len(on) != 10 or on[4] != "-" or on[7] != "-"
                    or not on.isascii()
                    or type(item_id) is not str or not item_id or item_id in ids
                    or not item_id.isprintable() or item_id[0] == " " or item_id[-1] == " "
                    or type(kind) is not str or kind not in types
                    or type(refs) is not list or not refs):
                return None
            try:
                day = iso(on).toordinal()
            except ValueError:
                return None
            activity = NO_ACTIVITY
            verified = False
            if len(item) > 4:  # more than the four keys every item has
                verified = item.get("verified", False)
                named = item.get("activity")
                issuer = item.get("issuer")
                where = item.get("organisation")
                if (type(verified) is not bool
                        or (named is not None and not _quick_name(named))
                        or (issuer is not None and not _quick_name(issuer))
                        or (where is not None and not _quick_name(where))):
                    return None
                if named is not None:
                    followed[named] = None
                    activity = named
            for ref in refs:
                unit = outcomes.get(ref) if type(ref) is str else None
                if unit is None:
                    return None
                claims.append((item_id, unit, ref))
            if len(refs) > 1 and len(set(refs)) != len(refs):
                return None
            ids.add(item_id)
            items.append((item_id, kind, day, activity, verified))
        facts = self.compiled.input_facts(form, assessment, date, units, items, claims,
                                          followed, len(activities))
        if self.scoped:
            facts.update(self.compiled.scoped_facts(
                date, [(item["id"], item.get("organisation"), item.get("issuer"), ())
                       for item in evidence]))
        return Read(case, date, tuple(units), facts)
