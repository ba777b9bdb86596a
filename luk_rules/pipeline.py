"""The whole chain in one place:

    text --parse--> AST --resolve--> Resolution --checks--> diagnostics
    Resolution --lower--> IR --compile--> program --engine--> derivation --> Decision
                                                                (record) --> Audit

The workspace is resolved once (:func:`~luk_rules.checks.resolve.resolve`); the checks judge
that resolution and lowering takes the same one as it is.

Each function here runs one or more stages in order and raises a
:class:`~luk_rules.errors.LukError` when its input is not good enough.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs

from luk_rules import checks
from luk_rules.audit import Audit, AuditBuilder
from luk_rules.checks.resolve import Resolution, resolve
from luk_rules.compile import Compiled, StratificationError, compile_ruleset, exam
from luk_rules.compile.reader import Read, Reader
from luk_rules.decide import Decision, DecisionBuilder, Verdict
from luk_rules.diagnostics import Diagnostic, error, sort_key
from luk_rules.engine import Runner, make_runner, without
from luk_rules.engine import limits as engine_limits_of
from luk_rules.errors import RulesetError, RulesetUnreadable, message_of
from luk_rules.i18n import Lang, msg
from luk_rules.lower import LoweringError, lower
from luk_rules.sources import (
    DEFAULT_MAX_FILE_SIZE,
    Roots,
    SourceUnreadable,
    Workspace,
    load_text,
    load_workspace,
)
from luk_rules.span import Span
from luk_rules.submission import Record, Submission, validate, validate_record


@attrs.frozen
class Analysis:
    """A ruleset read and checked: its files, what they mean (the resolution the checks
    judged and lowering uses) and every diagnostic, sorted."""

    workspace: Workspace
    diagnostics: tuple[Diagnostic, ...]
    resolution: Resolution

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings are fine)."""
        return not any(d.is_error for d in self.diagnostics)


def analyse(path: Path, *, roots: Iterable[str | os.PathLike[str]] | Roots = (),
            max_file_size: int = DEFAULT_MAX_FILE_SIZE, text: str | None = None,
            overlays: Mapping[Path, str] | None = None) -> Analysis:
    """Parse a ruleset file with its includes and law regimes, and run every check;
    ``text`` (when given) is the file's text as an editor has it, read instead of the disk,
    and ``overlays`` the texts an editor has of other files, by their resolved paths: an
    included file or law file the ruleset reads is read from there (within the same roots;
    :func:`~luk_rules.sources.load_workspace`).

    Raises:
        RulesetUnreadable: when the file itself (or a root) cannot be read.
    """
    try:
        workspace, diagnostics = load_workspace(path, roots=roots, max_file_size=max_file_size,
                                                text=text, overlays=overlays)
    except SourceUnreadable as exc:
        raise RulesetUnreadable(exc.path, exc.reason) from None
    return _checked(workspace, diagnostics)


def analyse_text(text: str, name: str, *, roots: Iterable[str | os.PathLike[str]] = (),
                 max_file_size: int = DEFAULT_MAX_FILE_SIZE,
                 overlays: Mapping[Path, str] | None = None) -> Analysis:
    """Like :func:`analyse`, for a ruleset given as text named ``name``.

    Raises:
        RulesetUnreadable: when a root is not a folder.
    """
    try:
        workspace, diagnostics = load_text(text, name, roots=roots, max_file_size=max_file_size,
                                           overlays=overlays)
    except SourceUnreadable as exc:
        raise RulesetUnreadable(exc.path, exc.reason) from None
    return _checked(workspace, diagnostics)


def _checked(workspace: Workspace, diagnostics: list[Diagnostic]) -> Analysis:
    resolved = resolve(workspace)
    found = set(diagnostics)
    found.update(checks.check(workspace, resolved=resolved))
    return Analysis(workspace, tuple(sorted(found, key=sort_key)), resolved)


def build(analysis: Analysis) -> Compiled:
    """Lower and compile an analysed ruleset.

    Raises:
        RulesetError: with every diagnostic, when the ruleset has errors or no programme.
    """
    texts, paths = analysis.workspace.texts, analysis.workspace.paths
    if not analysis.ok:
        raise RulesetError(analysis.diagnostics, texts, paths)
    try:
        ruleset = lower(analysis.workspace, analysis.resolution)
        return compile_ruleset(ruleset)
    except LoweringError as exc:
        raise RulesetError([error(
            "LUK060", exc.message, exc.span,
            hint=msg("decide with the ruleset that includes this file, or add a "
                     "`programme`"))], texts, paths) from None
    except StratificationError as exc:  # pragma: no cover - guarded by the checks
        span = Span(analysis.workspace.root, 1, 1, 1, 1)
        raise RulesetError([error("LUK061", message_of(exc), span)], texts, paths) from None


