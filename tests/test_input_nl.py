"""Messages about input (a ruleset's text, its includes, a submission, a scenario file) in
Dutch: the text is translated, the place (file:line:column, JSON path) stays as it is, and
the English is what it always was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import luk_rules
from luk_rules import pipeline
from luk_rules import scenarios as runner
from luk_rules.diagnostics import render_json, render_text
from luk_rules.errors import Problem, RulesetError, RulesetUnreadable, SubmissionError
from luk_rules.i18n import say
from luk_rules.parse import ParseFailed, parse
from luk_rules.sources import SourceUnreadable, collect_paths, read_text
from luk_rules.submission import loads

ROOT = Path(__file__).resolve().parent.parent
BOUWKUNDE = ROOT / "rulesets" / "examples" / "bouwkunde-deeltijd.luk"

SUBMISSION: dict[str, Any] = {
    "id": "S1",
    "programme": "BK",
    "form": "deeltijd",
    "date": "2025-03-01",
    "units": ["BK-ONT"],
    "assessment": "BK-PORTFOLIO",
    "evidence": [{"id": "e1", "type": "projectverslag", "outcomes": ["BK-ONT.2"],
                  "date": "2024-02-30"}],
}


def test_a_parse_error_in_dutch_keeps_its_place() -> None:
    text = 'evidence cv "CV"\nrule r "m" (\n'
    with pytest.raises(ParseFailed) as caught:
        parse(text, "regels.luk")
    [d] = caught.value.diagnostics
    english = render_text(d, {"regels.luk": text}, "en")
    dutch = render_text(d, {"regels.luk": text}, "nl")
    assert english.splitlines()[0] == "regels.luk:2:12: error[LUK001]: unexpected `(`"
    assert "= hint: expected `deny`, `warn` or `info`, `for`, `where`" in english
    assert dutch.splitlines()[0] == "regels.luk:2:12: fout[LUK001]: onverwacht: `(`"
    assert "= tip: verwacht: `deny`, `warn` of `info`, `for`, `where`" in dutch
    assert english.splitlines()[1:4] == dutch.splitlines()[1:4]  # the excerpt and caret


def test_the_end_of_the_text_and_the_names_of_what_was_expected_in_dutch() -> None:
    with pytest.raises(ParseFailed) as caught:
        parse("evidence", "kort.luk")
    [d] = caught.value.diagnostics
    assert d.message == "the text ends in the middle of a declaration"
    assert say(d.message, "nl") == "de tekst houdt op midden in een declaratie"
    assert d.hint == "expected `field`, a name"
    assert d.hint is not None and say(d.hint, "nl") == "verwacht: `field`, een naam"


def test_an_unreadable_include_in_dutch(tmp_path: Path) -> None:
    ruleset = tmp_path / "hoofd.luk"
    ruleset.write_text('include "ontbreekt.luk"\nevidence cv "CV"\n', encoding="utf-8")
    analysis = pipeline.analyse(ruleset)
    [d] = [d for d in analysis.diagnostics if d.code == "LUK005"]
    assert (d.span.file, d.span.line, d.span.column) == ("hoofd.luk", 1, 9)
    assert d.message == "cannot include `ontbreekt.luk`: no such file"
    assert say(d.message, "nl") == "`ontbreekt.luk` kan niet worden opgenomen: het bestand " \
        "bestaat niet"
    as_json = json.loads(render_json([d], "nl"))["diagnostics"][0]
    assert (as_json["file"], as_json["line"], as_json["column"]) == ("hoofd.luk", 1, 9)
    assert as_json["hint"] == "het pad is relatief aan de map van het bestand dat het opneemt"


def test_an_unreadable_ruleset_and_file_describe_themselves_in_dutch(tmp_path: Path) -> None:
    missing = tmp_path / "weg.luk"
    with pytest.raises(RulesetUnreadable) as caught:
        luk_rules.load(missing)
    assert str(caught.value) == f"{missing}: cannot read: no such file"
    assert caught.value.describe() == str(caught.value)
    assert caught.value.describe("nl") == f"{missing}: kan niet worden gelezen: het bestand " \
        "bestaat niet"
    with pytest.raises(SourceUnreadable) as unreadable:
        read_text(tmp_path, "map")
    assert str(unreadable.value) == "map: cannot read: it is a folder"
    assert unreadable.value.describe("nl") == "map: kan niet worden gelezen: het is een map"
    _, problems = collect_paths([str(missing)])
    assert [say(p, "nl") for p in problems] == [f"{missing}: bestand of map bestaat niet"]


def test_a_broken_ruleset_describes_its_first_error_in_dutch() -> None:
    with pytest.raises(RulesetError) as caught:
        luk_rules.loads('include "x.luk"\nrule r "m" (\n', name="kapot.luk")
    assert str(caught.value) == "kapot.luk:2:12: unexpected `(`"
    assert caught.value.describe("nl") == "kapot.luk:2:12: onverwacht: `(`"


def test_a_bad_submission_in_dutch_keeps_its_json_path() -> None:
    with pytest.raises(SubmissionError) as caught:
        loads(json.dumps(SUBMISSION), "aanvraag.json")
    error = caught.value
    [problem] = error.problems
    assert problem.path == "$.evidence[0].date"
    assert str(problem) == "$.evidence[0].date: '2024-02-30' is not a date (YYYY-MM-DD)"
    assert problem.render() == str(problem)
    assert problem.render("nl") == "$.evidence[0].date: '2024-02-30' is geen datum (JJJJ-MM-DD)"
    assert str(error) == "aanvraag.json: " + str(problem)
    assert error.describe() == str(error)
    assert error.describe("nl") == "aanvraag.json: " + problem.render("nl")


def test_a_submission_the_ruleset_does_not_know_in_dutch() -> None:
    ruleset = luk_rules.load(BOUWKUNDE)
    submission = {**SUBMISSION, "units": ["BK-ONTT"], "evidence": [
        {**SUBMISSION["evidence"][0], "date": "2024-02-28"}]}
    with pytest.raises(SubmissionError) as caught:
        ruleset.decide(submission)
    [problem] = caught.value.problems
    assert str(problem) == "$.units[0]: unknown unit 'BK-ONTT'; did you mean 'BK-ONT'?"
    assert problem.render("nl") == \
        "$.units[0]: onbekende eenheid 'BK-ONTT'; bedoelt u 'BK-ONT'?"


def test_invalid_json_in_dutch_keeps_the_reason_python_gives() -> None:
    with pytest.raises(SubmissionError) as caught:
        loads("{", "leeg.json")
    assert str(caught.value) == ("leeg.json: $: not valid JSON: Expecting property name "
                                 "enclosed in double quotes (line 1, column 2)")
    assert caught.value.describe("nl") == (
        "leeg.json: $: geen geldige JSON: Expecting property name enclosed in double quotes "
        "(regel 1, kolom 2)")


def test_problems_made_by_hand_still_render() -> None:
    """A Problem with a plain text (as a caller may make one) renders it as it is."""
    error = SubmissionError([Problem("$.id", "kapot")])  # type: ignore[arg-type]
    assert error.describe("nl") == str(error) == "$.id: kapot"


def _scenario_file(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / f"geval{runner.SUFFIX}"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_a_bad_scenario_file_in_dutch(tmp_path: Path) -> None:
    path = _scenario_file(tmp_path, {"ruleset": str(BOUWKUNDE), "scenarios": [
        {"name": "een", "submission": SUBMISSION, "expect": {"status": "admissible"}},
        {"name": "een", "submission": SUBMISSION, "expect": {"status": "admissible"}}]})
    with pytest.raises(runner.ScenarioFileError) as caught:
        runner._load_file(path)
    shown = runner.display_path(path)
    assert str(caught.value) == f"{shown}: $.scenarios[1].name: 'een' is used twice"
    assert caught.value.describe("nl") == \
        f"{shown}: $.scenarios[1].name: 'een' wordt twee keer gebruikt"
    [result] = runner.run_files([path]).results
    assert (result.outcome, result.message) == ("error", str(caught.value))
    assert say(result.message, "nl") == caught.value.describe("nl")


def test_a_scenario_file_that_is_not_json_in_dutch(tmp_path: Path) -> None:
    path = tmp_path / f"kapot{runner.SUFFIX}"
    path.write_text("", encoding="utf-8")
    with pytest.raises(runner.ScenarioFileError) as caught:
        runner._load_file(path)
    shown = runner.display_path(path)
    assert str(caught.value) == f"{shown}: $: the document is empty"
    assert caught.value.describe("nl") == f"{shown}: $: het document is leeg"


def test_a_refused_submission_in_a_scenario_in_dutch(tmp_path: Path) -> None:
    path = _scenario_file(tmp_path, {"ruleset": str(BOUWKUNDE), "scenarios": [
        {"name": "fout", "submission": SUBMISSION, "expect": {"status": "admissible"},
         }]})
    [result] = runner.run_files([path]).results
    assert result.outcome == "error"
    assert result.message == \
        "invalid submission: $.evidence[0].date: '2024-02-30' is not a date (YYYY-MM-DD)"
    assert say(result.message, "nl") == \
        "ongeldige aanvraag: $.evidence[0].date: '2024-02-30' is geen datum (JJJJ-MM-DD)"
    assert "ongeldige aanvraag: $.evidence[0].date" in runner.junit_xml(
        runner.run_files([path]), "nl")


def test_a_failed_scenario_is_described_in_dutch(tmp_path: Path) -> None:
    path = _scenario_file(tmp_path, {"ruleset": str(BOUWKUNDE), "scenarios": [
        {"name": "geweigerd", "submission": SUBMISSION,
         "expect": {"input_error": ["$.date"]}}]})
    [result] = runner.run_files([path]).results
    assert result.outcome == "failed"
    assert list(runner.describe(result)) == [
        'input_error: expected ["$.date"], got ["$.evidence[0].date"]']
    assert list(runner.describe(result, "nl")) == [
        'input_error: verwacht ["$.date"], maar kreeg ["$.evidence[0].date"]']
