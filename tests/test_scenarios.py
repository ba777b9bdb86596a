"""Scenario tests: every ``rulesets/**/*.scenarios.json`` case, run as ``luk test`` runs it.

A scenario file names its ruleset (relative to the file) and lists scenarios. A scenario holds
either a ``submission``, decided for admissibility, or a study ``record``, audited for the
diploma (docs/contracts.md#scenario-files). In ``expect``, ``status`` is required. For a
submission, ``combination``, ``law``, ``missing`` (sorted outcome refs), ``findings`` (sorted
finding codes, duplicates kept) and ``messages`` (sorted finding messages) are compared exactly
when present; for a record, ``missing``
(sorted required units still missing), ``credits`` (credits short) and ``findings``. Instead,
``input_error`` (alone) lists the JSON paths at which the input must be refused.

Reading the files and comparing is :mod:`luk_rules.scenarios`'s work, so that pytest and
``luk test`` can never disagree; this module adds one pytest case per scenario and the checks
on the files' conventions (known values, sorted lists, an existing ruleset).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from luk_rules import scenarios as runner
from luk_rules.sources import display_path

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
    if runner.INPUT_ERROR in expect:
        paths = expect[runner.INPUT_ERROR]
        return [] if paths == sorted(paths) else [f"{where}: 'input_error' must be sorted"]
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
    for key in ("missing", "findings", "messages"):
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


# ------------------------------------------------------------------ hostile scenario files

PILOT = RULESETS / "examples" / "experiment-pilot.luk"
PILOT_SCENARIOS = RULESETS / "examples" / "experiment-pilot.scenarios.json"
PILOT_RECORD = {"id": "R1", "programme": "VP", "form": "deeltijd", "date": "2025-01-01",
                "results": []}


def _pilot_file(folder: Path, name: str, **changes: Any) -> Path:
    """A copy of the pilot's scenario file (its ruleset by absolute path), changed."""
    data = json.loads(PILOT_SCENARIOS.read_text(encoding="utf-8"))
    data["ruleset"] = str(PILOT)
    data.update(changes)
    target = folder / f"{name}{runner.SUFFIX}"
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def _by_id(run: runner.TestRun) -> dict[str, runner.ScenarioResult]:
    return {f"{Path(r.file).name}::{r.name}": r for r in run.results}


def test_an_audit_on_a_ruleset_without_examination_programme_is_one_error(tmp_path: Path) -> None:
    """A record scenario on a ruleset that cannot audit (LUK062) is an error of that case;
    the other cases of the file and of other files still run and pass."""
    scenarios = json.loads(PILOT_SCENARIOS.read_text(encoding="utf-8"))["scenarios"]
    audit = {"name": "audit", "record": PILOT_RECORD, "expect": {"status": "complete"}}
    mixed = _pilot_file(tmp_path, "mixed", scenarios=[audit, *scenarios])
    run = runner.run_files([mixed, _pilot_file(tmp_path, "plain")])
    results = _by_id(run)
    assert results["mixed.scenarios.json::audit"].outcome == "error"
    assert "no examination programme" in results["mixed.scenarios.json::audit"].message
    assert run.count("passed") == 2 * len(scenarios)
    assert run.count("error") == 1


def _symlink_loop(folder: Path) -> Path:
    loop = folder / "loop.luk"
    loop.symlink_to(loop)
    return loop


HOSTILE_FILES: list[Any] = [
    pytest.param(lambda d: "{not json", "not valid JSON: Expecting property name", id="not-json"),
    pytest.param(lambda d: "", "the document is empty", id="empty"),
    pytest.param(lambda d: "[" * 100_000, "not valid JSON: nested too deeply", id="deep"),
    pytest.param(lambda d: '{"ruleset": "a.luk", "scenarios": ' + "9" * 5000 + "}",
                 "$.scenarios: expected a list", id="huge-number"),
    pytest.param(lambda d: '{"ruleset": 3, "scenarios": []}', 'expected an object with "ruleset"',
                 id="ruleset-not-a-string"),
    pytest.param(lambda d: json.dumps({"ruleset": str(PILOT), "scenarios": [
        {"name": "x", "submission": {}, "expect": {"status": "admissible", "missing": [1]}}]}),
        "$.scenarios[0].expect.missing: expected a list of strings", id="expect-wrong-type"),
    pytest.param(lambda d: json.dumps({"ruleset": str(PILOT), "scenarios": [
        {"name": "x", "submission": {}, "expect": {"status": "admissible", 7: 1}}]}),
        "unknown key(s) 7", id="expect-odd-key"),
    pytest.param(lambda d: json.dumps({"ruleset": str(d / "missing.luk"), "scenarios": [
        {"name": "x", "submission": {}, "expect": {"status": "admissible"}}]}),
        "missing.luk: cannot read: no such file", id="missing-ruleset"),
    pytest.param(lambda d: json.dumps({"ruleset": str(_symlink_loop(d)), "scenarios": [
        {"name": "x", "submission": {}, "expect": {"status": "admissible"}}]}),
        "loop.luk: cannot read: a symlink loop", id="ruleset-symlink-loop"),
    pytest.param(lambda d: json.dumps({"ruleset": "a\u0000.luk", "scenarios": []}),
                 "$.ruleset: expected the path of a ruleset", id="nul-in-ruleset"),
]


