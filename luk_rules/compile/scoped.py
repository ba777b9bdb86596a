"""Scoped rules as rules of the program: binders, ``where`` values, item sets, comparisons,
shares, item tests and quantifiers, and the finding that names its values.

A rule ``for each outcome / for each item covering outcome`` holds per pair of values:

* ``scope:R(O, I)`` derives every pair the binders range over;
* each part of its condition is a rule ``condN(O, I) :- scope:R(O, I), ...``, so ``and``,
  ``or`` and ``not`` work per pair (a ``not`` over a lower stratum, as everywhere);
* an item set (``items of type certificaat covering unit``) is ``items:R:K(U, J)``, keyed
  on the binders it names; a count or a sum is an :class:`Aggregate` over it;
* a percentage weighs the items: ``number of items from org > 50% of number of items`` is
  the sum of 100 per item from the organisation against the sum of 50 per item;
* ``age of item > 5 years`` compares the item's date with the date 5 years before the
  submission date, an input fact ``age-cutoff(60, D)``;
* the finding ``finding:R(O, I, ...)`` carries the binders' values and the ``where``
  values its message names; its facts are the bound entities and the items its counts
  and quantifiers speak about (``about:R(O, I, J)``).

Nothing here is engine-specific: joins, negation over lower strata and aggregates.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import attrs

from luk_rules import ir
from luk_rules.compile.program import (
    Aggregate,
    Atom,
    Cite,
    Collected,
    Literal_,
    Neg,
    Param,
    Term,
    Test,
    Var,
)
from luk_rules.i18n import Localized
from luk_rules.scoping import PLACEHOLDER

if TYPE_CHECKING:  # pragma: no cover
    from luk_rules.compile.rules import _Builder

_ = Var("_")
PLACEHOLDER_PREFIX = "~"
"""Collected values that are not placeholders start with it (no ``{name}`` matches)."""
ABOUT = "~about"

_AGE_FLIP: dict[str, Literal["<", "<=", ">", ">="]] = {
    # age OP months  <=>  date FLIP cutoff(months): older means an earlier date
    ">": "<", ">=": "<=", "<": ">", "<=": ">="}


def binder_var(name: str) -> Var:
    """The rule variable of a binder."""
    return Var(f"b:{name}")


def date_var(name: str) -> Var:
    """The rule variable of a result binder's date."""
    return Var(f"b:{name}:date")


@attrs.frozen
class Scope:
    """What the conditions of one rule range over.

    ``atom`` derives the binders' values (None: the rule holds once, for the whole
    submission); ``vars`` are its arguments, a condition's head carries them.
    """

    rule: str
    atom: Atom | None
    vars: tuple[Var, ...]
    binders: Mapping[str, ir.Binder] = attrs.field(factory=dict)
    definitions: Mapping[str, ir.Definition] = attrs.field(factory=dict)

    def guard(self) -> list[Literal_]:
        """A positive literal that binds the scope (the submission when unscoped)."""
        if self.atom is not None:
            return [self.atom]
        return [Atom("sub", (_, _, _, _, _, _))]


UNSCOPED = Scope("", None, ())


