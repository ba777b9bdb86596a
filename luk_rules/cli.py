"""The ``luk`` command. The only module that prints, reads ``sys.argv`` or exits.

Exit codes (docs/contracts.md#the-command-line): ``check`` 0 clean or warnings only,
1 errors, 2 usage or unreadable file; ``decide`` 0 admissible, 1 incomplete or inadmissible, 2
invalid ruleset or submission; ``audit`` 0 complete, 1 incomplete, 2 invalid
input; ``test`` 0 all pass, 1 failures, 2 errors; ``diff`` 0 nothing changed, 1
some case changed status (one valid on one side only included), 2 errors (also no
cases, no valid case, more invalid under both than ``--max-invalid``), 130 on
Ctrl-C; ``fmt`` 0 done, 1 would change (``--check``) or does not parse, 2 usage;
``schema`` 0, 2 for ``--ruleset`` with another schema or an invalid ruleset; ``law`` 0
listed, 2 on a bad date, an unreadable ruleset or one (or a law file) with errors; every
command 2 on a wrong command line and 3 on an internal error (a bug).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import datetime
import io
import json
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from luk_rules import api, html, impact, ir, law, pipeline, printer, report, scenarios
from luk_rules.audit import AUDIT_SCHEMA
from luk_rules.decide import DECISION_SCHEMA
from luk_rules.diagnostics import Diagnostic, render_json, render_text, sort_key
from luk_rules.engine import ENGINES
from luk_rules.errors import (
    EngineUnavailable,
    LukError,
    RulesetError,
    RulesetUnreadable,
    SubmissionError,
)
from luk_rules.parse import ParseFailed, parse
from luk_rules.sources import (
    DEFAULT_MAX_FILE_SIZE,
    SourceUnreadable,
    collect_paths,
    display_path,
    read_text,
)
from luk_rules.submission import (
    RECORD_SCHEMA,
    SUBMISSION_SCHEMA,
    Record,
    loads,
    submission_schema,
)

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """A wrong command line or an unreadable input file: exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="luk",
        description="Exam regulations as rules: check rulesets and decide whether a "
        "combination of evidence for units of learning outcomes is admissible.",
    )
    top.add_argument("--version", action="version", version="luk 0.1.0")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="parse and statically check rulesets",
                           description="Parse and check rulesets (files or folders of .luk "
                           "files). Exit 0 when clean or warnings only, 1 on errors, 2 when a "
                           "path cannot be read.")
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--engine", choices=ENGINES, default="native",
                       help="also report what this engine cannot run (durable has limits)")
    _add_roots(check)
    check.set_defaults(run=_check)

    fmt = sub.add_parser("fmt", help="rewrite rulesets in canonical layout",
                         description="Rewrite .luk files in canonical layout, keeping comments.")
    fmt.add_argument("paths", nargs="+", metavar="PATH")
    mode = fmt.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="change nothing; exit 1 when a file is not in canonical layout")
    mode.add_argument("--stdout", action="store_true",
                      help="print the formatted text instead of rewriting the file")
    fmt.set_defaults(run=_fmt)

    decide = sub.add_parser("decide", help="decide a submission",
                            description="Decide whether a submission is admissible. Exit 0 "
                            "admissible, 1 incomplete or inadmissible, 2 invalid input (or "
                            "--format html without Jinja2 installed).")
    decide.add_argument("ruleset", metavar="RULESET")
    decide.add_argument("submission", metavar="SUBMISSION.json",
                        help="the submission (JSON); - reads standard input")
    decide.add_argument("--format", choices=("text", "json", "html"), default="text",
                        help="text (default), json (docs/semantics.md), or html: a printable "
                        "decision letter, one self-contained page ending in the programme's "
                        "closing text (needs the `html` extra: pip install 'luk-rules[html]')")
    _add_output(decide)
    decide.add_argument("--explain", nargs="?", const="plain", choices=_EXPLAIN_MODES,
                        help="add why: in plain words (the default: the law, the route, "
                        "what counts and what is missing, each with its rule and basis), or "
                        "`proof` for the proof tree of every conclusion; JSON always gives "
                        "the proof trees")
    decide.add_argument("--engine", choices=ENGINES, default="native")
    _add_roots(decide)
    decide.set_defaults(run=_decide)

    test = sub.add_parser("test", help="run the scenario tests beside rulesets",
                          description="Run the scenario tests (*.scenarios.json) in or beside "
                          "the given files and folders. Exit 0 when all pass, 1 on failures, "
                          "2 on errors.")
    test.add_argument("paths", nargs="+", metavar="PATH")
    test.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    test.add_argument("--coverage", action="store_true",
                      help="report, per ruleset, the rules that can fire for its programme "
                      "that no scenario fired, and those that cannot fire for it (not "
                      "counted) with why")
    test.add_argument("--min-coverage", type=_percent, metavar="P",
                      help="fail (exit 1) when in some ruleset less than P%% of the rules "
                      "that can fire for its programme fired; implies --coverage")
    test.add_argument("--junit", metavar="FILE", help="also write JUnit XML to FILE")
    test.add_argument("--engine", choices=ENGINES, default="native")
    _add_roots(test, size=False)
    test.set_defaults(run=_test)

    diff = sub.add_parser("diff", help="compare two rulesets on a corpus of cases",
                          description="Decide every case under BEFORE and AFTER and report "
                          "the cases whose status changes, grouped by reason. CASES are .json "
                          "files, .jsonl files (one submission a line) or folders of them. "
                          "Exit 0 when no status changed, 1 when some did (a case valid under "
                          "one ruleset only has changed), 2 on errors: a broken ruleset, no "
                          "cases, no case valid under either ruleset, more cases invalid "
                          "under both than --max-invalid allows, or a worker process killed. "
                          "Ctrl-C: exit 130; SIGTERM: 143.")
    diff.add_argument("before", metavar="BEFORE")
    diff.add_argument("after", metavar="AFTER")
    diff.add_argument("cases", nargs="+", metavar="CASES")
    diff.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text",
                      help="text (default), json, markdown, or html: a self-contained report "
                      "for policy advisers with a chart of the status transitions (needs the "
                      "`html` extra: pip install 'luk-rules[html]')")
    _add_output(diff)
    diff.add_argument("--jobs", type=_positive, default=None, metavar="N",
                      help="worker processes (default: the number of CPUs). At most one per "
                      f"{impact.PER_WORKER} cases; more than {impact.JOBS_PER_CPU} per CPU (or "
                      f"more than {impact.MAX_JOBS}) is lowered to that, with a note on stderr")
    diff.add_argument("--max-invalid", type=_count, default=0, metavar="N",
                      help="cases invalid under both rulesets (not compared) to accept "
                      "(default 0); more is an error, exit 2")
    diff.add_argument("--engine", choices=ENGINES, default="native")
    _add_roots(diff, size=False)
    diff.set_defaults(run=_diff)

    audit = sub.add_parser("audit", help="audit a study record for the diploma",
                           description="Check a study record against the exam programme: "
                           "required units, elective groups, credits, expired results, "
                           "exemptions. Exit 0 complete, 1 incomplete, 2 invalid input.")
    audit.add_argument("ruleset", metavar="RULESET")
    audit.add_argument("record", metavar="RECORD.json",
                       help="the study record (JSON); - reads standard input")
    audit.add_argument("--format", choices=("text", "json"), default="text")
    audit.add_argument("--explain", nargs="?", const="proof", choices=_EXPLAIN_MODES,
                       help="add the proof of every finding and of the credits counted "
                       "(`plain` and `proof` give the proof trees for an audit)")
    audit.add_argument("--engine", choices=ENGINES, default="native")
    _add_roots(audit)
    audit.set_defaults(run=_audit)

    law_cmd = sub.add_parser(
        "law", help="list the law regimes and which one is in force on a date",
        description="List the law regimes (the shipped law, or those of --ruleset) with their "
        "period, status, basis, source and clauses, and which regime governs programmes of "
        "each form and level on DATE: of the regimes in force, the latest whose own permits "
        "cover the form (for a ruleset: its programme's forms and level, by its facts). "
        "Exit 0, or 2 on a bad date, an unreadable ruleset or one with errors.")
    law_cmd.add_argument("date", nargs="?", type=_iso_date, metavar="DATE",
                         help="the date, YYYY-MM-DD (default: today)")
    law_cmd.add_argument("--ruleset", metavar="FILE",
                         help="list this ruleset's regimes (those its programme stands under, "
                         "with what they extend, and its own) instead of the shipped law")
    law_cmd.add_argument("--format", choices=("text", "json"), default="text")
    _add_roots(law_cmd)
    law_cmd.set_defaults(run=_law)

    schema = sub.add_parser("schema", help="print a JSON Schema",
                            description="Print the JSON Schema of a submission, a decision, "
                            "a study record, an audit, a scenario file (`luk test`) or "
                            "`luk law --format json`.")
    schema.add_argument("which",
                        choices=("submission", "decision", "record", "audit", "scenarios", "law"))
    schema.add_argument("--ruleset", metavar="FILE",
                        help="for `submission`: include the evidence fields this ruleset "
                        "declares")
    _add_roots(schema)
    schema.set_defaults(run=_schema)
    return top


