"""What the law a decision rests on is: each law finding's status (enacted, interpretation,
proposal), and a regime that takes the shipped law's place is never silent (LUK008, and
the decision names the file)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from test_cli import luk, write_json

import luk_rules

REPO = Path(__file__).resolve().parent.parent
OWN_WHW = (REPO / "tests" / "checks" / "bad" / "luk008-regime-named-like-shipped-law.luk"
           ).read_text(encoding="utf-8")
SUBMISSION = {"id": "S1", "programme": "GP", "form": "voltijd", "date": "2025-03-01",
              "units": ["GP-A"], "assessment": "GP-T",
              "evidence": [{"id": "e1", "type": "verslag", "outcomes": ["GP-A.1"],
                            "date": "2025-01-01", "verified": True}]}


def test_a_regime_named_whw_is_reported_and_named_in_the_decision(tmp_path: Path) -> None:
    """`luk check` warns (LUK008, naming both files); `luk decide` says in text and in the
    explanation which file the law in force came from; the route it allows counts."""
    (tmp_path / "gp.luk").write_text(OWN_WHW, encoding="utf-8")
    write_json(tmp_path / "s.json", SUBMISSION)
    checked = luk("check", "gp.luk", cwd=tmp_path)
    assert checked.returncode == 0 and "warning[LUK008]" in checked.stdout
    assert "law/whw.luk" in checked.stdout and "gp.luk" in checked.stdout
    text = luk("decide", "gp.luk", "s.json", "--explain", cwd=tmp_path)
    assert text.returncode == 0, text.stdout
    assert "     from gp.luk, not the shipped law" in text.stdout
    assert "    from gp.luk, not the shipped law" in text.stdout.split("Why")[1]
    proof = luk("decide", "gp.luk", "s.json", "--explain", "proof", cwd=tmp_path)
    assert "    (from gp.luk, not the shipped law)" in proof.stdout
    as_json = json.loads(luk("decide", "gp.luk", "s.json", "--explain", "--format", "json",
                             cwd=tmp_path).stdout)
    assert as_json["combination"] == "B" and as_json["explanation"]["law_file"] == "gp.luk"


def test_the_shipped_law_or_a_copy_of_it_is_not_reported(tmp_path: Path) -> None:
    """A `law` folder beside the ruleset with the shipped files' very text changes nothing:
    no warning, and no `law_file` in the explanation."""
    shutil.copytree(REPO / "rulesets", tmp_path / "rulesets")
    folder = tmp_path / "rulesets" / "examples"
    ruleset = luk_rules.load(folder / "bouwkunde-deeltijd.luk")
    case = json.loads((folder / "cases" / "bouwkunde-selficient.json").read_text())
    explained = ruleset.decide(case, explain=True).to_dict()
    assert "law_file" not in explained["explanation"]
    checked = luk("check", "rulesets", cwd=tmp_path)
    assert "LUK008" not in checked.stdout


def test_law_findings_carry_the_status_of_what_they_cite() -> None:
    """Course units under the WHW by route B with a path-dependent assessment: refused,
    citing the WHW clause that allows B only when path-independent, an interpretation;
    an institution rule's finding has the status `oer`."""
    ruleset = luk_rules.load(REPO / "rulesets" / "examples" / "bouwkunde-voltijd.luk")
    scenarios = json.loads((REPO / "rulesets" / "examples" / "bouwkunde-voltijd.scenarios.json"
                            ).read_text(encoding="utf-8"))["scenarios"]
    statuses: dict[str, set[str | None]] = {}
    for scenario in scenarios:
        for finding in ruleset.decide(scenario["submission"]).to_dict()["findings"]:
            statuses.setdefault(finding["code"], set()).add(finding["status"])
    assert statuses["combination-not-allowed"] == {"interpretation"}
    assert all(s == {"oer"} for code, s in statuses.items()
               if code not in ("combination-not-allowed", "unit-kind-not-permitted"))


def test_the_two_full_time_proposals_differ_only_for_a_practice_component(
        tmp_path: Path) -> None:
    """The same full-time case, after 2025-09-01: admissible as if `voltijd-uitbreiding`
    (all full-time programmes) or as if `voltijd-praktijkcomponent` for a programme that
    declares a substantial practice component; without that declaration the narrower
    proposal permits nothing (LUK043), and the refusal cites a proposal, not law."""
    examples = REPO / "rulesets" / "examples"
    scenarios = json.loads((examples / "bouwkunde-voltijd-praktijk.scenarios.json"
                            ).read_text(encoding="utf-8"))["scenarios"]
    case = next(s["submission"] for s in scenarios
                if s["expect"].get("law") == "voltijd-praktijkcomponent"
                and s["expect"]["status"] == "admissible")
    broad = luk_rules.load(examples / "bouwkunde-voltijd-evl.luk").decide(case)
    narrow = luk_rules.load(examples / "bouwkunde-voltijd-praktijk.luk").decide(case)
    assert (broad.status, broad.law) == ("admissible", "voltijd-uitbreiding")
    assert (narrow.status, narrow.law) == ("admissible", "voltijd-praktijkcomponent")
    shutil.copytree(REPO / "rulesets", tmp_path / "rulesets")
    copy = tmp_path / "rulesets" / "examples" / "bouwkunde-voltijd-praktijk.luk"
    copy.write_text(copy.read_text(encoding="utf-8").replace(
        "  substantial practice component\n", ""), encoding="utf-8")
    checked = luk("check", copy, cwd=tmp_path)
    assert "warning[LUK043]" in checked.stdout and "substantial practice component" in (
        checked.stdout)
    refused = luk_rules.load(copy).decide(case).to_dict()
    assert refused["status"] == "inadmissible"
    kinds = [f for f in refused["findings"] if f["code"] == "unit-kind-not-permitted"]
    assert kinds and {f["status"] for f in kinds} == {"proposal"}
