"""The examination programme as rules of the compiled program (compile/exam.py): one
definition of a result that counts, entry requirements that each cite their own line,
audit findings that cite their own clauses, and the edges of validity."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import luk_rules

PROGRAMME = """\
programme EX "Examenregels"
  level hbo-bachelor
  form deeltijd
  institution "Hogeschool Voorbeeld"
  under whw

evidence verslag "Verslag"

unit EX-A "A"
  credits 10
  kind onderwijseenheid
  outcome 1 "Kent A"
  accepts verslag

unit EX-B "B"
  credits 10
  kind onderwijseenheid
  outcome 1 "Kent B"
  accepts verslag

unit EX-Z "Afstuderen"
  credits 10
  kind onderwijseenheid
  outcome 1 "Kent Z"
  accepts verslag

assessment EX-T "Toets"
  exam
  path-independent
  assesses EX-A, EX-B, EX-Z

examination programme "Examenprogramma"
  basis "OER art. 9"
  required EX-A, EX-Z
  choose at least 1 unit of EX-B
  diploma 30 credits
  EX-Z only after EX-A
  EX-Z only after EX-B
  results valid for 2 years
  exemptions on grounds eerdere-opleiding
"""

def _line(start: str) -> int:
    """The line of PROGRAMME that starts (after its indent) with ``start``."""
    return next(i for i, text in enumerate(PROGRAMME.splitlines(), 1)
                if text.strip().startswith(start))


LINE = {"required": _line("required"), "elective": _line("choose"),
        "diploma": _line("diploma"), "entry A": _line("EX-Z only after EX-A"),
        "entry B": _line("EX-Z only after EX-B"), "validity": _line("results valid"),
        "grounds": _line("exemptions on")}


def _load(tmp_path: Path) -> luk_rules.Ruleset:
    path = tmp_path / "examen.luk"
    path.write_text(PROGRAMME, encoding="utf-8")
    return luk_rules.load(path)


def _record(date: str, *results: dict[str, Any]) -> dict[str, Any]:
    return {"id": "R1", "programme": "EX", "form": "deeltijd", "date": date,
            "results": list(results)}


def _submission(date: str, *results: dict[str, Any]) -> dict[str, Any]:
    return {"id": "S1", "programme": "EX", "form": "deeltijd", "date": date,
            "units": ["EX-Z"], "assessment": "EX-T", "evidence": [],
            "activities": ["eigen"], "results": list(results)}


def test_the_program_has_one_definition_of_a_result_that_counts(tmp_path: Path) -> None:
    """Exactly one rule derives `counts-result`, and the entry requirements and the audit
    both read it (never `result` facts directly to decide what counts)."""
    program = _load(tmp_path)._compiled.program
    deriving = [r for r in program.rules if r.head.pred == "counts-result"]
    assert len(deriving) == 1
    readers = {r.name for r in program.rules
               for pred, _ in r.depends() if pred == "counts-result"}
    assert {"entry-requirement", "required units", "credits-counted"} <= readers


def test_two_entry_requirements_for_one_unit_each_cite_their_own_line(tmp_path: Path) -> None:
    """`EX-Z only after EX-A` and `EX-Z only after EX-B` each refuse for their own unit only,
    citing their own line, with the reason in the message."""
    decision = _load(tmp_path).decide(_submission(
        "2026-03-01", {"unit": "EX-A", "date": "2023-01-01"}))
    found = sorted((f.facts, f.source, f.message) for f in decision.findings
                   if f.code == "entry-requirement-not-met")
    assert found == [
        (("EX-A",), f"examen.luk:{LINE['entry A']}:3",
         "EX-Z may only be assessed once EX-A is completed; still to complete: EX-A (the "
         "result of 2023-01-01 expired on 2025-01-02)"),
        (("EX-B",), f"examen.luk:{LINE['entry B']}:3",
         "EX-Z may only be assessed once EX-B is completed; still to complete: EX-B (no "
         "result)"),
    ]


def test_every_audit_finding_cites_its_own_clause_and_the_basis(tmp_path: Path) -> None:
    """Each audit finding names the clause it comes from (rule and line) and the OER
    article of the exam programme."""
    audit = _load(tmp_path).audit(_record(
        "2026-03-01",
        {"unit": "EX-A", "date": "2023-01-01"},
        {"unit": "EX-B", "date": "2025-01-01", "how": "exempted", "grounds": "elders"},
        {"unit": "EX-Z", "date": "2025-06-01", "how": "exempted",
         "grounds": "eerdere-opleiding"}))
    cited = {(f.code, f.rule, f.source) for f in audit.findings}
    assert cited == {
        ("required-unit-missing", "required units", f"examen.luk:{LINE['required']}:3"),
        ("elective-group-short", "elective group", f"examen.luk:{LINE['elective']}:3"),
        ("credits-short", "diploma credits", f"examen.luk:{LINE['diploma']}:3"),
        ("result-expired", "result validity", f"examen.luk:{LINE['validity']}:3"),
        ("exemption-grounds-not-allowed", "exemption grounds", f"examen.luk:{LINE['grounds']}:3"),
        ("exemption-without-decision", "exemption grounds", f"examen.luk:{LINE['grounds']}:3"),
    }
    assert {f.basis for f in audit.findings} == {"OER art. 9"}
    assert audit.credits_earned == 0 and audit.credits_short == 30


def test_a_result_counts_through_its_last_valid_day(tmp_path: Path) -> None:
    """Valid for 2 years: a result of 2024-03-01 counts on 2026-03-01 and has expired on
    2026-03-02, in the audit and for entry requirements alike."""
    rs = _load(tmp_path)
    results = ({"unit": "EX-A", "date": "2024-03-01"}, {"unit": "EX-B", "date": "2025-03-01"})
    for date, counts in (("2026-03-01", True), ("2026-03-02", False)):
        audit = rs.audit(_record(date, *results))
        assert audit.results["EX-A"].counts is counts
        refused = {f.facts for f in rs.decide(_submission(date, *results)).findings
                   if f.code == "entry-requirement-not-met"}
        assert refused == (set() if counts else {("EX-A",)})


def test_an_expired_exemption_is_not_judged_on_its_grounds(tmp_path: Path) -> None:
    """An exemption that has expired no longer counts whatever its grounds: only the expiry
    is reported, so an old, irregular exemption the programme no longer needs does not
    make a record incomplete."""
    rs = _load(tmp_path)
    old = {"unit": "EX-B", "date": "2020-01-01", "how": "exempted", "grounds": "elders"}
    audit = rs.audit(_record("2026-03-01", old))
    codes = {f.code for f in audit.findings if f.facts == ("EX-B",)}
    assert "result-expired" in codes
    assert not codes & {"exemption-grounds-not-allowed", "exemption-without-decision"}
    assert audit.results["EX-B"].reason == "the result of 2020-01-01 expired on 2022-01-02"


def test_an_exemption_shows_who_granted_it(tmp_path: Path) -> None:
    """A valid exemption is an info finding with by, grounds, decision and date; without
    `by` it says so."""
    rs = _load(tmp_path)
    granted = {"unit": "EX-B", "date": "2025-01-01", "how": "exempted",
               "grounds": "eerdere-opleiding", "decision": "EC-1"}
    messages = [
        [f.message for f in rs.audit(_record("2026-03-01", result)).findings
         if f.code == "exemption"]
        for result in ({**granted, "by": "examencommissie"}, granted)]
    assert messages == [
        ["EX-B exempted by examencommissie on grounds eerdere-opleiding (decision EC-1, "
         "2025-01-01)"],
        ["EX-B exempted by (not recorded) on grounds eerdere-opleiding (decision EC-1, "
         "2025-01-01)"],
    ]


def _load_text(tmp_path: Path, text: str) -> luk_rules.Ruleset:
    path = tmp_path / "examen.luk"
    path.write_text(text, encoding="utf-8")
    return luk_rules.load(path)


_EXEMPTED = {"how": "exempted", "grounds": "eerdere-opleiding", "decision": "EC-1"}


def test_clauses_with_a_basis_of_their_own_cite_it(tmp_path: Path) -> None:
    """`results valid for`, `exemptions on grounds` and `exemptions count for at most` with
    a `basis` right after them: their findings cite it; the others the exam programme's."""
    text = (PROGRAMME
            .replace("results valid for 2 years", 'results valid for 2 years basis "art. 9.2"')
            .replace("exemptions on grounds eerdere-opleiding",
                     'exemptions on grounds eerdere-opleiding basis "art. 9.3"\n'
                     '  exemptions count for at most 5 credits basis "art. 9.4"'))
    audit = _load_text(tmp_path, text).audit(_record(
        "2026-03-01",
        {"unit": "EX-A", "date": "2023-01-01"},
        {"unit": "EX-B", "date": "2025-01-01", **_EXEMPTED},
        {"unit": "EX-Z", "date": "2025-06-01", "how": "exempted", "grounds": "elders"}))
    cited = {(f.code, f.basis) for f in audit.findings}
    assert cited == {
        ("required-unit-missing", "OER art. 9"), ("credits-short", "OER art. 9"),
        ("result-expired", "art. 9.2"), ("exemption-grounds-not-allowed", "art. 9.3"),
        ("exemption-without-decision", "art. 9.3"), ("exemption", "art. 9.3"),
        ("exemptions-over-limit", "art. 9.4"),
    }


