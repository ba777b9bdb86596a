"""Passes over the legal scope: `as if`, `extends`, path independence, and what the
regimes the programme stands under permit (LUK032, LUK033, LUK040-LUK043)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from luk_rules import ast
from luk_rules.checks.common import quoted
from luk_rules.checks.resolve import (
    EVL,
    FORMS,
    LEVELS,
    ONDERWIJSEENHEID,
    SymbolTable,
    _regime_closure,
    clauses_of,
    first_clause,
    nodes_of,
)
from luk_rules.diagnostics import Diagnostic, Label, error, warning
from luk_rules.sources import Workspace


def check_as_if(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK032: `as if R` names a regime the programme stands under."""
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


def check_extends_cycles(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK033: `extends` never leads back to where it started."""
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


def check_path_independence(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK040: an eenheid-van-leeruitkomsten is assessed only path-independently."""
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
            kind = table.known_unit_kind(unit)
            if kind is None or kind[0] != EVL:
                continue
            why = " (the programme's `units are`)" if kind[1] else ""
            yield error(
                "LUK040",
                f"the path-dependent assessment `{decl.name.value}` assesses "
                f"`{name.value}`, an {EVL}",
                path.span,
                hint=f"an {EVL} is assessed path-independently only: write "
                f"`path-independent`, or make `{name.value}` an {ONDERWIJSEENHEID}",
                labels=[Label(unit.name.span, f"`{name.value}` is an {EVL}{why}")],
            )


def check_permitted_kinds(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK041: some regime the programme stands under permits its unit kinds in its forms."""
    programme = table.programme
    if programme is None or not table.complete:
        return
    under = [n.value for c in clauses_of(programme, ast.Under) for n in c.regimes]
    if not under or any(name not in table.regimes for name in under):
        return  # nothing to go on, or an undefined regime (reported elsewhere)
    as_if = {c.regime.value for c in clauses_of(programme, ast.AsIf)}
    permitted: set[tuple[str, str]] = set()
    for name in under:
        permitted |= _regime_closure(table, name, as_if)[1]
    kinds = _kinds_in_use(table)
    for form, form_name in _programme_forms(programme).items():
        for kind, unit in kinds.items():
            if (kind, form) in permitted:
                continue
            yield error(
                "LUK041",
                f"no regime this programme stands under ever permits {kind} in {form}",
                form_name.span,
                hint=_permit_hint(table, kind, form, under, as_if),
                labels=[Label(unit.name.span, f"`{unit.name.value}` is an {kind}")],
            )


def _permit_hint(
    table: SymbolTable, kind: str, form: str, under: Sequence[str], as_if: set[str]
) -> str:
    for name in table.regimes:
        regime = table.regime(name)
        if regime is None or (kind, form) not in _regime_closure(table, name, {name})[1]:
            continue
        period = first_clause(regime, ast.Period)
        proposal = period is not None and period.kind == "proposal"
        if proposal and name not in as_if:
            step = f"`as if {name} in force from YYYY-MM-DD`"
            if name in under:
                return f"`{name}` permits it but is a proposal: evaluate it with {step}"
            return f"`{name}` would permit it: add it to `under` and write {step}"
        if name not in under:
            return f"`{name}` permits it: add it to `under`"
    if kind == EVL:
        return f"build the units as course units: `units are {ONDERWIJSEENHEID}`"
    return f"stand the programme under a regime that permits {kind} in {form}"


def check_permit_conditions(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK043 (warning): some permit of each unit kind in use can hold for this programme."""
    programme = table.programme
    if programme is None or not table.complete:
        return
    under = [n.value for c in clauses_of(programme, ast.Under) for n in c.regimes]
    if not under or any(name not in table.regimes for name in under):
        return
    as_if = {c.regime.value for c in clauses_of(programme, ast.AsIf)}
    reachable: list[str] = []
    for name in under:
        for found in sorted(_regime_closure(table, name, as_if)[0]):
            if found not in reachable and _counts(table, found, as_if):
                reachable.append(found)
    kinds = _kinds_in_use(table)
    for form, form_name in _programme_forms(programme).items():
        for kind, unit in kinds.items():
            grants = [
                permit
                for name in reachable
                for permit in _permits_of(table, name)
                if permit.kind.value == kind and any(f.value == form for f in permit.forms)
            ]
            if not grants:
                continue  # LUK041
            facts = _ProgrammeFacts(programme, form)
            if any(facts.evaluate(p.when) is not False for p in grants):
                continue
            unmet = sorted({a for p in grants for a in facts.unmet(p.when)})
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


def _counts(table: SymbolTable, name: str, as_if: set[str]) -> bool:
    regime = table.regime(name)
    period = first_clause(regime, ast.Period) if regime is not None else None
    return period is None or period.kind != "proposal" or name in as_if


def _permits_of(table: SymbolTable, name: str) -> list[ast.Permit]:
    regime = table.regime(name)
    return clauses_of(regime, ast.Permit) if regime is not None else []


def _kinds_in_use(table: SymbolTable) -> dict[str, ast.Unit]:
    """Each known unit kind in use, with the first unit of that kind."""
    kinds: dict[str, ast.Unit] = {}
    for decl in table.declarations:
        if isinstance(decl, ast.Unit):
            found = table.known_unit_kind(decl)
            if found is not None:
                kinds.setdefault(found[0], decl)
    return kinds


def _programme_forms(programme: ast.Programme) -> dict[str, ast.Name]:
    """Each known form of the programme, with where it is first written."""
    forms: dict[str, ast.Name] = {}
    for clause in clauses_of(programme, ast.Forms):
        for written in clause.forms:
            if written.value in FORMS:
                forms.setdefault(written.value, written)
    return forms


class _ProgrammeFacts:
    """Three-valued evaluation of a condition from what the programme alone fixes.

    True or False where the ruleset decides it (``opted in``, ``institution
    participates``, ``level is``, ``form is`` for one form); None where it depends on
    the submission (units, evidence, dates, combination, ...).
    """

    def __init__(self, programme: ast.Programme, form: str) -> None:
        level = first_clause(programme, ast.Level)
        self.level = level.level.value if level is not None else None
        self.form = form
        self.opted_in = first_clause(programme, ast.OptedInOn) is not None
        self.participates = first_clause(programme, ast.Participates) is not None

    def atom(self, node: ast.Condition) -> bool | None:
        if isinstance(node, ast.OptedIn):
            return self.opted_in
        if isinstance(node, ast.InstitutionParticipates):
            return self.participates
        if isinstance(node, ast.FormIs):
            return any(f.value == self.form for f in node.forms)
        if isinstance(node, ast.LevelIs) and self.level in LEVELS:
            wanted = node.level.value
            return self.level == wanted or self.level.startswith(f"{wanted}-")
        return None

    def evaluate(self, condition: ast.Condition | None) -> bool | None:
        """The condition's value, or None when the submission decides it."""
        if condition is None:
            return True
        # Post-order over an explicit stack: deep conditions must not exhaust recursion.
        values: dict[int, bool | None] = {}
        stack: list[tuple[ast.Condition, bool]] = [(condition, False)]
        while stack:
            node, expanded = stack.pop()
            if isinstance(node, ast.Or | ast.And | ast.Not) and not expanded:
                stack.append((node, True))
                children = node.items if isinstance(node, ast.Or | ast.And) else (node.item,)
                stack.extend((child, False) for child in children)
                continue
            if isinstance(node, ast.Not):
                inner = values.get(id(node.item))
                values[id(node)] = None if inner is None else not inner
            elif isinstance(node, ast.And):
                parts = [values.get(id(c)) for c in node.items]
                values[id(node)] = (
                    False if False in parts else True if all(parts) else None
                )
            elif isinstance(node, ast.Or):
                parts = [values.get(id(c)) for c in node.items]
                values[id(node)] = (
                    True if True in parts else False if all(p is False for p in parts)
                    else None
                )
            else:
                values[id(node)] = self.atom(node)
        return values.get(id(condition))

    def unmet(self, condition: ast.Condition | None) -> list[str]:
        """What to write so that the programme-fixed atoms that fail would hold."""
        if condition is None:
            return []
        found: list[str] = []
        for node in nodes_of(condition):
            if self.atom(node) is not False:
                continue
            if isinstance(node, ast.OptedIn):
                found.append("opt in with the programme committee's consent: "
                             "`opted in YYYY-MM-DD`")
            elif isinstance(node, ast.InstitutionParticipates):
                found.append("only for participating institutions: "
                             "`participates in experiment`")
            elif isinstance(node, ast.LevelIs):
                found.append(f"only for level `{node.level.value}`, not `{self.level}`")
            elif isinstance(node, ast.FormIs):
                found.append(f"only for form {quoted([f.value for f in node.forms])}")
        return found


def check_recommended_route(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK042: every eenheid-van-leeruitkomsten keeps a recommended activity."""
    for decl in table.declarations:
        if not isinstance(decl, ast.Unit) or first_clause(decl, ast.Recommended) is not None:
            continue
        kind = table.known_unit_kind(decl)
        if kind is None or kind[0] != EVL:
            continue
        yield error(
            "LUK042",
            f"{EVL} `{decl.name.value}` has no `recommended activity`",
            decl.name.span,
            hint="the law keeps a facilitated route for every such unit: add "
            "`recommended activity <activity>`",
        )
