"""The `luk` command run as a process: exit codes, compiler-like diagnostics, JSON that
matches the published schemas, and no traceback on bad input (docs/contracts.md)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "rulesets" / "examples"
BK_DEELTIJD = EXAMPLES / "bouwkunde-deeltijd.luk"
LUK = [sys.executable, "-m", "luk_rules.cli"]

S1: dict[str, Any] = {  # a submission (docs/contracts.md#submission)
    "id": "S1",
    "programme": "BK",
    "form": "deeltijd",
    "date": "2025-03-01",
    "units": ["BK-ONT", "BK-INS", "BK-COM"],
    "assessment": "BK-PORTFOLIO",
    "evidence": [
        {
            "id": "e1",
            "type": "beroepsproduct",
            "outcomes": ["BK-ONT.1", "BK-INS.2"],
            "activity": "selficient",
            "date": "2024-06-01",
            "verified": True,
        },
    ],
}
ADMISSIBLE: dict[str, Any] = {
    "id": "A1",
    "programme": "BK",
    "form": "deeltijd",
    "date": "2025-03-01",
    "units": ["BK-COM"],
    "assessment": "BK-COM-CGI",
    "evidence": [
        {
            "id": "e1",
            "type": "projectverslag",
            "outcomes": ["BK-COM.1"],
            "activity": "projectonderwijs",
            "date": "2024-09-01",
            "verified": True,
        }
    ],
}
V1: dict[str, Any] = {  # voltijd, own activity: route B under a path-dependent assessment
    "id": "V1",
    "programme": "BK",
    "form": "voltijd",
    "date": "2025-03-01",
    "units": ["BK-ONT"],
    "assessment": "BK-ONT-T",
    "evidence": [
        {
            "id": "e1",
            "type": "projectverslag",
            "activity": "stage",
            "outcomes": ["BK-ONT.1", "BK-ONT.2", "BK-ONT.3"],
            "date": "2024-09-01",
        }
    ],
}
BROKEN_RULESET = """\
programme X "X"
  level hbo-bachelor
  form deeltijd
  institution "Hogeschool"
  under whw

evidence bp "Beroepsproduct"

unit X-1 "Unit"
  credits 5
  kind onderwijseenheid
  outcome 1 "Outcome"
  accepts bp

assessment X-T "Test"
  exam
  path-independent
  assesses X-1, X-2
"""


def luk(
    *args: str | Path,
    cwd: Path | None = None,
    stdin: str | None = None,
    command: list[str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `luk` (as ``python -m luk_rules.cli`` unless ``command`` is given); never a
    traceback, whatever the exit code."""
    done = subprocess.run(
        [*(command or LUK), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        input=stdin,
        timeout=timeout,
    )
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def require_durable() -> None:
    """Skip (visibly) where durable_rules cannot be installed."""
    pytest.importorskip(
        "durable.engine",
        reason="durable-rules is not installed (it does not build on Python 3.13+)",
    )


# ------------------------------------------------------------------ check


def test_check_shipped_rulesets_is_clean() -> None:
    """`luk check rulesets` exits 0 and ends with the summary line."""
    done = luk("check", "rulesets")
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"checked \d+ files: 0 errors, \d+ warnings?", last), last


def test_check_reports_errors_like_a_compiler(tmp_path: Path) -> None:
    """A broken ruleset: exit 1, `path:line:col: error[LUK...]: message`, the source line
    with a caret under the spot, a did-you-mean hint and the summary."""
    (tmp_path / "broken.luk").write_text(BROKEN_RULESET, encoding="utf-8")
    done = luk("check", "broken.luk", cwd=tmp_path)
    assert done.returncode == 1
    out = done.stdout
    assert "broken.luk:18:17: error[LUK010]: undefined unit `X-2`" in out, out
    lines = out.splitlines()
    at = lines.index("broken.luk:18:17: error[LUK010]: undefined unit `X-2`")
    assert "assesses X-1, X-2" in lines[at + 2]
    caret = lines[at + 3]
    assert caret.endswith("^^^") and caret.index("^") == lines[at + 2].index("X-2")
    assert any("did you mean `X-1`?" in line for line in lines[at : at + 6])
    assert lines[-1] == "checked 1 file: 1 error, 0 warnings"


def test_check_reports_every_problem_of_a_file_in_one_run(tmp_path: Path) -> None:
    """Two unrelated errors in one file are both reported, each at its own line."""
    text = BROKEN_RULESET.replace("accepts bp", "accepts bq")
    (tmp_path / "broken.luk").write_text(text, encoding="utf-8")
    done = luk("check", "broken.luk", cwd=tmp_path)
    assert done.returncode == 1
    assert re.search(r"^broken\.luk:13:\d+: error\[LUK010\]", done.stdout, re.M), done.stdout
    assert re.search(r"^broken\.luk:18:\d+: error\[LUK010\]", done.stdout, re.M), done.stdout