def test_exemptions_over_the_limit_are_one_finding_naming_the_credits(tmp_path: Path) -> None:
    """Exemptions for 20 credits against a limit of 50% of 30 (15): one deny naming 20 and
    15, its facts the exempted units; at 10 credits (within) nothing; an exemption that does
    not count (expired) is not added up."""
    text = PROGRAMME.replace("  exemptions on grounds eerdere-opleiding",
                             "  exemptions on grounds eerdere-opleiding\n"
                             "  exemptions count for at most 50% of diploma credits")
    ruleset = _load_text(tmp_path, text)
    over = ruleset.audit(_record(
        "2026-03-01", {"unit": "EX-A", "date": "2025-01-01", **_EXEMPTED},
        {"unit": "EX-B", "date": "2025-01-01", **_EXEMPTED},
        {"unit": "EX-Z", "date": "2025-06-01"}))
    (finding,) = [f for f in over.findings if f.code == "exemptions-over-limit"]
    assert finding.severity == "deny" and finding.facts == ("EX-A", "EX-B")
    assert finding.message == ("exemptions count for 20 credits on 2026-03-01; at most 15 may "
                               "count by exemption (50% of the diploma's 30 credits)")
    assert over.status == "incomplete"
    within = ruleset.audit(_record(
        "2026-03-01", {"unit": "EX-A", "date": "2025-01-01", **_EXEMPTED},
        {"unit": "EX-B", "date": "2023-01-01", **_EXEMPTED},
        {"unit": "EX-Z", "date": "2025-06-01"}))
    assert "exemptions-over-limit" not in {f.code for f in within.findings}
    for engine in ("durable",):
        try:
            other = luk_rules.load(tmp_path / "examen.luk", engine=engine)
        except luk_rules.EngineUnavailable:
            continue
        assert other.audit(_record(
            "2026-03-01", {"unit": "EX-A", "date": "2025-01-01", **_EXEMPTED},
            {"unit": "EX-B", "date": "2025-01-01", **_EXEMPTED},
            {"unit": "EX-Z", "date": "2025-06-01"})).to_dict() == over.to_dict()


