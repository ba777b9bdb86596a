"""Human-readable reports: a decision as an exam committee reads it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from luk_rules import ir
from luk_rules.audit import Audit
from luk_rules.decide import Decision, Finding
from luk_rules.impact import Impact
from luk_rules.law import Clause, Governing, LawReport, RegimeEntry
from luk_rules.scenarios import TestRun, describe
from luk_rules.submission import EvidenceItem

_VERDICT = {
    "admissible": "ADMISSIBLE: the submission may be assessed",
    "incomplete": "INCOMPLETE: evidence is missing before it can be assessed",
    "inadmissible": "INADMISSIBLE: the submission may not be assessed as it stands",
}
_ROUTES = {
    "A": "the recommended learning activities and tests of the unit",
    "B": "own or several activities/tests for one unit",
    "C": "straight to the assessment, without activities or evidence",
    "D": "one large activity or assessment used for several units",
}


def decision_text(decision: Decision, ruleset: ir.Ruleset, form: str, date: str,
                  assessment: str, evidence: Sequence[EvidenceItem] = (),
                  proof: bool = False) -> str:
    """The decision as plain text: verdict first, then units and outcomes, then findings;
    with an explanation, why in plain words (the law, the route, the evidence, what is
    missing), or with ``proof`` the proof trees."""
    p = ruleset.programme
    units = {u.code: u for u in ruleset.units}
    assessments = {a.name: a for a in ruleset.assessments}
    regimes = {r.name: r for r in p.regimes}
    missing = {m.outcome: m for m in decision.missing}
    lines = [
        f"Case {decision.case}: {p.title} ({p.code}), {form}, {date}",
        f"Verdict: {_VERDICT[decision.status]}",
        f"Route: combination {decision.combination}: {_ROUTES.get(decision.combination, '')}",
    ]
    if decision.law:
        regime = regimes.get(decision.law)
        title = f" ({regime.title})" if regime else ""
        lines.append(f"Law: {decision.law}{title}, in force on {date}")
        if regime is not None and not regime.shipped:
            lines.append(f"     from {regime.span.file}, not the shipped law")
    else:
        lines.append(f"Law: no regime of this programme is in force on {date}")
    a = assessments.get(assessment)
    if a:
        how = "path-independent" if a.path_independent else "path-dependent"
        lines.append(f"Assessment: {a.name} {a.title} ({a.method}, {how})")
    lines.append("")
    lines.append("Units and outcomes")
    for code, result in sorted(decision.units.items()):
        unit = units[code]
        lines.append(f"  {code} {unit.title}, {unit.credits} EC, {result.kind}")
        for outcome in unit.outcomes:
            items = result.outcomes.get(outcome.ref, ())
            if outcome.ref in missing:
                mark, note = "[ ]", "missing: " + missing[outcome.ref].advice()
                if items:
                    note = f"counts: {', '.join(items)}; " + note
            elif items:
                mark, note = "[x]", "counts: " + ", ".join(items)
            else:
                mark, note = "[-]", "no prior evidence needed (exam)"
            lines.append(f"    {mark} {outcome.ref}  {note}")
    lines.append("")
    lines.extend(_findings_lines(decision.findings))
    if decision.explanation is not None:
        lines.append("")
        lines.extend(_explanation_lines(decision.explanation) if proof else
                     _plain_lines(decision, ruleset, date, evidence))
    return "\n".join(lines)


def _plain_lines(decision: Decision, ruleset: ir.Ruleset, date: str,
                 evidence: Sequence[EvidenceItem]) -> list[str]:
    """Why, in words: each line read off the decision and its proofs (the rule that derived
    a conclusion, its basis and place); the proof trees themselves are ``--explain proof``."""
    explanation = decision.explanation or {}
    lines = ["Why"]
    law = explanation.get("law")
    regime = next((r for r in ruleset.programme.regimes if r.name == decision.law), None)
    if law is not None and regime is not None:
        since = f"in force since {regime.start}" if regime.start else "in force always"
        lines.append(f"  Law: {regime.name} is {since}; chosen as {law['basis']} "
                     f"({_place(law)})")
        if "law_file" in explanation:
            lines.append(f"    from {explanation['law_file']}, not the shipped law")
    elif decision.law is None:
        lines.append(f"  Law: none of {', '.join(r.name for r in ruleset.programme.regimes)} "
                     f"is in force on {date}")
    for node in explanation.get("scope", []):
        lines.append(f"  {node['rule']}: {node['basis']}{_node_status(node)} "
                     f"({node['source']})")
    route = explanation.get("combination")
    if route is not None:
        known = {item.id for item in evidence}
        items = sorted({_first_argument(leaf) for leaf in _leaves(route)
                        if leaf["given"] == "submission"} & known)
        shown = f", shown by {', '.join(items)}" if items else ""
        lines.append(f"  Route {decision.combination}{shown}: {route['basis']}"
                     f"{_node_status(route)}")
    counts: dict[str, list[str]] = {}
    for result in decision.units.values():
        for outcome, ids in result.outcomes.items():
            for item_id in ids:
                counts.setdefault(item_id, []).append(outcome)
    if evidence:
        lines.append("  Evidence")
        for item in sorted(evidence, key=lambda e: e.id):
            what = ", ".join([item.type, str(item.date),
                              "verified" if item.verified else "not verified",
                              *([f"activity {item.activity}"] if item.activity else [])])
            counted = counts.get(item.id)
            verdict = ("counts for " + ", ".join(sorted(counted)) if counted
                       else "counts for no outcome (see the findings)")
            lines.append(f"    {item.id} ({what}): {verdict}")
    for m in explanation.get("missing", []):
        why = m.get("why_not") or {}
        lines.append(f"  {m['outcome']} is missing: add {m['add']}"
                     + (f"; {why['basis']} ({_place(why)})" if "basis" in why else ""))
    return lines


def _place(node: Any) -> str:
    """Where a proof node's rule is written: ``rule at file:line:col``, or ``built-in rule
    NAME`` for a rule of luk's own semantics."""
    if node["source"] == "built-in":
        return f"built-in rule {node['rule']}"
    return f"{node['rule']} at {node['source']}"


