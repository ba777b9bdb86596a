"""A Pygments lexer for the luk rule language (``*.luk``), for the documentation site and
``pygmentize -l luk``.

Registered as the ``pygments.lexers`` entry point ``luk`` (pyproject.toml), so Pygments finds
it once luk_rules is installed. Pygments is optional (the ``docs`` extra): the rest of
luk_rules never imports this module (an import-linter contract keeps it so). The keywords
are those of ``grammar/luk.lark``; a test checks that every keyword of the grammar is here.
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import (
    Comment,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

__all__ = ["DECLARATIONS", "KEYWORDS", "OPERATOR_WORDS", "SEVERITIES", "LukLexer"]

_BOUNDARY_BEFORE = r"(?<![\w-])"
_BOUNDARY_AFTER = r"(?![\w-])"

DECLARATIONS = (
    "programme", "evidence", "unit", "assessment", "regime", "rule", "include", "examination",
    "permit", "allow", "replaces", "extends",
)
"""Words that start a declaration or a law clause."""

SEVERITIES = ("deny", "warn", "info")
"""A rule's severity."""

OPERATOR_WORDS = ("and", "or", "not", "every", "some", "no", "one", "of")
"""Words that combine or quantify conditions."""

KEYWORDS = (
    "accepts", "activity", "advice", "after", "age", "always", "are", "as", "assesses", "at",
    "basis",
    "before", "called", "choose", "claimed", "closing", "combination", "component", "count",
    "counting",
    "covering", "credits", "date", "diploma", "each", "enacted", "exam", "exemptions",
    "experiment", "field", "followed", "for", "force", "form", "from", "grounds", "if", "in",
    "institution", "interpretation", "is", "issuer", "item", "items", "kind", "least", "level",
    "max", "minimum", "month", "months", "most", "needs", "number", "older", "on", "once", "only",
    "opted", "organisation", "outcome", "participates", "path-dependent", "path-independent",
    "per", "portfolio", "practice", "proposal", "recommended", "required",
    "result", "results", "route", "submitted", "substantial", "text", "than", "that", "type",
    "under", "units", "until", "valid", "verification", "verified", "when", "where", "year",
    "years", "younger", "yes/no",
)
"""Every other keyword of the grammar."""


class LukLexer(RegexLexer):
    """Lexer for luk rulesets: keywords, names (unit codes and outcome refs stand out),
    quoted texts with ``{placeholders}``, dates, numbers and ``#`` comments."""

    name = "luk"
    aliases: ClassVar[list[str]] = ["luk"]
    filenames: ClassVar[list[str]] = ["*.luk"]
    mimetypes: ClassVar[list[str]] = ["text/x-luk"]
    url = "https://github.com/luk-rules/luk_rules"

    tokens: ClassVar[dict[str, list[object]]] = {
        "root": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"', String.Double, "string"),
            (r"\d{4}-\d{2}-\d{2}" + _BOUNDARY_AFTER, Literal.Date),
            (r"\d+(?:\.\d+)?", Number),
            (words(DECLARATIONS, prefix=_BOUNDARY_BEFORE, suffix=_BOUNDARY_AFTER),
             Keyword.Declaration),
            (words(SEVERITIES, prefix=_BOUNDARY_BEFORE, suffix=_BOUNDARY_AFTER),
             Keyword.Reserved),
            (words(OPERATOR_WORDS, prefix=_BOUNDARY_BEFORE, suffix=_BOUNDARY_AFTER),
             Operator.Word),
            (words(KEYWORDS, prefix=_BOUNDARY_BEFORE, suffix=_BOUNDARY_AFTER), Keyword),
            include("names"),
            (r"<=|>=|<|>|=|%", Operator),
            (r"[(),.]", Punctuation),
        ],
        "names": [
            # An outcome ref: a unit code, a dot, the outcome id (ICT-SE.1, BK-COM.2).
            (r"([A-Z][A-Z0-9_]*(?:-[A-Za-z0-9_]+)*)(\.)([A-Za-z0-9_]+)",
             bygroups(Name.Constant, Punctuation, Name.Constant)),
            # A code in capitals (units, programmes, assessments): ICT-SE, BK, BK-PORTFOLIO.
            (r"[A-Z][A-Z0-9_]*(?:-[A-Za-z0-9_]+)*" + _BOUNDARY_AFTER, Name.Constant),
            (r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*", Name),
        ],
        "string": [
            (r'"', String.Double, "#pop"),
            (r"\\.", String.Escape),
            (r"\{[^{}\"\n]*\}", String.Interpol),
            (r'[^"\\{\n]+', String.Double),
            (r"\{", String.Double),
            (r"\n", Text, "#pop"),  # an unterminated text ends at the line (as luk check says)
        ],
    }
