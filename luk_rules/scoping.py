"""What the names in a rule mean: binders, ``where`` names, values and the conditions
over them, resolved once.

A rule may range over the submission (``for each outcome``, ``for each item covering
outcome``), name values (``where n is number of items ...``) and compare them. This
module is the one place that decides what each name in such a rule stands for: a
binder, a ``where`` name, or a declared unit code, evidence type or field. The checks
run it for its diagnostics; lowering runs it again on a ruleset that passed the checks
and takes its IR as it is, so the two can never disagree.

Example:
    >>> from luk_rules.parse import parse  # doctest: +SKIP
    >>> rule = parse(text).declarations[0]  # doctest: +SKIP
    >>> scope = Scope.of_rule(rule, Names.of(declarations))  # doctest: +SKIP
    >>> scope.diagnostics, scope.binders  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal

import attrs

from luk_rules import ast, ir
from luk_rules.diagnostics import Diagnostic, Label, error, suggest
from luk_rules.printer import value_text
from luk_rules.span import Span

ITEM_KEYS = ("id", "type", "outcomes", "date", "activity", "verified", "issuer",
             "organisation")
"""The keys of an evidence item in a submission; a declared field may not take one."""

PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_-]*)\}")
"""A ``{name}`` in a rule's message."""

ENTITIES: tuple[ir.Noun, ...] = ("unit", "outcome", "item", "result", "organisation",
                                 "issuer")
"""The nouns a rule can range over; their values are the facts its findings list."""

_ORDER_OPS = ("<", "<=", ">", ">=")
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
_TYPE_WORDS = {
    "number": "a number", "date": "a date", "text": "a text", "yes/no": "a yes/no value",
    "unit": "a unit", "outcome": "an outcome", "item": "an item", "result": "a result",
    "items": "a set of items", "age": "an age", "share": "a percentage",
}


@attrs.frozen
class Names:
    """The declared names a rule may use: evidence types, units, fields, and the kind of
    every other declared name (for "is a unit, not an evidence type").

    ``complete`` is False when a file of the ruleset did not parse: an unknown name then
    proves nothing and is not reported.
    """

    evidence: frozenset[str]
    units: frozenset[str]
    fields: Mapping[str, ir.FieldType]
    kinds: Mapping[str, str]
    complete: bool = True

    @classmethod
    def of(cls, declarations: Iterable[ast.Declaration], complete: bool = True) -> Names:
        """The names declared by ``declarations`` (the first declaration of a name wins)."""
        evidence: set[str] = set()
        units: set[str] = set()
        fields: dict[str, ir.FieldType] = {}
        kinds: dict[str, str] = {}
        for decl in declarations:
            if isinstance(decl, ast.EvidenceType):
                evidence.add(decl.name.value)
                kinds.setdefault(decl.name.value, "an evidence type")
            elif isinstance(decl, ast.Unit):
                units.add(decl.name.value)
                kinds.setdefault(decl.name.value, "a unit")
            elif isinstance(decl, ast.Field):
                fields.setdefault(decl.name.value, decl.type)
                kinds.setdefault(decl.name.value, "an evidence field")
            elif isinstance(decl, ast.Assessment):
                kinds.setdefault(decl.name.value, "an assessment")
            elif isinstance(decl, ast.Regime):
                kinds.setdefault(decl.name.value, "a law regime")
        return cls(frozenset(evidence), frozenset(units), fields, kinds, complete)


@attrs.frozen
class _Typed:
    """A resolved value: its IR, its type, whether it may be absent, and what it counts."""

    value: ir.Value
    type: str
    partial: bool = False
    counted: ir.CountOf | None = None
    age_of: ir.Bound | None = None
    months: int | None = None
    percent: int | None = None


def _months(age: ast.Age) -> int:
    return age.amount.value * (12 if age.unit == "years" else 1)


def _shown(value: ast.Value) -> str:
    return value_text(value)


