"""Decisions as properties: order-independent, the same on both engines, valid JSON, consistent
statuses, and every bad submission a located SubmissionError (docs/semantics.md,
docs/contracts.md)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import luk_rules
from luk_rules.audit import AUDIT_SCHEMA
from luk_rules.decide import DECISION_SCHEMA
from luk_rules.submission import SUBMISSION_SCHEMA, loads

try:  # tests/ is a package when run with `python -m pytest`, a folder on sys.path otherwise
    from tests import submission_strategies as gen
except ImportError:  # pragma: no cover - depends on how pytest was started
    import submission_strategies as gen  # type: ignore[import-not-found, no-redef]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("bouwkunde-deeltijd", "bouwkunde-voltijd", "bouwkunde-voltijd-evl", "hbo-ict-deeltijd")
SCOPED = "ds-master-deeltijd"
"""The example with rules about each outcome, item, unit and organisation (with counts and sums,
which the durable backend does not run yet: it is held to order independence only)."""

_SLOW = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
NATIVE = settings(max_examples=25, deadline=None, suppress_health_check=_SLOW)  # x4 rulesets
DURABLE = settings(max_examples=10, deadline=None, suppress_health_check=_SLOW)  # x4 rulesets
GENERATED = settings(max_examples=40, deadline=None, suppress_health_check=_SLOW)

SUBMISSION_VALIDATOR = Draft202012Validator(
    SUBMISSION_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)
DECISION_VALIDATOR = Draft202012Validator(
    DECISION_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)


@cache
def example(name: str, engine: str = "native") -> luk_rules.Ruleset:
    """An example ruleset, loaded once per engine."""
    return luk_rules.load(ROOT / "rulesets" / "examples" / f"{name}.luk", engine=engine)


def require_durable() -> None:
    """Skip (visibly) where durable_rules cannot be installed."""
    pytest.importorskip(
        "durable.engine",
        reason="durable-rules is not installed (it does not build on Python 3.13+)",
    )


def permuted(sub: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """The same submission with units, items, outcomes, activities and results reordered."""
    out = copy.deepcopy(sub)
    out["units"] = data.draw(st.permutations(out["units"]), label="units")
    out["evidence"] = data.draw(st.permutations(out["evidence"]), label="evidence")
    for item in out["evidence"]:
        item["outcomes"] = data.draw(st.permutations(item["outcomes"]), label="outcomes")
    for key in ("activities", "results"):
        if key in out:
            out[key] = data.draw(st.permutations(out[key]), label=key)
    return out


def assert_same(a: luk_rules.Decision | luk_rules.Audit, b: luk_rules.Decision | luk_rules.Audit,
                what: str) -> None:
    """Two decisions (or audits) serialise identically (diffable JSON on failure)."""
    left = json.dumps(a.to_dict(), indent=1, sort_keys=True)
    right = json.dumps(b.to_dict(), indent=1, sort_keys=True)
    assert left == right, what


# ------------------------------------------------------------------ order


@pytest.mark.parametrize("name", (*EXAMPLES, SCOPED))
@NATIVE
@given(data=st.data())
def test_decision_does_not_depend_on_input_order(name: str, data: st.DataObject) -> None:
    """Reordering units, evidence items, outcomes, activities and results changes nothing,
    neither in the decision nor in its explanation."""
    rs = example(name)
    sub = data.draw(gen.submissions(rs.ir), label="submission")
    other = permuted(sub, data)
    assert_same(rs.decide(sub), rs.decide(other), "decision depends on input order")
    assert_same(
        rs.decide(sub, explain=True),
        rs.decide(other, explain=True),
        "explanation depends on input order",
    )


@settings(max_examples=25, deadline=None, suppress_health_check=_SLOW)
@given(path=gen.rulesets(), data=st.data())
def test_decision_on_generated_rulesets_does_not_depend_on_input_order(
    path: Path, data: st.DataObject
) -> None:
    """On random rulesets too, reordering the submission's lists changes nothing."""
    rs = gen.load_generated(path)
    for _ in range(3):
        sub = data.draw(gen.submissions(rs.ir), label="submission")
        other = permuted(sub, data)
        assert_same(
            rs.decide(sub, explain=True),
            rs.decide(other, explain=True),
            "decision depends on input order",
        )