def engine_limits(analysis: Analysis, engine: str) -> list[Diagnostic]:
    """LUK080: what ``engine`` cannot run in a ruleset that checks clean (none for native).

    A ruleset without a programme runs nowhere, so it has no limits to report.

    Raises:
        EngineUnavailable: for an unknown engine.
    """
    if engine == "native" or not analysis.ok:
        return []
    try:
        compiled = build(analysis)
    except RulesetError:
        return []
    sources = {rule.name: rule.cite.source for rule in compiled.program.rules}
    root = Span(analysis.workspace.root, 1, 1, 1, 1)
    return [error("LUK080", msg("the {engine} engine cannot run this: {reason}",
                                engine=engine, reason=message),
                  Span.parse(sources.get(rule, "")) or root,
                  hint=msg("decide with the native engine (the default), or simplify the "
                           "rule"))
            for rule, message in dict.fromkeys(engine_limits_of(compiled.program, engine))]


def prepare(compiled: Compiled, engine: str) -> tuple[Runner, Reader, DecisionBuilder]:
    """The engine runner, the fast submission reader and the decision builder for what the
    reader reads, for a compiled ruleset (once per ruleset): the builder's runner leaves
    out the rules that need input facts a submission never has (:data:`exam.RECORD_ONLY`)
    or the reader never gives (:attr:`Reader.ABSENT`, the results of a submission).
    :func:`decision_builder` makes the builder for any other submission."""
    runner = make_runner(compiled.program, engine)
    reader = Reader(compiled)
    return runner, reader, DecisionBuilder(
        compiled, without(runner, exam.RECORD_ONLY | reader.ABSENT))


def decision_builder(compiled: Compiled, runner: Runner) -> DecisionBuilder:
    """The decision builder for any submission (one the fast reader does not take): its
    runner leaves out only the rules that need facts no submission has (an audit's)."""
    return DecisionBuilder(compiled, without(runner, exam.RECORD_ONLY))


def verdict(compiled: Compiled, runner: Runner, builder: DecisionBuilder,
            submission: Submission) -> Verdict:
    """Like :func:`decide`, but only the decision in brief (no messages, no proofs)."""
    validate(submission, compiled.ruleset)
    return builder.verdict((builder.verdicter or runner).run(compiled.facts(submission)))


def verdict_read(runner: Runner, builder: DecisionBuilder, read: Read) -> Verdict:
    """:func:`verdict` of a submission a :class:`Reader` read (and so checked); ``builder``
    is the one :func:`prepare` made for what the reader reads."""
    return builder.verdict((builder.verdicter or runner).run(read.facts))


def decide(compiled: Compiled, runner: Runner, builder: DecisionBuilder,
           submission: Submission, explain: bool = False, lang: Lang = "en") -> Decision:
    """Validate a submission against the ruleset, run the engine, build the decision.

    Raises:
        SubmissionError: when the submission refers to what the ruleset does not know.
    """
    validate(submission, compiled.ruleset)
    derivation = (builder.decider or runner).run(compiled.facts(submission), trace=explain)
    return builder.build(submission.id, submission.units, derivation, explain, lang)


def decide_read(runner: Runner, builder: DecisionBuilder, read: Read, explain: bool = False,
                lang: Lang = "en") -> Decision:
    """:func:`decide` on a submission a :class:`Reader` read (and so checked); ``builder``
    is the one :func:`prepare` made for what the reader reads."""
    derivation = (builder.decider or runner).run(read.facts, trace=explain)
    return builder.build(read.case, read.units, derivation, explain, lang)


def audit(compiled: Compiled, runner: Runner, builder: AuditBuilder, record: Record,
          explain: bool = False, lang: Lang = "en") -> Audit:
    """Validate a record against the ruleset, run the engine on its facts, build the audit.

    Raises:
        SubmissionError: when the record refers to what the ruleset does not know.
    """
    validate_record(record, compiled.ruleset)
    derivation = runner.run(exam.record_facts(compiled.ruleset, record), trace=explain)
    return builder.build(record, derivation, explain, lang)