def _node_status(node: Any) -> str:
    return _status(node["status"] or "") if "status" in node else ""


def _leaves(node: Any) -> list[Any]:
    """The given facts under a proof node."""
    if "given" in node:
        return [node]
    return [leaf for child in node.get("because", []) for leaf in _leaves(child)]


def _first_argument(leaf: Any) -> str:
    """The first argument of a given fact (an item's id, for the facts about items)."""
    inner = str(leaf["fact"]).partition("(")[2]
    return inner.split(",")[0].strip()


def _findings_lines(findings: Sequence[Finding]) -> list[str]:
    """Each finding with its severity, message, legal basis, rule and place."""
    if not findings:
        return ["Findings: none"]
    lines = ["Findings"]
    for f in findings:
        lines.append(f"  {f.severity:<7} {f.code}: {f.message}")
        lines.append(f"          basis: {f.basis}{_status(f.status)}; rule {f.rule} at {f.source}")
    return lines


_STATUS_WORDS = {"enacted": "enacted law", "interpretation": "interpretation",
                 "proposal": "proposal, not law", "": "status not stated"}


def _status(status: str) -> str:
    """`` [enacted law]`` after a law citation; nothing after the OER's."""
    return f" [{_STATUS_WORDS[status]}]" if status in _STATUS_WORDS else ""


def _tree(lines: list[str], node: Any, indent: int) -> None:
    """A proof tree, one fact a line, indented under the fact it supports."""
    if node is None:
        return
    pad = "  " * indent
    if "given" in node:
        lines.append(f"{pad}- {node['fact']}  (given by the {node['given']})")
        return
    status = _status(node["status"] or "") if "status" in node else ""
    lines.append(f"{pad}- {node['fact']}  by {node['rule']} ({node['basis']}{status}; "
                 f"{node['source']})")
    for child in node.get("because", []):
        _tree(lines, child, indent + 1)


def _explained_findings(lines: list[str], explanation: Any) -> None:
    for f in explanation.get("findings", []):
        lines.append(f"  Finding {f['code']}:")
        _tree(lines, f.get("proof"), 2)


def _explanation_lines(explanation: Any) -> list[str]:
    lines = ["Explanation"]

    lines.append("  Law in force:")
    _tree(lines, explanation.get("law"), 2)
    if "law_file" in explanation:
        lines.append(f"    (from {explanation['law_file']}, not the shipped law)")
    lines.append("  Combination:")
    _tree(lines, explanation.get("combination"), 2)
    for node in explanation.get("scope", []):
        what = "Permitted" if node.get("fact", "").startswith("permitted") else "Allowed"
        lines.append(f"  {what} by the law in force:")
        _tree(lines, node, 2)
    for outcome, node in explanation.get("outcomes", {}).items():
        lines.append(f"  Outcome {outcome} is covered:")
        _tree(lines, node, 2)
    for m in explanation.get("missing", []):
        lines.append(f"  Outcome {m['outcome']} is missing: add {m['add']}")
    _explained_findings(lines, explanation)
    return lines


