"""`luk` in Dutch: its help and usage errors (argparse's own words too), the messages it
prints, `luk diff` as text and Markdown, `luk law`, and the HTML letter and impact report
(``--lang nl``, or the locale); JSON stays as it is in every language."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import luk_rules
from luk_rules import cli, html, impact

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "rulesets" / "examples"
DEELTIJD = EXAMPLES / "bouwkunde-deeltijd.luk"
SELFICIENT = EXAMPLES / "cases" / "bouwkunde-selficient.json"
VOLTIJD = EXAMPLES / "bouwkunde-voltijd.luk"
EVL = EXAMPLES / "bouwkunde-voltijd-evl.luk"
PAST = EXAMPLES / "past-cases"
LUK = [sys.executable, "-m", "luk_rules.cli"]


def luk(*args: str | Path, language: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `luk` as a process, with ``LANGUAGE`` set when given (the tests' own is en);
    never a traceback."""
    env = dict(os.environ)
    if language is not None:
        env["LANGUAGE"] = language
    done = subprocess.run([*LUK, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done


# ------------------------------------------------------------------ help and usage


def test_subcommand_help_in_dutch() -> None:
    done = luk("decide", "--help", "--lang", "nl")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("gebruik: luk decide")
    for words in ("positionele argumenten:", "opties:", "deze hulptekst tonen en stoppen",
                  "de aanvraag (JSON); - leest de standaardinvoer",
                  "Besluiten of een aanvraag ontvankelijk is"):
        assert words in out, words
    for english in ("usage:", "positional arguments", "options:", "show this help"):
        assert english not in out


def test_top_level_help_follows_the_locale() -> None:
    dutch = luk("--help", language="nl")
    assert dutch.returncode == 0
    assert dutch.stdout.startswith("gebruik: luk")
    assert "een besluit nemen over een aanvraag" in dutch.stdout
    assert "het versienummer van het programma tonen en stoppen" in dutch.stdout
    english = luk("--help", language="en_GB")
    assert english.stdout.startswith("usage: luk")
    assert "decide a submission" in english.stdout
    assert "show program's version number and exit" in english.stdout
    # --lang on the command line wins over the locale
    assert luk("decide", "--help", "--lang=en", language="nl").stdout.startswith("usage:")


def test_a_literal_percent_in_help_survives_translation() -> None:
    """argparse %-formats help: the % of `P%` is escaped after translation."""
    dutch = luk("test", "--help", "--lang", "nl")
    assert dutch.returncode == 0, dutch.stderr
    assert "minder dan P% van de regels" in " ".join(dutch.stdout.split())
    english = luk("test", "--help")
    assert "less than P% of the rules" in " ".join(english.stdout.split())


@pytest.mark.parametrize(("args", "dutch", "english"), [
    (["decide", "--lang", "nl"], "luk decide: de volgende argumenten zijn verplicht: RULESET",
     "luk decide: the following arguments are required: RULESET"),
    (["law", "--format", "yaml", "--lang", "nl"],
     "luk law: argument --format: ongeldige keuze: 'yaml' (kies uit",
     "luk law: argument --format: invalid choice: 'yaml' (choose from"),
    (["check", "x", "--bogus", "--lang", "nl"], "onbekende argumenten: --bogus",
     "unrecognized arguments: --bogus"),
    (["diff", "a", "b", "c", "--jobs", "--lang", "nl"],
     "argument --jobs: één argument verwacht", "argument --jobs: expected one argument"),
    (["diff", "a", "b", "c", "--jobs", "x", "--lang", "nl"],
     "argument --jobs: 'x' is geen geheel getal", "argument --jobs: 'x' is not a whole number"),
    (["fmt", "x", "--check", "--stdout", "--lang", "nl"],
     "argument --stdout: niet toegestaan samen met argument --check",
     "argument --stdout: not allowed with argument --check"),
    (["law", "2025-13-01", "--lang", "nl"], "is geen datum (schrijf JJJJ-MM-DD",
     "is not a date (write it as YYYY-MM-DD"),
])
def test_usage_errors_in_dutch_and_english(args: list[str], dutch: str, english: str) -> None:
    nl = luk(*args)
    assert nl.returncode == 2
    assert "gebruik: luk" in nl.stderr and dutch in nl.stderr, nl.stderr
    en = luk(*[a for a in args if a not in ("--lang", "nl")])
    assert en.returncode == 2
    assert "usage: luk" in en.stderr and english in en.stderr, en.stderr


def test_an_unknown_argparse_error_passes_through() -> None:
    assert cli._argparse_message("something argparse never said") == \
        "something argparse never said"
    known = cli._argparse_message("argument --x: expected one argument")
    assert luk_rules.i18n.say(known, "nl") == "argument --x: één argument verwacht"


# ------------------------------------------------------------------ messages


def test_check_summary_and_diagnostics_in_dutch(tmp_path: Path) -> None:
    bad = tmp_path / "bad.luk"
    bad.write_text("programme BK {\n", encoding="utf-8")
    done = luk("check", bad, "--lang", "nl")
    assert done.returncode == 1
    assert "fout[LUK" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "1 bestand gecontroleerd: 1 fout, " \
        "0 waarschuwingen"
    missing = luk("check", tmp_path / "nothing-here", "--lang", "nl")
    assert missing.returncode == 2
    assert "niet te lezen: 1" in missing.stdout


def test_diff_gate_problem_in_dutch(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = luk("diff", VOLTIJD, EVL, empty, "--lang", "nl")
    assert done.returncode == 2
    assert "luk diff: geen casussen gevonden" in done.stderr
    assert f"gezocht in: {empty}" in done.stderr


def test_unwritable_output_in_dutch(tmp_path: Path) -> None:
    done = luk("decide", DEELTIJD, SELFICIENT, "-o", tmp_path / "no" / "such" / "file.txt",
               "--lang", "nl")
    assert done.returncode == 2
    assert "luk decide: kan " in done.stderr and " niet schrijven: " in done.stderr


def test_decide_text_in_dutch_and_json_keeps_its_codes() -> None:
    text = luk("decide", DEELTIJD, SELFICIENT, "--lang", "nl")
    assert text.returncode == 1
    assert "onvolledig" in text.stdout and "incomplete" not in text.stdout
    found = json.loads(luk("decide", DEELTIJD, SELFICIENT, "--format", "json",
                           "--lang", "nl").stdout)
    assert found["status"] == "incomplete"


# ------------------------------------------------------------------ luk diff


def test_diff_markdown_in_dutch() -> None:
    done = luk("diff", VOLTIJD, EVL, PAST, "--format", "markdown", "--lang", "nl")
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert out.startswith("## Effect van `")
    assert "| casussen | andere status | alleen andere bevindingen | ongewijzigd |" in out
    assert "### Statuswijzigingen naar reden" in out
    assert "### Zelfde status, ander besluit" in out
    assert "| niet-ontvankelijk | ontvankelijk |" in out
    assert "is niet meer van toepassing" in out
    assert "Impact of" not in out and "| inadmissible |" not in out


def test_diff_text_in_dutch_and_json_unchanged() -> None:
    text = luk("diff", VOLTIJD, EVL, PAST, "--lang", "nl").stdout
    assert text.splitlines()[1].startswith("400 casussen: 16 ")
    assert "Statuswijzigingen" in text and "niet-ontvankelijk -> ontvankelijk" in text
    assert "bijv. BKV-" in text
    dutch = json.loads(luk("diff", VOLTIJD, EVL, PAST, "--format", "json", "--lang", "nl").stdout)
    english = json.loads(luk("diff", VOLTIJD, EVL, PAST, "--format", "json").stdout)
    assert dutch == english
    assert any("no longer applies" in g["reason"] for g in english["summary"]["groups"])


def test_impact_reasons_are_messages_with_english_json() -> None:
    result = impact.compare(VOLTIJD, EVL, [PAST])
    reason = result.groups[0].reason
    assert reason == "combination-not-allowed (deny) no longer applies"
    assert luk_rules.i18n.say(reason, "nl") == \
        "combination-not-allowed (deny) is niet meer van toepassing"
    several = next(g for g in result.findings_groups if ";" in g.reason)
    assert "; wet: " in luk_rules.i18n.say(several.reason, "nl")
    assert impact.status_word("inadmissible", "nl") == "niet-ontvankelijk"
    assert impact.transition_words("incomplete -> admissible", "nl") == ("onvolledig",
                                                                          "ontvankelijk")


# ------------------------------------------------------------------ luk law


def test_law_in_dutch() -> None:
    done = luk("law", "2025-03-01", "--lang", "nl")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("De wettelijke regimes die met luk_rules worden meegeleverd, op "
                          "2025-03-01")
    for words in ("periode: altijd van kracht (", "status: geldend recht", "grondslag: ",
                  "periode: van kracht vanaf 2025-01-01 (",
                  "periode: van kracht van 2016-07-01 tot en met 2024-12-31 ("):
        assert words in out, words
    assert "in force always" not in out and "in force from" not in out
    english = json.loads(luk("law", "2025-03-01", "--format", "json").stdout)
    dutch = json.loads(luk("law", "2025-03-01", "--format", "json", "--lang", "nl").stdout)
    assert dutch == english  # the JSON's period stays English
    assert any(r["period"] == "in force always" for r in english["regimes"])


# ------------------------------------------------------------------ HTML


def test_letter_in_dutch() -> None:
    done = luk("decide", DEELTIJD, SELFICIENT, "--format", "html", "--lang", "nl")
    assert done.returncode == 1, done.stderr
    page = done.stdout
    assert '<html lang="nl">' in page
    for words in ("Besluit over de ontvankelijkheid van een aanvraag", "Besluit: Onvolledig",
                  "Eenheden en leeruitkomsten", "Examencommissie, Bouwkunde",
                  "Wat toe te voegen", "leerwegonafhankelijk", "Bevindingen",
                  "Er ontbreekt bewijs voordat de aanvraag kan worden beoordeeld"):
        assert words in page, words
    assert "Decision on the admissibility" not in page
    english = luk("decide", DEELTIJD, SELFICIENT, "--format", "html").stdout
    assert '<html lang="en">' in english and "Decision: Incomplete" in english


def test_impact_report_in_dutch() -> None:
    result = impact.compare(VOLTIJD, EVL, [PAST])
    before, after = luk_rules.load(VOLTIJD).ir, luk_rules.load(EVL).ir
    page = html.impact_html(result, before, after, lang="nl")
    assert '<html lang="nl">' in page
    for words in ("Effect van een wijziging van de onderwijs- en examenregeling", "Totalen",
                  "casussen", "Wijzigingen naar reden", "niet-ontvankelijk → ontvankelijk",
                  "is niet meer van toepassing", "Geldt vanaf 2025-09-01",
                  "Zelfde status, ander besluit"):
        assert words in page, words
    # the data the chart is drawn from keeps the statuses themselves
    assert 'data-transition="inadmissible -> admissible"' in page
    assert "Impact of a change" not in page
    chart = html.transitions_chart([("incomplete -> admissible", 1)], lang="nl")
    assert chart.description == "onvolledig → ontvankelijk: 1 casus"
    assert html.transitions_chart([], lang="nl").description == \
        "geen enkele casus is van status veranderd"


def test_one_environment_per_language() -> None:
    pytest.importorskip("jinja2")
    assert html._environments("nl") is html._environments("nl")
    assert html._environments("nl") is not html._environments("en")
