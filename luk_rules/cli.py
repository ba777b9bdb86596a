"""The ``luk`` command. The only module that prints, reads ``sys.argv`` or exits.

Exit codes (docs/contracts.md#the-command-line): ``check`` 0 clean or warnings only,
1 errors, 2 usage or unreadable file; ``decide`` 0 admissible, 1 incomplete or inadmissible, 2
invalid ruleset or submission; ``audit`` 0 complete, 1 incomplete, 2 invalid
input; ``test`` 0 all pass, 1 failures, 2 errors; ``diff`` 0 nothing changed, 1
some case changed status (one valid on one side only included), 2 errors (also no
cases, no valid case, more invalid under both than ``--max-invalid``, a Dask scheduler
that cannot be reached or Dask not installed for ``--scheduler``), 130 on
Ctrl-C; ``fmt`` 0 done, 1 would change (``--check``) or does not parse, 2 usage;
``schema`` 0, 2 for ``--ruleset`` with another schema or an invalid ruleset; ``law`` 0
listed, 2 on a bad date, an unreadable ruleset or one (or a law file) with errors; ``serve``
0 when stopped by SIGINT or SIGTERM, 2 without the ``serve`` extra or a folder; every
command 2 on a wrong command line and 3 on an internal error (a bug).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import datetime
import io
import json
import math
import os
import re
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from luk_rules import api, distributed, html, impact, ir, law, pipeline, printer, report, scenarios
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
from luk_rules.i18n import LANGUAGES, Lang, Message, default_language, msg, msgn, say
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
    """A wrong command line or an unreadable input file: exit 2 (its text is in the
    command's language already)."""


def _help(text: Message, lang: Lang) -> str:
    """A help text for argparse, in ``lang``. argparse %-formats every help text, so a
    ``%`` is doubled here, after translation: no catalogue can break it."""
    return say(text, lang).replace("%", "%%")


class _Formatter(argparse.HelpFormatter):
    """argparse's help and usage, with the ``usage:`` prefix in the parser's language."""

    def __init__(self, prog: str, lang: Lang = "en") -> None:
        super().__init__(prog)
        self._lang: Lang = lang

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[Any], prefix: str | None = None) -> None:
        if prefix is None:
            # Translators: the start of the usage line of a command; keep the space at the end.
            prefix = say(msg("usage: "), self._lang)
        super().add_usage(usage, actions, groups, prefix)


class _Parser(argparse.ArgumentParser):
    """An argument parser that speaks ``lang``: its usage line, section titles, ``-h``
    and the errors argparse reports (:func:`_argparse_message`)."""

    def __init__(self, *args: Any, lang: Lang = "en", **kwargs: Any) -> None:
        self.lang: Lang = lang
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = say(msg("positional arguments"), lang)
        self._optionals.title = say(msg("options"), lang)
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help=_help(msg("show this help message and exit"), lang))

    def _get_formatter(self) -> argparse.HelpFormatter:
        return _Formatter(self.prog, self.lang)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(f"{self.prog}: {say(_argparse_message(message), self.lang)}")


# argparse's own errors (Python 3.11-3.13), by their English text; what is not here is
# shown as argparse wrote it.
_ARGUMENT = re.compile(r"argument (?P<argument>[^:]+?): (?P<problem>.*)", re.DOTALL)
_ARGPARSE_ERRORS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Message]], ...] = (
    (re.compile(r"the following arguments are required: (?P<names>.+)", re.DOTALL),
     lambda m: msg("the following arguments are required: {names}", names=m["names"])),
    (re.compile(r"unrecognized arguments: (?P<words>.*)", re.DOTALL),
     lambda m: msg("unrecognized arguments: {words}", words=m["words"])),
    (re.compile(r"one of the arguments (?P<names>.+) is required", re.DOTALL),
     lambda m: msg("one of the arguments {names} is required", names=m["names"])),
    (re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)", re.DOTALL),
     lambda m: msg("ambiguous option: {option} could match {matches}", option=m["option"],
                   matches=m["matches"])),
    (re.compile(r"invalid choice: (?P<value>.+) \(choose from (?P<choices>.+)\)", re.DOTALL),
     lambda m: msg("invalid choice: {value} (choose from {choices})", value=m["value"],
                   choices=m["choices"])),
    (re.compile(r"expected one argument"), lambda m: msg("expected one argument")),
    (re.compile(r"expected at most one argument"),
     lambda m: msg("expected at most one argument")),
    (re.compile(r"expected at least one argument"),
     lambda m: msg("expected at least one argument")),
    (re.compile(r"invalid (?P<type>\S+) value: (?P<value>.+)", re.DOTALL),
     lambda m: msg("invalid {type} value: {value}", type=m["type"], value=m["value"])),
    (re.compile(r"not allowed with argument (?P<other>.+)", re.DOTALL),
     lambda m: msg("not allowed with argument {other}", other=m["other"])),
    (re.compile(r"ignored explicit argument (?P<value>.+)", re.DOTALL),
     lambda m: msg("ignored explicit argument {value}", value=m["value"])),
)


