"""The engine-neutral rule program a ruleset compiles to.

A program is a set of Datalog-style rules over flat facts ``pred(arg, ...)``:
positive atoms join on shared variables; ``Neg``, ``CountAtLeast`` and ``Aggregate`` look only
at predicates computed in an earlier stratum (stratified negation and
counting); ``Test`` compares bound values. Both engines run this, so it is the
contract between the compiler and them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, TypeAlias

import attrs

from luk_rules.i18n import LANGUAGES, Lang, Message, say
from luk_rules.scoping import PLACEHOLDER

Value: TypeAlias = str | int | bool


@attrs.frozen
class Var:
    """A rule variable; ``_`` is a fresh don't-care variable."""

    name: str


Term: TypeAlias = Var | Value
Args: TypeAlias = tuple[Value, ...]
Fact: TypeAlias = tuple[str, Args]
FactSet: TypeAlias = Mapping[str, Sequence[Args]]
"""Facts grouped by predicate: what a run takes as input."""


@attrs.frozen
class Atom:
    """``pred(t1, ..., tn)``: a fact pattern."""

    pred: str
    args: tuple[Term, ...]

    def variables(self) -> set[str]:
        """Names of the (non-``_``) variables in the atom."""
        return {a.name for a in self.args if isinstance(a, Var) and a.name != "_"}


@attrs.frozen
class Neg:
    """No fact matches the atom (variables not bound before are existential)."""

    atom: Atom


@attrs.frozen
class CountAtLeast:
    """At least (``at_least``) or fewer than (not ``at_least``) ``n`` facts match.

    Exactly one variable of the atom is unbound before the literal: the counted one.
    """

    atom: Atom
    n: int
    at_least: bool = True


@attrs.frozen
class Aggregate:
    """``result`` is the number (``count``) of facts that match the atom, or the sum
    (``sum``) of their ``value``; 0 when none match.

    Variables of the atom bound before the literal group the facts; the others are
    free (``value`` among them, for a sum). Like counting, it reads only predicates
    of an earlier stratum.
    """

    op: Literal["count", "sum"]
    atom: Atom
    result: Var
    value: Var | None = None


@attrs.frozen
class Compute:
    """``result`` is ``left + right`` or ``left - right`` (whole numbers, both bound)."""

    result: Var
    left: Term
    op: Literal["+", "-"]
    right: Term


TestOp: TypeAlias = Literal["<", "<=", ">", ">=", "=", "!=", "in", "not in"]


@attrs.frozen
class Test:
    """A comparison of bound terms; ``in`` tests membership in a constant tuple."""

    __test__ = False  # not a pytest test class, though test modules import it

    left: Term
    op: TestOp
    right: Term | tuple[Value, ...]


Literal_: TypeAlias = Atom | Neg | CountAtLeast | Aggregate | Compute | Test


@attrs.frozen
class Cite:
    """What a rule stands for: its name, where it is written and its legal basis.

    ``from_regime`` marks a built-in rule whose basis is the law regime in force.
    ``status`` says what the basis is: ``oer`` (the institution's regulations),
    ``enacted`` (the statute), ``interpretation`` (a reading of it) or ``proposal``; empty
    for a law clause that does not say.
    """

    rule: str
    basis: str
    source: str
    from_regime: bool = False
    status: str = "oer"


ParamKind: TypeAlias = Literal["text", "date", "number"]


@attrs.frozen
class Param:
    """A value a finding reports, by name: an argument of the finding rule's head.

    ``kind`` says how it is shown: ``date`` values are day numbers shown as dates.
    """

    name: str
    kind: ParamKind = "text"


@attrs.frozen
class Collected:
    """A value a finding gathers from other facts: the last argument of each fact of
    ``pred`` whose first arguments are the finding's values of the params ``key``.

    A message shows it as a sorted, comma-separated list (``{certificaten}``: ``c1,
    c2, c3``); named in ``facts``, each value is a fact of the finding.
    """

    name: str
    pred: str
    key: tuple[str, ...] = ()


