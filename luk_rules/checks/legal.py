"""Passes over the legal scope: `as if`, `extends`, path independence, and what the
regimes the programme stands under permit (LUK032, LUK033, LUK040-LUK043)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from luk_rules import ast
from luk_rules.checks.common import quoted
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
                f"`as if {name}` names a regime the programme does not stand under",
                as_if.regime.span,
                hint=f"add `{name}` to the programme's `under` list",
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
            f"regime `{start}` extends itself: {shown}",
            start_extends.span,
            hint="remove one `extends` of the cycle",
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
            why = " (the programme's `units are`)" if kind.from_programme else ""
            yield error(
                "LUK040",
                f"the path-dependent assessment `{decl.name.value}` assesses "
                f"`{name.value}`, an {EVL}",
                path.span,
                hint=f"an {EVL} is assessed path-independently only: write "
                f"`path-independent`, or make `{name.value}` an {ONDERWIJSEENHEID}",
                labels=[Label(unit.name.span, f"`{name.value}` is an {EVL}{why}")],
            )


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
                f"no regime this programme stands under ever permits {kind} in {form}",
                form_name.span,
                hint=_permit_hint(resolved, kind, form, under),
                labels=[Label(unit.name.span, f"`{unit.name.value}` is an {kind}")],
            )


def _permit_hint(resolved: Resolution, kind: str, form: str, under: Sequence[str]) -> str:
    for name in resolved.table.regimes:
        if not any(permit.kind.value == kind and any(f.value == form for f in permit.forms)
                   for _, permit in resolved.inherited(name, ast.Permit)):
            continue
        if not resolved.may_be_in_force(name):
            step = f"`as if {name} in force from YYYY-MM-DD`"
            if name in under:
                return f"`{name}` permits it but is a proposal: evaluate it with {step}"
            return f"`{name}` would permit it: add it to `under` and write {step}"
        if name not in under:
            return f"`{name}` permits it: add it to `under`"
    if kind == EVL:
        return f"build the units as course units: `units are {ONDERWIJSEENHEID}`"
    return f"stand the programme under a regime that permits {kind} in {form}"


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
                f"{kind} in {form} is permitted only under conditions this programme "
                "never meets",
                form_name.span,
                hint="; ".join(unmet) if unmet else None,
                labels=[
                    Label(p.when.span if p.when is not None else p.span,
                          "permitted only when this holds")
                    for p in grants[:3]
                ]
                + [Label(unit.name.span, f"`{unit.name.value}` is an {kind}")],
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


def _unmet(facts: ProgrammeFacts, condition: ast.Condition | None, form: str) -> list[str]:
    """What to write so that the programme-fixed atoms that fail would hold."""
    if condition is None:
        return []
    found: list[str] = []
    for node in nodes_of(condition):
        if facts.atom(node, form) is not False:
            continue
        if isinstance(node, ast.OptedIn):
            found.append("opt in with the programme committee's consent: "
                         "`opted in YYYY-MM-DD`")
        elif isinstance(node, ast.InstitutionParticipates):
            found.append("only for participating institutions: "
                         "`participates in experiment`")
        elif isinstance(node, ast.LevelIs):
            found.append(f"only for level `{node.level.value}`, not `{facts.level}`")
        elif isinstance(node, ast.FormIs):
            found.append(f"only for form {quoted([f.value for f in node.forms])}")
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
            f"{EVL} `{decl.name.value}` has no `recommended activity`",
            decl.name.span,
            hint="the law keeps a facilitated route for every such unit: add "
            "`recommended activity <activity>`",
        )
