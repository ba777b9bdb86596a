"""The HTML pages: the decision letter (`luk decide --format html`) and the impact report
(`luk diff --format html`): well-formed, self-contained, printable, escaped, complete."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import luk_rules
from luk_rules import cli, html, impact, parse, printer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "rulesets" / "examples"
DEELTIJD = EXAMPLES / "bouwkunde-deeltijd.luk"
SELFICIENT = EXAMPLES / "cases" / "bouwkunde-selficient.json"
VOLTIJD = EXAMPLES / "bouwkunde-voltijd.luk"
EVL = EXAMPLES / "bouwkunde-voltijd-evl.luk"
PAST = EXAMPLES / "past-cases"
PAST_CASES = PAST / "bouwkunde-voltijd.jsonl"
LUK = [sys.executable, "-m", "luk_rules.cli"]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
CLOSING = "beroep instellen bij het College van beroep voor de examens"


class _Checker(HTMLParser):
    """Well-formedness: every opened (non-void) tag is closed, in order; collects the
    text and the attributes that could fetch something."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []
        self.references: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "xlink:href", "action") and value:
                self.references.append(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_page(page: str) -> _Checker:
    """Parse a page and assert it is well-formed, self-contained and printable."""
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert page.startswith("<!DOCTYPE html>")
    assert not checker.problems, checker.problems
    assert not checker.stack, f"not closed: {checker.stack}"
    assert "http://" not in page and "https://" not in page
    assert not checker.references, checker.references
    assert "@import" not in page and "url(" not in page
    assert not any(tag in ("script", "link", "img", "iframe") for tag, _ in checker.tags)
    assert "@media print" in page
    return checker


def text_of(checker: _Checker) -> str:
    """The page's text, whitespace collapsed."""
    return " ".join(" ".join(checker.text).split())


def _decision_page(path: Path, submission: dict[str, Any]) -> str:
    ruleset = luk_rules.load(path)
    decision = ruleset.decide(submission)
    decided_by = ruleset.for_date(dt.date.fromisoformat(submission["date"])).ir
    return html.decision_html(decision, decided_by, submission["form"], submission["date"],
                              submission["assessment"])


def _selficient() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SELFICIENT.read_text(encoding="utf-8"))
    return data


# ------------------------------------------------------------------ the letter


def test_letter_of_the_demo_case_is_complete() -> None:
    """Every missing outcome with what to add, the decision in words, the law in force,
    and the closing text the ruleset declares."""
    submission = _selficient()
    decision = luk_rules.load(DEELTIJD).decide(submission)
    assert decision.missing  # the demo case is incomplete
    page = _decision_page(DEELTIJD, submission)
    text = text_of(check_page(page))
    assert "Decision: Incomplete" in text
    assert submission["id"] in text and submission["date"] in text
    assert "Bouwkunde (BK)" in text and "deeltijd" in text
    assert "wet-leeruitkomsten (Wet leeruitkomsten hoger onderwijs)" in text
    assert "not the shipped law" not in text
    for m in decision.missing:
        assert m.outcome in text
        assert m.advice() in text
    for f in decision.findings:
        assert f.message in text
    assert CLOSING in text
    assert "minnelijke schikking" in text and "bezwaar" not in text
    assert text.index("What to add") < text.index(CLOSING)


def test_letter_shows_every_finding_with_basis_and_status() -> None:
    """An inadmissible past case: each finding's message, basis and status in words."""
    line = PAST_CASES.read_text(encoding="utf-8").splitlines()[28]  # BKV-0029
    submission = json.loads(line)
    decision = luk_rules.load(VOLTIJD).decide(submission)
    assert decision.findings
    text = text_of(check_page(_decision_page(VOLTIJD, submission)))
    assert "Decision: Inadmissible" in text
    for f in decision.findings:
        assert " ".join(f.message.split()) in text
        assert " ".join(f.basis.split()) in text
        assert f.rule in text
        words = html.STATUS_WORDS.get(f.status)
        if words:
            assert f"[{words}]" in text
    # bouwkunde-voltijd.luk declares no closing text: the letter says so
    assert "declares no closing text" in text


