"""luk diff streams: an Impact keeps its first cases in memory and the rest in a file
(luk_rules.impact.Spool), and ``--format json`` is written a case at a time; neither
changes what a diff reports."""

from __future__ import annotations

import importlib.util
import io
import json
import pickle
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import luk_rules
from luk_rules import cli, impact, report
from luk_rules.i18n import say
from luk_rules.impact import Impact, Spool, compare, summarise

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "rulesets" / "examples"
VOLTIJD = EXAMPLES / "bouwkunde-voltijd.luk"
WHAT_IF = EXAMPLES / "bouwkunde-voltijd-evl.luk"
ICT = EXAMPLES / "hbo-ict-deeltijd.luk"
PAST = EXAMPLES / "past-cases" / "bouwkunde-voltijd.jsonl"


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spools that keep 2 cases in memory and write the rest 3 at a time."""
    monkeypatch.setattr(impact, "KEEP", 2)
    monkeypatch.setattr(impact, "SPILL", 3)


def _generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_luk_benchmarks_generate_spool",
                                                  REPO / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _dumped(result: Impact) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)


def _streamed(result: Impact) -> str:
    out = io.StringIO()
    result.write_json(out)
    return out.getvalue()


@pytest.mark.usefixtures("tiny")
def test_a_spool_reads_as_the_tuple_of_its_items() -> None:
    items = [{"n": i} for i in range(11)]
    spool = Spool(items)
    assert spool._file is not None  # 2 in memory, 9 in the file (3 batches), none pending
    assert len(spool) == 11 and bool(spool) and not Spool()
    assert list(spool) == items and tuple(spool) == tuple(items)
    assert spool == tuple(items) and tuple(items) == spool and spool == items
    assert spool != tuple(items[:-1]) and spool != (*items[:-1], {"n": 99})
    assert (spool == "abc") is False
    assert spool[0] == items[0] and spool[5] == items[5] and spool[-1] == items[-1]
    assert spool[:2] == tuple(items[:2]) and spool[1:7] == tuple(items[1:7])
    assert spool[::3] == tuple(items[::3]) and spool[::-2] == tuple(items[::-2])
    assert list(reversed(spool)) == items[::-1]
    assert spool.index({"n": 4}) == 4 and {"n": 10} in spool and spool.count({"n": 3}) == 1
    with pytest.raises(IndexError):
        spool[11]
    with pytest.raises(IndexError):
        spool[-12]
    first, second = iter(spool), iter(spool)  # two readers at once keep their places
    assert [next(first) for _ in range(4)] == items[:4]
    assert list(second) == items and list(first) == items[4:]
    spool.append({"n": 11})  # one more, pending (not yet written)
    assert list(spool)[-2:] == [{"n": 10}, {"n": 11}] and len(spool) == 12
    assert pickle.loads(pickle.dumps(spool)) == tuple(spool)
    assert isinstance(pickle.loads(pickle.dumps(spool)), tuple)
    assert repr(Spool([1, 2])) == "(1, 2)" and "12 items" in repr(spool)
    assert hash(Spool([1, 2, 3])) == hash((1, 2, 3))


def test_spooled_impacts_are_the_impacts_held_in_memory(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """On the Bouwkunde past cases and a few invalid ones, an Impact whose cases went to a
    file equals the one held in memory: its lists, groups, JSON, reports and reasons in
    Dutch."""
    invalid = [{"id": "X1", "programme": "BK", "form": "voltijd", "date": "2024-02-17",
                "units": ["BK-XXX"], "assessment": "BK-COM-T", "evidence": []},
               {"id": "X2", "programme": "BK"}]
    held = compare(VOLTIJD, WHAT_IF, [PAST, *invalid])
    assert len(held.changed) < impact.KEEP and held.invalid and held.errors
    monkeypatch.setattr(impact, "KEEP", 1)
    monkeypatch.setattr(impact, "SPILL", 2)
    spooled = compare(VOLTIJD, WHAT_IF, [PAST, *invalid])
    assert isinstance(spooled.changed, Spool) and spooled.changed._file is not None
    assert spooled == held
    assert spooled.to_dict() == held.to_dict()
    assert _streamed(spooled) == _dumped(held)
    assert spooled.by_law == held.by_law
    for lang in ("en", "nl"):
        assert report.impact_text(spooled, lang) == report.impact_text(held, lang)
        assert report.impact_markdown(spooled, lang) == report.impact_markdown(held, lang)
        assert [say(r, lang) for c in spooled.changed for r in c.reasons] == [
            say(r, lang) for c in held.changed for r in c.reasons]
    assert summarise("a", "b", []) == Impact("a", "b", 0, (), (), (), (), ())


def test_the_streamed_json_is_json_dumps_to_the_byte(tiny: None) -> None:
    """write_json writes what json.dumps(to_dict(), indent=2) does, empty lists too."""
    empty = summarise("before.luk", "after.luk", [])
    assert _streamed(empty) == _dumped(empty)
    json.loads(_streamed(empty))
    odd = {"id": "Ünïcode \u2028 \"quoted\"\n", "programme": "BK"}  # invalid on both sides
    result = compare(VOLTIJD, WHAT_IF, [PAST, odd])
    assert _streamed(result) == _dumped(result)
    assert json.loads(_streamed(result)) == result.to_dict()


def test_streaming_keeps_the_impact_of_generated_cases(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """300 generated HBO-ICT cases against a stricter HBO-ICT: the changed cases are
    exactly those whose verdicts differ, spooled or held in memory, in one process or
    two."""
    cases = _generate().generate(300, 7)
    corpus = tmp_path / "cases.jsonl"
    corpus.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    stricter = tmp_path / "stricter.luk"
    stricter.write_text(ICT.read_text(encoding="utf-8").replace(
        "at least 2 items per outcome", "at least 3 items per outcome"), encoding="utf-8")
    before, after = luk_rules.load(ICT), luk_rules.load(stricter)
    expected_changed = [c["id"] for c in cases
                        if before.verdict(c).status != after.verdict(c).status]
    expected_findings = [c["id"] for c in cases if c["id"] not in expected_changed
                         and before.verdict(c) != after.verdict(c)]
    held = compare(ICT, stricter, [corpus])
    assert [c.case for c in held.changed] == expected_changed
    assert [c.case for c in held.findings_changed] == expected_findings
    assert len(expected_changed) > 2 and len(expected_findings) > 2
    monkeypatch.setattr(impact, "KEEP", 2)
    monkeypatch.setattr(impact, "SPILL", 3)
    for jobs in (1, 2):
        spooled = compare(ICT, stricter, [corpus], jobs=jobs)
        assert spooled == held and _streamed(spooled) == _dumped(held)


def test_luk_diff_json_is_written_as_before(tmp_path: Path, tiny: None,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """``luk diff --format json`` on standard output and into a file: json.dumps of the
    Impact, with a newline at the end, whatever is spooled."""
    expected = _dumped(compare(VOLTIJD, WHAT_IF, [PAST])) + "\n"
    args = ["diff", str(VOLTIJD), str(WHAT_IF), str(PAST), "--format", "json", "--jobs", "1"]
    assert cli.main(args) == 1
    assert capsys.readouterr().out == expected
    output = tmp_path / "diff.json"
    assert cli.main([*args, "--output", str(output)]) == 1
    assert output.read_text(encoding="utf-8") == expected and capsys.readouterr().out == ""
    assert cli.main([*args, "--output", str(tmp_path / "no" / "such" / "diff.json")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_what_the_json_lists_does_not_depend_on_keep(tiny: None) -> None:
    """Every case is in the JSON, not only those kept in memory."""
    data: dict[str, Any] = json.loads(_streamed(compare(VOLTIJD, WHAT_IF, [PAST])))
    summary = data["summary"]
    assert len(data["changed"]) == summary["changed"] > impact.KEEP
    assert len(data["findings_changed"]) == summary["findings_changed"] > impact.KEEP
    assert (summary["changed"] + summary["findings_changed"] + summary["unchanged"]
            + summary["invalid"]) == summary["cases"] == 400