# ------------------------------------------------------------------ generated rulesets


@settings(max_examples=40, deadline=None, suppress_health_check=_SLOW)
@given(path=gen.rulesets())
def test_generated_rulesets_pass_the_checks(path: Path) -> None:
    """Every ruleset the generator writes loads (the generator respects the checks), and every
    submission generated for it is valid for it."""
    rs = gen.load_generated(path)
    for sub in gen.random_submissions(rs.ir, 3, seed=len(path.read_text())):
        rs.decide(sub)


# ------------------------------------------------------------------ engines


@pytest.mark.parametrize("name", EXAMPLES)
@DURABLE
@given(data=st.data())
def test_engines_agree_on_examples(name: str, data: st.DataObject) -> None:
    """native and durable give the same decision and explanation on the example rulesets."""
    require_durable()
    native, durable = example(name), example(name, "durable")
    sub = data.draw(gen.submissions(native.ir), label="submission")
    assert_same(native.decide(sub), durable.decide(sub), "engines disagree")
    assert_same(
        native.decide(sub, explain=True),
        durable.decide(sub, explain=True),
        "engines disagree on the explanation",
    )


@GENERATED
@given(path=gen.rulesets(aggregates=False), data=st.data())
def test_engines_agree_on_generated_rulesets(path: Path, data: st.DataObject) -> None:
    """native and durable give the same decisions on random rulesets and submissions, scoped
    rules with binders, fields, item tests and quantifiers included (counts and sums left
    out: the durable backend has no aggregates yet)."""
    require_durable()
    native = gen.load_generated(path)
    durable = gen.load_generated(path, "durable")
    for _ in range(3):
        sub = data.draw(gen.submissions(native.ir), label="submission")
        assert_same(native.decide(sub), durable.decide(sub), "engines disagree")
        assert_same(
            native.decide(sub, explain=True),
            durable.decide(sub, explain=True),
            "engines disagree on the explanation",
        )


_NEGATED_CONSTANT = """\
programme Q7 "Q"
  level wo-master
  form deeltijd
  institution "H"
  under whw, experiment-leeruitkomsten, wet-leeruitkomsten
evidence pv "P"
unit Q7-U1 "U"
  credits 5
  kind onderwijseenheid
  outcome 1 "O"
  accepts pv
assessment Q7-T1 "T"
  portfolio
  path-independent
  assesses Q7-U1
rule geen-wo "R"
  deny when {condition}
  basis "B"
"""
_Q7_SUBMISSION = {
    "id": "S1",
    "programme": "Q7",
    "form": "deeltijd",
    "date": "2025-03-01",
    "units": ["Q7-U1"],
    "assessment": "Q7-T1",
    "evidence": [],
}


def test_durable_fires_a_rule_negating_a_condition_the_programme_makes_false(
    tmp_path: Path,
) -> None:
    """`deny when not (level is hbo)` in a wo programme denies on both engines."""
    require_durable()
    path = tmp_path / "q7.luk"
    path.write_text(_NEGATED_CONSTANT.format(condition="not (level is hbo)"), encoding="utf-8")
    native = luk_rules.load(path).decide(_Q7_SUBMISSION)
    assert [f.code for f in native.findings] == ["geen-wo"]
    assert_same(
        native, luk_rules.load(path, engine="durable").decide(_Q7_SUBMISSION), "engines disagree"
    )


def test_durable_loads_a_ruleset_asking_for_a_method_no_assessment_has(tmp_path: Path) -> None:
    """`deny when assessment is exam` with only portfolio assessments loads on durable too."""
    require_durable()
    path = tmp_path / "q7.luk"
    path.write_text(_NEGATED_CONSTANT.format(condition="assessment is exam"), encoding="utf-8")
    native = luk_rules.load(path).decide(_Q7_SUBMISSION)
    assert_same(
        native, luk_rules.load(path, engine="durable").decide(_Q7_SUBMISSION), "engines disagree"
    )


