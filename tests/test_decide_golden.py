"""Golden files for the decide stage: tests/decide/good/*.json and tests/decide/bad/*.json.

Each case names a ruleset and holds a submission. A good case's full decision, with its
explanation, is kept beside it as ``<name>.decision.json``; a bad case's problems (JSON
path and message, one a line) as ``<name>.problems``. Set ``LUK_UPDATE_GOLDEN=1`` to rewrite
the expected files instead of comparing, then review the change in the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import luk_rules

try:  # tests/ is a package when run with `python -m pytest`, a folder on sys.path otherwise
    from tests.golden import REPO, at_repo, compare, compare_problems
except ImportError:  # pragma: no cover - depends on how pytest was started
    from golden import REPO, at_repo, compare, compare_problems  # type: ignore[import-not-found, no-redef]

HERE = Path(__file__).resolve().parent / "decide"
GOOD = sorted(p for p in (HERE / "good").glob("*.json") if not p.name.endswith(".decision.json"))
BAD = sorted((HERE / "bad").glob("*.json"))


def _case(path: Path) -> tuple[luk_rules.Ruleset, dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return luk_rules.load(REPO / data["ruleset"]), data["submission"]


pytestmark = pytest.mark.usefixtures(at_repo.__name__)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_case_gives_the_expected_decision(path: Path) -> None:
    """A valid submission gives exactly the decision and explanation kept beside it."""
    ruleset, submission = _case(path)
    decision = ruleset.decide(submission, explain=True).to_dict()
    text = json.dumps(decision, indent=2, ensure_ascii=False) + "\n"
    compare(path.with_name(path.stem + ".decision.json"), text)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_case_gives_the_expected_problems(path: Path) -> None:
    """An invalid submission raises SubmissionError with exactly the problems kept beside it."""
    ruleset, submission = _case(path)
    compare_problems(path, lambda: ruleset.decide(submission))


def test_every_stage_has_golden_cases() -> None:
    """There are good and bad golden cases for the decide stage."""
    assert len(GOOD) >= 3 and len(BAD) >= 3
