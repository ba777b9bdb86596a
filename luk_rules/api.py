"""The Python API: load a ruleset once, decide many submissions.

Example:
    >>> import luk_rules
    >>> rs = luk_rules.load("rulesets/examples/hbo-ict-deeltijd.luk")  # doctest: +SKIP
    >>> rs.decide(submission_dict).to_dict()["status"]  # doctest: +SKIP
    'incomplete'
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from luk_rules import ir, pipeline
from luk_rules.audit import Audit, AuditBuilder
from luk_rules.compile.reader import Read
from luk_rules.decide import Decision, DecisionBuilder, Verdict, rule_sites, unreachable_sites
from luk_rules.diagnostics import Diagnostic, error
from luk_rules.errors import RulesetError
from luk_rules.i18n import Lang, msg
from luk_rules.ir import Unreachable
from luk_rules.sources import DEFAULT_MAX_FILE_SIZE, Roots
from luk_rules.submission import Record, Submission, structure


class Ruleset:
    """A checked, compiled ruleset bound to an engine; immutable and thread-safe.

    Args:
        path: the ruleset file. Its folder, the shipped law library and ``roots`` are
            the only folders its ``include``, ``replaces`` and law regimes may read.
        engine: ``"native"`` (default) or ``"durable"``.
        roots: further folders the ruleset may read from.
        max_file_size: the largest file it may read, in bytes (default 1 MiB).

    Raises:
        RulesetUnreadable: when the file (or a root) cannot be read.
        RulesetError: with every diagnostic when the ruleset is broken.
        EngineUnavailable: when the engine cannot be used here or cannot run this ruleset.
    """

    def __init__(self, path: str | os.PathLike[str], *, engine: str = "native",
                 roots: Iterable[str | os.PathLike[str]] = (),
                 max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        analysis = pipeline.analyse(Path(path), roots=tuple(roots), max_file_size=max_file_size)
        self._setup(analysis, engine, ())

    @classmethod
    def _from_analysis(cls, analysis: pipeline.Analysis, engine: str,
                       chain: tuple[Path, ...]) -> Ruleset:
        ruleset = cls.__new__(cls)
        ruleset._setup(analysis, engine, chain)
        return ruleset

    def _setup(self, analysis: pipeline.Analysis, engine: str, chain: tuple[Path, ...]) -> None:
        compiled = pipeline.build(analysis)
        self._compiled = compiled
        self._runner, self._reader, self._read_builder = pipeline.prepare(compiled, engine)
        self._full_builder: DecisionBuilder | None = None
        self._auditor = AuditBuilder(compiled)
        self.engine = engine
        self.path = analysis.workspace.root
        files = analysis.workspace.files
        self.file: Path | None = files[0].real if files else None
        """The ruleset file on disk (None for a ruleset given as text)."""
        self.warnings: tuple[Diagnostic, ...] = analysis.diagnostics
        self._files = tuple(dict.fromkeys(f.real for f in files if f.real is not None))
        self._texts = analysis.workspace.texts
        self._paths = analysis.workspace.paths
        self._predecessor: tuple[dt.date, Ruleset] | None = None
        replaces = compiled.ruleset.programme.replaces
        roots = analysis.workspace.roots
        if replaces is not None and roots is not None:
            me = next((f.real for f in analysis.workspace.files if f.real is not None), None)
            self._predecessor = (replaces.date, self._load_predecessor(
                replaces, engine, (*chain, *([me] if me else [])), roots, self._texts))

    def _load_predecessor(self, replaces: ir.Predecessor, engine: str, chain: tuple[Path, ...],
                          roots: Roots, texts: dict[str, str]) -> Ruleset:
        """The ruleset that decides submissions dated before ``replaces.date``."""
        if Path(replaces.path) in chain:
            raise RulesetError([error(
                "LUK035", msg("`{path}` replaces this ruleset in turn (a cycle)",
                              path=roots.shown(Path(replaces.path))),
                replaces.span)], texts, self._paths)
        try:
            analysis = pipeline.analyse(Path(replaces.path), roots=roots)
            earlier = Ruleset._from_analysis(analysis, engine, chain)
        except RulesetError as exc:
            first = error("LUK035", msg("the replaced ruleset `{path}` is not valid",
                                        path=roots.shown(Path(replaces.path))), replaces.span)
            raise RulesetError([first, *exc.diagnostics], {**texts, **exc.sources},
                               {**self._paths, **exc.paths}) from None
        mine, theirs = self.ir.programme.code, earlier.ir.programme.code
        if mine != theirs:
            raise RulesetError([error(
                "LUK035", msg("`{path}` is a ruleset for programme {theirs}, not {mine}",
                              path=earlier.path, theirs=theirs, mine=mine),
                replaces.span)], texts, self._paths)
        return earlier

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file on disk this ruleset was made from, each once, as resolved paths: the
        ruleset file, the files it includes, the files of its law regimes and, for a ruleset
        that ``replaces`` another, every file of that one (and of the one it replaces in
        turn). A change to any of them can change the ruleset; ``luk serve`` reloads a
        ruleset when one of them changes. A ruleset given as text (:func:`loads`) lists the
        files it read from disk only."""
        if self._predecessor is None:
            return self._files
        return tuple(dict.fromkeys((*self._files, *self._predecessor[1].files)))

    @property
    def _builder(self) -> DecisionBuilder:
        """The decision builder for a submission the fast reader does not take (one with
        results, or anything unusual), made when first needed: most rulesets never need
        it. Two threads at once may both make it, alike."""
        builder = self._full_builder
        if builder is None:
            builder = self._full_builder = pipeline.decision_builder(self._compiled,
                                                                     self._runner)
        return builder

    @property
    def fields(self) -> tuple[str, ...]:
        """The names of the further fields of evidence items this ruleset declares."""
        return tuple(f.name for f in self._compiled.ruleset.fields)

    @property
    def ir(self) -> ir.Ruleset:
        """The checked ruleset (programme, units, assessments, regimes, rules)."""
        return self._compiled.ruleset

    def decide(self, submission: Mapping[str, Any] | Submission, *, explain: bool = False,
               lang: Lang = "en") -> Decision:
        """Decide a submission (a JSON-like dict or a :class:`Submission`); the findings'
        messages and citations in ``lang`` (``en`` or ``nl``).

        Raises:
            SubmissionError: when the submission is malformed or refers to
                something the ruleset does not know; every problem has a JSON path.
        """
        found = self._read(submission)
        if found is not None:
            chosen, read = found
            return pipeline.decide_read(chosen._runner, chosen._read_builder, read, explain,
                                        lang)
        parsed = submission if isinstance(submission, Submission) else structure(
            submission, fields=self.fields)
        chosen = self.for_date(parsed.date)
        if chosen is not self:
            return chosen.decide(parsed, explain=explain, lang=lang)
        return pipeline.decide(self._compiled, self._runner, self._builder, parsed, explain,
                               lang)

    def _read(self, submission: object) -> tuple[Ruleset, Read] | None:
        """The ruleset that decides a usual, valid submission (a ``dict``) and the
        submission read for it; None when the fast reader is not sure of it (then the
        full reader reads it, and says what is wrong)."""
        if type(submission) is not dict:
            return None
        read = self._reader(submission)
        if read is None or self._predecessor is None or read.date >= self._predecessor[0]:
            return None if read is None else (self, read)
        chosen = self.for_date(read.date)
        read = chosen._reader(submission)
        return None if read is None else (chosen, read)

    def audit(self, record: Mapping[str, Any] | Record, *, explain: bool = False,
              lang: Lang = "en") -> Audit:
        """Audit a study record against the exam programme (docs/audit.md); its findings in
        ``lang`` (``en`` or ``nl``).

        The record's facts run through the compiled program on this ruleset's engine;
        ``explain`` adds the proof of every finding and of the credits counted.

        Raises:
            SubmissionError: when the record is malformed or names unknown units, with
                every problem's JSON path.
        """
        parsed = record if isinstance(record, Record) else structure(record, Record)
        chosen = self.for_date(parsed.date)
        if chosen.ir.exam is None:
            span = chosen.ir.programme.span
            raise RulesetError([error(
                "LUK062", msg("{path} has no examination programme, so there is nothing to "
                              "audit a record against", path=chosen.path), span,
                hint=msg("add an `examination programme` (docs/audit.md)"))], chosen._texts,
                chosen._paths)
        return pipeline.audit(chosen._compiled, chosen._runner, chosen._auditor, parsed, explain,
                              lang)

    def verdict(self, submission: Mapping[str, Any] | Submission) -> Verdict:
        """The decision in brief (status, law, route, missing, finding codes), faster.

        Raises:
            SubmissionError: as :meth:`decide`.
        """
        found = self._read(submission)
        if found is not None:
            chosen, read = found
            return pipeline.verdict_read(chosen._runner, chosen._read_builder, read)
        parsed = submission if isinstance(submission, Submission) else structure(
            submission, fields=self.fields)
        return self.for_date(parsed.date)._verdict(parsed)

    def _verdict(self, parsed: Submission) -> Verdict:
        return pipeline.verdict(self._compiled, self._runner, self._builder, parsed)

    def for_date(self, date: dt.date) -> Ruleset:
        """The ruleset that decides submissions of this date: this one, or one it replaces."""
        if self._predecessor is not None and date < self._predecessor[0]:
            return self._predecessor[1].for_date(date)
        return self

    def rule_sites(self) -> list[tuple[str, str]]:
        """The rules written in the ruleset and its law regimes, as (name, source)."""
        return rule_sites(self._compiled)

    def unreachable_sites(self) -> dict[tuple[str, str], tuple[Unreachable, ...]]:
        """The rules of :meth:`rule_sites` that can never fire for this ruleset's programme,
        whatever the submission or record, each with why (a form, unit kind or level the
        programme lacks, a condition its facts make false, regimes never the law for it)."""
        return unreachable_sites(self._compiled)

    def __repr__(self) -> str:
        p = self._compiled.ruleset.programme
        return f"<Ruleset {p.code} {p.title!r} ({', '.join(p.forms)}) from {self.path}>"