# ------------------------------------------------------------------ extensions of validity

WHW_EXTENSION = "WHW art. 7.13 lid 2 sub k"


def _extended(until: str, **more: str) -> dict[str, Any]:
    """EX-A of 2023-01-01 (valid for 2 years: expired on 2025-01-02), extended until
    ``until`` by decision EC-12."""
    return {"unit": "EX-A", "date": "2023-01-01",
            "extended": {"until": until, "decision": "EC-12", **more}}


def _validity(findings: Iterable[luk_rules.Finding]) -> list[luk_rules.Finding]:
    """The findings about the validity of results (an expiry, an extension)."""
    return [f for f in findings if f.code in ("result-expired", "validity-extended")]


def _engine(tmp_path: Path, engine: str) -> luk_rules.Ruleset:
    path = tmp_path / "examen.luk"
    path.write_text(PROGRAMME, encoding="utf-8")
    try:
        return luk_rules.load(path, engine=engine)
    except luk_rules.EngineUnavailable as exc:
        pytest.skip(f"engine {engine} unavailable: {exc}")


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_an_extended_result_counts_through_its_until_and_says_so(
        tmp_path: Path, engine: str) -> None:
    """A result past `results valid for` whose validity the exam committee extended counts
    through the extension's last day, the audit date itself included: an `info` finding
    says until when and by which decision, citing the WHW and the validity clause. The day
    after, it has expired on that day, and the warning says the extension ran out too."""
    rs = _engine(tmp_path, engine)
    result = _extended("2026-03-01", by="examencommissie")
    on_the_day = rs.audit(_record("2026-03-01", result))
    assert on_the_day.results["EX-A"].counts and on_the_day.results["EX-A"].reason is None
    (info,) = _validity(on_the_day.findings)
    assert (info.code, info.severity, info.facts, info.basis, info.rule, info.source) == (
        "validity-extended", "info", ("EX-A",), WHW_EXTENSION, "result validity",
        f"examen.luk:{LINE['validity']}:3")
    assert info.message == (
        "the result for EX-A of 2023-01-01 counts until 2026-03-01: its validity was extended "
        "by examencommissie (decision EC-12); without the extension it would have expired on "
        "2025-01-02")
    day_after = rs.audit(_record("2026-03-02", result))
    assert not day_after.results["EX-A"].counts
    assert day_after.results["EX-A"].reason == "the result of 2023-01-01 expired on 2026-03-02"
    (warning,) = _validity(day_after.findings)
    assert (warning.code, warning.severity, warning.basis) == (
        "result-expired", "warning", "OER art. 9")
    assert warning.message == (
        "the result for EX-A of 2023-01-01 no longer counts on 2026-03-02: results are valid "
        "for 2 years, and its extension until 2026-03-01 by examencommissie (decision EC-12) "
        "has run out too (it expired on 2026-03-02)")


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_an_extension_counts_for_the_later_of_the_two_expiries(
        tmp_path: Path, engine: str) -> None:
    """The result expires on the later of the days `results valid for` and the extension
    give: an extension ending before the result's own validity changes nothing (no finding
    while the result is valid, the ordinary expiry after), and a result still valid on its
    own gets no `validity-extended` finding."""
    rs = _engine(tmp_path, engine)
    short = _extended("2024-06-30")  # ends before the 2 years do
    valid = rs.audit(_record("2024-12-31", short))
    assert valid.results["EX-A"].counts
    assert not _validity(valid.findings)
    expired = rs.audit(_record("2026-03-01", short))
    assert expired.results["EX-A"].reason == "the result of 2023-01-01 expired on 2025-01-02"
    assert [f.message for f in expired.findings if f.code == "result-expired"] == [
        "the result for EX-A of 2023-01-01 no longer counts on 2026-03-01: results are valid "
        "for 2 years, and its extension until 2024-06-30 (decision EC-12) has run out too (it "
        "expired on 2025-01-02)"]


