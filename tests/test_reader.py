"""The fast reader (luk_rules/compile/reader.py) reads the usual submission straight into
its facts, and gives up on anything else: what it accepts, the full path (structure,
validate, Compiled.facts) accepts too, with the same facts; what the full path rejects,
it never accepts (so every error still comes from the full path, with its JSON path)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import luk_rules
from luk_rules.compile import FactSet
from luk_rules.compile.reader import _quick_date, _quick_name
from luk_rules.compile.rules import cutoff
from luk_rules.ir import MaxAge
from luk_rules.submission import _date, _is_name, structure, validate

try:  # tests/ is a package when run with `python -m pytest`, a folder on sys.path otherwise
    from tests import submission_strategies as gen
except ImportError:  # pragma: no cover - depends on how pytest was started
    import submission_strategies as gen  # type: ignore[import-not-found, no-redef]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "rulesets" / "examples").glob("*.luk")
                  if "\nprogramme " in p.read_text(encoding="utf-8"))
_SLOW = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
HBO_ICT = ROOT / "rulesets" / "examples" / "hbo-ict-deeltijd.luk"


def as_sets(facts: FactSet) -> dict[str, set[tuple[Any, ...]]]:
    return {pred: set(rows) for pred, rows in facts.items() if rows}


def full_path(rs: luk_rules.Ruleset, data: Any) -> tuple[luk_rules.Ruleset, Any] | None:
    """The ruleset and facts of the full path, or None when it rejects ``data``."""
    try:
        parsed = structure(data, fields=rs.fields)
        chosen = rs.for_date(parsed.date)
        validate(parsed, chosen.ir)
    except luk_rules.SubmissionError:
        return None
    return chosen, (parsed, chosen._compiled.facts(parsed))


def assert_reads_as_the_full_path(rs: luk_rules.Ruleset, data: Any) -> bool:
    """Whether the fast path took ``data``; when it did, it agrees with the full path."""
    fast = rs._read(data)
    full = full_path(rs, data)
    if fast is None:
        return False
    assert full is not None, "the fast reader accepts what the full path rejects"
    (chosen, read), (full_chosen, (parsed, facts)) = fast, full
    assert chosen is full_chosen
    assert (read.case, read.date, read.units) == (parsed.id, parsed.date, parsed.units)
    assert as_sets(read.facts) == as_sets(facts)
    return True


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_fast_reader_gives_the_full_paths_facts(path: Path) -> None:
    """On every example, 80 generated submissions: the same facts, and most of them (those
    without results or further fields) read fast."""
    rs = luk_rules.load(path)
    subs = gen.random_submissions(rs.ir, 80, seed=3)
    taken = [assert_reads_as_the_full_path(rs, sub) for sub in subs]
    usual = [not sub.get("results") and all(set(item) <= {
        "id", "type", "outcomes", "date", "activity", "verified", "issuer", "organisation"}
        for item in sub["evidence"]) for sub in subs]
    assert any(usual)
    assert [t for t, u in zip(taken, usual, strict=True) if u] == [u for u in usual if u]


@settings(max_examples=30, deadline=None, suppress_health_check=_SLOW)
@given(path=gen.rulesets(), data=st.data())
def test_the_fast_reader_on_generated_rulesets(path: Path, data: st.DataObject) -> None:
    """Random rulesets (scoped rules reading organisations, issuers and age cutoffs)."""
    rs = gen.load_generated(path)
    for _ in range(3):
        assert_reads_as_the_full_path(rs, data.draw(gen.submissions(rs.ir), label="sub"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@settings(max_examples=40, deadline=None, suppress_health_check=_SLOW)
@given(data=st.data())
def test_the_fast_reader_never_takes_a_bad_submission(path: Path, data: st.DataObject) -> None:
    """A submission broken in one place is never read fast: the full path reports it."""
    rs = _loaded(path)
    broken = data.draw(gen.bad_submissions(rs.ir), label="broken")
    assert rs._read(broken.document) is None
    with pytest.raises(luk_rules.SubmissionError):
        rs.decide(broken.document)


_LOADED: dict[Path, luk_rules.Ruleset] = {}


def _loaded(path: Path) -> luk_rules.Ruleset:
    if path not in _LOADED:
        _LOADED[path] = luk_rules.load(path)
    return _LOADED[path]


# Values that are wrong (or only unusual) somewhere in a submission.
ODD_VALUES: list[Any] = [
    None, True, 0, 1.5, "", " x", "x ", "x\n", "x\u00a0y", "\u00a0x", "a\u2028b", "\ud800",
    [], {}, ["x"], "2025-02-30", "2025-1-01", "20250101", "2025-W01-1",
    "\uff12\uff10\uff12\uff15-01-01",  # full-width digits
    "2025-01-01T00:00", "ICT", "ICT-SE", "ICT-SE.1", "deeltijd", "voltijd", "ICT-INT",
    "beroepsproduct", "e1", "e2", "se-leerlijn", "2025-03-01", "2019-01-01",
]
CASE: dict[str, Any] = {
    "id": "c1", "programme": "ICT", "form": "deeltijd", "date": "2025-03-01",
    "units": ["ICT-SE", "ICT-ARCH"], "assessment": "ICT-INT", "activities": ["se-leerlijn"],
    "evidence": [
        {"id": "e1", "type": "beroepsproduct", "outcomes": ["ICT-SE.1", "ICT-ARCH.1"],
         "date": "2024-06-01", "activity": "se-leerlijn", "verified": True,
         "issuer": "Acme", "organisation": "Acme BV"},
        {"id": "e2", "type": "certificaat", "outcomes": ["ICT-SE.2"], "date": "2023-01-31"},
    ],
}


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (a key of an object, an index of a list)."""
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _places(inner, (*path, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += _places(inner, (*path, i))
    return found


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(document)
    if not path:
        return value
    inner = out
    for step in path[:-1]:
        inner = inner[step]
    inner[path[-1]] = value
    return out


def _removed(document: Any, path: tuple[Any, ...]) -> Any:
    out = copy.deepcopy(document)
    inner = out
    for step in path[:-1]:
        inner = inner[step]
    del inner[path[-1]]
    return out


def test_every_place_of_a_submission_with_every_odd_value() -> None:
    """Each place of a valid HBO-ICT submission replaced by each odd value, removed, or
    given an extra key: the fast reader takes only what the full path takes, with the
    same facts; and it does take the valid submission itself."""
    rs = _loaded(HBO_ICT)
    assert assert_reads_as_the_full_path(rs, CASE)
    variants: list[Any] = []
    for place in _places(CASE):
        variants += [_replaced(CASE, place, value) for value in ODD_VALUES]
        if place:
            variants.append(_removed(CASE, place))
        if place and isinstance(_at(CASE, place), dict):
            variants.append(_replaced(CASE, (*place, "extra"), 1))
            variants.append(_replaced(CASE, (*place, 7), 1))
    variants.append({**CASE, "results": []})
    variants.append({**CASE, "evidence": [*CASE["evidence"], CASE["evidence"][0]]})
    variants.append({**CASE, "units": ["ICT-SE", "ICT-SE"]})
    taken = [assert_reads_as_the_full_path(rs, v) for v in variants]
    assert any(taken) and not all(taken)


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def test_not_a_dict_is_left_to_the_full_path() -> None:
    """A mapping that is not a dict, and a Submission, are read by the full path."""
    rs = _loaded(HBO_ICT)

    class Frozen(dict[str, Any]):
        pass

    assert rs._read(Frozen(CASE)) is None
    assert rs.decide(Frozen(CASE)) == rs.decide(CASE)
    assert rs.decide(structure(CASE)) == rs.decide(CASE)


@given(st.text(max_size=12) | st.sampled_from(ODD_VALUES))
def test_the_quick_name_test_accepts_only_names(value: Any) -> None:
    """What the quick test takes, the schema's name pattern takes."""
    if _quick_name(value):
        assert _is_name(value)


DATE_TEXT = st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True)


@given(st.text(max_size=12) | DATE_TEXT | st.sampled_from(ODD_VALUES)
       | st.dates().map(dt.date.isoformat))
def test_the_quick_date_test_accepts_only_dates(value: Any) -> None:
    """What the quick date test takes, the full one takes, as the same date; a valid ISO
    date is always taken."""
    quick = _quick_date(value)
    try:
        full: dt.date | None = _date(value, None)
    except (ValueError, TypeError):
        full = None
    assert quick == full


@given(st.dates(), st.integers(min_value=0, max_value=30_000))
def test_the_quick_cutoff_is_the_maximum_ages(on: dt.date, months: int) -> None:
    """compile.rules.cutoff is MaxAge.cutoff, as an ordinal."""
    assert cutoff(on, months) == MaxAge(months=months).cutoff(on).toordinal()
