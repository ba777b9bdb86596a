"""What the passes share: their signature and how they name things in messages.

Messages are whole sentences (:func:`~luk_rules.i18n.msg`); the helpers here make the
pieces that go into them as parameters: a list of names (:func:`quoted`) and hints or
alternatives one after another (:func:`one_after_another`, :func:`either`), each a
:class:`~luk_rules.i18n.Message` so that its words are translated with the sentence."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeAlias

from luk_rules import ast
from luk_rules.checks.resolve import Resolution
from luk_rules.diagnostics import Diagnostic
from luk_rules.i18n import Message, msg
from luk_rules.sources import Workspace
from luk_rules.span import Span

Pass: TypeAlias = Callable[[Workspace, Resolution], Iterable[Diagnostic]]
"""A check: the workspace and its resolution in, diagnostics out."""


def quoted(words: Sequence[str]) -> str:
    """`a`, `b` and `c`: a parameter of a message. Two names or more are a
    :class:`Message` (its "and" is translated); one name is just that name, in backticks.

    Example:
        >>> [str(quoted(words)) for words in (["a", "b", "c"], ["a"], [])]
        ['`a`, `b` and `c`', '`a`', '']
    """
    items = [f"`{w}`" for w in words]
    if len(items) <= 1:
        return "".join(items)
    # Translators: the end of a list of names: "`a`, `b` and `c`".
    return msg("{names} and {last}", names=", ".join(items[:-1]), last=items[-1])


def one_after_another(parts: Sequence[Message]) -> Message | None:
    """Hints written one after another, separated by semicolons (None for none)."""
    if not parts:
        return None
    joined = parts[0]
    for part in parts[1:]:
        # Translators: two hints one after the other, as in "opt in ...; only for ...".
        joined = msg("{first}; {then}", first=joined, then=part)
    return joined


def either(parts: Sequence[Message]) -> Message:
    """Alternatives joined by "or": "before 2025-01-01 or after 2030-12-31"."""
    joined = parts[0]
    for part in parts[1:]:
        # Translators: two alternatives, as in "before 2025-01-01 or after 2030-12-31".
        joined = msg("{first} or {second}", first=joined, second=part)
    return joined


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