def test_an_extension_without_by_is_shown_without_it(tmp_path: Path) -> None:
    """`by` is optional in an extension: the finding then names only the decision."""
    audit = _load(tmp_path).audit(_record("2026-03-01", _extended("2026-12-31")))
    assert [f.message for f in audit.findings if f.code == "validity-extended"] == [
        "the result for EX-A of 2023-01-01 counts until 2026-12-31: its validity was extended "
        "(decision EC-12); without the extension it would have expired on 2025-01-02"]


def test_the_proof_shows_the_extension_as_given_by_the_record(tmp_path: Path) -> None:
    """`--explain`: the `validity-extended` finding rests on `result-extended`, derived by
    the validity clause citing the WHW from the result and the extension the record gives."""
    audit = _load(tmp_path).audit(
        _record("2026-03-01", _extended("2026-12-31", by="examencommissie")), explain=True)
    assert audit.explanation is not None
    (explained,) = [f for f in audit.explanation["findings"] if f["code"] == "validity-extended"]
    (derived,) = [n for n in explained["proof"]["because"] if "rule" in n]
    assert (derived["fact"], derived["rule"], derived["basis"]) == (
        "result-extended(EX-A, 2023-01-01, 2025-01-02, 2026-12-31, EC-12, examencommissie)",
        "result validity", WHW_EXTENSION)
    assert {"fact": "extension(EX-A, 2026-12-31, EC-12, examencommissie)",
            "given": "record"} in derived["because"]


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_an_entry_requirement_honours_an_extension(tmp_path: Path, engine: str) -> None:
    """EX-Z waits for EX-A: an EX-A result past its validity but extended until the
    submission's date meets the requirement; extended until the day before, it does not,
    and the finding says when the result expired."""
    rs = _engine(tmp_path, engine)
    b = {"unit": "EX-B", "date": "2025-06-01"}
    met = rs.decide(_submission("2026-03-01", _extended("2026-03-01"), b))
    assert not [f for f in met.findings if f.code == "entry-requirement-not-met"]
    unmet = rs.decide(_submission("2026-03-01", _extended("2026-02-28"), b))
    assert [f.message for f in unmet.findings if f.code == "entry-requirement-not-met"] == [
        "EX-Z may only be assessed once EX-A is completed; still to complete: EX-A (the "
        "result of 2023-01-01 expired on 2026-03-01)"]
    assert not _validity([*met.findings, *unmet.findings])


def test_without_results_valid_for_an_extension_changes_nothing(tmp_path: Path) -> None:
    """Without `results valid for` no result expires: an extension is read but neither
    needed nor reported."""
    text = PROGRAMME.replace("  results valid for 2 years\n", "")
    audit = _load_text(tmp_path, text).audit(_record("2026-03-01", _extended("2025-06-30")))
    assert audit.results["EX-A"].counts
    assert not _validity(audit.findings)
