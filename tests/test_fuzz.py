"""The standing fuzz suite (issue "safe to embed", item 7).

Generated valid rulesets run on both engines alike; hostile include/replaces paths are
refused where they are written and never read; mangled submissions and records are located
SubmissionErrors (exit 2 at the command line); and the generators are measured for what
they reach, so that a property that never meets a path is not mistaken for a test of it.

The default run is bounded and derandomized (``make test``). ``make fuzz`` runs the same
tests with ``LUK_FUZZ_EXAMPLES`` random examples each, the tests marked ``fuzz`` (nightly
only), and prints the reach figures and hypothesis' statistics. A failure found at night
prints a ``@reproduce_failure`` blob; ``--hypothesis-seed`` replays a run.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import luk_rules
from luk_rules import report
from luk_rules.diagnostics import render_text
from luk_rules.submission import RECORD_SCHEMA, SUBMISSION_SCHEMA, Record
from luk_rules.submission import loads as read_json

try:  # tests/ is a package when run with `python -m pytest`, a folder on sys.path otherwise
    from tests import fuzz_strategies as fs
    from tests import submission_strategies as gen
except ImportError:  # pragma: no cover - depends on how pytest was started
    import fuzz_strategies as fs  # type: ignore[import-not-found, no-redef]
    import submission_strategies as gen  # type: ignore[import-not-found, no-redef]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "rulesets" / "examples"
WITH_EXAM = ("hbo-ict-deeltijd", "bouwkunde-deeltijd")
LUK = [sys.executable, "-m", "luk_rules.cli"]
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
RULE_NAMED = re.compile(r"\brule \S+: ")
SUBMISSION_VALIDATOR = Draft202012Validator(
    SUBMISSION_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
RECORD_VALIDATOR = Draft202012Validator(
    RECORD_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def example(name: str) -> luk_rules.Ruleset:
    """An example ruleset (native), loaded once."""
    return luk_rules.load(EXAMPLES / f"{name}.luk")


def durable_available() -> bool:
    """Whether durable_rules can be imported here."""
    try:
        import durable.engine  # noqa: F401
    except ImportError:
        return False
    return True


def dumped(value: Any) -> str:
    """Diffable JSON of a decision or audit."""
    return json.dumps(value, indent=1, sort_keys=True)


def durable_or_none(project: fs.Project) -> luk_rules.Ruleset | None:
    """The project on durable, or None when durable refuses it by a rule it names."""
    try:
        return fs.load_project(project, "durable")
    except luk_rules.EngineUnavailable as exc:
        assert RULE_NAMED.search(str(exc)), f"durable refused without naming a rule: {exc}"
        event("durable: refused, naming the rule")
        return None


# ------------------------------------------------------------------ 1. valid rulesets


def _entry_units(ruleset: luk_rules.Ruleset, unit: str) -> set[str]:
    exam = ruleset.ir.exam
    return {u for e in (exam.entry if exam else ()) if e.unit == unit for u in e.after}


def _entry_findings(decision: luk_rules.Decision, unit: str) -> list[luk_rules.Finding]:
    """The `entry-requirement-not-met` findings about ``unit`` (the first value a finding
    of an entry requirement reports)."""
    return [f for f in decision.findings if f.code == "entry-requirement-not-met"
            and f.derived[1][:1] == (unit,)]


def check_entry_requirements(ruleset: luk_rules.Ruleset, sub: dict[str, Any],
                             decision: luk_rules.Decision) -> None:
    """The decision's `entry-requirement-not-met` findings name exactly the units the audit
    of the same results does not count (two implementations of "completed")."""
    chosen = ruleset.for_date(dt.date.fromisoformat(sub["date"]))
    guarded = {u: _entry_units(chosen, u) for u in sub["units"]}
    guarded = {u: after for u, after in guarded.items() if after}
    if not guarded:
        return
    record = {k: sub[k] for k in ("id", "programme", "form", "date")}
    record["results"] = sub.get("results", [])
    counted = {u for u, r in chosen.audit(record).results.items() if r.counts}
    for unit, after in guarded.items():
        still = sorted(after - counted)
        found = sorted({u for f in _entry_findings(decision, unit) for u in f.facts})
        assert found == still, (unit, sub.get("results"), decision.findings)
        event("entry requirement: " + ("unmet" if still else "met"))


# Exam programmes, entry requirements, validity, exemption grounds, own regimes (`extends`,
# `as if`), `replaces` and includes: load (and `loads` of the same text), decide (explained,
# and in brief) and audit on both engines; entry findings agree with the audit's reading of
# the same results.
@fs.fuzz_settings(15, share=0.25)
@given(project=fs.projects(), data=st.data())
def test_generated_projects_decide_and_audit_alike_on_both_engines(
    project: fs.Project, data: st.DataObject
) -> None:
    """Generated projects decide and audit without error, alike on both engines."""
    native = fs.load_project(project)
    durable = durable_or_none(project) if durable_available() else None
    path = project.write()
    law = path.parent.parent / "law"
    as_text = luk_rules.loads(path.read_text(encoding="utf-8"), name=path.name,
                              roots=[path.parent, *([law] if law.is_dir() else [])])
    for feature in sorted(project.features):
        event(f"project: {feature}")
    seen: set[str] = set()
    for _ in range(3):
        sub = data.draw(fs.submissions_for(native, seen), label="submission")
        decision = native.decide(sub, explain=True)
        as_dict = decision.to_dict()
        json.dumps(as_dict)
        brief = native.decide(sub).to_dict()
        assert brief == {k: v for k, v in as_dict.items() if k != "explanation"}
        assert as_text.decide(sub, explain=True).to_dict() == as_dict, "load and loads differ"
        chosen = native.for_date(dt.date.fromisoformat(sub["date"])).ir
        report.decision_text(decision, chosen, sub["form"], sub["date"], sub["assessment"])
        verdict = native.verdict(sub)
        assert verdict.status == decision.status
        assert sorted(c for c, _ in verdict.findings) == sorted(f.code for f in
                                                                 decision.findings)
        check_entry_requirements(native, sub, decision)
        event(f"decision: {decision.status}")
        if durable is not None:
            try:
                other = durable.decide(sub, explain=True).to_dict()
            except luk_rules.EngineUnavailable as exc:
                assert RULE_NAMED.search(str(exc)), f"durable failed: {exc}"
                continue
            assert dumped(other) == dumped(as_dict), "engines disagree"
    if any(native.for_date(d).ir.exam is not None for d in _dates_of(native)):
        for _ in range(2):
            record = data.draw(fs.records_for(native, seen), label="record")
            audits = [audit_or_none(r, record) for r in (native, durable) if r is not None]
            if audits[0] is not None:
                event(f"audit: {audits[0]['status']}")
            assert len({dumped(a) for a in audits}) == 1, "engines audit differently"
    for feature in sorted(seen):
        event(f"input: {feature}")


def _dates_of(ruleset: luk_rules.Ruleset) -> list[dt.date]:
    """A date decided by each ruleset of the chain."""
    dates = [dt.date(2027, 12, 31)]
    here = ruleset
    while here._predecessor is not None:
        dates.append(here._predecessor[0] - dt.timedelta(days=1))
        here = here._predecessor[1]
    return dates


def audit_or_none(ruleset: luk_rules.Ruleset, record: dict[str, Any]) -> dict[str, Any] | None:
    """The audit with explanation; None (LUK062) only where the ruleset deciding the record's
    date has no examination programme."""
    chosen = ruleset.for_date(dt.date.fromisoformat(record["date"]))
    if chosen.ir.exam is None:
        with pytest.raises(luk_rules.RulesetError) as refused:
            ruleset.audit(record, explain=True)
        assert [d.code for d in refused.value.diagnostics] == ["LUK062"]
        return None
    explained = ruleset.audit(record, explain=True)
    report.audit_text(explained, chosen.ir, record["date"])
    audit = explained.to_dict()
    json.dumps(audit)
    assert ruleset.audit(record).to_dict() == {k: v for k, v in audit.items()
                                               if k != "explanation"}
    assert audit["complete"] == (audit["status"] == "complete")
    assert audit["complete"] == all(f["severity"] != "deny" for f in audit["findings"])
    return audit


# ------------------------------------------------------------------ 2. hostile paths

HOSTILE_CODES = {"include": {"LUK005", "LUK007"}, "replaces": {"LUK035", "LUK007"},
                 "regime": {"LUK005", "LUK007", "LUK010"}}


def assert_nothing_leaked(exc: luk_rules.RulesetError) -> None:
    """Neither the secret marker nor /etc/passwd is in the error, its diagnostics (rendered
    too), its sources or its paths."""
    shown = [str(exc), repr(exc.args), *exc.sources, *exc.sources.values(),
             *exc.paths, *exc.paths.values()]
    for d in exc.diagnostics:
        shown += [d.message, d.hint or "", *(label.message for label in d.labels),
                  render_text(d, exc.sources)]
    for text in shown:
        assert fs.SECRET not in text, text[:500]
        assert "root:x:0:0" not in text, text[:500]


def _load_hostile(text: str, how: str, nested: bool) -> luk_rules.RulesetError:
    """Load the ruleset ``text`` from the hostile workspace as ``how`` says; the error."""
    workspace = fs.hostile_workspace()
    folder = workspace.programme
    if nested:
        (folder / "inner.luk").write_text(text.split("programme VP")[0] or "# leeg\n",
                                          encoding="utf-8", errors="surrogatepass")
        text = 'include "inner.luk"\n' + "programme VP" + text.split("programme VP", 1)[1]
    with fs.hang_guard(30, "loading a ruleset with hostile paths"):
        try:
            if how == "load":
                path = folder / "vp.luk"
                path.write_text(text, encoding="utf-8")
                luk_rules.load(path)
            elif how == "loads":
                luk_rules.loads(text, name="vp.luk", roots=[folder])
            else:
                luk_rules.loads(text, name="vp.luk")
        except luk_rules.RulesetError as exc:
            return exc
    raise AssertionError(f"a ruleset with hostile paths loaded ({how}):\n{text[:2000]}")


# Absolute paths, `..`, symlinks out, loops, FIFOs, devices, folders, huge or non-UTF-8 files,
# NUL bytes, odd unicode, thousands of characters: LUK005/LUK007/LUK035 at the path, through
# `load` and `loads(roots=...)`, with the secret in every outside file never shown.
@fs.fuzz_settings(100)
@given(paths=st.lists(fs.hostile_paths(), min_size=1, max_size=3),
       where=st.sampled_from(["include", "replaces", "nested include"]),
       how=st.sampled_from(["load", "loads", "loads without roots"]))
def test_hostile_paths_are_refused_where_written_and_never_read(
    paths: list[fs.HostilePath], where: str, how: str
) -> None:
    """Hostile include/replaces paths are refused at their place, unread and without hanging."""
    if how == "load" or where == "nested include":
        paths = [p for p in paths if p.in_a_file]
        if not paths:
            return
    for p in paths:
        for kind in sorted(p.kinds):
            event(f"hostile path: {kind}")
    written = [p.written for p in paths]
    if where == "replaces":
        text, sites = fs.mini_ruleset(includes=written[1:], replaces=written[0])
        codes = [HOSTILE_CODES["include"]] * (len(written) - 1) + [HOSTILE_CODES["replaces"]]
    else:
        text, sites = fs.mini_ruleset(includes=written)
        codes = [HOSTILE_CODES["include"]] * len(written)
    nested = where == "nested include"
    file = "inner.luk" if nested else "vp.luk"
    if how == "loads without roots":
        codes = [{"LUK007"}] * len(codes)
        if nested:  # inner.luk itself is refused
            sites, codes, paths, file = [(1, 9)], [{"LUK007"}], paths[:1], "vp.luk"
    failed = _load_hostile(text, how, nested)
    assert_nothing_leaked(failed)
    errors = [d for d in failed.diagnostics if d.is_error]
    for (line, column), allowed, path in zip(sites, codes, paths, strict=True):
        here = [d for d in errors if (d.span.file, d.span.line, d.span.column) == (
            file, line, column)]
        assert here, f"{path.value[:200]!r} not refused at {file}:{line}:{column}: {errors}"
        assert {d.code for d in here} <= allowed, (path.value[:200], here)
    others = {d.code for d in errors} - set().union(*codes)
    assert not others, errors


@fs.fuzz_settings(30)
@given(names=st.lists(st.sampled_from(sorted(fs.HOSTILE_REGIMES)), min_size=1, max_size=3,
                      unique=True),
       how=st.sampled_from(["load", "loads"]))
def test_hostile_law_regime_files_are_refused_at_their_name(names: list[str], how: str) -> None:
    """Hostile law regime files beside a ruleset are refused (or not found) at their name."""
    for name in names:
        event(f"hostile regime: {fs.HOSTILE_REGIMES[name]}")
    text, sites = fs.mini_ruleset(regimes=names)
    failed = _load_hostile(text, how, nested=False)
    assert_nothing_leaked(failed)
    errors = [d for d in failed.diagnostics if d.is_error]
    for (line, column), name in zip(sites, names, strict=True):
        here = [d for d in errors if (d.span.line, d.span.column) == (line, column)]
        assert here, f"regime {name} not refused at {line}:{column}: {errors}"
        assert {d.code for d in here} <= HOSTILE_CODES["regime"], here


def luk(*args: str | Path, cwd: Path, stdin: bytes | None = None,
        env: dict[str, str] | None = None, timeout: float = 60
        ) -> subprocess.CompletedProcess[str]:
    """Run `luk` as a process with a timeout (a hang fails); never a traceback, an internal
    error, the secret or a raw control character in what it prints."""
    done = subprocess.run([*LUK, *map(str, args)], cwd=cwd, input=stdin, capture_output=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, check=False)
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    both = out + err
    assert "Traceback" not in both, err
    assert "internal error" not in both.lower(), both
    assert fs.SECRET not in both, both[:2000]
    assert "root:x:0:0" not in both, both[:2000]
    assert not RAW_CONTROL.search(both), both[:2000]
    return subprocess.CompletedProcess(done.args, done.returncode, out, err)


def in_parallel(jobs: Sequence[Callable[[], None]]) -> None:
    """Run the subprocess checks two at a time (they mostly wait)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


