"""Diagnostics as plain data, and their rendering as text (with a caret) or JSON."""

from __future__ import annotations

import bisect
import difflib
import enum
import functools
import json
from collections.abc import Iterable, Mapping, Sequence

import attrs

from luk_rules.i18n import Lang, Message, msg, say
from luk_rules.span import Span


class Severity(enum.Enum):
    """How bad a diagnostic is; only errors make a ruleset unusable."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@attrs.frozen
class Label:
    """A secondary span with a short explanation ("first declared here")."""

    span: Span
    message: Message


@attrs.frozen
class Diagnostic:
    """One problem found in a ruleset: code, severity, message, where, and what to do."""

    code: str
    severity: Severity
    message: Message
    span: Span
    hint: Message | None = None
    labels: tuple[Label, ...] = ()

    @property
    def is_error(self) -> bool:
        """True for errors, which stop a ruleset from loading."""
        return self.severity is Severity.ERROR

    def to_dict(self, lang: Lang = "en") -> dict[str, object]:
        """The JSON form of ``luk check --format json``, its texts in ``lang``."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": say(self.message, lang),
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "hint": None if self.hint is None else say(self.hint, lang),
            "labels": [
                {"message": say(lb.message, lang), "file": lb.span.file, "line": lb.span.line,
                 "column": lb.span.column}
                for lb in self.labels
            ],
        }


def error(code: str, message: Message, span: Span, hint: Message | None = None,
          labels: Sequence[Label] = ()) -> Diagnostic:
    """Shorthand for an error diagnostic."""
    return Diagnostic(code, Severity.ERROR, message, span, hint, tuple(labels))


def warning(code: str, message: Message, span: Span, hint: Message | None = None,
            labels: Sequence[Label] = ()) -> Diagnostic:
    """Shorthand for a warning diagnostic."""
    return Diagnostic(code, Severity.WARNING, message, span, hint, tuple(labels))


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    """Order diagnostics by place, then code: the order they are shown in."""
    return (d.span.file, d.span.line, d.span.column, d.code, d.message)


@functools.lru_cache(maxsize=8)
def _lines(text: str) -> tuple[str, ...]:
    """The lines of a source text, split once however many diagnostics it has.

    (Splitting it again for every diagnostic made rendering quadratic.)"""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(lines)


def _excerpt(span: Span, sources: Mapping[str, str]) -> list[str]:
    text = sources.get(span.file)
    if text is None or span.line < 1:
        return []
    lines = _lines(text)
    if span.line > len(lines):
        # The end of the file: show the last line with the caret after it.
        if not lines:
            return []
        last = lines[-1]
        number = str(len(lines))
        pad = " " * len(number)
        return [f" {pad} |", f" {number} | {last}", f" {pad} | {' ' * len(last)}^"]
    line = lines[span.line - 1].expandtabs(1)
    number = str(span.line)
    pad = " " * len(number)
    start = max(span.column - 1, 0)
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    else:
        width = max(len(line.rstrip()) - start, 1)
    width = max(min(width, max(len(line) - start, 1)), 1)
    line, start, width = _window(line, start, width)
    return [f" {pad} |", f" {number} | {line}", f" {pad} | {' ' * start}{'^' * width}"]


_EXCERPT_WIDTH = 120


def _window(line: str, start: int, width: int) -> tuple[str, int, int]:
    """A long line cut to about :data:`_EXCERPT_WIDTH` characters around the caret."""
    if len(line) <= _EXCERPT_WIDTH:
        return line, start, width
    left = max(start - 20, 0)
    shown = min(width, _EXCERPT_WIDTH - 40)
    right = min(left + _EXCERPT_WIDTH, len(line))  # the caret ends within 100 of left
    piece = ("…" if left else "") + line[left:right] + ("…" if right < len(line) else "")
    return piece, start - left + (1 if left else 0), shown


_SEVERITY = {Severity.ERROR: msg("error"), Severity.WARNING: msg("warning"),
             Severity.NOTE: msg("note")}


def render_text(diagnostic: Diagnostic, sources: Mapping[str, str], lang: Lang = "en") -> str:
    """Render like a compiler: ``path:line:col: error[CODE]: message``, excerpt, caret, hint
    (in Dutch ``fout[CODE]``, ``waarschuwing[CODE]``)."""
    d = diagnostic
    severity = say(_SEVERITY[d.severity], lang)
    out = [f"{d.span}: {severity}[{d.code}]: {say(d.message, lang)}"]
    out.extend(_excerpt(d.span, sources))
    for label in d.labels:
        out.append("  " + msg("note: {message} at {place}", message=label.message,
                              place=str(label.span)).in_language(lang))
        out.extend("  " + x for x in _excerpt(label.span, sources))
    if d.hint:
        out.append("  " + msg("= hint: {hint}", hint=d.hint).in_language(lang))
    return "\n".join(out)


