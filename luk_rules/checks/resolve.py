"""The one name resolver: every declaration of a workspace, indexed, in reading order.

Built once per workspace; the passes of :mod:`luk_rules.checks` read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Literal, TypeAlias, TypeVar

import attrs

from luk_rules import ast
from luk_rules.sources import SourceFile, Workspace

# ---------------------------------------------------------------- vocabulary

ONDERWIJSEENHEID = "onderwijseenheid"


EVL = "eenheid-van-leeruitkomsten"


UNIT_KINDS: tuple[str, ...] = (ONDERWIJSEENHEID, EVL)


FORMS: tuple[str, ...] = ("voltijd", "deeltijd", "duaal")


LEVELS: tuple[str, ...] = (
    "hbo-associate-degree", "hbo-bachelor", "hbo-master", "wo-bachelor", "wo-master",
)


LEVEL_FAMILIES: tuple[str, ...] = ("hbo", "wo")


COMBINATIONS: tuple[str, ...] = ("A", "B", "C", "D")


DeclKind: TypeAlias = Literal[
    "programme", "evidence type", "unit", "assessment", "law regime", "rule"
]


_D = TypeVar("_D", ast.EvidenceType, ast.Unit, ast.Assessment, ast.Regime, ast.Rule)


_C = TypeVar("_C")


@attrs.frozen
class SymbolTable:
    """Every declaration of a workspace, indexed by kind and name with *all* occurrences.

    Each mapping keeps the declarations of one name in reading order (an included file's
    declarations count from the place of its ``include``), so ``table.units["BK-ONT"][0]``
    is the first declaration and any further entries are duplicates.

    Attributes:
        declarations: every declaration in reading order (includes left out).
        programmes: every programme (a ruleset should have exactly one).
        evidence: evidence types by name.
        units: units by name.
        outcomes: outcomes by ``"<unit>.<id>"``, over every declaration of the unit.
        assessments: assessments by name.
        regimes: law regimes by name.
        rules: the ruleset's own rules by name.
        available_regimes: law regime files that could be pulled in by name.
        complete: False when a file did not parse or an include could not be read, so
            the absence of a declaration proves nothing.
    """

    declarations: tuple[ast.Declaration, ...]
    programmes: tuple[ast.Programme, ...]
    evidence: Mapping[str, tuple[ast.EvidenceType, ...]]
    units: Mapping[str, tuple[ast.Unit, ...]]
    outcomes: Mapping[str, tuple[ast.Outcome, ...]]
    assessments: Mapping[str, tuple[ast.Assessment, ...]]
    regimes: Mapping[str, tuple[ast.Regime, ...]]
    rules: Mapping[str, tuple[ast.Rule, ...]]
    available_regimes: tuple[str, ...]
    complete: bool

    @classmethod
    def build(cls, workspace: Workspace) -> SymbolTable:
        """Index the declarations of every file of ``workspace`` that parsed."""
        declarations, complete = _reading_order(workspace)
        outcomes: dict[str, list[ast.Outcome]] = {}
        for decl in declarations:
            if isinstance(decl, ast.Unit):
                for outcome in clauses_of(decl, ast.Outcome):
                    key = f"{decl.name.value}.{outcome.id.value}"
                    outcomes.setdefault(key, []).append(outcome)
        return cls(
            declarations=declarations,
            programmes=tuple(d for d in declarations if isinstance(d, ast.Programme)),
            evidence=_index(declarations, ast.EvidenceType),
            units=_index(declarations, ast.Unit),
            outcomes={k: tuple(v) for k, v in outcomes.items()},
            assessments=_index(declarations, ast.Assessment),
            regimes=_index(declarations, ast.Regime),
            rules=_index(declarations, ast.Rule),
            available_regimes=tuple(workspace.available_regimes),
            complete=complete,
        )

    @property
    def programme(self) -> ast.Programme | None:
        """The (first) programme, or None for a shared library or a law file."""
        return self.programmes[0] if self.programmes else None

    def names(self, kind: DeclKind) -> tuple[str, ...]:
        """Every declared name of one kind (for regimes, also those that could be loaded)."""
        if kind == "law regime":
            return tuple(sorted({*self.regimes, *self.available_regimes}))
        if kind == "programme":
            return tuple(p.code.value for p in self.programmes)
        return tuple(self._by_kind(kind))

    def declares(self, kind: DeclKind, name: str) -> bool:
        """Whether ``name`` is declared as ``kind`` in the workspace."""
        if kind == "programme":
            return any(p.code.value == name for p in self.programmes)
        return name in self._by_kind(kind)

    def kinds_of(self, name: str) -> list[DeclKind]:
        """The kinds under which ``name`` is declared, in a fixed order."""
        every: tuple[DeclKind, ...] = (
            "programme", "evidence type", "unit", "assessment", "law regime", "rule"
        )
        return [kind for kind in every if self.declares(kind, name)]

    def _by_kind(self, kind: DeclKind) -> Mapping[str, tuple[ast.Declaration, ...]]:
        table: dict[DeclKind, Mapping[str, tuple[ast.Declaration, ...]]] = {
            "evidence type": self.evidence,
            "unit": self.units,
            "assessment": self.assessments,
            "law regime": self.regimes,
            "rule": self.rules,
        }
        return table.get(kind, {})

    def default_kind(self) -> ast.DefaultKind | None:
        """The programme's ``units are K`` clause, if any."""
        programme = self.programme
        return first_clause(programme, ast.DefaultKind) if programme is not None else None

    def unit_kind(self, unit: ast.Unit) -> tuple[str, bool] | None:
        """The unit's kind as written (its own ``kind`` or the programme default).

        Returns the kind and whether it came from the programme default, or None.
        """
        own = first_clause(unit, ast.Kind)
        if own is not None:
            return own.kind.value, False
        default = self.default_kind()
        if default is not None:
            return default.kind.value, True
        return None

    def known_unit_kind(self, unit: ast.Unit) -> tuple[str, bool] | None:
        """Like :meth:`unit_kind`, but None unless the kind is a known one."""
        found = self.unit_kind(unit)
        return found if found is not None and found[0] in UNIT_KINDS else None

    def unit(self, name: str) -> ast.Unit | None:
        """The first unit declared under ``name``."""
        found = self.units.get(name, ())
        return found[0] if found else None

    def regime(self, name: str) -> ast.Regime | None:
        """The first law regime declared under ``name``."""
        found = self.regimes.get(name, ())
        return found[0] if found else None


