"""Hypothesis strategies for surface ASTs that the printer can print.

Every tree drawn here is one the parser can give back: names match the grammar's
``NAME`` terminal and are no keyword, lists are never empty, and an ``And`` never
sits directly inside an ``And`` (nor an ``Or`` inside an ``Or``), because the
parser flattens such groups. Spans are left unknown; equality ignores them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from typing import TypeVar

import attrs
from hypothesis import strategies as st

from luk_rules import ast
from luk_rules.parse import MAX_INTEGER
from luk_rules.printer import condition_text
from luk_rules.resources import grammar_path

_REGEX_OR_STRING = re.compile(r'/(?:[^/\\\n]|\\.)+/|"((?:[^"\\\n]|\\.)*)"')
_TERMINAL = re.compile(r"^(?P<name>[A-Z_]+)(?:\.\d+)?\s*:\s*(?P<body>.*)$")


@cache
def grammar_text() -> str:
    """The grammar the parser uses."""
    return grammar_path().read_text(encoding="utf-8")


@cache
def _name_regex() -> str:
    for line in grammar_text().splitlines():
        match = _TERMINAL.match(line.strip())
        if match and match["name"] == "NAME":
            return match["body"].strip().strip("/")
    raise AssertionError("the grammar has no NAME terminal")


@cache
def keywords() -> frozenset[str]:
    """Every word the grammar spells out: quoted literals, split on spaces, that look like names.

    This covers the literals in rules and the alternatives of terminals such as
    ``SEVERITY``, ``QUANTIFIER``, ``AGE_UNIT``, ``PORTFOLIO`` and ``PATH_INDEPENDENT``.
    """
    name = re.compile(_name_regex())
    words: set[str] = set()
    for line in grammar_text().splitlines():
        if line.lstrip().startswith("//"):
            continue
        for match in _REGEX_OR_STRING.finditer(line):
            literal = match.group(1)
            if literal is None:  # a /regex/, not a literal
                continue
            words.update(w for w in literal.split() if name.fullmatch(w))
    return frozenset(words)


def _not_keyword(word: str) -> bool:
    return word not in keywords()


# ------------------------------------------------------------------ leaves


def name_values() -> st.SearchStrategy[str]:
    """Identifiers that match ``NAME`` and are no keyword."""
    return st.from_regex(_name_regex(), fullmatch=True).filter(_not_keyword)


def names() -> st.SearchStrategy[ast.Name]:
    """A ``Name`` node."""
    return name_values().map(ast.Name)


def name_lists(max_size: int = 4) -> st.SearchStrategy[tuple[ast.Name, ...]]:
    """A non-empty list of names, as after ``accepts`` or ``one of``."""
    return st.lists(names(), min_size=1, max_size=max_size).map(tuple)


def outcome_ids() -> st.SearchStrategy[ast.Name]:
    """An ``OUTCOME_ID``: digits, or a name without hyphens."""
    digits = st.from_regex(r"[0-9]+", fullmatch=True)
    word = st.from_regex(r"[A-Za-z][A-Za-z0-9_]*", fullmatch=True).filter(_not_keyword)
    return st.one_of(digits, word).map(ast.Name)


def texts() -> st.SearchStrategy[ast.Text]:
    """A quoted text's value: any text without control characters other than newline and tab."""
    alphabet = st.one_of(
        st.characters(exclude_categories=("Cs", "Cc")),
        st.sampled_from('\n\t\\"#'),
    )
    return st.text(alphabet, max_size=30).map(ast.Text)


def integers() -> st.SearchStrategy[ast.Integer]:
    """A whole number as written (no sign)."""
    return st.integers(min_value=0, max_value=MAX_INTEGER).map(ast.Integer)


def dates() -> st.SearchStrategy[ast.DateLit]:
    """``YYYY-MM-DD`` digits; not necessarily a calendar date."""
    return st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True).map(ast.DateLit)


def ages() -> st.SearchStrategy[ast.Age]:
    """An amount of years or months."""
    return st.builds(ast.Age, integers(), st.sampled_from(["years", "months"]))


