"""The Pygments lexer for .luk (luk_rules.pygments_lexer): declared as the ``luk`` entry point,
knows every keyword of the grammar, and lexes every ```luk block of the docs and every shipped
ruleset without an Error token. Skipped when Pygments is not installed (it is optional)."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINT = "luk_rules.pygments_lexer:LukLexer"


def test_the_entry_point_is_declared() -> None:
    """pyproject.toml registers the lexer with Pygments as ``luk``; Pygments stays optional
    (in the ``docs`` extra, not a dependency of the package)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pygments.lexers"] == {"luk": ENTRY_POINT}
    assert not any(d.lower().startswith("pygments") for d in project["dependencies"])
    assert any(d.lower().startswith("pygments") for d in project["optional-dependencies"]["docs"])


pygments = pytest.importorskip("pygments")

from pygments.token import Error, Token  # noqa: E402

from luk_rules.pygments_lexer import (  # noqa: E402
    DECLARATIONS,
    KEYWORDS,
    OPERATOR_WORDS,
    SEVERITIES,
    LukLexer,
)


def _errors(text: str) -> list[tuple[int, str]]:
    """The Error tokens of ``text``: (line, value)."""
    found = []
    line = 1
    for token, value in LukLexer().get_tokens(text):
        if token in Error:
            found.append((line, value))
        line += value.count("\n")
    return found


def _luk_blocks() -> list[object]:
    blocks = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for n, match in enumerate(re.finditer(r"^```luk\n(.*?)^```", text, re.S | re.M)):
            line = text.count("\n", 0, match.start()) + 1
            blocks.append(pytest.param(match.group(1), id=f"{page.name}:{line}:{n}"))
    return blocks


LUK_BLOCKS = _luk_blocks()


def test_the_docs_have_luk_blocks() -> None:
    """The docs show rules in ```luk blocks (so the next test has something to check)."""
    assert len(LUK_BLOCKS) > 100


@pytest.mark.parametrize("text", LUK_BLOCKS)
def test_every_luk_block_in_the_docs_lexes_without_errors(text: str) -> None:
    """A ```luk block of docs/*.md has no Error token."""
    assert not _errors(text)


@pytest.mark.parametrize("path", sorted(ROOT.glob("rulesets/**/*.luk")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_ruleset_lexes_without_errors(path: Path) -> None:
    """Every shipped .luk file has no Error token."""
    assert not _errors(path.read_text(encoding="utf-8"))


def test_every_keyword_of_the_grammar_is_known() -> None:
    """Each word the grammar quotes is one of the lexer's keywords (so a new keyword in
    grammar/luk.lark is coloured, or this fails)."""
    grammar = (ROOT / "grammar" / "luk.lark").read_text(encoding="utf-8")
    quoted = set(re.findall(r'"([a-z][a-z/-]*)"', grammar))
    known = set(DECLARATIONS) | set(SEVERITIES) | set(OPERATOR_WORDS) | set(KEYWORDS)
    assert quoted - known == set()
    assert known - quoted == set(), "the lexer has words the grammar does not"


def test_the_tokens_of_a_rule() -> None:
    """Declarations, codes, outcome refs, dates, numbers, texts with placeholders, comments."""
    text = ('# a comment\nunit ICT-SE "Software" credits 15\n'
            'rule r "{unit}: te oud" deny when submitted before 2024-10-01 and not ICT-SE.1\n')
    tokens = [(t, v) for t, v in LukLexer().get_tokens(text) if v.strip()]
    assert (Token.Comment.Single, "# a comment") in tokens
    assert (Token.Keyword.Declaration, "unit") in tokens
    assert (Token.Name.Constant, "ICT-SE") in tokens
    assert (Token.Keyword, "credits") in tokens
    assert (Token.Literal.Number, "15") in tokens
    assert (Token.Literal.String.Interpol, "{unit}") in tokens
    assert (Token.Keyword.Reserved, "deny") in tokens
    assert (Token.Literal.Date, "2024-10-01") in tokens
    assert (Token.Operator.Word, "not") in tokens
    assert (Token.Name.Constant, "1") in tokens  # the outcome id of ICT-SE.1
    assert (Token.Name, "r") in tokens


def test_a_hyphenated_name_is_one_name_not_a_keyword() -> None:
    """``wet-leeruitkomsten`` and ``form-x`` are names, not the keyword ``form`` and more."""
    tokens = [(t, v) for t, v in LukLexer().get_tokens("under wet-leeruitkomsten, form-x")
              if v.strip()]
    assert tokens[:2] == [(Token.Keyword, "under"), (Token.Name, "wet-leeruitkomsten")]
    assert (Token.Name, "form-x") in tokens


def test_pygments_finds_the_lexer_when_this_checkout_is_installed() -> None:
    """With luk_rules installed (pip install -e .), Pygments finds the lexer by its alias and
    its file name, through the entry point."""
    try:
        points = metadata.distribution("luk-rules").entry_points
    except metadata.PackageNotFoundError:
        pytest.skip("luk_rules is not installed")
    if not any(ep.group == "pygments.lexers" and ep.value == ENTRY_POINT for ep in points):
        pytest.skip("the installed luk_rules predates the entry point (reinstall it)")
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename

    assert type(get_lexer_by_name("luk")).__name__ == "LukLexer"
    assert type(get_lexer_for_filename("hbo-ict-deeltijd.luk")).__name__ == "LukLexer"