def render_json(diagnostics: Iterable[Diagnostic], lang: Lang = "en") -> str:
    """All diagnostics as one JSON document (``luk check --format json``)."""
    items = [d.to_dict(lang) for d in sorted(diagnostics, key=sort_key)]
    errors = sum(1 for d in items if d["severity"] == "error")
    warnings = sum(1 for d in items if d["severity"] == "warning")
    return json.dumps(
        {"diagnostics": items, "errors": errors, "warnings": warnings},
        indent=2, ensure_ascii=False,
    )


class Suggester:
    """Finds the closest of a fixed set of names to a misspelt one ("did you mean").

    Built once for a set of names and asked many times. For sets of up to
    :attr:`EXACT` names every name is compared, as :func:`difflib.get_close_matches`
    does (``n=1``, ``cutoff=0.6``). A larger set compares each asked name with at most
    :attr:`LIMIT` of its names: first those one edit away (a character left out, added
    or replaced), then the nearest in sorted order by prefix and by suffix. The answer
    is the exact one whenever the closest name is among these, as it is for a typo of
    one character. Once :attr:`BUDGET` comparisons have been made, a further name is
    compared only with the names one edit away from it: however many names are asked,
    the work stays small. Names longer than :attr:`LONGEST` characters get no
    suggestion (but still the one that differs only in case).
    """

    EXACT = 100
    LIMIT = 64
    LONGEST = 100
    BUDGET = 200_000
    _NEAREST = 4

    def __init__(self, candidates: Iterable[str]) -> None:
        self._pool = sorted(set(candidates))
        self._known = frozenset(self._pool)
        self._lowered = {c.lower(): c for c in self._pool}
        self._answers: dict[str, str | None] = {}
        self._spent = 0
        self._index: tuple[list[str], dict[str, list[str]]] | None = None

    def closest(self, name: str) -> str | None:
        """The closest name with a similarity of at least 0.6, or None."""
        if len(name) > self.LONGEST:
            return None
        if name not in self._answers:
            within = self._spent < self.BUDGET
            pool = (self._pool if within and len(self._pool) <= self.EXACT
                    else self._shortlist(name, nearest=within))
            self._spent += len(pool)
            close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
            self._answers[name] = close[0] if close else None
        return self._answers[name]

    def suggest(self, name: str) -> str | None:
        """:meth:`closest`, else the name that differs only in case, else None."""
        return self.closest(name) or self._lowered.get(name.lower())

    def _indexes(self) -> tuple[list[str], dict[str, list[str]]]:
        """The names reversed and sorted, and each name by its one-deletion variants."""
        if self._index is None:
            by_deletion: dict[str, list[str]] = {}
            for c in self._pool:
                if len(c) <= self.LONGEST:
                    for variant in _deletions(c):
                        by_deletion.setdefault(variant, []).append(c)
            self._index = (sorted(c[::-1] for c in self._pool), by_deletion)
        return self._index

    def _shortlist(self, name: str, nearest: bool) -> list[str]:
        """At most :attr:`LIMIT` names worth comparing with ``name``: those one edit away,
        and (when ``nearest``) its neighbours in sorted order by prefix and by suffix."""
        by_suffix, by_deletion = self._indexes()
        chosen: dict[str, None] = {}
        shorter = _deletions(name)
        chosen.update(dict.fromkeys(c for c in (name, *shorter) if c in self._known))
        chosen.update(dict.fromkeys(by_deletion.get(name, ())))  # one added
        for variant in shorter:  # one replaced
            chosen.update(dict.fromkeys(by_deletion.get(variant, ())))
        if nearest:
            k = self._NEAREST
            at = bisect.bisect_left(self._pool, name)
            chosen.update(dict.fromkeys(self._pool[max(at - k, 0):at + k]))
            at = bisect.bisect_left(by_suffix, name[::-1])
            chosen.update(dict.fromkeys(c[::-1] for c in by_suffix[max(at - k, 0):at + k]))
        return list(chosen)[:self.LIMIT]


def _deletions(name: str) -> list[str]:
    """``name`` with one character left out, in every way, each once, in order."""
    return list(dict.fromkeys(name[:i] + name[i + 1:] for i in range(len(name))))


@functools.lru_cache(maxsize=32)
def _suggester(candidates: tuple[str, ...]) -> Suggester:
    return Suggester(candidates)


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest known name to a misspelt one, for a "did you mean" hint.

    The same candidates asked again reuse one :class:`Suggester`, so hints for many
    misspelt names cost little more than for one.
    """
    return _suggester(tuple(candidates)).suggest(name)