def translated() -> st.SearchStrategy[tuple[ast.Translation, ...]]:
    """A text's translations: ``en "..."``, ``nl "..."``, each at most once."""
    return st.lists(st.sampled_from(["en", "nl"]), unique=True, max_size=2).flatmap(
        lambda langs: st.tuples(*(texts().map(lambda t, lang=lang: ast.Translation(lang, t))
                                  for lang in langs)))


def bases() -> st.SearchStrategy[ast.Basis]:
    """A ``basis "..."`` clause, sometimes with its text in other languages."""
    return st.builds(ast.Basis, texts(), translations=translated())


def advices() -> st.SearchStrategy[ast.Advice | None]:
    """A rule's ``advice "..."`` (sometimes translated), or none."""
    return st.none() | st.builds(ast.Advice, texts(), translations=translated())


# ------------------------------------------------------------- conditions

_COMPARISONS: list[ast.Comparison] = ["<", "<=", ">", ">=", "="]


# ------------------------------------------------- item sets, values, binders

NOUNS: list[ast.Noun] = ["unit", "outcome", "item", "result", "organisation", "issuer"]
REF_KEYWORDS = ("unit", "outcome", "item", "result", "organisation", "issuer", "credits",
                "minimum", "age", "date")
"""The keywords a ``ref`` may be (the default names of binders and common ``where`` names)."""


def refs() -> st.SearchStrategy[ast.Ref]:
    """A name where a value belongs: a plain name or one of the ref keywords."""
    return st.one_of(names(), st.sampled_from(REF_KEYWORDS).map(ast.Name)).map(ast.Ref)


def item_filters() -> st.SearchStrategy[ast.ItemFilters]:
    """``[of type T] [covering R] [counting for R] [from R|"text"] [that are verified]``."""
    one = st.one_of(
        st.builds(ast.Covering, refs()),
        st.builds(ast.CountingFor, refs()),
        st.builds(ast.From, st.one_of(refs(), texts())),
        st.just(ast.VerifiedOnly()),
    )
    return st.builds(ast.ItemFilters, st.one_of(st.just(()), name_lists(3)),
                     st.lists(one, max_size=3).map(tuple))


def values() -> st.SearchStrategy[ast.Value]:
    """Every kind of value a comparison compares."""
    leaves: st.SearchStrategy[ast.Value] = st.one_of(
        refs(),
        st.builds(ast.CountItems, item_filters()),
        st.builds(ast.CountNamed, names()),
        st.just(ast.CreditsOfResults()),
        st.builds(ast.Attribute, st.sampled_from(
            ["credits", "minimum", "age", "date", "organisation", "issuer"]), refs()),
        st.builds(ast.FieldOf, names(), refs()),
        integers(),
        dates(),
        texts(),
        ages(),
    )
    return st.recursive(leaves, lambda inner: st.builds(ast.PercentOf, integers(), inner),
                        max_leaves=2)


def item_tests() -> st.SearchStrategy[ast.ItemTest]:
    """``verified``, ``younger than A``, ``older than A``."""
    return st.one_of(st.just(ast.Verified()),
                     st.builds(ast.AgeTest, st.sampled_from(["younger", "older"]), ages()))


def scoped_atoms() -> st.SearchStrategy[ast.Condition]:
    """Comparisons of values, ``X is [not] verified``, and quantified items."""
    return st.one_of(
        st.builds(ast.Compare, values(),
                  st.sampled_from(["<", "<=", ">", ">=", "=", "is", "is not"]), values()),
        st.builds(ast.IsTest, values(), item_tests(), st.booleans()),
        st.builds(ast.ItemsQuantified, st.sampled_from(["every", "some", "no"]),
                  item_filters(), st.one_of(item_tests(), names())),
    )


def binders() -> st.SearchStrategy[ast.Binder]:
    """``for each NOUN [called N]``, an outcome ``of R``, an item with its filters."""
    called = st.none() | names()
    return st.one_of(
        st.builds(ast.Binder, st.sampled_from(["unit", "result", "organisation", "issuer"]),
                  called),
        st.builds(ast.Binder, st.just("outcome"), called, st.none() | refs()),
        st.builds(ast.Binder, st.just("item"), called, st.none(), item_filters()),
    )


def wheres() -> st.SearchStrategy[ast.Where]:
    """``where N is VALUE`` or ``where N are items ...``."""
    return st.one_of(st.builds(ast.WhereValue, names(), values()),
                     st.builds(ast.WhereItems, names(), item_filters()))


