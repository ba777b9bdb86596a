"""The exceptions the library raises: all are :class:`LukError`.

Their ``str()`` is English; :meth:`LukError.describe` says the same in another language
(``luk --lang nl``): their texts are :class:`~luk_rules.i18n.Message` values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import attrs

from luk_rules.diagnostics import Diagnostic, Severity
from luk_rules.i18n import Lang, Message, msg, msgn, say
from luk_rules.span import Span


def as_given(text: str) -> Message:
    """A text from outside luk, shown as it is in every language: the operating system's
    reason (``exc.strerror``), what Python's JSON reader or a library says."""
    # Translators: a text from outside luk (the operating system, Python), shown as it is.
    return msg("{text}", text=text)


def joined(items: Sequence[str], separator: str = ", ") -> Message:
    """``items`` (messages, names, paths) one after another with ``separator`` between
    them, each message rendered in the language the whole is rendered in.

    The template is only placeholders and separators, so it needs no translation
    (gettext gives it back as it is) and is not in the catalogues."""
    template = separator.join(f"{{item{i}}}" for i in range(len(items)))
    return Message(template, {f"item{i}": item for i, item in enumerate(items)})


def message_of(exc: BaseException) -> Message:
    """What an exception says, as a message: its own when it was raised with one (then it
    renders in any language), else its English text as it is."""
    if len(exc.args) == 1 and isinstance(exc.args[0], Message):
        return exc.args[0]
    return as_given(str(exc))


class LukError(Exception):
    """Base class of every error luk_rules raises on bad input.

    Its ``str()`` is English; :attr:`message` is the same as a message (rendered in any
    language), :meth:`describe` renders it. The library raises these with a
    :class:`~luk_rules.i18n.Message`; an error raised with plain text says it as it is.
    """

    @property
    def message(self) -> Message:
        """What went wrong, as a message."""
        return message_of(self)

    def describe(self, lang: Lang = "en") -> str:
        """What went wrong, in ``lang`` (English: the same as ``str(self)``)."""
        return self.message.in_language(lang)


class RulesetError(LukError):
    """A ruleset cannot be used: it does not parse, or fails its checks.

    ``diagnostics`` holds every problem found (errors and warnings); ``sources``
    maps file names (as in the diagnostics: relative to the ruleset's folder) to
    their text, for rendering them with a caret; ``paths`` maps those names to the
    files on disk as a person at the command line would name them. The message is the
    first error (or warning) with its place, and how many more errors there are.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: dict[str, str] | None = None,
                 paths: Mapping[str, str] | None = None) -> None:
        self.diagnostics = list(diagnostics)
        self.sources = dict(sources or {})
        self.paths = dict(paths or {})
        super().__init__(_summary(self.diagnostics))

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


def _summary(diagnostics: Sequence[Diagnostic]) -> Message:
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    first = errors[0] if errors else (diagnostics[0] if diagnostics else None)
    if first is None:
        return msg("invalid ruleset")
    summary = joined([str(first.span), first.message], ": ")
    if len(errors) > 1:
        return msgn("{first} (and {n} more error)", "{first} (and {n} more errors)",
                    len(errors) - 1, first=summary)
    return summary


class RulesetUnreadable(RulesetError):
    """The ruleset file itself cannot be read (missing, a folder, not UTF-8): its message
    is ``PATH: cannot read: REASON`` (the operating system's reason as it gave it)."""

    def __init__(self, path: str, reason: Message) -> None:
        super().__init__([])
        self.path = path
        self.reason = reason
        self.args = (cannot_read(path, reason),)


def cannot_read(path: str, reason: Message) -> Message:
    """``PATH: cannot read: REASON``: a file that cannot be read, and why."""
    return msg("{path}: cannot read: {reason}", path=path, reason=reason)


class EngineUnavailable(LukError):
    """The engine asked for cannot be used here (not installed, or a limit exceeded)."""


class Problem:
    """One thing wrong with an input document, at a JSON path like ``$.evidence[2].date``.

    ``str()`` is English; :meth:`render` says it in another language (the path as it is).
    """

    __slots__ = ("message", "path")

    def __init__(self, path: str, message: Message) -> None:
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def render(self, lang: Lang = "en") -> str:
        """``PATH: MESSAGE`` with the message in ``lang``."""
        return f"{self.path}: {say(self.message, lang)}"

    def said(self) -> Message:
        """``PATH: MESSAGE`` as a message."""
        return joined([self.path, self.message], ": ")

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
    """A submission (or record) is invalid; ``problems`` says where and why.

    Its message is every problem (``PATH: MESSAGE``, joined by ``; ``), after ``SOURCE: ``
    when the document has a name; :meth:`describe` renders it in a language, and
    :meth:`Problem.render` one problem."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = sorted(set(problems), key=lambda p: (_path_key(p.path), p.message))
        self.source = source
        listed = joined([p.said() for p in self.problems], "; ")
        super().__init__(joined([source, listed], ": ") if source else listed)
