"""Work that grows with the input no faster than the input: rendering many diagnostics of one
file, and "did you mean" for many unknown names among many known ones. These took 55 s and
194 s when they were quadratic; the tests count the work done (never the time taken), or
run at full size where that is now quick."""

from __future__ import annotations

import difflib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import luk_rules
from luk_rules.checks import check
from luk_rules.diagnostics import Diagnostic, Suggester, render_text, suggest, warning
from luk_rules.sources import load_workspace
from luk_rules.span import Span

# ------------------------------------------------------------------ rendering


class CountingText(str):
    """A source text that counts how often it is split into lines."""

    splits = 0

    def split(self, *args: Any, **kwargs: Any) -> list[str]:  # type: ignore[override]
        CountingText.splits += 1
        return super().split(*args, **kwargs)

    def splitlines(self, *args: Any, **kwargs: Any) -> list[str]:  # type: ignore[override]
        CountingText.splits += 1
        return super().splitlines(*args, **kwargs)


def _warnings(count: int) -> tuple[str, list[Diagnostic]]:
    """A file declaring ``count`` evidence types, and a warning on each (as LUK050 gives)."""
    text = "".join(f'evidence e{i} "E"\n' for i in range(count))
    found = [warning("LUK050", f"no unit accepts evidence type `e{i}`",
                     Span("w.luk", i + 1, 10, i + 1, 11 + len(str(i))), hint="add it")
             for i in range(count)]
    return text, found


def test_forty_thousand_warnings_of_one_file_render_with_their_lines() -> None:
    """40,000 warnings of one 40,000-line file (55 s when each split the file again) render
    each with its own line and caret."""
    text, found = _warnings(40_000)
    rendered = [render_text(d, {"w.luk": text}) for d in found]
    assert rendered[0].splitlines()[2] == ' 1 | evidence e0 "E"'
    assert rendered[-1].splitlines() == [
        "w.luk:40000:10: warning[LUK050]: no unit accepts evidence type `e39999`",
        "       |",
        ' 40000 | evidence e39999 "E"',
        "       |          ^^^^^^",
        "  = hint: add it",
    ]


def test_a_file_is_split_into_lines_once_however_many_diagnostics_it_has() -> None:
    """Rendering 2,000 diagnostics of one text splits that text into lines once."""
    text, found = _warnings(2_000)
    counted = CountingText(text)
    CountingText.splits = 0
    for d in found:
        render_text(d, {"w.luk": counted})
    assert CountingText.splits == 1