def atoms() -> st.SearchStrategy[ast.Condition]:
    """Every condition that is not ``and``, ``or`` or ``not``."""
    return st.one_of(
        scoped_atoms(),
        st.builds(ast.UnitClaimed, names()),
        st.builds(ast.AssessmentIs, names()),
        st.just(ast.AssessmentPathIndependent()),
        st.just(ast.AssessmentPathDependent()),
        st.builds(ast.AssessmentMethod, st.sampled_from(["portfolio", "exam"])),
        st.builds(
            ast.EvidenceQuantified, st.sampled_from(["every", "some", "no"]), name_lists()
        ),
        st.builds(ast.CountUnits, st.sampled_from(_COMPARISONS), integers()),
        st.builds(
            ast.CountEvidence,
            st.one_of(st.just(()), name_lists()),
            st.sampled_from(_COMPARISONS),
            integers(),
        ),
        st.builds(ast.CombinationIs, name_lists()),
        st.builds(ast.FormIs, name_lists()),
        st.builds(ast.LevelIs, names()),
        st.builds(ast.ActivityFollowed, names()),
        st.builds(ast.Submitted, st.sampled_from(["before", "from"]), dates()),
        st.just(ast.InstitutionParticipates()),
        st.just(ast.HasPracticeComponent()),
        st.just(ast.OptedIn()),
        st.just(ast.RecommendedRoute()),
    )


PARENS = (0, 0, 0, 0, 0, 1, 1, 2)
"""How many pairs of parentheses an author writes around a condition: mostly none."""


def _with_parens(
    conditions: st.SearchStrategy[ast.Condition],
) -> st.SearchStrategy[ast.Condition]:
    """Conditions, some marked with parentheses their author wrote (redundant or not)."""
    return st.tuples(conditions, st.sampled_from(PARENS)).map(
        lambda drawn: attrs.evolve(drawn[0], parens=drawn[1]) if drawn[1] else drawn[0])


def conditions() -> st.SearchStrategy[ast.Condition]:
    """Conditions of any shape, as the parser gives them back: atoms combined with ``or``,
    ``and`` and ``not``, some in parentheses their author wrote (the ``parens`` marker).

    An ``Or`` holds no ``Or`` directly and an ``And`` no ``And``, since the parser splices
    those in: a same-kind operand is either negated or a parenthesised group, spliced by
    :func:`ast.chain` as the parser does (kept in ``written``).
    """

    def extend(
        children: st.SearchStrategy[ast.Condition],
    ) -> st.SearchStrategy[ast.Condition]:
        def group(kind: type[ast.Chain]) -> st.SearchStrategy[ast.Condition]:
            # An Or directly in an Or (an And in an And) is negated or made a group rather
            # than filtered out: a filter that fails three times running makes hypothesis
            # describe the whole (large) strategy, and that warning is an error here.
            def operand(drawn: tuple[ast.Condition, int]) -> ast.Condition:
                child, parens = drawn
                if not isinstance(child, kind) or child.parens:
                    return child
                return attrs.evolve(child, parens=parens) if parens else ast.Not(child)

            items = st.tuples(children, st.sampled_from((0, 1, 1, 2))).map(operand)
            # Parenthesised groups of the kind, a group inside one too: `(a and (b and c))`.
            def grouped(operands: st.SearchStrategy[ast.Condition]
                        ) -> st.SearchStrategy[ast.Condition]:
                return st.tuples(st.lists(operands, min_size=2, max_size=3),
                                 st.sampled_from((1, 1, 2))).map(
                    lambda drawn: ast.chain(kind, drawn[0], parens=drawn[1]))

            operands = st.one_of(items, items, items, grouped(items | grouped(items)))
            return st.lists(operands, min_size=2, max_size=4).map(
                lambda xs: ast.chain(kind, xs))

        return _with_parens(st.one_of(group(ast.Or), group(ast.And), children.map(ast.Not)))

    return st.recursive(_with_parens(atoms()), extend, max_leaves=8)


Shape = tuple[object, ...]


