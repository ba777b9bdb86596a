"""luk diff / luk_rules.compare, luk test and luk audit: the regulation-change tools."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import luk_rules
from luk_rules.audit import AUDIT_SCHEMA
from luk_rules.impact import compare
from luk_rules.submission import RECORD_SCHEMA

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "rulesets" / "examples"
VOLTIJD = EXAMPLES / "bouwkunde-voltijd.luk"
WHAT_IF = EXAMPLES / "bouwkunde-voltijd-evl.luk"
ICT = EXAMPLES / "hbo-ict-deeltijd.luk"
PAST = EXAMPLES / "past-cases" / "bouwkunde-voltijd.jsonl"


def luk(*args: str, cwd: Path = REPO, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line as a subprocess."""
    return subprocess.run([sys.executable, "-m", "luk_rules.cli", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=120)


def voltijd_case(case_id: str, date: str, activity: str) -> dict[str, Any]:
    """A full-time request for BK-ONT with complete evidence from ``activity``."""
    return {"id": case_id, "programme": "BK", "form": "voltijd", "date": date,
            "units": ["BK-ONT"], "assessment": "BK-ONT-T",
            "evidence": [{"id": "e1", "type": "beroepsproduct",
                          "outcomes": ["BK-ONT.1", "BK-ONT.2", "BK-ONT.3"],
                          "date": "2024-06-01", "activity": activity}]}


def test_what_if_changes_only_cases_after_the_proposal_date() -> None:
    """Own work (B) for a path-dependent course unit is refused; under the what-if it is
    admitted from 2025-09-01, and a case dated before that date does not change."""
    cases = [voltijd_case("before", "2025-08-31", "bijbaan"),
             voltijd_case("after", "2025-09-02", "bijbaan"),
             voltijd_case("route-a", "2025-10-01", "ontwerpstudio")]
    impact = compare(VOLTIJD, WHAT_IF, cases)
    assert [c.case for c in impact.changed] == ["after"]
    change = impact.changed[0]
    assert (change.before, change.after) == ("inadmissible", "admissible")
    assert "combination-not-allowed (deny) no longer applies" in change.reasons
    assert [c.case for c in impact.findings_changed] == ["route-a"]  # only the law differs
    assert impact.to_dict()["summary"]["transitions"] == {"inadmissible -> admissible": 1}


def test_a_ruleset_against_itself_changes_nothing() -> None:
    """Comparing a ruleset with itself over the past cases reports no change at all."""
    impact = compare(VOLTIJD, VOLTIJD, [PAST])
    assert impact.cases == 400
    assert not impact.changed and not impact.findings_changed and not impact.errors


def test_parallel_and_sequential_runs_agree() -> None:
    """Two worker processes give exactly the report one process gives."""
    one = compare(VOLTIJD, WHAT_IF, [PAST], jobs=1).to_dict()
    two = compare(VOLTIJD, WHAT_IF, [PAST], jobs=2).to_dict()
    assert one == two
    assert one["summary"]["changed"] > 0


def test_an_invalid_case_is_an_error_outcome_not_the_end(tmp_path: Path) -> None:
    """Broken JSON, an empty line and an unknown unit become errors; the run goes on."""
    good = json.dumps(voltijd_case("ok", "2025-10-01", "bijbaan"))
    bad_unit = json.dumps({**voltijd_case("bad", "2025-10-01", "x"), "units": ["BK-XXX"]})
    corpus = tmp_path / "cases.jsonl"
    corpus.write_text(f"{good}\n\n{{not json\n{bad_unit}\n", encoding="utf-8")
    impact = compare(VOLTIJD, WHAT_IF, [corpus])
    assert impact.cases == 3
    assert sorted(e["source"].rsplit(":", 1)[-1] for e in impact.errors) == ["3", "3", "4", "4"]
    assert any("$.units[0]" in e["message"] for e in impact.errors)
    assert [c.case for c in impact.changed] == ["ok"]
    # invalid on both sides: not compared, counted apart from the unchanged cases
    broken, bad = impact.invalid
    assert broken.source.endswith("cases.jsonl:3") and broken.case == broken.source  # no id
    assert (bad.case, bad.source.rsplit(":", 1)[-1]) == ("bad", "4")
    assert "$: not valid JSON" in broken.message and "$.units[0]" in bad.message
    assert impact.unchanged == 0 and impact.valid_cases == 1
    summary = impact.to_dict()["summary"]
    assert (summary["changed"], summary["unchanged"], summary["invalid"]) == (1, 0, 2)
    assert impact.gate_problem() == ("2 cases are invalid under both rulesets, more than the 0 "
                                     "allowed")
    assert impact.gate_problem(max_invalid=2) is None


def test_records_are_audited_in_a_diff(tmp_path: Path) -> None:
    """A study record in the corpus is audited on both sides, like a submission is decided."""
    record = {"id": "R1", "programme": "BK", "form": "voltijd", "date": "2026-06-30",
              "results": [{"unit": u, "date": "2025-06-01", "how": "passed"}
                          for u in ("BK-ONT", "BK-INS", "BK-REC", "BK-COM")]}
    impact = compare(VOLTIJD, VOLTIJD, [record])
    assert impact.cases == 1 and not impact.errors and not impact.changed


def test_records_in_a_diff_are_audited_by_the_chosen_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The audit runs the compiled program on the engine the diff was asked for: every record
    of the corpus is run, as `audit()` facts, by a runner made for that engine."""
    from luk_rules import pipeline

    made: list[str] = []
    audited: list[str] = []
    real = pipeline.make_runner

    class Spy:
        def __init__(self, runner: Any, engine: str) -> None:
            self.runner, self.engine = runner, engine

        def run(self, facts: Any, *, trace: bool = False) -> Any:
            if "audit" in facts:
                audited.append(self.engine)
            return self.runner.run(facts, trace=trace)

    def spy(program: Any, engine: str = "native") -> Spy:
        made.append(engine)
        return Spy(real(program, engine), engine)

    monkeypatch.setattr(pipeline, "make_runner", spy)
    record = {"id": "R1", "programme": "BK", "form": "voltijd", "date": "2026-06-30",
              "results": [{"unit": "BK-ONT", "date": "2025-06-01"}]}
    impact = compare(VOLTIJD, VOLTIJD, [record], engine="native")
    assert impact.cases == 1 and not impact.errors
    assert set(made) == {"native"} and audited == ["native", "native"]


def test_luk_diff_cli_exit_codes_and_formats(tmp_path: Path) -> None:
    """luk diff exits 1 with changes, 0 without, 2 on a missing path; json and markdown."""
    changed = luk("diff", str(VOLTIJD), str(WHAT_IF), str(PAST), "--format", "json",
                  "--jobs", "1")
    assert changed.returncode == 1, changed.stderr
    data = json.loads(changed.stdout)
    assert data["cases"] == 400 and data["summary"]["changed"] == len(data["changed"]) > 0
    assert all({"case", "before", "after", "reasons"} <= set(c) for c in data["changed"])
    same = luk("diff", str(VOLTIJD), str(VOLTIJD), str(PAST), "--jobs", "1")
    assert same.returncode == 0, same.stderr
    none_valid = luk("diff", str(ICT), str(ICT), str(PAST), "--jobs", "1")
    assert none_valid.returncode == 2  # every case is invalid for ICT on both sides
    assert "luk diff: none of the 400 cases is valid under either ruleset" in none_valid.stderr
    markdown = luk("diff", str(VOLTIJD), str(WHAT_IF), str(PAST), "--format", "markdown",
                   "--jobs", "1")
    assert markdown.stdout.startswith("## Impact of")
    missing = luk("diff", str(VOLTIJD), str(WHAT_IF), "nowhere.jsonl")
    assert missing.returncode == 2 and "nowhere.jsonl" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_luk_diff_refuses_a_broken_ruleset(tmp_path: Path) -> None:
    """A broken BEFORE ruleset ends the run with exit 2 and a located diagnostic."""
    broken = tmp_path / "broken.luk"
    broken.write_text('unit X "t"\n  credits nul\n', encoding="utf-8")
    result = luk("diff", str(broken), str(WHAT_IF), str(PAST))
    assert result.returncode == 2
    assert "broken.luk:2:11: error[LUK001]" in result.stderr


def test_luk_test_passes_on_the_shipped_rulesets(tmp_path: Path) -> None:
    """luk test rulesets: every scenario passes, the last line counts them, JUnit is valid."""
    junit = tmp_path / "junit.xml"
    result = luk("test", "rulesets", "--coverage", "--min-coverage", "100", "--junit",
                 str(junit))
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    passed = int(last.split()[0])
    assert last == f"{passed} passed, 0 failed" and passed >= 30
    per_ruleset = [line for line in result.stdout.splitlines()
                   if line.startswith("rule coverage of ")]
    shipped = {f"rulesets/examples/{p.stem}.luk"
               for p in EXAMPLES.glob("*.luk")
               if p.read_text(encoding="utf-8").count("\nprogramme ")}
    assert {line.split()[3].rstrip(":") for line in per_ruleset} == shipped
    assert all("(100.0%)" in line for line in per_ruleset), result.stdout
    suites = ET.parse(junit).getroot()
    assert int(suites.get("tests", "0")) == passed and suites.get("failures") == "0"


def test_luk_test_reports_a_failing_case(tmp_path: Path) -> None:
    """A wrong expectation gives a FAIL line with the difference and exit 1."""
    scenario = {"ruleset": str(VOLTIJD), "scenarios": [
        {"name": "wrong", "submission": voltijd_case("w", "2025-10-01", "ontwerpstudio"),
         "expect": {"status": "inadmissible", "combination": "A"}}]}
    path = tmp_path / "x.scenarios.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    result = luk("test", str(path))
    assert result.returncode == 1
    assert 'status: expected "inadmissible", got "admissible"' in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_luk_test_errors_on_a_malformed_scenario_file(tmp_path: Path) -> None:
    """An unknown expect key is an error (exit 2) naming the file and the JSON path."""
    path = tmp_path / "y.scenarios.json"
    path.write_text(json.dumps({"ruleset": str(VOLTIJD), "scenarios": [
        {"name": "n", "submission": {}, "expect": {"status": "admissible", "colour": 1}}]}),
        encoding="utf-8")
    result = luk("test", str(path))
    assert result.returncode == 2
    assert "$.scenarios[0].expect: unknown key(s) colour" in result.stdout


def test_luk_audit_complete_and_incomplete(tmp_path: Path) -> None:
    """luk audit exits 0 for a complete record, 1 for an incomplete one; JSON fits the schema."""
    results = [{"unit": u, "date": "2025-06-01", "how": "passed"}
               for u in ("ICT-SE", "ICT-ARCH", "ICT-ONZ", "ICT-AFS", "ICT-PM")]
    complete = {"id": "R1", "programme": "ICT", "form": "deeltijd", "date": "2026-06-30",
                "results": results}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(complete), encoding="utf-8")
    jsonschema.validate(complete, RECORD_SCHEMA)
    ok = luk("audit", str(ICT), str(path), "--format", "json")
    assert ok.returncode == 0, ok.stderr
    audit = json.loads(ok.stdout)
    jsonschema.validate(audit, AUDIT_SCHEMA)
    assert audit["status"] == "complete" and audit["credits"]["earned"] == 70
    path.write_text(json.dumps({**complete, "results": results[:3]}), encoding="utf-8")
    short = luk("audit", str(ICT), str(path), "--explain")
    assert short.returncode == 1
    assert short.stdout.splitlines()[1].startswith("Verdict: INCOMPLETE")
    assert "required-unit-missing" in short.stdout and "ICT-AFS" in short.stdout


def test_luk_audit_explains_every_finding_like_a_decision(tmp_path: Path) -> None:
    """`luk audit --explain proof` prints a proof tree for every finding (`--explain` says why
    in plain words, with what would resolve each finding); with `--format json` each
    finding has a proof of nodes shaped as a decision's (fact, rule, source, basis, because;
    fact and given at the leaves), and the JSON fits the audit schema."""
    record = {"id": "R2", "programme": "ICT", "form": "deeltijd", "date": "2026-06-30",
              "results": [{"unit": "ICT-ARCH", "date": "2019-11-15"},
                          {"unit": "ICT-PM", "date": "2025-02-01", "how": "exempted",
                           "grounds": "anders", "decision": "EC-1"}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    plain = luk("audit", str(ICT), str(path), "--explain")
    assert plain.returncode == 1, plain.stderr
    assert "\nWhy\n" in plain.stdout and "  ICT-ARCH does not count: " in plain.stdout
    assert "To resolve exemption-grounds-not-allowed (ICT-PM): ask the exam committee" in (
        plain.stdout)
    text = luk("audit", str(ICT), str(path), "--explain", "proof")
    assert text.returncode == 1, text.stderr
    audit = json.loads(luk("audit", str(ICT), str(path), "--format", "json",
                           "--explain").stdout)
    jsonschema.validate(audit, AUDIT_SCHEMA)
    explained = audit["explanation"]["findings"]
    assert [(f["code"], f["message"]) for f in explained] == [
        (f["code"], f["message"]) for f in audit["findings"]]
    for finding in explained:
        assert f"  Finding {finding['code']}:" in text.stdout
        assert f"- {finding['proof']['fact']}  by {finding['proof']['rule']}" in text.stdout

    def nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
        return [node, *(n for child in node.get("because", []) for n in nodes(child))]

    for node in (n for f in explained for n in nodes(f["proof"])):
        assert set(node) in ({"fact", "given"}, {"fact", "rule", "source", "basis", "because"})
    assert {n["given"] for f in explained for n in nodes(f["proof"]) if "given" in n} == {
        "record", "ruleset", "ruleset, on the record date"}


def test_luk_audit_invalid_record_names_the_json_path(tmp_path: Path) -> None:
    """A result dated after the record's date is an input error at its JSON path (exit 2)."""
    record = {"id": "R1", "programme": "ICT", "form": "deeltijd", "date": "2026-06-30",
              "results": [{"unit": "ICT-SE", "date": "2027-01-01", "how": "passed"}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    result = luk("audit", str(ICT), str(path))
    assert result.returncode == 2
    assert "$.results[0].date" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("which", ["record", "audit"])
def test_schema_command_prints_the_record_and_audit_schemas(which: str) -> None:
    """luk schema record|audit prints the schemas the audit reads and writes."""
    result = luk("schema", which)
    assert result.returncode == 0
    assert json.loads(result.stdout) == (RECORD_SCHEMA if which == "record" else AUDIT_SCHEMA)


def test_entry_requirement_gates_only_its_unit() -> None:
    """ICT-AFS needs ICT-SE, ICT-ARCH and ICT-ONZ completed; other units are unaffected."""
    rs = luk_rules.load(ICT)
    afs = {"id": "A1", "programme": "ICT", "form": "deeltijd", "date": "2026-03-01",
           "units": ["ICT-AFS"], "assessment": "ICT-AFS-CGI", "evidence": []}
    denied = rs.decide(afs)
    assert denied.status == "inadmissible"
    found = [f for f in denied.findings if f.code == "entry-requirement-not-met"]
    assert [f.facts for f in found] == [("ICT-ARCH",), ("ICT-ONZ",), ("ICT-SE",)]
    assert all(f.message.endswith(f"still to complete: {f.facts[0]} (no result)") for f in found)
    done = [{"unit": u, "date": "2025-06-01", "how": "passed"}
            for u in ("ICT-SE", "ICT-ARCH", "ICT-ONZ")]
    allowed = rs.decide({**afs, "results": done})
    assert "entry-requirement-not-met" not in {f.code for f in allowed.findings}
    other = {**afs, "units": ["ICT-ONZ"], "assessment": "ICT-ONZ-CGI"}
    assert rs.decide(other).to_dict() == rs.decide({**other, "results": done}).to_dict()


def test_verdict_agrees_with_the_decision() -> None:
    """The brief verdict used by luk diff says what the full decision says."""
    rs = luk_rules.load(VOLTIJD)
    for line in PAST.read_text(encoding="utf-8").splitlines()[:80]:
        case = json.loads(line)
        decision, verdict = rs.decide(case), rs.verdict(case)
        assert verdict.status == decision.status and verdict.law == decision.law
        assert verdict.combination == decision.combination
        assert verdict.missing == tuple(m.outcome for m in decision.missing)
        assert verdict.findings == tuple(sorted((f.code, f.severity)
                                                for f in decision.findings))