class Scope:
    """The names bound in one rule (or one law clause), and the resolver of its values.

    Build it with :meth:`of_rule` (binders, ``where`` names and the message's
    placeholders are resolved then), or with :meth:`bare` for a condition without
    binders; then :meth:`atom` resolves each scoped condition. Every problem is a
    located diagnostic in :attr:`diagnostics`; a construct with a problem resolves to a
    condition that never holds.
    """

    def __init__(self, names: Names, where: str = "rule") -> None:
        self.names = names
        self.where = where
        self.types: dict[str, str] = {}
        self.nouns: dict[str, ir.Noun] = {}
        self.declared_at: dict[str, ast.Name] = {}
        self.binders: list[ir.Binder] = []
        self.definitions: dict[str, ir.Definition] = {}
        self.diagnostics: list[Diagnostic] = []
        self.later: set[str] = set()

    # ------------------------------------------------------------ building

    @classmethod
    def bare(cls, names: Names, where: str = "clause") -> Scope:
        """A scope without binders, for a law clause's condition."""
        return cls(names, where)

    @classmethod
    def of_rule(cls, rule: ast.Rule, names: Names) -> Scope:
        """Resolve a rule's binders and ``where`` names, and check its message."""
        scope = cls(names)
        scope.later = {(b.called.value if b.called else b.noun) for b in rule.binders}
        for binder in rule.binders:
            scope.bind(binder)
        for where in rule.wheres:
            scope.define(where)
        scope.placeholders(rule.message)
        for translation in rule.translations:
            scope.placeholders(translation.text)
        return scope

    def _report(self, code: str, message: str, span: Span, hint: str | None = None,
                labels: tuple[Label, ...] = ()) -> None:
        self.diagnostics.append(error(code, message, span, hint=hint, labels=labels))

    def _name(self, name: ast.Name, type_: str) -> bool:
        """Bind a name; False (with LUK074) when it is bound already."""
        earlier = self.declared_at.get(name.value)
        if earlier is not None:
            self._report(
                "LUK074", f"`{name.value}` is bound twice in this {self.where}", name.span,
                hint="give the second one another name: `for each item called other ...` "
                "or `where other-name is ...`",
                labels=(Label(earlier.span, "first bound here"),))
            return False
        self.declared_at[name.value] = name
        self.types[name.value] = type_
        return True

    def bind(self, binder: ast.Binder) -> None:
        """``for each NOUN [called NAME] ...``."""
        name = binder.called or ast.Name(binder.noun, span=binder.span)
        self.later.discard(name.value)
        unit: ir.Term | None = None
        if binder.of is not None:
            unit = self._unit_term(binder.of, "`for each outcome of` names a unit")
        items = self.item_set(binder.items) if binder.items is not None else None
        type_ = "text" if binder.noun in ("organisation", "issuer") else binder.noun
        if self._name(name, type_):
            self.nouns[name.value] = binder.noun
            self.binders.append(ir.Binder(name.value, binder.noun, unit, items,
                                          span=binder.span))

    def define(self, where: ast.Where) -> None:
        """``where NAME is VALUE`` or ``where NAME are items ...``."""
        if isinstance(where, ast.WhereItems):
            items = self.item_set(where.items)
            if self._name(where.name, "items"):
                self.definitions[where.name.value] = ir.Definition(
                    where.name.value, items, "items", span=where.span)
            return
        typed = self.value(where.value)
        if typed is None:
            self._name(where.name, "number")  # keep the name, so uses are not unknown too
            return
        if typed.type in ("age", "share"):
            what = "an age" if typed.type == "age" else "a percentage"
            self._report(
                "LUK073", f"`where` cannot name {what}", where.value.span or where.span,
                hint="write it in the condition instead: `age of item > 5 years`, "
                "`number of items from organisation > 50% of number of items`")
            self._name(where.name, "number")
            return
        if self._name(where.name, typed.type):
            self.definitions[where.name.value] = ir.Definition(
                where.name.value, typed.value, _value_type(typed.type), typed.partial,
                span=where.span)

    def placeholders(self, message: ast.Text) -> None:
        """LUK072: every ``{name}`` in the message names a binder or a ``where`` name."""
        for match in PLACEHOLDER.finditer(message.value):
            name = match.group(1)
            if name in self.types:
                continue
            sp = message.span
            column = sp.column + 1 + match.start() if sp.line == sp.end_line else sp.column
            width = len(match.group(0))
            span = Span(sp.file, sp.line, column, sp.line, column + width) if sp.line else sp
            close = suggest(name, sorted(self.types))
            if close:
                hint = f"did you mean `{{{close}}}`?"
            elif self.types:
                hint = "the names bound here are " + ", ".join(
                    f"`{{{n}}}`" for n in self.types)
            else:
                hint = ("bind it first, e.g. `for each outcome` or `where n is number of "
                        "items ...`; a rule's message can only name what the rule binds")
            self._report("LUK072", f"the message names `{{{name}}}`, which this rule does "
                         "not bind", span, hint=hint)

    # ------------------------------------------------------------ names

    def _unknown(self, ref: ast.Ref, what: str, candidates: Iterable[str] = ()) -> None:
        """LUK070: a name that is neither bound nor a declared name that fits here."""
        name = ref.name.value
        kind = self.names.kinds.get(name)
        if name in self.later:
            self._report(
                "LUK070", f"`{name}` is bound by a later `for each` of this {self.where}",
                ref.span, hint=f"put the `for each` that binds `{name}` first")
            return
        if kind is not None and not candidates:
            self._report(
                "LUK071", f"`{name}` is {kind}; {what}", ref.span,
                hint=self._bound_hint())
            return
        if not self.names.complete and not self.types:
            return
        close = suggest(name, [*self.types, *candidates])
        hint = f"did you mean `{close}`?" if close else self._bound_hint()
        self._report("LUK070", f"`{name}` names nothing here: {what}", ref.span, hint=hint)

    def _bound_hint(self) -> str:
        if self.types:
            return "the names bound here are " + ", ".join(f"`{n}`" for n in self.types)
        return ("bind it first: `for each unit`, `for each outcome`, `for each item`, ... or "
                "`where NAME is ...`")

    def _wrong_kind(self, ref: ast.Ref, what: str, needs: str) -> None:
        """LUK071: a bound name of the wrong kind."""
        type_ = self.types[ref.name.value]
        self._report("LUK071", f"`{ref.name.value}` is {_TYPE_WORDS.get(type_, type_)}; "
                     f"{what}", ref.span, hint=needs)

    def _unit_term(self, ref: ast.Ref, what: str) -> ir.Term | None:
        name = ref.name.value
        if name in self.types:
            if self.types[name] == "unit":
                return ir.Bound(name)
            self._wrong_kind(ref, what, "name a unit binder (`for each unit`) or a unit code")
            return None
        if name in self.names.units:
            return name
        self._unknown(ref, what, self.names.units)
        return None

    def _target(self, ref: ast.Ref, keyword: str) -> ir.Target | None:
        name = ref.name.value
        what = f"`{keyword}` names an outcome or a unit"
        if name in self.types:
            type_ = self.types[name]
            if type_ in ("outcome", "unit"):
                return ir.Target("outcome" if type_ == "outcome" else "unit", ir.Bound(name))
            self._wrong_kind(ref, what, f"write `{keyword} outcome` (a binder `for each "
                             f"outcome`) or `{keyword} UNIT-CODE`")
            return None
        if name in self.names.units:
            return ir.Target("unit", name)
        self._unknown(ref, what, self.names.units)
        return None

    def _item(self, ref: ast.Ref, what: str, results: bool = False) -> ir.Bound | None:
        name = ref.name.value
        if name in self.types:
            if self.types[name] == "item" or (results and self.types[name] == "result"):
                return ir.Bound(name)
            self._wrong_kind(ref, what, "name an item binder: `for each item ...`"
                             + (" or a result binder" if results else ""))
            return None
        self._unknown(ref, what)
        return None

    def _types(self, names: Iterable[ast.Name]) -> tuple[str, ...]:
        found: list[str] = []
        for name in names:
            if name.value in self.names.evidence:
                found.append(name.value)
            elif name.value in self.names.kinds:
                self._report("LUK020", f"`{name.value}` is {self.names.kinds[name.value]}, "
                             "not an evidence type", name.span,
                             hint="`of type` lists evidence types")
            elif self.names.complete:
                close = suggest(name.value, self.names.evidence)
                self._report("LUK010", f"undefined evidence type `{name.value}`", name.span,
                             hint=f"did you mean `{close}`?" if close
                             else f"declare it: `evidence {name.value} \"...\"`")
        return tuple(dict.fromkeys(found))

    # ------------------------------------------------------------ item sets

    def item_set(self, items: ast.ItemFilters) -> ir.ItemSet:
        """``of type T covering O counting for O from ORG that are verified``."""
        covering: list[ir.Target] = []
        counting: list[ir.Target] = []
        organisations: list[ir.Term] = []
        verified = False
        for f in items.filters:
            if isinstance(f, ast.Covering):
                target = self._target(f.target, "covering")
                if target is not None:
                    covering.append(target)
            elif isinstance(f, ast.CountingFor):
                target = self._target(f.target, "counting for")
                if target is not None:
                    counting.append(target)
            elif isinstance(f, ast.From):
                source = self._organisation(f.source)
                if source is not None:
                    organisations.append(source)
            else:
                verified = True
        return ir.ItemSet(self._types(items.types), tuple(dict.fromkeys(covering)),
                          tuple(dict.fromkeys(counting)), tuple(dict.fromkeys(organisations)),
                          verified, span=items.span)

    def _organisation(self, source: ast.Ref | ast.Text) -> ir.Term | None:
        if isinstance(source, ast.Text):
            return source.value
        name = source.name.value
        if name in self.types:
            if self.types[name] == "text":
                return ir.Bound(name)
            self._wrong_kind(source, "`from` names an organisation",
                             'write `from organisation` (a binder `for each organisation`) '
                             'or a quoted name: `from "Bedrijf BV"`')
            return None
        self._unknown(source, "`from` names an organisation (a binder) or a quoted name")
        return None

    # ------------------------------------------------------------ values

    def value(self, value: ast.Value) -> _Typed | None:
        """A value with its type; None (with a diagnostic) when it cannot be resolved.

        A name that is not bound gives LUK070 here: constants are resolved only where
        the other side of ``is`` says what they are (:meth:`_compare`).
        """
        match value:
            case ast.Ref():
                typed = self._bound(value)
                if typed is None:
                    self._unknown(value, "a value names a binder or a `where` name")
                return typed
            case ast.CountItems(items):
                count = ir.CountOf(self.item_set(items), span=value.span)
                return _Typed(count, "number", counted=count)
            case ast.CountNamed(name):
                ref = ast.Ref(name, span=name.span)
                if self.types.get(name.value) == "items":
                    count = ir.CountOf(name.value, span=value.span)
                    return _Typed(count, "number", counted=count)
                if name.value in self.types:
                    self._wrong_kind(ref, "`number of` counts items",
                                     "name a set: `where NAME are items ...`, or write "
                                     "`number of items ...`")
                else:
                    self._unknown(ref, "`number of` counts a set of items")
                return None
            case ast.CreditsOfResults():
                return _Typed(ir.CreditsOfResults(span=value.span), "number")
            case ast.Attribute(attribute, of):
                return self._attribute(attribute, of, value.span)
            case ast.FieldOf(field, of):
                type_ = self.names.fields.get(field.value)
                item = self._item(of, f"`{field.value} of` reads a field of an item")
                if type_ is None:
                    self._unknown_field(field)
                    return None
                if item is None:
                    return None
                return _Typed(ir.ItemField(field.value, item, span=value.span), type_,
                              partial=True)
            case ast.PercentOf(percent, of):
                inner = self.value(of)
                if inner is None:
                    return None
                if inner.counted is None:
                    self._report(
                        "LUK073", f"a percentage is taken of a number of items, not of "
                        f"{_TYPE_WORDS.get(inner.type, inner.type)}", of.span,
                        hint="write `50% of number of items ...`")
                    return None
                return _Typed(inner.value, "share", counted=inner.counted,
                              percent=percent.value)
            case ast.Integer(number):
                return _Typed(ir.Constant(number, span=value.span), "number")
            case ast.DateLit(text):
                try:
                    date = dt.date.fromisoformat(text)
                except ValueError:
                    self._report("LUK021", f"`{text}` is not a calendar date", value.span,
                                 hint="write an existing date as YYYY-MM-DD, e.g. "
                                 "`2025-02-28`")
                    return None
                return _Typed(ir.Constant(date, span=value.span), "date")
            case ast.Text(text):
                return _Typed(ir.Constant(text, span=value.span), "text")
            case ast.Age():
                return _Typed(ir.Constant(_months(value), span=value.span), "age literal",
                              months=_months(value))
        raise AssertionError(f"unknown value {value!r}")  # pragma: no cover

    def _bound(self, ref: ast.Ref) -> _Typed | None:
        name = ref.name.value
        type_ = self.types.get(name)
        if type_ is None:
            return None
        definition = self.definitions.get(name)
        partial = definition.partial if definition is not None else False
        counted = None
        if definition is not None and isinstance(definition.value, ir.CountOf):
            counted = definition.value
        if type_ == "items":
            return _Typed(ir.Bound(name), "items")
        return _Typed(ir.Bound(name), type_, partial, counted)

    def _unknown_field(self, field: ast.Name) -> None:
        kind = self.names.kinds.get(field.value)
        if kind is not None:
            self._report("LUK020", f"`{field.value}` is {kind}, not an evidence field",
                         field.span, hint="`NAME of item` reads a field declared with "
                         "`evidence field NAME \"...\" TYPE`")
            return
        if not self.names.complete:
            return
        close = suggest(field.value, self.names.fields)
        self._report("LUK010", f"undefined evidence field `{field.value}`", field.span,
                     hint=f"did you mean `{close}`?" if close else
                     f"declare it: `evidence field {field.value} \"...\" text` (or `date`, "
                     "`number`, `yes/no`)")

    def _attribute(self, attribute: ast.AttributeName, of: ast.Ref, span: Span
                   ) -> _Typed | None:
        what = f"`{attribute} of` "
        if attribute == "credits":
            name = of.name.value
            if self.types.get(name) == "result":
                return _Typed(ir.UnitCredits(ir.Bound(name), span=span), "number")
            unit = self._unit_term(of, what + "needs a unit")
            return None if unit is None else _Typed(ir.UnitCredits(unit, span=span),
                                                    "number")
        if attribute == "minimum":
            if self.types.get(of.name.value) == "outcome":
                return _Typed(ir.OutcomeMinimum(ir.Bound(of.name.value), span=span), "number")
            if of.name.value in self.types:
                self._wrong_kind(of, what + "needs an outcome",
                                 "bind one with `for each outcome` and write "
                                 "`minimum of outcome`")
            else:
                self._unknown(of, what + "needs an outcome")
            return None
        if attribute in ("age", "date"):
            subject = self._item(of, what + "needs an item or a result", results=True)
            if subject is None:
                return None
            if attribute == "date":
                return _Typed(ir.DateOf(subject, span=span), "date")
            return _Typed(ir.DateOf(subject, span=span), "age", age_of=subject)
        item = self._item(of, what + "needs an item")
        if item is None:
            return None
        text_attribute: Literal["organisation", "issuer"] = (
            "organisation" if attribute == "organisation" else "issuer")
        return _Typed(ir.ItemText(text_attribute, item, span=span), "text", partial=True)

    # ------------------------------------------------------------ conditions

    def atom(self, node: ast.Compare | ast.IsTest | ast.ItemsQuantified) -> ir.Cond:
        """A scoped condition as IR; ``Const(False)`` (with a diagnostic) when it is wrong."""
        never = ir.Const(False, span=node.span)
        if isinstance(node, ast.Compare):
            return self._compare(node) or never
        if isinstance(node, ast.IsTest):
            subject = self._is_subject(node.subject, node.test)
            if subject is None:
                return never
            has: ir.Cond = ir.Has(subject, self._item_test(node.test), span=node.span)
            return ir.Negation(has, span=node.span) if node.negated else has
        items = self.item_set(node.items)
        test = (self._named_test(node.test) if isinstance(node.test, ast.Name)
                else self._item_test(node.test))
        if test is None:
            return never
        return ir.Quantified(node.quantifier, items, test, span=node.span)

    def _is_subject(self, subject: ast.Value, test: ast.ItemTest) -> ir.Bound | None:
        ages = isinstance(test, ast.AgeTest)
        what = "`is older than` and `is younger than` need an item or a result" if ages else (
            "`is verified` needs an item")
        if isinstance(subject, ast.Ref):
            return self._item(subject, what, results=ages)
        typed = self.value(subject)
        if typed is not None:
            self._report("LUK071", f"`{_shown(subject)}` is "
                         f"{_TYPE_WORDS.get(typed.type, typed.type)}; {what}", subject.span,
                         hint="name an item binder: `item is verified`")
        return None

    @staticmethod
    def _item_test(test: ast.ItemTest) -> ir.ItemTest:
        if isinstance(test, ast.Verified):
            return ir.VerifiedTest()
        return ir.AgeTest("<" if test.comparison == "younger" else ">", _months(test.age))

    def _named_test(self, name: ast.Name) -> ir.ItemTest | None:
        """``... is certificaat`` (an evidence type) or ``... is beoordeeld`` (a yes/no field)."""
        if name.value in self.names.evidence:
            return ir.TypeTest((name.value,))
        field_type = self.names.fields.get(name.value)
        if field_type == "yes/no":
            return ir.FieldTest(name.value)
        if field_type is not None:
            self._report("LUK073", f"`{name.value}` is a {field_type} field; `is` tests an "
                         "evidence type or a yes/no field", name.span,
                         hint=f"compare its value: `{name.value} of item is ...`")
            return None
        if not self.names.complete:
            return None
        close = suggest(name.value, [*self.names.evidence, *(
            f for f, t in self.names.fields.items() if t == "yes/no")])
        self._report("LUK070", f"`{name.value}` is neither an evidence type nor a yes/no "
                     "field", name.span,
                     hint=f"did you mean `{close}`?" if close else
                     "write an evidence type (`is certificaat`) or a declared yes/no field")
        return None

    def _compare(self, node: ast.Compare) -> ir.Cond | None:
        equality = node.op in ("is", "is not", "=")
        op = "!=" if node.op == "is not" else "=" if node.op in ("is", "=") else node.op
        left = self._side(node.left, node.right if equality else None)
        right = self._side(node.right, node.left if equality else None)
        if isinstance(left, ir.Cond) or isinstance(right, ir.Cond):
            found = left if isinstance(left, ir.Cond) else right
            assert isinstance(found, ir.Cond)
            return ir.Negation(found, span=node.span) if op == "!=" else found
        if left is None or right is None:
            return None
        return self._typed_compare(node, left, op, right)

    def _side(self, side: ast.Value, other: ast.Value | None) -> _Typed | ir.Cond | None:
        """One side of a comparison; with ``other`` (an equality), an unbound name may be a
        constant that the other side's type explains (``unit is ICT-AFS``)."""
        if not isinstance(side, ast.Ref) or side.name.value in self.types or other is None:
            return self.value(side)
        if isinstance(other, ast.Ref) and other.name.value not in self.types:
            # Neither is bound: report the left one, which the right one would describe.
            return self.value(side) if side.span <= other.span else None
        typed = self.value(other) if not isinstance(other, ast.Ref) else self._bound(other)
        if typed is None:
            return None
        name = side.name.value
        if typed.type == "unit":
            if name in self.names.units:
                return _Typed(ir.Constant(name, span=side.span), "unit")
            self._unknown(side, "a unit is compared with a unit code", self.names.units)
            return None
        if typed.type == "item" and isinstance(typed.value, ir.Bound):
            test = self._named_test(side.name)
            return None if test is None else ir.Has(typed.value, test, span=side.span)
        if typed.type == "text" and name not in self.names.kinds:
            self._report("LUK070", f"`{name}` names nothing here: a text is written in "
                         "quotes", side.span, hint=f'write `"{name}"`')
            return None
        self._unknown(side, "a value names a binder or a `where` name")
        return None

    def _typed_compare(self, node: ast.Compare, left: _Typed, op: str, right: _Typed
                       ) -> ir.Cond | None:
        if "age" in (left.type, right.type) or "age literal" in (left.type, right.type):
            return self._age_compare(node, left, op, right)
        if "share" in (left.type, right.type):
            return self._share_compare(node, left, op, right)
        if left.type != right.type or left.type == "items":
            self._mismatch(node, left, right)
            return None
        if op in _ORDER_OPS and left.type not in ("number", "date"):
            self._report(
                "LUK073", f"{_TYPE_WORDS[left.type]} has no order: `{node.op}` compares "
                "numbers and dates", node.span,
                hint=f"write `is` or `is not` to compare {_TYPE_WORDS[left.type]}")
            return None
        cmp_op: Literal["<", "<=", ">", ">=", "=", "!="] = _op(op)
        return ir.Comparison(left.value, cmp_op, right.value, span=node.span)

    def _age_compare(self, node: ast.Compare, left: _Typed, op: str, right: _Typed
                     ) -> ir.Cond | None:
        if left.type == "age literal" and right.type == "age":
            left, right, op = right, left, _FLIP[op]
        if left.type != "age" or right.type != "age literal" or left.age_of is None:
            self._mismatch(node, left, right)
            return None
        if op not in _ORDER_OPS:
            self._report(
                "LUK073", "an age is compared with `<`, `<=`, `>` or `>=`", node.span,
                hint="write `age of item > 5 years` (older than) or `age of item < 1 year` "
                "(younger than)")
            return None
        assert right.months is not None
        age_op: Literal["<", "<=", ">", ">="] = _order_op(op)
        return ir.Has(left.age_of, ir.AgeTest(age_op, right.months), span=node.span)

    def _share_compare(self, node: ast.Compare, left: _Typed, op: str, right: _Typed
                       ) -> ir.Cond | None:
        if left.counted is None or right.counted is None or op == "!=":
            self._report(
                "LUK073", "a percentage compares two numbers of items", node.span,
                hint="write `number of items from organisation > 50% of number of items`")
            return None
        share_op: Literal["<", "<=", ">", ">=", "="] = _share_op(op)
        return ir.Share(left.counted, left.percent if left.percent is not None else 100,
                        share_op, right.counted,
                        right.percent if right.percent is not None else 100, span=node.span)

    def _mismatch(self, node: ast.Compare, left: _Typed, right: _Typed) -> None:
        lw = _TYPE_WORDS.get(left.type, "an age" if left.type == "age literal" else left.type)
        rw = _TYPE_WORDS.get(right.type, "an age" if right.type == "age literal"
                             else right.type)
        kinds = {left.type, right.type}
        if kinds & {"age", "age literal"}:
            hint = ("an age is compared with an age: `age of item > 5 years`; a date with a "
                    "date: `date of item < 2020-01-01`")
        elif kinds == {"date", "number"}:
            hint = ("compare a date with a date (`date of item < 2020-01-01`), or the age of "
                    "an item with an age (`age of item > 5 years`)")
        elif "items" in kinds:
            hint = "compare the number of the items: `number of NAME`"
        else:
            hint = f"compare {lw} with {lw}"
        self._report("LUK073", f"`{_shown(node.left)}` is {lw} and `{_shown(node.right)}` "
                     f"is {rw}: they cannot be compared", node.span, hint=hint)