def _argparse_message(message: str) -> str:
    """An error argparse reports, as a :class:`Message` when it is one of the common ones
    (an argument's problem keeps its ``argument NAME:`` head); any other as it is."""
    head = _ARGUMENT.fullmatch(message)
    problem = head["problem"] if head else message
    for pattern, make in _ARGPARSE_ERRORS:
        found = pattern.fullmatch(problem)
        if found:
            translated: str = make(found)
            break
    else:
        translated = problem
    if head is None:
        return translated
    # Translators: an error in one argument of the command line; NAME is as typed.
    return msg("argument {argument}: {problem}", argument=head["argument"], problem=translated)


def _command(sub: Any, name: str, help: Message, description: Message, lang: Lang
             ) -> argparse.ArgumentParser:
    """A subcommand, its help and description in ``lang``."""
    command: argparse.ArgumentParser = sub.add_parser(
        name, help=_help(help, lang), description=say(description, lang), lang=lang)
    return command


def _parser(lang: Lang = "en") -> argparse.ArgumentParser:
    top = _Parser(
        prog="luk",
        description=say(msg(
            "Exam regulations as rules: check rulesets and decide whether a combination of "
            "evidence for units of learning outcomes is admissible."), lang),
        lang=lang,
    )
    top.add_argument("--version", action="version", version="luk 0.1.0",
                     help=_help(msg("show program's version number and exit"), lang))
    sub = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = _command(sub, "check", msg("parse and statically check rulesets"), msg(
        "Parse and check rulesets (files or folders of .luk files). Exit 0 when clean or "
        "warnings only, 1 on errors, 2 when a path cannot be read."), lang)
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--engine", choices=ENGINES, default="native", help=_help(
        msg("also report what this engine cannot run (durable has limits)"), lang))
    _add_roots(check, lang)
    _add_lang(check, lang)
    check.set_defaults(run=_check)

    fmt = _command(sub, "fmt", msg("rewrite rulesets in canonical layout"),
                   msg("Rewrite .luk files in canonical layout, keeping comments."), lang)
    fmt.add_argument("paths", nargs="+", metavar="PATH")
    mode = fmt.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help=_help(
        msg("change nothing; exit 1 when a file is not in canonical layout"), lang))
    mode.add_argument("--stdout", action="store_true", help=_help(
        msg("print the formatted text instead of rewriting the file"), lang))
    _add_lang(fmt, lang)
    fmt.set_defaults(run=_fmt)

    decide = _command(sub, "decide", msg("decide a submission"), msg(
        "Decide whether a submission is admissible. Exit 0 admissible, 1 incomplete or "
        "inadmissible, 2 invalid input (or --format html without Jinja2 installed)."), lang)
    decide.add_argument("ruleset", metavar="RULESET")
    decide.add_argument("submission", metavar="SUBMISSION.json", help=_help(
        msg("the submission (JSON); - reads standard input"), lang))
    decide.add_argument("--format", choices=("text", "json", "html"), default="text",
                        help=_help(msg(
                            "text (default), json (docs/semantics.md), or html: a printable "
                            "decision letter, one self-contained page ending in the "
                            "programme's closing text (needs the `html` extra: pip install "
                            "'luk-rules[html]')"), lang))
    _add_output(decide, lang)
    decide.add_argument("--explain", nargs="?", const="plain", choices=_EXPLAIN_MODES,
                        help=_help(msg(
                            "add why: in plain words (the default: the law, the route, what "
                            "counts and what is missing, each with its rule and basis), or "
                            "`proof` for the proof tree of every conclusion; JSON always "
                            "gives the proof trees"), lang))
    decide.add_argument("--engine", choices=ENGINES, default="native")
    _add_roots(decide, lang)
    _add_lang(decide, lang)
    decide.set_defaults(run=_decide)

    test = _command(sub, "test", msg("run the scenario tests beside rulesets"), msg(
        "Run the scenario tests (*.scenarios.json) in or beside the given files and folders. "
        "Exit 0 when all pass, 1 on failures, 2 on errors."), lang)
    test.add_argument("paths", nargs="+", metavar="PATH")
    test.add_argument("-v", "--verbose", action="store_true",
                      help=_help(msg("list passing cases too"), lang))
    test.add_argument("--coverage", action="store_true", help=_help(
        msg("report, per ruleset, the rules that can fire for its programme that no scenario "
            "fired, and those that cannot fire for it (not counted) with why"), lang))
    test.add_argument("--min-coverage", type=_percent(lang), metavar="P", help=_help(
        msg("fail (exit 1) when in some ruleset less than P% of the rules that can fire for "
            "its programme fired; implies --coverage"), lang))
    test.add_argument("--junit", metavar="FILE",
                      help=_help(msg("also write JUnit XML to FILE"), lang))
    test.add_argument("--engine", choices=ENGINES, default="native")
    _add_roots(test, lang, size=False)
    _add_lang(test, lang)
    test.set_defaults(run=_test)

    diff = _command(sub, "diff", msg("compare two rulesets on a corpus of cases"), msg(
        "Decide every case under BEFORE and AFTER and report the cases whose status changes, "
        "grouped by reason. CASES are .json files, .jsonl files (one submission a line) or "
        "folders of them. Exit 0 when no status changed, 1 when some did (a case valid under "
        "one ruleset only has changed), 2 on errors: a broken ruleset, no cases, no case "
        "valid under either ruleset, more cases invalid under both than --max-invalid "
        "allows, or a worker process killed. Ctrl-C: exit 130; SIGTERM: 143."), lang)
    diff.add_argument("before", metavar="BEFORE")
    diff.add_argument("after", metavar="AFTER")
    diff.add_argument("cases", nargs="+", metavar="CASES")
    diff.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text",
                      help=_help(msg(
                          "text (default), json, markdown, or html: a self-contained report "
                          "for policy advisers with a chart of the status transitions (needs "
                          "the `html` extra: pip install 'luk-rules[html]')"), lang))
    _add_output(diff, lang)
    diff.add_argument("--jobs", type=_positive(lang), default=None, metavar="N", help=_help(msg(
        "worker processes (default: the number of CPUs). At most one per {per_worker} cases; "
        "more than {per_cpu} per CPU (or more than {most}) is lowered to that, with a note "
        "on stderr", per_worker=impact.PER_WORKER, per_cpu=impact.JOBS_PER_CPU,
        most=impact.MAX_JOBS), lang))
    diff.add_argument("--scheduler", metavar="ADDRESS", help=_help(msg(
        "decide the cases on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786) "
        "instead of in local processes, with the same report; CASES may then also be URLs "
        "the workers read (file:// on a shared file system, s3://, ...). Needs the `dask` "
        "extra: pip install 'luk-rules[dask]'"), lang))
    diff.add_argument("--storage-option", type=_storage_option(lang), action="append",
                      default=[], metavar="KEY=VALUE", help=_help(msg(
                          "an option for fsspec when the workers read URLs (with "
                          "--scheduler), such as anon=true for a public s3:// bucket or "
                          "endpoint_url=https://... for another S3 store; VALUE is read as "
                          "JSON when it is JSON (true, 3, an object), else as text; "
                          "repeatable"), lang))
    diff.add_argument("--max-invalid", type=_count(lang), default=0, metavar="N", help=_help(msg(
        "cases invalid under both rulesets (not compared) to accept (default 0); more is an "
        "error, exit 2"), lang))
    diff.add_argument("--engine", choices=ENGINES, default="native")
    _add_roots(diff, lang, size=False)
    _add_lang(diff, lang)
    diff.set_defaults(run=_diff)

    audit = _command(sub, "audit", msg("audit a study record for the diploma"), msg(
        "Check a study record against the exam programme: required units, elective groups, "
        "credits, expired results, exemptions. Exit 0 complete, 1 incomplete, 2 invalid "
        "input."), lang)
    audit.add_argument("ruleset", metavar="RULESET")
    audit.add_argument("record", metavar="RECORD.json", help=_help(
        msg("the study record (JSON); - reads standard input"), lang))
    audit.add_argument("--format", choices=("text", "json"), default="text")
    audit.add_argument("--explain", nargs="?", const="plain", choices=_EXPLAIN_MODES,
                       help=_help(msg(
                           "add why: in plain words (the default: the credits that count, "
                           "each result that does not and why, the basis of each finding and "
                           "what would resolve it), or `proof` for the proof of every finding "
                           "and of the credits counted; JSON always gives the proofs"), lang))
    audit.add_argument("--engine", choices=ENGINES, default="native")
    _add_roots(audit, lang)
    _add_lang(audit, lang)
    audit.set_defaults(run=_audit)

    law_cmd = _command(sub, "law", msg(
        "list the law regimes and which one is in force on a date"), msg(
        "List the law regimes (the shipped law, or those of --ruleset) with their period, "
        "status, basis, source and clauses, and which regime governs programmes of each form "
        "and level on DATE: of the regimes in force, the latest whose own permits cover the "
        "form (for a ruleset: its programme's forms and level, by its facts). Exit 0, or 2 "
        "on a bad date, an unreadable ruleset or one with errors."), lang)
    law_cmd.add_argument("date", nargs="?", type=_iso_date(lang), metavar="DATE",
                         help=_help(msg("the date, YYYY-MM-DD (default: today)"), lang))
    law_cmd.add_argument("--ruleset", metavar="FILE", help=_help(msg(
        "list this ruleset's regimes (those its programme stands under, with what they "
        "extend, and its own) instead of the shipped law"), lang))
    law_cmd.add_argument("--format", choices=("text", "json"), default="text")
    _add_roots(law_cmd, lang)
    _add_lang(law_cmd, lang)
    law_cmd.set_defaults(run=_law)

    serve = _command(sub, "serve", msg("serve the rulesets of a folder over HTTP"), msg(
        "Serve every ruleset under FOLDER over HTTP (JSON; docs/serve.md): decide, verdict, "
        "audit and batch decisions (JSON Lines, streamed both ways), the JSON Schemas and an "
        "OpenAPI description. A ruleset is reloaded in the background when one of its files "
        "changes (see --poll). Runs until SIGINT or SIGTERM, then exits 0; 2 when FOLDER is "
        "not a folder or the `serve` extra is not installed."), lang)
    serve.add_argument("folder", metavar="FOLDER")
    serve.add_argument("--host", default="127.0.0.1", help=_help(
        msg("the address to listen on (default 127.0.0.1)"), lang))
    serve.add_argument("--port", type=_positive(lang), default=8000, metavar="P",
                       help=_help(msg("the port to listen on (default 8000)"), lang))
    serve.add_argument("--workers", type=_positive(lang), default=1, metavar="N",
                       help=_help(msg("worker processes (default 1)"), lang))
    serve.add_argument("--max-body", type=_positive(lang), default=1 << 20, metavar="BYTES",
                       help=_help(msg(
                           "the largest request body, refused with 413 when larger, and the "
                           "largest line of a batch, answered with an error for that line "
                           "when longer; a batch as a whole has no limit (default {size:,} "
                           "bytes)", size=1 << 20), lang))
    serve.add_argument("--poll", type=_seconds(lang), default=1.0, metavar="SECONDS",
                       help=_help(msg(
                           "how often to look for changed ruleset files, in the background; "
                           "only the rulesets whose files changed are loaded again (default "
                           "1 second; 0: never)"), lang))
    serve.add_argument("--shutdown-timeout", type=_seconds(lang), default=30.0,
                       metavar="SECONDS", help=_help(msg(
                           "on SIGINT or SIGTERM, how long requests under way may take to "
                           "finish before they are cut off (a batch's answer then ends "
                           "unfinished, so that the client sees it is incomplete; default "
                           "30 seconds; 0: at once)"), lang))
    serve.add_argument("--no-access-log", action="store_true",
                       help=_help(msg("do not log every request"), lang))
    _add_roots(serve, lang)
    _add_lang(serve, lang)
    serve.set_defaults(run=_serve)

    schema = _command(sub, "schema", msg("print a JSON Schema"), msg(
        "Print the JSON Schema of a submission, a decision, a study record, an audit, a "
        "scenario file (`luk test`) or `luk law --format json`."), lang)
    schema.add_argument("which",
                        choices=("submission", "decision", "record", "audit", "scenarios", "law"))
    schema.add_argument("--ruleset", metavar="FILE", help=_help(msg(
        "for `submission`: include the evidence fields this ruleset declares"), lang))
    _add_roots(schema, lang)
    _add_lang(schema, lang)
    schema.set_defaults(run=_schema)

    lsp = _command(sub, "lsp", msg("run the language server for editors"), msg(
        "Run the luk language server on standard input and output (the Language Server "
        "Protocol): diagnostics as you type, hover, go to definition, completion, formatting "
        "and document symbols (docs/editor.md). Needs the `lsp` extra (pygls); without it, "
        "exit 2."), lang)
    _add_lang(lsp, lang)
    lsp.set_defaults(run=_lsp)
    return top


