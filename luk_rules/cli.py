"""The ``luk`` command. The only module that prints, reads ``sys.argv`` or exits.

Exit codes (DESIGN.md §4): ``check`` 0 clean or warnings only, 1 errors, 2 usage
or unreadable file; ``decide`` 0 admissible, 1 incomplete or inadmissible, 2
invalid ruleset or submission; ``fmt`` 0 done, 1 would change (``--check``) or
does not parse, 2 usage; ``schema`` 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from luk_rules import api, pipeline, printer, report
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
from luk_rules.sources import SourceUnreadable, collect_paths, display_path, read_text
from luk_rules.submission import SUBMISSION_SCHEMA, loads

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
                            "admissible, 1 incomplete or inadmissible, 2 invalid input.")
    decide.add_argument("ruleset", metavar="RULESET")
    decide.add_argument("submission", metavar="SUBMISSION.json",
                        help="the submission (JSON); - reads standard input")
    decide.add_argument("--format", choices=("text", "json"), default="text")
    decide.add_argument("--explain", action="store_true",
                        help="add the proof tree: rules, lines and legal basis")
    decide.add_argument("--engine", choices=ENGINES, default="native")
    decide.set_defaults(run=_decide)

    schema = sub.add_parser("schema", help="print a JSON Schema",
                            description="Print the JSON Schema of a submission or a decision.")
    schema.add_argument("which", choices=("submission", "decision"))
    schema.set_defaults(run=_schema)
    return top


# ------------------------------------------------------------------ commands


def _print_diagnostics(diagnostics: Sequence[Diagnostic], sources: dict[str, str],
                       stream: TextIO) -> None:
    for d in sorted(diagnostics, key=sort_key):
        print(render_text(d, sources), file=stream)
        print(file=stream)


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
    unreadable = bool(problems)
    for path in files:
        try:
            analysis = pipeline.analyse(path)
        except RulesetUnreadable as exc:
            print(f"luk check: {exc}", file=sys.stderr)
            unreadable = True
            continue
        found.update(analysis.diagnostics)
        sources.update(analysis.workspace.texts)
    diagnostics = sorted(found, key=sort_key)
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    if args.format == "json":
        print(render_json(diagnostics))
    else:
        _print_diagnostics(diagnostics, sources, sys.stdout)
        print(_summary(errors, warnings, len(files)))
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
    if name == "-":
        return sys.stdin.read()
    try:
        return read_text(Path(name), name)
    except SourceUnreadable as exc:
        raise UsageError(f"luk decide: {exc}") from None


def _decide(args: argparse.Namespace) -> int:
    try:
        ruleset = api.load(args.ruleset, engine=args.engine)
    except RulesetUnreadable as exc:
        print(f"luk decide: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RulesetError as exc:
        _print_diagnostics([d for d in exc.diagnostics if d.is_error], exc.sources, sys.stderr)
        print(f"luk decide: {args.ruleset} is not a valid ruleset", file=sys.stderr)
        return EXIT_USAGE
    except EngineUnavailable as exc:
        print(f"luk decide: {exc}", file=sys.stderr)
        return EXIT_USAGE
    text = _read_submission_text(args.submission)
    source = "<stdin>" if args.submission == "-" else args.submission
    try:
        submission = loads(text, source)
        decision = ruleset.decide(submission, explain=args.explain)
    except SubmissionError as exc:
        print(f"luk decide: {source} is not a valid submission:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {source}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.decision_text(decision, ruleset.ir, submission.form,
                                   submission.date.isoformat(), submission.assessment))
    return EXIT_OK if decision.admissible else EXIT_FAIL


def _schema(args: argparse.Namespace) -> int:
    schema = SUBMISSION_SCHEMA if args.which == "submission" else DECISION_SCHEMA
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return EXIT_OK


# ------------------------------------------------------------------ entry


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``luk`` with ``argv`` (default: the process's arguments); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
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
