"""Passes over the legal scope: `as if`, `extends`, path independence, what the regimes
the programme stands under permit, dates no regime covers, and conditions on forms and
levels the programme lacks (LUK032, LUK033, LUK040-LUK043, LUK046, LUK047)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence

from luk_rules import ast
from luk_rules.checks.common import either, one_after_another, quoted
from luk_rules.checks.resolve import (
    EVL,
    FORMS,
    ONDERWIJSEENHEID,
    ProgrammeFacts,
    Resolution,
    SymbolTable,
    clauses_of,
    first_clause,
    nodes_of,
)
from luk_rules.diagnostics import Diagnostic, Label, error, warning
from luk_rules.i18n import Message, msg
from luk_rules.sources import Workspace


def check_as_if(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK032: `as if R` names a regime the programme stands under."""
    table = resolved.table
    for programme in table.programmes:
        under = {n.value for c in clauses_of(programme, ast.Under) for n in c.regimes}
        for as_if in clauses_of(programme, ast.AsIf):
            name = as_if.regime.value
            if name in under or name not in table.regimes:
                continue  # an undefined regime is reported as LUK010/LUK020
            yield error(
                "LUK032",
                msg("`as if {name}` names a regime the programme does not stand under",
                    name=name),
                as_if.regime.span,
                hint=msg("add `{name}` to the programme's `under` list", name=name),
            )


