"""What the passes share: their signature and how they name things in messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeAlias

from luk_rules import ast
from luk_rules.checks.resolve import Resolution
from luk_rules.diagnostics import Diagnostic
from luk_rules.sources import Workspace
from luk_rules.span import Span

Pass: TypeAlias = Callable[[Workspace, Resolution], Iterable[Diagnostic]]
"""A check: the workspace and its resolution in, diagnostics out."""


def quoted(words: Sequence[str]) -> str:
    """`a`, `b` and `c`."""
    items = [f"`{w}`" for w in words]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def decl_name(decl: ast.Declaration) -> ast.Name:
    """The name a declaration is known by (an exam programme by its title)."""
    if isinstance(decl, ast.Include):  # pragma: no cover - never indexed
        return ast.Name(decl.path.value, span=decl.span)
    if isinstance(decl, ast.Programme):
        return decl.code
    if isinstance(decl, ast.ExamProgramme):
        return ast.Name(decl.title.value, span=decl.title.span)
    return decl.name


def span_of(node: object) -> Span:
    """Where a clause is written (unknown when it has no span)."""
    span = getattr(node, "span", None)
    return span if isinstance(span, Span) else Span.unknown()