# One of each kind, for the command line (the property above draws combinations).
CLI_INCLUDES = ("/etc/passwd", "/dev/zero", "/proc/self/environ", "../secret/units.luk",
                "../../../../../../../../etc/passwd", "link-out.luk", "link-dir/units.luk",
                "loop-a.luk", "fifo.luk", "link-fifo.luk", "folder.luk", "huge.luk",
                "latin1.luk", "a\x00b.luk", "\u202e\x1b[2J.luk", "x" * 300, "../" * 1500 + "etc")


def test_the_command_line_refuses_hostile_paths_without_hanging_or_showing_them() -> None:
    """`luk check`/`luk decide` refuse hostile includes, replaces and regimes at their lines."""
    workspace = fs.hostile_workspace()
    folder = workspace.base / "cli"
    if not folder.exists():
        fs.populate(folder, workspace.secret_file.parent)
    env = {"LUK_FUZZ_SECRET": fs.SECRET}
    text, sites = fs.mini_ruleset(includes=[fs.HostilePath(p, frozenset()).written
                                            for p in CLI_INCLUDES])
    (folder / "includes.luk").write_text(text, encoding="utf-8")
    replaces, replaced_at = fs.mini_ruleset(replaces="/proc/self/environ")
    (folder / "replaces.luk").write_text(replaces, encoding="utf-8")
    regimes, regimes_at = fs.mini_ruleset(regimes=["link-out", "fifo", "folder", "huge"])
    (folder / "regimes.luk").write_text(regimes, encoding="utf-8")
    case = folder / "case.json"
    case.write_text(json.dumps(_MINI_CASE), encoding="utf-8")

    def check_includes() -> None:
        done = luk("check", "includes.luk", cwd=folder, env=env)
        assert done.returncode == 1, done.stdout + done.stderr
        for line, column in sites:
            assert re.search(rf"includes\.luk:{line}:{column}: error\[LUK00[57]\]",
                             done.stdout), (line, done.stdout[:3000])

    def decide_replaces() -> None:
        done = luk("decide", "replaces.luk", case, cwd=folder, env=env)
        assert done.returncode == 2, done.stdout + done.stderr
        line, column = replaced_at[0]
        assert f"replaces.luk:{line}:{column}: error[LUK007]" in done.stderr, done.stderr

    def check_regimes() -> None:
        done = luk("check", "regimes.luk", cwd=folder, env=env)
        assert done.returncode == 1, done.stdout + done.stderr
        for line, column in regimes_at:
            assert re.search(rf"regimes\.luk:{line}:{column}: error\[LUK00[57]\]",
                             done.stdout), (line, column, done.stdout[:3000])

    in_parallel([check_includes, decide_replaces, check_regimes])