def check_extends_cycles(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK033: `extends` never leads back to where it started."""
    table = resolved.table
    reported: set[frozenset[str]] = set()
    for start in table.regimes:
        first = table.regime(start)
        start_extends = first_clause(first, ast.Extends) if first is not None else None
        if start_extends is None:
            continue
        chain = [start]
        current: ast.Extends | None = start_extends
        while current is not None and current.regime.value not in chain:
            chain.append(current.regime.value)
            regime = table.regime(current.regime.value)
            current = first_clause(regime, ast.Extends) if regime is not None else None
        if current is None or current.regime.value != start:
            continue  # no cycle, or a cycle that `start` only leads into
        if frozenset(chain) in reported:
            continue
        reported.add(frozenset(chain))
        shown = " → ".join(f"`{n}`" for n in [*chain, start])
        yield error(
            "LUK033",
            msg("regime `{name}` extends itself: {chain}", name=start, chain=shown),
            start_extends.span,
            hint=msg("remove one `extends` of the cycle"),
        )


def check_path_independence(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK040: an eenheid-van-leeruitkomsten is assessed only path-independently."""
    table = resolved.table
    for decl in table.declarations:
        if not isinstance(decl, ast.Assessment):
            continue
        path = first_clause(decl, ast.PathClause)
        if path is None or path.independent:
            continue
        done: set[str] = set()
        for name in (n for c in clauses_of(decl, ast.Assesses) for n in c.units):
            unit = table.unit(name.value)
            if name.value in done or unit is None:
                continue
            done.add(name.value)
            kind = resolved.kind_of(unit)
            if kind.known != EVL:
                continue
            label = (msg("`{name}` is an {kind} (the programme's `units are`)",
                         name=name.value, kind=EVL) if kind.from_programme
                     else _is_a(name.value, EVL))
            yield error(
                "LUK040",
                msg("the path-dependent assessment `{assessment}` assesses `{unit}`, an "
                    "{evl}", assessment=decl.name.value, unit=name.value, evl=EVL),
                path.span,
                hint=msg("an {evl} is assessed path-independently only: write "
                         "`path-independent`, or make `{unit}` an {course}", evl=EVL,
                         unit=name.value, course=ONDERWIJSEENHEID),
                labels=[Label(unit.name.span, label)],
            )


def _is_a(unit: str, kind: str) -> Message:
    """The label at a unit that says its kind: "`unit` is an <kind>"."""
    # Translators: {kind} is a unit kind of the rule language, such as
    # eenheid-van-leeruitkomsten or onderwijseenheid.
    return msg("`{name}` is an {kind}", name=unit, kind=kind)


def check_permitted_kinds(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK041: some regime the programme stands under permits its unit kinds in its forms."""
    table, facts = resolved.table, resolved.facts
    if facts is None or not table.complete:
        return
    under = facts.under
    if not under or any(name not in table.regimes for name in under):
        return  # nothing to go on, or an undefined regime (reported elsewhere)
    permitted = {
        (permit.kind.value, form.value)
        for name in under if resolved.may_be_in_force(name)
        for _, permit in resolved.inherited(name, ast.Permit)
        for form in permit.forms
    }
    kinds = _kinds_in_use(resolved)
    for form, form_name in _programme_forms(facts.programme).items():
        for kind, unit in kinds.items():
            if (kind, form) in permitted:
                continue
            yield error(
                "LUK041",
                msg("no regime this programme stands under ever permits {kind} in {form}",
                    kind=kind, form=form),
                form_name.span,
                hint=_permit_hint(resolved, kind, form, under),
                labels=[Label(unit.name.span, _is_a(unit.name.value, kind))],
            )


def _permit_hint(resolved: Resolution, kind: str, form: str, under: Sequence[str]
                 ) -> Message:
    for name in resolved.table.regimes:
        if not any(permit.kind.value == kind and any(f.value == form for f in permit.forms)
                   for _, permit in resolved.inherited(name, ast.Permit)):
            continue
        if not resolved.may_be_in_force(name):
            if name in under:
                return msg("`{name}` permits it but is a proposal: evaluate it with "
                           "`as if {name} in force from YYYY-MM-DD`", name=name)
            return msg("`{name}` would permit it: add it to `under` and write "
                       "`as if {name} in force from YYYY-MM-DD`", name=name)
        if name not in under:
            return msg("`{name}` permits it: add it to `under`", name=name)
    if kind == EVL:
        return msg("build the units as course units: `units are {course}`",
                   course=ONDERWIJSEENHEID)
    return msg("stand the programme under a regime that permits {kind} in {form}", kind=kind,
               form=form)


def check_permit_conditions(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK043 (warning): some permit of each unit kind in use can hold for this programme."""
    table, facts = resolved.table, resolved.facts
    if facts is None or not table.complete:
        return
    under = facts.under
    if not under or any(name not in table.regimes for name in under):
        return
    reachable: list[str] = []
    for name in under:
        if not resolved.may_be_in_force(name):
            continue
        for found in sorted(resolved.extends(name)):
            if found not in reachable:
                reachable.append(found)
    kinds = _kinds_in_use(resolved)
    for form, form_name in _programme_forms(facts.programme).items():
        for kind, unit in kinds.items():
            grants = [
                permit
                for name in reachable
                for permit in _permits_of(table, name)
                if permit.kind.value == kind and any(f.value == form for f in permit.forms)
            ]
            if not grants:
                continue  # LUK041
            if any(facts.evaluate(p.when, form) is not False for p in grants):
                continue
            unmet = sorted({a for p in grants for a in _unmet(facts, p.when, form)})
            yield warning(
                "LUK043",
                msg("{kind} in {form} is permitted only under conditions this programme "
                    "never meets", kind=kind, form=form),
                form_name.span,
                hint=one_after_another(unmet),
                labels=[
                    Label(p.when.span if p.when is not None else p.span,
                          msg("permitted only when this holds"))
                    for p in grants[:3]
                ]
                + [Label(unit.name.span, _is_a(unit.name.value, kind))],
            )


def _permits_of(table: SymbolTable, name: str) -> list[ast.Permit]:
    regime = table.regime(name)
    return clauses_of(regime, ast.Permit) if regime is not None else []


def _kinds_in_use(resolved: Resolution) -> dict[str, ast.Unit]:
    """Each known unit kind in use, with the first unit of that kind."""
    kinds: dict[str, ast.Unit] = {}
    for decl in resolved.table.declarations:
        if isinstance(decl, ast.Unit):
            found = resolved.kind_of(decl).known
            if found is not None:
                kinds.setdefault(found, decl)
    return kinds


def _programme_forms(programme: ast.Programme) -> dict[str, ast.Name]:
    """Each known form of the programme, with where it is first written."""
    forms: dict[str, ast.Name] = {}
    for clause in clauses_of(programme, ast.Forms):
        for written in clause.forms:
            if written.value in FORMS:
                forms.setdefault(written.value, written)
    return forms


def _unmet(facts: ProgrammeFacts, condition: ast.Condition | None, form: str
           ) -> list[Message]:
    """What to write so that the programme-fixed atoms that fail would hold."""
    if condition is None:
        return []
    found: list[Message] = []
    for node in nodes_of(condition):
        if facts.atom(node, form) is not False:
            continue
        if isinstance(node, ast.OptedIn):
            found.append(msg("opt in with the programme committee's consent: "
                             "`opted in YYYY-MM-DD`"))
        elif isinstance(node, ast.InstitutionParticipates):
            found.append(msg("only for participating institutions: "
                             "`participates in experiment`"))
        elif isinstance(node, ast.HasPracticeComponent):
            found.append(msg("only for programmes with a substantial practice component: "
                             "`substantial practice component`"))
        elif isinstance(node, ast.LevelIs):
            found.append(msg("only for level `{level}`, not `{actual}`",
                             level=node.level.value, actual=facts.level))
        elif isinstance(node, ast.FormIs):
            found.append(msg("only for form {forms}",
                             forms=quoted([f.value for f in node.forms])))
    return found


def check_recommended_route(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK042: every eenheid-van-leeruitkomsten keeps a recommended activity."""
    table = resolved.table
    for decl in table.declarations:
        if not isinstance(decl, ast.Unit) or first_clause(decl, ast.Recommended) is not None:
            continue
        if resolved.kind_of(decl).known != EVL:
            continue
        yield error(
            "LUK042",
            msg("{evl} `{name}` has no `recommended activity`", evl=EVL,
                name=decl.name.value),
            decl.name.span,
            hint=msg("the law keeps a facilitated route for every such unit: add "
                     "`recommended activity <activity>`"),
        )


def check_uncovered_dates(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK046: a regime in `under` whose base regime is not listed leaves dates uncovered."""
    facts = resolved.facts
    if facts is None:
        return
    under = [n for c in clauses_of(facts.programme, ast.Under) for n in c.regimes]
    listed = {n.value for n in under}
    periods = [p for n in listed if (p := _period_of(resolved, n, facts)) is not None]
    gaps = _uncovered(periods)
    if not gaps:
        return
    for name in under:
        bases = [b for b in resolved.extends(name.value)[1:] if b not in listed]
        if bases:
            yield warning(
                "LUK046",
                msg("`{name}` extends `{base}`, which the programme does not stand under: a "
                    "case dated {dates} has no law in force", name=name.value, base=bases[0],
                    dates=_gaps_text(gaps)),
                name.span,
                hint=msg("add `{base}` to `under` (a regime's base is not in force through "
                         "it)", base=bases[0]))
            return


def _period_of(resolved: Resolution, name: str, facts: ProgrammeFacts
               ) -> tuple[datetime.date | None, datetime.date | None] | None:
    """When regime ``name`` is in force for the programme ((None, None): always), or None
    when never (a proposal not tried `as if`, or not declared)."""
    regime = resolved.table.regime(name)
    period = first_clause(regime, ast.Period) if regime is not None else None
    if period is None:
        return None
    if name in facts.as_if:
        start = facts.as_if[name]
        return (start, None) if start is not None else None
    if period.kind == "proposal":
        return None
    if period.kind == "always":
        return (None, None)
    start = _date_of(period.start)
    end = _date_of(period.end)
    return (start, end) if start is not None else None


def _date_of(written: ast.DateLit | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(written.value) if written is not None else None
    except ValueError:
        return None


def _uncovered(periods: Sequence[tuple[datetime.date | None, datetime.date | None]]
               ) -> list[tuple[datetime.date | None, datetime.date | None]]:
    """The stretches of time no period covers, as (first day, last day); None is open."""
    gaps: list[tuple[datetime.date | None, datetime.date | None]] = []
    covered_until: datetime.date | None = None  # the last day covered so far
    started = False
    for start, end in sorted(periods, key=lambda p: p[0] or datetime.date.min):
        if start is None:
            started = True
        elif not started:
            gaps.append((None, start - datetime.timedelta(days=1)))
            started = True
        elif covered_until is not None and start > covered_until + datetime.timedelta(days=1):
            gaps.append((covered_until + datetime.timedelta(days=1),
                         start - datetime.timedelta(days=1)))
        if end is None:
            return gaps
        if covered_until is None or end > covered_until:
            covered_until = end
    if covered_until is not None or not periods:
        after = covered_until + datetime.timedelta(days=1) if covered_until else None
        gaps.append((after, None))
    return gaps


def _gaps_text(gaps: Sequence[tuple[datetime.date | None, datetime.date | None]]
               ) -> Message:
    """When a case has no law: "before 2025-01-01 or after 2030-12-31" (``gaps`` is not
    empty)."""
    parts: list[Message] = []
    for first, last in gaps:
        if first is None and last is not None:
            # Translators: completes "a case dated ... has no law in force".
            parts.append(msg("before {date}", date=str(last + datetime.timedelta(days=1))))
        elif last is None and first is not None:
            parts.append(msg("after {date}", date=str(first - datetime.timedelta(days=1))))
        elif first is not None and last is not None:
            parts.append(msg("from {first} until {last}", first=str(first), last=str(last)))
        else:
            parts.append(msg("on any date"))
    return either(parts)


def check_fixed_conditions(workspace: Workspace, resolved: Resolution
                           ) -> Iterator[Diagnostic]:
    """LUK047: the ruleset's own conditions name no form or level the programme lacks."""
    facts = resolved.facts
    if facts is None:
        return
    for file, decl in workspace.declarations():
        if file.is_law:
            continue  # the law speaks of every form and level
        for condition in _own_conditions(decl):
            for node in nodes_of(condition):
                if isinstance(node, ast.FormIs) and set(facts.forms) <= set(FORMS):
                    for form in node.forms:
                        if form.value in FORMS and form.value not in facts.forms:
                            yield warning(
                                "LUK047", msg("the programme is not offered {form}: "
                                              "`form is {form}` never holds for it",
                                              form=form.value), form.span,
                                hint=msg("it is offered {forms}; remove the form, or add "
                                         "it to the programme's `form`",
                                         forms=quoted(list(facts.forms))))
                elif isinstance(node, ast.LevelIs) and facts.level is not None \
                        and facts.atom(node) is False:
                    yield warning(
                        "LUK047", msg("the programme's level is {level}: `level is {written}` "
                                      "never holds for it", level=facts.level,
                                      written=node.level.value), node.level.span,
                        hint=msg("remove the condition, or correct the level"))


def _own_conditions(decl: ast.Declaration) -> Iterator[ast.Condition]:
    if isinstance(decl, ast.Rule):
        yield decl.when
    elif isinstance(decl, ast.Regime):
        for clause in decl.clauses:
            if isinstance(clause, ast.Permit | ast.Allow) and clause.when is not None:
                yield clause.when