@pytest.mark.parametrize(("content", "message"), HOSTILE_FILES)
def test_a_broken_scenario_file_is_an_error_and_the_run_goes_on(
    tmp_path: Path, content: Any, message: str
) -> None:
    """A scenario file that cannot be used is reported as an error naming the file (or its
    cases), with why; the next file still runs and passes."""
    broken = tmp_path / f"broken{runner.SUFFIX}"
    broken.write_text(content(tmp_path), encoding="utf-8")
    good = _pilot_file(tmp_path, "good")
    run = runner.run_files([broken, good])
    errors = [r for r in run.results if r.outcome == "error"]
    assert errors and all(Path(r.file).name == broken.name for r in errors)
    assert all(message in r.message for r in errors), [r.message for r in errors]
    assert run.count("passed") == len(_run(PILOT_SCENARIOS))


def test_a_fifo_named_like_a_scenario_file_is_refused_unopened(tmp_path: Path) -> None:
    """A FIFO is an error ("not a regular file"), never opened: the run does not hang."""
    fifo = tmp_path / f"pipe{runner.SUFFIX}"
    os.mkfifo(fifo)
    files, problems = runner.find_files([str(tmp_path)])
    run = runner.run_files(files)
    [error] = [r for r in run.results if r.outcome == "error"]
    assert "not a regular file" in error.message
    assert not problems


def test_a_symlink_loop_named_like_a_scenario_file_is_an_error(tmp_path: Path) -> None:
    """A scenario file that is a symlink loop is found and reported, not a crash."""
    loop = tmp_path / f"loop{runner.SUFFIX}"
    loop.symlink_to(loop)
    files, _ = runner.find_files([str(tmp_path)])
    [result] = runner.run_files(files).results
    assert (result.outcome, Path(result.file).name) == ("error", loop.name)
    assert "a symlink loop" in result.message


def test_junit_xml_is_well_formed_whatever_the_names_and_messages(tmp_path: Path) -> None:
    """Control characters and lone surrogates in scenario names and messages are escaped:
    the JUnit report parses as XML and keeps them readable."""
    odd = "bad\x00\x01\x1b[31m\ud800\ufffe name"
    scenarios = [{"name": odd, "submission": {"id": "x\x02"}, "expect": {"status": "admissible"}},
                 {"name": "fails\x0b", "submission": json.loads(PILOT_SCENARIOS.read_text(
                     encoding="utf-8"))["scenarios"][0]["submission"],
                  "expect": {"status": "inadmissible\x0c"}}]
    path = _pilot_file(tmp_path, "odd\x1f", scenarios=scenarios)
    run = runner.run_files([path])
    root = ET.fromstring(runner.junit_xml(run).encode("utf-8"))
    names = [case.get("name") for case in root.iter("testcase")]
    assert names == ["bad\\u0000\\u0001\\u001b[31m\\ud800\\ufffe name", "fails\\u000b"]
    assert [s.get("name") for s in root.iter("testsuite")] == [
        display_path(path).replace("\x1f", "\\u001f")]
    assert root.get("errors") == "1" and root.get("failures") == "1"