def test_engines_agree_on_an_unmet_entry_requirement(tmp_path: Path) -> None:
    """ICT-AFS claimed before ICT-SE, ICT-ARCH and ICT-ONZ are completed is denied on both
    engines."""
    require_durable()
    sub = {
        "id": "S1",
        "programme": "ICT",
        "form": "deeltijd",
        "date": "2025-03-01",
        "units": ["ICT-AFS"],
        "assessment": "ICT-AFS-CGI",
        "evidence": [],
    }
    native = example("hbo-ict-deeltijd").decide(sub)
    assert native.status == "inadmissible"
    assert_same(native, example("hbo-ict-deeltijd", "durable").decide(sub), "engines disagree")


_MAX_UNITS = """\
programme Q7 "Q"
  level hbo-bachelor
  form deeltijd
  institution "H"
  under whw
evidence pv "P"
unit Q7-U1 "U"
  credits 3
  kind onderwijseenheid
  outcome 1 "O"
  accepts pv
assessment Q7-T1 "T"
  exam
  path-independent
  assesses Q7-U1
  at most 1 units at once
"""


def test_durable_does_not_crash_on_an_assessment_with_at_most_n_units(tmp_path: Path) -> None:
    """`luk decide --engine durable` on a ruleset with `at most 1 units at once` prints what
    native prints, every time (run in subprocesses: a segfault would take pytest down)."""
    require_durable()
    ruleset, case = tmp_path / "q7.luk", tmp_path / "case.json"
    ruleset.write_text(_MAX_UNITS, encoding="utf-8")
    case.write_text(json.dumps(_Q7_SUBMISSION), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "luk_rules.cli",
        "decide",
        "--format",
        "json",
        str(ruleset),
        str(case),
    ]
    native = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert native.returncode == 0, native.stderr
    for _ in range(5):
        durable = subprocess.run(
            [*command, "--engine", "durable"], capture_output=True, text=True, timeout=60
        )
        assert (durable.returncode, durable.stdout) == (native.returncode, native.stdout)


def test_explain_works_for_a_count_of_at_least_zero(tmp_path: Path) -> None:
    """`number of evidence of type pv >= 0` holds, and explaining it does not crash."""
    path = tmp_path / "q7.luk"
    path.write_text(
        _NEGATED_CONSTANT.format(condition="number of evidence of type pv >= 0"), encoding="utf-8"
    )
    rs = luk_rules.load(path)
    sub = {
        **_Q7_SUBMISSION,
        "evidence": [{"id": "e1", "type": "pv", "outcomes": ["Q7-U1.1"], "date": "2024-01-01"}],
    }
    assert rs.decide(sub).status == "inadmissible"
    explained = rs.decide(sub, explain=True)
    assert [f.code for f in explained.findings] == ["geen-wo"]


# ------------------------------------------------------------------ contracts


def test_schemas_are_valid_draft_2020_12() -> None:
    """Both published JSON Schemas are themselves valid Draft 2020-12 schemas."""
    Draft202012Validator.check_schema(SUBMISSION_SCHEMA)
    Draft202012Validator.check_schema(DECISION_SCHEMA)


@pytest.mark.parametrize("name", EXAMPLES)
@NATIVE
@given(data=st.data())
def test_submissions_and_decisions_match_their_schemas(name: str, data: st.DataObject) -> None:
    """Every generated valid submission validates against SUBMISSION_SCHEMA, and its decision
    (with and without explanation) against DECISION_SCHEMA."""
    rs = example(name)
    sub = data.draw(gen.submissions(rs.ir), label="submission")
    SUBMISSION_VALIDATOR.validate(sub)
    DECISION_VALIDATOR.validate(rs.decide(sub).to_dict())
    explained = rs.decide(sub, explain=True).to_dict()
    DECISION_VALIDATOR.validate(explained)
    assert "explanation" in explained


@pytest.mark.parametrize("name", EXAMPLES)
@NATIVE
@given(data=st.data())
def test_status_follows_from_findings_and_missing(name: str, data: st.DataObject) -> None:
    """admissible iff no deny finding and nothing missing; inadmissible iff some deny;
    `missing` only for portfolio assessments; every claimed unit is reported."""
    rs = example(name)
    sub = data.draw(gen.submissions(rs.ir), label="submission")
    d = rs.decide(sub).to_dict()
    denied = any(f["severity"] == "deny" for f in d["findings"])
    assert d["admissible"] == (d["status"] == "admissible")
    assert (d["status"] == "admissible") == (not denied and not d["missing"])
    assert (d["status"] == "inadmissible") == denied
    assert (d["status"] == "incomplete") == (not denied and bool(d["missing"]))
    deciding = gen.Vocabulary.of(rs.ir).on(dt.date.fromisoformat(sub["date"]))
    method = {a.name: a.method for a in deciding.assessments}[sub["assessment"]]
    if d["missing"]:
        assert method == "portfolio"
    assert set(d["units"]) == set(sub["units"])
    ids = {e["id"] for e in sub["evidence"]}
    for unit in d["units"].values():
        for items in unit["outcomes"].values():
            assert set(items) <= ids


