"""Human-readable reports: a decision as an exam committee reads it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from luk_rules import ir
from luk_rules.audit import Audit
from luk_rules.decide import Decision, Finding
from luk_rules.i18n import Lang, Message, msg, msgn, say
from luk_rules.impact import Impact
from luk_rules.law import Clause, Governing, LawReport, RegimeEntry
from luk_rules.scenarios import TestRun, describe
from luk_rules.submission import EvidenceItem

#: The status words, as a decision letter and the text say them.
STATUS_WORDS: dict[str, Message] = {
    "admissible": msg("admissible"),
    "incomplete": msg("incomplete"),
    "inadmissible": msg("inadmissible"),
}
_VERDICT = {
    "admissible": msg("ADMISSIBLE: the submission may be assessed"),
    "incomplete": msg("INCOMPLETE: evidence is missing before it can be assessed"),
    "inadmissible": msg("INADMISSIBLE: the submission may not be assessed as it stands"),
}
#: What each route (combination A-D) means, in words.
ROUTES: dict[str, Message] = {
    "A": msg("the recommended learning activities and tests of the unit"),
    "B": msg("own or several activities/tests for one unit"),
    "C": msg("straight to the assessment, without activities or evidence"),
    "D": msg("one large activity or assessment used for several units"),
}


def decision_text(decision: Decision, ruleset: ir.Ruleset, form: str, date: str,
                  assessment: str, evidence: Sequence[EvidenceItem] = (),
                  proof: bool = False, lang: Lang = "en") -> str:
    """The decision as plain text in ``lang``: verdict first, then units and outcomes,
    then findings; with an explanation, why in plain words (the law, the route, the
    evidence, what is missing), or with ``proof`` the proof trees."""
    p = ruleset.programme
    units = {u.code: u for u in ruleset.units}
    assessments = {a.name: a for a in ruleset.assessments}
    regimes = {r.name: r for r in p.regimes}
    missing = {m.outcome: m for m in decision.missing}
    decision = decision.in_language(lang)
    lines: list[str] = [
        msg("Case {case}: {title} ({code}), {form}, {date}", case=decision.case, title=p.title,
            code=p.code, form=form, date=date),
        msg("Verdict: {verdict}", verdict=_VERDICT[decision.status]),
        msg("Route: combination {route}: {meaning}", route=decision.combination,
            meaning=ROUTES.get(decision.combination, "")),
    ]
    if decision.law:
        regime = regimes.get(decision.law)
        if regime:
            lines.append(msg("Law: {law} ({title}), in force on {date}", law=decision.law,
                             title=regime.title, date=date))
        else:
            lines.append(msg("Law: {law}, in force on {date}", law=decision.law, date=date))
        if regime is not None and not regime.shipped:
            lines.append(msg("     from {file}, not the shipped law", file=regime.span.file))
    else:
        lines.append(msg("Law: no regime of this programme is in force on {date}", date=date))
    a = assessments.get(assessment)
    if a:
        how = msg("path-independent") if a.path_independent else msg("path-dependent")
        lines.append(msg("Assessment: {name} {title} ({method}, {how})", name=a.name,
                         title=a.title, method=a.method, how=how))
    lines.append("")
    lines.append(msg("Units and outcomes"))
    for code, result in sorted(decision.units.items()):
        unit = units[code]
        lines.append(msg("  {code} {title}, {credits} EC, {kind}", code=code, title=unit.title,
                         credits=unit.credits, kind=result.kind))
        for outcome in unit.outcomes:
            items = result.outcomes.get(outcome.ref, ())
            if outcome.ref in missing:
                mark = "[ ]"
                what = missing[outcome.ref].advice()
                note = (msg("counts: {items}; missing: {advice}", items=", ".join(items),
                            advice=what) if items else msg("missing: {advice}", advice=what))
            elif items:
                mark, note = "[x]", msg("counts: {items}", items=", ".join(items))
            else:
                mark, note = "[-]", msg("no prior evidence needed (exam)")
            lines.append(f"    {mark} {outcome.ref}  {say(note, lang)}")
    lines.append("")
    lines.extend(_findings_lines(decision.findings, lang))
    if decision.explanation is not None:
        lines.append("")
        lines.extend(_explanation_lines(decision.explanation) if proof else
                     _plain_lines(decision, ruleset, date, evidence))
    return "\n".join(say(line, lang) for line in lines)


def _plain_lines(decision: Decision, ruleset: ir.Ruleset, date: str,
                 evidence: Sequence[EvidenceItem]) -> list[str]:
    """Why, in words: each line read off the decision and its proofs (the rule that derived
    a conclusion, its basis and place); the proof trees themselves are ``--explain proof``."""
    explanation = decision.explanation or {}
    lines: list[str] = [msg("Why")]
    law = explanation.get("law")
    regime = next((r for r in ruleset.programme.regimes if r.name == decision.law), None)
    if law is not None and regime is not None:
        if regime.start:
            lines.append(msg("  Law: {law} is in force since {start}; chosen as {basis} "
                             "({place})", law=regime.name, start=str(regime.start),
                             basis=law["basis"], place=_place(law)))
        else:
            lines.append(msg("  Law: {law} is in force always; chosen as {basis} ({place})",
                             law=regime.name, basis=law["basis"], place=_place(law)))
        if "law_file" in explanation:
            lines.append(msg("    from {file}, not the shipped law",
                             file=explanation["law_file"]))
    elif decision.law is None:
        lines.append(msg("  Law: none of {regimes} is in force on {date}",
                         regimes=", ".join(r.name for r in ruleset.programme.regimes),
                         date=date))
    for node in explanation.get("scope", []):
        lines.append(msg("  {rule}: {basis}{status} ({source})", rule=node["rule"],
                         basis=node["basis"], status=_node_status(node),
                         source=node["source"]))
    route = explanation.get("combination")
    if route is not None:
        known = {item.id for item in evidence}
        items = sorted({_first_argument(leaf) for leaf in _leaves(route)
                        if leaf["given"] == "submission"} & known)
        if items:
            lines.append(msg("  Route {route}, shown by {items}: {basis}{status}",
                             route=decision.combination, items=", ".join(items),
                             basis=route["basis"], status=_node_status(route)))
        else:
            lines.append(msg("  Route {route}: {basis}{status}", route=decision.combination,
                             basis=route["basis"], status=_node_status(route)))
    counts: dict[str, list[str]] = {}
    for result in decision.units.values():
        for outcome, ids in result.outcomes.items():
            for item_id in ids:
                counts.setdefault(item_id, []).append(outcome)
    if evidence:
        lines.append(msg("  Evidence"))
        for item in sorted(evidence, key=lambda e: e.id):
            verified = msg("verified") if item.verified else msg("not verified")
            what = (msg("{type}, {date}, {verified}, activity {activity}", type=item.type,
                        date=str(item.date), verified=verified, activity=item.activity)
                    if item.activity else
                    msg("{type}, {date}, {verified}", type=item.type, date=str(item.date),
                        verified=verified))
            counted = counts.get(item.id)
            verdict = (msg("counts for {outcomes}", outcomes=", ".join(sorted(counted)))
                       if counted else msg("counts for no outcome (see the findings)"))
            lines.append(msg("    {item} ({what}): {verdict}", item=item.id, what=what,
                             verdict=verdict))
    for m in explanation.get("missing", []):
        why = m.get("why_not") or {}
        if "basis" in why:
            lines.append(msg("  {outcome} is missing: add {add}; {basis} ({place})",
                             outcome=m["outcome"], add=m["add"], basis=why["basis"],
                             place=_place(why)))
        else:
            lines.append(msg("  {outcome} is missing: add {add}", outcome=m["outcome"],
                             add=m["add"]))
    lines.extend(_advice_lines(decision.findings))
    return lines


def _advice_lines(findings: Sequence[Finding]) -> list[str]:
    """Per finding whose rule says what would change it: the finding's code, its facts and
    the advice (already in the findings' language)."""
    lines: list[str] = []
    seen: set[str] = set()
    for f in findings:
        if f.advice and f.advice not in seen:
            seen.add(f.advice)
            lines.append(msg("  To resolve {code} ({facts}): {advice}", code=f.code,
                             facts=", ".join(f.facts) or "-", advice=f.advice))
    return lines


def _audit_plain_lines(result: Audit) -> list[str]:
    """Why, in words, for an audit: the credits and the rule that counts them, each result
    that does not count and why, and per finding its basis and what would resolve it."""
    explanation = result.explanation or {}
    lines: list[str] = [msg("Why")]
    credits = explanation.get("credits")
    counting = sorted(code for code, r in result.results.items() if r.counts)
    if credits is not None and "rule" in credits:
        lines.append(msg("  {earned} credits count, from {units}: {basis} ({place})",
                         earned=result.credits_earned, units=", ".join(counting) or "-",
                         basis=credits["basis"], place=_place(credits)))
    for code, r in sorted(result.results.items()):
        if not r.counts:
            lines.append(msg("  {unit} does not count: {reason}", unit=code,
                             reason=r.reason or ""))
    for code, basis, status, rule, source in dict.fromkeys(
            (f.code, f.basis, f.status, f.rule, f.source) for f in result.findings):
        lines.append(msg("  {code}: {basis}{status} ({rule} at {source})", code=code,
                         basis=basis, status=_status(status), rule=rule, source=source))
    lines.extend(_advice_lines(result.findings))
    return lines


def _place(node: Any) -> str:
    """Where a proof node's rule is written: ``rule at file:line:col``, or ``built-in rule
    NAME`` for a rule of luk's own semantics."""
    if node["source"] == "built-in":
        return msg("built-in rule {rule}", rule=node["rule"])
    return msg("{rule} at {source}", rule=node["rule"], source=node["source"])


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


_SEVERITY_WORDS = {"deny": msg("deny"), "warning": msg("warning"), "info": msg("info")}


def _findings_lines(findings: Sequence[Finding], lang: Lang = "en") -> list[str]:
    """Each finding with its severity, message, legal basis, rule and place."""
    if not findings:
        return [msg("Findings: none")]
    lines: list[str] = [msg("Findings")]
    words = {k: say(v, lang) for k, v in _SEVERITY_WORDS.items()}
    width = max(7, *(len(w) for w in words.values()))
    for f in findings:
        lines.append(f"  {words.get(f.severity, f.severity):<{width}} {f.code}: {f.message}")
        lines.append(" " * (width + 3) + say(msg(
            "basis: {basis}{status}; rule {rule} at {source}", basis=f.basis,
            status=_status(f.status), rule=f.rule, source=f.source), lang))
    return lines


_STATUS_WORDS = {"enacted": msg("enacted law"), "interpretation": msg("interpretation"),
                 "proposal": msg("proposal, not law"), "": msg("status not stated")}


def _status(status: str) -> str:
    """`` [enacted law]`` after a law citation; nothing after the OER's."""
    return msg(" [{status}]", status=_STATUS_WORDS[status]) if status in _STATUS_WORDS else ""


def _tree(lines: list[str], node: Any, indent: int) -> None:
    """A proof tree, one fact a line, indented under the fact it supports."""
    if node is None:
        return
    pad = "  " * indent
    if "given" in node:
        given = _GIVEN.get(node["given"], node["given"])
        lines.append(msg("{pad}- {fact}  (given by the {who})", pad=pad, fact=node["fact"],
                         who=given))
        return
    status = _status(node["status"] or "") if "status" in node else ""
    lines.append(msg("{pad}- {fact}  by {rule} ({basis}{status}; {source})", pad=pad,
                     fact=node["fact"], rule=node["rule"], basis=node["basis"], status=status,
                     source=node["source"]))
    for child in node.get("because", []):
        _tree(lines, child, indent + 1)


_GIVEN = {"ruleset": msg("ruleset"), "submission": msg("submission"),
          "record": msg("record"),
          "ruleset, on the submission date": msg("ruleset, on the submission date"),
          "ruleset, on the record date": msg("ruleset, on the record date")}


def _explained_findings(lines: list[str], explanation: Any) -> None:
    for f in explanation.get("findings", []):
        lines.append(msg("  Finding {code}:", code=f["code"]))
        _tree(lines, f.get("proof"), 2)


def _explanation_lines(explanation: Any) -> list[str]:
    lines: list[str] = [msg("Explanation")]

    lines.append(msg("  Law in force:"))
    _tree(lines, explanation.get("law"), 2)
    if "law_file" in explanation:
        lines.append(msg("    (from {file}, not the shipped law)",
                         file=explanation["law_file"]))
    lines.append(msg("  Combination:"))
    _tree(lines, explanation.get("combination"), 2)
    for node in explanation.get("scope", []):
        lines.append(msg("  Permitted by the law in force:")
                     if node.get("fact", "").startswith("permitted")
                     else msg("  Allowed by the law in force:"))
        _tree(lines, node, 2)
    for outcome, node in explanation.get("outcomes", {}).items():
        lines.append(msg("  Outcome {outcome} is covered:", outcome=outcome))
        _tree(lines, node, 2)
    for m in explanation.get("missing", []):
        lines.append(msg("  Outcome {outcome} is missing: add {add}", outcome=m["outcome"],
                         add=m["add"]))
    _explained_findings(lines, explanation)
    return lines


# ------------------------------------------------------------------ impact


def impact_text(impact: Impact, lang: Lang = "en") -> str:
    """``luk diff`` as text in ``lang``: the counts, the transitions, the groups with
    examples, and the cases invalid under both rulesets (not compared)."""
    counts = msg("{cases} cases: {changed} changed status, {findings} changed findings only, "
                 "{unchanged} unchanged", cases=impact.cases, changed=len(impact.changed),
                 findings=len(impact.findings_changed), unchanged=impact.unchanged)
    if impact.invalid:
        counts = msg("{counts}, {invalid} invalid under both rulesets", counts=counts,
                     invalid=len(impact.invalid))
    lines: list[str] = [f"{impact.before} -> {impact.after}", counts]
    if impact.transitions:
        lines.append("")
        lines.append(msg("Status changes"))
        for transition, count in impact.transitions:
            lines.append(f"  {count:>6}  {_transition(transition, lang)}")
        lines.append("")
        lines.append(msg("Why (grouped by the rule or finding that made the difference)"))
        for g in impact.groups:
            lines.append(f"  {g.count:>6}  {_word(g.before, lang)} -> {_word(g.after, lang)}: "
                         f"{say(g.reason, lang)}")
            lines.append(msg("          e.g. {examples}", examples=", ".join(g.examples)))
    if impact.findings_changed:
        lines.append("")
        lines.append(msg("Same status, different decision (findings, missing outcomes, law, "
                         "route)"))
        for g in impact.findings_groups[:15]:
            lines.append(f"  {g.count:>6}  {_word(g.before, lang)}: {say(g.reason, lang)}")
            lines.append(msg("          e.g. {examples}", examples=", ".join(g.examples)))
        if len(impact.findings_groups) > 15:
            rest = sum(g.count for g in impact.findings_groups[15:])
            lines.append(msg("  {rest:>6}  in {groups} smaller groups (--format json lists "
                             "every case)", rest=rest, groups=len(impact.findings_groups) - 15))
    if impact.invalid:
        lines.append("")
        lines.append(msg("Invalid under both rulesets (not compared)"))
        lines.extend(impact_invalid_lines(impact, 10, lang))
    return "\n".join(say(line, lang) for line in lines)


def _word(status: str, lang: Lang) -> str:
    """A status (``incomplete``) in ``lang``; anything else (``invalid``) as it is."""
    word = STATUS_WORDS.get(status) or _OTHER_STATES.get(status)
    return say(word, lang) if word is not None else status


_OTHER_STATES = {"invalid": msg("invalid"), "complete": msg("complete")}


def _transition(transition: str, lang: Lang) -> str:
    """``admissible -> incomplete`` with its status words in ``lang``."""
    return " -> ".join(_word(part.strip(), lang) for part in transition.split("->"))


def impact_invalid_lines(impact: Impact, limit: int, lang: Lang = "en") -> list[str]:
    """The first ``limit`` cases invalid under both rulesets, each with its problem."""
    lines = [f"  {i.source}: {say(i.message, lang)}" for i in impact.invalid[:limit]]
    if len(impact.invalid) > limit:
        lines.append(say(msg("  ... and {more} more (--format json lists all)",
                             more=len(impact.invalid) - limit), lang))
    return lines


def impact_markdown(impact: Impact, lang: Lang = "en") -> str:
    """``luk diff`` as Markdown in ``lang``, for a pull request or a policy memo."""
    def t(m: Message) -> str:
        return say(m, lang)

    lines = [
        t(msg("## Impact of `{after}` against `{before}`", after=impact.after,
              before=impact.before)),
        "",
        t(msg("| cases | changed status | changed findings only | unchanged | invalid (not "
              "compared) |")),
        "|---:|---:|---:|---:|---:|",
        f"| {impact.cases} | {len(impact.changed)} | {len(impact.findings_changed)} | "
        f"{impact.unchanged} | {len(impact.invalid)} |",
    ]
    if impact.groups:
        lines += ["", t(msg("### Status changes by reason")), "",
                  t(msg("| cases | from | to | reason | examples |")), "|---:|---|---|---|---|"]
        for g in impact.groups:
            lines.append(f"| {g.count} | {_word(g.before, lang)} | {_word(g.after, lang)} | "
                         f"{_cell(say(g.reason, lang))} | {_cell(', '.join(g.examples))} |")
    if impact.findings_groups:
        lines += ["", t(msg("### Same status, different decision")), "",
                  t(msg("| cases | status | what changed | examples |")), "|---:|---|---|---|"]
        for g in impact.findings_groups:
            lines.append(f"| {g.count} | {_word(g.before, lang)} | {_cell(say(g.reason, lang))} "
                         f"| {_cell(', '.join(g.examples))} |")
    if impact.invalid:
        lines += ["", t(msg("### Invalid under both rulesets (not compared)")), "",
                  t(msg("| case | source | problem |")), "|---|---|---|"]
        for i in impact.invalid[:50]:
            lines.append(f"| {_cell(i.case)} | {_cell(i.source)} | "
                         f"{_cell(say(i.message, lang))} |")
        if len(impact.invalid) > 50:
            lines += ["", t(msg("... and {more} more (`--format json` lists all)",
                                more=len(impact.invalid) - 50))]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


# ------------------------------------------------------------------ scenario tests


def test_run_lines(run: TestRun, verbose: bool = False, lang: Lang = "en") -> list[str]:
    """``luk test`` output: a line per failing case with the difference, then the count."""
    lines: list[str] = []
    for r in run.results:
        if r.outcome == "failed":
            lines.append(f"FAIL  {r.id}: " + "; ".join(say(d, lang) for d in describe(r)))
        elif r.outcome == "error":
            lines.append(f"ERROR {r.id}: {say(r.message, lang)}")
        elif verbose:
            lines.append(f"ok    {r.id}")
    return lines


def coverage_lines(run: TestRun, lang: Lang = "en") -> list[str]:
    """``luk test --coverage``: per ruleset, how many of the rules that can fire for its
    programme its scenarios fired, those that never fired, and those that cannot fire
    for the programme (not counted) with why; then the sum over the rulesets."""
    cov = run.coverage
    lines: list[str] = []
    for r in cov.rulesets:
        head = msg("rule coverage of {path}: {fired}/{sites} rules that can fire for its "
                   "programme fired ({percent:.1f}%)", path=r.path, fired=len(r.fired),
                   sites=len(r.sites), percent=r.percent)
        lines.append(msg("{head}; {n} cannot fire", head=head, n=len(r.excluded))
                     if r.excluded else head)
        for rule, source in r.unfired:
            lines.append(msg("  never fired: {source}  {rule}", source=source, rule=rule))
        for (rule, source), why in r.excluded:
            lines.append(msg("  cannot fire for this programme: {source}  {rule}: {why}",
                             source=source, rule=rule, why=unreachable_text(why)))
    total = msgn("rule coverage over {n} ruleset: {fired}/{can_fire} rules that can fire fired "
                 "({percent:.1f}%)",
                 "rule coverage over {n} rulesets: {fired}/{can_fire} rules that can fire "
                 "fired ({percent:.1f}%)", len(cov.rulesets), fired=cov.fired,
                 can_fire=cov.can_fire, percent=cov.percent)
    lines.append(msg("{total}; {n} cannot fire for their programme", total=total,
                     n=cov.excluded) if cov.excluded else total)
    return [say(line, lang) for line in lines]


def coverage_below_lines(run: TestRun, minimum: float, lang: Lang = "en") -> list[str]:
    """``luk test --min-coverage``: a line for each ruleset whose coverage is below
    ``minimum`` percent (none when every ruleset reaches it)."""
    return [say(msg("rule coverage of {path} is {percent:.1f}%, below the minimum "
                    "{minimum:g}%", path=r.path, percent=r.percent, minimum=minimum), lang)
            for r in run.coverage.below(minimum)]


def unreachable_text(reasons: Sequence[ir.Unreachable]) -> str:
    """Why a rule can never fire for the programme, in words; several reasons joined."""
    if len(reasons) == 1:
        return _unreachable_reason(reasons[0])
    return msg("{first}; {rest}", first=_unreachable_reason(reasons[0]),
               rest=unreachable_text(reasons[1:]))


def _unreachable_reason(reason: ir.Unreachable) -> str:
    names = ", ".join(reason.names)
    if reason.why == "form":
        return msg("it is for {names} only; the programme is offered {forms}", names=names,
                   forms=", ".join(reason.have))
    if reason.why == "kind":
        have = (msg("the programme's units are {kinds}", kinds=", ".join(reason.have))
                if reason.have else msg("the programme has no units"))
        return msg("it is about {names} only; {have}", names=names, have=have)
    if reason.why == "condition":
        parts = ", ".join(f"`{part}`" for part in reason.names)
        return msg("its condition never holds for this programme ({parts})", parts=parts)
    regimes = _joined([_not_the_law_text(r) for r in reason.regimes])
    if len(reason.names) == 1:
        return msg("it applies only when {names} is the law, which it never is for this "
                   "ruleset ({regimes})", names=names, regimes=regimes)
    return msg("it applies only when one of {names} is the law, which none is for this "
               "ruleset ({regimes})", names=names, regimes=regimes)


def _joined(parts: Sequence[str]) -> str:
    """Messages joined by ``; ``, each rendered in the language of the whole."""
    if len(parts) == 1:
        return parts[0]
    return msg("{first}; {rest}", first=parts[0], rest=_joined(parts[1:]))


def _not_the_law_text(reason: ir.NotTheLaw) -> str:
    if reason.why == "proposal":
        return msg("{regime} is a proposal the programme does not evaluate `as if` in force",
                   regime=reason.regime)
    if reason.why == "ended":
        return msg("{regime} is in force until {until}, and this ruleset decides from "
                   "{since}, the date of its `replaces`", regime=reason.regime,
                   until=str(reason.until), since=str(reason.since))
    return msgn("whenever {regime} is in force, {by} is the law",
                "whenever {regime} is in force, {by} are the law", len(reason.by),
                regime=reason.regime, by=", ".join(reason.by))


# ------------------------------------------------------------------ audit


_HOW = {"passed": msg("passed"), "exempted": msg("exempted")}


def audit_text(result: Audit, ruleset: ir.Ruleset, date: str, lang: Lang = "en",
               proof: bool = True) -> str:
    """``luk audit`` as text in ``lang``: the verdict, the results, what is missing, the
    findings; with an explanation, why in plain words, or with ``proof`` the proof trees.
    The audit's findings are in the language it was made in (``lang=``)."""
    p = ruleset.programme
    units = {u.code: u for u in ruleset.units}
    verdict = (msg("COMPLETE: the record completes the exam programme") if result.complete
               else msg("INCOMPLETE: the exam programme is not completed yet"))
    required = result.credits_required
    lines: list[str] = [
        msg("Record {record}: {title} ({code}), on {date}", record=result.record, title=p.title,
            code=p.code, date=date),
        msg("Verdict: {verdict}", verdict=verdict),
        msg("Credits: {earned} counted of {required} needed", earned=result.credits_earned,
            required=required) if required is not None else
        msg("Credits: {earned} counted", earned=result.credits_earned),
        "",
        msg("Results"),
    ]
    if not result.results:
        lines.append(msg("  none"))
    for code, r in sorted(result.results.items()):
        mark = "[x]" if r.counts else "[ ]"
        how = _HOW.get(r.how, r.how)
        line = msg("  {mark} {code} {title}, {credits} EC, {how} {date}", mark=mark, code=code,
                   title=units[code].title, credits=r.credits, how=how, date=r.date)
        if not r.counts:
            line = msg("{line}  does not count: {reason}", line=line, reason=r.reason or "")
        lines.append(line)
    if result.missing_units or result.electives or result.credits_short:
        lines.append("")
        lines.append(msg("Missing"))
        for code in result.missing_units:
            lines.append(msg("  {code} {title} (required)", code=code, title=units[code].title))
        for e in result.electives:
            lines.append(msgn("  {group}: {n} more unit", "  {group}: {n} more units", e.needed,
                              group=e.group) if e.unit == "units" else
                         msgn("  {group}: {n} more credit", "  {group}: {n} more credits",
                              e.needed, group=e.group))
        if result.credits_short:
            lines.append(msg("  {short} credits", short=result.credits_short))
    lines.append("")
    lines.extend(_findings_lines(result.findings, lang))
    if result.explanation is not None and not proof:
        lines.append("")
        lines.extend(_audit_plain_lines(result))
    elif result.explanation is not None:
        lines.append("")
        lines.append(msg("Explanation"))
        lines.append(msg("  Credits counted (each result that counts):"))
        _tree(lines, result.explanation.get("credits"), 2)
        _explained_findings(lines, result.explanation)
    return "\n".join(say(line, lang) for line in lines)


_REASONS = {
    "own-permit": "",
    "latest-in-force": msg(" (no regime in force permits anything of its own for this form "
                           "and level: the latest in force)"),
    "none-in-force": "",
}


def law_text(law: LawReport, lang: Lang = "en") -> str:
    """``luk law`` as text in ``lang``: each regime with its period, status, basis, source
    and clauses (oldest first, proposals last), then which regime governs each form and
    level."""
    on = law.date.isoformat()
    lines: list[str] = [
        msg("The law regimes shipped with luk_rules, on {on}", on=on) if law.ruleset is None
        else msg("The law regimes of {ruleset}, on {on}", ruleset=law.ruleset, on=on)]
    p = law.programme
    if p is not None:
        lines.append(msg("Programme {code} \"{title}\": {level}, {forms}; under {under}",
                         code=p.code, title=p.title, level=p.level, forms=", ".join(p.forms),
                         under=", ".join(p.under)))
        for name, since in p.as_if.items():
            lines.append(msg("  as if {name} in force from {since}", name=name,
                             since=since.isoformat() if since else msg("(not a date)")))
        applies = p.applies or msg("none (no regime it stands under is in force)")
        lines.append(msg("  a decision on {on} applies: {applies}", on=on, applies=applies))
    ordered = sorted(law.regimes, key=lambda r: (r.proposal and r.as_if is None,
                                                 r.start or dt.date.min, r.name))
    for regime in ordered:
        lines.append("")
        lines.extend(_regime_lines(regime, on))
    if not ordered:
        lines.extend(["", msg("No law regimes: none is declared or named in `under`.")])
    lines.append("")
    if p is None:
        lines.append(msg("In force on {on}, for any programme of each form and level (the "
                         "institution's own choices left as conditions: takes part in the "
                         "experiment, has a substantial practice component, opted in, keeps a "
                         "recommended route):", on=on))
    else:
        lines.append(msg("In force on {on}, for programme {code} by its own facts:", on=on,
                         code=p.code))
    lines.extend(_governing_lines(law.governing, lang))
    return "\n".join(say(line, lang) for line in lines)


def _regime_lines(regime: RegimeEntry, on: str) -> list[str]:
    state = msg("in force") if regime.in_force else msg("not in force")
    lines: list[str] = [
        f"{regime.name}: {regime.title}",
        msg("  period: {period} ({state} on {on})", period=regime.period, state=state, on=on),
        msg("  status: {status}", status=_STATUS_WORDS.get(regime.status, regime.status)),
        msg("  basis: {basis}", basis=regime.basis),
    ]
    if regime.reading:
        lines.append(msg("  reading: {reading}", reading=regime.reading))
    if regime.extends:
        lines.append(msgn("  extends: {regimes} (it permits and allows what that regime does "
                          "too)",
                          "  extends: {regimes} (it permits and allows what those do too)",
                          len(regime.extends), regimes=", ".join(regime.extends)))
    lines.append(msg("  declared at {source} (shipped law)", source=regime.source)
                 if regime.shipped else
                 msg("  declared at {source} (not the shipped law)", source=regime.source))
    for clause in (*regime.permits, *regime.allows):
        if clause.regime == regime.name:
            lines.extend(_clause_lines(clause))
    return lines


def _clause_lines(clause: Clause) -> list[str]:
    if clause.clause == "permit":
        head = msg("permit {kinds} for {forms}", kinds=", ".join(clause.kinds),
                   forms=", ".join(clause.forms))
    else:
        head = msg("allow combination {combinations} for {kinds}",
                   combinations=", ".join(clause.combinations), kinds=", ".join(clause.kinds))
    if clause.when is not None:
        head = msg("{head} when {when}", head=head, when=clause.when)
    lines: list[str] = [
        msg("  {head}", head=head),
        msg("      basis: {basis}{status}", basis=clause.basis, status=_status(clause.status))]
    if clause.reading:
        lines.append(msg("      reading: {reading}", reading=clause.reading))
    lines.append(msg("      at {source}", source=clause.source))
    return lines


def _governing_lines(rows: Sequence[Governing], lang: Lang) -> list[str]:
    if not rows:
        return [msg("  (the programme names no form)")]
    form_word, level_word = say(msg("form"), lang), say(msg("level"), lang)
    width = max(len(level_word), *(len(r.level) for r in rows))
    form_width = max(9, len(form_word))
    lines: list[str] = [f"  {form_word:<{form_width}} {level_word:<{width}}  " + say(
        msg("regime, and the unit kinds it permits"), lang)]
    for row in rows:
        head = f"  {row.form:<{form_width}} {row.level:<{width}}  "
        if row.regime is None:
            lines.append(head + say(msg("no regime in force"), lang))
            continue
        lines.append(head + f"{row.regime}{say(_status(row.status), lang)}"
                     f"{say(_REASONS[row.reason], lang)}")
        pad = " " * (len(head) + 2)
        for permit in row.permits:
            when = say(msg(" when {when}", when=permit.when), lang) if permit.when else ""
            own = ("" if permit.regime == row.regime
                   else say(msg(" (from {regime})", regime=permit.regime), lang))
            lines.append(f"{pad}{permit.kind}{when}{own}")
        if not row.permits:
            lines.append(pad + say(msg("no unit kind"), lang))
    return lines
