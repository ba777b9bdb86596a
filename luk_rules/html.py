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

Both pages are written in English or Dutch (``lang``): the templates mark their text with
``_()`` (Jinja2's i18n extension, over luk's gettext catalogues), and the values that are
messages are rendered in the page's language by the ``say`` filter.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from luk_rules import ir
from luk_rules.decide import Decision, Finding
from luk_rules.errors import LukError
from luk_rules.i18n import Lang, Message, msg, msgn, say, translations
from luk_rules.impact import Impact, status_word, transition_words
from luk_rules.sources import display_path

VERDICTS: Final[Mapping[str, tuple[Message, Message]]] = {
    "admissible": (msg("Admissible"), msg("The submission may be assessed")),
    "incomplete": (msg("Incomplete"),
                   msg("Evidence is missing before the submission can be assessed")),
    "inadmissible": (msg("Inadmissible"),
                     msg("The submission may not be assessed as it stands")),
}
"""The decision in words: a status's heading and its sentence."""

ROUTES: Final[Mapping[str, Message]] = {
    "A": msg("the recommended learning activities and tests of the unit"),
    "B": msg("own or several activities or tests for one unit"),
    "C": msg("straight to the assessment, without activities or evidence"),
    "D": msg("one large activity or assessment used for several units"),
}
"""The combinations (routes) A-D in words."""

STATUS_WORDS: Final[Mapping[str, Message]] = {
    "enacted": msg("enacted law"),
    "interpretation": msg("interpretation"),
    "proposal": msg("proposal, not law"),
    "": msg("status not stated"),
}
"""How the status of a finding's legal basis is shown; nothing for the OER's own."""

SEVERITY_WORDS: Final[Mapping[str, Message]] = {
    # Translators: the severity of a finding that stands in the way of the submission.
    "deny": msg("deny"),
    "warning": msg("warning"),
    # Translators: the severity of a finding that is only information.
    "info": msg("info"),
}
"""A finding's severity in words (the page's CSS classes keep the severity itself)."""

CHART_WIDTH = 640
"""The width of the transitions chart in SVG user units."""


class HtmlUnavailable(LukError):
    """Jinja2, which renders the HTML pages, is not installed (the ``html`` extra)."""


def _environment(lang: Lang) -> Any:
    """The Jinja2 environment of ``lang`` over the shipped templates.

    Raises:
        HtmlUnavailable: when Jinja2 cannot be imported (asked every time: the
            environments are made once Jinja2 is there).
    """
    try:
        import jinja2  # noqa: F401 - only: is it there?
    except ImportError:
        raise HtmlUnavailable(msg(
            "--format html needs Jinja2, which is not installed; install the `html` extra: "
            "pip install 'luk-rules[html]' (or: pip install jinja2)")) from None
    return _environments(lang)