def _add_output(command: argparse.ArgumentParser, lang: Lang) -> None:
    command.add_argument("-o", "--output", metavar="FILE", help=_help(msg(
        "write the result to FILE (UTF-8) instead of standard output; the exit code is the "
        "same"), lang))


def _write(text: str, output: str | None, command: str, lang: Lang) -> bool:
    """``text`` (ending in a newline) on standard output or into the file ``output``;
    False, said on standard error, when the file cannot be written."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return True
    try:
        Path(output).write_text(text if text.endswith("\n") else text + "\n",
                                encoding="utf-8")
    except OSError as exc:
        _complain(command, msg("cannot write {path}: {reason}", path=output,
                               reason=exc.strerror or str(exc)), lang)
        return False
    return True


def _write_with(write: Callable[[TextIO], None], output: str | None, command: str,
                lang: Lang) -> bool:
    """Like :func:`_write`, for a result that ``write`` writes piece by piece (without a
    newline at the end) to standard output or into the file ``output``."""
    if output is None:
        write(sys.stdout)
        sys.stdout.write("\n")
        return True
    try:
        with open(output, "w", encoding="utf-8") as handle:
            write(handle)
            handle.write("\n")
    except OSError as exc:
        _complain(command, msg("cannot write {path}: {reason}", path=output,
                               reason=exc.strerror or str(exc)), lang)
        return False
    return True


def _complain(command: str | None, text: str, lang: Lang) -> None:
    """``luk COMMAND: text`` on standard error, the text in ``lang``."""
    head = "luk" if command is None else f"luk {command}"
    print(f"{head}: {say(text, lang)}", file=sys.stderr)


def _said(exc: BaseException, lang: Lang) -> str:
    """What an exception says, in ``lang``: by its ``describe(lang)`` or ``in_language(lang)``
    when it has one, or its message when it was raised with one; else its text as it is."""
    for method in ("describe", "in_language"):
        render = getattr(exc, method, None)
        if callable(render):
            return str(render(lang))
    if (len(exc.args) == 1 and isinstance(exc.args[0], Message)
            and type(exc).__str__ is BaseException.__str__):
        return say(exc.args[0], lang)
    return str(exc)


def _add_lang(command: argparse.ArgumentParser, lang: Lang) -> None:
    command.add_argument("--lang", choices=LANGUAGES, default=lang, help=_help(msg(
        "the language of what luk writes: en or nl (default: from the locale, LANGUAGE, "
        "LC_ALL, LC_MESSAGES or LANG; English when it is neither)"), lang))


def _language(argv: Sequence[str], environ: Mapping[str, str]) -> Lang:
    """The language asked for on the command line (``--lang nl``, ``--lang=nl``; the last
    wins, and nothing after ``--``), else the locale's; read before the parser is built,
    so that its help is in that language too. A value that is no language is left for the
    parser to report."""
    chosen: Lang | None = None
    for i, word in enumerate(argv):
        if word == "--":
            break
        value = (argv[i + 1] if word == "--lang" and i + 1 < len(argv)
                 else word.partition("=")[2] if word.startswith("--lang=") else None)
        if value is not None and value in LANGUAGES:
            chosen = value
    return chosen or default_language(environ)


def _add_roots(command: argparse.ArgumentParser, lang: Lang, size: bool = True) -> None:
    command.add_argument(
        "--root", action="append", default=[], metavar="DIR", dest="roots", help=_help(msg(
            "a further folder the ruleset may read from (include, replaces, law regimes); by "
            "default only the ruleset's own folder, a `law` folder beside it and the shipped "
            "law; repeatable"), lang))
    if not size:
        return
    command.add_argument(
        "--max-file-size", type=_positive(lang), default=DEFAULT_MAX_FILE_SIZE,
        metavar="BYTES", help=_help(msg(
            "the largest file a ruleset may read (default {size:,} bytes)",
            size=DEFAULT_MAX_FILE_SIZE), lang))


# ------------------------------------------------------------------ commands


def _print_diagnostics(diagnostics: Sequence[Diagnostic], sources: dict[str, str],
                       stream: TextIO, lang: Lang) -> None:
    for d in sorted(diagnostics, key=sort_key):
        print(render_text(d, sources, lang), file=stream)
        print(file=stream)


def _print_errors(exc: RulesetError, lang: Lang, errors_only: bool = True) -> None:
    """A ruleset's diagnostics on standard error, its files named as the user finds them."""
    diagnostics, sources = exc.for_person()
    _print_diagnostics([d for d in diagnostics if d.is_error or not errors_only], sources,
                       sys.stderr, lang)


