"""HTML pages: a decision letter an exam committee can send, and an impact report for
policy advisers (``luk decide --format html``, ``luk diff --format html``).

Both are one self-contained page: the CSS (for screen and ``@media print``) is inline,
the chart is inline SVG, and nothing is fetched from the network. The pages are
rendered from Jinja2 templates shipped in the package (``luk_rules/templates``), with
autoescaping on: every text from a ruleset, a submission or a file name is escaped.

Jinja2 is an optional dependency (the ``html`` extra, ``pip install luk-rules[html]``);
it is imported only when a page is rendered, and its absence raises
:class:`HtmlUnavailable`. This module only builds the values the templates show, from
what a :class:`~luk_rules.decide.Decision` or an :class:`~luk_rules.impact.Impact`
already holds: it decides nothing itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from luk_rules import ir
from luk_rules.decide import Decision, Finding
from luk_rules.errors import LukError
from luk_rules.impact import Impact
from luk_rules.sources import display_path

VERDICTS = {
    "admissible": ("Admissible", "The submission may be assessed"),
    "incomplete": ("Incomplete", "Evidence is missing before the submission can be assessed"),
    "inadmissible": ("Inadmissible", "The submission may not be assessed as it stands"),
}
"""The decision in words: a status's heading and its sentence."""

ROUTES = {
    "A": "the recommended learning activities and tests of the unit",
    "B": "own or several activities or tests for one unit",
    "C": "straight to the assessment, without activities or evidence",
    "D": "one large activity or assessment used for several units",
}
"""The combinations (routes) A-D in words."""

STATUS_WORDS = {"enacted": "enacted law", "interpretation": "interpretation",
                "proposal": "proposal, not law", "": "status not stated"}
"""How the status of a finding's legal basis is shown; nothing for the OER's own."""

CHART_WIDTH = 640
"""The width of the transitions chart in SVG user units."""


class HtmlUnavailable(LukError):
    """Jinja2, which renders the HTML pages, is not installed (the ``html`` extra)."""