def test_check_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    """`luk check` on a path that does not exist exits 2 and names the path."""
    done = luk("check", tmp_path / "nowhere.luk")
    assert done.returncode == 2
    assert "nowhere.luk" in done.stderr


def test_check_json_format(tmp_path: Path) -> None:
    """`luk check --format json` prints one JSON document with located diagnostics."""
    (tmp_path / "broken.luk").write_text(BROKEN_RULESET, encoding="utf-8")
    done = luk("check", "--format", "json", "broken.luk", cwd=tmp_path)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["errors"] == 1
    [diagnostic] = report["diagnostics"]
    assert diagnostic["code"] == "LUK010"
    assert (diagnostic["line"], diagnostic["column"]) == (18, 17)
    clean = luk("check", "--format", "json", "rulesets")
    assert clean.returncode == 0
    assert json.loads(clean.stdout)["errors"] == 0


# ------------------------------------------------------------------ decide


def test_decide_s1_is_incomplete_by_route_d(tmp_path: Path) -> None:
    """DESIGN's S1 on Bouwkunde deeltijd: exit 1, incomplete, combination D, under the Wet
    leeruitkomsten, with the four uncovered outcomes missing."""
    done = luk("decide", "--format", "json", BK_DEELTIJD, write_json(tmp_path / "s1.json", S1))
    assert done.returncode == 1, done.stderr
    decision = json.loads(done.stdout)
    assert (decision["status"], decision["combination"], decision["law"]) == (
        "incomplete",
        "D",
        "wet-leeruitkomsten",
    )
    assert decision["admissible"] is False
    assert [m["outcome"] for m in decision["missing"]] == [
        "BK-COM.1",
        "BK-INS.1",
        "BK-ONT.2",
        "BK-ONT.3",
    ]
    assert decision["units"]["BK-ONT"]["outcomes"]["BK-ONT.1"] == ["e1"]


def test_decide_admissible_exits_0(tmp_path: Path) -> None:
    """An admissible submission exits 0 with status admissible."""
    done = luk(
        "decide", "--format", "json", BK_DEELTIJD, write_json(tmp_path / "a1.json", ADMISSIBLE)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["status"] == "admissible"


def test_decide_reads_standard_input() -> None:
    """`-` as the submission reads it from standard input."""
    done = luk("decide", "--format", "json", BK_DEELTIJD, "-", stdin=json.dumps(ADMISSIBLE))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["case"] == "A1"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        pytest.param('{"id": "S1", "programme": ', "$", id="broken-json"),
        pytest.param("", "$", id="empty-file"),
        pytest.param(
            json.dumps({**S1, "units": ["BK-ONT", "BK-INX"]}), "$.units[1]", id="unknown-unit"
        ),
        pytest.param(
            json.dumps({**S1, "evidence": [{**S1["evidence"][0], "date": 20240601}]}),
            "$.evidence[0].date",
            id="wrong-type",
        ),
        pytest.param("[" * 50_000, "$", id="nested-too-deeply"),
    ],
)
def test_decide_invalid_submission_exits_2_naming_the_path(
    tmp_path: Path, text: str, where: str
) -> None:
    """An invalid submission: exit 2, nothing on stdout, the JSON path on stderr."""
    case = tmp_path / "case.json"
    case.write_text(text, encoding="utf-8")
    done = luk("decide", BK_DEELTIJD, case)
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{where}:" in done.stderr, done.stderr


def test_decide_unreadable_submission_is_a_usage_error(tmp_path: Path) -> None:
    """A submission file that does not exist: exit 2 and its name on stderr."""
    done = luk("decide", BK_DEELTIJD, tmp_path / "absent.json")
    assert done.returncode == 2
    assert "absent.json" in done.stderr


def test_decide_on_a_broken_ruleset_exits_2(tmp_path: Path) -> None:
    """Deciding with a ruleset that fails its checks exits 2 with its diagnostics."""
    ruleset = tmp_path / "broken.luk"
    ruleset.write_text(BROKEN_RULESET, encoding="utf-8")
    done = luk("decide", ruleset, write_json(tmp_path / "s1.json", S1))
    assert done.returncode == 2
    assert "error[LUK010]" in done.stderr


