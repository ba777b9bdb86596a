"""Golden files for the audit stage: tests/audit/good/*.json and tests/audit/bad/*.json.

Each case names a ruleset and holds a study record. A good case's full audit, with its
explanation, is kept beside it as ``<name>.audit.json``, and as ``luk audit --explain``
prints it as ``<name>.audit.txt``; a bad case's problems (JSON path and message, one a
line) as ``<name>.problems``. Set ``LUK_UPDATE_GOLDEN=1`` to rewrite the expected files
instead of comparing, then review the change in the diff.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import luk_rules
from luk_rules import report

try:  # tests/ is a package when run with `python -m pytest`, a folder on sys.path otherwise
    from tests.golden import REPO, at_repo, compare, compare_problems
except ImportError:  # pragma: no cover - depends on how pytest was started
    from golden import REPO, at_repo, compare, compare_problems  # type: ignore[import-not-found, no-redef]

HERE = Path(__file__).resolve().parent / "audit"
GOOD = sorted(p for p in (HERE / "good").glob("*.json") if not p.name.endswith(".audit.json"))
BAD = sorted((HERE / "bad").glob("*.json"))


def _case(path: Path) -> tuple[luk_rules.Ruleset, dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return luk_rules.load(REPO / data["ruleset"]), data["record"]


pytestmark = pytest.mark.usefixtures(at_repo.__name__)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_case_gives_the_expected_audit(path: Path) -> None:
    """A valid record gives exactly the audit and explanation kept beside it, as JSON and as
    the text of ``luk audit --explain``."""
    ruleset, record = _case(path)
    audit = ruleset.audit(record, explain=True)
    text = json.dumps(audit.to_dict(), indent=2, ensure_ascii=False) + "\n"
    compare(path.with_name(path.stem + ".audit.json"), text)
    date = dt.date.fromisoformat(record["date"])
    shown = report.audit_text(audit, ruleset.for_date(date).ir, record["date"]) + "\n"
    compare(path.with_name(path.stem + ".audit.txt"), shown)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_case_gives_the_expected_problems(path: Path) -> None:
    """An invalid record raises SubmissionError with exactly the problems kept beside it."""
    ruleset, record = _case(path)
    compare_problems(path, lambda: ruleset.audit(record))


def test_the_audit_stage_has_golden_cases() -> None:
    """There are good and bad golden cases for the audit stage."""
    assert len(GOOD) >= 3 and len(BAD) >= 1
