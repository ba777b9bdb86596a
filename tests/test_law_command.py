"""`luk law [DATE]`: the law regimes and which one governs each form and level on a date
(issue 10, item 4), as a process (text, JSON against its schema, usage errors) and through
:func:`luk_rules.law.law_report`."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest
from jsonschema import Draft202012Validator
from test_cli import EXAMPLES, luk

from luk_rules import ast, cli
from luk_rules.checks.resolve import LEVELS, ProgrammeFacts, remaining
from luk_rules.errors import RulesetError, RulesetUnreadable
from luk_rules.law import LAW_SCHEMA, law_report
from luk_rules.resources import law_dir

HBO = [level for level in LEVELS if level.startswith("hbo-")]
WO = [level for level in LEVELS if level.startswith("wo-")]
EVL = "eenheid-van-leeruitkomsten"


def law_json(*args: str | Path) -> dict[str, Any]:
    """`luk law ... --format json`, exit 0, checked against `luk schema law`."""
    done = luk("law", *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    Draft202012Validator(LAW_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
                         ).validate(found)
    return found


def rows(found: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(g["form"], g["level"]): g for g in found["governing"]}


def kinds(row: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [(p["kind"], p["when"], p["regime"]) for p in row["permits"]]


def test_acceptance_on_2025_03_01_the_wet_leeruitkomsten_for_deeltijd_and_duaal() -> None:
    """Deeltijd and duaal, hbo and wo: the Wet leeruitkomsten, with units of learning
    outcomes when opted in and keeping a recommended route; voltijd: the WHW."""
    found = law_json("2025-03-01")
    assert found["date"] == "2025-03-01"
    assert (found["law"], found["ruleset"], found["assumption"], found["programme"]) == (
        "shipped", None, "favourable", None)
    table = rows(found)
    assert len(table) == 3 * len(LEVELS) == len(found["governing"])
    for level in LEVELS:
        for form in ("deeltijd", "duaal"):
            row = table[(form, level)]
            assert (row["regime"], row["status"], row["reason"]) == (
                "wet-leeruitkomsten", "enacted", "own-permit"), (form, level)
            assert kinds(row) == [(EVL, "opted in and recommended route", "wet-leeruitkomsten"),
                                  ("onderwijseenheid", None, "whw")]
        voltijd = table[("voltijd", level)]
        assert (voltijd["regime"], voltijd["title"], voltijd["reason"]) == (
            "whw", "Wet op het hoger onderwijs en wetenschappelijk onderzoek", "own-permit")
        assert kinds(voltijd) == [("onderwijseenheid", None, "whw")]
        assert voltijd["permits"][0]["source"] == "law/whw.luk:11:3"


def test_the_regimes_are_listed_with_period_status_clauses_and_sources() -> None:
    found = law_json("2025-03-01")
    names = [r["name"] for r in found["regimes"]]
    shipped = sorted(p.stem for p in law_dir().glob("*.luk"))
    assert names == shipped
    assert {"experiment-leeruitkomsten", "voltijd-uitbreiding", "wet-leeruitkomsten",
            "whw"} <= set(names)
    regimes = {r["name"]: r for r in found["regimes"]}
    wet = regimes["wet-leeruitkomsten"]
    assert (wet["period"], wet["start"], wet["end"], wet["in_force"], wet["proposal"]) == (
        "in force from 2025-01-01", "2025-01-01", None, True, False)
    assert (wet["status"], wet["extends"], wet["shipped"]) == ("enacted", ["whw"], True)
    assert wet["source"].startswith("law/wet-leeruitkomsten.luk:")
    # Its clauses and those it inherits, each with the regime that declares it.
    assert [(p["kinds"], p["regime"]) for p in wet["permits"]] == [
        (["onderwijseenheid"], "whw"), ([EVL], "wet-leeruitkomsten")]
    own = wet["allows"][-1]
    assert (own["combinations"], own["status"], own["regime"]) == (
        ["A", "B", "C", "D"], "interpretation", "wet-leeruitkomsten")
    assert own["reading"].startswith("luk_rules: since a unit of learning outcomes")
    bc = next(a for a in regimes["whw"]["allows"] if a["combinations"] == ["B", "C"])
    assert bc["when"] == "assessment is path-independent"
    proposal = regimes["voltijd-uitbreiding"]
    assert (proposal["period"], proposal["status"], proposal["in_force"]) == (
        "proposal", "proposal", False)
    experiment = regimes["experiment-leeruitkomsten"]
    assert (experiment["in_force"], experiment["end"]) == (False, "2024-12-31")
    assert experiment["permits"][-1]["when"] == "level is hbo and institution participates"


def test_on_2020_01_01_the_experiment_for_hbo_deeltijd_the_whw_for_wo() -> None:
    table = rows(law_json("2020-01-01"))
    for form in ("deeltijd", "duaal"):
        for level in HBO:
            row = table[(form, level)]
            assert row["regime"] == "experiment-leeruitkomsten", (form, level)
            assert kinds(row) == [(EVL, "institution participates", "experiment-leeruitkomsten"),
                                  ("onderwijseenheid", None, "whw")]
        for level in WO:  # the experiment was for hbo only
            assert table[(form, level)]["regime"] == "whw", (form, level)
            assert kinds(table[(form, level)]) == [("onderwijseenheid", None, "whw")]
    assert {table[("voltijd", level)]["regime"] for level in LEVELS} == {"whw"}


def test_before_the_experiment_the_whw_everywhere() -> None:
    found = law_json("2014-01-01")
    assert {g["regime"] for g in found["governing"]} == {"whw"}
    assert [r["name"] for r in found["regimes"] if r["in_force"]] == ["whw"]


def bouwkunde_as_if(tmp_path: Path, since: str) -> Path:
    """Bouwkunde voltijd on units of learning outcomes, as if the proposal
    voltijd-uitbreiding took effect on ``since`` (and opted in on that date)."""
    for name in ("bouwkunde-units.luk", "bouwkunde-voltijd.luk"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    text = (EXAMPLES / "bouwkunde-voltijd-evl.luk").read_text(encoding="utf-8")
    assert text.count("2025-09-01") >= 3
    path = tmp_path / "bouwkunde-voltijd-evl.luk"
    path.write_text(text.replace("2025-09-01", since), encoding="utf-8")
    return path


def test_a_proposal_as_if_in_force_governs_voltijd_from_its_date(tmp_path: Path) -> None:
    ruleset = bouwkunde_as_if(tmp_path, "2026-09-01")
    found = law_json("2026-10-01", "--ruleset", ruleset)
    assert (found["law"], found["ruleset"], found["assumption"]) == (
        "ruleset", "bouwkunde-voltijd-evl.luk", "programme")
    programme = found["programme"]
    assert (programme["code"], programme["level"], programme["forms"]) == (
        "BK", "hbo-bachelor", ["voltijd"])
    assert programme["as_if"] == {"voltijd-uitbreiding": "2026-09-01"}
    assert programme["applies"] == "voltijd-uitbreiding"
    (row,) = found["governing"]
    assert (row["form"], row["level"], row["regime"], row["status"]) == (
        "voltijd", "hbo-bachelor", "voltijd-uitbreiding", "proposal")
    # By the programme's facts: opted in on 2026-09-01, a recommended route everywhere.
    assert kinds(row) == [(EVL, None, "voltijd-uitbreiding"), ("onderwijseenheid", None, "whw")]
    assert row["permits"][0]["status"] == "proposal"
    proposal = next(r for r in found["regimes"] if r["name"] == "voltijd-uitbreiding")
    assert (proposal["period"], proposal["start"], proposal["as_if"], proposal["in_force"]) == (
        "proposal, as if in force from 2026-09-01", "2026-09-01", "2026-09-01", True)
    # Before its date the proposal is not in force: the WHW governs voltijd.
    before = law_json("2026-08-01", "--ruleset", ruleset)
    (row,) = before["governing"]
    assert (row["regime"], kinds(row)) == ("whw", [("onderwijseenheid", None, "whw")])
    assert before["programme"]["applies"] == "wet-leeruitkomsten"


def test_a_shipped_example_by_its_programme_s_facts() -> None:
    """MSc Data Science (wo-master, deeltijd and duaal, opted in on 2025-02-01)."""
    ruleset = EXAMPLES / "ds-master-deeltijd.luk"
    found = law_json("2025-03-01", "--ruleset", ruleset)
    assert [(g["form"], g["level"], g["regime"], g["reason"]) for g in found["governing"]] == [
        ("deeltijd", "wo-master", "wet-leeruitkomsten", "own-permit"),
        ("duaal", "wo-master", "wet-leeruitkomsten", "own-permit")]
    assert kinds(found["governing"][0]) == [(EVL, None, "wet-leeruitkomsten"),
                                            ("onderwijseenheid", None, "whw")]
    assert [r["name"] for r in found["regimes"]] == ["wet-leeruitkomsten", "whw"]
    # Before it opted in, the Wet leeruitkomsten's own permit cannot hold: the programme
    # relies on the WHW's, though a decision applies the Wet leeruitkomsten (latest in force).
    early = law_json("2025-01-15", "--ruleset", ruleset)
    row = early["governing"][0]
    assert (row["regime"], row["reason"]) == ("whw", "own-permit")
    assert kinds(row) == [("onderwijseenheid", None, "whw")]
    assert early["programme"]["applies"] == "wet-leeruitkomsten"


def test_the_text_is_readable_for_an_exam_committee() -> None:
    done = luk("law", "2025-03-01")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("The law regimes shipped with luk_rules, on 2025-03-01\n")
    for line in (
        "wet-leeruitkomsten: Wet leeruitkomsten hoger onderwijs",
        "  period: in force from 2025-01-01 (in force on 2025-03-01)",
        "  status: enacted law",
        "  extends: whw (it permits and allows what that regime does too)",
        "  period: in force from 2016-07-01 until 2024-12-31 (not in force on 2025-03-01)",
        "  status: proposal, not law",
        "  permit eenheid-van-leeruitkomsten for deeltijd, duaal when opted in and "
        "recommended route",
        "      basis: WHW art. 7.3 [enacted law]",
        "      at law/whw.luk:11:3",
        "  form      level                 regime, and the unit kinds it permits",
        "  voltijd   wo-master             whw [enacted law]",
        "  duaal     wo-master             wet-leeruitkomsten [enacted law]",
        "                                    eenheid-van-leeruitkomsten when opted in and "
        "recommended route",
        "                                    onderwijseenheid (from whw)",
    ):
        assert line in text.splitlines(), line
    assert "      reading: luk_rules: route A" in text
    # Oldest first, proposals last.
    order = [text.index(f"\n{name}: ") for name in (
        "whw", "experiment-leeruitkomsten", "wet-leeruitkomsten", "voltijd-uitbreiding")]
    assert order == sorted(order)


def test_the_json_is_stable_and_the_date_defaults_to_today() -> None:
    first = luk("law", "2025-03-01", "--format", "json").stdout
    assert first == luk("law", "2025-03-01", "--format", "json").stdout
    assert json.loads(first) == json.loads(json.dumps(json.loads(first), sort_keys=True))
    today = law_json()
    assert today["date"] == dt.date.today().isoformat()
    done = luk("law", "--help")
    assert "default: today" in done.stdout


def test_luk_schema_law_is_a_valid_schema() -> None:
    done = luk("schema", "law")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema == LAW_SCHEMA
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert not validator.is_valid({**law_json("2025-03-01"), "extra": 1})


@pytest.mark.parametrize(("args", "message"), [
    (["2025-13-01"], "'2025-13-01' is not a date (write it as YYYY-MM-DD"),
    (["1-3-2025"], "is not a date"),
    (["2025-03-01", "--ruleset", "no-such.luk"], "no-such.luk: cannot read: no such file"),
    (["--root", "rulesets"], "--root is for --ruleset"),
    (["2025-03-01", "--format", "yaml"], "invalid choice"),
])
def test_usage_errors_exit_2_without_a_traceback(args: list[str], message: str) -> None:
    done = luk("law", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""


def test_a_ruleset_with_errors_is_reported_like_decide_does(tmp_path: Path) -> None:
    bad = tmp_path / "bad.luk"
    bad.write_text('programme X "X"\n  level hbo-bachelor\n  form voltijd\n  under nergens\n',
                   encoding="utf-8")
    done = luk("law", "2025-03-01", "--ruleset", bad)
    assert done.returncode == 2
    assert "nergens" in done.stderr
    assert f"luk law: {bad} has errors" in done.stderr


def test_a_law_file_with_errors_is_a_clean_error(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    law = tmp_path / "law"
    law.mkdir()
    (law / "broken.luk").write_text('regime broken "Broken"\n  in force from 2025-02-30\n'
                                    '  basis "x"\n  enacted\n', encoding="utf-8")
    with pytest.raises(RulesetError) as raised:
        law_report(dt.date(2025, 3, 1), law=law)
    assert any(d.is_error for d in raised.value.diagnostics)
    with pytest.raises(RulesetUnreadable, match="no law regimes"):
        law_report(dt.date(2025, 3, 1), law=tmp_path / "empty")
    monkeypatch.setattr("luk_rules.law.law_dir", lambda: law)
    assert cli.main(["law", "2025-03-01"]) == 2
    err = capsys.readouterr().err
    assert "2025-02-30" in err
    assert "luk law: the shipped law has errors" in err
    assert "Traceback" not in err


def test_an_own_regime_without_a_programme_is_listed_for_every_form(tmp_path: Path) -> None:
    """A file of regimes (an institution's arrangement) is read like the shipped law."""
    own = tmp_path / "instellingsregeling.luk"
    own.write_text(
        'regime instellingsregeling "Instellingsregeling flexibel onderwijs"\n'
        "  in force from 2023-09-01 until 2027-08-31\n"
        "  extends whw\n"
        '  basis "Instellingsregeling flexibel onderwijs, art. 1"\n'
        '  interpretation "College van bestuur: an arrangement of our own"\n', encoding="utf-8")
    found = law_json("2024-01-01", "--ruleset", own)
    regimes = {r["name"]: r for r in found["regimes"]}
    assert set(regimes) == {"instellingsregeling", "whw"}
    mine = regimes["instellingsregeling"]
    assert (mine["status"], mine["shipped"], mine["source"]) == (
        "interpretation", False, "instellingsregeling.luk:1:1")
    assert mine["reading"] == "College van bestuur: an arrangement of our own"
    # It permits nothing of its own: the WHW governs, and says so as its own permit.
    assert {(g["regime"], g["reason"]) for g in found["governing"]} == {("whw", "own-permit")}


def test_remaining_keeps_what_the_facts_leave_open() -> None:
    """The resolver's one three-valued evaluation, in residual form."""
    hbo = ast.LevelIs(ast.Name("hbo"))
    participates, opted = ast.InstitutionParticipates(), ast.OptedIn()
    wo_facts = ProgrammeFacts.assumed("wo-master", "deeltijd")
    hbo_facts = ProgrammeFacts.assumed("hbo-bachelor", "deeltijd")
    condition = ast.And((hbo, participates))
    assert wo_facts.evaluate(condition) is False
    assert hbo_facts.evaluate(condition) is True
    only_level = lambda node: hbo_facts.atom(node) if node == hbo else None  # noqa: E731
    assert remaining(condition, only_level) == participates
    assert remaining(ast.Or((ast.Not(hbo), opted)), only_level) == opted
    assert remaining(ast.And((opted, ast.Not(participates))), lambda node: None) == ast.And(
        (opted, ast.Not(participates)))
    # Opted in: open without a date, decided on one.
    assert hbo_facts.evaluate(opted) is None
    facts = attrs.evolve(hbo_facts, opted_in=dt.date(2025, 2, 1))
    assert facts.evaluate(opted, on=dt.date(2025, 1, 31)) is False
    assert facts.evaluate(opted, on=dt.date(2025, 2, 1)) is True
    assert facts.evaluate(opted) is None


def test_without_an_own_permit_the_latest_in_force_and_before_it_none(tmp_path: Path) -> None:
    own = tmp_path / "alleen-deeltijd.luk"
    own.write_text(
        'regime alleen-deeltijd "Alleen deeltijd"\n'
        "  in force from 2020-01-01\n"
        '  basis "Regeling deeltijd"\n'
        "  enacted\n"
        "\n"
        "  permit onderwijseenheid\n"
        "    for deeltijd\n"
        "    when level is wo\n"
        '    basis "Regeling deeltijd, art. 2"\n', encoding="utf-8")
    table = rows(law_json("2021-01-01", "--ruleset", own))
    assert (table[("deeltijd", "wo-master")]["reason"]) == "own-permit"
    assert kinds(table[("deeltijd", "wo-master")]) == [
        ("onderwijseenheid", None, "alleen-deeltijd")]
    for key in (("voltijd", "wo-master"), ("deeltijd", "hbo-bachelor")):
        assert (table[key]["regime"], table[key]["reason"], table[key]["permits"]) == (
            "alleen-deeltijd", "latest-in-force", []), key
    before = law_json("2019-12-31", "--ruleset", own)
    assert {(g["regime"], g["reason"], g["status"]) for g in before["governing"]} == {
        (None, "none-in-force", "")}
    text = luk("law", "2021-01-01", "--ruleset", own).stdout
    assert "  voltijd   hbo-associate-degree  alleen-deeltijd [enacted law] (no regime in force " \
        "permits anything of its own for this form and level: the latest in force)" in text
    assert "no unit kind" in text


def test_the_output_in_docs_law_md_is_real() -> None:
    """docs/law.md §6 pastes `luk law` output: every line of it is still what luk prints."""
    docs = (Path(__file__).resolve().parent.parent / "docs" / "law.md").read_text(
        encoding="utf-8")
    section = docs[docs.index("## 6. Which regime is in force"):docs.index("## 7. ")]
    blocks = section.split("```")[1::2]
    text_block, json_block, ruleset_block = blocks
    assert text_block.startswith("text\n$ luk law 2025-03-01\n")
    printed = luk("law", "2025-03-01").stdout.splitlines()
    for line in text_block.splitlines()[2:]:
        if line.strip() != "...":
            assert line in printed, line
    row = json.loads(json_block.removeprefix("json\n"))
    assert row in law_json("2025-03-01")["governing"]
    printed = luk("law", "2025-10-01", "--ruleset", "bouwkunde-voltijd-evl.luk",
                  cwd=EXAMPLES).stdout.splitlines()
    for line in ruleset_block.splitlines()[2:]:
        if line.strip() != "...":
            assert line in printed, line


def test_in_dutch_the_law_cites_its_bases_and_readings_in_dutch() -> None:
    """`luk law --lang nl` gives each basis and interpretation in Dutch where the law file
    does (`basis "..." nl "..."`, `interpretation "..." nl "..."`); the JSON stays English."""
    nl = luk("law", "2025-03-01", "--lang", "nl")
    assert nl.returncode == 0, nl.stderr
    assert "WHW art. 7.3 en 7.13 (de OER regelt hoe tentamens worden afgelegd) [interpretatie]" \
        in nl.stdout
    assert ("lezing: luk_rules: elders leren (B) of alleen bewijs (C) kan een onderwijseenheid "
            "alleen aantonen") in nl.stdout
    assert "the act has no provision on routes" not in nl.stdout
    en = luk("law", "2025-03-01")
    assert "reading: luk_rules: learning elsewhere (B) or evidence alone (C)" in en.stdout
    assert "de wet kent geen bepaling" not in en.stdout
    found = law_json("2025-03-01", "--lang", "nl")
    readings = [c["reading"] for r in found["regimes"] for c in [*r["permits"], *r["allows"]]
                if c["reading"]]
    assert readings and all(r.startswith("luk_rules: ") and " de " not in r for r in readings)