def test_letter_escapes_everything() -> None:
    """A submission id with markup comes out as text, never as a tag."""
    submission = _selficient()
    submission["id"] = '<script>alert("x")</script>&'
    page = _decision_page(DEELTIJD, submission)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    checker = check_page(page)
    assert submission["id"] in text_of(checker)


def test_letter_names_a_law_that_is_not_the_shipped_law(tmp_path: Path) -> None:
    """A regime that takes the shipped law's place is named with its file."""
    own = ROOT / "tests" / "checks" / "bad" / "luk008-regime-named-like-shipped-law.luk"
    (tmp_path / "gp.luk").write_text(own.read_text(encoding="utf-8"), encoding="utf-8")
    submission = {"id": "S1", "programme": "GP", "form": "voltijd", "date": "2025-03-01",
                  "units": ["GP-A"], "assessment": "GP-T",
                  "evidence": [{"id": "e1", "type": "verslag", "outcomes": ["GP-A.1"],
                                "date": "2025-01-01", "verified": True}]}
    text = text_of(check_page(_decision_page(tmp_path / "gp.luk", submission)))
    assert "Taken from gp.luk, not the shipped law." in text


# ------------------------------------------------------------------ the closing clause


def test_closing_round_trips_and_reaches_the_ir() -> None:
    source = ('programme X "X"\n  closing "Eerste alinea \\"bezwaar\\"."\n'
              '    "Tweede alinea."\n')
    module = parse.parse(source, "x.luk")
    assert printer.print_module(module) == source
    ruleset = luk_rules.load(DEELTIJD)
    assert len(ruleset.ir.programme.closing) == 3
    assert ruleset.ir.programme.closing[0].startswith("Bent u het niet eens")


def test_closing_twice_is_an_error() -> None:
    text = DEELTIJD.read_text(encoding="utf-8").replace(
        "  max evidence age 5 years\n", '  max evidence age 5 years\n  closing "Nog eens."\n')
    with pytest.raises(luk_rules.RulesetError) as raised:
        luk_rules.loads(text, name=str(EXAMPLES / "again.luk"))
    assert any(d.code == "LUK030" and "`closing`" in d.message
               for d in raised.value.diagnostics)


# ------------------------------------------------------------------ the report


def _impact() -> impact.Impact:
    return impact.compare(VOLTIJD, EVL, [PAST])


def test_report_chart_matches_the_transitions() -> None:
    result = _impact()
    assert result.transitions
    page = html.impact_html(result, luk_rules.load(VOLTIJD).ir, luk_rules.load(EVL).ir)
    checker = check_page(page)
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert "<title" in svg and "<desc" in svg
    bars = [attrs for tag, attrs in checker.tags
            if tag == "g" and "data-transition" in attrs]
    shown = [(a["data-transition"], int(a["data-count"] or 0)) for a in bars]
    assert shown == list(result.transitions)
    widths = [int(a["width"] or 0) for tag, a in checker.tags
              if tag == "rect" and "bar" in (a.get("class") or "")]
    assert len(widths) == len(result.transitions)
    largest = max(n for _, n in result.transitions)
    for (_, n), width in zip(result.transitions, widths, strict=True):
        assert width == max(1, round((html.CHART_WIDTH - 280) * n / largest))
    text = text_of(checker)
    assert f"{result.cases} cases" in text
    for g in result.groups:
        assert g.reason in text
        for case in g.examples:
            assert case in text
    for g in result.by_law:
        assert f"{g.count} {g.before} {g.after}" in text
    assert str(VOLTIJD.relative_to(ROOT)) in text or VOLTIJD.name in text
    assert "Bouwkunde" in text and "Applies from 2025-09-01" in text


def test_report_bar_widths_are_proportional() -> None:
    chart = html.transitions_chart([("incomplete -> admissible", 10),
                                    ("admissible -> inadmissible", 5)])
    assert [b.width for b in chart.bars] == [360, 180]
    assert "incomplete → admissible: 10 cases" in chart.description
    empty = html.transitions_chart([])
    assert empty.bars == () and empty.description == "no case changed status"


