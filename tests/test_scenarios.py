"""Scenario tests: every ``rulesets/**/*.scenarios.json`` case, run as ``luk test`` runs it.

A scenario file names its ruleset (relative to the file) and lists scenarios. A scenario holds
either a ``submission`` (DESIGN.md §4), decided for admissibility, or a study ``record``
(DESIGN.md §9), audited for the diploma. In ``expect``, ``status`` is required. For a
submission, ``combination``, ``law``, ``missing`` (sorted outcome refs) and ``findings`` (sorted
finding codes, duplicates kept) are compared exactly when present; for a record, ``missing``
(sorted required units still missing), ``credits`` (credits short) and ``findings``.

Reading the files and comparing is :mod:`luk_rules.scenarios`'s work, so that pytest and
``luk test`` can never disagree; this module adds one pytest case per scenario and the checks
on the files' conventions (known values, sorted lists, an existing ruleset).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from luk_rules import scenarios as runner

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
SCENARIO_FILES, _PROBLEMS = runner.find_files([str(RULESETS)])

MIN_SCENARIOS = 30
STATUSES = {"admissible", "incomplete", "inadmissible"}
RECORD_STATUSES = {"complete", "incomplete"}
COMBINATIONS = {"A", "B", "C", "D"}


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _stem(path: Path) -> str:
    return path.name.removesuffix(runner.SUFFIX)


def _load(path: Path) -> tuple[Path, list[dict[str, Any]]] | None:
    """The file's ruleset and scenarios, or None when it is malformed (the shape test says why)."""
    try:
        return runner._load_file(path)
    except runner.ScenarioFileError:
        return None


def _expect_problems(where: str, expect: dict[str, Any], is_record: bool) -> list[str]:
    """Conventions beyond the format that ``luk test`` reads: known values, sorted lists."""
    problems = []
    statuses = RECORD_STATUSES if is_record else STATUSES
    if expect.get("status") not in statuses:
        problems.append(f"{where}: 'status' must be one of {sorted(statuses)}")
    if "combination" in expect and expect["combination"] not in COMBINATIONS:
        problems.append(f"{where}: 'combination' must be one of {sorted(COMBINATIONS)}")
    if "law" in expect and not (expect["law"] is None or isinstance(expect["law"], str)):
        problems.append(f"{where}: 'law' must be a regime id or null")
    if "credits" in expect and not (
        isinstance(expect["credits"], int) and not isinstance(expect["credits"], bool)
        and expect["credits"] >= 0
    ):
        problems.append(f"{where}: 'credits' must be a whole number of credits short (0 or more)")
    for key in ("missing", "findings"):
        if key not in expect:
            continue
        value = expect[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{where}: {key!r} must be a list of strings")
        elif value != sorted(value):
            problems.append(f"{where}: {key!r} must be sorted")
    return problems


def _shape_problems(path: Path) -> list[str]:
    """Every way in which one scenario file departs from the format, as messages."""
    try:
        ruleset, scenarios = runner._load_file(path)
    except runner.ScenarioFileError as error:
        return [str(error)]
    where = _shown(path)
    problems = []
    if not ruleset.is_file():
        problems.append(f"{where}: ruleset {_shown(ruleset)!r} does not exist")
    if not scenarios:
        problems.append(f"{where}: 'scenarios' must be a non-empty list")
    for index, scenario in enumerate(scenarios):
        problems.extend(_expect_problems(
            f"{where}: scenarios[{index}].expect", scenario["expect"], "record" in scenario))
    return problems


def _cases() -> list[Any]:
    cases = []
    for path in SCENARIO_FILES:
        loaded = _load(path)
        if loaded is None:
            continue  # reported by test_scenario_files_are_well_formed
        for scenario in loaded[1]:
            kind = "record" if "record" in scenario else "submission"
            cases.append(pytest.param(path, scenario["name"], kind,
                                      id=f"{_stem(path)}::{scenario['name']}"))
    return cases


CASES = _cases()


@functools.cache
def _run(path: Path) -> dict[str, runner.ScenarioResult]:
    """Run every scenario of one file once (as ``luk test`` does), by scenario name."""
    run = runner.run_files([path])
    return {result.name: result for result in run.results}


def test_scenario_folder_is_found() -> None:
    """The rulesets folder is searched without problems and holds scenario files."""
    assert not _PROBLEMS, "\n".join(_PROBLEMS)
    assert SCENARIO_FILES, f"no *{runner.SUFFIX} under {RULESETS}"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_stem)
def test_scenario_files_are_well_formed(path: Path) -> None:
    """A scenario file has exactly the documented shape and names an existing ruleset."""
    problems = _shape_problems(path)
    assert not problems, "\n".join(problems)


def test_enough_scenarios() -> None:
    """The scenario files hold at least the agreed minimum number of scenarios."""
    assert len(CASES) >= MIN_SCENARIOS, f"only {len(CASES)} scenarios, want {MIN_SCENARIOS}"


@pytest.mark.parametrize(("path", "name", "kind"), CASES)
def test_scenario(path: Path, name: str, kind: str) -> None:
    """The decision (or audit) for the scenario matches every key of its ``expect``."""
    results = _run(path)
    result = results.get(name) or results.get("*")
    assert result is not None, f"{_shown(path)}: scenario {name!r} was not run"
    assert result.outcome != "error", f"{_shown(path)}::{name}: {result.message}"
    what = "audit" if kind == "record" else "decision"
    differences = [f"  {line}" for line in runner.describe(result)]
    assert result.outcome == "passed", (
        f"scenario {name!r} ({what}) differs:\n" + "\n".join(differences))