def shape(condition: ast.Condition, tighter_than: int = -1) -> Shape:
    """A condition's tree as written: each node's kind with its parentheses, a chain's
    operands as grouped (``written``). A pair the precedence needs counts as written (the
    printer writes it): two conditions of one shape print alike.

    Example:
        >>> shape(ast.Not(ast.Or((ast.OptedIn(), ast.RecommendedRoute()))))
        ('Not', 0, ('Or', 1, (('OptedIn', 0), ('RecommendedRoute', 0))))
    """
    level = {ast.Or: 0, ast.And: 1, ast.Not: 2}.get(type(condition), 3)
    parens = condition.parens or (0 if level > tighter_than else 1)
    match condition:
        case ast.Or() | ast.And():
            return (type(condition).__name__, parens,
                    tuple(shape(i, level) for i in ast.written_items(condition)))
        case ast.Not(item):
            return ("Not", parens, shape(item, 1))
        case _:
            return (type(condition).__name__, parens)


def bracketed(condition: ast.Condition) -> ast.Condition:
    """A condition with one more pair of parentheses around every part of it.

    Example:
        >>> from luk_rules.printer import condition_text
        >>> condition_text(bracketed(ast.And((ast.OptedIn(), ast.Not(ast.RecommendedRoute())))))
        '(opted in) and (not (recommended route))'
    """
    match condition:
        case ast.And() | ast.Or():
            items = [bracketed(i) for i in ast.written_items(condition)]
            made: ast.Condition = (ast.chain(ast.And, items) if isinstance(condition, ast.And)
                                   else ast.chain(ast.Or, items))
        case ast.Not(item):
            made = ast.Not(bracketed(item))
        case _:
            made = condition
    return attrs.evolve(made, parens=condition.parens + 1, span=condition.span)


def atoms_of(condition: ast.Condition) -> list[ast.Condition]:
    """The atoms of a condition in the order they are written."""
    match condition:
        case ast.Or() | ast.And():
            return [a for item in ast.written_items(condition) for a in atoms_of(item)]
        case ast.Not(item):
            return atoms_of(item)
        case _:
            return [condition]


def module_conditions(module: ast.Module) -> list[ast.Condition]:
    """Every condition of a module (rules', permits' and allows'), in the order written."""
    found: list[ast.Condition] = []
    for decl in module.declarations:
        if isinstance(decl, ast.Rule):
            found.append(decl.when)
        elif isinstance(decl, ast.Regime):
            found.extend(c.when for c in decl.clauses
                         if isinstance(c, ast.Permit | ast.Allow) and c.when is not None)
    return found


# ---------------------------------------------------------------- clauses


def programme_clauses() -> st.SearchStrategy[ast.ProgrammeClause]:
    """Every kind of clause a ``programme`` takes."""
    return st.one_of(
        st.builds(ast.Level, names()),
        st.builds(ast.Forms, name_lists()),
        st.builds(ast.Institution, texts()),
        st.just(ast.Participates()),
        st.just(ast.PracticeComponent()),
        st.builds(ast.Under, name_lists()),
        st.builds(ast.AsIf, names(), dates()),
        st.builds(ast.OptedInOn, dates()),
        st.builds(ast.Replaces, texts(), dates()),
        st.builds(ast.DefaultKind, names()),
        st.builds(ast.DefaultMaxAge, ages(), st.none() | bases()),
        st.builds(ast.MinItems, integers(), st.none() | bases()),
        st.builds(ast.Closing, st.lists(texts(), min_size=1, max_size=3).map(tuple)),
    )


def exam_clauses() -> st.SearchStrategy[ast.ExamClause]:
    """Every kind of clause an ``examination programme`` takes."""
    return st.one_of(
        st.builds(ast.Required, name_lists()),
        st.builds(ast.ChooseUnits, integers(), name_lists()),
        st.builds(ast.ChooseCredits, integers(), name_lists()),
        st.builds(ast.Diploma, integers()),
        st.builds(ast.Entry, names(), name_lists()),
        st.builds(ast.Validity, ages(), st.none() | bases()),
        st.builds(ast.Grounds, name_lists(), st.none() | bases()),
        st.builds(ast.ExemptionLimit, integers(), st.booleans(), st.none() | bases()),
        bases(),
    )


_TAKES_BASIS = (ast.Validity, ast.Grounds, ast.ExemptionLimit)


