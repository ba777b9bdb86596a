"""Diagnostics as plain data, and their rendering as text (with a caret) or JSON."""

from __future__ import annotations

import difflib
import enum
import json
from collections.abc import Iterable, Mapping, Sequence

import attrs

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
    message: str


@attrs.frozen
class Diagnostic:
    """One problem found in a ruleset: code, severity, message, where, and what to do."""

    code: str
    severity: Severity
    message: str
    span: Span
    hint: str | None = None
    labels: tuple[Label, ...] = ()

    @property
    def is_error(self) -> bool:
        """True for errors, which stop a ruleset from loading."""
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, object]:
        """The JSON form of ``luk check --format json``."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "hint": self.hint,
            "labels": [
                {"message": lb.message, "file": lb.span.file, "line": lb.span.line,
                 "column": lb.span.column}
                for lb in self.labels
            ],
        }


def error(code: str, message: str, span: Span, hint: str | None = None,
          labels: Sequence[Label] = ()) -> Diagnostic:
    """Shorthand for an error diagnostic."""
    return Diagnostic(code, Severity.ERROR, message, span, hint, tuple(labels))


def warning(code: str, message: str, span: Span, hint: str | None = None,
            labels: Sequence[Label] = ()) -> Diagnostic:
    """Shorthand for a warning diagnostic."""
    return Diagnostic(code, Severity.WARNING, message, span, hint, tuple(labels))


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    """Order diagnostics by place, then code: the order they are shown in."""
    return (d.span.file, d.span.line, d.span.column, d.code, d.message)


def _excerpt(span: Span, sources: Mapping[str, str]) -> list[str]:
    text = sources.get(span.file)
    if text is None or span.line < 1:
        return []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
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
    return [f" {pad} |", f" {number} | {line}", f" {pad} | {' ' * start}{'^' * width}"]


def render_text(diagnostic: Diagnostic, sources: Mapping[str, str]) -> str:
    """Render like a compiler: ``path:line:col: error[CODE]: message``, excerpt, caret, hint."""
    d = diagnostic
    out = [f"{d.span}: {d.severity.value}[{d.code}]: {d.message}"]
    out.extend(_excerpt(d.span, sources))
    for label in d.labels:
        out.append(f"  note: {label.message} at {label.span}")
        out.extend("  " + x for x in _excerpt(label.span, sources))
    if d.hint:
        out.append(f"  = hint: {d.hint}")
    return "\n".join(out)


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    """All diagnostics as one JSON document (``luk check --format json``)."""
    items = [d.to_dict() for d in sorted(diagnostics, key=sort_key)]
    errors = sum(1 for d in items if d["severity"] == "error")
    warnings = sum(1 for d in items if d["severity"] == "warning")
    return json.dumps(
        {"diagnostics": items, "errors": errors, "warnings": warnings},
        indent=2, ensure_ascii=False,
    )


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest known name to a misspelt one, for a "did you mean" hint."""
    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in pool}
        close = [lowered[name.lower()]] if name.lower() in lowered else []
    return close[0] if close else None
