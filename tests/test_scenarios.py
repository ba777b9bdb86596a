"""Scenario tests: every ``rulesets/**/*.scenarios.json`` case, decided and compared.

A scenario file names its ruleset (relative to the file) and lists scenarios, each with a
submission (DESIGN.md §4) and the expected decision. In ``expect``, ``status`` is required;
``combination``, ``law``, ``missing`` (sorted outcome refs) and ``findings`` (sorted finding
codes, duplicates kept) are compared exactly when present.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

import luk_rules

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
SCENARIO_FILES = sorted(RULESETS.glob("**/*.scenarios.json"))

MIN_SCENARIOS = 30
FILE_KEYS = {"ruleset", "scenarios"}
SCENARIO_KEYS = {"name", "description", "submission", "expect"}
REQUIRED_SCENARIO_KEYS = {"name", "submission", "expect"}
EXPECT_KEYS = {"status", "combination", "law", "missing", "findings"}
STATUSES = {"admissible", "incomplete", "inadmissible"}
COMBINATIONS = {"A", "B", "C", "D"}


def _stem(path: Path) -> str:
    return path.name.removesuffix(".scenarios.json")


def _load_file(path: Path) -> Any:
    """The file's JSON, or None when it is not valid JSON (the shape test says why)."""
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except ValueError:
        return None


def _shape_problems(path: Path, data: Any) -> list[str]:
    """Every way in which one scenario file departs from the format, as messages."""
    where = path.relative_to(ROOT)
    if not isinstance(data, dict):
        return [f"{where}: the top level must be an object"]
    problems = [
        f"{where}: unknown key {key!r} at the top level" for key in sorted(data.keys() - FILE_KEYS)
    ]
    if not isinstance(data.get("ruleset"), str):
        problems.append(f"{where}: 'ruleset' must be a string (a path relative to the file)")
    elif not (path.parent / data["ruleset"]).is_file():
        problems.append(f"{where}: ruleset {data['ruleset']!r} does not exist")
    scenarios = data.get("scenarios")
    if not isinstance(scenarios, list) or not scenarios:
        return [*problems, f"{where}: 'scenarios' must be a non-empty list"]
    names: set[str] = set()
    for index, scenario in enumerate(scenarios):
        problems.extend(_scenario_problems(f"{where}: scenarios[{index}]", scenario, names))
    return problems


def _scenario_problems(where: str, scenario: Any, names: set[str]) -> list[str]:
    if not isinstance(scenario, dict):
        return [f"{where}: a scenario must be an object"]
    problems = [f"{where}: unknown key {key!r}" for key in sorted(scenario.keys() - SCENARIO_KEYS)]
    problems += [
        f"{where}: missing key {key!r}" for key in sorted(REQUIRED_SCENARIO_KEYS - scenario.keys())
    ]
    name = scenario.get("name")
    if not isinstance(name, str) or not name:
        problems.append(f"{where}: 'name' must be a non-empty string")
    elif name in names:
        problems.append(f"{where}: scenario name {name!r} is used twice")
    else:
        names.add(name)
    if "description" in scenario and not isinstance(scenario["description"], str):
        problems.append(f"{where}: 'description' must be a string")
    if "submission" in scenario and not isinstance(scenario["submission"], dict):
        problems.append(f"{where}: 'submission' must be an object")
    if "expect" in scenario:
        problems.extend(_expect_problems(f"{where}.expect", scenario["expect"]))
    return problems


def _expect_problems(where: str, expect: Any) -> list[str]:
    if not isinstance(expect, dict):
        return [f"{where}: must be an object"]
    problems = [
        f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(EXPECT_KEYS))})"
        for key in sorted(expect.keys() - EXPECT_KEYS)
    ]
    if expect.get("status") not in STATUSES:
        problems.append(f"{where}: 'status' is required, one of {sorted(STATUSES)}")
    if "combination" in expect and expect["combination"] not in COMBINATIONS:
        problems.append(f"{where}: 'combination' must be one of {sorted(COMBINATIONS)}")
    if "law" in expect and not (expect["law"] is None or isinstance(expect["law"], str)):
        problems.append(f"{where}: 'law' must be a regime id or null")
    for key in ("missing", "findings"):
        value = expect.get(key)
        if key not in expect:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{where}: {key!r} must be a list of strings")
        elif value != sorted(value):
            problems.append(f"{where}: {key!r} must be sorted")
    return problems


def _cases() -> list[Any]:
    cases = []
    for path in SCENARIO_FILES:
        data = _load_file(path)
        if _shape_problems(path, data):
            continue  # reported by test_scenario_files_are_well_formed
        for scenario in data["scenarios"]:
            ruleset = (path.parent / data["ruleset"]).resolve()
            cases.append(pytest.param(ruleset, scenario, id=f"{_stem(path)}::{scenario['name']}"))
    return cases


CASES = _cases()


@functools.cache
def _ruleset(path: Path) -> luk_rules.Ruleset:
    return luk_rules.load(path)


def _observed(decision: dict[str, Any]) -> dict[str, Any]:
    """The parts of a decision that a scenario's ``expect`` can speak about."""
    return {
        "status": decision["status"],
        "combination": decision.get("combination"),
        "law": decision.get("law"),
        "missing": sorted(entry["outcome"] for entry in decision.get("missing", [])),
        "findings": sorted(finding["code"] for finding in decision.get("findings", [])),
    }


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_stem)
def test_scenario_files_are_well_formed(path: Path) -> None:
    """A scenario file has exactly the documented shape and names an existing ruleset."""
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        pytest.fail(f"{path.relative_to(ROOT)}: not valid JSON: {error}")
    problems = _shape_problems(path, _load_file(path))
    assert not problems, "\n".join(problems)


def test_enough_scenarios() -> None:
    """The scenario files hold at least the agreed minimum number of scenarios."""
    assert len(CASES) >= MIN_SCENARIOS, f"only {len(CASES)} scenarios, want {MIN_SCENARIOS}"


@pytest.mark.parametrize(("ruleset", "scenario"), CASES)
def test_scenario(ruleset: Path, scenario: dict[str, Any]) -> None:
    """The decision for the scenario's submission matches every key of its ``expect``."""
    decision = _ruleset(ruleset).decide(scenario["submission"]).to_dict()
    got = _observed(decision)
    expect = scenario["expect"]
    differences = [
        f"  {key}: expected {expect[key]!r}, got {got[key]!r}"
        for key in ("status", "combination", "law", "missing", "findings")
        if key in expect and expect[key] != got[key]
    ]
    assert not differences, f"scenario {scenario['name']!r} differs:\n" + "\n".join(differences)
