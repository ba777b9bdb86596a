"""Static checks of a parsed ruleset: names, kinds and values, legal scope, unused parts.

The checks run on a :class:`~luk_rules.sources.Workspace` (the root file, its includes and
the law regimes it stands under). A :class:`SymbolTable` is built from it once; every check
is then a *pass*: a function with one signature, ``(workspace, table) -> diagnostics``, and
:data:`PASSES` is the tuple of them in the order they run (the order is data, as in
sqlglot's optimizer rules). :func:`check` runs them all and returns every diagnostic,
deduplicated and sorted.

Files that did not parse (``module is None``) are skipped: the parser reported them. When
such a file or an unreadable include leaves the workspace incomplete, the checks that
conclude from the *absence* of a declaration (undefined names, unassessed units, unused
evidence types, unpermitted unit kinds, programmes without units) stay silent, so one
syntax error does not cascade.

Example:
    >>> from pathlib import Path
    >>> from luk_rules.sources import load_workspace
    >>> workspace, _ = load_workspace(Path("rulesets/examples/hbo-ict-deeltijd.luk"))
    >>> check(workspace)
    []
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Literal, TypeAlias, TypeVar

import attrs

from luk_rules import ast
from luk_rules.diagnostics import Diagnostic, Label, error, sort_key, suggest, warning
from luk_rules.scoping import Names, Scope, check_fields, scoped_atoms
from luk_rules.sources import SourceFile, Workspace
from luk_rules.span import Span

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

_ARTICLE: dict[DeclKind, str] = {
    "programme": "a programme",
    "evidence type": "an evidence type",
    "unit": "a unit",
    "assessment": "an assessment",
    "law regime": "a law regime",
    "rule": "a rule",
}

_D = TypeVar("_D", ast.EvidenceType, ast.Unit, ast.Assessment, ast.Regime, ast.Rule)
_C = TypeVar("_C")


def _quoted(words: Sequence[str]) -> str:
    """`a`, `b` and `c`."""
    items = [f"`{w}`" for w in words]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ---------------------------------------------------------------- symbol table


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
                for outcome in _clauses(decl, ast.Outcome):
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
        return _first(programme, ast.DefaultKind) if programme is not None else None

    def unit_kind(self, unit: ast.Unit) -> tuple[str, bool] | None:
        """The unit's kind as written (its own ``kind`` or the programme default).

        Returns the kind and whether it came from the programme default, or None.
        """
        own = _first(unit, ast.Kind)
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


# ---------------------------------------------------------------- AST helpers

_Decl: TypeAlias = (
    ast.Programme | ast.ExamProgramme | ast.EvidenceType | ast.Unit | ast.Assessment | ast.Regime
)


def _clauses(decl: _Decl, cls: type[_C]) -> list[_C]:
    return [c for c in decl.clauses if isinstance(c, cls)]


def _first(decl: _Decl, cls: type[_C]) -> _C | None:
    for clause in decl.clauses:
        if isinstance(clause, cls):
            return clause
    return None


def _atoms(condition: ast.Condition) -> Iterator[ast.Condition]:
    """Every condition node inside ``condition`` (itself included), without recursion."""
    stack: list[ast.Condition] = [condition]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.Or | ast.And):
            stack.extend(reversed(node.items))
        elif isinstance(node, ast.Not):
            stack.append(node.item)


def _conditions(table: SymbolTable) -> Iterator[ast.Condition]:
    """Every condition node of every rule, permit and allow."""
    for decl in table.declarations:
        if isinstance(decl, ast.Rule):
            yield from _atoms(decl.when)
        elif isinstance(decl, ast.Regime):
            for clause in decl.clauses:
                if isinstance(clause, ast.Permit | ast.Allow) and clause.when is not None:
                    yield from _atoms(clause.when)


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
        period = _first(regime, ast.Period)
        if period is not None and period.kind == "proposal" and name not in in_force:
            continue
        for clause in regime.clauses:
            if isinstance(clause, ast.Permit):
                permits.update((clause.kind.value, form.value) for form in clause.forms)
            elif isinstance(clause, ast.Extends):
                stack.append(clause.regime.value)
    return seen, permits


# ---------------------------------------------------------------- references


@attrs.frozen
class Reference:
    """A name that must be declared as ``kind``; ``place`` says where it was written."""

    name: ast.Name
    kind: DeclKind
    place: str


def references(table: SymbolTable) -> Iterator[Reference]:
    """Every reference to a declaration in the workspace, in reading order."""
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            for clause in decl.clauses:
                if isinstance(clause, ast.Under):
                    for name in clause.regimes:
                        yield Reference(name, "law regime", "`under` lists law regimes")
                elif isinstance(clause, ast.AsIf):
                    yield Reference(clause.regime, "law regime", "`as if` names a law regime")
        elif isinstance(decl, ast.Unit):
            for accepts in _clauses(decl, ast.Accepts):
                for name in accepts.types:
                    yield Reference(name, "evidence type", "`accepts` lists evidence types")
            for narrowed in _clauses(decl, ast.OutcomeAccepts):
                for name in narrowed.types:
                    yield Reference(name, "evidence type",
                                    "`outcome ... accepts` lists evidence types")
        elif isinstance(decl, ast.Assessment):
            for assesses in _clauses(decl, ast.Assesses):
                for name in assesses.units:
                    yield Reference(name, "unit", "`assesses` lists units")
        elif isinstance(decl, ast.Regime):
            for extends in _clauses(decl, ast.Extends):
                yield Reference(extends.regime, "law regime", "`extends` names a law regime")
        elif isinstance(decl, ast.ExamProgramme):
            for names, place in _exam_lists(decl):
                for name in names:
                    yield Reference(name, "unit", place)
    for node in _conditions(table):
        if isinstance(node, ast.UnitClaimed):
            yield Reference(node.unit, "unit", "`unit ... is claimed` names a unit")
        elif isinstance(node, ast.AssessmentIs):
            yield Reference(
                node.assessment, "assessment", "`assessment is ...` names an assessment"
            )
        elif isinstance(node, ast.EvidenceQuantified):
            for name in node.types:
                yield Reference(name, "evidence type", "`evidence is ...` names evidence types")
        elif isinstance(node, ast.CountEvidence):
            for name in node.types:
                yield Reference(
                    name, "evidence type", "`number of evidence of type` names evidence types"
                )


def _exam_lists(decl: ast.ExamProgramme) -> Iterator[tuple[tuple[ast.Name, ...], str]]:
    """The unit lists of an exam programme, with how each is written."""
    for clause in decl.clauses:
        if isinstance(clause, ast.Required):
            yield clause.units, "`required` lists units"
        elif isinstance(clause, ast.ChooseUnits | ast.ChooseCredits):
            yield clause.units, "`choose ... of` lists units"
        elif isinstance(clause, ast.Entry):
            yield (clause.unit,), "`... only after` starts with a unit"
            yield clause.after, "`only after` lists units"


def _name_lists(table: SymbolTable) -> Iterator[tuple[tuple[ast.Name, ...], str]]:
    """Every list of names, with how the list is written."""
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            for clause in decl.clauses:
                if isinstance(clause, ast.Forms):
                    yield clause.forms, "form"
                elif isinstance(clause, ast.Under):
                    yield clause.regimes, "under"
        elif isinstance(decl, ast.Unit):
            for unit_clause in decl.clauses:
                if isinstance(unit_clause, ast.Accepts):
                    yield unit_clause.types, "accepts"
                elif isinstance(unit_clause, ast.Recommended):
                    yield unit_clause.activities, "recommended activity"
                elif isinstance(unit_clause, ast.OutcomeAccepts):
                    yield unit_clause.types, "outcome ... accepts"
        elif isinstance(decl, ast.Assessment):
            for assesses in _clauses(decl, ast.Assesses):
                yield assesses.units, "assesses"
        elif isinstance(decl, ast.ExamProgramme):
            for exam_clause in decl.clauses:
                if isinstance(exam_clause, ast.Grounds):
                    yield exam_clause.grounds, "exemptions on grounds"
            for names, place in _exam_lists(decl):
                if "starts with" not in place:
                    yield names, place.split("`")[1]
        elif isinstance(decl, ast.Regime):
            for regime_clause in decl.clauses:
                if isinstance(regime_clause, ast.Permit):
                    yield regime_clause.forms, "permit ... for"
                elif isinstance(regime_clause, ast.Allow):
                    yield regime_clause.combinations, "allow combination"
                    yield regime_clause.kinds, "allow combination ... for"
    for node in _conditions(table):
        if isinstance(node, ast.EvidenceQuantified):
            yield node.types, "evidence is one of"
        elif isinstance(node, ast.CountEvidence):
            yield node.types, "number of evidence of type"
        elif isinstance(node, ast.CombinationIs):
            yield node.combinations, "combination is one of"
        elif isinstance(node, ast.FormIs):
            yield node.forms, "form is one of"


# ---------------------------------------------------------------- passes

Pass: TypeAlias = Callable[[Workspace, SymbolTable], Iterable[Diagnostic]]


def check_programme_count(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK013: a ruleset describes exactly one programme."""
    if not table.programmes:
        return
    first = table.programmes[0]
    for extra in table.programmes[1:]:
        yield error(
            "LUK013",
            f"a ruleset describes one programme, but `{extra.code.value}` is a second one",
            extra.code.span,
            hint="put each programme variant in its own file and share units with `include`",
            labels=[Label(first.code.span, f"the first programme, `{first.code.value}`")],
        )