_MINI_CASE = {"id": "S1", "programme": "VP", "form": "deeltijd", "date": "2025-06-01",
              "units": ["VP-A"], "assessment": "VP-A-CGI",
              "evidence": [{"id": "e1", "type": "beroepsproduct", "outcomes": ["VP-A.1"],
                            "date": "2025-01-01"}]}


@pytest.mark.fuzz
@fs.fuzz_settings(5, share=0.02)
@given(paths=st.lists(fs.hostile_paths(), min_size=1, max_size=4),
       replaces=st.booleans())
def test_the_command_line_refuses_random_hostile_paths(
    paths: list[fs.HostilePath], replaces: bool
) -> None:
    """(nightly) `luk check` refuses random hostile includes and replaces at their lines."""
    paths = [p for p in paths if p.in_a_file]
    if not paths:
        return
    workspace = fs.hostile_workspace()
    written = [p.written for p in paths]
    if replaces:
        text, sites = fs.mini_ruleset(includes=written[1:], replaces=written[0])
    else:
        text, sites = fs.mini_ruleset(includes=written)
    (workspace.programme / "cli-vp.luk").write_text(text, encoding="utf-8")
    done = luk("check", "cli-vp.luk", cwd=workspace.programme,
               env={"LUK_FUZZ_SECRET": fs.SECRET})
    assert done.returncode == 1, done.stdout + done.stderr
    for line, column in sites:
        assert re.search(rf"cli-vp\.luk:{line}:{column}: error\[LUK0(05|07|35)\]",
                         done.stdout), (line, column, done.stdout[:3000])