def _as_parsed(clauses: tuple[ast.ExamClause, ...]) -> tuple[ast.ExamClause, ...]:
    """The exam clauses as a parse gives them: a `basis` right after a clause that takes one
    and has none is that clause's (the grammar binds it so)."""
    out: list[ast.ExamClause] = []
    for clause in clauses:
        last = out[-1] if out else None
        if isinstance(clause, ast.Basis) and isinstance(last, _TAKES_BASIS) and last.basis is None:
            out[-1] = attrs.evolve(last, basis=clause)
        else:
            out.append(clause)
    return tuple(out)


def evidence_clauses() -> st.SearchStrategy[ast.EvidenceClause]:
    """Every kind of clause an ``evidence`` declaration takes."""
    return st.one_of(st.builds(ast.MaxAge, ages(), st.none() | bases()),
                     st.builds(ast.NeedsVerification, st.none() | bases()))


def unit_clauses() -> st.SearchStrategy[ast.UnitClause]:
    """Every kind of clause a ``unit`` takes."""
    return st.one_of(
        st.builds(ast.Credits, integers()),
        st.builds(ast.Kind, names()),
        st.builds(ast.Outcome, outcome_ids(), texts()),
        st.builds(ast.Accepts, name_lists()),
        st.builds(ast.Recommended, name_lists()),
        st.builds(ast.MaxAge, ages(), st.none() | bases()),
        st.builds(ast.MinItems, integers(), st.none() | bases()),
        st.builds(ast.OutcomeAccepts, outcome_ids(), name_lists(), st.none() | bases()),
        st.builds(ast.OutcomeMinItems, outcome_ids(), integers(), st.none() | bases()),
    )


def assessment_clauses() -> st.SearchStrategy[ast.AssessmentClause]:
    """Every kind of clause an ``assessment`` takes."""
    return st.one_of(
        st.builds(ast.Method, st.sampled_from(["portfolio", "exam"])),
        st.builds(ast.PathClause, st.booleans()),
        st.builds(ast.Assesses, name_lists()),
        st.builds(ast.MaxUnits, integers()),
    )


def periods() -> st.SearchStrategy[ast.Period]:
    """``in force always``, ``in force from D [until E]``, or ``proposal``."""
    return st.one_of(
        st.just(ast.Period("always")),
        st.just(ast.Period("proposal")),
        st.builds(ast.Period, st.just("dates"), dates(), st.none() | dates()),
    )


def statuses() -> st.SearchStrategy[ast.Provenance]:
    """A regime's own status: ``enacted`` or ``interpretation "..."``."""
    return st.just(ast.Provenance("enacted")) | st.builds(
        ast.Provenance, st.just("interpretation"), texts())


def provenances() -> st.SearchStrategy[ast.Provenance]:
    """A clause's status: a regime's, or ``proposal``."""
    return statuses() | st.just(ast.Provenance("proposal"))


def regime_clauses() -> st.SearchStrategy[ast.RegimeClause]:
    """Every kind of clause a ``regime`` takes."""
    when = st.none() | conditions()
    status = st.none() | provenances()
    return st.one_of(
        periods(),
        st.builds(ast.Extends, names()),
        bases(),
        statuses(),
        st.builds(ast.Permit, names(), name_lists(), when, bases(), status),
        st.builds(ast.Allow, name_lists(), name_lists(), when, bases(), status),
    )


def _regime_as_parsed(clauses: tuple[ast.RegimeClause, ...]) -> tuple[ast.RegimeClause, ...]:
    """The regime clauses as a parse gives them: `proposal` right after a `permit` or
    `allow` without a status is that clause's status (the grammar binds it so)."""
    out: list[ast.RegimeClause] = []
    for clause in clauses:
        last = out[-1] if out else None
        if (isinstance(clause, ast.Period) and clause.kind == "proposal"
                and isinstance(last, ast.Permit | ast.Allow) and last.provenance is None):
            out[-1] = attrs.evolve(last, provenance=ast.Provenance("proposal"))
        elif (isinstance(clause, ast.Provenance) and isinstance(last, ast.Permit | ast.Allow)
              and last.provenance is None):
            out[-1] = attrs.evolve(last, provenance=clause)
        else:
            out.append(clause)
    return tuple(out)


