"""Every message luk writes exists in English and Dutch: the gettext catalogues are what
the code marks (``msg``/``msgn``), every entry is translated with the same placeholders,
and the compiled catalogues are compiled from them (tools/catalogues.py --check)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from luk_rules.i18n import LANGUAGES, default_language, language, msg, msgn, say, translations

ROOT = Path(__file__).resolve().parent.parent


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("catalogues", ROOT / "tools" / "catalogues.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["catalogues"] = module
    spec.loader.exec_module(module)
    return module


def test_every_message_is_in_both_catalogues_translated_and_compiled() -> None:
    pytest.importorskip("babel")
    tool = _tool()
    template = tool.extract()
    assert len(template) > 0
    problems = tool.problems(template, {lang: tool.updated(template, lang)
                                        for lang in tool.LANGUAGES})
    assert problems == [], "\n".join(problems[:40])


def test_the_check_fails_on_a_message_without_translation() -> None:
    """The catalogue test can fail: a new message in the code is reported."""
    pytest.importorskip("babel")
    tool = _tool()
    template = tool.extract()
    template.add("a message nobody translated {x}")
    problems = tool.problems(template, {lang: tool.updated(template, lang)
                                        for lang in tool.LANGUAGES})
    assert any("nl: no entry for 'a message nobody translated" in p for p in problems)


def test_compiled_catalogues_are_read_for_each_language() -> None:
    for lang in LANGUAGES:
        assert translations(lang) is translations(lang)
    status = msg("incomplete")
    assert (status, say(status, "nl")) == ("incomplete", "onvolledig")


def test_a_message_is_its_english_text_and_renders_values_in_the_same_language() -> None:
    inner = msg("incomplete")
    outer = msg("Verdict: {status}", status=inner)
    assert outer == "Verdict: incomplete"
    assert "onvolledig" in outer.in_language("nl")
    assert say("a name", "nl") == "a name"
    assert msgn("{n} item", "{n} items", 1) == "1 item"
    assert msgn("{n} item", "{n} items", 2) == "2 items"


def test_the_language_comes_from_the_locale() -> None:
    assert default_language({"LANG": "nl_NL.UTF-8"}) == "nl"
    assert default_language({"LANG": "C.UTF-8"}) == "en"
    assert default_language({"LANGUAGE": "fr:nl", "LANG": "en_US"}) == "nl"
    assert default_language({"LANGUAGE": "fr", "LC_ALL": "nl_BE"}) == "nl"
    assert default_language({"LC_ALL": "de_DE", "LANG": "nl_NL"}) == "en"
    assert default_language({}) == "en"
    assert (language("nl-BE"), language("English"), language("fr")) == ("nl", "en", None)