# ------------------------------------------------------------------ 3. mangled input


def assert_located(exc: luk_rules.SubmissionError, path: str | None, what: str) -> None:
    """Every problem has a JSON path starting with `$` and a short message; one is at (or
    inside) ``path`` when given."""
    assert exc.problems, what
    for problem in exc.problems:
        assert problem.path.startswith("$"), (what, exc.problems)
        assert problem.message and len(problem.message) < 1000, (what, problem)
    if path is not None:
        paths = [p.path for p in exc.problems]
        assert any(p == path or p.startswith((path + ".", path + "[")) for p in paths), (
            f"{what}: expected a problem at {path}, got {exc.problems}")


def _valid_document(data: st.DataObject, kind: str) -> tuple[luk_rules.Ruleset, dict[str, Any]]:
    if kind == "record":
        ruleset = example(data.draw(st.sampled_from(WITH_EXAM), label="ruleset"))
        return ruleset, data.draw(fs.records_for(ruleset), label="record")
    ruleset = example(data.draw(st.sampled_from(
        ["bouwkunde-deeltijd", "hbo-ict-deeltijd", "bouwkunde-voltijd-evl"]), label="ruleset"))
    return ruleset, data.draw(fs.submissions_for(ruleset), label="submission")


def use(ruleset: luk_rules.Ruleset, kind: str, document: Any) -> None:
    """Decide a submission or audit a record (a dict, or read from text)."""
    if kind == "record":
        ruleset.audit(document, explain=True)
    else:
        ruleset.decide(document, explain=True)