def _value_type(type_: str) -> ir.ValueType:
    known: dict[str, ir.ValueType] = {
        "number": "number", "date": "date", "text": "text", "yes/no": "yes/no",
        "unit": "unit", "outcome": "outcome", "item": "item", "result": "result",
        "items": "items"}
    return known[type_]


def _op(op: str) -> Literal["<", "<=", ">", ">=", "=", "!="]:
    ops: dict[str, Literal["<", "<=", ">", ">=", "=", "!="]] = {
        "<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "=", "!=": "!="}
    return ops[op]


def _order_op(op: str) -> Literal["<", "<=", ">", ">="]:
    ops: dict[str, Literal["<", "<=", ">", ">="]] = {"<": "<", "<=": "<=", ">": ">",
                                                     ">=": ">="}
    return ops[op]


def _share_op(op: str) -> Literal["<", "<=", ">", ">=", "="]:
    ops: dict[str, Literal["<", "<=", ">", ">=", "="]] = {"<": "<", "<=": "<=", ">": ">",
                                                          ">=": ">=", "=": "="}
    return ops[op]


def scoped_atoms(condition: ast.Condition) -> Iterator[
        ast.Compare | ast.IsTest | ast.ItemsQuantified]:
    """Every scoped atom inside a condition, in order, without recursion."""
    stack: list[ast.Condition] = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Or | ast.And):
            stack.extend(reversed(node.items))
        elif isinstance(node, ast.Not):
            stack.append(node.item)
        elif isinstance(node, ast.Compare | ast.IsTest | ast.ItemsQuantified):
            yield node


def check_fields(declarations: Iterable[ast.Declaration]) -> Iterator[Diagnostic]:
    """LUK075: a declared evidence field is not named like an item's own key, and is
    declared once."""
    seen: dict[str, ast.Field] = {}
    for decl in declarations:
        if not isinstance(decl, ast.Field):
            continue
        name = decl.name.value
        if name in ITEM_KEYS:
            yield error("LUK075", f"`{name}` is a key every evidence item has; a field cannot "
                        "take it", decl.name.span,
                        hint=f"name the field after what it holds, e.g. `{name}-extra`; "
                        f"items already have {', '.join(f'`{k}`' for k in ITEM_KEYS)}")
        earlier = seen.setdefault(name, decl)
        if earlier is not decl:
            yield error("LUK075", f"evidence field `{name}` is declared more than once",
                        decl.name.span, hint="remove the second declaration",
                        labels=[Label(earlier.name.span, "first declared here")])


__all__ = ["ENTITIES", "ITEM_KEYS", "PLACEHOLDER", "Names", "Scope", "check_fields",
           "scoped_atoms"]