def test_audit_scenarios_cover_the_exam_programme_clauses() -> None:
    """The audit scenarios alone make every clause of HBO-ICT's exam programme that an audit
    applies fire (required units, the elective group, diploma credits, result validity,
    exemption grounds), and the clauses count as rules of the ruleset in the coverage."""
    run = runner.run_files([RULESETS / "examples" / "hbo-ict-deeltijd.audit.scenarios.json"])
    assert run.count("passed") == len(run.results) > 0
    clauses = {"required units", "elective group", "diploma credits", "result validity",
               "exemption grounds"}
    [coverage] = run.coverage.rulesets
    sites = {rule for rule, _ in coverage.sites}
    fired = {rule for rule, _ in coverage.fired}
    assert clauses <= sites and clauses <= fired
    assert "entry ICT-AFS" in sites - fired  # only a decision applies an entry requirement


# ------------------------------------------------------------------ the schema

SCHEMA_VALIDATOR = Draft202012Validator(runner.SCENARIOS_SCHEMA)


def test_the_scenario_schema_is_valid_and_served_by_luk_schema() -> None:
    """SCENARIOS_SCHEMA is a Draft 2020-12 schema, and `luk schema scenarios` prints it."""
    Draft202012Validator.check_schema(runner.SCENARIOS_SCHEMA)
    result = subprocess.run([sys.executable, "-m", "luk_rules.cli", "schema", "scenarios"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == runner.SCENARIOS_SCHEMA


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_stem)
def test_every_shipped_scenario_file_fits_the_schema(path: Path) -> None:
    """The shipped scenario files validate against `luk schema scenarios`."""
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in SCHEMA_VALIDATOR.iter_errors(json.loads(path.read_text("utf-8")))]
    assert not errors, "\n".join(errors)


def test_a_shipped_scenario_expects_an_input_error() -> None:
    """At least one shipped scenario shows the input_error form (docs/contracts.md)."""
    assert any(runner.INPUT_ERROR in sc["expect"]
               for path in SCENARIO_FILES for sc in (_load(path) or (None, []))[1])


# ------------------------------------------------------------------ expected input errors

BAD_SUBMISSION: dict[str, Any] = {"id": "X", "programme": "VP", "form": "deeltijd",
                                  "date": "2019-06-01", "units": ["VP-ZORG"],
                                  "assessment": "VP-CGI",
                                  "evidence": [{"id": "e1", "type": "werkplekproduct",
                                                "outcomes": ["VP-ZORG.1"],
                                                "date": "2019-02-30", "verified": 1}]}
BAD_PATHS = ["$.evidence[0].date", "$.evidence[0].verified"]


def _one(tmp_path: Path, scenario: dict[str, Any]) -> runner.ScenarioResult:
    path = tmp_path / f"one{runner.SUFFIX}"
    path.write_text(json.dumps({"ruleset": str(PILOT), "scenarios": [scenario]}), "utf-8")
    [result] = runner.run_files([path]).results
    return result


def _good_submission() -> dict[str, Any]:
    first = json.loads(PILOT_SCENARIOS.read_text(encoding="utf-8"))["scenarios"][0]
    return dict(first["submission"])


def test_an_expected_input_error_at_exactly_those_paths_passes(tmp_path: Path) -> None:
    """A submission refused with problems at exactly the expected paths: passed."""
    result = _one(tmp_path, {"name": "bad", "submission": BAD_SUBMISSION,
                             "expect": {"input_error": BAD_PATHS}})
    assert (result.outcome, result.message) == ("passed", "")


def test_an_expected_input_error_of_a_record_passes(tmp_path: Path) -> None:
    """A record refused at the expected path passes too (its audit never runs)."""
    record = {**PILOT_RECORD, "date": "yesterday"}
    result = _one(tmp_path, {"name": "bad", "record": record,
                             "expect": {"input_error": ["$.date"]}})
    assert result.outcome == "passed", result.message


@pytest.mark.parametrize("paths", [BAD_PATHS[:1], [*BAD_PATHS, "$.id"], ["$.evidence[1].date"]],
                         ids=["fewer", "more", "other"])
def test_an_input_error_at_other_paths_fails(tmp_path: Path, paths: list[str]) -> None:
    """Refused, but not at exactly the expected paths: failed, showing both lists."""
    result = _one(tmp_path, {"name": "bad", "submission": BAD_SUBMISSION,
                             "expect": {"input_error": paths}})
    assert result.outcome == "failed"
    assert result.differences == (("input_error", paths, BAD_PATHS),)
    assert list(runner.describe(result)) == [
        f"input_error: expected {json.dumps(paths)}, got {json.dumps(BAD_PATHS)}"]