@fs.fuzz_settings(150)
@given(data=st.data(), kind=st.sampled_from(["submission", "record"]))
def test_mangled_bytes_through_the_api_are_located_submission_errors(
    data: st.DataObject, kind: str
) -> None:
    """Mangled JSON bytes through the API are SubmissionErrors at `$...`, never other exceptions."""
    ruleset, document = _valid_document(data, kind)
    mangled = data.draw(fs.mangled(document), label="mangled")
    event(f"mangled: {mangled.kind}")
    text = mangled.data.decode("utf-8", "surrogateescape")
    try:
        parsed = read_json(text, "case.json", Record if kind == "record" else
                           luk_rules.Submission)
        use(ruleset, kind, parsed)
    except luk_rules.SubmissionError as exc:
        assert_located(exc, None, mangled.what)
        assert exc.source == "case.json" or exc.source is None
        return
    assert not mangled.must_fail, f"{mangled.what} was accepted"


@fs.fuzz_settings(100)
@given(data=st.data(), name=st.sampled_from(WITH_EXAM))
def test_broken_records_are_located_submission_errors(data: st.DataObject, name: str) -> None:
    """A record broken in one place is a SubmissionError at that place (dict and JSON text)."""
    ruleset = example(name)
    broken = data.draw(fs.bad_records(ruleset), label="broken")
    event(f"broken record: {broken.what}")
    with pytest.raises(luk_rules.SubmissionError) as raised:
        ruleset.audit(broken.document, explain=True)
    assert_located(raised.value, broken.path, broken.what)
    try:
        text = json.dumps(broken.document)
    except TypeError:  # a key that is no string: only through the API
        return
    if broken.structural and "no string" not in broken.what:
        assert not RECORD_VALIDATOR.is_valid(json.loads(text)), broken.what
    with pytest.raises(luk_rules.SubmissionError) as raised:
        ruleset.audit(read_json(text, "record.json", Record))
    assert_located(raised.value, broken.path, broken.what)