def _index(declarations: Iterable[ast.Declaration], cls: type[_D]) -> dict[str, tuple[_D, ...]]:
    found: dict[str, list[_D]] = {}
    for decl in declarations:
        if isinstance(decl, cls):
            found.setdefault(decl.name.value, []).append(decl)
    return {name: tuple(decls) for name, decls in found.items()}


def _reading_order(workspace: Workspace) -> tuple[tuple[ast.Declaration, ...], bool]:
    """Declarations in reading order (an include's declarations at its place) and whether
    every file parsed and every include was found."""
    by_path: dict[str, SourceFile] = {}
    for source in workspace.files:
        by_path.setdefault(source.path, source)
    complete = all(f.module is not None for f in workspace.files)
    ordered: list[ast.Declaration] = []
    visited: set[int] = set()
    stack: list[tuple[SourceFile, int]] = []

    def enter(source: SourceFile) -> None:
        if id(source) not in visited and source.module is not None:
            visited.add(id(source))
            stack.append((source, 0))

    for root in workspace.files:
        enter(root)
        # Depth first without recursion, so a long include chain cannot overflow the stack.
        while stack:
            source, at = stack.pop()
            declarations = source.module.declarations if source.module else ()
            while at < len(declarations):
                decl = declarations[at]
                at += 1
                if not isinstance(decl, ast.Include):
                    ordered.append(decl)
                    continue
                shown = workspace.included(source, decl)
                included = by_path.get(shown) if shown is not None else None
                if included is None:
                    complete = False
                elif id(included) not in visited and included.module is not None:
                    stack.append((source, at))
                    enter(included)
                    break
    return tuple(ordered), complete


ClausedDecl: TypeAlias = (
    ast.Programme | ast.ExamProgramme | ast.EvidenceType | ast.Unit | ast.Assessment | ast.Regime
)


def clauses_of(decl: ClausedDecl, cls: type[_C]) -> list[_C]:
    return [c for c in decl.clauses if isinstance(c, cls)]


def first_clause(decl: ClausedDecl, cls: type[_C]) -> _C | None:
    for clause in decl.clauses:
        if isinstance(clause, cls):
            return clause
    return None


def nodes_of(condition: ast.Condition) -> Iterator[ast.Condition]:
    """Every condition node inside ``condition`` (itself included), without recursion."""
    stack: list[ast.Condition] = [condition]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.Or | ast.And):
            stack.extend(reversed(node.items))
        elif isinstance(node, ast.Not):
            stack.append(node.item)


def conditions_of(table: SymbolTable) -> Iterator[ast.Condition]:
    """Every condition node of every rule, permit and allow."""
    for decl in table.declarations:
        if isinstance(decl, ast.Rule):
            yield from nodes_of(decl.when)
        elif isinstance(decl, ast.Regime):
            for clause in decl.clauses:
                if isinstance(clause, ast.Permit | ast.Allow) and clause.when is not None:
                    yield from nodes_of(clause.when)


def _regime_closure(
    table: SymbolTable, start: str, in_force: set[str]
) -> tuple[set[str], set[tuple[str, str]]]:
    """The regimes reachable from ``start`` by ``extends`` and the (kind, form) pairs they
    permit. A proposal counts (and leads further) only when it is in ``in_force``."""
    seen: set[str] = set()
    permits: set[tuple[str, str]] = set()
    stack = [start]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        regime = table.regime(name)
        if regime is None:
            continue
        period = first_clause(regime, ast.Period)
        if period is not None and period.kind == "proposal" and name not in in_force:
            continue
        for clause in regime.clauses:
            if isinstance(clause, ast.Permit):
                permits.update((clause.kind.value, form.value) for form in clause.forms)
            elif isinstance(clause, ast.Extends):
                stack.append(clause.regime.value)
    return seen, permits