def test_an_expected_input_error_on_a_valid_submission_fails(tmp_path: Path) -> None:
    """A submission that is accepted when it should be refused: failed, got []."""
    result = _one(tmp_path, {"name": "ok", "submission": _good_submission(),
                             "expect": {"input_error": ["$.date"]}})
    assert result.outcome == "failed"
    assert result.differences == (("input_error", ["$.date"], []),)


def test_a_refused_input_without_input_error_is_still_an_error(tmp_path: Path) -> None:
    """A normal scenario whose submission is refused is an error result, as before."""
    result = _one(tmp_path, {"name": "bad", "submission": BAD_SUBMISSION,
                             "expect": {"status": "admissible"}})
    assert result.outcome == "error"
    assert result.message.startswith("invalid submission: $.evidence[0].date")


BAD_EXPECTS: list[Any] = [
    pytest.param({"input_error": ["$.date"], "status": "admissible"},
                 "input_error stands alone; unknown key(s) beside it: status", id="with-status"),
    pytest.param({"input_error": []}, "expected a non-empty list of JSON paths", id="empty"),
    pytest.param({"input_error": "$.date"}, "expected a non-empty list of JSON paths",
                 id="not-a-list"),
    pytest.param({"input_error": ["evidence[0].date"]}, "expected a non-empty list of JSON paths",
                 id="not-a-path"),
    pytest.param({"input_error": ["$.date", "$.date"]}, "'$.date' is listed twice",
                 id="twice"),
    pytest.param({"input_errors": ["$.date"]}, 'expected an object with "status" or "input_error"',
                 id="misspelt"),
]


@pytest.mark.parametrize(("expect", "message"), BAD_EXPECTS)
def test_a_malformed_input_error_expectation_is_refused(
    tmp_path: Path, expect: dict[str, Any], message: str
) -> None:
    """input_error is strict: alone, a non-empty list of distinct '$' paths; the scenario
    file is refused with where and why, and the schema refuses it too."""
    scenario = {"name": "x", "submission": BAD_SUBMISSION, "expect": expect}
    result = _one(tmp_path, scenario)
    assert result.outcome == "error"
    assert message in result.message, result.message
    assert not SCHEMA_VALIDATOR.is_valid({"ruleset": "a.luk", "scenarios": [scenario]})


DS = Path(__file__).resolve().parent.parent / "rulesets" / "examples" / "ds-master-deeltijd.luk"
DS_CERTIFICATE = {
    "name": "nl", "lang": "nl",
    "submission": {"id": "DS-2", "programme": "DS", "form": "deeltijd", "date": "2025-06-01",
                   "units": ["DS-ETH"], "assessment": "DS-CGI", "evidence": [
                       {"id": "c1", "type": "certificaat", "outcomes": ["DS-ETH.1"],
                        "date": "2024-01-01"}]},
    "expect": {"status": "inadmissible", "findings": ["certificaat-nooit-alleen"], "messages": [
        "c1 is het enige bewijs voor DS-ETH.1, en dat is een certificaat"]},
}


def _ds(tmp_path: Path, scenario: dict[str, Any]) -> runner.ScenarioResult:
    path = tmp_path / f"ds{runner.SUFFIX}"
    path.write_text(json.dumps({"ruleset": str(DS), "scenarios": [scenario]}), "utf-8")
    [result] = runner.run_files([path]).results
    return result


def test_a_scenario_expects_its_messages_in_its_language(tmp_path: Path) -> None:
    """`"lang": "nl"` compares the findings' messages in Dutch; without it, in English."""
    assert _ds(tmp_path, DS_CERTIFICATE).outcome == "passed"
    english = {k: v for k, v in DS_CERTIFICATE.items() if k != "lang"}
    result = _ds(tmp_path, english)
    assert result.outcome == "failed"
    assert result.differences == (("messages", DS_CERTIFICATE["expect"]["messages"], [
        "c1 is the only evidence for DS-ETH.1, and it is a certificate"]),)
    assert SCHEMA_VALIDATOR.is_valid({"ruleset": "a.luk", "scenarios": [DS_CERTIFICATE]})


def test_a_scenario_in_another_language_is_refused_with_its_path(tmp_path: Path) -> None:
    scenario = {**DS_CERTIFICATE, "lang": "fr"}
    result = _ds(tmp_path, scenario)
    assert result.outcome == "error"
    assert "$.scenarios[0].lang: expected one of en, nl" in result.message
    assert not SCHEMA_VALIDATOR.is_valid({"ruleset": "a.luk", "scenarios": [scenario]})