def check_duplicates(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK011, LUK012: a name is declared once per kind, an outcome id once per unit."""
    kinds: tuple[tuple[DeclKind, Mapping[str, Sequence[ast.Declaration]]], ...] = (
        ("evidence type", table.evidence),
        ("unit", table.units),
        ("assessment", table.assessments),
        ("law regime", table.regimes),
        ("rule", table.rules),
    )
    for kind, index in kinds:
        for name, decls in index.items():
            first = _decl_name(decls[0])
            for again in decls[1:]:
                yield error(
                    "LUK011",
                    f"{kind} `{name}` is declared more than once",
                    _decl_name(again).span,
                    hint=f"remove the second declaration or give it another name than `{name}`",
                    labels=[Label(first.span, "first declared here")],
                )
    for decl in table.declarations:
        if not isinstance(decl, ast.Unit):
            continue
        seen: dict[str, ast.Outcome] = {}
        for outcome in _clauses(decl, ast.Outcome):
            earlier = seen.setdefault(outcome.id.value, outcome)
            if earlier is not outcome:
                yield error(
                    "LUK012",
                    f"outcome `{outcome.id.value}` of unit `{decl.name.value}` "
                    "is declared more than once",
                    outcome.id.span,
                    hint="give every outcome of a unit its own id",
                    labels=[Label(earlier.id.span, "first declared here")],
                )


def _decl_name(decl: ast.Declaration) -> ast.Name:
    if isinstance(decl, ast.Include):  # pragma: no cover - never indexed
        return ast.Name(decl.path.value, span=decl.span)
    if isinstance(decl, ast.Programme):
        return decl.code
    if isinstance(decl, ast.ExamProgramme):
        return ast.Name(decl.title.value, span=decl.title.span)
    return decl.name


def check_repeated_names(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK014: a list names each thing once."""
    for names, written in _name_lists(table):
        seen: dict[str, ast.Name] = {}
        for name in names:
            earlier = seen.setdefault(name.value, name)
            if earlier is not name:
                yield error(
                    "LUK014",
                    f"`{name.value}` is listed more than once in `{written}`",
                    name.span,
                    hint=f"remove the second `{name.value}`",
                    labels=[Label(earlier.span, "first listed here")],
                )


def check_reserved_rule_names(workspace: Workspace, table: SymbolTable
                              ) -> Iterator[Diagnostic]:
    """LUK015: a rule does not take the name of a built-in finding."""
    for name, decls in table.rules.items():
        if name in ast.BUILT_IN_FINDINGS:
            for decl in decls:
                yield error(
                    "LUK015",
                    f"`{name}` is the code of a built-in finding; a rule cannot take it",
                    decl.name.span,
                    hint=f"give the rule a name of its own, such as `{name}-oer`",
                )


def check_references(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK020, LUK010: every referenced name is declared, and as the right kind."""
    for ref in references(table):
        name = ref.name.value
        if table.declares(ref.kind, name):
            continue
        close = suggest(name, table.names(ref.kind))
        did_you_mean = f"did you mean `{close}`?" if close else None
        other = [k for k in table.kinds_of(name) if k != ref.kind]
        if other:
            yield error(
                "LUK020",
                f"`{name}` is {_ARTICLE[other[0]]}, not {_ARTICLE[ref.kind]}",
                ref.name.span,
                hint=f"{ref.place}; {did_you_mean}" if did_you_mean else ref.place,
            )
        elif table.complete:
            yield error(
                "LUK010",
                f"undefined {ref.kind} `{name}`",
                ref.name.span,
                hint=did_you_mean or _declare_hint(ref.kind, name),
            )


def _declare_hint(kind: DeclKind, name: str) -> str:
    if kind == "law regime":
        return (f"declare it with `regime {name} \"...\"`, or put `{name}.luk` in the "
                "`law` folder")
    keyword = {"evidence type": "evidence", "unit": "unit", "assessment": "assessment"}.get(
        kind, kind
    )
    return f"declare it: `{keyword} {name} \"...\"`"


def check_dates(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK021: dates are calendar dates, and a period does not end before it starts."""
    for date in _dates(table):
        if _parse_date(date) is None:
            yield error(
                "LUK021",
                f"`{date.value}` is not a calendar date",
                date.span,
                hint="write an existing date as YYYY-MM-DD, e.g. `2025-02-28`",
            )
    for decl in table.declarations:
        if not isinstance(decl, ast.Regime):
            continue
        for period in _clauses(decl, ast.Period):
            if period.start is None or period.end is None:
                continue
            start, end = _parse_date(period.start), _parse_date(period.end)
            if start is not None and end is not None and end < start:
                yield error(
                    "LUK021",
                    f"regime `{decl.name.value}` ends on {period.end.value}, "
                    f"before it comes into force on {period.start.value}",
                    period.end.span,
                    hint="the `until` date must be on or after the `from` date",
                    labels=[Label(period.start.span, "in force from here")],
                )


def _parse_date(date: ast.DateLit) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(date.value)
    except ValueError:
        return None


def _dates(table: SymbolTable) -> Iterator[ast.DateLit]:
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            for clause in decl.clauses:
                if isinstance(clause, ast.AsIf | ast.OptedInOn | ast.Replaces):
                    yield clause.date
        elif isinstance(decl, ast.Regime):
            for period in _clauses(decl, ast.Period):
                if period.start is not None:
                    yield period.start
                if period.end is not None:
                    yield period.end
    for node in _conditions(table):
        if isinstance(node, ast.Submitted):
            yield node.date


def check_numbers(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK022, LUK023, LUK024: credits, ages and item/unit counts are positive."""
    for decl in table.declarations:
        if not isinstance(decl, ast.Programme | ast.EvidenceType | ast.Unit | ast.Assessment):
            continue
        for clause in decl.clauses:
            if isinstance(clause, ast.Credits) and clause.credits.value <= 0:
                yield error(
                    "LUK022",
                    f"unit `{_decl_name(decl).value}` has {clause.credits.value} credits",
                    clause.credits.span,
                    hint="write the unit's study load in EC, more than 0, e.g. `credits 5`",
                )
            elif isinstance(clause, ast.MaxAge | ast.DefaultMaxAge) and (
                clause.age.amount.value <= 0
            ):
                written = "max evidence age" if isinstance(clause, ast.DefaultMaxAge) else (
                    "max age")
                yield error(
                    "LUK023",
                    f"a maximum age of {clause.age.amount.value} {clause.age.unit} "
                    "lets no evidence count",
                    clause.age.amount.span,
                    hint=f"write a positive age, e.g. `{written} 2 years`, or leave the "
                    "clause out",
                )
            elif isinstance(clause, ast.MinItems) and clause.count.value <= 0:
                yield error(
                    "LUK024",
                    f"`at least {clause.count.value} items per outcome` asks for no evidence",
                    clause.count.span,
                    hint="every outcome needs at least one item; leave the clause out for "
                    "the default of 1",
                )
            elif isinstance(clause, ast.MaxUnits) and clause.count.value <= 0:
                yield error(
                    "LUK024",
                    f"`at most {clause.count.value} units at once` lets the assessment "
                    "assess no unit",
                    clause.count.span,
                    hint="write a positive number, or leave the clause out for no maximum",
                )
    for exam in (d for d in table.declarations if isinstance(d, ast.ExamProgramme)):
        for exam_clause in _clauses(exam, ast.Validity):
            if exam_clause.age.amount.value <= 0:
                yield error(
                    "LUK023",
                    f"results valid for {exam_clause.age.amount.value} {exam_clause.age.unit} "
                    "would let no result count",
                    exam_clause.age.amount.span,
                    hint="write a positive period, e.g. `results valid for 6 years`, or leave "
                    "the clause out: results then never expire",
                )


def check_vocabulary(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK025-LUK028: unit kinds, forms, levels and combinations are known words."""
    words: list[tuple[ast.Name, str]] = []
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            for clause in decl.clauses:
                if isinstance(clause, ast.Level):
                    words.append((clause.level, "level"))
                elif isinstance(clause, ast.Forms):
                    words.extend((f, "form") for f in clause.forms)
                elif isinstance(clause, ast.DefaultKind):
                    words.append((clause.kind, "kind"))
        elif isinstance(decl, ast.Unit):
            words.extend((k.kind, "kind") for k in _clauses(decl, ast.Kind))
        elif isinstance(decl, ast.Regime):
            for regime_clause in decl.clauses:
                if isinstance(regime_clause, ast.Permit):
                    words.append((regime_clause.kind, "kind"))
                    words.extend((f, "form") for f in regime_clause.forms)
                elif isinstance(regime_clause, ast.Allow):
                    words.extend((c, "combination") for c in regime_clause.combinations)
                    words.extend((k, "kind") for k in regime_clause.kinds)
    for node in _conditions(table):
        if isinstance(node, ast.FormIs):
            words.extend((f, "form") for f in node.forms)
        elif isinstance(node, ast.CombinationIs):
            words.extend((c, "combination") for c in node.combinations)
        elif isinstance(node, ast.LevelIs):
            words.append((node.level, "level or family"))
    for name, what in words:
        yield from _vocabulary_word(name, what)


_VOCABULARY: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "kind": ("LUK025", "unit kind", UNIT_KINDS),
    "form": ("LUK026", "form", FORMS),
    "level": ("LUK027", "level", LEVELS),
    "level or family": ("LUK027", "level", (*LEVELS, *LEVEL_FAMILIES)),
    "combination": ("LUK028", "combination", COMBINATIONS),
}


def _vocabulary_word(name: ast.Name, what: str) -> Iterator[Diagnostic]:
    code, noun, known = _VOCABULARY[what]
    if name.value in known:
        return
    close = suggest(name.value, known)
    hint = f"did you mean `{close}`?" if close else f"the {noun}s are {_quoted(known)}"
    yield error(code, f"unknown {noun} `{name.value}`", name.span, hint=hint)


def check_required_clauses(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK029: every declaration has the clauses it cannot do without."""
    for decl in table.declarations:
        if isinstance(decl, ast.Programme):
            yield from _missing(decl, decl.code, "programme", (
                (ast.Level, "`level`", "add `level hbo-bachelor` (or another level)"),
                (ast.Forms, "`form`", "add `form deeltijd` (or `voltijd`, `duaal`)"),
                (ast.Institution, "`institution`", 'add `institution "Hogeschool ..."`'),
                (ast.Under, "`under`",
                 "add the law regimes it stands under, e.g. `under whw, wet-leeruitkomsten`"),
            ))
        elif isinstance(decl, ast.Unit):
            yield from _missing(decl, decl.name, "unit", (
                (ast.Credits, "`credits`", "add the study load in EC, e.g. `credits 5`"),
                (ast.Outcome, "`outcome`", 'add at least one `outcome 1 "..."`'),
                (ast.Accepts, "`accepts`",
                 "add the evidence types that count, e.g. `accepts beroepsproduct`"),
            ))
            if table.programme is not None and table.unit_kind(decl) is None:
                yield error(
                    "LUK029",
                    f"unit `{decl.name.value}` has no `kind` and the programme no `units are`",
                    decl.name.span,
                    hint=f"add `kind {ONDERWIJSEENHEID}` or `kind {EVL}` to the unit, or "
                    f"`units are {ONDERWIJSEENHEID}` to the programme",
                )
        elif isinstance(decl, ast.Assessment):
            yield from _missing(decl, decl.name, "assessment", (
                (ast.Method, "method (`portfolio` or `exam`)",
                 "add `portfolio` (prior evidence is assessed) or `exam` (no prior evidence)"),
                (ast.PathClause, "path (`path-independent` or `path-dependent`)",
                 "add `path-independent` or `path-dependent`"),
            ))
        elif isinstance(decl, ast.Regime):
            yield from _missing(decl, decl.name, "regime", (
                (ast.Period, "period (`in force ...` or `proposal`)",
                 "add `in force always`, `in force from YYYY-MM-DD [until YYYY-MM-DD]` "
                 "or `proposal`"),
                (ast.Basis, "`basis`", 'add the legal basis it rests on: `basis "..."`'),
            ))


def _missing(
    decl: _Decl,
    name: ast.Name,
    noun: str,
    required: Sequence[tuple[type, str, str]],
) -> Iterator[Diagnostic]:
    for cls, written, hint in required:
        if _first(decl, cls) is None:
            yield error(
                "LUK029", f"{noun} `{name.value}` has no {written}", name.span, hint=hint
            )


# Clauses that may appear once, per declaration type: clause class -> (how it is written,
# a hint). ``None`` as hint means "keep one of them".
_ONCE: dict[type, dict[type, tuple[str, str | None]]] = {
    ast.Programme: {
        ast.Level: ("`level`", None),
        ast.Forms: ("`form`", "list every form in one clause: `form deeltijd, duaal`"),
        ast.Institution: ("`institution`", None),
        ast.Participates: ("`participates in experiment`", None),
        ast.Under: ("`under`", "list every regime in one clause: `under whw, ...`"),
        ast.OptedInOn: ("`opted in`", None),
        ast.Replaces: ("`replaces`", None),
        ast.DefaultKind: ("`units are`", None),
        ast.DefaultMaxAge: ("`max evidence age`", None),
        ast.MinItems: ("`at least ... items per outcome`", None),
    },
    ast.Unit: {
        ast.Credits: ("`credits`", None),
        ast.Kind: ("`kind`", None),
        ast.Accepts: ("`accepts`", "list every evidence type in one `accepts` clause"),
        ast.Recommended: (
            "`recommended activity`",
            "list every activity in one clause: `recommended activity a, b`",
        ),
        ast.MaxAge: ("`max age`", None),
        ast.MinItems: ("`at least ... items per outcome`", None),
    },
    ast.EvidenceType: {
        ast.MaxAge: ("`max age`", None),
        ast.NeedsVerification: ("`needs verification`", None),
    },
    ast.Assessment: {
        ast.Method: ("the method (`portfolio` or `exam`)", None),
        ast.PathClause: ("the path (`path-independent` or `path-dependent`)", None),
        ast.Assesses: ("`assesses`", "list every unit in one `assesses` clause"),
        ast.MaxUnits: ("`at most ... units at once`", None),
    },
    ast.Regime: {
        ast.Period: ("the period (`in force ...` or `proposal`)", None),
        ast.Extends: ("`extends`", None),
        ast.Basis: ("`basis`", None),
    },
    ast.ExamProgramme: {
        ast.Required: ("`required`", "list every required unit in one clause"),
        ast.Diploma: ("`diploma`", None),
        ast.Validity: ("`results valid for`", None),
        ast.Grounds: ("`exemptions on grounds`", "list every ground in one clause"),
        ast.ExemptionLimit: ("`exemptions count for at most`", None),
        ast.Basis: ("`basis`", None),
    },
}

_NOUN: dict[type, str] = {
    ast.Programme: "programme",
    ast.Unit: "unit",
    ast.EvidenceType: "evidence type",
    ast.Assessment: "assessment",
    ast.Regime: "regime",
    ast.ExamProgramme: "exam programme",
}


def check_repeated_clauses(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK030: a clause that may appear once in a declaration appears once."""
    for decl in table.declarations:
        if isinstance(decl, ast.Include | ast.Rule | ast.Field):
            continue
        once = _ONCE.get(type(decl), {})
        name = _decl_name(decl).value
        noun = _NOUN.get(type(decl), "declaration")
        firsts: dict[object, object] = {}
        for clause in decl.clauses:
            key: object
            if isinstance(clause, ast.AsIf):
                key = ("as if", clause.regime.value)
                written = f"`as if {clause.regime.value}`"
                hint: str | None = None
            elif type(clause) in once:
                key = type(clause)
                written, hint = once[type(clause)]
            else:
                continue
            first = firsts.setdefault(key, clause)
            if first is clause:
                continue
            yield error(
                "LUK030",
                f"{written} appears more than once in {noun} `{name}`",
                _span_of(clause),
                hint=hint or "keep one of them",
                labels=[Label(_span_of(first), "first given here")],
            )


def _span_of(node: object) -> Span:
    span = getattr(node, "span", None)
    return span if isinstance(span, Span) else Span.unknown()


def check_unassessed_units(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK031: in a programme, every unit is assessed by some assessment."""
    if table.programme is None or not table.complete:
        return
    assessed = {
        name.value
        for decls in table.assessments.values()
        for decl in decls
        for clause in _clauses(decl, ast.Assesses)
        for name in clause.units
    }
    for name, units in table.units.items():
        if name not in assessed:
            yield error(
                "LUK031",
                f"no assessment assesses unit `{name}`",
                units[0].name.span,
                hint=f"add `{name}` to an assessment's `assesses`, or declare one: "
                f"`assessment {name}-T \"...\" portfolio path-independent assesses {name}`",
            )


def check_as_if(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK032: `as if R` names a regime the programme stands under."""
    for programme in table.programmes:
        under = {n.value for c in _clauses(programme, ast.Under) for n in c.regimes}
        for as_if in _clauses(programme, ast.AsIf):
            name = as_if.regime.value
            if name in under or name not in table.regimes:
                continue  # an undefined regime is reported as LUK010/LUK020
            yield error(
                "LUK032",
                f"`as if {name}` names a regime the programme does not stand under",
                as_if.regime.span,
                hint=f"add `{name}` to the programme's `under` list",
            )


def check_exam_programme(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK036-LUK039, LUK044-LUK045: cycles, reachable credits, exemption limit, basis."""
    exams = [d for d in table.declarations if isinstance(d, ast.ExamProgramme)]
    for extra in exams[1:]:
        yield error("LUK036", "a ruleset has one exam programme; this is a second one",
                    extra.title.span, hint="merge the clauses into the first exam programme",
                    labels=[Label(exams[0].title.span, "first declared here")])
    for exam in exams[:1]:
        yield from _entry_cycles(exam)
        yield from _credits_reachable(exam, table)
        yield from _exemption_limit(exam)
        yield from _exam_basis(exam)


def _exemption_limit(exam: ast.ExamProgramme) -> Iterator[Diagnostic]:
    """LUK044: a share of the diploma needs a `diploma` clause and is 1-99%; a limit in
    credits below the diploma's."""
    limit = _first(exam, ast.ExemptionLimit)
    if limit is None:
        return
    diploma = _first(exam, ast.Diploma)
    amount = limit.amount.value
    if limit.share and diploma is None:
        yield error("LUK044", "a share of the diploma credits, but the exam programme has no "
                    "`diploma N credits`", limit.span,
                    hint="add `diploma N credits`, or give the limit in credits: "
                    "`exemptions count for at most N credits`")
    elif limit.share and not 0 < amount < 100:
        yield error("LUK044", f"a limit of {amount}% of the diploma credits "
                    + ("lets no exemption count" if amount == 0 else "limits nothing"),
                    limit.amount.span, hint="write a share from 1 to 99%")
    elif not limit.share and diploma is not None and amount >= diploma.credits.value:
        yield error("LUK044", f"exemptions may count for {amount} credits, but the diploma "
                    f"needs only {diploma.credits.value}: the limit limits nothing",
                    limit.amount.span,
                    hint=f"write fewer than {diploma.credits.value} credits, or leave the "
                    "clause out")


def _exam_basis(exam: ast.ExamProgramme) -> Iterator[Diagnostic]:
    """LUK045 (warning): the exam programme has no `basis` of its own while one of its
    clauses has one: a `basis` right after a clause that takes one is that clause's."""
    if _first(exam, ast.Basis) is not None:
        return
    for clause in exam.clauses:
        if isinstance(clause, ast.Validity | ast.Grounds | ast.ExemptionLimit) and clause.basis:
            yield warning(
                "LUK045",
                "the exam programme has no `basis` of its own: this `basis` belongs to the "
                "clause before it, and every other finding of the exam programme cites "
                f"`OER {exam.title.value}`", clause.basis.span,
                hint="write the exam programme's `basis` right after its title")
            return


def _credits(table: SymbolTable, name: str) -> int | None:
    unit = table.unit(name)
    clause = _first(unit, ast.Credits) if unit is not None else None
    return clause.credits.value if clause is not None else None


def _entry_cycles(exam: ast.ExamProgramme) -> Iterator[Diagnostic]:
    after: dict[str, list[str]] = {}
    where: dict[str, ast.Entry] = {}
    for clause in _clauses(exam, ast.Entry):
        after.setdefault(clause.unit.value, []).extend(n.value for n in clause.after)
        where.setdefault(clause.unit.value, clause)
    reported: set[frozenset[str]] = set()
    for start in sorted(after):
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        while stack:
            unit, path = stack.pop()
            for before in after.get(unit, ()):
                if before == start:
                    cycle = frozenset(path)
                    if cycle not in reported:
                        reported.add(cycle)
                        chain = " -> ".join((*path, start))
                        yield error(
                            "LUK037",
                            f"entry requirements form a cycle: {chain}",
                            where[start].span,
                            hint="a unit cannot wait for a unit that waits for it; "
                                 "remove one of the requirements")
                elif before not in path:
                    stack.append((before, (*path, before)))


def _credits_reachable(exam: ast.ExamProgramme, table: SymbolTable) -> Iterator[Diagnostic]:
    if not table.complete:
        return
    diploma = _first(exam, ast.Diploma)
    all_credits = {name: _credits(table, name) for name in table.units}
    known = {n: c for n, c in all_credits.items() if c is not None}
    if diploma is not None:
        wanted = diploma.credits.value
        total = sum(known.values())
        required = {n.value for c in _clauses(exam, ast.Required) for n in c.units}
        required_credits = sum(known.get(n, 0) for n in required)
        if total < wanted:
            yield error(
                "LUK038",
                f"the diploma needs {wanted} credits, but all units together have {total}",
                diploma.span, hint="add units, or correct the credits of the diploma")
        elif required_credits > wanted:
            yield error(
                "LUK038",
                f"the required units alone have {required_credits} credits, more than the "
                f"{wanted} the diploma needs",
                diploma.span, hint="correct the diploma's credits or the required units")
    for clause in exam.clauses:
        if isinstance(clause, ast.ChooseUnits):
            members = {n.value for n in clause.units}
            if clause.count.value > len(members):
                yield error(
                    "LUK039",
                    f"the group asks for at least {clause.count.value} units of "
                    f"{len(members)}: it can never be satisfied",
                    clause.count.span, hint=f"ask for at most {len(members)}")
            elif clause.count.value <= 0:
                yield error("LUK039",
                            f"an elective group of at least {clause.count.value} units asks "
                            "for nothing", clause.count.span, hint="write a number of 1 or more")
        elif isinstance(clause, ast.ChooseCredits):
            members = {n.value for n in clause.units}
            reachable = sum(known.get(n, 0) for n in members)
            if clause.credits.value <= 0:
                yield error("LUK039",
                            f"an elective group of at least {clause.credits.value} credits "
                            "asks for nothing", clause.credits.span,
                            hint="write a number of 1 or more")
            elif clause.credits.value > reachable:
                yield error(
                    "LUK039",
                    f"the group asks for at least {clause.credits.value} credits, but its "
                    f"units have {reachable} together: it can never be satisfied",
                    clause.credits.span, hint=f"ask for at most {reachable} credits")


def check_extends_cycles(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK033: `extends` never leads back to where it started."""
    reported: set[frozenset[str]] = set()
    for start in table.regimes:
        first = table.regime(start)
        start_extends = _first(first, ast.Extends) if first is not None else None
        if start_extends is None:
            continue
        chain = [start]
        current: ast.Extends | None = start_extends
        while current is not None and current.regime.value not in chain:
            chain.append(current.regime.value)
            regime = table.regime(current.regime.value)
            current = _first(regime, ast.Extends) if regime is not None else None
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


def check_max_units(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK034: `at most N units at once` is not more than the units assessed."""
    for decl in table.declarations:
        if not isinstance(decl, ast.Assessment):
            continue
        units = {n.value for c in _clauses(decl, ast.Assesses) for n in c.units}
        limit = _first(decl, ast.MaxUnits)
        if limit is None or not units or limit.count.value <= len(units):
            continue
        yield warning(
            "LUK034",
            f"assessment `{decl.name.value}` takes at most {limit.count.value} units at once "
            f"but assesses only {len(units)}",
            limit.count.span,
            hint=f"write `at most {len(units)} units at once`, or leave the clause out",
        )


def check_path_independence(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK040: an eenheid-van-leeruitkomsten is assessed only path-independently."""
    for decl in table.declarations:
        if not isinstance(decl, ast.Assessment):
            continue
        path = _first(decl, ast.PathClause)
        if path is None or path.independent:
            continue
        done: set[str] = set()
        for name in (n for c in _clauses(decl, ast.Assesses) for n in c.units):
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
    under = [n.value for c in _clauses(programme, ast.Under) for n in c.regimes]
    if not under or any(name not in table.regimes for name in under):
        return  # nothing to go on, or an undefined regime (reported elsewhere)
    as_if = {c.regime.value for c in _clauses(programme, ast.AsIf)}
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
        period = _first(regime, ast.Period)
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
    under = [n.value for c in _clauses(programme, ast.Under) for n in c.regimes]
    if not under or any(name not in table.regimes for name in under):
        return
    as_if = {c.regime.value for c in _clauses(programme, ast.AsIf)}
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
    period = _first(regime, ast.Period) if regime is not None else None
    return period is None or period.kind != "proposal" or name in as_if


def _permits_of(table: SymbolTable, name: str) -> list[ast.Permit]:
    regime = table.regime(name)
    return _clauses(regime, ast.Permit) if regime is not None else []


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
    for clause in _clauses(programme, ast.Forms):
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
        level = _first(programme, ast.Level)
        self.level = level.level.value if level is not None else None
        self.form = form
        self.opted_in = _first(programme, ast.OptedInOn) is not None
        self.participates = _first(programme, ast.Participates) is not None

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
        for node in _atoms(condition):
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
                found.append(f"only for form {_quoted([f.value for f in node.forms])}")
        return found


def check_empty_files(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK052 (warning): a file declares something (an empty file is often a cut-off one)."""
    for source in workspace.files:
        if source.module is not None and not source.module.declarations:
            yield warning(
                "LUK052",
                "this file declares nothing",
                Span(source.path, 1, 1, 1, 2),
                hint="write the declarations of the ruleset, or remove the file",
            )


def check_programme_units(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK053 (warning): a programme has units."""
    if table.complete and not table.units:
        for programme in table.programmes[:1]:
            yield warning(
                "LUK053",
                f"programme `{programme.code.value}` has no units",
                programme.code.span,
                hint='declare its units, or include the file that does: `include "..."`',
            )


def check_recommended_route(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK042: every eenheid-van-leeruitkomsten keeps a recommended activity."""
    for decl in table.declarations:
        if not isinstance(decl, ast.Unit) or _first(decl, ast.Recommended) is not None:
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


def check_unused_evidence(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK050 (warning): every evidence type is accepted by some unit."""
    if not table.complete:
        return
    accepted = {
        name.value
        for decl in table.declarations
        if isinstance(decl, ast.Unit)
        for clause in _clauses(decl, ast.Accepts)
        for name in clause.types
    }
    for name, decls in table.evidence.items():
        if name not in accepted:
            yield warning(
                "LUK050",
                f"no unit accepts evidence type `{name}`",
                decls[0].name.span,
                hint=f"add `{name}` to a unit's `accepts`, or remove the declaration",
            )


def check_idle_assessments(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK051 (warning): every assessment assesses some unit."""
    for decl in table.declarations:
        if isinstance(decl, ast.Assessment) and _first(decl, ast.Assesses) is None:
            yield warning(
                "LUK051",
                f"assessment `{decl.name.value}` assesses no unit",
                decl.name.span,
                hint="add the units it assesses: `assesses <unit>, ...`",
            )


def check_scoped_rules(workspace: Workspace, table: SymbolTable) -> Iterator[Diagnostic]:
    """LUK070-LUK075: binders, `where` names, values and placeholders of rules resolve."""
    names = Names.of(table.declarations, table.complete)
    yield from check_fields(table.declarations)
    for decl in table.declarations:
        if isinstance(decl, ast.Rule):
            scope = Scope.of_rule(decl, names)
            for atom in scoped_atoms(decl.when):
                scope.atom(atom)
            yield from scope.diagnostics
        elif isinstance(decl, ast.Regime):
            for clause in decl.clauses:
                if isinstance(clause, ast.Permit | ast.Allow) and clause.when is not None:
                    bare = Scope.bare(names)
                    for atom in scoped_atoms(clause.when):
                        bare.atom(atom)
                    yield from bare.diagnostics


def check_outcome_requirements(workspace: Workspace, table: SymbolTable
                               ) -> Iterator[Diagnostic]:
    """LUK076, LUK077: outcome requirements name an outcome, narrow types, raise minimums."""
    programme = table.programme
    default = _first(programme, ast.MinItems) if programme is not None else None
    for decl in table.declarations:
        if not isinstance(decl, ast.Unit):
            continue
        ids = [o.id.value for o in _clauses(decl, ast.Outcome)]
        accepted = {n.value for c in _clauses(decl, ast.Accepts) for n in c.types}
        own = _first(decl, ast.MinItems) or default
        minimum = own.count.value if own is not None else 1
        seen: dict[tuple[type, str], ast.OutcomeAccepts | ast.OutcomeMinItems] = {}
        for clause in decl.clauses:
            if not isinstance(clause, ast.OutcomeAccepts | ast.OutcomeMinItems):
                continue
            outcome = clause.id.value
            unit = decl.name.value
            if outcome not in ids:
                close = suggest(outcome, ids)
                yield error(
                    "LUK076", f"unit `{unit}` has no outcome `{outcome}`", clause.id.span,
                    hint=f"did you mean `{close}`?" if close else
                    f"declare it first: `outcome {outcome} \"...\"`; the unit's outcomes "
                    f"are {_quoted(ids) or 'none'}")
                continue
            first = seen.setdefault((type(clause), outcome), clause)
            if first is not clause:
                written = "accepts" if isinstance(clause, ast.OutcomeAccepts) else "needs"
                yield error("LUK030", f"`outcome {outcome} {written}` appears more than once "
                            f"in unit `{unit}`", clause.span,
                            hint="keep one of them", labels=[Label(first.span, "first given here")])
                continue
            if isinstance(clause, ast.OutcomeAccepts):
                for name in clause.types:
                    if name.value in accepted or name.value not in table.evidence:
                        continue
                    yield error(
                        "LUK077", f"outcome {outcome} accepts `{name.value}`, which unit "
                        f"`{unit}` does not accept", name.span,
                        hint=f"an outcome can only narrow its unit's types: add "
                        f"`{name.value}` to the unit's `accepts`, or leave it out here")
            elif clause.count.value <= 0:
                yield error("LUK024", f"`outcome {outcome} needs at least {clause.count.value} "
                            "items` asks for no evidence", clause.count.span,
                            hint="write 1 or more, or leave the clause out")
            elif clause.count.value < minimum:
                yield error(
                    "LUK077", f"outcome {outcome} needs at least {clause.count.value} "
                    f"{'item' if clause.count.value == 1 else 'items'}, fewer than the "
                    f"{minimum} every outcome of `{unit}` needs", clause.count.span,
                    hint=f"an outcome can only raise the minimum: write {minimum} or more, "
                    "or lower the unit's `at least ... items per outcome`")


PASSES: tuple[Pass, ...] = (
    check_reserved_rule_names,
    check_programme_count,
    check_duplicates,
    check_repeated_names,
    check_references,
    check_dates,
    check_numbers,
    check_vocabulary,
    check_required_clauses,
    check_repeated_clauses,
    check_unassessed_units,
    check_as_if,
    check_exam_programme,
    check_extends_cycles,
    check_max_units,
    check_path_independence,
    check_permitted_kinds,
    check_permit_conditions,
    check_recommended_route,
    check_unused_evidence,
    check_idle_assessments,
    check_empty_files,
    check_programme_units,
    check_scoped_rules,
    check_outcome_requirements,
)
"""Every static check, in the order they run."""


def check(workspace: Workspace, passes: Sequence[Pass] = PASSES) -> list[Diagnostic]:
    """Run every pass over ``workspace``: all diagnostics, deduplicated, in display order.

    Files that did not parse are skipped (their syntax errors come from the parser).

    Example:
        >>> from luk_rules.sources import Workspace
        >>> check(Workspace("empty.luk", (), ()))
        []
    """
    table = SymbolTable.build(workspace)
    found: set[Diagnostic] = set()
    for run in passes:
        found.update(run(workspace, table))
    return sorted(found, key=sort_key)


__all__ = ["COMBINATIONS", "FORMS", "LEVELS", "LEVEL_FAMILIES", "PASSES", "UNIT_KINDS",
           "Pass", "Reference", "SymbolTable", "check", "references"]
