"""The exceptions the library raises: all are :class:`LukError`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import attrs

from luk_rules.diagnostics import Diagnostic, Severity
from luk_rules.span import Span


class LukError(Exception):
    """Base class of every error luk_rules raises on bad input."""


class RulesetError(LukError):
    """A ruleset cannot be used: it does not parse, or fails its checks.

    ``diagnostics`` holds every problem found (errors and warnings); ``sources``
    maps file names (as in the diagnostics: relative to the ruleset's folder) to
    their text, for rendering them with a caret; ``paths`` maps those names to the
    files on disk as a person at the command line would name them.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: dict[str, str] | None = None,
                 paths: Mapping[str, str] | None = None) -> None:
        self.diagnostics = list(diagnostics)
        self.sources = dict(sources or {})
        self.paths = dict(paths or {})
        errors = [d for d in self.diagnostics if d.severity is Severity.ERROR]
        first = errors[0] if errors else (self.diagnostics[0] if self.diagnostics else None)
        summary = f"{first.span}: {first.message}" if first else "invalid ruleset"
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        super().__init__(summary + more)


    def for_person(self) -> tuple[list[Diagnostic], dict[str, str]]:
        """The diagnostics and texts with files named by :attr:`paths`."""
        return relocate(self.diagnostics, self.sources, self.paths)


def relocate(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str],
             paths: Mapping[str, str]) -> tuple[list[Diagnostic], dict[str, str]]:
    """Diagnostics and texts with each file name replaced by ``paths[name]`` (when given)."""

    def move(span: Span) -> Span:
        return attrs.evolve(span, file=paths.get(span.file, span.file))

    moved = [attrs.evolve(d, span=move(d.span), labels=tuple(
        attrs.evolve(lb, span=move(lb.span)) for lb in d.labels)) for d in diagnostics]
    return moved, {paths.get(name, name): text for name, text in sources.items()}


class RulesetUnreadable(RulesetError):
    """The ruleset file itself cannot be read (missing, a folder, not UTF-8)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__([])
        self.path = path
        self.reason = reason
        self.args = (f"{path}: cannot read: {reason}",)

    def __str__(self) -> str:
        return f"{self.path}: cannot read: {self.reason}"


class EngineUnavailable(LukError):
    """The engine asked for cannot be used here (not installed, or a limit exceeded)."""


class Problem:
    """One thing wrong with an input document, at a JSON path like ``$.evidence[2].date``."""

    __slots__ = ("message", "path")

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({self.path!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.path, self.message) == (
            other.path, other.message)

    def __hash__(self) -> int:
        return hash((self.path, self.message))


def _path_key(path: str) -> tuple[tuple[int, str], ...]:
    """A JSON path sorted as a person reads it: ``outcomes[9]`` before ``outcomes[10]``."""
    return tuple((int(part), "") if part.isdigit() else (-1, part)
                 for part in re.split(r"\[(\d+)\]", path))


class SubmissionError(LukError):
    """A submission (or record) is invalid; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = sorted(set(problems), key=lambda p: (_path_key(p.path), p.message))
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + "; ".join(str(p) for p in self.problems))