def _add_output(command: argparse.ArgumentParser) -> None:
    command.add_argument("-o", "--output", metavar="FILE",
                         help="write the result to FILE (UTF-8) instead of standard output; "
                         "the exit code is the same")


def _write(text: str, output: str | None, command: str) -> bool:
    """``text`` (ending in a newline) on standard output or into the file ``output``;
    False, said on standard error, when the file cannot be written."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return True
    try:
        Path(output).write_text(text if text.endswith("\n") else text + "\n",
                                encoding="utf-8")
    except OSError as exc:
        print(f"luk {command}: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _add_roots(command: argparse.ArgumentParser, size: bool = True) -> None:
    command.add_argument(
        "--root", action="append", default=[], metavar="DIR", dest="roots",
        help="a further folder the ruleset may read from (include, replaces, law regimes); "
        "by default only the ruleset's own folder, a `law` folder beside it and the shipped "
        "law; repeatable")
    if not size:
        return
    command.add_argument(
        "--max-file-size", type=_positive, default=DEFAULT_MAX_FILE_SIZE, metavar="BYTES",
        help=f"the largest file a ruleset may read (default {DEFAULT_MAX_FILE_SIZE:,} bytes)")


# ------------------------------------------------------------------ commands


def _print_diagnostics(diagnostics: Sequence[Diagnostic], sources: dict[str, str],
                       stream: TextIO) -> None:
    for d in sorted(diagnostics, key=sort_key):
        print(render_text(d, sources), file=stream)
        print(file=stream)


def _print_errors(exc: RulesetError, errors_only: bool = True) -> None:
    """A ruleset's diagnostics on standard error, its files named as the user finds them."""
    diagnostics, sources = exc.for_person()
    _print_diagnostics([d for d in diagnostics if d.is_error or not errors_only], sources,
                       sys.stderr)


