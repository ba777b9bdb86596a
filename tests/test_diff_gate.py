"""luk diff as a CI gate: empty and invalid corpora, unreadable case files, Ctrl-C, --jobs.

Each test is a regression test for one way `luk diff` used to pass a gate it should not
have passed (exit 0 on nothing), abort the run on one bad case, hang, or leave noise or
processes behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import luk_rules
from luk_rules import impact
from luk_rules.impact import compare

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "rulesets" / "examples"
VOLTIJD = EXAMPLES / "bouwkunde-voltijd.luk"
WHAT_IF = EXAMPLES / "bouwkunde-voltijd-evl.luk"
ICT = EXAMPLES / "hbo-ict-deeltijd.luk"
PAST = EXAMPLES / "past-cases" / "bouwkunde-voltijd.jsonl"
TOO_LONG = "9" * 5000  # more digits than Python converts to an int (4300)


def luk(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line as a subprocess (the timeout only guards against a hang)."""
    return subprocess.run([sys.executable, "-m", "luk_rules.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def case(case_id: str, **changes: Any) -> dict[str, Any]:
    """A valid full-time request (admissible under VOLTIJD and WHAT_IF alike)."""
    return {"id": case_id, "programme": "BK", "form": "voltijd", "date": "2025-10-01",
            "units": ["BK-ONT"], "assessment": "BK-ONT-T",
            "evidence": [{"id": "e1", "type": "beroepsproduct",
                          "outcomes": ["BK-ONT.1", "BK-ONT.2", "BK-ONT.3"],
                          "date": "2024-06-01", "activity": "ontwerpstudio"}], **changes}


def write(path: Path, content: str | bytes) -> Path:
    """Write text (UTF-8) or bytes to ``path``; return it."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def by_source(data: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    """The invalid cases of a JSON report: source (relative to tmp_path) -> message."""
    return {str(Path(i["source"]).relative_to(tmp_path)): i["message"] for i in data["invalid"]}


# ------------------------------------------------------------------ empty and invalid corpora


def test_an_empty_corpus_is_an_error(tmp_path: Path) -> None:
    """No case at all (an empty folder, a folder holding only `[]`) is exit 2, not "0 cases"
    and exit 0."""
    empty = tmp_path / "empty"
    empty.mkdir()
    result = luk("diff", str(VOLTIJD), str(WHAT_IF), str(empty))
    assert result.returncode == 2
    assert "luk diff: no cases found" in result.stderr and str(empty) in result.stderr
    assert "Traceback" not in result.stderr
    write(empty / "none.json", "[]")
    write(empty / "blank.jsonl", "\n\n")
    assert luk("diff", str(VOLTIJD), str(WHAT_IF), str(empty)).returncode == 2


def test_a_corpus_without_a_valid_case_is_an_error(tmp_path: Path) -> None:
    """When every case is invalid under both rulesets the run proves nothing: exit 2, even
    with --max-invalid above their number."""
    write(tmp_path / "a.json", "{not json")
    write(tmp_path / "b.json", json.dumps(case("b", units=["BK-XXX"])))
    for extra in ([], ["--max-invalid", "10"]):
        result = luk("diff", str(VOLTIJD), str(WHAT_IF), str(tmp_path), *extra)
        assert result.returncode == 2, result.stderr
        assert "luk diff: none of the 2 cases is valid under either ruleset" in result.stderr
        assert "a.json: $: not valid JSON" in result.stderr
        assert "b.json: $.units[0]" in result.stderr


def test_a_case_invalid_on_one_side_is_a_status_change(tmp_path: Path) -> None:
    """A Bouwkunde case is valid for the Bouwkunde ruleset and invalid for the ICT one: it
    changed (exit 1), `admissible -> error`, with the problem as its reason."""
    path = write(tmp_path / "c.json", json.dumps(case("C1")))
    result = luk("diff", str(VOLTIJD), str(ICT), str(path), "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    [change] = data["changed"]
    assert (change["case"], change["before"], change["after"]) == ("C1", "admissible", "error")
    with pytest.raises(luk_rules.SubmissionError) as refused:
        luk_rules.load(ICT).decide(case("C1"))
    assert change["reasons"] == [str(refused.value)]  # the submission's problems, as one
    assert "$.programme: unknown programme 'BK'" in change["reasons"][0]
    assert data["summary"]["transitions"] == {"admissible -> error": 1}
    assert data["summary"]["invalid"] == 0 and data["invalid"] == []
    back = luk("diff", str(ICT), str(VOLTIJD), str(path))
    assert back.returncode == 1
    assert "error -> admissible: $.assessment: unknown assessment 'BK-ONT-T'" in back.stdout


def test_cases_invalid_on_both_sides_are_counted_apart_and_limited(tmp_path: Path) -> None:
    """Invalid cases are not "unchanged": they are counted and listed apart in text, JSON and
    Markdown, and more of them than --max-invalid (default 0) is exit 2 naming the first."""
    lines = [json.dumps(case("ok"))] + [json.dumps(case(f"bad{i}", units=["BK-XXX"]))
                                        for i in range(7)]
    corpus = write(tmp_path / "cases.jsonl", "\n".join(lines) + "\n")
    text = luk("diff", str(VOLTIJD), str(VOLTIJD), str(corpus))
    assert text.returncode == 2
    assert "8 cases: 0 changed status, 0 changed findings only, 1 unchanged, 7 invalid under " \
        "both rulesets" in text.stdout
    assert "Invalid under both rulesets (not compared)" in text.stdout
    err = text.stderr.splitlines()
    assert err[0] == "luk diff: 7 cases are invalid under both rulesets, more than the 0 allowed"
    assert "cases.jsonl:2: $.units[0]: unknown unit 'BK-XXX'" in err[1]
    assert len([e for e in err if "cases.jsonl:" in e]) == 5  # the first few
    assert "... and 2 more" in text.stderr and "--max-invalid" in text.stderr
    data = json.loads(luk("diff", str(VOLTIJD), str(VOLTIJD), str(corpus),
                          "--format", "json").stdout)
    summary = data["summary"]
    assert (summary["cases"], summary["changed"], summary["findings_changed"],
            summary["unchanged"], summary["invalid"]) == (8, 0, 0, 1, 7)
    assert [i["case"] for i in data["invalid"]] == [f"bad{i}" for i in range(7)]
    assert all("$.units[0]" in i["message"] for i in data["invalid"])
    markdown = luk("diff", str(VOLTIJD), str(VOLTIJD), str(corpus), "--format", "markdown")
    assert "| 8 | 0 | 0 | 1 | 7 |" in markdown.stdout
    assert "### Invalid under both rulesets (not compared)" in markdown.stdout
    assert luk("diff", str(VOLTIJD), str(VOLTIJD), str(corpus),
               "--max-invalid", "7").returncode == 0
    assert luk("diff", str(VOLTIJD), str(VOLTIJD), str(corpus),
               "--max-invalid", "6").returncode == 2
    negative = luk("diff", str(VOLTIJD), str(VOLTIJD), str(corpus), "--max-invalid", "-1")
    assert negative.returncode == 2 and "is negative" in negative.stderr


def test_invalid_cases_do_not_hide_a_change(tmp_path: Path) -> None:
    """Accepted invalid cases leave the verdict to the valid ones: exit 1 on a change."""
    corpus = write(tmp_path / "cases.jsonl", "{broken\n" + PAST.read_text(encoding="utf-8"))
    result = luk("diff", str(VOLTIJD), str(WHAT_IF), str(corpus), "--max-invalid", "1")
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""


# ------------------------------------------------------------------ cases that cannot be read


def test_a_number_too_long_makes_only_its_case_invalid(tmp_path: Path) -> None:
    """A JSON integer of 5000 digits used to abort the whole run (Python refuses to convert
    it); now only its case is invalid, and the message names its JSON path."""
    long_line = json.dumps(case("long")).replace('"e1"', f'"e1", "weight": {TOO_LONG}')
    write(tmp_path / "cases.jsonl", json.dumps(case("ok")) + "\n" + long_line + "\n")
    array = f'[{json.dumps(case("first"))}, {{"id": "x", "n": [1, {TOO_LONG}]}}]'
    write(tmp_path / "list.json", array)
    result = luk("diff", str(VOLTIJD), str(VOLTIJD), str(tmp_path), "--format", "json",
                 "--max-invalid", "2")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cases"] == 4 and data["summary"]["unchanged"] == 2
    assert by_source(data, tmp_path) == {
        "cases.jsonl:2": "$.evidence[0].weight: a number of 5000 digits is too long to read "
                         "(at most 4300)",
        "list.json[1]": "$.n[1]: a number of 5000 digits is too long to read (at most 4300)",
    }
    in_python = compare(VOLTIJD, VOLTIJD, [case("ok"), {"id": "big", "n": int(TOO_LONG[:4000])
                                                        ** 2}])
    assert in_python.cases == 2 and len(in_python.invalid) == 1


def test_unreadable_case_files_are_invalid_cases_not_the_end(tmp_path: Path) -> None:
    """Not UTF-8, a broken or non-UTF-8 .jsonl line, a JSON array or string instead of an
    object, a named pipe and a link loop named *.json: each is an invalid case with a
    message; blank lines are no cases; the run neither aborts nor hangs."""
    write(tmp_path / "good.json", json.dumps(case("good")))
    write(tmp_path / "bom.json", b"\xef\xbb\xbf" + json.dumps(case("bom")).encode())
    write(tmp_path / "latin1.json", '{"id": "é"}'.encode("latin-1"))
    write(tmp_path / "lines.jsonl", b"\n" + json.dumps(case("line")).encode()
          + b"\n   \n{broken\n\"\xff\"\n[1, 2]\n\"a string\"\n")
    write(tmp_path / "string.json", '"a string"')
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "loop.json").symlink_to("loop.json")
    (tmp_path / "dangling.json").symlink_to("nowhere.json")
    (tmp_path / "folder.json").mkdir()
    result = luk("diff", str(VOLTIJD), str(VOLTIJD), str(tmp_path), "--format", "json",
                 "--max-invalid", "20")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["unchanged"] == 3  # good, bom (a byte-order mark is fine), line
    assert by_source(data, tmp_path) == {
        "latin1.json": "not UTF-8 text: byte 0xe9 at line 1, column 9",
        "lines.jsonl:4": "$: not valid JSON: Expecting property name enclosed in double quotes "
                         "(line 1, column 2)",
        "lines.jsonl:5": "not UTF-8 text: byte 0xff at line 5, column 2",
        "lines.jsonl:6": "$: expected an object, got a list",
        "lines.jsonl:7": "$: expected an object, got a string",
        "string.json": "$: expected an object, got a string",
        "pipe.json": "not read: a named pipe, not a regular file",
        "loop.json": "cannot read: Too many levels of symbolic links",
        "dangling.json": "cannot read: No such file or directory",
    }
    assert data["cases"] == 12
    named = luk("diff", str(VOLTIJD), str(VOLTIJD), str(tmp_path / "pipe.json"))
    assert named.returncode == 2 and "not a regular file or a folder" in named.stderr


def test_a_case_id_that_is_not_text_does_not_break_the_report(tmp_path: Path) -> None:
    """A lone surrogate in a case's id is escaped wherever the id is shown, so every format
    can be written as UTF-8 (the case may be refused for it: then it is an invalid case)."""
    odd = case("\udc80")
    odd["evidence"][0]["activity"] = "bijbaan"  # refused before, admissible after
    write(tmp_path / "c.jsonl", json.dumps(case("ok")) + "\n" + json.dumps(odd) + "\n")
    for fmt in ("text", "json", "markdown"):
        result = luk("diff", str(VOLTIJD), str(WHAT_IF), str(tmp_path), "--format", fmt,
                     "--max-invalid", "1")  # luk() decodes the output as UTF-8, strictly
        assert result.returncode in (0, 1), result.stderr
        assert "\\udc80" in result.stdout


# ------------------------------------------------------------------ Ctrl-C and --jobs


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _start_a_long_diff() -> subprocess.Popen[str]:
    """`luk diff --jobs 4` on 200,000 cases, in a process group of its own, once its four
    workers are running (far from done when the test signals it)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "luk_rules.cli", "diff", str(VOLTIJD), str(WHAT_IF),
         *[str(PAST)] * 500, "--jobs", "4"], cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(_children(process.pid)) < 4 and process.poll() is None:
        if time.monotonic() > deadline:
            _kill_group(process)
            pytest.fail("the workers never started")
        time.sleep(0.05)
    assert process.poll() is None
    return process


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Its output once it has exited, and a check that no process of its group is left."""
    try:
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            _kill_group(process)
    deadline = time.monotonic() + 10
    while True:  # its workers must be gone with it (a zombie would still count)
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return out, err
        if time.monotonic() > deadline:
            _kill_group(process)
            pytest.fail("a worker process outlived luk diff")
        time.sleep(0.05)


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@needs_proc
def test_ctrl_c_stops_every_worker_and_exits_130() -> None:
    """SIGINT to the process group of `luk diff --jobs 4` in full swing (Ctrl-C): exit 130
    with one line, no traceback from any worker, and no process of the group left."""
    process = _start_a_long_diff()
    os.killpg(process.pid, signal.SIGINT)
    out, err = _finish(process)
    assert process.returncode == 130, err
    assert err == "luk diff: interrupted\n" and out == ""


@needs_proc
def test_sigterm_to_luk_diff_alone_stops_its_workers() -> None:
    """SIGTERM to the parent only (a CI runner cancelling the job): its workers are stopped
    too, exit 143 with one line."""
    process = _start_a_long_diff()
    os.kill(process.pid, signal.SIGTERM)
    out, err = _finish(process)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert err == "luk diff: stopped by SIGTERM\n" and out == ""


@needs_proc
def test_a_killed_worker_ends_the_run_instead_of_hanging_it() -> None:
    """A worker killed mid-run (the kernel's out-of-memory killer) used to hang
    multiprocessing.Pool for ever; now the run ends, exit 2, saying what happened."""
    process = _start_a_long_diff()
    os.kill(_children(process.pid)[1], signal.SIGKILL)
    out, err = _finish(process)
    assert process.returncode == 2, err
    assert err.startswith("luk diff: a worker process ended (killed by SIGKILL) before "
                          "deciding its cases")
    assert "Traceback" not in err and out == ""


def test_too_many_jobs_are_lowered_with_a_note() -> None:
    """--jobs beyond 4 per CPU (at most 64) is lowered, with a note; the result is the same."""
    result = luk("diff", str(VOLTIJD), str(WHAT_IF), str(PAST), "--jobs", "1000000000000",
                 "--format", "json")
    assert result.returncode == 1, result.stderr
    note = (f"using at most {impact.max_jobs()} ({impact.JOBS_PER_CPU} per CPU, at most "
            f"{impact.MAX_JOBS})")
    assert "luk diff: --jobs 1000000000000 is more than this machine can use" in result.stderr
    assert note in result.stderr
    assert json.loads(result.stdout)["summary"]["changed"] == 16
    zero = luk("diff", str(VOLTIJD), str(WHAT_IF), str(PAST), "--jobs", "0")
    assert zero.returncode == 2 and "is not at least 1" in zero.stderr


def test_never_more_workers_than_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker per 50 cases at most, and at most max_jobs(); a small corpus, or one
    job, starts no worker process at all."""
    started: list[int] = []
    real_pool = impact._pool

    def spy(workers: int, *args: Any) -> Any:
        started.append(workers)
        return real_pool(workers, *args)

    monkeypatch.setattr(impact, "_pool", spy)
    monkeypatch.setattr(impact, "usable_cpus", lambda: 2)
    assert impact.max_jobs() == 8 and impact.PER_WORKER == 50
    compare(VOLTIJD, WHAT_IF, [case(f"c{i}") for i in range(3)], jobs=50)
    compare(VOLTIJD, WHAT_IF, [case(f"c{i}") for i in range(50)], jobs=50)
    many = compare(VOLTIJD, WHAT_IF, [case(f"c{i}") for i in range(120)], jobs=50)
    compare(VOLTIJD, WHAT_IF, [case(f"c{i}") for i in range(500)], jobs=10**12)
    compare(VOLTIJD, WHAT_IF, [case(f"c{i}") for i in range(500)], jobs=1)
    assert started == [3, 8]
    assert len(many.findings_changed) == 120  # decided under the proposal: its law differs


@pytest.mark.skipif(os.name != "posix", reason="the patch reaches forked workers only")
def test_a_bug_in_a_worker_is_raised_in_the_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception while a worker decides a case ends the run with that error
    (the command reports it as an internal error), and every worker is stopped."""
    real = impact.decide_case

    def broken(before: Any, after: Any, raw: impact.RawCase) -> impact.CaseResult:
        if raw.source.endswith(":300"):
            raise ZeroDivisionError("the bug")
        return real(before, after, raw)

    monkeypatch.setattr(impact, "decide_case", broken)  # the workers are forked after this
    with pytest.raises(RuntimeError, match="in a worker process: ZeroDivisionError: the bug"):
        compare(VOLTIJD, WHAT_IF, [PAST], jobs=2)


# ------------------------------------------------------------------ records


def test_a_gated_diff_of_study_records(tmp_path: Path) -> None:
    """Records are audited on both sides: extending the validity of results from 6 to 8
    years completes a record with a 7-year-old result; an invalid record is counted apart."""
    longer = write(tmp_path / "ict-8.luk", ICT.read_text(encoding="utf-8").replace(
        "results valid for 6 years", "results valid for 8 years"))
    units = ("ICT-SE", "ICT-ARCH", "ICT-ONZ", "ICT-AFS", "ICT-PM")
    record = {"id": "R-old", "programme": "ICT", "form": "deeltijd", "date": "2026-06-30",
              "results": [{"unit": u, "date": "2019-09-01" if u == "ICT-SE" else "2025-06-01",
                           "how": "passed"} for u in units]}
    records = tmp_path / "records"
    records.mkdir()
    write(records / "old.json", json.dumps(record))
    write(records / "new.json", json.dumps({**record, "id": "R-new", "results": [
        {**r, "date": "2025-06-01"} for r in record["results"]]}))
    write(records / "bad.json", json.dumps({**record, "id": "R-bad", "results": [
        {"unit": "ICT-SE", "date": "2027-01-01", "how": "passed"}]}))
    gated = luk("diff", str(ICT), str(longer), str(records))
    assert gated.returncode == 2
    assert "bad.json: $.results[0].date: 2027-01-01 is after the record date" in gated.stderr
    result = luk("diff", str(ICT), str(longer), str(records), "--max-invalid", "1",
                 "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    [change] = data["changed"]
    assert (change["case"], change["before"], change["after"]) == ("R-old", "incomplete",
                                                                   "complete")
    assert "result-expired (warning) no longer applies" in change["reasons"]
    assert (data["summary"]["unchanged"], data["summary"]["invalid"]) == (1, 1)
