"""The one name resolver: what the declarations of a workspace mean, decided once.

:func:`resolve` reads a :class:`~luk_rules.sources.Workspace` once and returns a
:class:`Resolution`, which both the checks (:mod:`luk_rules.checks`) and lowering
(:mod:`luk_rules.lower`) take as it is, so that the two cannot disagree about:

- what is declared (:class:`SymbolTable`: every declaration indexed by kind and name, in
  reading order, and whether the workspace is complete);
- each unit's kind (:meth:`Resolution.kind_of`: its own ``kind``, else the programme's
  ``units are``, else ``onderwijseenheid``) and the items its outcomes need at least
  (:meth:`Resolution.minimum_of`);
- what a law regime grants through ``extends`` (:meth:`Resolution.extends`,
  :meth:`Resolution.inherited`) and whether it can ever be in force for the programme
  (:meth:`Resolution.may_be_in_force`);
- what the programme alone fixes for every submission (:class:`ProgrammeFacts`: level,
  forms, participation, the opt-in date, the recommended route), with the three-valued
  value of a condition from those facts (:meth:`ProgrammeFacts.evaluate`) and what makes
  it false (:meth:`ProgrammeFacts.failing`);
- which law clauses and rules can never fire for the programme, and why
  (:meth:`Resolution.unreachable`, :meth:`Resolution.rule_unreachable`): lowering marks
  them on the IR, and ``luk test --coverage`` leaves them out of what must fire.

The resolution of a workspace with errors is still complete enough for the checks to say
what is wrong; lowering uses it only for a workspace that passed them.

Example:
    >>> from pathlib import Path
    >>> from luk_rules.sources import load_workspace
    >>> workspace, _ = load_workspace(Path("rulesets/examples/ds-master-deeltijd.luk"))
    >>> resolved = resolve(workspace)
    >>> resolved.extends("wet-leeruitkomsten")
    ('wet-leeruitkomsten', 'whw')
    >>> sorted(set(resolved.unit_kinds.values()))
    ['eenheid-van-leeruitkomsten']
    >>> resolved.facts.opted_in if resolved.facts else None
    datetime.date(2025, 2, 1)
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Final, Literal, TypeAlias, TypeVar

import attrs

from luk_rules import ast, ir
from luk_rules.printer import condition_text
from luk_rules.scoping import Names
from luk_rules.sources import SourceFile, Workspace

# ---------------------------------------------------------------- vocabulary

ONDERWIJSEENHEID: Final = "onderwijseenheid"
"""The course unit, the kind of unit every programme may use."""

EVL: Final = "eenheid-van-leeruitkomsten"
"""The unit of learning outcomes, which the law permits only under conditions."""

UNIT_KINDS: tuple[ir.UnitKind, ...] = (ONDERWIJSEENHEID, EVL)
"""The known unit kinds."""

FORMS: tuple[str, ...] = ("voltijd", "deeltijd", "duaal")
"""The known forms of a programme."""

LEVELS: tuple[str, ...] = (
    "hbo-associate-degree", "hbo-bachelor", "hbo-master", "wo-bachelor", "wo-master",
)
"""The known levels of a programme."""

LEVEL_FAMILIES: tuple[str, ...] = ("hbo", "wo")
"""The families of levels ``level is`` may name."""

COMBINATIONS: tuple[str, ...] = ("A", "B", "C", "D")
"""The combinations (routes) of evidence the law names."""

DeclKind: TypeAlias = Literal[
    "programme", "evidence type", "unit", "assessment", "law regime", "rule"
]
"""The kinds of declaration a name can refer to."""

_D = TypeVar("_D", ast.EvidenceType, ast.Unit, ast.Assessment, ast.Regime, ast.Rule, ast.Field)
_C = TypeVar("_C")
_G = TypeVar("_G", ast.Permit, ast.Allow)


# ---------------------------------------------------------------- symbol table


@attrs.frozen
class SymbolTable:
    """Every declaration of a workspace, indexed by kind and name with *all* occurrences.

    Each mapping keeps the declarations of one name in reading order (an included file's
    declarations count from the place of its ``include``), so ``table.units["BK-ONT"][0]``
    is the first declaration and any further entries are duplicates. Iterating a mapping
    gives the names in the reading order of their first declaration.

    Attributes:
        declarations: every declaration in reading order (includes left out).
        programmes: every programme (a ruleset should have exactly one).
        programme_files: the file each of ``programmes`` is declared in.
        evidence: evidence types by name.
        units: units by name.
        outcomes: outcomes by ``"<unit>.<id>"``, over every declaration of the unit.
        assessments: assessments by name.
        regimes: law regimes by name.
        rules: the ruleset's own rules by name.
        fields: evidence fields by name.
        exams: every exam programme (a ruleset may have one).
        available_regimes: law regime files that could be pulled in by name.
        complete: False when a file did not parse or an include could not be read, so
            the absence of a declaration proves nothing.
    """

    declarations: tuple[ast.Declaration, ...]
    programmes: tuple[ast.Programme, ...]
    programme_files: tuple[str, ...]
    evidence: Mapping[str, tuple[ast.EvidenceType, ...]]
    units: Mapping[str, tuple[ast.Unit, ...]]
    outcomes: Mapping[str, tuple[ast.Outcome, ...]]
    assessments: Mapping[str, tuple[ast.Assessment, ...]]
    regimes: Mapping[str, tuple[ast.Regime, ...]]
    rules: Mapping[str, tuple[ast.Rule, ...]]
    fields: Mapping[str, tuple[ast.Field, ...]]
    exams: tuple[ast.ExamProgramme, ...]
    available_regimes: tuple[str, ...]
    complete: bool

    @classmethod
    def build(cls, workspace: Workspace) -> SymbolTable:
        """Index the declarations of every file of ``workspace`` that parsed."""
        located, complete = _reading_order(workspace)
        declarations = tuple(decl for _, decl in located)
        outcomes: dict[str, list[ast.Outcome]] = {}
        for decl in declarations:
            if isinstance(decl, ast.Unit):
                for outcome in clauses_of(decl, ast.Outcome):
                    key = f"{decl.name.value}.{outcome.id.value}"
                    outcomes.setdefault(key, []).append(outcome)
        programmes = [(path, d) for path, d in located if isinstance(d, ast.Programme)]
        return cls(
            declarations=declarations,
            programmes=tuple(d for _, d in programmes),
            programme_files=tuple(path for path, _ in programmes),
            evidence=_index(declarations, ast.EvidenceType),
            units=_index(declarations, ast.Unit),
            outcomes={k: tuple(v) for k, v in outcomes.items()},
            assessments=_index(declarations, ast.Assessment),
            regimes=_index(declarations, ast.Regime),
            rules=_index(declarations, ast.Rule),
            fields=_index(declarations, ast.Field),
            exams=tuple(d for d in declarations if isinstance(d, ast.ExamProgramme)),
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

    def unit(self, name: str) -> ast.Unit | None:
        """The first unit declared under ``name``."""
        found = self.units.get(name, ())
        return found[0] if found else None

    def regime(self, name: str) -> ast.Regime | None:
        """The first law regime declared under ``name``."""
        found = self.regimes.get(name, ())
        return found[0] if found else None


def first_of(index: Mapping[str, tuple[_D, ...]]) -> tuple[_D, ...]:
    """The first declaration of each name of ``index``, in reading order: what a ruleset
    that passed the checks (and so declares each name once) consists of."""
    return tuple(decls[0] for decls in index.values())


def _index(declarations: Iterable[ast.Declaration], cls: type[_D]) -> dict[str, tuple[_D, ...]]:
    found: dict[str, list[_D]] = {}
    for decl in declarations:
        if isinstance(decl, cls):
            found.setdefault(decl.name.value, []).append(decl)
    return {name: tuple(decls) for name, decls in found.items()}


def _reading_order(workspace: Workspace
                   ) -> tuple[tuple[tuple[str, ast.Declaration], ...], bool]:
    """Declarations in reading order (an include's declarations at its place), each with
    the file it is declared in, and whether every file parsed and every include was found."""
    by_path: dict[str, SourceFile] = {}
    for source in workspace.files:
        by_path.setdefault(source.path, source)
    complete = all(f.module is not None for f in workspace.files)
    ordered: list[tuple[str, ast.Declaration]] = []
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
                    ordered.append((source.path, decl))
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


# ---------------------------------------------------------------- AST helpers

ClausedDecl: TypeAlias = (
    ast.Programme | ast.ExamProgramme | ast.EvidenceType | ast.Unit | ast.Assessment | ast.Regime
)
"""A declaration made of clauses."""


def clauses_of(decl: ClausedDecl, cls: type[_C]) -> list[_C]:
    """Every clause of ``decl`` of class ``cls``, in order."""
    return [c for c in decl.clauses if isinstance(c, cls)]


def first_clause(decl: ClausedDecl, cls: type[_C]) -> _C | None:
    """The first clause of ``decl`` of class ``cls``, or None."""
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


def _date(written: ast.DateLit) -> datetime.date | None:
    """A written date, or None when it is not a calendar date (the checks report LUK021)."""
    try:
        return datetime.date.fromisoformat(written.value)
    except ValueError:
        return None


# ---------------------------------------------------------------- unit kinds


@attrs.frozen
class UnitKind:
    """The kind of one unit: its own ``kind``, else the programme's ``units are``.

    Attributes:
        written: the kind as written (possibly a word that is no kind, LUK025), or None
            when neither the unit nor the programme says (LUK029 in a programme).
        from_programme: whether it comes from the programme's ``units are``.
    """

    written: str | None
    from_programme: bool

    @property
    def known(self) -> ir.UnitKind | None:
        """The kind when it is written and a known one, else None."""
        return next((k for k in UNIT_KINDS if k == self.written), None)

    @property
    def kind(self) -> ir.UnitKind:
        """The kind the unit is decided as: the known kind written, else onderwijseenheid."""
        return self.known or ONDERWIJSEENHEID


# ---------------------------------------------------------------- programme facts

Truth: TypeAlias = bool | None
"""A three-valued truth: True, False, or None when the submission decides it."""


@attrs.frozen
class ProgrammeFacts:
    """What the programme alone fixes for every submission.

    A condition about these facts has the same value for every submission, except
    ``opted in``, which holds for submissions dated on or after the opt-in date: it
    depends on the submission unless the programme never opted in.

    Attributes:
        programme: the programme declaration.
        file: the file it is declared in (``replaces`` paths start there).
        level: the level as written, or None.
        forms: the forms as written, each once, in order.
        practice_component: whether it declares a ``substantial practice component``.
        participates: whether it takes part in the experiment (``participates in
            experiment``).
        opts_in: whether it has an ``opted in DATE`` clause.
        opted_in: the opt-in date, or None (no clause, or not a calendar date).
        recommended_route: whether every eenheid-van-leeruitkomsten keeps a recommended
            activity (``recommended route``).
        under: the law regimes it stands under, as written.
        as_if: the regimes it evaluates ``as if`` in force, with the date from which (None
            when the date is not a calendar date).
        decides_from: the date of its ``replaces`` clause, from which this ruleset decides
            (earlier submissions go to the ruleset it replaces), or None: every date.
    """

    programme: ast.Programme
    file: str
    level: str | None
    forms: tuple[str, ...]
    participates: bool
    practice_component: bool
    opts_in: bool
    opted_in: datetime.date | None
    recommended_route: bool
    under: tuple[str, ...]
    as_if: Mapping[str, datetime.date | None]
    decides_from: datetime.date | None = None

    @classmethod
    def assumed(cls, level: str, form: str) -> ProgrammeFacts:
        """The facts of a hypothetical programme of ``level`` offered in ``form`` that makes
        every choice the law leaves to the institution in its favour: it participates in the
        experiment, declares a substantial practice component, has opted in (from a date not
        given, so ``opted in`` still depends on the submission) and keeps a recommended route
        for every unit of learning outcomes.

        ``luk law`` asks with it which regime a programme of that form and level can rely
        on; a condition that is False even for this programme is False for every one.

        Example:
            >>> facts = ProgrammeFacts.assumed("wo-master", "deeltijd")
            >>> facts.evaluate(ast.And((ast.LevelIs(ast.Name("hbo")),
            ...                         ast.InstitutionParticipates())))
            False
        """
        programme = ast.Programme(ast.Name(f"{level}-{form}"),
                                  ast.Text(f"any {level} programme, {form}"), ())
        return cls(programme=programme, file="", level=level, forms=(form,),
                   participates=True, practice_component=True, opts_in=True, opted_in=None,
                   recommended_route=True, under=(), as_if={})

    def atom(self, node: ast.Condition, form: str | None = None,
             on: datetime.date | None = None) -> Truth:
        """The value of one condition atom from the programme's facts alone.

        ``opted in`` is False when the programme has no ``opted in`` clause; otherwise it
        is decided only when ``on`` (a submission's date) is given and the opt-in date is
        known (on or after it), and None else: it then depends on the submission's date.
        ``form is`` is decided only when ``form`` is given (the programme offered in that
        form). Every atom about the submission (units, evidence, dates, combination, ...)
        is None.

        ``recommended route`` is True when every unit of learning outcomes keeps a
        recommended activity. When one does not, the ruleset has an error that says so
        (LUK042) and cannot be used to decide; the atom is then None, so that no other
        check reports the same omission again.
        """
        if isinstance(node, ast.OptedIn):
            if not self.opts_in:
                return False
            return None if on is None or self.opted_in is None else on >= self.opted_in
        if isinstance(node, ast.InstitutionParticipates):
            return self.participates
        if isinstance(node, ast.HasPracticeComponent):
            return self.practice_component
        if isinstance(node, ast.RecommendedRoute):
            return True if self.recommended_route else None
        if isinstance(node, ast.FormIs):
            return None if form is None else any(f.value == form for f in node.forms)
        if isinstance(node, ast.LevelIs) and self.level in LEVELS:
            wanted = node.level.value
            return self.level == wanted or self.level.startswith(f"{wanted}-")
        return None

    def evaluate(self, condition: ast.Condition | None, form: str | None = None,
                 on: datetime.date | None = None) -> Truth:
        """The condition's value from the programme's facts (no condition holds), or None
        when the submission decides it; ``form`` and ``on`` as for :meth:`atom`.

        It is :func:`remaining` with the programme's atoms, when that leaves nothing open.
        """
        if condition is None:
            return True
        left = remaining(condition, lambda node: self.atom(node, form, on))
        return left if isinstance(left, bool) else None

    def failing(self, condition: ast.Condition | None, form: str | None = None,
                on: datetime.date | None = None) -> tuple[ast.Condition, ...]:
        """The parts of ``condition`` that make it False from the programme's facts: each
        atom that is False where it decides an ``and``, every part of an ``or`` that is
        False throughout, a ``not`` whose inner condition holds. Empty when :meth:`evaluate`
        does not give False; ``form`` and ``on`` as for :meth:`atom`.

        Example:
            >>> facts = ProgrammeFacts.assumed("wo-master", "deeltijd")
            >>> facts.failing(ast.And((ast.LevelIs(ast.Name("hbo")),
            ...                        ast.InstitutionParticipates())))
            (LevelIs(level=Name(value='hbo')),)
        """
        if condition is None:
            return ()
        values: dict[int, Truth] = {}
        culprits: dict[int, tuple[ast.Condition, ...]] = {}
        for node in post_order(condition):
            found: tuple[ast.Condition, ...] = ()
            if isinstance(node, ast.Not):
                inner = values[id(node.item)]
                value: Truth = None if inner is None else not inner
                found = (node,) if value is False else ()
            elif isinstance(node, ast.And | ast.Or):
                parts = [values[id(c)] for c in node.items]
                settles = isinstance(node, ast.Or)
                if any(p is settles for p in parts):
                    value = settles
                elif all(p is (not settles) for p in parts):
                    value = not settles
                else:
                    value = None
                if value is False:
                    found = tuple(c for child in node.items if values[id(child)] is False
                                  for c in culprits[id(child)])
            else:
                value = self.atom(node, form, on)
                found = (node,) if value is False else ()
            values[id(node)] = value
            culprits[id(node)] = found
        return culprits[id(condition)]


def post_order(condition: ast.Condition) -> Iterator[ast.Condition]:
    """Every part of ``condition``, each after its parts (``and``, ``or``, ``not``), over
    an explicit stack: deep conditions must not exhaust recursion."""
    stack: list[tuple[ast.Condition, bool]] = [(condition, False)]
    while stack:
        node, expanded = stack.pop()
        if isinstance(node, ast.Or | ast.And | ast.Not) and not expanded:
            stack.append((node, True))
            children = node.items if isinstance(node, ast.Or | ast.And) else (node.item,)
            stack.extend((child, False) for child in children)
            continue
        yield node


def remaining(condition: ast.Condition, value: Callable[[ast.Condition], Truth]
              ) -> ast.Condition | bool:
    """What is left of ``condition`` once the atoms ``value`` decides are known: True or
    False when that settles it, else the condition without the settled parts (an ``and``
    drops what holds, an ``or`` what does not; an atom ``value`` gives None for stays).

    This is the one three-valued evaluation of the resolver (:meth:`ProgrammeFacts.evaluate`
    is its settled case); ``luk law`` uses it to show what a permit still asks of a
    programme, e.g. ``institution participates`` of ``level is hbo and institution
    participates`` for an hbo programme.

    Example:
        >>> hbo = ast.LevelIs(ast.Name("hbo"))
        >>> left = remaining(ast.And((hbo, ast.InstitutionParticipates())),
        ...                  lambda node: True if node == hbo else None)
        >>> left
        InstitutionParticipates()
        >>> remaining(ast.Or((hbo, ast.OptedIn())), lambda node: True if node == hbo else None)
        True
    """
    values: dict[int, ast.Condition | bool] = {}
    for node in post_order(condition):
        if isinstance(node, ast.Not):
            inner = values[id(node.item)]
            values[id(node)] = (not inner if isinstance(inner, bool)
                                else node if inner is node.item else ast.Not(inner, span=node.span))
        elif isinstance(node, ast.And | ast.Or):
            settles = isinstance(node, ast.Or)  # the value that settles it: True for `or`
            parts = [values[id(c)] for c in node.items]
            if any(p is settles for p in parts):
                values[id(node)] = settles
                continue
            left = [p for p in parts if not isinstance(p, bool)]
            if not left:
                values[id(node)] = not settles
            elif len(left) == 1:
                values[id(node)] = left[0]
            elif all(p is c for p, c in zip(parts, node.items, strict=True)):
                values[id(node)] = node  # nothing settled: the node as it is
            else:
                values[id(node)] = attrs.evolve(node, items=tuple(left))
        else:
            verdict = value(node)
            values[id(node)] = node if verdict is None else verdict
    return values[id(condition)]


# ---------------------------------------------------------------- the resolution


@attrs.frozen
class Resolution:
    """What the declarations of a workspace mean: built once by :func:`resolve`, read by
    the checks and by lowering alike.

    Attributes:
        table: every declaration, indexed.
        names: the declared names rules may use, for :mod:`luk_rules.scoping`.
        unit_kinds: the kind each unit is decided as (of its first declaration), by name,
            in reading order.
        facts: what the (first) programme fixes, or None without a programme.
    """

    table: SymbolTable
    names: Names
    unit_kinds: Mapping[str, ir.UnitKind]
    facts: ProgrammeFacts | None

    def kind_of(self, unit: ast.Unit) -> UnitKind:
        """The kind of ``unit`` (any declaration of it): its own ``kind``, else the
        programme's ``units are``."""
        return _kind_of(unit, self.table)

    def minimum_of(self, unit: ast.Unit) -> ast.MinItems | None:
        """The clause saying how many items each outcome of ``unit`` needs at least: the
        unit's own ``at least N items per outcome``, else the programme's; None means 1.
        (An ``outcome ... needs`` clause may raise it for one outcome.)"""
        own = first_clause(unit, ast.MinItems)
        if own is not None:
            return own
        programme = self.table.programme
        return first_clause(programme, ast.MinItems) if programme is not None else None

    def extends(self, name: str) -> tuple[str, ...]:
        """The declared regime ``name`` and every declared regime it extends, directly or
        through others, nearest first (depth first, each once; an ``extends`` cycle or an
        undeclared regime ends the chain). Empty when ``name`` is not declared.

        A regime permits and allows whatever the regimes it extends permit and allow, in
        force or not: their periods matter only where they stand in ``under`` themselves.
        """
        found: list[str] = []
        seen: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop()
            regime = self.table.regime(current)
            if current in seen or regime is None:
                continue
            seen.add(current)
            found.append(current)
            stack.extend(reversed([c.regime.value for c in clauses_of(regime, ast.Extends)]))
        return tuple(found)

    def inherited(self, name: str, cls: type[_G]) -> tuple[tuple[str, _G], ...]:
        """Every ``permit`` (or ``allow``, by ``cls``) regime ``name`` grants, with the
        regime that declares it: of the furthest regime it extends first, its own last."""
        granted: list[tuple[str, _G]] = []
        for source in reversed(self.extends(name)):
            regime = self.table.regime(source)
            if regime is not None:
                granted.extend((source, clause) for clause in clauses_of(regime, cls))
        return tuple(granted)

    def is_proposal(self, name: str) -> bool:
        """Whether the declared regime ``name`` is a ``proposal`` (never in force by itself)."""
        regime = self.table.regime(name)
        period = first_clause(regime, ast.Period) if regime is not None else None
        return period is not None and period.kind == "proposal"

    def may_be_in_force(self, name: str) -> bool:
        """Whether regime ``name`` can be the law in force for the programme: not when it
        is a ``proposal`` the programme does not evaluate ``as if`` in force."""
        as_if = self.facts.as_if if self.facts is not None else {}
        return not self.is_proposal(name) or name in as_if

    def period(self, name: str) -> tuple[datetime.date | None, datetime.date | None]:
        """The first and last day the declared regime ``name`` is in force (None: no bound),
        with the programme's ``as if`` date applied (in force from it, without end). A
        regime ``in force always`` or a ``proposal`` has no bounds: whether a proposal can
        be in force at all is :meth:`may_be_in_force`."""
        as_if = self.facts.as_if if self.facts is not None else {}
        if name in as_if:
            return as_if[name], None
        regime = self.table.regime(name)
        period = first_clause(regime, ast.Period) if regime is not None else None
        if period is None or period.kind != "dates":
            return None, None
        return (_date(period.start) if period.start is not None else None,
                _date(period.end) if period.end is not None else None)

    def status(self, name: str) -> tuple[str, str]:
        """What the declared regime ``name`` rests on, as (status, reading): its own
        ``enacted`` or ``interpretation "..."``, else ``proposal`` for a proposal, else
        ``("", "")`` (not stated)."""
        regime = self.table.regime(name)
        own = first_clause(regime, ast.Provenance) if regime is not None else None
        if own is not None:
            return own.status, own.read
        return ("proposal" if self.is_proposal(name) else ""), ""

    def clause_status(self, clause: ast.Permit | ast.Allow, regime: str) -> tuple[str, str]:
        """What a ``permit`` or ``allow`` of the declared regime ``regime`` rests on, as
        (status, reading): its own status, else its regime's (:meth:`status`)."""
        if clause.provenance is not None:
            return clause.provenance.status, clause.provenance.read
        return self.status(regime)

    # -- what can fire for the programme (``luk test --coverage``)

    def kinds_in_use(self) -> tuple[ir.UnitKind, ...]:
        """The unit kinds the programme's units have, in the order of :data:`UNIT_KINDS`."""
        used = set(self.unit_kinds.values())
        return tuple(kind for kind in UNIT_KINDS if kind in used)

    def not_the_law(self, name: str) -> ir.NotTheLaw | None:
        """Why regime ``name``, which the programme stands under, is never the law in force
        for a decision by this ruleset; None when it is the law on some date.

        The law on a date is, of the regimes the programme stands under that are in force
        on it (:meth:`may_be_in_force`, :meth:`period`), the one that took effect last (of
        two that took effect on one day, the later name), as the compiled program decides
        it. The ruleset decides every date from its ``replaces`` date on (every date
        without one). The law changes only where a period starts or ends, so those days
        (and the first the ruleset decides) are all that need looking at.
        """
        facts = self.facts
        if facts is None:
            return None
        if not self.may_be_in_force(name):
            return ir.NotTheLaw(name, "proposal")
        periods = self._law_periods()
        if name not in periods:
            return None  # not a regime the programme stands under: nothing to say
        first = facts.decides_from.toordinal() if facts.decides_from is not None else 1
        start, end = periods[name]
        if end < first:
            return ir.NotTheLaw(name, "ended", until=datetime.date.fromordinal(end),
                                since=facts.decides_from)
        days = {max(start, first)} | {
            day for s, e in periods.values() for day in (s, e + 1)
            if max(start, first) < day <= end}
        laws = {law for day in days if (law := _law_on(periods, day)) is not None}
        if name in laws:
            return None
        return ir.NotTheLaw(name, "superseded", by=tuple(sorted(laws)))

    def _law_periods(self) -> dict[str, tuple[int, int]]:
        """Each declared regime the programme stands under that may be in force, with its
        first and last day as ordinals (0 and :data:`NO_END` for no bound)."""
        facts = self.facts
        periods: dict[str, tuple[int, int]] = {}
        for name in dict.fromkeys(facts.under if facts is not None else ()):
            if name not in self.table.regimes or not self.may_be_in_force(name):
                continue
            start, end = self.period(name)
            periods[name] = (start.toordinal() if start is not None else 0,
                             end.toordinal() if end is not None else NO_END)
        return periods

    def unreachable(self, clause: ast.Permit | ast.Allow, source: str
                    ) -> tuple[ir.Unreachable, ...]:
        """Why a ``permit`` or ``allow`` that regime ``source`` declares can never fire for
        the programme, whatever the submission (empty: it can).

        A permit fires only for a submission in one of its forms (the programme's forms
        only), a clause only when a claimed unit has one of its kinds, only when its
        condition holds (:meth:`ProgrammeFacts.failing`) and only when a regime that grants
        it, one the programme stands under that extends ``source`` or is it, is the law
        (:meth:`not_the_law`). Every reason that holds is given, in that order.
        """
        facts = self.facts
        if facts is None:
            return ()
        found: list[ir.Unreachable] = []
        if isinstance(clause, ast.Permit):
            written = tuple(dict.fromkeys(f.value for f in clause.forms))
            forms = tuple(f for f in facts.forms if f in written)
            if not forms:
                found.append(ir.Unreachable("form", written, facts.forms))
            kinds: tuple[str, ...] = (clause.kind.value,)
        else:
            forms = facts.forms
            kinds = tuple(dict.fromkeys(k.value for k in clause.kinds))
        in_use = self.kinds_in_use()
        if not set(kinds) & set(in_use):
            found.append(ir.Unreachable("kind", kinds, in_use))
        never = self._never_holds(clause.when, forms)
        if never:
            found.append(ir.Unreachable("condition", never))
        granting = tuple(name for name in dict.fromkeys(facts.under)
                         if name in self.table.regimes and source in self.extends(name))
        reasons = [self.not_the_law(name) for name in granting]
        if granting and all(reasons):
            found.append(ir.Unreachable(
                "law", granting, regimes=tuple(r for r in reasons if r is not None)))
        return tuple(found)

    def rule_unreachable(self, rule: ast.Rule) -> tuple[ir.Unreachable, ...]:
        """Why a ``rule`` of the ruleset can never fire for the programme: its condition
        is False in every form of the programme (the same facts as LUK047; empty: it can
        fire)."""
        if self.facts is None:
            return ()
        never = self._never_holds(rule.when, self.facts.forms)
        return (ir.Unreachable("condition", never),) if never else ()

    def _never_holds(self, condition: ast.Condition | None, forms: tuple[str, ...]
                     ) -> tuple[str, ...]:
        """The parts of ``condition`` that make it False in each of ``forms``, as written
        (with no forms, as for a permit for none of the programme's forms: those that make
        it False whatever the form); empty when it can hold."""
        facts = self.facts
        if facts is None or condition is None:
            return ()
        found: dict[str, None] = {}
        for form in forms or (None,):
            failing = facts.failing(condition, form)
            if not failing:
                return ()
            found.update((condition_text(part), None) for part in failing)
        return tuple(found)


NO_END: Final = datetime.date.max.toordinal() + 1
"""The last day of a regime without an end, as an ordinal after every date."""


def _law_on(periods: Mapping[str, tuple[int, int]], day: int) -> str | None:
    """The regime that is the law on ``day`` (an ordinal): of those in force, the one that
    took effect last, of two that took effect on one day the later name."""
    in_force = [(start, name) for name, (start, end) in periods.items() if start <= day <= end]
    return max(in_force)[1] if in_force else None


def resolve(workspace: Workspace) -> Resolution:
    """Resolve ``workspace`` once: its declarations indexed, and what they mean.

    Files that did not parse are skipped (the parser reported them).

    Example:
        >>> from luk_rules.sources import Workspace
        >>> resolve(Workspace("empty.luk", (), ())).facts is None
        True
    """
    table = SymbolTable.build(workspace)
    unit_kinds = {name: _kind_of(unit, table).kind for name, unit in
                  ((n, decls[0]) for n, decls in table.units.items())}
    return Resolution(
        table=table,
        names=Names.of(table.declarations, table.complete),
        unit_kinds=unit_kinds,
        facts=_facts(table, unit_kinds),
    )


def _kind_of(unit: ast.Unit, table: SymbolTable) -> UnitKind:
    own = first_clause(unit, ast.Kind)
    if own is not None:
        return UnitKind(own.kind.value, from_programme=False)
    programme = table.programme
    default = first_clause(programme, ast.DefaultKind) if programme is not None else None
    if default is not None:
        return UnitKind(default.kind.value, from_programme=True)
    return UnitKind(None, from_programme=False)


def _facts(table: SymbolTable, unit_kinds: Mapping[str, ir.UnitKind]
           ) -> ProgrammeFacts | None:
    programme = table.programme
    if programme is None:
        return None
    level = first_clause(programme, ast.Level)
    opted_in = first_clause(programme, ast.OptedInOn)
    replaces = first_clause(programme, ast.Replaces)
    as_if: dict[str, datetime.date | None] = {}
    for clause in clauses_of(programme, ast.AsIf):
        as_if.setdefault(clause.regime.value, _date(clause.date))
    return ProgrammeFacts(
        programme=programme,
        file=table.programme_files[0],
        level=level.level.value if level is not None else None,
        forms=tuple(dict.fromkeys(
            f.value for clause in clauses_of(programme, ast.Forms) for f in clause.forms)),
        participates=first_clause(programme, ast.Participates) is not None,
        practice_component=first_clause(programme, ast.PracticeComponent) is not None,
        opts_in=opted_in is not None,
        opted_in=_date(opted_in.date) if opted_in is not None else None,
        recommended_route=all(
            any(r.activities for r in clauses_of(unit, ast.Recommended))
            for unit in first_of(table.units) if unit_kinds[unit.name.value] == EVL),
        under=tuple(n.value for clause in clauses_of(programme, ast.Under)
                    for n in clause.regimes),
        as_if=as_if,
        decides_from=_date(replaces.date) if replaces is not None else None,
    )
