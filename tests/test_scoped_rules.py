"""Scoped rules, outcome requirements, clause bases and evidence fields, decided: what each
construct means on small rulesets (docs/language.md §10-§11, docs/semantics.md §8)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import luk_rules
from luk_rules.errors import SubmissionError
from luk_rules.submission import submission_schema

ROOT = Path(__file__).resolve().parent.parent

BASE = """programme SR "Scoped"
  level wo-master
  form deeltijd
  institution "U"
  under whw, wet-leeruitkomsten
  opted in 2025-01-01
  units are eenheid-van-leeruitkomsten
  at least 1 item per outcome basis "OER art. 1"

evidence wp "Werkplekproduct"
  needs verification basis "OER art. 2"
evidence cert "Certificaat"
  max age 3 years basis "OER art. 3"
evidence refl "Reflectie"

evidence field uren "Uren" number
evidence field klant "Klant" text
evidence field gezien "Gezien" yes/no
evidence field af "Afgerond" date

unit SR-A "A"
  credits 20
  outcome 1 "A1"
  outcome 2 "A2"
  accepts wp, cert, refl
  outcome 2 accepts wp basis "OER art. 4"
  outcome 1 needs at least 2 items basis "OER art. 5"
  recommended activity a-lijn

unit SR-B "B"
  credits 10
  outcome 1 "B1"
  accepts cert, refl
  recommended activity b-lijn

assessment SR-T "T"
  portfolio
  path-independent
  assesses SR-A, SR-B

examination programme "E"
  required SR-A, SR-B
  exemptions on grounds eerder
"""


@cache
def ruleset(rules: str, engine: str = "native") -> luk_rules.Ruleset:
    """The base ruleset with ``rules`` added."""
    return luk_rules.loads(BASE + "\n" + rules, name="scoped.luk", engine=engine)


def item(id: str, type: str, outcomes: list[str], date: str = "2025-01-01",
         **more: Any) -> dict[str, Any]:
    """An evidence item."""
    return {"id": id, "type": type, "outcomes": outcomes, "date": date, **more}


def submission(evidence: list[dict[str, Any]], units: tuple[str, ...] = ("SR-A",),
               **more: Any) -> dict[str, Any]:
    """A submission for the base programme on 2025-06-01."""
    return {"id": "S", "programme": "SR", "form": "deeltijd", "date": "2025-06-01",
            "units": list(units), "assessment": "SR-T", "evidence": evidence, **more}


def found(rules: str, sub: dict[str, Any], code: str | None = None
          ) -> list[tuple[str, str, tuple[str, ...]]]:
    """(severity, message, facts) of each finding (of one code) of the rule's decision."""
    decision = ruleset(rules).decide(sub)
    return [(f.severity, f.message, f.facts) for f in decision.findings
            if code is None or f.code == code]


# ------------------------------------------------------------------ binders


def test_outcome_and_item_binders_name_the_values_in_message_and_facts() -> None:
    """`for each outcome / for each item covering outcome`: one finding per pair, whose
    message and facts name the outcome, the item and the items the count speaks about."""
    rules = """rule alleen "{item} is het enige bewijs voor {outcome}"
  for each outcome
  for each item covering outcome
  deny when item is cert and number of items covering outcome = 1
  basis "R1"
"""
    sub = submission([item("c1", "cert", ["SR-A.1"]), item("c2", "cert", ["SR-A.2"]),
                      item("w1", "wp", ["SR-A.2"], verified=True)])
    assert found(rules, sub, "alleen") == [
        ("deny", "c1 is het enige bewijs voor SR-A.1", ("SR-A.1", "c1"))]


def test_an_outcome_binder_of_a_unit_code_ranges_only_when_the_unit_is_claimed() -> None:
    """`for each outcome of SR-B` gives nothing while SR-B is not claimed."""
    rules = """rule b "{outcome} zonder reflectie"
  for each outcome of SR-B
  deny when no item of type refl covering outcome is verified
  basis "R"
"""
    sub = submission([item("c1", "cert", ["SR-A.1", "SR-A.2"])])
    assert found(rules, sub, "b") == []
    claimed = submission([item("c1", "cert", ["SR-B.1"])], units=("SR-A", "SR-B"))
    assert found(rules, claimed, "b") == [("deny", "SR-B.1 zonder reflectie", ("SR-B.1",))]