def _escaped(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class _Kept(dict[str, str]):
    """Values for :meth:`Template.fill`: a placeholder without one stays as written."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


@attrs.frozen
class Template:
    """A message template split once into the literal text around its ``{name}``
    placeholders: ``literals`` has one more entry than ``names``."""

    literals: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Template:
        """Split ``text`` at its placeholders."""
        parts = PLACEHOLDER.split(text)
        return cls(tuple(parts[0::2]), tuple(parts[1::2]))

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with each placeholder named in ``values`` replaced, others kept."""
        return self._format.format_map(_Kept(values))

    @functools.cached_property
    def _format(self) -> str:
        """The template as a ``str.format`` string: literal braces doubled."""
        out = [_escaped(self.literals[0])]
        for name, literal in zip(self.names, self.literals[1:], strict=True):
            out += ["{", name, "}", _escaped(literal)]
        return "".join(out)

    def param(self) -> str | None:
        """The name of the one placeholder the whole text is (``{source}``), else None."""
        whole = len(self.names) == 1 and self.literals == ("", "")
        return self.names[0] if whole else None


@attrs.frozen
class Report:
    """What the facts of one finding predicate mean: each is a finding.

    Every rule whose head has the predicate reports through this: the finding's
    ``code``, ``severity``, ``message`` (a template naming ``params`` in braces,
    ``{item}``), and its citation: the ``rule`` by name, its legal ``basis`` and the
    ``source`` line it is written at. ``basis`` and ``source`` are the citation's text,
    or, written ``{name}``, the value of a param (a clause that depends on the
    derivation, such as the permit of the regime in force). ``facts`` names the
    params (or ``collected`` values) that are the finding's facts; ``facts_from`` a
    predicate whose facts (one value each) are added to them.
    """

    code: str
    severity: Literal["deny", "warning", "info"]
    message: str
    params: tuple[Param, ...]
    rule: str
    basis: str
    source: str
    facts: tuple[str, ...] = ()
    facts_from: str | None = None
    collected: tuple[Collected, ...] = ()
    facts_key: str | None = None
    verdict: Literal["decision", "audit"] = "decision"
    status: str = "oer"
    translations: tuple[tuple[str, str], ...] = ()
    #: What would change the outcome, a template naming the same params ("add ...").
    advice: str = ""

    def value(self, name: str, args: Args) -> Value:
        """The value of the param ``name`` in a fact's arguments."""
        return _value(self.params, name, args)

    @functools.cached_property
    def template(self) -> Template:
        """The message, split once."""
        return Template.of(self.message)

    @functools.cached_property
    def templates(self) -> Mapping[Lang, Template]:
        """The message in each language, split once: the ruleset's own text for that
        language (``translations``), else luk's catalogue's for a built-in message, else
        the message as written."""
        own = dict(self.translations)
        return {lang: Template.of(own.get(lang) or say(self.message, lang))
                for lang in LANGUAGES}

    @functools.cached_property
    def advice_templates(self) -> Mapping[Lang, Template]:
        """The advice in each language, split once."""
        return {lang: Template.of(say(self.advice, lang)) for lang in LANGUAGES}

    @functools.cached_property
    def cited_params(self) -> tuple[str | None, str | None, str | None]:
        """The params ``basis``, ``source`` and ``status`` name (written ``{name}``), else
        None."""
        return (Template.of(self.basis).param(), Template.of(self.source).param(),
                Template.of(self.status).param())

    @functools.cached_property
    def shown(self) -> tuple[tuple[int, Param], ...]:
        """The params a finding shows (in its message, citation or facts), by position."""
        used = {*(n for t in (*self.templates.values(), self.advice_templates["en"])
                  for n in t.names), *self.cited_params,
                *self.facts,
                *(n for c in self.collected for n in c.key), self.facts_key}
        return tuple((i, p) for i, p in enumerate(self.params) if p.name in used)


@attrs.frozen
class Note:
    """What the facts of a derived predicate say, in words: a ``message`` template naming
    ``params`` in braces (as a :class:`Report`'s), about the value of the param ``about``.

    An audit shows, per result, why it does not count with these.
    """

    message: str
    params: tuple[Param, ...]
    about: str

    def value(self, name: str, args: Args) -> Value:
        """The value of the param ``name`` in a fact's arguments."""
        return _value(self.params, name, args)

    @functools.cached_property
    def templates(self) -> Mapping[Lang, Template]:
        """The message in each language, split once."""
        return {lang: Template.of(say(self.message, lang)) for lang in LANGUAGES}


def _value(params: tuple[Param, ...], name: str, args: Args) -> Value:
    for param, arg in zip(params, args, strict=True):
        if param.name == name:
            return arg
    raise KeyError(name)


@attrs.frozen
class Rule:
    """``head :- body``; the body is written in evaluation order."""

    name: str
    head: Atom
    body: tuple[Literal_, ...]
    cite: Cite

    def depends(self) -> Iterable[tuple[str, bool]]:
        """The predicates the body reads, with True where read negatively or counted."""
        for lit in self.body:
            if isinstance(lit, Atom):
                yield lit.pred, False
            elif isinstance(lit, Neg | CountAtLeast | Aggregate):
                yield lit.atom.pred, True


class StratificationError(Exception):
    """The rules depend negatively on themselves: they cannot be stratified."""


@attrs.frozen
class Program:
    """A compiled ruleset: rules in evaluation order, grouped into strata.

    ``strata`` is a tuple of groups of rule indexes; groups run in order, a group
    marked recursive runs to a fixpoint. ``static`` holds the facts that follow
    from the ruleset alone; the per-submission facts come from the fact builder.
    """

    rules: tuple[Rule, ...]
    strata: tuple[tuple[tuple[int, ...], bool], ...]
    static: tuple[Fact, ...]
    inputs: frozenset[str]
    phases: Mapping[str, int]
    reports: Mapping[str, Report] = attrs.field(factory=dict)
    notes: Mapping[str, Note] = attrs.field(factory=dict)
    singletons: frozenset[str] = frozenset()
    """Input predicates of which a run has at most one fact (a submission's own fact, its
    date): a hint for an engine, which may read them before the other facts of a rule;
    the facts derived are the same whatever the order."""

    @functools.cached_property
    def texts(self) -> Mapping[str, Message]:
        """The values of the program's facts and rules that are words luk wrote (``5
        years``, ``at least 2 units of A, B``), by their English text: a finding shows
        such a value in the language it is rendered in, whichever engine derived it."""
        found: dict[str, Message] = {}
        for _, args in self.static:
            found.update((a, a) for a in args if isinstance(a, Message))
        for rule in self.rules:
            for literal in (rule.head, *rule.body):
                atom = getattr(literal, "atom", literal)
                for arg in getattr(atom, "args", ()):
                    if isinstance(arg, Message):
                        found[arg] = arg
        return found

    @classmethod
    def build(cls, rules: Iterable[Rule], static: Iterable[Fact], inputs: Iterable[str],
              reports: Mapping[str, Report] | None = None,
              notes: Mapping[str, Note] | None = None,
              singletons: Iterable[str] = ()) -> Program:
        """Order the rules into strata (topological order of their dependency SCCs).

        Raises:
            StratificationError: when a predicate depends negatively on itself.
        """
        rules = tuple(rules)
        inputs = frozenset(inputs) | {p for p, _ in static}
        heads: dict[str, list[int]] = {}
        for i, r in enumerate(rules):
            heads.setdefault(r.head.pred, []).append(i)
        graph: dict[str, set[tuple[str, bool]]] = {p: set() for p in heads}
        # A rule that negates or counts facts no rule derives (input facts, or a
        # condition that never holds) still waits for phase 1: engines that evaluate
        # in phases (durable_rules) test negations only once a phase is complete.
        floor: dict[str, int] = {}
        for r in rules:
            for dep, negative in r.depends():
                if dep in heads:
                    graph[r.head.pred].add((dep, negative))
                elif negative:
                    floor[r.head.pred] = 1
        order = _sccs(graph)
        strata: list[tuple[tuple[int, ...], bool]] = []
        phase: dict[str, int] = {}
        for component in order:
            members = set(component)
            recursive = False
            level = max((floor.get(p, 0) for p in component), default=0)
            for p in component:
                for dep, negative in graph[p]:
                    if dep in members:
                        if negative:
                            raise StratificationError(
                                f"`{p}` depends on `{dep}` through negation or counting, "
                                f"and `{dep}` on it")
                        recursive = True
                    else:
                        level = max(level, phase[dep] + (1 if negative else 0))
            for p in component:
                phase[p] = level
            idx = tuple(sorted(i for p in component for i in heads[p]))
            strata.append((idx, recursive))
        reports = dict(reports or {})
        notes = dict(notes or {})
        for pred, params in [*((p, r.params) for p, r in reports.items()),
                             *((p, n.params) for p, n in notes.items())]:
            if pred not in heads:
                raise ValueError(f"no rule derives `{pred}`, which a finding or note reads")
            arity = {len(rules[i].head.args) for i in heads[pred]}
            if arity != {len(params)}:
                raise ValueError(f"`{pred}`: {len(params)} params for a predicate of arity "
                                 f"{sorted(arity)}")
        return cls(rules, tuple(strata), tuple(static), inputs, phase, reports, notes,
                   frozenset(singletons) & inputs)


def _sccs(graph: Mapping[str, set[tuple[str, bool]]]) -> list[list[str]]:
    """Tarjan's algorithm; returns components dependencies-first, deterministically."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w, _ in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out