# ----------------------------------------------------------- declarations

C = TypeVar("C")


def clauses(kind: st.SearchStrategy[C]) -> st.SearchStrategy[tuple[C, ...]]:
    """Up to five clauses of a declaration."""
    return st.lists(kind, max_size=5).map(tuple)



def declarations() -> st.SearchStrategy[ast.Declaration]:
    """Every kind of declaration, with up to five clauses each."""

    return st.one_of(
        st.builds(ast.Include, texts()),
        st.builds(ast.Programme, names(), texts(), clauses(programme_clauses())),
        st.builds(ast.ExamProgramme, texts(), clauses(exam_clauses()).map(_as_parsed)),
        st.builds(ast.EvidenceType, names(), texts(), clauses(evidence_clauses())),
        st.builds(ast.Unit, names(), texts(), clauses(unit_clauses())),
        st.builds(ast.Assessment, names(), texts(), clauses(assessment_clauses())),
        st.builds(ast.Regime, names(), texts(), clauses(regime_clauses()).map(_regime_as_parsed)),
        st.builds(
            ast.Rule,
            names(),
            texts(),
            st.sampled_from(["deny", "warn", "info"]),
            conditions(),
            bases(),
            st.lists(binders(), max_size=3).map(tuple),
            st.lists(wheres(), max_size=2).map(tuple),
            translated(),
            advices(),
        ),
        st.builds(ast.Field, names(), texts(),
                  st.sampled_from(["text", "date", "number", "yes/no"])),
    )


def modules() -> st.SearchStrategy[ast.Module]:
    """A module of up to six declarations of any kind, without comments."""
    return (
        st.lists(declarations(), max_size=6)
        .map(lambda ds: ast.Module(tuple(ds)))
    )


# ------------------------------------------------- conditions laid out by hand

_DECOR = ("", " why", ' see "art. 7.1"', " (a and b) or c", " # twice", " not this")


@attrs.frozen
class Placed:
    """A comment written between two operands: ``after`` atoms of the module's conditions
    were written before it (in the order written)."""

    text: str
    after: int


@attrs.define
class Relayer:
    """Writes conditions as an author might: with the parentheses the tree marks (and a pair
    where the precedence needs one), lines broken before or after ``and``/``or``, after
    ``(``, before ``)``, after ``not`` and inside atoms, at any indentation, with comments
    at line ends and on lines of their own.

    ``pick(lo, hi)`` makes every choice (hypothesis' ``draw`` or a seeded ``random``);
    ``wrote`` counts what was written, for the reach of the tests that use it.
    """

    pick: Callable[[int, int], int]
    wrote: Counter[str] = attrs.field(factory=Counter)
    placed: list[Placed] = attrs.field(factory=list)
    atoms: int = 0
    comments: int = 0

    def chance(self, percent: int) -> bool:
        """True ``percent`` times in a hundred (never for the least pick, which hypothesis
        shrinks towards)."""
        return self.pick(1, 100) > 100 - percent

    def comment(self) -> str:
        """A new comment, numbered so that it can be told apart."""
        self.comments += 1
        return f"# c{self.comments}{_DECOR[self.pick(0, len(_DECOR) - 1)]}"

    def newline(self, where: str, between: bool) -> str:
        """A line break at ``where``, maybe after a comment and with comments on lines of
        their own; ``between`` says it separates two operands."""
        out = ""
        if self.chance(45):
            text = self.comment()
            out += " " * self.pick(0, 3) + text
            self._wrote(f"line-end comment {where}", text, between)
        out += "\n"
        while self.chance(30):
            text = self.comment()
            out += " " * self.pick(0, 8) + text + "\n"
            self._wrote(f"own-line comment {where}", text, between)
        self.wrote[f"line break {where}"] += 1
        return out + " " * self.pick(0, 8)

    def _wrote(self, what: str, text: str, between: bool) -> None:
        self.wrote[what] += 1
        if between:
            self.placed.append(Placed(text, self.atoms))

    def condition(self, condition: ast.Condition, tighter_than: int = -1) -> str:
        """The text of ``condition``, laid out at random."""
        level = {ast.Or: 0, ast.And: 1, ast.Not: 2}.get(type(condition), 3)
        parens = condition.parens or (0 if level > tighter_than else 1)
        opening = closing = ""
        for _ in range(parens):
            opening += "(" + (self.newline("after (", True) if self.chance(10) else "")
        match condition:
            case ast.Or() | ast.And():
                word = "or" if isinstance(condition, ast.Or) else "and"
                parts = [self.condition(item, level) if i == 0 else
                         self._join(word) + self.condition(item, level)
                         for i, item in enumerate(ast.written_items(condition))]
                body = "".join(parts)
            case ast.Not(item):
                after = self.newline("after not", False) if self.chance(20) else " "
                body = "not" + after + self.condition(item, 2)
            case _:
                body = self._atom(condition)
        for _ in range(parens):
            closing += (self.newline("before )", True) if self.chance(10) else "") + ")"
        return opening + body + closing

    def _join(self, word: str) -> str:
        """`` and `` between two operands, maybe broken before or after the word."""
        way = self.pick(0, 9)
        if way <= 3:
            return f" {word} "
        if way <= 6:
            return self.newline("before and/or", True) + f"{word} "
        return f" {word}" + self.newline("after and/or", True)

    def _atom(self, atom: ast.Condition) -> str:
        text = condition_text(atom)  # the printer spells the atoms
        self.atoms += 1
        spaces = _spaces_outside_quotes(text)
        if spaces and self.chance(20):
            at = spaces[self.pick(0, len(spaces) - 1)]
            text = text[:at] + self.newline("inside an atom", False) + text[at + 1:]
        return text


