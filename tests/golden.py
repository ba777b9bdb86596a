"""Golden files: compare an output with the file kept beside its case, or rewrite the file
when ``LUK_UPDATE_GOLDEN=1`` (then review the change in the diff)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import luk_rules

REPO = Path(__file__).resolve().parent.parent
UPDATE = os.environ.get("LUK_UPDATE_GOLDEN") == "1"


def compare(expected: Path, actual: str) -> None:
    """``actual`` is the text of ``expected`` (or becomes it, when updating)."""
    if UPDATE:
        expected.write_text(actual, encoding="utf-8")
        return
    assert expected.exists(), f"no {expected.name}; run with LUK_UPDATE_GOLDEN=1"
    assert actual == expected.read_text(encoding="utf-8")


def compare_problems(case: Path, call: Callable[[], object]) -> None:
    """``call`` raises SubmissionError with exactly the problems kept in ``<case>.problems``
    (JSON path and message, one a line)."""
    with pytest.raises(luk_rules.SubmissionError) as raised:
        call()
    compare(case.with_name(case.stem + ".problems"),
            "".join(f"{p}\n" for p in raised.value.problems))


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in the repository root: sources in outputs are shown relative to it."""
    monkeypatch.chdir(REPO)