def _summary(errors: int, warnings: int, files: int) -> str:
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"
    return f"checked {n(files, 'file')}: {n(errors, 'error')}, {n(warnings, 'warning')}"


def _check(args: argparse.Namespace) -> int:
    files, problems = collect_paths(args.paths)
    for p in problems:
        print(f"luk check: {p}", file=sys.stderr)
    found: set[Diagnostic] = set()
    sources: dict[str, str] = {}
    unreadable = len(problems)
    for path in files:
        try:
            analysis = pipeline.analyse(path, roots=args.roots, max_file_size=args.max_file_size)
        except RulesetUnreadable as exc:
            print(f"luk check: {exc}", file=sys.stderr)
            unreadable += 1
            continue
        except RecursionError:  # this file only: the others are still checked
            print(f"luk check: {display_path(path)}: nested too deeply to check",
                  file=sys.stderr)
            unreadable += 1
            continue
        limits = pipeline.engine_limits(analysis, args.engine)
        shown, texts = analysis.workspace.for_person([*analysis.diagnostics, *limits])
        found.update(shown)
        sources.update(texts)
    diagnostics = sorted(found, key=sort_key)
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    if args.format == "json":
        print(render_json(diagnostics))
    else:
        _print_diagnostics(diagnostics, sources, sys.stdout)
        summary = _summary(errors, warnings, len(files) - (unreadable - len(problems)))
        if unreadable:
            summary += f"; {unreadable} could not be read"
        print(summary)
    if unreadable or (not files and not problems):
        if not files and not problems:
            print("luk check: no .luk files found", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FAIL if errors else EXIT_OK


def _fmt(args: argparse.Namespace) -> int:
    files, problems = collect_paths(args.paths)
    for p in problems:
        print(f"luk fmt: {p}", file=sys.stderr)
    if problems:
        return EXIT_USAGE
    status = EXIT_OK
    for path in files:
        shown = display_path(path)
        try:
            text = read_text(path, shown)
        except SourceUnreadable as exc:
            print(f"luk fmt: {exc}", file=sys.stderr)
            return EXIT_USAGE
        try:
            formatted = printer.print_module(parse(text, shown))
        except ParseFailed as failed:
            _print_diagnostics(failed.diagnostics, {shown: text}, sys.stderr)
            status = EXIT_FAIL
            continue
        if args.stdout:
            sys.stdout.write(formatted)
        elif args.check:
            if formatted != text:
                print(f"{shown}: not in canonical layout (run `luk fmt {shown}`)")
                status = EXIT_FAIL
        elif formatted != text:
            path.write_text(formatted, encoding="utf-8")
            print(f"formatted {shown}")
    return status


def _read_submission_text(name: str) -> str:
    """The text of a submission or record file, or of standard input for ``-``: both
    read as bytes and refused the same way (not UTF-8, larger than the limit)."""
    if name != "-":
        try:
            return read_text(Path(name), name)
        except SourceUnreadable as exc:
            raise UsageError(f"luk: {exc}") from None
    stream = sys.stdin
    if stream is None:
        raise UsageError("luk: <stdin>: cannot read: there is no standard input")
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text stream put in place by an embedding program
        return stream.read()
    data: bytes = buffer.read(DEFAULT_MAX_FILE_SIZE + 1)
    if len(data) > DEFAULT_MAX_FILE_SIZE:
        raise UsageError(
            f"luk: <stdin>: cannot read: larger than {DEFAULT_MAX_FILE_SIZE:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"luk: <stdin>: cannot read: not UTF-8 text (byte {exc.start})") from None


def _load_ruleset(command: str, args: argparse.Namespace, engine: str = "native"
                  ) -> api.Ruleset | None:
    """The command's ruleset (``args.ruleset``), or None once it has said why not (the
    command then exits 2)."""
    try:
        return api.load(args.ruleset, engine=engine, roots=args.roots,
                        max_file_size=args.max_file_size)
    except RulesetUnreadable as exc:
        print(f"luk {command}: {exc}", file=sys.stderr)
    except RulesetError as exc:
        _print_errors(exc)
        print(f"luk {command}: {args.ruleset} is not a valid ruleset", file=sys.stderr)
    except EngineUnavailable as exc:
        print(f"luk {command}: {exc}", file=sys.stderr)
    return None


def _decide(args: argparse.Namespace) -> int:
    ruleset = _load_ruleset("decide", args, args.engine)
    if ruleset is None:
        return EXIT_USAGE
    text = _read_submission_text(args.submission)
    source = "<stdin>" if args.submission == "-" else args.submission
    try:
        submission = loads(text, source, fields=ruleset.fields)
        decision = ruleset.decide(submission, explain=args.explain is not None)
    except SubmissionError as exc:
        print(f"luk decide: {source} is not a valid submission:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {source}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    decided_by = ruleset.for_date(submission.date).ir
    shown = (submission.form, submission.date.isoformat(), submission.assessment)
    if args.format == "json":
        text = json.dumps(decision.to_dict(), indent=2, ensure_ascii=False)
    elif args.format == "html":
        try:
            text = html.decision_html(decision, decided_by, *shown)
        except html.HtmlUnavailable as exc:
            print(f"luk decide: {exc}", file=sys.stderr)
            return EXIT_USAGE
    else:
        text = report.decision_text(decision, decided_by, *shown, submission.evidence,
                                    proof=args.explain == "proof")
    if not _write(text, args.output, "decide"):
        return EXIT_USAGE
    return EXIT_OK if decision.admissible else EXIT_FAIL


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 100")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not at least 1")
    return value


def _test(args: argparse.Namespace) -> int:
    files, problems = scenarios.find_files(args.paths)
    for p in problems:
        print(f"luk test: {p}", file=sys.stderr)
    if problems:
        return EXIT_USAGE
    if not files:
        print("luk test: no scenario tests (*.scenarios.json) found", file=sys.stderr)
        return EXIT_USAGE
    run = scenarios.run_files(files, engine=args.engine, roots=args.roots)
    for line in report.test_run_lines(run, args.verbose):
        print(line)
    below = False
    if args.coverage or args.min_coverage is not None:
        for line in report.coverage_lines(run):
            print(line)
        if args.min_coverage is not None:
            for line in report.coverage_below_lines(run, args.min_coverage):
                print(line)
                below = True
    if args.junit:
        try:
            Path(args.junit).write_text(scenarios.junit_xml(run), encoding="utf-8")
        except OSError as exc:
            print(f"luk test: cannot write {args.junit}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    passed, failed, errors = run.count("passed"), run.count("failed"), run.count("error")
    print(f"{passed} passed, {failed} failed" + (f", {errors} errors" if errors else ""))
    if errors:
        return EXIT_USAGE
    return EXIT_FAIL if failed or below else EXIT_OK


class _Progress:
    """A progress line on standard error, only when it is a terminal and the run is long."""

    def __init__(self) -> None:
        import time

        self._time = time.monotonic
        self.started = self._time()
        self.shown = False
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int) -> None:
        elapsed = self._time() - self.started
        if not self.enabled or elapsed < 1.0:
            return
        rate = done / elapsed if elapsed else 0.0
        print(f"\rluk diff: {done} cases decided ({rate:,.0f}/s)", end="", file=sys.stderr,
              flush=True)
        self.shown = True

    def close(self) -> None:
        if self.shown:
            print(file=sys.stderr)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


class _Stopped(Exception):
    """SIGTERM or SIGHUP during ``luk diff``: unwind (stopping the workers), then exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise _Stopped(signum)


def _diff(args: argparse.Namespace) -> int:
    """``luk diff``. Ctrl-C stops the workers and exits 130 with one line; SIGTERM and
    SIGHUP stop them too and exit 128 + the signal's number."""
    progress = _Progress()
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            with contextlib.suppress(ValueError):  # not the main thread: leave them be
                previous[getattr(signal, name)] = signal.signal(getattr(signal, name), _stop)
    try:
        return _diff_run(args, progress)
    except KeyboardInterrupt:
        progress.close()
        print("luk diff: interrupted", file=sys.stderr)
        return 130
    except _Stopped as stopped:
        progress.close()
        print(f"luk diff: stopped by {signal.Signals(stopped.signum).name}", file=sys.stderr)
        return 128 + stopped.signum
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _diff_run(args: argparse.Namespace, progress: _Progress) -> int:
    for path in (args.before, args.after):
        if not Path(path).is_file():
            print(f"luk diff: {path}: no such file", file=sys.stderr)
            return EXIT_USAGE
    for path in args.cases:
        if not Path(path).exists():
            print(f"luk diff: {path}: no such file or folder", file=sys.stderr)
            return EXIT_USAGE
    jobs = impact.usable_cpus() if args.jobs is None else args.jobs
    if jobs > impact.max_jobs():
        print(f"luk diff: --jobs {jobs} is more than this machine can use; using at most "
              f"{impact.max_jobs()} ({impact.JOBS_PER_CPU} per CPU, at most {impact.MAX_JOBS})",
              file=sys.stderr)
        jobs = impact.max_jobs()
    try:
        result = impact.compare(args.before, args.after, args.cases, jobs=jobs,
                                engine=args.engine, progress=progress, roots=args.roots)
    except RulesetError as exc:
        progress.close()
        _print_errors(exc)
        print(f"luk diff: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LukError as exc:
        progress.close()
        print(f"luk diff: {exc}", file=sys.stderr)
        return EXIT_USAGE
    progress.close()
    if args.format == "json":
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    elif args.format == "markdown":
        text = report.impact_markdown(result)
    elif args.format == "html":
        try:
            text = html.impact_html(result, *_programmes(args))
        except html.HtmlUnavailable as exc:
            print(f"luk diff: {exc}", file=sys.stderr)
            return EXIT_USAGE
    else:
        text = report.impact_text(result)
    if not _write(text, args.output, "diff"):
        return EXIT_USAGE
    problem = result.gate_problem(args.max_invalid)
    if problem is not None:
        print(f"luk diff: {problem}", file=sys.stderr)
        if result.cases == 0:
            print(f"  looked in: {', '.join(args.cases)}", file=sys.stderr)
        else:
            for line in report.impact_invalid_lines(result, 5):
                print(line, file=sys.stderr)
            if result.valid_cases:
                print("  (--max-invalid N accepts up to N of them)", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FAIL if result.any_changed else EXIT_OK


def _programmes(args: argparse.Namespace) -> tuple[ir.Ruleset, ir.Ruleset]:
    """The two rulesets of ``luk diff`` as checked, for the report's programme titles and
    dates (both compiled already by the comparison, so valid)."""
    before = api.load(args.before, roots=args.roots).ir
    after = api.load(args.after, roots=args.roots).ir
    return before, after


def _audit(args: argparse.Namespace) -> int:
    ruleset = _load_ruleset("audit", args, args.engine)
    if ruleset is None:
        return EXIT_USAGE
    text = _read_submission_text(args.record)
    source = "<stdin>" if args.record == "-" else args.record
    try:
        record = loads(text, source, kind=Record)
        result = ruleset.audit(record, explain=args.explain is not None)
    except RulesetError as exc:
        _print_errors(exc, errors_only=False)
        return EXIT_USAGE
    except SubmissionError as exc:
        print(f"luk audit: {source} is not a valid record:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {source}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.audit_text(result, ruleset.for_date(record.date).ir, record.date.isoformat()))
    return EXIT_OK if result.complete else EXIT_FAIL


def _iso_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (write it as YYYY-MM-DD, e.g. 2025-03-01)") from None


def _law(args: argparse.Namespace) -> int:
    if args.roots and args.ruleset is None:
        print("luk law: --root is for --ruleset", file=sys.stderr)
        return EXIT_USAGE
    on = args.date if args.date is not None else datetime.date.today()
    try:
        found = law.law_report(on, args.ruleset, roots=args.roots,
                               max_file_size=args.max_file_size)
    except RulesetUnreadable as exc:
        print(f"luk law: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RulesetError as exc:
        _print_errors(exc)
        what = args.ruleset if args.ruleset is not None else "the shipped law"
        print(f"luk law: {what} has errors", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(found.to_dict(), indent=2, ensure_ascii=False, sort_keys=True))
    else:
        print(report.law_text(found))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    schema = {"submission": SUBMISSION_SCHEMA, "decision": DECISION_SCHEMA,
              "record": RECORD_SCHEMA, "audit": AUDIT_SCHEMA,
              "scenarios": scenarios.SCENARIOS_SCHEMA, "law": law.LAW_SCHEMA}[args.which]
    if args.ruleset is not None:
        if args.which != "submission":
            print("luk schema: --ruleset is for `luk schema submission`", file=sys.stderr)
            return EXIT_USAGE
        ruleset = _load_ruleset("schema", args)
        if ruleset is None:
            return EXIT_USAGE
        schema = submission_schema(ruleset.ir)
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return EXIT_OK


# ------------------------------------------------------------------ entry


_ESCAPE_ERRORS = "luk_rules.escape"
# What a terminal must not be sent raw: C0 controls but tab and line feed, DEL, C1
# controls, line and paragraph separators, and lone surrogates.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escaped(char: str) -> str:
    """``\\uXXXX`` (two for a character beyond the BMP): readable text, and inside a
    JSON string the very same character."""
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _escape_unencodable(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(_escaped(c) for c in exc.object[exc.start:exc.end]), exc.end


codecs.register_error(_ESCAPE_ERRORS, _escape_unencodable)


class _PrintableStream(io.TextIOBase):
    """Standard output or error as ``luk`` writes to it: control characters (from a
    ruleset, a file name, a submission) are written escaped, never raw. A carriage
    return that starts a write is kept: it redraws a progress line."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target

    def write(self, text: str) -> int:
        start = 1 if text.startswith("\r") else 0
        escaped = text[:start] + _UNPRINTABLE.sub(lambda m: _escaped(m.group()), text[start:])
        self.target.write(escaped)
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.target.encoding


@contextlib.contextmanager
def _printable_output() -> Iterator[None]:
    """For the run of one command: standard output and error survive any encoding
    (what it cannot encode is written ``\\uXXXX``) and never carry control characters."""
    saved = sys.stdout, sys.stderr
    errors: list[tuple[io.TextIOWrapper[Any], str | None]] = []
    for stream in saved:
        if isinstance(stream, io.TextIOWrapper):
            errors.append((stream, stream.errors))
            try:
                stream.reconfigure(errors=_ESCAPE_ERRORS)
            except (ValueError, io.UnsupportedOperation):  # pragma: no cover - closed
                errors.pop()
    if saved[0] is not None:
        sys.stdout = cast(TextIO, _PrintableStream(saved[0]))
    if saved[1] is not None:
        sys.stderr = cast(TextIO, _PrintableStream(saved[1]))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        for stream, old in errors:
            with contextlib.suppress(ValueError, io.UnsupportedOperation):
                stream.reconfigure(errors=old or "strict")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``luk`` with ``argv`` (default: the process's arguments); return the exit code."""
    with _printable_output():
        return _main(argv)


def _explain_words(argv: Sequence[str]) -> list[str]:
    """``--explain`` takes an optional word (``plain``, ``proof``): join a following word
    to it, and give a bare ``--explain`` its default, so that the argument after it is never
    taken for its value (``--explain RULESET ...``)."""
    out: list[str] = []
    words = list(argv)
    if not words or words[0] not in ("decide", "audit"):
        return words  # no other command has `--explain`: let argparse say so as written
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--explain":
            following = words[i + 1] if i + 1 < len(words) else ""
            if following in _EXPLAIN_MODES:
                out.append(f"--explain={following}")
                i += 2
                continue
            word = "--explain=plain"
        elif word == "--":
            out.extend(words[i:])
            break
        out.append(word)
        i += 1
    return out


_EXPLAIN_MODES = ("plain", "proof")


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(_explain_words(sys.argv[1:] if argv is None else argv))
        if not getattr(args, "command", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        code: int = args.run(args)
        return code
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except LukError as exc:
        print(f"luk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("luk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except RecursionError:
        print("luk: the input is nested too deeply to process", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        print(f"luk: internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in luk_rules; please report it with the input that caused it.",
              file=sys.stderr)
        return EXIT_INTERNAL


def run() -> NoReturn:  # pragma: no cover - console script wrapper
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