@fs.fuzz_settings(12, share=0.25)
@given(project=fs.projects(), data=st.data())
def test_broken_input_for_generated_rulesets_is_located(
    project: fs.Project, data: st.DataObject
) -> None:
    """Broken submissions and records for generated rulesets are located SubmissionErrors."""
    ruleset = fs.load_project(project)
    broken = data.draw(gen.bad_submissions(ruleset.ir), label="broken submission")
    event(f"broken submission: {broken.what}")
    with pytest.raises(luk_rules.SubmissionError) as raised:
        ruleset.decide(broken.document, explain=True)
    assert_located(raised.value, broken.path, broken.what)
    if broken.structural:
        assert not SUBMISSION_VALIDATOR.is_valid(broken.document), broken.what
    record = data.draw(fs.bad_records(ruleset), label="broken record")
    event(f"broken record: {record.what}")
    try:
        ruleset.audit(record.document)
    except luk_rules.SubmissionError as exc:
        assert_located(exc, record.path, record.what)
    except luk_rules.RulesetError as exc:
        assert [d.code for d in exc.diagnostics] == ["LUK062"], exc
        assert not record.structural, record.what
    else:
        raise AssertionError(f"{record.what} was accepted: {record.document}")


# (command, ruleset, mangling case, raw token) for the command line: each kind once.
CLI_MANGLINGS = (
    ("decide", "bouwkunde-deeltijd", 0, None),  # cut short
    ("decide", "bouwkunde-deeltijd", 1, None),  # not UTF-8
    ("decide", "hbo-ict-deeltijd", 2, 0),  # a number of 5,000 digits
    ("decide", "bouwkunde-deeltijd", 2, 6),  # lists nested 50,000 deep
    ("audit", "hbo-ict-deeltijd", 2, 8),  # an escaped lone surrogate
    ("audit", "bouwkunde-deeltijd", 4, None),  # a raw control character
    ("audit", "hbo-ict-deeltijd", 2, 14),  # a UTF-8 encoded surrogate
    ("audit", "hbo-ict-deeltijd", 8, None),  # junk after the document
)