@functools.cache
def _environments(lang: Lang) -> Any:
    """One Jinja2 environment per language, made once and never changed: autoescaping
    everything, ``_``/``gettext``/``ngettext`` from luk's catalogue of ``lang``
    (new-style: ``_("%(name)s", name=...)``, the values escaped), the filters ``say``
    (a message in ``lang``), ``status`` (a case's status in words), ``transition``
    (``incomplete -> admissible`` in words) and ``severity``, and ``lang`` itself for
    ``<html lang>``."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("luk_rules", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]  # by jinja2.ext.i18n
        translations(lang), newstyle=True)

    def transition(key: str) -> str:
        before, after = transition_words(key, lang)
        return f"{before} \u2192 {after}"

    env.filters.update(
        say=lambda text: say(text, lang) if isinstance(text, str) else text,
        status=lambda status: status_word(status, lang),
        transition=transition,
        severity=lambda severity: say(SEVERITY_WORDS.get(severity, severity), lang),
    )
    env.globals["lang"] = lang
    return env


def _render(template: str, lang: Lang, **values: Any) -> str:
    text: str = _environment(lang).get_template(template).render(**values)
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
    advice: str = ""  # what would resolve it, in the letter's language ("" when none)


@attrs.frozen
class Law:
    """The law in force on the submission date, as the letter names it."""

    name: str
    title: str
    file: str | None  # the file it came from when it is not the shipped law


def _finding_row(f: Finding, lang: Lang) -> FindingRow:
    words = STATUS_WORDS.get(f.status)
    return FindingRow(f.code, f.severity, f.message, f.basis,
                      "" if words is None else say(words, lang), f.rule, f.source, f.advice)


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
            advice: str  # a message, rendered by the template in the page's language
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
                  assessment: str, lang: Lang = "en") -> str:
    """The decision as a printable HTML letter in ``lang``: programme, case, date, the
    decision in words, the law in force, per unit and outcome the evidence that counts or
    what to add, every finding with its basis, and the programme's closing text.

    ``ruleset`` is the one that decided (for a ruleset that replaces another, the one
    for the submission's date); ``form``, ``date`` (ISO) and ``assessment`` are the
    submission's.

    Raises:
        HtmlUnavailable: when Jinja2 is not installed.
    """
    decision = decision.in_language(lang)
    p = ruleset.programme
    law = None
    if decision.law:
        regime = next((r for r in p.regimes if r.name == decision.law), None)
        law = Law(decision.law, regime.title if regime else "",
                  None if regime is None or regime.shipped else regime.span.file)
    a = next((x for x in ruleset.assessments if x.name == assessment), None)
    heading, sentence = VERDICTS[decision.status]
    route = ROUTES.get(decision.combination)
    return _render(
        "decision.html.j2",
        lang,
        programme=p,
        case=decision.case,
        form=form,
        date=date,
        status=decision.status,
        heading=say(heading, lang),
        sentence=say(sentence, lang),
        combination=decision.combination,
        route="" if route is None else say(route, lang),
        law=law,
        assessment=a,
        assessment_name=assessment,
        units=_units(decision, ruleset),
        missing=decision.missing,
        findings=tuple(_finding_row(f, lang) for f in decision.findings),
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


def ruleset_info(path: str, ruleset: ir.Ruleset | None, lang: Lang = "en") -> RulesetInfo:
    """The report's description of a ruleset: its path and, when given, its programme,
    the date it applies from and the law regimes it stands under with their periods (in
    ``lang``)."""
    if ruleset is None:
        return RulesetInfo(path)
    p = ruleset.programme
    laws = tuple((r.name, r.title, say(_period(r), lang)) for r in p.regimes)
    return RulesetInfo(
        path, p.title, p.code, p.forms, p.institution,
        p.replaces.date.isoformat() if p.replaces else "",
        display_path(Path(p.replaces.path)) if p.replaces else "", laws)


def _period(regime: ir.Regime) -> Message:
    if regime.never:
        return msg("never in force (a proposal)")
    if regime.status == "proposal":
        return msg("{dates} (a proposal, not law)", dates=_dates(regime))
    return _dates(regime)


def _dates(regime: ir.Regime) -> Message:
    if regime.start is None and regime.end is None:
        # Translators: when a law regime is in force: always.
        return msg("always")
    start = regime.start.isoformat() if regime.start else ""
    end = regime.end.isoformat() if regime.end else ""
    if start and end:
        return msg("from {start} until {end}", start=start, end=end)
    return msg("from {start}", start=start) if start else msg("until {end}", end=end)


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


def transitions_chart(transitions: Sequence[tuple[str, int]], lang: Lang = "en") -> Chart:
    """Bars for the transitions (``"incomplete -> admissible"``, count), scaled to the
    largest count; the labels and the description, which reads the chart out in words,
    in ``lang``."""
    label_width, bar_height, gap, top = 220, 22, 10, 8
    room = CHART_WIDTH - label_width - 60
    largest = max((n for _, n in transitions), default=0)
    bars = []
    for i, (key, count) in enumerate(transitions):
        before, _, after = key.partition(" -> ")
        said_before, said_after = transition_words(key, lang)
        width = max(1, round(room * count / largest)) if largest else 0
        bars.append(Bar(f"{said_before} \u2192 {said_after}", before, after, count,
                        top + i * (bar_height + gap), width))
    height = top * 2 + max(1, len(bars)) * (bar_height + gap)
    words = "; ".join(say(msgn("{transition}: {n} case", "{transition}: {n} cases", b.count,
                               transition=b.label), lang) for b in bars)
    return Chart(CHART_WIDTH, height, label_width, bar_height, tuple(bars),
                 words or say(msg("no case changed status"), lang))


def impact_html(impact: Impact, before: ir.Ruleset | None = None,
                after: ir.Ruleset | None = None, *, invalid_limit: int = 50,
                lang: Lang = "en") -> str:
    """``luk diff`` as a self-contained HTML report in ``lang``: the two rulesets, the
    counts, a chart of the status transitions, the changes by reason and by law in force,
    example cases per reason, and the cases invalid under both rulesets (the first
    ``invalid_limit``). ``before`` and ``after`` (the compiled rulesets, optional) add
    their programmes, dates and law.

    Raises:
        HtmlUnavailable: when Jinja2 is not installed.
    """
    return _render(
        "impact.html.j2",
        lang,
        impact=impact,
        before=ruleset_info(impact.before, before, lang),
        after=ruleset_info(impact.after, after, lang),
        chart=transitions_chart(impact.transitions, lang),
        by_law=impact.by_law,
        invalid=impact.invalid[:invalid_limit],
        invalid_more=max(0, len(impact.invalid) - invalid_limit),
    )


__all__ = ["HtmlUnavailable", "decision_html", "impact_html", "ruleset_info",
           "transitions_chart"]