def _spaces_outside_quotes(text: str) -> list[int]:
    """Where a line may be broken in an atom's text: its spaces outside quoted texts."""
    found: list[int] = []
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted and ch == "\\":
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == " " and not quoted:
            found.append(i)
        i += 1
    return found


@attrs.frozen
class LaidOut:
    """A module's text with hand-made layout in its conditions, and what was written."""

    text: str
    placed: tuple[Placed, ...]
    wrote: Counter[str]
    conditions: tuple[ast.Condition, ...]


def lay_out(conditions: Sequence[ast.Condition], pick: Callable[[int, int], int]) -> LaidOut:
    """A module with one rule or permit for each condition, its conditions laid out by a
    :class:`Relayer` (every second one in a regime's ``permit``)."""
    relayer = Relayer(pick)
    out: list[str] = []
    for n, condition in enumerate(conditions):
        head = "when" + (relayer.newline("after when", False) if relayer.chance(10) else " ")
        text = relayer.condition(condition)
        if n % 2:
            out.append(f'regime g{n} "G"\n  permit k for a\n    {head}{text}\n    basis "z"\n')
        else:
            out.append(f'rule r{n} "m"\n  deny {head}{text}\n  basis "b"\n')
    return LaidOut("".join(out), tuple(relayer.placed), relayer.wrote, tuple(conditions))


def _not_of_kind(kind: type[ast.And] | type[ast.Or], operands: Sequence[ast.Condition]
                 ) -> list[ast.Condition]:
    """Operands for a chain of ``kind``: one of that kind without parentheses negated."""
    return [ast.Not(c) if isinstance(c, kind) and not c.parens else c for c in operands]


def laid_out_modules() -> st.SearchStrategy[LaidOut]:
    """Modules of one to three rules and permits whose conditions are laid out by hand."""

    def chained(drawn: tuple[bool, list[ast.Condition]]) -> ast.Condition:
        conjunction, operands = drawn
        return (ast.chain(ast.And, _not_of_kind(ast.And, operands)) if conjunction
                else ast.chain(ast.Or, _not_of_kind(ast.Or, operands)))

    # Conditions, half of them chains at the top (where most line breaks are written).
    chains = st.tuples(st.booleans(),
                       st.lists(conditions(), min_size=2, max_size=3)).map(chained)
    drawn_conditions = st.lists(conditions() | chains, min_size=1, max_size=3)  # built once

    @st.composite
    def build(draw: st.DrawFn) -> LaidOut:
        # Uniform picks (st.integers favours the ends of its range), shrinking to ``lo``.
        return lay_out(draw(drawn_conditions),
                       lambda lo, hi: draw(st.sampled_from(range(lo, hi + 1))))

    return build()