def _summary(errors: int, warnings: int, files: int) -> Message:
    return msg("checked {files}: {errors}, {warnings}",
               files=msgn("{n} file", "{n} files", files),
               errors=msgn("{n} error", "{n} errors", errors),
               warnings=msgn("{n} warning", "{n} warnings", warnings))


def _check(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    files, problems = collect_paths(args.paths)
    for p in problems:
        _complain("check", p, lang)
    found: set[Diagnostic] = set()
    sources: dict[str, str] = {}
    unreadable = len(problems)
    for path in files:
        try:
            analysis = pipeline.analyse(path, roots=args.roots, max_file_size=args.max_file_size)
        except RulesetUnreadable as exc:
            _complain("check", _said(exc, lang), lang)
            unreadable += 1
            continue
        except RecursionError:  # this file only: the others are still checked
            _complain("check", msg("{path}: nested too deeply to check",
                                   path=display_path(path)), lang)
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
        print(render_json(diagnostics, lang))
    else:
        _print_diagnostics(diagnostics, sources, sys.stdout, lang)
        summary = _summary(errors, warnings, len(files) - (unreadable - len(problems)))
        if unreadable:
            summary = msg("{summary}; {n} could not be read", summary=summary, n=unreadable)
        print(say(summary, lang))
    if unreadable or (not files and not problems):
        if not files and not problems:
            _complain("check", msg("no .luk files found"), lang)
        return EXIT_USAGE
    return EXIT_FAIL if errors else EXIT_OK


def _fmt(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    files, problems = collect_paths(args.paths)
    for p in problems:
        _complain("fmt", p, lang)
    if problems:
        return EXIT_USAGE
    status = EXIT_OK
    for path in files:
        shown = display_path(path)
        try:
            text = read_text(path, shown)
        except SourceUnreadable as exc:
            _complain("fmt", _said(exc, lang), lang)
            return EXIT_USAGE
        try:
            formatted = printer.print_module(parse(text, shown))
        except ParseFailed as failed:
            _print_diagnostics(failed.diagnostics, {shown: text}, sys.stderr, lang)
            status = EXIT_FAIL
            continue
        if args.stdout:
            sys.stdout.write(formatted)
        elif args.check:
            if formatted != text:
                print(say(msg("{path}: not in canonical layout (run `luk fmt {path}`)",
                              path=shown), lang))
                status = EXIT_FAIL
        elif formatted != text:
            path.write_text(formatted, encoding="utf-8")
            print(say(msg("formatted {path}", path=shown), lang))
    return status


def _read_submission_text(name: str, lang: Lang) -> str:
    """The text of a submission or record file, or of standard input for ``-``: both
    read as bytes and refused the same way (not UTF-8, larger than the limit)."""
    if name != "-":
        try:
            return read_text(Path(name), name)
        except SourceUnreadable as exc:
            raise UsageError(f"luk: {_said(exc, lang)}") from None
    stream = sys.stdin
    if stream is None:
        raise UsageError("luk: " + say(msg("{path}: cannot read: there is no standard input",
                                           path="<stdin>"), lang))
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text stream put in place by an embedding program
        return stream.read()
    data: bytes = buffer.read(DEFAULT_MAX_FILE_SIZE + 1)
    if len(data) > DEFAULT_MAX_FILE_SIZE:
        raise UsageError("luk: " + say(msg("{path}: cannot read: larger than {size:,} bytes",
                                           path="<stdin>", size=DEFAULT_MAX_FILE_SIZE), lang))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError("luk: " + say(msg(
            "{path}: cannot read: not UTF-8 text (byte {byte})", path="<stdin>",
            byte=exc.start), lang)) from None


def _load_ruleset(command: str, args: argparse.Namespace, engine: str = "native"
                  ) -> api.Ruleset | None:
    """The command's ruleset (``args.ruleset``), or None once it has said why not (the
    command then exits 2)."""
    lang: Lang = args.lang
    try:
        return api.load(args.ruleset, engine=engine, roots=args.roots,
                        max_file_size=args.max_file_size)
    except RulesetUnreadable as exc:
        _complain(command, _said(exc, lang), lang)
    except RulesetError as exc:
        _print_errors(exc, lang)
        _complain(command, msg("{path} is not a valid ruleset", path=args.ruleset), lang)
    except EngineUnavailable as exc:
        _complain(command, _said(exc, lang), lang)
    return None


def _print_problems(command: str, source: str, exc: SubmissionError, record: bool,
                    lang: Lang) -> None:
    """Why a submission or record is invalid: a line for each problem."""
    _complain(command, msg("{source} is not a valid record:", source=source) if record
              else msg("{source} is not a valid submission:", source=source), lang)
    for problem in exc.problems:
        print(f"  {source}: {problem.path}: {say(problem.message, lang)}", file=sys.stderr)


def _decide(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    ruleset = _load_ruleset("decide", args, args.engine)
    if ruleset is None:
        return EXIT_USAGE
    text = _read_submission_text(args.submission, lang)
    source = "<stdin>" if args.submission == "-" else args.submission
    try:
        submission = loads(text, source, fields=ruleset.fields)
        decision = ruleset.decide(submission, explain=args.explain is not None, lang=lang)
    except SubmissionError as exc:
        _print_problems("decide", source, exc, False, lang)
        return EXIT_USAGE
    decided_by = ruleset.for_date(submission.date).ir
    shown = (submission.form, submission.date.isoformat(), submission.assessment)
    if args.format == "json":
        text = json.dumps(decision.to_dict(), indent=2, ensure_ascii=False)
    elif args.format == "html":
        try:
            text = html.decision_html(decision, decided_by, *shown, lang=lang)
        except html.HtmlUnavailable as exc:
            _complain("decide", _said(exc, lang), lang)
            return EXIT_USAGE
    else:
        text = report.decision_text(decision, decided_by, *shown, submission.evidence,
                                    proof=args.explain == "proof", lang=lang)
    if not _write(text, args.output, "decide", lang):
        return EXIT_USAGE
    return EXIT_OK if decision.admissible else EXIT_FAIL


# The types of arguments: each says what is wrong in the command's language.


def _percent(lang: Lang) -> Callable[[str], float]:
    def percent(text: str) -> float:
        try:
            value = float(text.rstrip("%"))
        except ValueError:
            raise argparse.ArgumentTypeError(say(msg(
                "{value} is not a percentage", value=repr(text)), lang)) from None
        if not 0 <= value <= 100:
            raise argparse.ArgumentTypeError(say(msg(
                "{value} is not between 0 and 100", value=repr(text)), lang))
        return value
    return percent


def _whole(text: str, lang: Lang) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(say(msg(
            "{value} is not a whole number", value=repr(text)), lang)) from None


def _positive(lang: Lang) -> Callable[[str], int]:
    return _at_least(1, lang)


def _count(lang: Lang) -> Callable[[str], int]:
    return _at_least(0, lang)


def _at_least(least: int, lang: Lang) -> Callable[[str], int]:
    """A whole number of at least ``least`` (0 or 1), else a message in ``lang``."""
    def number(text: str) -> int:
        value = _whole(text, lang)
        if value < least:
            raise argparse.ArgumentTypeError(say(
                msg("{value} is negative", value=repr(text)) if least == 0 else
                msg("{value} is not at least 1", value=repr(text)), lang))
        return value
    return number


def _storage_option(lang: Lang) -> Callable[[str], tuple[str, object]]:
    """``KEY=VALUE``: the value as JSON when it parses as JSON, else as text."""
    def option(text: str) -> tuple[str, object]:
        key, equals, value = text.partition("=")
        if not equals or not key.strip() or key != key.strip():
            raise argparse.ArgumentTypeError(say(msg(
                "{value} is not KEY=VALUE", value=repr(text)), lang))
        try:
            return key, json.loads(value)
        except ValueError:
            return key, value
    return option


def _seconds(lang: Lang) -> Callable[[str], float]:
    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(say(msg(
                "{value} is not a number of seconds", value=repr(text)), lang))
        if value < 0:
            raise argparse.ArgumentTypeError(say(msg(
                "{value} is negative", value=repr(text)), lang))
        return value
    return seconds


def _iso_date(lang: Lang) -> Callable[[str], datetime.date]:
    def iso_date(text: str) -> datetime.date:
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(say(msg(
                "{value} is not a date (write it as YYYY-MM-DD, e.g. 2025-03-01)",
                value=repr(text)), lang)) from None
    return iso_date


def _test(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    files, problems = scenarios.find_files(args.paths)
    for p in problems:
        _complain("test", p, lang)
    if problems:
        return EXIT_USAGE
    if not files:
        _complain("test", msg("no scenario tests (*.scenarios.json) found"), lang)
        return EXIT_USAGE
    run = scenarios.run_files(files, engine=args.engine, roots=args.roots)
    for line in report.test_run_lines(run, args.verbose, lang):
        print(line)
    below = False
    if args.coverage or args.min_coverage is not None:
        for line in report.coverage_lines(run, lang):
            print(line)
        if args.min_coverage is not None:
            for line in report.coverage_below_lines(run, args.min_coverage, lang):
                print(line)
                below = True
    if args.junit:
        try:
            Path(args.junit).write_text(scenarios.junit_xml(run), encoding="utf-8")
        except OSError as exc:
            _complain("test", msg("cannot write {path}: {reason}", path=args.junit,
                                  reason=str(exc)), lang)
            return EXIT_USAGE
    passed, failed, errors = run.count("passed"), run.count("failed"), run.count("error")
    if errors:
        print(say(msg("{passed} passed, {failed} failed, {errors}", passed=passed,
                      failed=failed, errors=msgn("{n} error", "{n} errors", errors)), lang))
    else:
        print(say(msg("{passed} passed, {failed} failed", passed=passed, failed=failed), lang))
    if errors:
        return EXIT_USAGE
    return EXIT_FAIL if failed or below else EXIT_OK


class _Progress:
    """A progress line on standard error, only when it is a terminal and the run is long."""

    def __init__(self, lang: Lang = "en") -> None:
        import time

        self._time = time.monotonic
        self.started = self._time()
        self.shown = False
        self.enabled = sys.stderr.isatty()
        self.lang: Lang = lang

    def __call__(self, done: int) -> None:
        elapsed = self._time() - self.started
        if not self.enabled or elapsed < 1.0:
            return
        rate = done / elapsed if elapsed else 0.0
        line = say(msgn("{n} case decided ({rate:,.0f}/s)", "{n} cases decided ({rate:,.0f}/s)",
                        done, rate=rate), self.lang)
        print(f"\rluk diff: {line}", end="", file=sys.stderr, flush=True)
        self.shown = True

    def close(self) -> None:
        if self.shown:
            print(file=sys.stderr)


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
    lang: Lang = args.lang
    progress = _Progress(lang)
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            with contextlib.suppress(ValueError):  # not the main thread: leave them be
                previous[getattr(signal, name)] = signal.signal(getattr(signal, name), _stop)
    try:
        return _diff_run(args, progress)
    except KeyboardInterrupt:
        progress.close()
        _complain("diff", msg("interrupted"), lang)
        return 130
    except _Stopped as stopped:
        progress.close()
        _complain("diff", msg("stopped by {signal}",
                              signal=signal.Signals(stopped.signum).name), lang)
        return 128 + stopped.signum
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _diff_run(args: argparse.Namespace, progress: _Progress) -> int:
    lang: Lang = args.lang
    for path in (args.before, args.after):
        if not Path(path).is_file():
            _complain("diff", msg("{path}: no such file", path=path), lang)
            return EXIT_USAGE
    cluster = args.scheduler is not None
    for path in args.cases:
        if not Path(path).exists() and not (cluster and distributed.is_url(path)):
            _complain("diff", msg("{path}: no such file or folder", path=path), lang)
            return EXIT_USAGE
    if args.storage_option and not cluster:
        _complain("diff", msg("--storage-option is for the URLs the workers of a Dask cluster "
                              "read: give --scheduler too"), lang)
        return EXIT_USAGE
    if cluster and args.jobs is not None:
        _complain("diff", msg("--jobs and --scheduler cannot be used together: with "
                              "--scheduler the cluster's workers decide the cases"), lang)
        return EXIT_USAGE
    jobs = impact.usable_cpus() if args.jobs is None else args.jobs
    if jobs > impact.max_jobs() and not cluster:
        _complain("diff", msg(
            "--jobs {jobs} is more than this machine can use; using at most {usable} "
            "({per_cpu} per CPU, at most {most})", jobs=jobs, usable=impact.max_jobs(),
            per_cpu=impact.JOBS_PER_CPU, most=impact.MAX_JOBS), lang)
        jobs = impact.max_jobs()
    client = None
    try:
        if cluster:
            client = distributed.connect(args.scheduler)
        result = impact.compare(args.before, args.after, args.cases, jobs=jobs,
                                engine=args.engine, progress=progress, roots=args.roots,
                                client=client, storage_options=dict(args.storage_option))
    except RulesetError as exc:
        progress.close()
        _print_errors(exc, lang)
        _complain("diff", _said(exc, lang), lang)
        return EXIT_USAGE
    except LukError as exc:
        progress.close()
        _complain("diff", _said(exc, lang), lang)
        return EXIT_USAGE
    finally:
        if client is not None:
            with contextlib.suppress(Exception):  # the report does not depend on a clean close
                client.close()
    progress.close()
    if args.format == "json":  # written a case at a time: the cases may be millions
        if not _write_with(result.write_json, args.output, "diff", lang):
            return EXIT_USAGE
        text = None
    elif args.format == "markdown":
        text = report.impact_markdown(result, lang)
    elif args.format == "html":
        try:
            text = html.impact_html(result, *_programmes(args), lang=lang)
        except html.HtmlUnavailable as exc:
            _complain("diff", _said(exc, lang), lang)
            return EXIT_USAGE
    else:
        text = report.impact_text(result, lang)
    if text is not None and not _write(text, args.output, "diff", lang):
        return EXIT_USAGE
    problem = result.gate_problem(args.max_invalid)
    if problem is not None:
        _complain("diff", problem, lang)
        if result.cases == 0:
            print("  " + say(msg("looked in: {paths}", paths=", ".join(args.cases)), lang),
                  file=sys.stderr)
        else:
            for line in report.impact_invalid_lines(result, 5, lang):
                print(line, file=sys.stderr)
            if result.valid_cases:
                print("  " + say(msg("(--max-invalid N accepts up to N of them)"), lang),
                      file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FAIL if result.any_changed else EXIT_OK


def _programmes(args: argparse.Namespace) -> tuple[ir.Ruleset, ir.Ruleset]:
    """The two rulesets of ``luk diff`` as checked, for the report's programme titles and
    dates (both compiled already by the comparison, so valid)."""
    before = api.load(args.before, roots=args.roots).ir
    after = api.load(args.after, roots=args.roots).ir
    return before, after


def _audit(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    ruleset = _load_ruleset("audit", args, args.engine)
    if ruleset is None:
        return EXIT_USAGE
    text = _read_submission_text(args.record, lang)
    source = "<stdin>" if args.record == "-" else args.record
    try:
        record = loads(text, source, kind=Record)
        result = ruleset.audit(record, explain=args.explain is not None, lang=lang)
    except RulesetError as exc:
        _print_errors(exc, lang, errors_only=False)
        return EXIT_USAGE
    except SubmissionError as exc:
        _print_problems("audit", source, exc, True, lang)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.audit_text(result, ruleset.for_date(record.date).ir,
                                record.date.isoformat(), lang, proof=args.explain == "proof"))
    return EXIT_OK if result.complete else EXIT_FAIL


def _law(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    if args.roots and args.ruleset is None:
        _complain("law", msg("--root is for --ruleset"), lang)
        return EXIT_USAGE
    on = args.date if args.date is not None else datetime.date.today()
    try:
        found = law.law_report(on, args.ruleset, roots=args.roots,
                               max_file_size=args.max_file_size)
    except RulesetUnreadable as exc:
        _complain("law", _said(exc, lang), lang)
        return EXIT_USAGE
    except RulesetError as exc:
        _print_errors(exc, lang)
        if args.ruleset is not None:
            _complain("law", msg("{path} has errors", path=args.ruleset), lang)
        else:
            _complain("law", msg("the shipped law has errors"), lang)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(found.to_dict(), indent=2, ensure_ascii=False, sort_keys=True))
    else:
        print(report.law_text(found, lang))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    schema = {"submission": SUBMISSION_SCHEMA, "decision": DECISION_SCHEMA,
              "record": RECORD_SCHEMA, "audit": AUDIT_SCHEMA,
              "scenarios": scenarios.SCENARIOS_SCHEMA, "law": law.LAW_SCHEMA}[args.which]
    if args.ruleset is not None:
        if args.which != "submission":
            _complain("schema", msg("--ruleset is for `luk schema submission`"), lang)
            return EXIT_USAGE
        ruleset = _load_ruleset("schema", args)
        if ruleset is None:
            return EXIT_USAGE
        schema = submission_schema(ruleset.ir)
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return EXIT_OK


def _lsp(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    try:
        from luk_rules import lsp  # the `lsp` extra: pygls and lsprotocol
    except ImportError:
        _complain("lsp", msg("the language server needs pygls: pip install 'luk-rules[lsp]'"),
                  lang)
        return EXIT_USAGE
    lsp.serve(lang)
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    try:
        from luk_rules import serve
    except ImportError:
        _complain("serve", msg(
            "serving needs Starlette and uvicorn: pip install 'luk-rules[serve]'"), lang)
        return EXIT_USAGE
    if not Path(args.folder).is_dir():
        _complain("serve", msg("{path} is not a folder", path=args.folder), lang)
        return EXIT_USAGE
    serve.run(args.folder, host=args.host, port=args.port, workers=args.workers,
              roots=args.roots, max_body=args.max_body, max_file_size=args.max_file_size,
              poll=args.poll, access_log=not args.no_access_log,
              shutdown_timeout=args.shutdown_timeout)
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
    words = _explain_words(sys.argv[1:] if argv is None else argv)
    lang = _language(words, os.environ)
    parser = _parser(lang)
    try:
        args = parser.parse_args(words)
        lang = args.lang if getattr(args, "lang", None) in LANGUAGES else lang
        if not getattr(args, "command", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        code: int = args.run(args)
        return code
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except LukError as exc:
        _complain(None, _said(exc, lang), lang)
        return EXIT_USAGE
    except KeyboardInterrupt:
        _complain(None, msg("interrupted"), lang)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except RecursionError:
        _complain(None, msg("the input is nested too deeply to process"), lang)
        return EXIT_USAGE
    except Exception as exc:
        _complain(None, msg(
            "internal error: {kind}: {error}\n"
            "This is a bug in luk_rules; please report it with the input that caused it.",
            kind=type(exc).__name__, error=str(exc)), lang)
        return EXIT_INTERNAL


def run() -> NoReturn:  # pragma: no cover - console script wrapper
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
