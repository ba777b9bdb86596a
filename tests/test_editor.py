"""The editor files: the TextMate grammar (valid JSON, every keyword of grammar/luk.lark
coloured as a keyword, comments, texts, dates, numbers, outcome ids), and `luk lsp` without
pygls (docs/editor.md)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEXTMATE = ROOT / "grammar" / "luk.tmLanguage.json"


def _grammar() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(TEXTMATE.read_text(encoding="utf-8"))
    return found


def _scope_of(word: str) -> set[str]:
    """The scopes of the grammar's single-line patterns that match all of ``word``."""
    return {rule["name"] for rule in _grammar()["repository"].values()
            if "match" in rule and "name" in rule and re.fullmatch(rule["match"], word)}


def test_the_textmate_grammar_is_valid_json_for_luk_files() -> None:
    grammar = _grammar()
    assert grammar["scopeName"] == "source.luk"
    assert grammar["fileTypes"] == ["luk"]
    names = {p["include"].lstrip("#") for p in grammar["patterns"]}
    assert names == set(grammar["repository"])
    for rule in grammar["repository"].values():
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])  # Oniguruma patterns that Python reads alike


def test_every_keyword_of_the_lark_grammar_is_a_keyword_in_the_textmate_grammar() -> None:
    lark = (ROOT / "grammar" / "luk.lark").read_text(encoding="utf-8")
    quoted = sorted(set(re.findall(r'"([a-z][a-z/-]*)"', lark)))
    assert len(quoted) > 100
    missing = [w for w in quoted if not any(s.startswith("keyword.") for s in _scope_of(w))]
    assert missing == []


def test_the_textmate_grammar_colours_the_rest() -> None:
    assert "comment.line.number-sign.luk" in _scope_of("# a comment")
    assert "constant.numeric.date.luk" in _scope_of("2024-11-01")
    assert "constant.numeric.integer.luk" in _scope_of("15")
    assert "entity.name.type.code.luk" in _scope_of("BK-ONT")
    assert not any(s.startswith("keyword.") for s in _scope_of("eenheid-van-leeruitkomsten"))
    outcome = _grammar()["repository"]["outcome"]
    assert re.fullmatch(outcome["match"], "BK-ONT.1")
    string = _grammar()["repository"]["string"]
    assert string["begin"] == '"'
    assert string["name"].startswith("string.quoted.double")


def test_luk_lsp_without_pygls_says_what_to_install() -> None:
    code = ("import sys; sys.modules['pygls'] = None; sys.modules['lsprotocol'] = None\n"
            "from luk_rules.cli import main; sys.exit(main(['lsp', '--lang', 'en']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert "pip install 'luk-rules[lsp]'" in done.stderr
    assert done.stdout == ""