def test_report_without_changes_and_escaped() -> None:
    """No change: no chart but a sentence; a case id with markup is escaped."""
    case = _selficient()
    case["id"] = "<b>x</b>"
    result = impact.compare(DEELTIJD, DEELTIJD, [case, {"id": "<i>broken"}])
    page = html.impact_html(result)
    checker = check_page(page)
    assert "<svg" not in page and "No case changed status" in text_of(checker)
    assert "<i>broken" not in page and "&lt;i&gt;broken" in page


# ------------------------------------------------------------------ without Jinja2


def test_without_jinja2_the_cli_says_so_and_exits_2(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # `import jinja2` now fails
    with pytest.raises(html.HtmlUnavailable):
        html.impact_html(impact.summarise("a.luk", "b.luk", []))
    code = cli.main(["decide", "--format", "html", str(DEELTIJD), str(SELFICIENT)])
    err = capsys.readouterr().err
    assert code == 2
    assert "needs Jinja2" in err and "luk-rules[html]" in err and "Traceback" not in err
    code = cli.main(["diff", "--format", "html", str(VOLTIJD), str(EVL), str(PAST_CASES)])
    err = capsys.readouterr().err
    assert code == 2 and "needs Jinja2" in err
    # the other formats do not need it
    assert cli.main(["decide", "--format", "text", str(DEELTIJD), str(SELFICIENT)]) == 1


# ------------------------------------------------------------------ the command


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LUK, *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", cwd=ROOT, timeout=120)


def test_cli_decide_html_to_stdout_and_file(tmp_path: Path) -> None:
    done = _run("decide", "--format", "html", DEELTIJD, SELFICIENT)
    assert done.returncode == 1, done.stderr  # incomplete
    assert "Traceback" not in done.stderr
    text = text_of(check_page(done.stdout))
    assert CLOSING in text
    out = tmp_path / "letter.html"
    written = _run("decide", "--format", "html", "--output", out, DEELTIJD, SELFICIENT)
    assert written.returncode == 1 and written.stdout == ""
    assert out.read_text(encoding="utf-8") == done.stdout
    admissible = tmp_path / "a.json"
    admissible.write_text(json.dumps({
        "id": "A1", "programme": "BK", "form": "deeltijd", "date": "2025-03-01",
        "units": ["BK-COM"], "assessment": "BK-COM-CGI",
        "evidence": [{"id": "e1", "type": "projectverslag", "outcomes": ["BK-COM.1"],
                      "activity": "projectonderwijs", "date": "2024-09-01",
                      "verified": True}]}), encoding="utf-8")
    ok = _run("decide", "--format", "html", DEELTIJD, admissible)
    assert ok.returncode == 0, ok.stderr
    assert "Decision: Admissible" in text_of(check_page(ok.stdout))
    unwritable = _run("decide", "--format", "html", "-o", tmp_path / "no" / "x.html",
                      DEELTIJD, SELFICIENT)
    assert unwritable.returncode == 2 and "cannot write" in unwritable.stderr
    assert "Traceback" not in unwritable.stderr


def test_cli_diff_html_exit_codes(tmp_path: Path) -> None:
    done = _run("diff", "--format", "html", "--jobs", "1", VOLTIJD, EVL, PAST)
    assert done.returncode == 1, done.stderr  # some case changed status
    check_page(done.stdout)
    assert "<svg" in done.stdout
    same = _run("diff", "--format", "html", "-o", tmp_path / "r.html", DEELTIJD, DEELTIJD,
                SELFICIENT)
    assert same.returncode == 0, same.stderr
    check_page((tmp_path / "r.html").read_text(encoding="utf-8"))
    empty = tmp_path / "empty"
    empty.mkdir()
    none = _run("diff", "--format", "html", VOLTIJD, EVL, empty)
    assert none.returncode == 2 and "no cases found" in none.stderr
    check_page(none.stdout)


def test_help_mentions_html() -> None:
    for command in ("decide", "diff"):
        done = _run(command, "--help")
        assert done.returncode == 0
        assert "html" in done.stdout and "--output" in done.stdout
