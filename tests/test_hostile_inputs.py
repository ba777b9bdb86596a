"""Hostile input to the `luk` command, run as a process: every bad input ends in a clear
message with a location and exit 2 (never a traceback, an internal error or a hang), and
nothing raw reaches the terminal (the "safe to embed" issue)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "rulesets" / "examples"
BK_DEELTIJD = EXAMPLES / "bouwkunde-deeltijd.luk"
SELFICIENT = EXAMPLES / "cases" / "bouwkunde-selficient.json"
PILOT = EXAMPLES / "experiment-pilot.luk"
PILOT_SCENARIOS = EXAMPLES / "experiment-pilot.scenarios.json"
LUK = [sys.executable, "-m", "luk_rules.cli"]
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")

ADMISSIBLE: dict[str, Any] = {
    "id": "A1",
    "programme": "BK",
    "form": "deeltijd",
    "date": "2025-03-01",
    "units": ["BK-COM"],
    "assessment": "BK-COM-CGI",
    "evidence": [{"id": "e1", "type": "projectverslag", "outcomes": ["BK-COM.1"],
                  "activity": "projectonderwijs", "date": "2024-09-01", "verified": True}],
}


def luk(*args: str | Path, cwd: Path = ROOT, stdin: bytes | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `luk` as a process; never a traceback or an internal error, never a raw control
    character in what it prints."""
    done = subprocess.run([*LUK, *map(str, args)], cwd=cwd, input=stdin, capture_output=True,
                          timeout=120, env={**os.environ, **(env or {})})
    out = done.stdout.decode("utf-8")
    err = done.stderr.decode("utf-8")
    assert "Traceback" not in out + err, err
    assert "internal error" not in out + err, err
    assert not RAW_CONTROL.search(out + err), (out + err)[:2000]
    return subprocess.CompletedProcess(done.args, done.returncode, out, err)


def decide_text(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    """`luk decide` on the Bouwkunde deeltijd ruleset and a submission file with ``text``."""
    (tmp_path / "case.json").write_text(text, encoding="utf-8")
    return luk("decide", BK_DEELTIJD, "case.json", cwd=tmp_path)


# ------------------------------------------------------------------ submissions


@pytest.mark.parametrize(
    ("text", "where"),
    [
        pytest.param(json.dumps(ADMISSIBLE).replace("true", "1" * 5000),
                     "$.evidence[0].verified: expected true or false, got a number",
                     id="number-of-5000-digits"),
        pytest.param(json.dumps(ADMISSIBLE).replace('"e1"', '"\\ud800"'),
                     "$.evidence[0].id: '\\ud800' contains U+D800, a lone surrogate",
                     id="lone-surrogate-id"),
        pytest.param(json.dumps(ADMISSIBLE).replace('"A1"', '"A\\n1"'),
                     "$.id: 'A\\n1' contains a line break (U+000A)", id="newline-in-case-id"),
        pytest.param(json.dumps(ADMISSIBLE).replace('"projectonderwijs"', '"p\\u001b[2J"'),
                     "$.evidence[0].activity: 'p\\x1b[2J' contains a control character (U+001B)",
                     id="escape-in-activity"),
        pytest.param(json.dumps({**ADMISSIBLE, "a\u001bb": 1}),
                     '$["a\\u001bb"]: unknown field', id="escape-in-unknown-key"),
    ],
)
def test_decide_refuses_hostile_submissions_at_their_path(
    tmp_path: Path, text: str, where: str
) -> None:
    """A too-long number, a lone surrogate, a line break or escape sequence in a name: exit 2
    with the JSON path and the value escaped."""
    done = decide_text(tmp_path, text)
    assert done.returncode == 2, done.stdout
    assert f"case.json: {where}" in done.stderr, done.stderr


def test_invalid_utf8_on_standard_input_is_refused_as_from_a_file(tmp_path: Path) -> None:
    """The same bytes that are not UTF-8 are refused the same way from a file and from `-`."""
    data = json.dumps(ADMISSIBLE).replace("A1", "A\udcff1").encode("utf-8", "surrogateescape")
    (tmp_path / "case.json").write_bytes(data)
    by_path = luk("decide", BK_DEELTIJD, "case.json", cwd=tmp_path)
    by_stdin = luk("decide", BK_DEELTIJD, "-", stdin=data, cwd=tmp_path)
    assert (by_path.returncode, by_stdin.returncode) == (2, 2)
    assert by_path.stderr.strip() == "luk: case.json: cannot read: not UTF-8 text (byte 9)"
    assert by_stdin.stderr.strip() == "luk: <stdin>: cannot read: not UTF-8 text (byte 9)"


def test_audit_refuses_invalid_utf8_on_standard_input() -> None:
    """`luk audit RULESET -` reads standard input as bytes too."""
    done = luk("audit", EXAMPLES / "hbo-ict-deeltijd.luk", "-", stdin=b'{"id": "\xff"}')
    assert done.returncode == 2
    assert "<stdin>: cannot read: not UTF-8 text (byte 8)" in done.stderr


def test_standard_input_with_a_byte_order_mark_is_read() -> None:
    """A UTF-8 byte order mark on standard input is skipped, as in a file."""
    done = luk("decide", "--format", "json", BK_DEELTIJD, "-",
               stdin=b"\xef\xbb\xbf" + json.dumps(ADMISSIBLE).encode())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["case"] == "A1"


# ------------------------------------------------------------------ output


@pytest.fixture
def accented(tmp_path: Path) -> Path:
    """The Bouwkunde deeltijd ruleset with "é" in the programme's and a unit's title."""
    for name in ("bouwkunde-deeltijd.luk", "bouwkunde-units.luk"):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        text = text.replace('"Bouwkunde"', '"Bouwkunde é"').replace(
            '"Bouwkundig ontwerpen"', '"Bouwkundig ontwerpen é"')
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path / "bouwkunde-deeltijd.luk"


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "utf-8"])
def test_decide_text_survives_any_output_encoding(accented: Path, encoding: str) -> None:
    """With PYTHONIOENCODING=ascii (or latin-1) the decision is printed, exit 1 (incomplete);
    what the encoding cannot hold is written \\uXXXX."""
    done = subprocess.run([*LUK, "decide", str(accented), str(SELFICIENT)], capture_output=True,
                          timeout=120, env={**os.environ, "PYTHONIOENCODING": encoding})
    assert done.returncode == 1, done.stderr
    out = done.stdout.decode(encoding)
    assert out.startswith("Case S1: Bouwkunde ")
    assert ("Bouwkunde \\u00e9" if encoding == "ascii" else "Bouwkunde é") in out
    assert not done.stderr