def test_a_second_item_binder_called_other_joins_two_items() -> None:
    """Two item binders range independently; `is not` tells them apart."""
    rules = """rule paar "{item} en {other} zijn van dezelfde dag"
  for each item of type cert
  for each item called other of type cert
  warn when item is not other and date of item = date of other
  basis "R"
"""
    sub = submission([item("c1", "cert", ["SR-A.1"]), item("c2", "cert", ["SR-A.1"]),
                      item("c3", "cert", ["SR-A.1"], "2025-02-01")])
    assert [m for _, m, _ in found(rules, sub, "paar")] == [
        "c1 en c2 zijn van dezelfde dag", "c2 en c1 zijn van dezelfde dag"]


def test_result_binder_sees_dates_ages_and_credits_of_results() -> None:
    """`for each result`: its unit, date, age and the unit's credits."""
    rules = """rule oud-resultaat "{result} ({c} studiepunten) is ouder dan 1 jaar"
  for each result
  where c is credits of result
  warn when age of result > 1 year and date of result < 2025-01-01
  basis "R"
"""
    sub = submission([], results=[{"unit": "SR-B", "date": "2023-06-01"},
                                  {"unit": "SR-A", "date": "2025-03-01"}])
    assert found(rules, sub, "oud-resultaat") == [
        ("warning", "SR-B (10 studiepunten) is ouder dan 1 jaar", ("SR-B",))]


def test_issuer_binder_ranges_over_distinct_issuers() -> None:
    """`for each issuer` binds each distinct issuer once, whatever the number of items."""
    rules = """rule uitgever "{issuer} gaf {n} items uit"
  for each issuer
  where n is number of items
  info when number of items of type cert > 0
  basis "R"
"""
    sub = submission([item("c1", "cert", ["SR-A.1"], issuer="X"),
                      item("c2", "cert", ["SR-A.1"], issuer="X"),
                      item("r1", "refl", ["SR-A.1"], issuer="Y")])
    assert [m for _, m, _ in found(rules, sub, "uitgever")] == ["X gaf 3 items uit",
                                                              "Y gaf 3 items uit"]


# ------------------------------------------------------------------ counts, sums, shares


def test_named_item_sets_are_listed_in_the_message_and_facts() -> None:
    """`where certs are items ...` shows as a sorted list; its items are facts."""
    rules = """rule veel "{unit}: {n} certificaten ({certs})"
  for each unit
  where certs are items of type cert covering unit
  where n is number of certs
  deny when n > 1
  basis "R"
"""
    sub = submission([item("c2", "cert", ["SR-A.1"]), item("c1", "cert", ["SR-A.2"])])
    assert found(rules, sub, "veel") == [
        ("deny", "SR-A: 2 certificaten (c1, c2)", ("SR-A", "c1", "c2"))]


def test_counting_for_counts_only_items_that_count() -> None:
    """`counting for outcome` leaves out an item that does not count (not verified)."""
    rules = """rule telt "{outcome}: {n} van {m}"
  for each outcome
  where n is number of items counting for outcome
  where m is number of items covering outcome
  info when n < m
  basis "R"
"""
    sub = submission([item("w1", "wp", ["SR-A.2"]), item("w2", "wp", ["SR-A.2"], verified=True)])
    assert [m for _, m, _ in found(rules, sub, "telt")] == ["SR-A.2: 1 van 2"]


def test_a_share_compares_weighted_counts() -> None:
    """`> 50% of`: more than half; exactly half does not fire."""
    rules = """rule helft "{organisation}"
  for each organisation
  warn when number of items from organisation > 50% of number of items
  basis "R"
"""
    half = submission([item("c1", "cert", ["SR-A.1"], organisation="O"),
                       item("c2", "cert", ["SR-A.1"])])
    assert found(rules, half, "helft") == []
    more = submission([item("c1", "cert", ["SR-A.1"], organisation="O"),
                       item("c2", "cert", ["SR-A.1"], organisation="O"),
                       item("c3", "cert", ["SR-A.1"])])
    assert found(rules, more, "helft") == [("warning", "O", ("O", "c1", "c2"))]


def test_credits_of_results_that_count_is_a_sum_of_counting_results() -> None:
    """Only results that count add credits: an exemption on another ground does not."""
    rules = """rule studiepunten "{credits} studiepunten"
  where credits is credits of results that count
  info when credits >= 0
  basis "R"
"""
    sub = submission([], results=[
        {"unit": "SR-B", "date": "2024-01-01"},
        {"unit": "SR-A", "date": "2024-01-01", "how": "exempted", "grounds": "anders",
         "decision": "D1"}])
    assert [m for _, m, _ in found(rules, sub, "studiepunten")] == ["10 studiepunten"]