# ------------------------------------------------------------------ impact


def impact_text(impact: Impact) -> str:
    """``luk diff`` as text: the counts, the transitions, the groups with examples, and the
    cases invalid under both rulesets (not compared)."""
    lines = [
        f"{impact.before} -> {impact.after}",
        f"{impact.cases} cases: {len(impact.changed)} changed status, "
        f"{len(impact.findings_changed)} changed findings only, {impact.unchanged} unchanged"
        + (f", {len(impact.invalid)} invalid under both rulesets" if impact.invalid else ""),
    ]
    if impact.transitions:
        lines.append("")
        lines.append("Status changes")
        for transition, count in impact.transitions:
            lines.append(f"  {count:>6}  {transition}")
        lines.append("")
        lines.append("Why (grouped by the rule or finding that made the difference)")
        for g in impact.groups:
            lines.append(f"  {g.count:>6}  {g.before} -> {g.after}: {g.reason}")
            lines.append(f"          e.g. {', '.join(g.examples)}")
    if impact.findings_changed:
        lines.append("")
        lines.append("Same status, different decision (findings, missing outcomes, law, route)")
        for g in impact.findings_groups[:15]:
            lines.append(f"  {g.count:>6}  {g.before}: {g.reason}")
            lines.append(f"          e.g. {', '.join(g.examples)}")
        if len(impact.findings_groups) > 15:
            rest = sum(g.count for g in impact.findings_groups[15:])
            lines.append(f"  {rest:>6}  in {len(impact.findings_groups) - 15} smaller groups "
                         "(--format json lists every case)")
    if impact.invalid:
        lines.append("")
        lines.append("Invalid under both rulesets (not compared)")
        lines.extend(impact_invalid_lines(impact, 10))
    return "\n".join(lines)


def impact_invalid_lines(impact: Impact, limit: int) -> list[str]:
    """The first ``limit`` cases invalid under both rulesets, each with its problem."""
    lines = [f"  {i.source}: {i.message}" for i in impact.invalid[:limit]]
    if len(impact.invalid) > limit:
        lines.append(f"  ... and {len(impact.invalid) - limit} more (--format json lists all)")
    return lines


def impact_markdown(impact: Impact) -> str:
    """``luk diff`` as Markdown, for a pull request or a policy memo."""
    lines = [
        f"## Impact of `{impact.after}` against `{impact.before}`",
        "",
        "| cases | changed status | changed findings only | unchanged | invalid (not compared) |",
        "|---:|---:|---:|---:|---:|",
        f"| {impact.cases} | {len(impact.changed)} | {len(impact.findings_changed)} | "
        f"{impact.unchanged} | {len(impact.invalid)} |",
    ]
    if impact.groups:
        lines += ["", "### Status changes by reason", "",
                  "| cases | from | to | reason | examples |", "|---:|---|---|---|---|"]
        for g in impact.groups:
            lines.append(f"| {g.count} | {g.before} | {g.after} | {_cell(g.reason)} | "
                         f"{_cell(', '.join(g.examples))} |")
    if impact.findings_groups:
        lines += ["", "### Same status, different decision", "",
                  "| cases | status | what changed | examples |", "|---:|---|---|---|"]
        for g in impact.findings_groups:
            lines.append(f"| {g.count} | {g.before} | {_cell(g.reason)} | "
                         f"{_cell(', '.join(g.examples))} |")
    if impact.invalid:
        lines += ["", "### Invalid under both rulesets (not compared)", "",
                  "| case | source | problem |", "|---|---|---|"]
        for i in impact.invalid[:50]:
            lines.append(f"| {_cell(i.case)} | {_cell(i.source)} | {_cell(i.message)} |")
        if len(impact.invalid) > 50:
            lines += ["", f"... and {len(impact.invalid) - 50} more (`--format json` lists all)"]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


# ------------------------------------------------------------------ scenario tests


def test_run_lines(run: TestRun, verbose: bool = False) -> list[str]:
    """``luk test`` output: a line per failing case with the difference, then the count."""
    lines: list[str] = []
    for r in run.results:
        if r.outcome == "failed":
            lines.append(f"FAIL  {r.id}: " + "; ".join(describe(r)))
        elif r.outcome == "error":
            lines.append(f"ERROR {r.id}: {r.message}")
        elif verbose:
            lines.append(f"ok    {r.id}")
    return lines