# ------------------------------------------------------------------ scoped rules: reach


_CORPUS = 120  # generated rulesets, 6 submissions each: about 2 s


@cache
def _scoped_corpus() -> tuple[tuple[str, str, bool, tuple[str, ...]], ...]:
    """(binder kinds, rule name, fired, messages) of every scoped rule in a fixed corpus."""
    seen: list[tuple[str, str, bool, tuple[str, ...]]] = []
    for k, text in enumerate(gen.random_ruleset_texts(_CORPUS, seed=20261130)):
        rs = gen.load_generated(gen.write_ruleset(text))
        scoped = {r.name: "+".join(b.noun for b in r.binders) for r in rs.ir.rules if r.binders}
        for sub in gen.random_submissions(rs.ir, 6, seed=k):
            findings = rs.decide(sub).findings
            for name, kinds in scoped.items():
                messages = tuple(f.message for f in findings if f.code == name)
                seen.append((kinds, name, bool(messages), messages))
    return tuple(seen)


@pytest.mark.parametrize("kinds", ["unit", "outcome", "outcome+item", "item", "organisation",
                                   "result"])
def test_generated_scoped_rules_both_fire_and_stay_silent(kinds: str) -> None:
    """The generator reaches every kind of binder firing and not firing (so the engine and
    order properties above are tested on both)."""
    outcomes = [fired for k, _, fired, _ in _scoped_corpus() if k == kinds]
    assert any(outcomes) and not all(outcomes), (kinds, len(outcomes))


def test_generated_scoped_messages_name_their_values() -> None:
    """Every message of a generated scoped rule has its placeholders filled in."""
    messages = [m for _, _, _, found in _scoped_corpus() for m in found]
    assert messages
    assert not [m for m in messages if "{" in m or "}" in m]


# ------------------------------------------------------------------ bad input


def assert_located(exc: luk_rules.SubmissionError, path: str, what: str) -> None:
    """Every problem has a JSON path, and one is at (or inside) ``path``."""
    paths = [p.path for p in exc.problems]
    assert exc.problems, what
    assert all(p.startswith("$") for p in paths), paths
    assert any(p == path or p.startswith((path + ".", path + "[")) for p in paths), (
        f"{what}: expected a problem at {path}, got {exc.problems}"
    )


@pytest.mark.parametrize("name", EXAMPLES)
@NATIVE
@given(data=st.data())
def test_bad_submissions_are_located_submission_errors(name: str, data: st.DataObject) -> None:
    """A submission broken anywhere raises SubmissionError (never another exception) with a
    problem at the broken place; the JSON Schema rejects the structural faults too."""
    rs = example(name)
    broken = data.draw(gen.bad_submissions(rs.ir), label="broken")
    with pytest.raises(luk_rules.SubmissionError) as raised:
        rs.decide(broken.document)
    assert_located(raised.value, broken.path, broken.what)
    if broken.structural:
        assert not SUBMISSION_VALIDATOR.is_valid(broken.document), broken.what
    # the same document as JSON text goes the same way
    with pytest.raises(luk_rules.SubmissionError) as raised:
        rs.decide(loads(json.dumps(broken.document)))
    assert_located(raised.value, broken.path, broken.what)


_VALID_TEXT = json.dumps(
    {
        "id": "S1",
        "programme": "BK",
        "form": "deeltijd",
        "date": "2025-03-01",
        "units": ["BK-ONT"],
        "assessment": "BK-PORTFOLIO",
        "evidence": [
            {
                "id": "e1",
                "type": "beroepsproduct",
                "outcomes": ["BK-ONT.1"],
                "date": "2024-06-01",
                "verified": True,
            }
        ],
    }
)