@pytest.mark.parametrize(
    ("ruleset", "case"),
    [(BK_DEELTIJD, S1), (EXAMPLES / "bouwkunde-voltijd.luk", V1)],
    ids=["S1", "V1"],
)
def test_durable_engine_prints_the_same_json(
    tmp_path: Path, ruleset: Path, case: dict[str, Any]
) -> None:
    """`--engine durable --explain` prints the same decision and explanation as native."""
    require_durable()
    path = write_json(tmp_path / "case.json", case)
    native = luk("decide", "--format", "json", "--explain", ruleset, path)
    durable = luk("decide", "--format", "json", "--explain", "--engine", "durable", ruleset, path)
    assert native.returncode == 1
    assert (durable.returncode, durable.stdout) == (native.returncode, native.stdout)


def _nodes(tree: Any) -> list[dict[str, Any]]:
    """Every proof node (a dict with a `fact`) in an explanation."""
    found: list[dict[str, Any]] = []
    if isinstance(tree, dict):
        if "fact" in tree:
            found.append(tree)
        for value in tree.values():
            found += _nodes(value)
    elif isinstance(tree, list):
        for value in tree:
            found += _nodes(value)
    return found


def test_decide_explain_gives_rules_lines_and_basis(tmp_path: Path) -> None:
    """`--explain` adds a proof tree whose derived nodes name their rule, source and basis;
    a finding of the law names the law file's line and its article."""
    done = luk(
        "decide",
        "--format",
        "json",
        "--explain",
        EXAMPLES / "bouwkunde-voltijd.luk",
        write_json(tmp_path / "v1.json", V1),
    )
    assert done.returncode == 1
    decision = json.loads(done.stdout)
    explanation = decision["explanation"]
    derived = [n for n in _nodes(explanation) if "rule" in n]
    assert len(derived) > 3
    assert all({"rule", "source", "basis"} <= set(n) for n in derived)
    assert explanation["law"]["fact"] == "law(wet-leeruitkomsten)"
    [finding] = decision["findings"]
    assert (finding["code"], finding["severity"]) == ("combination-not-allowed", "deny")
    assert finding["basis"] == "WHW art. 7.3 and 7.13 (the OER sets how tentamens are taken)"
    assert finding["status"] == "interpretation"
    assert re.fullmatch(r"law/whw\.luk:\d+:\d+", finding["source"]), finding["source"]
    [proof] = explanation["findings"]
    assert proof["code"] == finding["code"]
    assert proof["proof"]["fact"].startswith("finding(combination-not-allowed, deny")


def test_decide_text_format(tmp_path: Path) -> None:
    """The text report starts with the case line and gives the verdict."""
    done = luk("decide", BK_DEELTIJD, write_json(tmp_path / "s1.json", S1))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "Case S1: Bouwkunde (BK), deeltijd, 2025-03-01"
    assert any(line.startswith("Verdict: INCOMPLETE") for line in lines)