def _environment() -> Any:
    """The Jinja2 environment over the shipped templates, autoescaping everything.

    Raises:
        HtmlUnavailable: when Jinja2 cannot be imported.
    """
    try:
        import jinja2
    except ImportError:
        raise HtmlUnavailable(
            "--format html needs Jinja2, which is not installed; install the `html` extra: "
            "pip install 'luk-rules[html]' (or: pip install jinja2)") from None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("luk_rules", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def _render(template: str, **values: Any) -> str:
    text: str = _environment().get_template(template).render(**values)
    return text


# ------------------------------------------------------------------ the letter


@attrs.frozen
class OutcomeRow:
    """One outcome of a claimed unit in the letter: what counts, or what to add."""

    ref: str
    text: str
    state: str  # "covered", "missing" or "exam" (no prior evidence needed)
    items: tuple[str, ...]
    advice: str


@attrs.frozen
class UnitBlock:
    """A claimed unit in the letter with its outcomes."""

    code: str
    title: str
    credits: int | None
    kind: str
    outcomes: tuple[OutcomeRow, ...]


@attrs.frozen
class FindingRow:
    """A finding as the letter shows it."""

    code: str
    severity: str
    message: str
    basis: str
    status: str  # words in brackets, or "" for the OER's own
    rule: str
    source: str


@attrs.frozen
class Law:
    """The law in force on the submission date, as the letter names it."""

    name: str
    title: str
    file: str | None  # the file it came from when it is not the shipped law


def _finding_row(f: Finding) -> FindingRow:
    words = STATUS_WORDS.get(f.status)
    return FindingRow(f.code, f.severity, f.message, f.basis, words or "", f.rule, f.source)


def _units(decision: Decision, ruleset: ir.Ruleset) -> tuple[UnitBlock, ...]:
    units = {u.code: u for u in ruleset.units}
    missing = {m.outcome: m for m in decision.missing}
    blocks = []
    for code, result in sorted(decision.units.items()):
        unit = units.get(code)
        rows = []
        outcomes = unit.outcomes if unit is not None else ()
        refs = [o.ref for o in outcomes] + sorted(
            set(result.outcomes) - {o.ref for o in outcomes})
        texts = {o.ref: o.text for o in outcomes}
        for ref in refs:
            items = tuple(result.outcomes.get(ref, ()))
            if ref in missing:
                state, advice = "missing", missing[ref].advice()
            elif items:
                state, advice = "covered", ""
            else:
                state, advice = "exam", ""
            rows.append(OutcomeRow(ref, texts.get(ref, ""), state, items, advice))
        blocks.append(UnitBlock(code, unit.title if unit else "", unit.credits if unit else None,
                                result.kind, tuple(rows)))
    return tuple(blocks)


def decision_html(decision: Decision, ruleset: ir.Ruleset, form: str, date: str,
                  assessment: str) -> str:
    """The decision as a printable HTML letter: programme, case, date, the decision in
    words, the law in force, per unit and outcome the evidence that counts or what to
    add, every finding with its basis, and the programme's closing text.

    ``ruleset`` is the one that decided (for a ruleset that replaces another, the one
    for the submission's date); ``form``, ``date`` (ISO) and ``assessment`` are the
    submission's.

    Raises:
        HtmlUnavailable: when Jinja2 is not installed.
    """
    p = ruleset.programme
    law = None
    if decision.law:
        regime = next((r for r in p.regimes if r.name == decision.law), None)
        law = Law(decision.law, regime.title if regime else "",
                  None if regime is None or regime.shipped else regime.span.file)
    a = next((x for x in ruleset.assessments if x.name == assessment), None)
    heading, sentence = VERDICTS[decision.status]
    return _render(
        "decision.html.j2",
        programme=p,
        case=decision.case,
        form=form,
        date=date,
        status=decision.status,
        heading=heading,
        sentence=sentence,
        combination=decision.combination,
        route=ROUTES.get(decision.combination, ""),
        law=law,
        assessment=a,
        assessment_name=assessment,
        units=_units(decision, ruleset),
        missing=decision.missing,
        findings=tuple(_finding_row(f) for f in decision.findings),
        closing=p.closing,
    )


# ------------------------------------------------------------------ the report


@attrs.frozen
class RulesetInfo:
    """What the impact report says of one of the two rulesets."""

    path: str
    title: str = ""
    code: str = ""
    forms: tuple[str, ...] = ()
    institution: str = ""
    applies_from: str = ""  # the `replaces ... from DATE` date, if any
    replaces: str = ""
    laws: tuple[tuple[str, str, str], ...] = ()  # (name, title, when in force)


def ruleset_info(path: str, ruleset: ir.Ruleset | None) -> RulesetInfo:
    """The report's description of a ruleset: its path and, when given, its programme,
    the date it applies from and the law regimes it stands under with their periods."""
    if ruleset is None:
        return RulesetInfo(path)
    p = ruleset.programme
    laws = tuple((r.name, r.title, _period(r)) for r in p.regimes)
    return RulesetInfo(
        path, p.title, p.code, p.forms, p.institution,
        p.replaces.date.isoformat() if p.replaces else "",
        display_path(Path(p.replaces.path)) if p.replaces else "", laws)


def _period(regime: ir.Regime) -> str:
    if regime.never:
        return "never in force (a proposal)"
    if regime.status == "proposal":
        return _dates(regime) + " (a proposal, not law)"
    return _dates(regime)


def _dates(regime: ir.Regime) -> str:
    if regime.start is None and regime.end is None:
        return "always"
    start = regime.start.isoformat() if regime.start else ""
    end = regime.end.isoformat() if regime.end else ""
    if start and end:
        return f"from {start} until {end}"
    return f"from {start}" if start else f"until {end}"


@attrs.frozen
class Bar:
    """One bar of the transitions chart, in SVG user units."""

    label: str
    before: str
    after: str
    count: int
    y: int
    width: int


@attrs.frozen
class Chart:
    """The status-transitions bar chart: one horizontal bar per transition."""

    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[Bar, ...]
    description: str


def transitions_chart(transitions: Sequence[tuple[str, int]]) -> Chart:
    """Bars for the transitions (``"incomplete -> admissible"``, count), scaled to the
    largest count; the description reads the chart out in words."""
    label_width, bar_height, gap, top = 220, 22, 10, 8
    room = CHART_WIDTH - label_width - 60
    largest = max((n for _, n in transitions), default=0)
    bars = []
    for i, (key, count) in enumerate(transitions):
        before, _, after = key.partition(" -> ")
        width = max(1, round(room * count / largest)) if largest else 0
        bars.append(Bar(f"{before} \u2192 {after}", before, after, count,
                        top + i * (bar_height + gap), width))
    height = top * 2 + max(1, len(bars)) * (bar_height + gap)
    words = "; ".join(f"{b.label}: {b.count} case{'s' if b.count != 1 else ''}" for b in bars)
    return Chart(CHART_WIDTH, height, label_width, bar_height, tuple(bars),
                 words or "no case changed status")


def impact_html(impact: Impact, before: ir.Ruleset | None = None,
                after: ir.Ruleset | None = None, *, invalid_limit: int = 50) -> str:
    """``luk diff`` as a self-contained HTML report: the two rulesets, the counts, a
    chart of the status transitions, the changes by reason and by law in force, example
    cases per reason, and the cases invalid under both rulesets (the first
    ``invalid_limit``). ``before`` and ``after`` (the compiled rulesets, optional) add
    their programmes, dates and law.

    Raises:
        HtmlUnavailable: when Jinja2 is not installed.
    """
    return _render(
        "impact.html.j2",
        impact=impact,
        before=ruleset_info(impact.before, before),
        after=ruleset_info(impact.after, after),
        chart=transitions_chart(impact.transitions),
        by_law=impact.by_law,
        invalid=impact.invalid[:invalid_limit],
        invalid_more=max(0, len(impact.invalid) - invalid_limit),
    )


__all__ = ["HtmlUnavailable", "decision_html", "impact_html", "ruleset_info",
           "transitions_chart"]