# ------------------------------------------------------------------ values and tests


def test_fields_compare_and_show_a_dash_when_absent() -> None:
    """A field's value is compared where the item has it, and shown as `-` where it lacks it;
    `is` tests a yes/no field."""
    rules = """rule uren "{item}: {u} uren, klant {k}"
  for each item
  where u is uren of item
  where k is klant of item
  warn when u < 10 or item is gezien or af of item < 2024-01-01
  basis "R"
"""
    sub = submission([item("c1", "cert", ["SR-A.1"], uren=5, klant="K"),
                      item("c2", "cert", ["SR-A.1"], gezien=True),
                      item("c3", "cert", ["SR-A.1"], af="2023-05-01"),
                      item("c4", "cert", ["SR-A.1"], uren=50, gezien=False)])
    assert [m for _, m, _ in found(rules, sub, "uren")] == [
        "c1: 5 uren, klant K", "c2: - uren, klant -", "c3: - uren, klant -"]


def test_ages_are_counted_back_from_the_submission_date() -> None:
    """`older than 12 months` is dated before the day 12 months before the submission."""
    rules = """rule oud "{item}"
  for each item
  warn when item is older than 12 months
  basis "R"
"""
    sub = submission([item("c1", "cert", ["SR-A.1"], "2024-06-01"),
                      item("c2", "cert", ["SR-A.1"], "2024-05-31")])
    assert [m for _, m, _ in found(rules, sub, "oud")] == ["c2"]


def test_every_needs_an_item_and_no_and_some_quantify_over_the_set() -> None:
    """`every item ... is verified` is false for an empty set; `some` and `no` as usual."""
    rules = """rule elk "{outcome}"
  for each outcome
  info when every item covering outcome is verified
  basis "R"

rule geen "{outcome}"
  for each outcome
  info when no item covering outcome is cert and some item covering outcome is wp
  basis "R"
"""
    sub = submission([item("w1", "wp", ["SR-A.2"], verified=True)])
    assert found(rules, sub, "elk") == [("info", "SR-A.2", ("SR-A.2", "w1"))]
    assert [m for _, m, _ in found(rules, sub, "geen")] == ["SR-A.2"]


def test_info_findings_do_not_change_the_status() -> None:
    """An `info` finding leaves an admissible submission admissible."""
    rules = """rule minimum "{outcome} rust op {n} items"
  for each outcome
  where n is number of items counting for outcome
  where m is minimum of outcome
  info when n = m
  basis "R"
"""
    sub = submission([item("w1", "wp", ["SR-A.1", "SR-A.2"], verified=True),
                      item("r1", "refl", ["SR-A.1"])])
    decision = ruleset(rules).decide(sub)
    assert decision.status == "admissible"
    assert [f.message for f in decision.findings] == ["SR-A.1 rust op 2 items",
                                                       "SR-A.2 rust op 1 items"]


# ------------------------------------------------------------------ outcome requirements, bases


def test_an_outcome_that_narrows_its_types_refuses_the_others_citing_its_clause() -> None:
    """`outcome 2 accepts wp`: a reflection counts for SR-A.1, not for SR-A.2; the warning cites
    the outcome's clause, and `missing` lists the outcome's own types and minimum."""
    decision = ruleset("").decide(submission([item("r1", "refl", ["SR-A.1", "SR-A.2"])]))
    assert decision.units["SR-A"].outcomes == {"SR-A.1": ("r1",), "SR-A.2": ()}
    (refused,) = decision.findings
    assert (refused.code, refused.message, refused.basis, refused.source) == (
        "evidence-type-not-accepted",
        "r1 (refl) does not count for SR-A.2: SR-A.2 accepts only wp", "OER art. 4",
        "scoped.luk:26:3")
    assert [(m.outcome, m.needed, m.accepted) for m in decision.missing] == [
        ("SR-A.1", 1, ("cert", "refl", "wp")), ("SR-A.2", 1, ("wp",))]


def test_policy_clauses_cite_their_own_basis() -> None:
    """`max age ... basis` and `needs verification basis` are the findings' basis and source."""
    decision = ruleset("").decide(submission([
        item("c1", "cert", ["SR-A.1"], "2021-01-01"), item("w1", "wp", ["SR-A.2"])]))
    cited = {f.code: (f.basis, f.source) for f in decision.findings}
    assert cited == {"evidence-too-old": ("OER art. 3", "scoped.luk:13:11"),
                     "evidence-not-verified": ("OER art. 2", "scoped.luk:11:3")}