def _cli_corpus(count: int, seed: int) -> list[tuple[str, str, fs.Mangled]]:
    """(command, ruleset, mangled document): each of CLI_MANGLINGS, then random ones up to
    ``count``; only documents that must fail."""
    choices = gen._Seeded(random.Random(seed))
    out: list[tuple[str, str, fs.Mangled]] = []
    i = 0
    while len(out) < max(count, len(CLI_MANGLINGS)):
        command, name, case, raw = (CLI_MANGLINGS[i] if i < len(CLI_MANGLINGS) else
                                    (("decide", "audit")[i % 2], WITH_EXAM[i // 2 % 2], None,
                                     None))
        ruleset = example(name)
        vocabulary = gen.Vocabulary.of(ruleset.ir)
        document = (fs.record_from(choices, ruleset, vocabulary, set()) if command == "audit"
                    else fs.submission_for(choices, ruleset, vocabulary, set()))
        mangled = fs.mangled_from(choices, document, case, raw)
        if mangled.must_fail:  # else draw this one again
            out.append((command, name, mangled))
            i += 1
    return out


def check_cli_refuses(command: str, name: str, mangled: fs.Mangled, folder: Path) -> None:
    """`luk decide|audit RULESET FILE` on mangled bytes: exit 2, the file named on stderr with
    a JSON path (or why it cannot be read)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.json").write_bytes(mangled.data)
    done = luk(command, EXAMPLES / f"{name}.luk", "case.json", cwd=folder)
    assert done.returncode == 2, (mangled.what, done.stdout[:500], done.stderr[:2000])
    assert re.search(r"case\.json: (\$|cannot read: )", done.stderr), (mangled.what,
                                                                       done.stderr[:2000])
    assert len(done.stderr) < 20_000, (mangled.what, len(done.stderr))


def test_the_command_line_refuses_mangled_submissions_and_records(tmp_path: Path) -> None:
    """`luk decide`/`luk audit` on mangled files exit 2 naming the file and the JSON path."""
    corpus = _cli_corpus(fs.scaled(len(CLI_MANGLINGS), share=0.01), seed=7)
    in_parallel([(lambda i=i, c=c: check_cli_refuses(*c, tmp_path / str(i)))
                 for i, c in enumerate(corpus)])


@pytest.mark.fuzz
@fs.fuzz_settings(5, share=0.02)
@given(data=st.data(), kind=st.sampled_from(["submission", "record"]))
def test_the_command_line_refuses_random_mangled_documents(
    data: st.DataObject, kind: str
) -> None:
    """(nightly) `luk decide`/`luk audit` on random mangled files never end in a traceback."""
    ruleset, document = _valid_document(data, kind)
    mangled = data.draw(fs.mangled(document), label="mangled")
    name = Path(ruleset.path).stem
    folder = fs.hostile_workspace().base / "mangled"
    folder.mkdir(exist_ok=True)
    if mangled.must_fail:
        check_cli_refuses("audit" if kind == "record" else "decide", name, mangled, folder)
    else:
        (folder / "case.json").write_bytes(mangled.data)
        done = luk("audit" if kind == "record" else "decide", EXAMPLES / f"{name}.luk",
                   "case.json", cwd=folder)
        assert done.returncode in (0, 1, 2)


# ------------------------------------------------------------------ 4. reach

# What the generators must reach in a bounded run, with the least count each (the default
# run draws REACH_PROJECTS projects; the figures are printed with `make fuzz`).
REACH_PROJECTS = 90
MIN_REACH = {
    "project: exam": 15, "project: entry": 8, "project: validity": 8, "project: grounds": 8,
    "project: elective": 5, "project: diploma": 8, "project: replaces": 5,
    "project: replaces-chain": 1, "project: own-regime": 8, "project: extends": 4,
    "project: extends-own": 1, "project: as-if": 2, "project: as-if-own": 1,
    "project: regime-in-law": 1, "project: regime-beside": 1, "project: include": 5,
    "project: nested-include": 1,
    "decision: admissible": 3, "decision: incomplete": 1, "decision: inadmissible": 20,
    "decided by a replaced ruleset": 3, "finding: entry-requirement-not-met": 5,
    "entry requirement met": 5, "entry requirement unmet": 5,
    "audit: complete": 3, "audit: incomplete": 5,
    "audit finding: result-expired": 2, "audit finding: exemption-grounds-not-allowed": 2,
    "audit finding: exemption-without-decision": 1, "audit finding: exemption": 2,
    "audit finding: required-unit-missing": 5, "audit finding: elective-group-short": 2,
    "audit finding: credits-short": 2, "input: result-at-expiry": 1,
    "project: exemption-limit": 3, "audit finding: exemptions-over-limit": 1,
    "audit finding: validity-extended": 1, "input: extended-to-the-date": 1,
    "input: extension-ran-out": 1,
}
HOSTILE_SAMPLE = 400


def test_generators_reach_the_paths_they_are_meant_to_test() -> None:
    """Generators reach each feature, outcome and hostile path kind the fuzz tests are about.

    The generators are driven here by seeded ``random.Random`` choices, not by hypothesis:
    hypothesis biases its draws with constants found in whatever modules are imported, so
    its counts would depend on which tests ran before this one."""
    counts: Counter[str] = Counter()
    for seed in range(fs.scaled(REACH_PROJECTS, share=0.1)):
        c = gen._Seeded(random.Random(seed))
        project = fs.project_from(c)
        counts["projects"] += 1
        counts.update(f"project: {f}" for f in project.features)
        ruleset = fs.load_project(project)
        vocabulary = gen.Vocabulary.of(ruleset.ir)
        seen: set[str] = set()
        for _ in range(3):
            sub = fs.submission_for(c, ruleset, vocabulary, seen)
            decided = ruleset.decide(sub)
            decision = decided.to_dict()
            counts[f"decision: {decision['status']}"] += 1
            counts.update(f"finding: {f['code']}" for f in decision["findings"])
            chosen = ruleset.for_date(dt.date.fromisoformat(sub["date"]))
            if chosen is not ruleset:
                counts["decided by a replaced ruleset"] += 1
            for unit in sub["units"]:
                if _entry_units(chosen, unit):
                    unmet = bool(_entry_findings(decided, unit))
                    counts[f"entry requirement {'unmet' if unmet else 'met'}"] += 1
        for _ in range(2 if ruleset.ir.exam is not None else 0):
            record = fs.record_from(c, ruleset, vocabulary, seen)
            if ruleset.for_date(dt.date.fromisoformat(record["date"])).ir.exam is not None:
                audit = ruleset.audit(record).to_dict()
                counts[f"audit: {audit['status']}"] += 1
                counts.update(f"audit finding: {f['code']}" for f in audit["findings"])
        counts.update(f"input: {f}" for f in seen)
    hostile: Counter[str] = Counter()
    rng = random.Random(11)
    for _ in range(fs.scaled(HOSTILE_SAMPLE, share=1)):
        hostile.update(fs.hostile_path_from(gen._Seeded(rng), fs.hostile_workspace()).kinds)
    kinds = {*fs._TARGETS.values(), *fs._ABSOLUTE.values(), *fs._ODD.values(), "dot-dot",
             "absolute-secret", "long-name", "long-path", "detour"}
    report = _reach_report(counts, hostile)
    print(report)
    short = {k: (counts[k], least) for k, least in MIN_REACH.items() if counts[k] < least}
    assert not short, f"generators fall short (reached, least): {short}\n{report}"
    missing = kinds - set(hostile)
    assert not missing, f"hostile path kinds never generated: {missing}"


def _reach_report(counts: Counter[str], hostile: Counter[str]) -> str:
    lines = [f"\nfuzz reach: {counts['projects']} generated projects "
             "(3 submissions each, 2 records each with an exam programme)"]
    for key in sorted(counts):
        if key != "projects":
            lines.append(f"  {counts[key]:6d}  {key}")
    lines.append(f"hostile paths: {sum(hostile.values())} kinds over the sample")
    lines += [f"  {n:6d}  {kind}" for kind, n in sorted(hostile.items())]
    return "\n".join(lines)


# ------------------------------------------------------------------ bugs found

_TWO_ENTRIES = """\
programme GP "G"
  level hbo-bachelor
  form voltijd
  institution "H"
  under whw
  units are onderwijseenheid
evidence bp "B"
unit GP-U1 "U1"
  credits 1
  outcome 1 "O"
  accepts bp
unit GP-U2 "U2"
  credits 1
  outcome 1 "O"
  accepts bp
unit GP-U3 "U3"
  credits 1
  outcome 1 "O"
  accepts bp
assessment GP-T1 "T"
  exam
  path-independent
  assesses GP-U1, GP-U2, GP-U3
examination programme "E"
  {first}
  {second}
"""


def _entry_findings_of(first: str, second: str) -> list[luk_rules.Finding]:
    ruleset = luk_rules.loads(_TWO_ENTRIES.format(first=first, second=second), name="r.luk")
    decision = ruleset.decide({"id": "S1", "programme": "GP", "form": "voltijd",
                               "date": "2026-01-01", "units": ["GP-U3"],
                               "assessment": "GP-T1", "evidence": []})
    return [f for f in decision.findings if f.code == "entry-requirement-not-met"]


def test_an_entry_finding_cites_its_own_requirement() -> None:
    """The finding about GP-U3 cites its own requirement `entry GP-U3` at line 26 (found by
    the fuzz suite: it used to cite the first requirement)."""
    [finding] = _entry_findings_of("GP-U2 only after GP-U1", "GP-U3 only after GP-U2")
    assert finding.facts == ("GP-U2",)
    assert (finding.rule, finding.source) == ("entry GP-U3", "r.luk:26:3")


def test_two_entry_clauses_for_one_unit_each_give_their_own_finding() -> None:
    """Two entry clauses for one unit: each finding names its own clause's unit, words its
    own clause and cites its own line (the message used to come from the first clause)."""
    findings = _entry_findings_of("GP-U3 only after GP-U1", "GP-U3 only after GP-U2")
    assert [(f.facts, f.source) for f in findings] == [
        (("GP-U1",), "r.luk:25:3"), (("GP-U2",), "r.luk:26:3")]
    assert [f.message.split(";")[0] for f in findings] == [
        "GP-U3 may only be assessed once GP-U1 is completed",
        "GP-U3 may only be assessed once GP-U2 is completed"]


def test_an_include_in_a_law_regime_file_is_read_or_refused(tmp_path: Path) -> None:
    """A law regime file beside the ruleset that includes a file does not hide undefined names."""
    (tmp_path / "eigen.luk").write_text('include "ontbreekt.luk"\n\nregime eigen "Eigen"\n'
                                        '  in force always\n  extends whw\n  basis "B"\n',
                                        encoding="utf-8")
    text, _ = fs.mini_ruleset(regimes=["eigen"])
    path = tmp_path / "vp.luk"
    path.write_text(text + '\nexamination programme "E"\n  required VP-A, VP-NOPE\n',
                    encoding="utf-8")
    with pytest.raises(luk_rules.RulesetError) as failed:
        luk_rules.load(path)
    assert {d.code for d in failed.value.diagnostics} & {"LUK005", "LUK010"}