@settings(max_examples=100, deadline=None)
@given(
    text=st.one_of(
        st.integers(0, len(_VALID_TEXT) - 1).map(lambda n: _VALID_TEXT[:n]),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
        st.text(max_size=200),
        st.sampled_from(
            [
                "",
                " ",
                "\n\t ",
                "\ufeff",
                "null",
                "[]",
                '"S1"',
                "1e999",
                "NaN",
                "[" * 100_000,
                '{"id": ' * 50_000,
                "{" + "}" * 3,
            ]
        ),
    )
)
def test_mangled_json_text_is_a_located_submission_error(text: str) -> None:
    """Truncated, random or empty JSON text is a SubmissionError at `$...`, never a crash."""
    with pytest.raises(luk_rules.SubmissionError) as raised:
        example("bouwkunde-deeltijd").decide(loads(text, "case.json"))
    assert raised.value.problems
    assert all(p.path.startswith("$") for p in raised.value.problems)


# ------------------------------------------------------------------ audits

AUDIT_VALIDATOR = Draft202012Validator(
    AUDIT_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)


def permuted_record(record: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """The same record with its results reordered."""
    return {**record, "results": data.draw(st.permutations(record["results"]), label="results")}


def assert_audit_consistent(rs: luk_rules.Ruleset, record: dict[str, Any],
                            audit: luk_rules.Audit) -> None:
    """The audit's figures agree with its findings and with a plain reading of the record:
    the credits earned are those of the results that count, the missing units are the
    required ones without such a result, complete iff no deny finding."""
    exam = rs.for_date(dt.date.fromisoformat(record["date"])).ir.exam
    assert exam is not None
    credits = {u.code: u.credits for u in rs.ir.units}
    counted = {u for u, r in audit.results.items() if r.counts}
    assert {r["unit"] for r in record["results"]} == set(audit.results)
    assert all((r.reason is None) == r.counts for r in audit.results.values())
    assert audit.credits_earned == sum(credits[u] for u in counted)
    assert audit.missing_units == tuple(sorted(set(exam.required) - counted))
    assert set(audit.missing_units) == {
        f.facts[0] for f in audit.findings if f.code == "required-unit-missing"}
    short = exam.diploma_credits - audit.credits_earned if exam.diploma_credits else 0
    assert audit.credits_short == max(short, 0)
    assert audit.complete == (not any(f.severity == "deny" for f in audit.findings))
    AUDIT_VALIDATOR.validate(audit.to_dict())


AUDITED = ("bouwkunde-deeltijd", "bouwkunde-voltijd-evl", "hbo-ict-deeltijd")


@pytest.mark.parametrize("name", AUDITED)
@NATIVE
@given(data=st.data())
def test_audit_does_not_depend_on_result_order(name: str, data: st.DataObject) -> None:
    """Reordering a record's results changes neither the audit nor its explanation, and the
    audit's figures agree with its findings and the record."""
    rs = example(name)
    record = data.draw(gen.records(rs.ir), label="record")
    other = permuted_record(record, data)
    audit = rs.audit(record, explain=True)
    assert_same(audit, rs.audit(other, explain=True), "audit depends on result order")
    assert_audit_consistent(rs, record, audit)
    AUDIT_VALIDATOR.validate(audit.to_dict())


@GENERATED
@given(path=gen.rulesets(), data=st.data())
def test_audits_on_generated_rulesets_are_consistent_and_order_independent(
    path: Path, data: st.DataObject
) -> None:
    """On random rulesets with examination programmes, an audit (with its explanation) does
    not depend on the order of the results and agrees with a plain reading of the record."""
    rs = gen.load_generated(path)
    if rs.ir.exam is None:
        return
    for _ in range(3):
        record = data.draw(gen.records(rs.ir), label="record")
        audit = rs.audit(record, explain=True)
        assert_same(audit, rs.audit(permuted_record(record, data), explain=True),
                          "audit depends on result order")
        assert_audit_consistent(rs, record, audit)
        assert {f["code"] for f in audit.to_dict()["explanation"]["findings"]} == {
            f.code for f in audit.findings}


@pytest.mark.parametrize("name", AUDITED)
@DURABLE
@given(data=st.data())
def test_engines_agree_on_audits_of_examples(name: str, data: st.DataObject) -> None:
    """native and durable give the same audit and explanation on the example rulesets."""
    require_durable()
    native, durable = example(name), example(name, "durable")
    record = data.draw(gen.records(native.ir), label="record")
    assert_same(native.audit(record, explain=True), durable.audit(record, explain=True),
                      "engines disagree on the audit")


@GENERATED
@given(path=gen.rulesets(), data=st.data())
def test_engines_agree_on_audits_of_generated_rulesets(path: Path, data: st.DataObject) -> None:
    """native and durable give the same audits (explanations included) on random rulesets
    with examination programmes and random records."""
    require_durable()
    native = gen.load_generated(path)
    if native.ir.exam is None:
        return
    durable = gen.load_generated(path, "durable")
    for _ in range(3):
        record = data.draw(gen.records(native.ir), label="record")
        assert_same(native.audit(record), durable.audit(record), "engines disagree")
        assert_same(native.audit(record, explain=True), durable.audit(record, explain=True),
                          "engines disagree on the explanation")


@GENERATED
@given(path=gen.rulesets(), data=st.data())
def test_entry_findings_name_the_units_whose_results_the_audit_does_not_count(
    path: Path, data: st.DataObject
) -> None:
    """One definition of a result that counts: a submission claiming a unit with entry
    requirements is refused for exactly the earlier units whose results the audit of the
    same results on the same date does not count."""
    rs = gen.load_generated(path)
    exam = rs.ir.exam
    if exam is None or not exam.entry:
        return
    record = data.draw(gen.records(rs.ir), label="record")
    requirement = data.draw(st.sampled_from(exam.entry), label="requirement")
    covering = [a for a in rs.ir.assessments if requirement.unit in a.units]
    submission = {
        "id": "S1", "programme": record["programme"], "form": record["form"],
        "date": record["date"], "units": [requirement.unit],
        "assessment": covering[0].name, "evidence": [], "results": record["results"]}
    counted = {u for u, r in rs.audit(record).results.items() if r.counts}
    after = {u for r in exam.entry if r.unit == requirement.unit for u in r.after}
    refused = {f.facts[0] for f in rs.decide(submission).findings
               if f.code == "entry-requirement-not-met"}
    event("entry requirement: " + ("unmet" if refused else "met"))
    assert refused == after - counted


_REACH_MINIMUM = 5.0  # per cent of the audits in the corpus below


def test_audit_strategies_reach_every_finding() -> None:
    """The record and ruleset generators reach every audit finding, met and unmet elective
    groups and diploma credits, complete and incomplete records: each in at least 5% of a
    fixed corpus of audits (5 records for each of 60 random rulesets that has an
    examination programme; the shares are printed with -s)."""
    reach: dict[str, int] = dict.fromkeys(
        ["complete", "incomplete", "elective group met", "elective group short",
         "credits met", "credits short", "result expired", "grounds not allowed",
         "exemption without decision", "valid exemption", "required unit missing"], 0)
    codes = {"result-expired": "result expired",
             "exemption-grounds-not-allowed": "grounds not allowed",
             "exemption-without-decision": "exemption without decision",
             "exemption": "valid exemption", "required-unit-missing": "required unit missing"}
    audits = 0
    for text in gen.random_ruleset_texts(60, seed=11):
        rs = gen.load_generated(gen.write_ruleset(text))
        exam = rs.ir.exam
        if exam is None:
            continue
        for record in gen.random_records(rs.ir, 5, seed=len(text)):
            audit = rs.audit(record)
            audits += 1
            reach[audit.status] += 1
            short = {e.group for e in audit.electives}
            if {g.describe() for g in exam.electives} - short:
                reach["elective group met"] += 1
            if short:
                reach["elective group short"] += 1
            if exam.diploma_credits is not None:
                reach["credits short" if audit.credits_short else "credits met"] += 1
            for code in {f.code for f in audit.findings} & set(codes):
                reach[codes[code]] += 1
    shares = {what: 100.0 * n / audits for what, n in reach.items()}
    print(f"\naudit reach over {audits} audits:")
    for what, share in shares.items():
        print(f"  {what:28} {share:5.1f}%")
    assert audits >= 150
    assert all(share >= _REACH_MINIMUM for share in shares.values()), shares