# ------------------------------------------------------------------ engines


_NO_AGGREGATES = """rule alleen-oud "{item} is oud en {outcome} heeft geen reflectie"
  for each outcome
  for each item called item covering outcome
  where k is klant of item
  deny when item is older than 3 months
    and no item of type refl covering outcome is younger than 1 year and not (k is "K")
  basis "R"
"""


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_both_engines_run_scoped_rules_without_aggregates(engine: str) -> None:
    """Joins between items, negation and fields: durable gives what native gives."""
    if engine == "durable":
        pytest.importorskip("durable.engine", reason="durable-rules is not installed")
    sub = submission([item("c1", "cert", ["SR-A.1"], "2024-12-01", klant="L"),
                      item("c2", "cert", ["SR-A.1"], "2024-12-01", klant="K"),
                      item("r1", "refl", ["SR-A.2"])])
    decision = ruleset(_NO_AGGREGATES, engine).decide(sub, explain=True)
    native = ruleset(_NO_AGGREGATES).decide(sub, explain=True)
    assert decision.to_dict() == native.to_dict()
    assert [f.message for f in decision.findings if f.code == "alleen-oud"] == [
        "c1 is oud en SR-A.1 heeft geen reflectie"]


def test_durable_runs_counts() -> None:
    """A count in a scoped rule on durable."""
    pytest.importorskip("durable.engine", reason="durable-rules is not installed")
    rules = """rule n "{n}"
  for each unit
  where n is number of items covering unit
  info when n > 0
  basis "R"
"""
    sub = submission([item("c1", "cert", ["SR-A.1"])])
    assert ruleset(rules, "durable").decide(sub) == ruleset(rules).decide(sub)


# ------------------------------------------------------------------ submissions with fields


def _problems(call: Callable[[], object]) -> list[str]:
    with pytest.raises(SubmissionError) as failed:
        call()
    return [str(p) for p in failed.value.problems]


def test_fields_of_the_wrong_type_and_undeclared_fields_are_located_input_errors() -> None:
    """A declared field of the wrong type, or an undeclared key, is a problem at its path."""
    rs = ruleset("")
    sub = submission([item("c1", "cert", ["SR-A.1"], uren="veel", klant=3, gezien="ja",
                           af="2025-02-30", urn=3)])
    assert _problems(lambda: rs.decide(sub)) == [
        "$.evidence[0].af: field af is a date: '2025-02-30' is not a date (YYYY-MM-DD)",
        "$.evidence[0].gezien: field gezien is true or false, got a string",
        "$.evidence[0].klant: field klant is a text, got a number",
        "$.evidence[0].uren: field uren is a whole number, got a string",
        "$.evidence[0].urn: unknown field; did you mean 'uren'?",
    ]


def test_an_undeclared_field_is_reported_with_the_other_problems() -> None:
    """With another problem in the document, an undeclared key is in the same error."""
    rs = ruleset("")
    sub = submission([item("c1", "cert", ["SR-A.1"], "2025-13-01", kleur="rood",
                           uren=[1])])
    assert _problems(lambda: rs.decide(sub)) == [
        "$.evidence[0].date: '2025-13-01' is not a date (YYYY-MM-DD)",
        "$.evidence[0].kleur: unknown field",
        "$.evidence[0].uren: expected a single value (a text, number, date or true/false), "
        "got a list",
    ]


def test_the_submission_schema_of_a_ruleset_has_its_fields() -> None:
    """`submission_schema(ruleset)` accepts the declared fields with their types only."""
    schema = submission_schema(ruleset("").ir)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    good = submission([item("c1", "cert", ["SR-A.1"], uren=3, klant="K", gezien=True,
                            af="2024-01-01", issuer="I", organisation="O")])
    assert not list(validator.iter_errors(good))
    bad = submission([item("c1", "cert", ["SR-A.1"], uren="3", kleur="rood")])
    assert len(list(validator.iter_errors(bad))) == 2


def test_luk_schema_submission_with_a_ruleset_prints_its_fields(tmp_path: Path) -> None:
    """`luk schema submission --ruleset FILE` (as a process) includes the ruleset's fields."""
    path = tmp_path / "scoped.luk"
    path.write_text(BASE, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "luk_rules.cli", "schema", "submission",
                           "--ruleset", str(path)], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    properties = json.loads(done.stdout)["properties"]["evidence"]["items"]["properties"]
    assert properties["uren"]["type"] == "integer"
    assert properties["gezien"]["type"] == "boolean"
    assert "issuer" in properties and "organisation" in properties
