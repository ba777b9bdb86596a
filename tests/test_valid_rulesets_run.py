"""Every ruleset that checks clean runs: long conditions, deep nesting, huge numbers and
reserved names end in a result or a located diagnostic, never an internal error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import luk_rules
from luk_rules import ast
from luk_rules.engine import ENGINES

REPO = Path(__file__).resolve().parent.parent

HEAD = """\
programme VP "Voorbeeld"
  level hbo-bachelor
  form deeltijd
  institution "Hogeschool Voorbeeld"
  under whw, wet-leeruitkomsten
  opted in 2025-01-01
  units are eenheid-van-leeruitkomsten

evidence beroepsproduct "Beroepsproduct"
evidence certificaat "Certificaat"

unit VP-A "Eenheid A"
  credits 5
  outcome 1 "Doet iets"
  outcome 2 "Doet nog iets"
  accepts beroepsproduct, certificaat
  recommended activity a-lijn

assessment VP-A-CGI "Criteriumgericht interview"
  portfolio
  path-independent
  assesses VP-A
"""

CASE = {"id": "S1", "programme": "VP", "form": "deeltijd", "date": "2025-06-01",
        "units": ["VP-A"], "assessment": "VP-A-CGI", "activities": ["a-lijn"],
        "evidence": [{"id": "e1", "type": "beroepsproduct", "outcomes": ["VP-A.1", "VP-A.2"],
                      "date": "2025-01-01", "activity": "a-lijn"}]}

ATOMS = ["unit VP-A is claimed", "some evidence is beroepsproduct", "no evidence is certificaat",
         "number of evidence >= 1", "number of evidence of type beroepsproduct >= 1",
         "number of units = 1", "assessment is portfolio", "assessment is path-independent",
         "assessment is VP-A-CGI", "form is deeltijd", "level is hbo-bachelor",
         "activity a-lijn is followed", "submitted from 2025-01-01",
         "submitted before 2026-01-01", "opted in", "recommended route",
         "combination is A", "every evidence is one of beroepsproduct, certificaat",
         "not institution participates", "some evidence is one of beroepsproduct, certificaat"]


def write(tmp_path: Path, rules: str) -> Path:
    path = tmp_path / "vp.luk"
    path.write_text(HEAD + "\n" + rules, encoding="utf-8")
    return path


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("n", [16, 20])
def test_a_long_conjunction_runs(tmp_path: Path, engine: str, n: int) -> None:
    """A rule whose condition is an `and` of 16 or 20 atoms decides (it used to exceed the
    native engine's 15 joins); both engines give the same decision."""
    if engine == "durable":
        pytest.importorskip("durable")
    condition = " and ".join(ATOMS[:n])
    path = write(tmp_path, f'rule lang "Alles tegelijk"\n  warn when {condition}\n'
                           '  basis "OER art. 1"\n')
    native = luk_rules.load(path).decide(CASE, explain=True).to_dict()
    assert [f["code"] for f in native["findings"]] == ["lang"]
    try:
        other = luk_rules.load(path, engine=engine)
    except luk_rules.EngineUnavailable as exc:  # a clean refusal naming the rule is allowed
        assert "lang" in str(exc)
        return
    assert other.decide(CASE, explain=True).to_dict() == native


def test_a_flat_chain_of_thousands_of_conditions_runs(tmp_path: Path) -> None:
    """`a and b and ...` with 2,000 operands is flat, not deep: it checks and decides."""
    condition = " and ".join(ATOMS[i % 12] for i in range(2000))
    path = write(tmp_path, f'rule lang "Lang"\n  warn when {condition}\n  basis "OER"\n')
    decision = luk_rules.load(path).decide(CASE)
    assert [f.code for f in decision.findings] == ["lang"]


@pytest.mark.parametrize("condition", [
    "not " * 3000 + "opted in",
    "(" * 200 + "opted in and (opted in or (" * 100 + "opted in" + ")" * 400,
])
def test_deep_nesting_is_a_located_error(tmp_path: Path, condition: str) -> None:
    """A condition nested thousands of levels deep is a located LUK001, not RecursionError."""
    path = write(tmp_path, f'rule diep "Diep"\n  warn when {condition}\n  basis "OER"\n')
    with pytest.raises(luk_rules.RulesetError) as failed:
        luk_rules.load(path)
    [problem] = failed.value.diagnostics
    assert problem.code == "LUK001" and "nested more than" in problem.message
    assert problem.span.line == HEAD.count("\n") + 3


def test_a_number_of_5000_digits_is_a_located_error(tmp_path: Path) -> None:
    """An integer literal past Python's int-string limit is a located error."""
    path = write(tmp_path, f'rule groot "Groot"\n  warn when number of evidence >= {"9" * 5000}\n'
                           '  basis "OER"\n')
    with pytest.raises(luk_rules.RulesetError) as failed:
        luk_rules.load(path)
    [problem] = failed.value.diagnostics
    assert problem.code == "LUK001" and "too large" in problem.message
    assert "5,000 digits" in problem.message and len(problem.message) < 120


def test_reserved_finding_names_are_check_errors(tmp_path: Path) -> None:
    """A rule named like a built-in finding is LUK015, not a KeyError when deciding."""
    path = write(tmp_path, 'rule evidence-too-old "Te oud"\n  warn when opted in\n  basis "OER"\n'
                           'rule unit-not-assessed "Niet"\n  warn when opted in\n  basis "OER"\n')
    with pytest.raises(luk_rules.RulesetError) as failed:
        luk_rules.load(path)
    assert sorted(d.code for d in failed.value.diagnostics) == ["LUK015", "LUK015"]


def test_the_reserved_codes_are_the_codes_the_engine_and_audit_give() -> None:
    """BUILT_IN_FINDINGS holds every finding code the compiled program can derive, decisions'
    and audits' alike, and the audit documentation lists every audit code."""
    ruleset = luk_rules.load(REPO / "rulesets" / "examples" / "hbo-ict-deeltijd.luk")
    own = {r.name for r in ruleset.ir.rules}
    reports = ruleset._compiled.program.reports.values()
    built_in = {report.code for report in reports} - own
    assert built_in and built_in <= ast.BUILT_IN_FINDINGS
    audit_codes = {report.code for report in reports if report.verdict == "audit"}
    assert audit_codes == {"credits-short", "elective-group-short", "exemption",
                           "exemption-grounds-not-allowed", "exemption-without-decision",
                           "required-unit-missing", "result-expired", "validity-extended"}
    audit_doc = (REPO / "docs" / "audit.md").read_text(encoding="utf-8")
    for code in audit_codes:
        assert re.search(rf"`{re.escape(code)}`", audit_doc), code


def test_a_long_line_is_shown_cut_around_the_caret(tmp_path: Path) -> None:
    """The excerpt of a 5,000-character line shows a window around the caret, not it all."""
    from luk_rules.diagnostics import render_text

    path = write(tmp_path, f'rule groot "Groot"\n  warn when number of evidence >= {"9" * 5000}\n'
                           '  basis "OER"\n')
    with pytest.raises(luk_rules.RulesetError) as failed:
        luk_rules.load(path)
    diagnostics, texts = failed.value.for_person()
    shown = render_text(diagnostics[0], texts)
    assert max(len(line) for line in shown.splitlines()) < 200
    assert "…" in shown and "^" in shown


def test_luk_check_with_the_durable_engine_reports_its_limits(tmp_path: Path) -> None:
    """`luk check --engine durable` adds LUK080 where durable_rules cannot run a rule that
    checks clean (here: more patterns on one fact type than it handles); plain `luk check`
    and `--engine native` stay clean."""
    import subprocess
    import sys

    rules = "".join(f'rule r{i} "R{i}"\n  warn when number of evidence >= {i}\n'
                    '  basis "OER"\n' for i in range(80))
    path = write(tmp_path, rules)

    def check(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "luk_rules.cli", "check", *extra,
                               str(path)], capture_output=True, text=True, check=False)

    durable = check("--engine", "durable")
    assert durable.returncode == 1, durable.stdout + durable.stderr
    assert "error[LUK080]: the durable engine cannot run this" in durable.stdout
    assert re.search(r"vp\.luk:\d+:\d+: error\[LUK080\]", durable.stdout)
    assert check().returncode == 0 and check("--engine", "native").returncode == 0