def test_decide_json_in_ascii_is_still_the_same_json(accented: Path) -> None:
    """JSON written to an ASCII-only output escapes non-ASCII text as JSON escapes: it parses
    to the same document as in UTF-8."""
    args = [*LUK, "decide", "--format", "json", "--explain", str(accented), str(SELFICIENT)]
    ascii_out = subprocess.run(args, capture_output=True, timeout=120,
                               env={**os.environ, "PYTHONIOENCODING": "ascii"})
    utf8_out = subprocess.run(args, capture_output=True, timeout=120,
                              env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert ascii_out.returncode == utf8_out.returncode == 1, ascii_out.stderr
    assert b"\\u00e9" in ascii_out.stdout
    assert json.loads(ascii_out.stdout) == json.loads(utf8_out.stdout)


def test_control_characters_in_a_ruleset_are_never_printed_raw(tmp_path: Path) -> None:
    """A ruleset line with escape sequences and a carriage return is shown escaped in the
    excerpt of a diagnostic, in a file whose name has an escape character too."""
    name = "odd\x1bname.luk"
    (tmp_path / name).write_text('evidence bp "B\x1b[2J\rX\x85"\n', encoding="utf-8")
    done = luk("check", name, cwd=tmp_path)
    assert done.returncode == 0
    assert 'evidence bp "B\\u001b[2J\\u000dX\\u0085"' in done.stdout
    assert "odd\\u001bname.luk:1:10: warning[LUK050]" in done.stdout


def test_a_submission_file_name_with_control_characters_is_printed_escaped(
    tmp_path: Path
) -> None:
    """The name of a submission file is part of each problem's line; it is escaped too."""
    (tmp_path / "case\x07.json").write_text("{}", encoding="utf-8")
    done = luk("decide", BK_DEELTIJD, "case\x07.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "case\\u0007.json: $.id: required field missing" in done.stderr


# ------------------------------------------------------------------ luk test


def test_luk_test_reports_each_bad_file_and_runs_the_others(tmp_path: Path) -> None:
    """An audit on a ruleset without examination programme, a FIFO, invalid JSON and a ruleset
    that is a symlink loop are errors of their own; the good file passes; exit 2 and the
    final count; the JUnit report is well-formed XML."""
    shutil.copy(PILOT, tmp_path / PILOT.name)
    shutil.copy(PILOT_SCENARIOS, tmp_path / PILOT_SCENARIOS.name)
    record = {"id": "R1", "programme": "VP", "form": "deeltijd", "date": "2025-01-01",
              "results": []}
    (tmp_path / "audit.scenarios.json").write_text(json.dumps({
        "ruleset": PILOT.name,
        "scenarios": [{"name": "audit\x1b", "record": record, "expect": {"status": "complete"}}],
    }), encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.scenarios.json")
    (tmp_path / "broken.scenarios.json").write_text("{", encoding="utf-8")
    (tmp_path / "loop.luk").symlink_to(tmp_path / "loop.luk")
    (tmp_path / "loop.scenarios.json").write_text(json.dumps({
        "ruleset": "loop.luk",
        "scenarios": [{"name": "x", "submission": {}, "expect": {"status": "admissible"}}],
    }), encoding="utf-8")
    done = luk("test", ".", "--junit", "report.xml", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    passed = len(json.loads(PILOT_SCENARIOS.read_text(encoding="utf-8"))["scenarios"])
    assert lines[-1] == f"{passed} passed, 0 failed, 4 errors"
    out = done.stdout
    assert "audit.scenarios.json::audit\\u001b" in out and "no examination programme" in out
    assert "pipe.scenarios.json" in out and "not a regular file" in out
    assert "broken.scenarios.json" in out and "not valid JSON" in out
    assert "loop.luk: cannot read: a symlink loop" in out
    root = ET.parse(tmp_path / "report.xml").getroot()
    assert (root.get("tests"), root.get("errors")) == (str(passed + 4), "4")


# ------------------------------------------------------------------ luk check


def test_check_names_a_file_nested_too_deeply_and_checks_the_others(tmp_path: Path) -> None:
    """`luk check DIR` where one file is nested far too deeply (a condition of 20,000 `not`s)
    reports that file by name and still checks the rest."""
    deep = "rule r \"R\"\n  warn when " + "not " * 20_000 + "opted in\n  basis \"B\"\n"
    (tmp_path / "a-deep.luk").write_text(deep, encoding="utf-8")
    (tmp_path / "b-fine.luk").write_text('evidence bp "B"\n', encoding="utf-8")
    done = luk("check", ".", cwd=tmp_path)
    assert done.returncode in (1, 2), done.stdout + done.stderr
    assert "a-deep.luk" in done.stdout + done.stderr
    assert "b-fine.luk:1:10: warning[LUK050]" in done.stdout


_RECURSING_CHECK = """\
import sys
from luk_rules import cli, pipeline

real = pipeline.analyse


def analyse(path, **options):
    if path.name.startswith("a-"):
        raise RecursionError("maximum recursion depth exceeded")
    return real(path, **options)


pipeline.analyse = analyse
sys.exit(cli.main(sys.argv[1:]))
"""


def test_check_goes_on_after_a_file_that_exhausts_recursion(tmp_path: Path) -> None:
    """Should checking one file still hit Python's recursion limit (simulated here, as no
    known input does), `luk check DIR` names that file, checks the rest and exits 2."""
    (tmp_path / "a-first.luk").write_text('evidence bp "B"\n', encoding="utf-8")
    (tmp_path / "b-fine.luk").write_text('evidence bq "B"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", _RECURSING_CHECK, "check", "."], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == "luk check: a-first.luk: nested too deeply to check\n"
    assert "b-fine.luk:1:10: warning[LUK050]" in done.stdout
    assert done.stdout.splitlines()[-1] == ("checked 1 file: 0 errors, 1 warning; "
                                            "1 could not be read")


def test_problems_are_listed_in_reading_order_of_their_paths() -> None:
    """`outcomes[9]` comes before `outcomes[10]`: indexes sort as numbers, not as text."""
    from luk_rules.errors import Problem, SubmissionError

    error = SubmissionError([Problem("$.evidence[10].id", "a"), Problem("$.evidence[9].id", "b"),
                             Problem("$.date", "c"), Problem("$.evidence[9]", "d")])
    assert [p.path for p in error.problems] == [
        "$.date", "$.evidence[9]", "$.evidence[9].id", "$.evidence[10].id"]