class ScopedCompiler:
    """Writes the rules of scoped conditions and rules into a builder's program."""

    def __init__(self, builder: _Builder) -> None:
        self.b = builder
        self.sets: dict[tuple[str, ir.ItemSet | str], tuple[str, tuple[Var, ...]]] = {}
        self.helpers: dict[tuple[str, object], str] = {}
        self.months: set[int] = set()
        self.per_rule: dict[str, int] = {}
        self.counter = itertools.count(1)
        self.credits = False

    # ------------------------------------------------------------ terms and sets

    def fresh(self) -> Var:
        """A variable of its own."""
        return Var(f"t{next(self.counter)}")

    def term(self, t: ir.Term, scope: Scope) -> tuple[list[Literal_], Term]:
        """A term as a rule term, with the literals that bind it (a ``where`` value)."""
        if isinstance(t, str):
            return [], t
        if t.name in scope.binders:
            return [], binder_var(t.name)
        x = self.fresh()
        return [self.value_atom(t.name, scope, x)], x

    def value_atom(self, name: str, scope: Scope, x: Var) -> Atom:
        """``value:R:NAME(binders..., X)``: the ``where`` value per scope."""
        return Atom(f"value:{scope.rule}:{name}", (*scope.vars, x))

    def members(self, items: ir.ItemSet, member: Var, scope: Scope) -> list[Literal_]:
        """Literals that hold for each item ``member`` of the set."""
        t: Term = self.fresh() if len(items.types) > 1 else items.types[0] if items.types else _
        lits: list[Literal_] = []
        # The claims (counts, organisations) first: with the outcome or unit bound they
        # give just its items, where starting from every item would cost items x outcomes.
        for kind, targets in (("claim", items.covering), ("counts", items.counting_for)):
            for target in targets:
                pre, ref = self.term(target.ref, scope)
                lits.extend(pre)
                args = (member, _, ref) if target.kind == "outcome" else (member, ref, _)
                lits.append(Atom(kind, args))
        for organisation in items.organisations:
            pre, ref = self.term(organisation, scope)
            lits.extend(pre)
            lits.append(Atom("item-org", (member, ref)))
        lits.append(Atom("item", (member, t, _, _, True if items.verified else _)))
        if len(items.types) > 1:
            lits.append(Test(t, "in", tuple(sorted(items.types))))
        return lits

    def item_set(self, items: ir.ItemSet | str, scope: Scope, cite: Cite
                 ) -> tuple[str, tuple[Var, ...]]:
        """The predicate of an item set and the variables it is keyed on.

        ``items:R:K(U, J)``: keyed on the binders the set names (every binder of the
        rule when it names a ``where`` value), ``J`` the item.
        """
        key = (scope.rule, items)
        if key in self.sets:
            return self.sets[key]
        if isinstance(items, str):
            definition = scope.definitions[items]
            assert isinstance(definition.value, ir.ItemSet)
            found = self.item_set(definition.value, scope, cite)
            self.sets[key] = found
            return found
        self.per_rule[scope.rule] = number = self.per_rule.get(scope.rule, 0) + 1
        pred = f"items:{scope.rule}:{number}"
        member = Var("J")
        body = self.members(items, member, scope)
        named = {a.name for lit in body if isinstance(lit, Atom) for a in lit.args
                 if isinstance(a, Var)}
        if any(lit.pred.startswith("value:") for lit in body if isinstance(lit, Atom)):
            refs = scope.vars
        else:
            refs = tuple(v for v in scope.vars if v.name in named)
        self.b.add(f"{cite.rule} (condition)", Atom(pred, (*refs, member)), body,
                   self._cite(cite, items.span))
        self.sets[key] = (pred, refs)
        return pred, refs

    def weighted(self, count: ir.CountOf, weight: int, scope: Scope, cite: Cite
                 ) -> tuple[str, tuple[Var, ...]]:
        """``weight:K(refs, J, W)``: each item of the set with the weight ``W``."""
        pred, refs = self.item_set(count.items, scope, cite)
        key = (pred, weight)
        name = self.helpers.get(key)
        if name is None:
            name = self.helpers[key] = f"{pred}:weight:{weight}"
            member = Var("J")
            self.b.add(f"{cite.rule} (condition)", Atom(name, (*refs, member, weight)),
                       [Atom(pred, (*refs, member))], self._cite(cite, count.span))
        return name, refs

    @staticmethod
    def _cite(cite: Cite, span: object) -> Cite:
        line = getattr(span, "line", 0)
        return Cite(cite.rule, cite.basis, str(span), cite.from_regime) if line else cite

    # ------------------------------------------------------------ values

    def value(self, v: ir.Value, scope: Scope, cite: Cite) -> tuple[list[Literal_], Term]:
        """Literals that bind a value, and the term that holds it."""
        x = self.fresh()
        match v:
            case ir.Bound(name):
                if name in scope.binders:
                    return [], binder_var(name)
                return [self.value_atom(name, scope, x)], x
            case ir.CountOf(items):
                pred, refs = self.item_set(items, scope, cite)
                return [Aggregate("count", Atom(pred, (*refs, self.fresh())), x)], x
            case ir.CreditsOfResults():
                self.counted_credits(cite)
                c = self.fresh()
                return [Aggregate("sum", Atom("counted-credits", (self.fresh(), c)), x, c)], x
            case ir.UnitCredits(unit):
                pre, ref = self.term(unit, scope)
                return [*pre, Atom("unit-credits", (ref, x))], x
            case ir.OutcomeMinimum(outcome):
                return [Atom("minimum", (binder_var(outcome.name), x, _, _))], x
            case ir.DateOf(subject):
                if scope.binders[subject.name].noun == "result":
                    return [], date_var(subject.name)
                return [Atom("item", (binder_var(subject.name), _, x, _, _))], x
            case ir.ItemText(attribute, item):
                pred = "item-org" if attribute == "organisation" else "item-issuer"
                return [Atom(pred, (binder_var(item.name), x))], x
            case ir.ItemField(field, item):
                return [Atom("field", (binder_var(item.name), field, x))], x
            case ir.Constant(constant):
                if isinstance(constant, dt.date):
                    return [], constant.toordinal()
                return [], constant
        raise AssertionError(f"unknown value {v!r}")  # pragma: no cover

    def counted_credits(self, cite: Cite) -> None:
        """``counted-credits(U, C)``: the credits of each unit whose result counts."""
        if not self.credits:
            self.credits = True
            u, c = Var("U"), Var("C")
            self.b.add("result-counts", Atom("counted-credits", (u, c)),
                       [Atom("counts-result", (u,)), Atom("unit-credits", (u, c))],
                       self.b.cite("result-counts", cite.basis))

    # ------------------------------------------------------------ conditions

    def bodies(self, c: ir.Cond, scope: Scope, cite: Cite) -> list[list[Literal_]]:
        """The bodies (after the scope's guard) of a scoped atom: it holds when one does."""
        match c:
            case ir.Comparison(left, op, right):
                pre_l, lt = self.value(left, scope, cite)
                pre_r, rt = self.value(right, scope, cite)
                if not isinstance(lt, Var) and not isinstance(rt, Var):
                    return [[]] if _holds(lt, op, rt) else []
                if not isinstance(lt, Var):
                    lt, rt, op = rt, lt, _FLIP[op]
                return [[*pre_l, *pre_r, Test(lt, op, rt)]]
            case ir.Share(left, lw, op, right, rw):
                sums: list[Var] = []
                lits: list[Literal_] = []
                for count, weight in ((left, lw), (right, rw)):
                    pred, refs = self.weighted(count, weight, scope, cite)
                    total, w = self.fresh(), self.fresh()
                    lits.append(Aggregate("sum", Atom(pred, (*refs, self.fresh(), w)), total, w))
                    sums.append(total)
                return [[*lits, Test(sums[0], op, sums[1])]]
            case ir.Has(subject, test):
                return [self.passes(subject, test, scope)]
            case ir.Quantified(quantifier, items, test):
                return [self.quantified(quantifier, items, test, scope, cite)]
        raise AssertionError(f"not a scoped condition: {c!r}")  # pragma: no cover

    def passes(self, subject: ir.Bound, test: ir.ItemTest, scope: Scope) -> list[Literal_]:
        """Literals that hold when the bound item (or result) passes the test."""
        v = binder_var(subject.name)
        if scope.binders[subject.name].noun == "result":
            assert isinstance(test, ir.AgeTest)
            return self.age(date_var(subject.name), test)
        return self.item_test(v, test)

    def age(self, date: Term, test: ir.AgeTest) -> list[Literal_]:
        """``age OP months``: the date against the cutoff of ``months`` before the date."""
        self.months.add(test.months)
        cutoff = self.fresh()
        return [Atom("age-cutoff", (test.months, cutoff)), Test(date, _AGE_FLIP[test.op], cutoff)]

    def item_test(self, item: Var, test: ir.ItemTest) -> list[Literal_]:
        """Literals that hold when ``item`` passes the test (they bind it)."""
        match test:
            case ir.TypeTest(types) if len(types) == 1:
                return [Atom("item", (item, types[0], _, _, _))]
            case ir.TypeTest(types):
                t = self.fresh()
                return [Atom("item", (item, t, _, _, _)), Test(t, "in", tuple(sorted(types)))]
            case ir.VerifiedTest():
                return [Atom("item", (item, _, _, _, True))]
            case ir.FieldTest(field):
                return [Atom("field", (item, field, True))]
            case ir.AgeTest():
                d = self.fresh()
                return [Atom("item", (item, _, d, _, _)), *self.age(d, test)]
        raise AssertionError(f"unknown item test {test!r}")  # pragma: no cover

    def quantified(self, quantifier: str, items: ir.ItemSet, test: ir.ItemTest, scope: Scope,
                   cite: Cite) -> list[Literal_]:
        """``some``: an item of the set passes; ``no``: none does; ``every``: the set has
        an item and none fails."""
        pred, refs = self.item_set(items, scope, cite)
        member = Var("J")
        if quantifier == "some":
            return [Atom(pred, (*refs, member)), *self.item_test(member, test)]
        part = self._cite(cite, items.span)
        if quantifier == "no":
            name = f"{pred}:passing:{next(self.counter)}"
            self.b.add(f"{cite.rule} (condition)", Atom(name, refs),
                       [Atom(pred, (*refs, member)), *self.item_test(member, test)], part)
            return [Neg(Atom(name, refs))]
        passing = f"{pred}:passes:{next(self.counter)}"
        failing = f"{pred}:failing:{next(self.counter)}"
        self.b.add(f"{cite.rule} (condition)", Atom(passing, (member,)),
                   self.item_test(member, test), part)
        self.b.add(f"{cite.rule} (condition)", Atom(failing, refs),
                   [Atom(pred, (*refs, member)), Neg(Atom(passing, (member,)))], part)
        return [Atom(pred, (*refs, self.fresh())), Neg(Atom(failing, refs))]

    def mentioned(self, c: ir.Cond, scope: Scope, cite: Cite) -> Iterator[tuple[str, tuple[
            Var, ...]]]:
        """The item sets a condition counts or quantifies over (not every item)."""
        stack: list[ir.Cond] = [c]
        while stack:
            node = stack.pop()
            match node:
                case ir.AllOf(items) | ir.AnyOf(items):
                    stack.extend(items)
                case ir.Negation(item):
                    stack.append(item)
                case ir.Comparison(left, _, right):
                    for side in (left, right):
                        yield from self._counted(side, scope, cite)
                case ir.Share(left, _, _, right, _):
                    yield from self._counted(left, scope, cite)
                    yield from self._counted(right, scope, cite)
                case ir.Quantified(_, items, _) if not items.unfiltered:
                    yield self.item_set(items, scope, cite)
                case _:
                    pass

    def _counted(self, v: ir.Value, scope: Scope, cite: Cite) -> Iterator[tuple[str, tuple[
            Var, ...]]]:
        if isinstance(v, ir.Bound) and v.name in scope.definitions:
            value = scope.definitions[v.name].value
            if isinstance(value, ir.ItemSet | ir.Bound | ir.CountOf):
                v = value if not isinstance(value, ir.ItemSet) else ir.CountOf(v.name)
        if isinstance(v, ir.CountOf):
            items = v.items
            resolved = (scope.definitions[items].value if isinstance(items, str) else items)
            if isinstance(resolved, ir.ItemSet) and not resolved.unfiltered:
                yield self.item_set(items, scope, cite)

    # ------------------------------------------------------------ scoped rules

    def scope(self, rule: ir.Rule, cite: Cite) -> Scope:
        """Write ``scope:R(...)`` and the ``where`` values of a rule; its :class:`Scope`."""
        binders = {b.name: b for b in rule.binders}
        definitions = {d.name: d for d in rule.definitions}
        variables: list[Var] = []
        for b in rule.binders:
            variables.append(binder_var(b.name))
            if b.noun == "result":
                variables.append(date_var(b.name))
        atom = Atom(f"scope:{rule.name}", tuple(variables)) if rule.binders else None
        scope = Scope(rule.name, atom, tuple(variables), binders, definitions)
        if atom is not None:
            body: list[Literal_] = []
            for b in rule.binders:
                body.extend(self.binder(b, scope))
            self.b.add(f"{rule.name} (condition)", atom, body,
                       self._cite(cite, rule.binders[0].span))
        for d in rule.definitions:
            if isinstance(d.value, ir.ItemSet):
                continue
            pre, t = self.value(d.value, scope, cite)
            head = Atom(f"value:{scope.rule}:{d.name}", (*scope.vars, t))
            self.b.add(f"{rule.name} (condition)", head, [*scope.guard(), *pre],
                       self._cite(cite, d.span))
        return scope

    def binder(self, b: ir.Binder, scope: Scope) -> list[Literal_]:
        """The literals that give each value of one binder (after the earlier ones)."""
        v = binder_var(b.name)
        match b.noun:
            case "unit":
                return [Atom("claimed", (v,))]
            case "outcome":
                if b.unit is None:
                    u = self.fresh()
                    return [Atom("claimed", (u,)), Atom("outcome", (u, v))]
                pre, ref = self.term(b.unit, scope)
                claimed: list[Literal_] = [Atom("claimed", (ref,))] if isinstance(
                    b.unit, str) else []
                return [*pre, *claimed, Atom("outcome", (ref, v))]
            case "item":
                return self.members(b.items or ir.ItemSet(), v, scope)
            case "result":
                return [Atom("result", (v, date_var(b.name), _, _, _, _, _))]
            case "organisation":
                return [Atom("item-org", (_, v))]
            case "issuer":
                return [Atom("item-issuer", (_, v))]
        raise AssertionError(f"unknown binder {b!r}")  # pragma: no cover

    def rule(self, rule: ir.Rule, cite: Cite, mentions: Sequence[list[Literal_]]) -> None:
        """A rule with binders or ``where`` names: its finding names its values."""
        scope = self.scope(rule, cite)
        cond = self.b.condition(rule.when, cite, scope)
        held = Atom(cond, scope.vars)
        params: list[tuple[Term, Param]] = []
        facts: list[str] = []
        for b in rule.binders:
            params.append((binder_var(b.name), Param(b.name)))
            facts.append(b.name)
            if b.noun == "result":
                params.append((date_var(b.name), Param(f"{b.name}:date", "date")))
        keys = {v: p.name for v, (_, p) in zip(scope.vars, params, strict=True)}
        body: list[Literal_] = [held]
        collected: list[Collected] = []
        named = dict.fromkeys(m.group(1) for text in _texts(rule)
                              for m in PLACEHOLDER.finditer(text))
        for name in named:
            definition = scope.definitions.get(name)
            if definition is None:
                continue
            if definition.type == "items":
                pred, refs = self.item_set(name, scope, cite)
                collected.append(Collected(name, pred, tuple(keys[v] for v in refs)))
                continue
            x = self.fresh()
            body.append(Atom(self.shown(definition, scope, cite), (*scope.vars, x)))
            kind: Literal["text", "date", "number"] = (
                "date" if definition.type == "date" else
                "number" if definition.type == "number" else "text")
            params.append((x, Param(name, kind)))
        about = f"about:{rule.name}"
        member = Var("X")
        for pred, refs in dict.fromkeys(self.mentioned(rule.when, scope, cite)):
            self.b.add(f"{rule.name} (condition)", Atom(about, (*scope.vars, member)),
                       [held, Atom(pred, (*refs, member))], cite)
        for mention in mentions:  # bodies that bind X to a unit or item the rule names
            self.b.add(f"{rule.name} (condition)", Atom(about, (*scope.vars, member)),
                       [held, *mention], cite)
        collected.append(Collected(ABOUT, about, tuple(keys[v] for v in scope.vars)))
        facts.append(ABOUT)
        self.b.finding(rule.name, cite, rule.name, rule.severity, rule.message, params, body,
                       facts=tuple(facts), collected=tuple(collected),
                       translations=rule.translations, advice=rule.advice)

    def shown(self, definition: ir.Definition, scope: Scope, cite: Cite) -> str:
        """The predicate a message reads a ``where`` value from; ``-`` when absent."""
        value = f"value:{scope.rule}:{definition.name}"
        if not definition.partial:
            return value
        shown = f"shown:{scope.rule}:{definition.name}"
        x = self.fresh()
        part = self._cite(cite, definition.span)
        self.b.add(f"{cite.rule} (condition)", Atom(shown, (*scope.vars, x)),
                   [Atom(value, (*scope.vars, x))], part)
        absent: Term = 0 if definition.type == "date" else "-"
        self.b.add(f"{cite.rule} (condition)", Atom(shown, (*scope.vars, absent)),
                   [*scope.guard(), Neg(Atom(value, (*scope.vars, _)))], part)
        return shown


_FLIP: dict[str, Literal["<", "<=", ">", ">=", "=", "!="]] = {
    "<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def _holds(left: Term, op: str, right: Term) -> bool:
    """A comparison of two constants, decided when the ruleset is compiled."""
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if not isinstance(left, int) or not isinstance(right, int):
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right,
            ">=": left >= right}[op]


def _texts(rule: ir.Rule) -> list[str]:
    """A rule's message and advice, each in every language it is written in."""
    texts = [rule.message, *(text for _, text in rule.translations)]
    if rule.advice:
        texts.append(rule.advice)
        if isinstance(rule.advice, Localized):
            texts.extend(rule.advice.translations.values())
    return texts
