"""Decisions, audits and their explanations in Dutch and English: the built-in findings
through the catalogue, an institution's own rule messages in both languages (`en "..."`),
the same on both engines, and what would change the outcome."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import luk_rules
from luk_rules import report
from luk_rules.diagnostics import render_text
from luk_rules.errors import RulesetError
from luk_rules.submission import structure

EXAMPLES = Path(__file__).resolve().parent.parent / "rulesets" / "examples"


def _scenario(name: str, ruleset: str, suffix: str = "scenarios") -> dict[str, Any]:
    data = json.loads((EXAMPLES / f"{ruleset}.{suffix}.json").read_text("utf-8"))
    found: dict[str, Any] = next(s for s in data["scenarios"] if s["name"] == name)
    return found


def test_built_in_findings_and_json_messages_follow_the_language() -> None:
    rs = luk_rules.load(EXAMPLES / "bouwkunde-voltijd.luk")
    sub = _scenario("ervaringscertificaat-drie-jaar-oud", "bouwkunde-voltijd")["submission"]
    en, nl = rs.decide(sub), rs.decide(sub, lang="nl")
    assert [f.code for f in en.findings] == [f.code for f in nl.findings]
    assert en.status == nl.status and en.to_dict()["status"] == nl.to_dict()["status"]
    old_en = next(f for f in en.findings if f.code == "evidence-too-old")
    old_nl = next(f for f in nl.findings if f.code == "evidence-too-old")
    assert "does not count for" in old_en.message and "older than 2 years" in old_en.message
    assert "telt niet voor" in old_nl.message and "ouder dan 2 jaar" in old_nl.message
    assert nl.to_dict()["findings"][0]["message"] in {f.message for f in nl.findings}
    assert old_nl.facts == old_en.facts and old_nl.source == old_en.source
    # the language is a choice of the caller, the decision itself unchanged
    assert en.in_language("nl").findings == nl.findings


def test_an_institution_rule_speaks_both_languages() -> None:
    rs = luk_rules.load(EXAMPLES / "ds-master-deeltijd.luk")
    sub = _scenario("a-certificaat-enige-bewijs", "ds-master-deeltijd")["submission"]
    en = {f.message for f in rs.decide(sub).findings}
    nl = {f.message for f in rs.decide(sub, lang="nl").findings}
    assert "c1 is the only evidence for DS-ETH.1, and it is a certificate" in en
    assert "c1 is het enige bewijs voor DS-ETH.1, en dat is een certificaat" in nl
    # a rule without a translation says what it says in every language
    assert "DS-ETH.2 rust op precies 2 items, het minimum" in en & nl


@pytest.mark.parametrize(("written", "broken", "line"), [
    ('  en "{item} is the only evidence for {outcome}, and it is a certificate"',
     '  en "{itme} is the only evidence for {outcome}"', 71),
    ('    en "add other evidence for {outcome} besides {item}"',
     '    en "add other evidence for {itme} besides {outcome}"', 77),
], ids=["message", "advice"])
def test_a_translation_naming_what_the_rule_does_not_bind_is_an_error(
        tmp_path: Path, written: str, broken: str, line: int) -> None:
    """A translated message or advice may name only what the rule binds (LUK072, at the
    translation's line, with the closest name as hint)."""
    source = (EXAMPLES / "ds-master-deeltijd.luk").read_text("utf-8")
    assert written in source
    path = tmp_path / "ds.luk"
    path.write_text(source.replace(written, broken), "utf-8")
    with pytest.raises(RulesetError) as caught:
        luk_rules.load(path, roots=[EXAMPLES.parent])
    lu072 = [d for d in caught.value.diagnostics if d.code == "LUK072"]
    assert lu072 and "{itme}" in lu072[0].message
    assert lu072[0].hint is not None and "item" in lu072[0].hint
    shown = render_text(lu072[0], caught.value.sources, "nl")
    assert f":{line}:" in shown.splitlines()[0]


def test_fmt_keeps_a_rules_translations() -> None:
    from luk_rules.parse import parse
    from luk_rules.printer import print_module

    text = (EXAMPLES / "ds-master-deeltijd.luk").read_text("utf-8")
    once = print_module(parse(text, "ds.luk"))
    assert '  en "{item} is the only evidence for {outcome}, and it is a certificate"' in once
    assert print_module(parse(once, "ds.luk")) == once


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_both_engines_give_the_same_dutch_findings(engine: str) -> None:
    if engine == "durable":
        pytest.importorskip("durable")
    rs = luk_rules.load(EXAMPLES / "ds-master-deeltijd.luk", engine=engine)
    native = luk_rules.load(EXAMPLES / "ds-master-deeltijd.luk")
    for case in json.loads((EXAMPLES / "ds-master-deeltijd.scenarios.json").read_text(
            "utf-8"))["scenarios"]:
        got = rs.decide(case["submission"], lang="nl")
        want = native.decide(case["submission"], lang="nl")
        assert [(f.code, f.message, f.basis) for f in got.findings] == [
            (f.code, f.message, f.basis) for f in want.findings]


def test_the_plain_explanation_says_what_would_resolve_a_finding() -> None:
    rs = luk_rules.load(EXAMPLES / "bouwkunde-voltijd.luk")
    sub = _scenario("ervaringscertificaat-drie-jaar-oud", "bouwkunde-voltijd")["submission"]
    parsed = structure(sub, fields=rs.fields)
    for lang, words in (("en", "To resolve evidence-too-old (e1): cover BK-ONT.1 with "
                               "evidence that is at most 2 years old on 2025-03-01"),
                        ("nl", "Om evidence-too-old (e1) op te lossen: toon BK-ONT.1 aan met "
                               "bewijs dat op 2025-03-01 ten hoogste 2 jaar oud is")):
        decision = rs.decide(sub, explain=True, lang=lang)  # type: ignore[arg-type]
        text = report.decision_text(decision, rs.for_date(parsed.date).ir, parsed.form,
                                    str(parsed.date), parsed.assessment, parsed.evidence,
                                    lang=lang)  # type: ignore[arg-type]
        assert words in text


def test_an_audit_is_explained_in_plain_words_in_both_languages() -> None:
    rs = luk_rules.load(EXAMPLES / "ds-master-deeltijd.luk")
    data = json.loads((EXAMPLES / "ds-master-deeltijd.audit.scenarios.json").read_text("utf-8"))
    record = next(s for s in data["scenarios"]
                  if "exemptions-over-limit" in s["expect"].get("findings", []))["record"]
    on = dt.date.fromisoformat(record["date"])
    en = report.audit_text(rs.audit(record, explain=True), rs.for_date(on).ir, record["date"],
                           proof=False)
    nl = report.audit_text(rs.audit(record, explain=True, lang="nl"), rs.for_date(on).ir,
                           record["date"], lang="nl", proof=False)
    assert "\nWhy\n" in en and "credits count, from" in en
    assert "To resolve exemptions-over-limit" in en
    assert "\nWaarom\n" in nl and "studiepunten tellen, uit" in nl
    assert "onvolledig" in nl and "Om exemptions-over-limit" in nl
    assert "(" not in "".join(line for line in nl.splitlines() if line.startswith("- "))


def test_an_institution_rule_says_what_would_resolve_it_in_both_languages() -> None:
    rs = luk_rules.load(EXAMPLES / "ds-master-deeltijd.luk")
    sub = _scenario("a-certificaat-enige-bewijs", "ds-master-deeltijd")["submission"]
    parsed = structure(sub, fields=rs.fields)
    advice = {"en": "add other evidence for DS-ETH.1 besides c1",
              "nl": "voeg voor DS-ETH.1 ander bewijs toe naast c1"}
    lines = {"en": "To resolve certificaat-nooit-alleen (DS-ETH.1, c1): ",
             "nl": "Om certificaat-nooit-alleen (DS-ETH.1, c1) op te lossen: "}
    for lang, words in advice.items():
        decision = rs.decide(sub, explain=True, lang=lang)  # type: ignore[arg-type]
        found = {f.code: f.advice for f in decision.findings}
        assert found["certificaat-nooit-alleen"] == words
        assert found["precies-het-minimum"] == ""  # a rule without `advice`
        text = report.decision_text(decision, rs.for_date(parsed.date).ir, parsed.form,
                                    str(parsed.date), parsed.assessment, parsed.evidence,
                                    lang=lang)  # type: ignore[arg-type]
        assert lines[lang] + words in text
        assert "advice" not in json.dumps(decision.to_dict())  # not in the JSON contract


def test_fmt_keeps_an_advice_and_its_translation() -> None:
    from luk_rules.parse import parse
    from luk_rules.printer import print_module

    text = (EXAMPLES / "ds-master-deeltijd.luk").read_text("utf-8")
    once = print_module(parse(text, "ds.luk"))
    assert ('  advice "voeg voor {outcome} ander bewijs toe naast {item}"\n'
            '    en "add other evidence for {outcome} besides {item}"\n') in once
    assert print_module(parse(once, "ds.luk")) == once
    rule = next(d for d in parse(text, "ds.luk").declarations
                if getattr(getattr(d, "name", None), "value", "") == "certificaat-nooit-alleen")
    assert rule.advice is not None and rule.advice.translations[0].lang == "en"  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_the_letter_says_what_would_resolve_each_finding(engine: str) -> None:
    pytest.importorskip("jinja2")
    if engine == "durable":
        pytest.importorskip("durable")
    from luk_rules import html

    rs = luk_rules.load(EXAMPLES / "ds-master-deeltijd.luk", engine=engine)
    sub = _scenario("a-certificaat-enige-bewijs", "ds-master-deeltijd")["submission"]
    decision = rs.decide(sub, lang="nl")
    page = html.decision_html(decision, rs.ir, sub["form"], sub["date"], sub["assessment"],
                              lang="nl")
    assert "<p>Om dit op te lossen: voeg voor DS-ETH.1 ander bewijs toe naast c1.</p>" in page