def load(path: str | os.PathLike[str], *, engine: str = "native",
         roots: Iterable[str | os.PathLike[str]] = (),
         max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> Ruleset:
    """Load, check and compile a ruleset file for deciding with ``engine``.

    The ruleset may read files (``include``, ``replaces``, law regimes) only inside
    its own folder, the shipped law library and ``roots``; only regular files of at
    most ``max_file_size`` bytes.

    Raises:
        RulesetUnreadable: when the file cannot be read.
        RulesetError: with every diagnostic when the ruleset is broken.
        EngineUnavailable: when the engine cannot be used here.
    """
    return Ruleset(path, engine=engine, roots=roots, max_file_size=max_file_size)


def loads(text: str, *, name: str = "inline.luk", roots: Iterable[str | os.PathLike[str]] = (),
          engine: str = "native", max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> Ruleset:
    """Check and compile a ruleset given as text (for rulesets kept in a database).

    ``name`` is how its source is shown in diagnostics and decisions. Its includes
    and ``replaces`` resolve from the first of ``roots`` and only inside ``roots``;
    without roots it may use the shipped law library and nothing else.

    Example:
        >>> rs = luk_rules.loads(text, name="ict-2026.luk")  # doctest: +SKIP

    Raises:
        RulesetError: with every diagnostic when the ruleset is broken.
        EngineUnavailable: when the engine cannot be used here.
    """
    analysis = pipeline.analyse_text(text, name, roots=tuple(roots), max_file_size=max_file_size)
    return Ruleset._from_analysis(analysis, engine, ())