def test_installed_console_script_runs(tmp_path: Path) -> None:
    """The installed `luk` console script gives the same decision and exit code."""
    script = shutil.which("luk") or shutil.which("luk", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the luk console script is not installed")
    path = write_json(tmp_path / "s1.json", S1)
    via_script = luk("decide", "--format", "json", BK_DEELTIJD, path, command=[script])
    via_module = luk("decide", "--format", "json", BK_DEELTIJD, path)
    assert via_script.returncode == 1
    assert via_script.stdout == via_module.stdout
    assert luk("--version", command=[script]).stdout.startswith("luk ")


def test_decide_on_a_date_in_year_one_terminates(tmp_path: Path) -> None:
    """A submission dated 0001-03-01 (a valid ISO date) is decided or rejected, not hung."""
    case = write_json(tmp_path / "old.json", {**ADMISSIBLE, "date": "0001-03-01", "evidence": []})
    try:
        done = luk("decide", BK_DEELTIJD, case, timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("luk decide hung")
    assert done.returncode in (1, 2)


# ------------------------------------------------------------------ schema


def test_schemas_validate_the_example_submission_and_decision(tmp_path: Path) -> None:
    """`luk schema submission|decision` print Draft 2020-12 schemas that accept S1 and the
    decision (with explanation) `luk decide` prints for it."""
    submission_schema = json.loads(luk("schema", "submission").stdout)
    decision_schema = json.loads(luk("schema", "decision").stdout)
    for schema in (submission_schema, decision_schema):
        Draft202012Validator.check_schema(schema)
    checker = Draft202012Validator.FORMAT_CHECKER
    Draft202012Validator(submission_schema, format_checker=checker).validate(S1)
    path = write_json(tmp_path / "s1.json", S1)
    for extra in ([], ["--explain"]):
        decision = json.loads(luk("decide", "--format", "json", *extra, BK_DEELTIJD, path).stdout)
        Draft202012Validator(decision_schema, format_checker=checker).validate(decision)
    bad = {**S1, "units": []}
    assert not Draft202012Validator(submission_schema, format_checker=checker).is_valid(bad)


@pytest.mark.parametrize("which", ["record", "submission"])
def test_the_schemas_describe_an_extension_of_a_results_validity(which: str) -> None:
    """`luk schema record|submission`: a result may have `extended` with `until` (a date) and
    `decision` (a name) required, `by` optional, and no other key."""
    schema = json.loads(luk("schema", which).stdout)
    extended = schema["properties"]["results"]["items"]["properties"]["extended"]
    (extension,) = [s for s in extended["anyOf"] if s.get("type") == "object"]
    assert "WHW art. 7.13 lid 2 sub k" in extension["description"]
    validator = Draft202012Validator(extended, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert validator.is_valid({"until": "2026-12-31", "decision": "EC-2025-212"})
    assert validator.is_valid({"until": "2026-12-31", "decision": "EC-1", "by": "examencommissie"})
    assert validator.is_valid(None)
    for bad in ({"until": "2026-12-31"}, {"decision": "EC-1"}, "2026-12-31",
                {"until": "2026-12-31", "decision": ""}, {"until": "31-12-2026", "decision": "E"},
                {"until": "2026-12-31", "decision": "EC-1", "grounds": "x"}):
        assert not validator.is_valid(bad), bad


# ------------------------------------------------------------------ usage


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="no-command"),
        pytest.param(["--bogus"], id="unknown-option"),
        pytest.param(["decide"], id="missing-arguments"),
        pytest.param(
            ["decide", "--engine", "nope", str(BK_DEELTIJD), "s1.json"], id="unknown-engine"
        ),
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    """A wrong command line exits 2 with a usage message, without a traceback."""
    done = luk(*args)
    assert done.returncode == 2
    assert "usage:" in done.stderr


# ------------------------------------------------------------------ fmt


def test_shipped_rulesets_are_in_canonical_layout() -> None:
    """`luk fmt --check rulesets` exits 0: every shipped ruleset is laid out as fmt prints it."""
    done = luk("fmt", "--check", "rulesets")
    assert done.returncode == 0, done.stdout + done.stderr


def test_fmt_check_agrees_with_what_fmt_rewrites(tmp_path: Path) -> None:
    """On a copy of the shipped rulesets, `luk fmt --check` flags exactly the files `luk fmt`
    then rewrites; afterwards `--check` exits 0 and the rewritten rulesets still check."""
    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    checked = luk("fmt", "--check", "rulesets", cwd=tmp_path)
    flagged = {line.split(":")[0] for line in checked.stdout.splitlines()}
    assert checked.returncode == (1 if flagged else 0), checked.stdout + checked.stderr
    rewritten = luk("fmt", "rulesets", cwd=tmp_path)
    assert rewritten.returncode == 0
    assert {line.removeprefix("formatted ") for line in rewritten.stdout.splitlines()} == flagged
    assert luk("fmt", "--check", "rulesets", cwd=tmp_path).returncode == 0
    assert luk("check", "rulesets", cwd=tmp_path).returncode == 0


def test_fmt_rewrites_a_messy_ruleset_into_canonical_layout(tmp_path: Path) -> None:
    """A ruleset in odd layout: `--check` exits 1 and changes nothing, `--stdout` prints the
    same text as for the tidy original, and `luk fmt` rewrites it so that `--check` passes."""
    tidy = (EXAMPLES / "hbo-ict-deeltijd.luk").read_text(encoding="utf-8")
    messy = re.sub(r"\n  ", "\n      ", tidy).replace("\n\n", "\n\n\n")
    assert messy != tidy
    (tmp_path / "tidy.luk").write_text(tidy, encoding="utf-8")
    path = tmp_path / "messy.luk"
    path.write_text(messy, encoding="utf-8")
    assert luk("fmt", "--check", "messy.luk", cwd=tmp_path).returncode == 1
    assert path.read_text(encoding="utf-8") == messy
    printed = luk("fmt", "--stdout", "messy.luk", cwd=tmp_path)
    assert printed.returncode == 0
    assert printed.stdout == luk("fmt", "--stdout", "tidy.luk", cwd=tmp_path).stdout
    assert luk("fmt", "messy.luk", cwd=tmp_path).returncode == 0
    assert path.read_text(encoding="utf-8") == printed.stdout
    assert luk("fmt", "--check", "messy.luk", cwd=tmp_path).returncode == 0