# ------------------------------------------------------------------ did you mean


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the names difflib compares a misspelt name with (one ``set_seq1`` each)."""
    counter = [0]
    original = difflib.SequenceMatcher.set_seq1

    def counting(self: difflib.SequenceMatcher[str], a: str) -> None:
        counter[0] += 1
        original(self, a)

    monkeypatch.setattr(difflib.SequenceMatcher, "set_seq1", counting)
    yield counter


def test_four_thousand_misspelt_names_among_five_thousand_are_each_compared_a_few_times(
    comparisons: list[int]
) -> None:
    """Suggestions for 4,000 unknown outcomes among 5,000 known ones (194 s when each was
    compared with all) compare each with at most Suggester.LIMIT names, and find the one
    that differs in one character."""
    known = [f"GX-U{i}.1" for i in range(5_000)]
    suggester = Suggester(known)
    found = [suggester.closest(f"GX-U{i}.9") for i in range(4_000)]
    assert found == [f"GX-U{i}.1" for i in range(4_000)]
    assert comparisons[0] <= 4_000 * Suggester.LIMIT


@pytest.mark.parametrize("size", [1_250, 5_000])
def test_comparisons_per_unknown_name_do_not_grow_with_the_known_names(
    comparisons: list[int], size: int
) -> None:
    """With four times as many known names, a misspelt name is compared with no more of
    them: the same bound holds at 1,250 and 5,000."""
    suggester = Suggester(f"UNIT-{i:05d}" for i in range(size))
    for i in range(0, 1_000, 10):
        suggester.closest(f"UNIT-{i:05d}x")
    assert comparisons[0] <= 100 * Suggester.LIMIT


def test_asking_again_for_the_same_name_compares_nothing(comparisons: list[int]) -> None:
    """The same misspelt name asked again is answered from what was found the first time."""
    known = [f"unit-{i}" for i in range(50)]
    assert suggest("unit-7x", known) == suggest("unit-7x", known)
    first = comparisons[0]
    suggest("unit-7x", known)
    assert comparisons[0] == first


@settings(max_examples=200, deadline=None)
@given(
    known=st.lists(st.text("abcdeKL-.12", min_size=1, max_size=12), max_size=Suggester.EXACT),
    name=st.text("abcdeKL-.12", max_size=12),
)
def test_small_sets_get_exactly_difflibs_suggestion(known: list[str], name: str) -> None:
    """For up to Suggester.EXACT names the suggestion is the one difflib gives when every name
    is compared (n=1, cutoff 0.6), else the name that differs only in case: as before."""
    pool = sorted(set(known))
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    lowered = {c.lower(): c for c in pool}
    expected = close[0] if close else lowered.get(name.lower())
    assert suggest(name, known) == expected


def test_a_one_character_typo_in_a_large_set_finds_a_name_as_close_as_the_intended_one() -> None:
    """In a set larger than Suggester.EXACT, a name with one character left out, added or
    replaced gets a suggestion at least as close as the name it was made from."""
    rng = random.Random(7)
    words = ["ontwerpen", "installatie", "bouwrecht", "communicatie", "data", "software"]
    known = sorted({f"{rng.choice(words)}-{rng.randrange(1000)}" for _ in range(3_000)})
    suggester = Suggester(known)
    for intended in rng.sample(known, 200):
        at = rng.randrange(len(intended))
        typo = rng.choice([
            intended[:at] + intended[at + 1:],
            intended[:at] + rng.choice("xyz") + intended[at:],
            intended[:at] + rng.choice("xyz") + intended[at + 1:],
        ])
        if typo in known:
            continue
        got = suggester.closest(typo)
        assert got is not None, typo
        ratio = difflib.SequenceMatcher(None, got, typo).ratio()
        assert ratio >= difflib.SequenceMatcher(None, intended, typo).ratio(), (typo, got)


def test_past_the_budget_a_name_is_compared_only_with_names_one_edit_away(
    comparisons: list[int]
) -> None:
    """30,000 different unknown names among 100 known ones (as in a hostile ruleset) cost
    Suggester.BUDGET comparisons and then a few each; a one-character typo asked last still
    gets its suggestion."""
    suggester = Suggester(f"unit-{i}" for i in range(100))
    for i in range(30_000):
        suggester.closest(f"q{i}")
    assert comparisons[0] <= Suggester.BUDGET + 30_000 * 3
    assert suggester.closest("unit-4x2") == "unit-42"


def test_a_very_long_unknown_name_gets_no_suggestion_but_costs_nothing(
    comparisons: list[int]
) -> None:
    """A name longer than Suggester.LONGEST is not compared at all (only matched by case)."""
    known = ["a" * 5_000, "B" * 200]
    assert suggest("a" * 4_999 + "b", known) is None
    assert suggest("b" * 200, known) == "B" * 200
    assert comparisons[0] == 0


# ------------------------------------------------------------------ through the library


def _generated(folder: Path, units: int) -> Path:
    """A valid ruleset of ``units`` units with one outcome each, all assessed by GX-A."""
    head = (
        'programme GX "Generated"\n  level hbo-bachelor\n  form deeltijd\n'
        '  institution "Hogeschool"\n  under whw, wet-leeruitkomsten\n  opted in 2024-11-01\n'
        '  units are eenheid-van-leeruitkomsten\n\nevidence bp "Beroepsproduct"\n\n'
        'assessment GX-A "All"\n  portfolio\n  path-independent\n  assesses '
        + ", ".join(f"GX-U{i}" for i in range(units)) + "\n"
    )
    body = "".join(f'\nunit GX-U{i} "Unit {i}"\n  credits 5\n  outcome 1 "O"\n  accepts bp\n'
                   f"  recommended activity act\n" for i in range(units))
    path = folder / f"generated-{units}.luk"
    path.write_text(head + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(("units", "unknown"), [(300, 250), (1_200, 1_000)])
def test_a_submission_with_many_unknown_outcomes_gets_every_suggestion_cheaply(
    tmp_path: Path, comparisons: list[int], units: int, unknown: int
) -> None:
    """A submission naming 1,000 unknown outcomes in a 1,200-unit ruleset (and a quarter of
    both) gets each its own "did you mean", comparing each with a bounded number of names."""
    ruleset = luk_rules.load(_generated(tmp_path, units))
    submission = {
        "id": "S", "programme": "GX", "form": "deeltijd", "date": "2025-03-01",
        "units": ["GX-U0"], "assessment": "GX-A",
        "evidence": [{"id": "e1", "type": "bp", "date": "2024-09-01",
                      "outcomes": [f"GX-U{i}.9" for i in range(unknown)]}],
    }
    with pytest.raises(luk_rules.SubmissionError) as raised:
        ruleset.decide(json.loads(json.dumps(submission)))
    messages = {p.path: p.message for p in raised.value.problems}
    assert len(messages) == unknown
    assert messages["$.evidence[0].outcomes[123]"] == (
        "unknown outcome 'GX-U123.9'; did you mean 'GX-U123.1'?")
    assert comparisons[0] <= unknown * Suggester.LIMIT


@pytest.mark.parametrize("units", [250, 1_000])
def test_a_ruleset_with_many_undefined_names_gets_every_hint_cheaply(
    tmp_path: Path, comparisons: list[int], units: int
) -> None:
    """`luk check` on a ruleset that names 800 undefined units among 1,000 (and a quarter of
    both) gives each a "did you mean", comparing each with a bounded number of names."""
    path = _generated(tmp_path, units)
    undefined = units * 4 // 5
    text = path.read_text(encoding="utf-8").replace(
        "  assesses ", "  assesses " + ", ".join(f"GX-V{i}" for i in range(undefined)) + ", ")
    path.write_text(text, encoding="utf-8")
    workspace, _ = load_workspace(path)
    found = [d for d in check(workspace) if d.code == "LUK010"]
    assert len(found) == undefined
    hints = {d.message: d.hint for d in found}
    assert hints["undefined unit `GX-V42`"] == "did you mean `GX-U42`?"
    assert comparisons[0] <= undefined * Suggester.LIMIT