def coverage_lines(run: TestRun) -> list[str]:
    """``luk test --coverage``: per ruleset, how many of the rules that can fire for its
    programme its scenarios fired, those that never fired, and those that cannot fire
    for the programme (not counted) with why; then the sum over the rulesets."""
    cov = run.coverage
    lines: list[str] = []
    for r in cov.rulesets:
        excluded = f"; {len(r.excluded)} cannot fire" if r.excluded else ""
        lines.append(f"rule coverage of {r.path}: {len(r.fired)}/{len(r.sites)} rules that "
                     f"can fire for its programme fired ({r.percent:.1f}%){excluded}")
        for rule, source in r.unfired:
            lines.append(f"  never fired: {source}  {rule}")
        for (rule, source), why in r.excluded:
            lines.append(f"  cannot fire for this programme: {source}  {rule}: "
                         f"{unreachable_text(why)}")
    excluded = f"; {cov.excluded} cannot fire for their programme" if cov.excluded else ""
    count = f"{len(cov.rulesets)} ruleset" + ("" if len(cov.rulesets) == 1 else "s")
    lines.append(f"rule coverage over {count}: {cov.fired}/{cov.can_fire} rules that can "
                 f"fire fired ({cov.percent:.1f}%){excluded}")
    return lines


def coverage_below_lines(run: TestRun, minimum: float) -> list[str]:
    """``luk test --min-coverage``: a line for each ruleset whose coverage is below
    ``minimum`` percent (none when every ruleset reaches it)."""
    return [f"rule coverage of {r.path} is {r.percent:.1f}%, below the minimum {minimum:g}%"
            for r in run.coverage.below(minimum)]


def unreachable_text(reasons: Sequence[ir.Unreachable]) -> str:
    """Why a rule can never fire for the programme, in words; several reasons joined."""
    return "; ".join(_unreachable_reason(r) for r in reasons)


def _unreachable_reason(reason: ir.Unreachable) -> str:
    names = ", ".join(reason.names)
    if reason.why == "form":
        return f"it is for {names} only; the programme is offered {', '.join(reason.have)}"
    if reason.why == "kind":
        have = (f"the programme's units are {', '.join(reason.have)}" if reason.have
                else "the programme has no units")
        return f"it is about {names} only; {have}"
    if reason.why == "condition":
        parts = ", ".join(f"`{part}`" for part in reason.names)
        return f"its condition never holds for this programme ({parts})"
    regimes = "; ".join(_not_the_law_text(r) for r in reason.regimes)
    if len(reason.names) == 1:
        return (f"it applies only when {names} is the law, which it never is for this "
                f"ruleset ({regimes})")
    return (f"it applies only when one of {names} is the law, which none is for this "
            f"ruleset ({regimes})")


def _not_the_law_text(reason: ir.NotTheLaw) -> str:
    if reason.why == "proposal":
        return (f"{reason.regime} is a proposal the programme does not evaluate "
                "`as if` in force")
    if reason.why == "ended":
        return (f"{reason.regime} is in force until {reason.until}, and this ruleset decides "
                f"from {reason.since}, the date of its `replaces`")
    return (f"whenever {reason.regime} is in force, {', '.join(reason.by)} "
            f"{'is' if len(reason.by) == 1 else 'are'} the law")


# ------------------------------------------------------------------ audit


def audit_text(result: Audit, ruleset: ir.Ruleset, date: str) -> str:
    """``luk audit`` as text: the verdict, the results, what is missing, the findings."""
    p = ruleset.programme
    units = {u.code: u for u in ruleset.units}
    verdict = ("COMPLETE: the record completes the exam programme" if result.complete
               else "INCOMPLETE: the exam programme is not completed yet")
    required = result.credits_required
    lines = [
        f"Record {result.record}: {p.title} ({p.code}), on {date}",
        f"Verdict: {verdict}",
        f"Credits: {result.credits_earned} counted"
        + (f" of {required} needed" if required is not None else ""),
        "",
        "Results",
    ]
    if not result.results:
        lines.append("  none")
    for code, r in sorted(result.results.items()):
        mark = "[x]" if r.counts else "[ ]"
        note = "" if r.counts else f"  does not count: {r.reason}"
        lines.append(f"  {mark} {code} {units[code].title}, {r.credits} EC, {r.how} {r.date}"
                     f"{note}")
    if result.missing_units or result.electives or result.credits_short:
        lines.append("")
        lines.append("Missing")
        for code in result.missing_units:
            lines.append(f"  {code} {units[code].title} (required)")
        for e in result.electives:
            what = e.unit if e.needed != 1 else e.unit[:-1]
            lines.append(f"  {e.group}: {e.needed} more {what}")
        if result.credits_short:
            lines.append(f"  {result.credits_short} credits")
    lines.append("")
    lines.extend(_findings_lines(result.findings))
    if result.explanation is not None:
        lines.append("")
        lines.append("Explanation")
        lines.append("  Credits counted (each result that counts):")
        _tree(lines, result.explanation.get("credits"), 2)
        _explained_findings(lines, result.explanation)
    return "\n".join(lines)


_REASONS = {
    "own-permit": "",
    "latest-in-force": " (no regime in force permits anything of its own for this form "
    "and level: the latest in force)",
    "none-in-force": "",
}


def law_text(law: LawReport) -> str:
    """``luk law`` as text: each regime with its period, status, basis, source and clauses
    (oldest first, proposals last), then which regime governs each form and level."""
    on = law.date.isoformat()
    if law.ruleset is None:
        lines = [f"The law regimes shipped with luk_rules, on {on}"]
    else:
        lines = [f"The law regimes of {law.ruleset}, on {on}"]
    p = law.programme
    if p is not None:
        lines.append(f"Programme {p.code} \"{p.title}\": {p.level}, {', '.join(p.forms)}; "
                     f"under {', '.join(p.under)}")
        for name, since in p.as_if.items():
            lines.append(f"  as if {name} in force from "
                         f"{since.isoformat() if since else '(not a date)'}")
        applies = p.applies or "none (no regime it stands under is in force)"
        lines.append(f"  a decision on {on} applies: {applies}")
    ordered = sorted(law.regimes, key=lambda r: (r.proposal and r.as_if is None,
                                                 r.start or dt.date.min, r.name))
    for regime in ordered:
        lines.append("")
        lines.extend(_regime_lines(regime, on))
    if not ordered:
        lines.extend(["", "No law regimes: none is declared or named in `under`."])
    lines.append("")
    if p is None:
        lines.append(f"In force on {on}, for any programme of each form and level (the "
                     "institution's own choices left as conditions: takes part in the "
                     "experiment, has a substantial practice component, opted in, keeps a "
                     "recommended route):")
    else:
        lines.append(f"In force on {on}, for programme {p.code} by its own facts:")
    lines.extend(_governing_lines(law.governing))
    return "\n".join(lines)


def _regime_lines(regime: RegimeEntry, on: str) -> list[str]:
    state = "in force" if regime.in_force else "not in force"
    lines = [
        f"{regime.name}: {regime.title}",
        f"  period: {regime.period} ({state} on {on})",
        f"  status: {_STATUS_WORDS.get(regime.status, regime.status)}",
        f"  basis: {regime.basis}",
    ]
    if regime.reading:
        lines.append(f"  reading: {regime.reading}")
    if regime.extends:
        lines.append(f"  extends: {', '.join(regime.extends)} (it permits and allows what "
                     f"{'that regime does' if len(regime.extends) == 1 else 'those do'} too)")
    shipped = "shipped law" if regime.shipped else "not the shipped law"
    lines.append(f"  declared at {regime.source} ({shipped})")
    for clause in (*regime.permits, *regime.allows):
        if clause.regime == regime.name:
            lines.extend(_clause_lines(clause))
    return lines


def _clause_lines(clause: Clause) -> list[str]:
    if clause.clause == "permit":
        head = f"permit {', '.join(clause.kinds)} for {', '.join(clause.forms)}"
    else:
        head = (f"allow combination {', '.join(clause.combinations)} "
                f"for {', '.join(clause.kinds)}")
    if clause.when is not None:
        head += f" when {clause.when}"
    lines = [f"  {head}", f"      basis: {clause.basis}{_status(clause.status)}"]
    if clause.reading:
        lines.append(f"      reading: {clause.reading}")
    lines.append(f"      at {clause.source}")
    return lines


def _governing_lines(rows: Sequence[Governing]) -> list[str]:
    if not rows:
        return ["  (the programme names no form)"]
    width = max(len(r.level) for r in rows)
    lines = [f"  {'form':<9} {'level':<{width}}  regime, and the unit kinds it permits"]
    for row in rows:
        head = f"  {row.form:<9} {row.level:<{width}}  "
        if row.regime is None:
            lines.append(head + "no regime in force")
            continue
        lines.append(head + f"{row.regime}{_status(row.status)}{_REASONS[row.reason]}")
        pad = " " * (len(head) + 2)
        for permit in row.permits:
            when = f" when {permit.when}" if permit.when else ""
            own = "" if permit.regime == row.regime else f" (from {permit.regime})"
            lines.append(f"{pad}{permit.kind}{when}{own}")
        if not row.permits:
            lines.append(f"{pad}no unit kind")
    return lines
