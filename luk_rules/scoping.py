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
from luk_rules.i18n import Message, msg
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
_TYPE_WORDS: dict[str, Message] = {
    "number": msg("a number"), "date": msg("a date"), "text": msg("a text"),
    "yes/no": msg("a yes/no value"), "unit": msg("a unit"), "outcome": msg("an outcome"),
    "item": msg("an item"), "result": msg("a result"), "items": msg("a set of items"),
    "age": msg("an age"), "age literal": msg("an age"), "share": msg("a percentage"),
}


def _type_word(type_: str) -> Message:
    """What a value of this type is, in words: "a number", "an age"."""
    # Translators: a type of value that has no word of its own; shown as it is.
    return _TYPE_WORDS.get(type_) or msg("{type}", type=type_)


def _names_bound(names: Iterable[str]) -> Message:
    return msg("the names bound here are {names}", names=", ".join(names))


def _did_you_mean(name: str) -> Message:
    return msg("did you mean `{name}`?", name=name)


_KINDS = {"evidence": msg("an evidence type"), "unit": msg("a unit"),
          "field": msg("an evidence field"), "assessment": msg("an assessment"),
          "regime": msg("a law regime")}
"""What a declared name is, in words (for "`x` is a unit, not an evidence type")."""


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
    kinds: Mapping[str, Message]
    complete: bool = True

    @classmethod
    def of(cls, declarations: Iterable[ast.Declaration], complete: bool = True) -> Names:
        """The names declared by ``declarations`` (the first declaration of a name wins)."""
        evidence: set[str] = set()
        units: set[str] = set()
        fields: dict[str, ir.FieldType] = {}
        kinds: dict[str, Message] = {}
        for decl in declarations:
            if isinstance(decl, ast.EvidenceType):
                evidence.add(decl.name.value)
                kinds.setdefault(decl.name.value, _KINDS["evidence"])
            elif isinstance(decl, ast.Unit):
                units.add(decl.name.value)
                kinds.setdefault(decl.name.value, _KINDS["unit"])
            elif isinstance(decl, ast.Field):
                fields.setdefault(decl.name.value, decl.type)
                kinds.setdefault(decl.name.value, _KINDS["field"])
            elif isinstance(decl, ast.Assessment):
                kinds.setdefault(decl.name.value, _KINDS["assessment"])
            elif isinstance(decl, ast.Regime):
                kinds.setdefault(decl.name.value, _KINDS["regime"])
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


_A_VALUE = msg("a value names a binder or a `where` name")


def _is_kind(name: str, kind: Message, what: Message) -> Message:
    """LUK071: "`NAME` is KIND; WHAT" (what the name is, and what is needed here)."""
    # Translators: kind is "a unit", "an item", ...; what says what is needed here.
    return msg("`{name}` is {kind}; {what}", name=name, kind=kind, what=what)


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
        if rule.advice is not None:
            scope.placeholders(rule.advice.text)
            for translation in rule.advice.translations:
                scope.placeholders(translation.text)
        return scope

    def _report(self, code: str, message: Message, span: Span, hint: Message | None = None,
                labels: tuple[Label, ...] = ()) -> None:
        self.diagnostics.append(error(code, message, span, hint=hint, labels=labels))

    def _name(self, name: ast.Name, type_: str) -> bool:
        """Bind a name; False (with LUK074) when it is bound already."""
        earlier = self.declared_at.get(name.value)
        if earlier is not None:
            self._report(
                "LUK074", msg("`{name}` is bound twice in this rule", name=name.value)
                if self.where == "rule" else
                msg("`{name}` is bound twice in this clause", name=name.value), name.span,
                hint=msg("give the second one another name: `for each item called other ...` "
                         "or `where other-name is ...`"),
                labels=(Label(earlier.span, msg("first bound here")),))
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
            unit = self._unit_term(binder.of, msg("`for each outcome of` names a unit"))
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
            self._report(
                "LUK073", msg("`where` cannot name {what}", what=_type_word(typed.type)),
                where.value.span or where.span,
                hint=msg("write it in the condition instead: `age of item > 5 years`, "
                         "`number of items from organisation > 50% of number of items`"))
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
                hint = _did_you_mean(f"{{{close}}}")
            elif self.types:
                hint = _names_bound(f"`{{{n}}}`" for n in self.types)
            else:
                hint = msg("bind it first, e.g. `for each outcome` or `where n is number of "
                           "items ...`; a rule's message can only name what the rule binds")
            placeholder = match.group(0)
            self._report("LUK072", msg("the message names `{placeholder}`, which this rule "
                                       "does not bind", placeholder=placeholder),
                         span, hint=hint)

    # ------------------------------------------------------------ names

    def _unknown(self, ref: ast.Ref, what: Message, candidates: Iterable[str] = ()) -> None:
        """LUK070: a name that is neither bound nor a declared name that fits here."""
        name = ref.name.value
        kind = self.names.kinds.get(name)
        if name in self.later:
            self._report(
                "LUK070", msg("`{name}` is bound by a later `for each` of this rule", name=name)
                if self.where == "rule" else
                msg("`{name}` is bound by a later `for each` of this clause", name=name),
                ref.span, hint=msg("put the `for each` that binds `{name}` first", name=name))
            return
        if kind is not None and not candidates:
            self._report(
                "LUK071", _is_kind(name, kind, what), ref.span, hint=self._bound_hint())
            return
        if not self.names.complete and not self.types:
            return
        close = suggest(name, [*self.types, *candidates])
        hint = _did_you_mean(close) if close else self._bound_hint()
        self._report("LUK070", msg("`{name}` names nothing here: {what}", name=name, what=what),
                     ref.span, hint=hint)

    def _bound_hint(self) -> Message:
        if self.types:
            return _names_bound(f"`{n}`" for n in self.types)
        return msg("bind it first: `for each unit`, `for each outcome`, `for each item`, ... "
                   "or `where NAME is ...`")

    def _wrong_kind(self, ref: ast.Ref, what: Message, needs: Message) -> None:
        """LUK071: a bound name of the wrong kind."""
        type_ = self.types[ref.name.value]
        self._report("LUK071", _is_kind(ref.name.value, _type_word(type_), what), ref.span,
                     hint=needs)

    def _unit_term(self, ref: ast.Ref, what: Message) -> ir.Term | None:
        name = ref.name.value
        if name in self.types:
            if self.types[name] == "unit":
                return ir.Bound(name)
            self._wrong_kind(ref, what,
                             msg("name a unit binder (`for each unit`) or a unit code"))
            return None
        if name in self.names.units:
            return name
        self._unknown(ref, what, self.names.units)
        return None

    def _target(self, ref: ast.Ref, keyword: str) -> ir.Target | None:
        name = ref.name.value
        what = msg("`{keyword}` names an outcome or a unit", keyword=keyword)
        if name in self.types:
            type_ = self.types[name]
            if type_ in ("outcome", "unit"):
                return ir.Target("outcome" if type_ == "outcome" else "unit", ir.Bound(name))
            self._wrong_kind(ref, what, msg("write `{keyword} outcome` (a binder `for each "
                                            "outcome`) or `{keyword} UNIT-CODE`",
                                            keyword=keyword))
            return None
        if name in self.names.units:
            return ir.Target("unit", name)
        self._unknown(ref, what, self.names.units)
        return None

    def _item(self, ref: ast.Ref, what: Message, results: bool = False) -> ir.Bound | None:
        name = ref.name.value
        if name in self.types:
            if self.types[name] == "item" or (results and self.types[name] == "result"):
                return ir.Bound(name)
            self._wrong_kind(ref, what, msg("name an item binder: `for each item ...` or a "
                                            "result binder") if results else
                             msg("name an item binder: `for each item ...`"))
            return None
        self._unknown(ref, what)
        return None

    def _types(self, names: Iterable[ast.Name]) -> tuple[str, ...]:
        found: list[str] = []
        for name in names:
            if name.value in self.names.evidence:
                found.append(name.value)
            elif name.value in self.names.kinds:
                self._report("LUK020", msg("`{name}` is {kind}, not an evidence type",
                                           name=name.value, kind=self.names.kinds[name.value]),
                             name.span, hint=msg("`of type` lists evidence types"))
            elif self.names.complete:
                close = suggest(name.value, self.names.evidence)
                self._report("LUK010", msg("undefined evidence type `{name}`", name=name.value),
                             name.span, hint=_did_you_mean(close) if close
                             else msg("declare it: `evidence {name} \"...\"`", name=name.value))
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
            self._wrong_kind(source, msg("`from` names an organisation"),
                             msg('write `from organisation` (a binder `for each organisation`) '
                                 'or a quoted name: `from "Bedrijf BV"`'))
            return None
        self._unknown(source, msg("`from` names an organisation (a binder) or a quoted name"))
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
                    self._unknown(value, _A_VALUE)
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
                    self._wrong_kind(ref, msg("`number of` counts items"),
                                     msg("name a set: `where NAME are items ...`, or write "
                                         "`number of items ...`"))
                else:
                    self._unknown(ref, msg("`number of` counts a set of items"))
                return None
            case ast.CreditsOfResults():
                return _Typed(ir.CreditsOfResults(span=value.span), "number")
            case ast.Attribute(attribute, of):
                return self._attribute(attribute, of, value.span)
            case ast.FieldOf(field, of):
                type_ = self.names.fields.get(field.value)
                item = self._item(of, msg("`{field} of` reads a field of an item",
                                          field=field.value))
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
                        "LUK073", msg("a percentage is taken of a number of items, not of "
                                      "{what}", what=_type_word(inner.type)), of.span,
                        hint=msg("write `50% of number of items ...`"))
                    return None
                return _Typed(inner.value, "share", counted=inner.counted,
                              percent=percent.value)
            case ast.Integer(number):
                return _Typed(ir.Constant(number, span=value.span), "number")
            case ast.DateLit(text):
                try:
                    date = dt.date.fromisoformat(text)
                except ValueError:
                    self._report("LUK021", msg("`{date}` is not a calendar date", date=text),
                                 value.span, hint=msg("write an existing date as YYYY-MM-DD, "
                                                      "e.g. `2025-02-28`"))
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
            self._report("LUK020", msg("`{name}` is {kind}, not an evidence field",
                                       name=field.value, kind=kind),
                         field.span, hint=msg("`NAME of item` reads a field declared with "
                                              "`evidence field NAME \"...\" TYPE`"))
            return
        if not self.names.complete:
            return
        close = suggest(field.value, self.names.fields)
        self._report("LUK010", msg("undefined evidence field `{name}`", name=field.value),
                     field.span, hint=_did_you_mean(close) if close else
                     msg("declare it: `evidence field {name} \"...\" text` (or `date`, "
                         "`number`, `yes/no`)", name=field.value))

    def _attribute(self, attribute: ast.AttributeName, of: ast.Ref, span: Span
                   ) -> _Typed | None:
        if attribute == "credits":
            name = of.name.value
            if self.types.get(name) == "result":
                return _Typed(ir.UnitCredits(ir.Bound(name), span=span), "number")
            unit = self._unit_term(of, msg("`{attribute} of` needs a unit",
                                           attribute=attribute))
            return None if unit is None else _Typed(ir.UnitCredits(unit, span=span),
                                                    "number")
        if attribute == "minimum":
            if self.types.get(of.name.value) == "outcome":
                return _Typed(ir.OutcomeMinimum(ir.Bound(of.name.value), span=span), "number")
            needs_outcome = msg("`{attribute} of` needs an outcome", attribute=attribute)
            if of.name.value in self.types:
                self._wrong_kind(of, needs_outcome,
                                 msg("bind one with `for each outcome` and write "
                                     "`minimum of outcome`"))
            else:
                self._unknown(of, needs_outcome)
            return None
        if attribute in ("age", "date"):
            subject = self._item(of, msg("`{attribute} of` needs an item or a result",
                                         attribute=attribute), results=True)
            if subject is None:
                return None
            if attribute == "date":
                return _Typed(ir.DateOf(subject, span=span), "date")
            return _Typed(ir.DateOf(subject, span=span), "age", age_of=subject)
        item = self._item(of, msg("`{attribute} of` needs an item", attribute=attribute))
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
        what = msg("`is older than` and `is younger than` need an item or a result") if ages \
            else msg("`is verified` needs an item")
        if isinstance(subject, ast.Ref):
            return self._item(subject, what, results=ages)
        typed = self.value(subject)
        if typed is not None:
            self._report("LUK071", _is_kind(_shown(subject), _type_word(typed.type), what),
                         subject.span, hint=msg("name an item binder: `item is verified`"))
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
            self._report("LUK073", msg("`{name}` is a {type} field; `is` tests an evidence "
                                       "type or a yes/no field", name=name.value,
                                       type=field_type), name.span,
                         hint=msg("compare its value: `{name} of item is ...`",
                                  name=name.value))
            return None
        if not self.names.complete:
            return None
        close = suggest(name.value, [*self.names.evidence, *(
            f for f, t in self.names.fields.items() if t == "yes/no")])
        self._report("LUK070", msg("`{name}` is neither an evidence type nor a yes/no field",
                                   name=name.value), name.span,
                     hint=_did_you_mean(close) if close else
                     msg("write an evidence type (`is certificaat`) or a declared yes/no "
                         "field"))
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
            self._unknown(side, msg("a unit is compared with a unit code"), self.names.units)
            return None
        if typed.type == "item" and isinstance(typed.value, ir.Bound):
            test = self._named_test(side.name)
            return None if test is None else ir.Has(typed.value, test, span=side.span)
        if typed.type == "text" and name not in self.names.kinds:
            self._report("LUK070", msg("`{name}` names nothing here: a text is written in "
                                       "quotes", name=name), side.span,
                         hint=msg('write `"{name}"`', name=name))
            return None
        self._unknown(side, _A_VALUE)
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
                "LUK073", msg("{what} has no order: `{op}` compares numbers and dates",
                              what=_type_word(left.type), op=node.op), node.span,
                hint=msg("write `is` or `is not` to compare {what}",
                         what=_type_word(left.type)))
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
                "LUK073", msg("an age is compared with `<`, `<=`, `>` or `>=`"), node.span,
                hint=msg("write `age of item > 5 years` (older than) or `age of item < 1 "
                         "year` (younger than)"))
            return None
        assert right.months is not None
        age_op: Literal["<", "<=", ">", ">="] = _order_op(op)
        return ir.Has(left.age_of, ir.AgeTest(age_op, right.months), span=node.span)

    def _share_compare(self, node: ast.Compare, left: _Typed, op: str, right: _Typed
                       ) -> ir.Cond | None:
        if left.counted is None or right.counted is None or op == "!=":
            self._report(
                "LUK073", msg("a percentage compares two numbers of items"), node.span,
                hint=msg("write `number of items from organisation > 50% of number of "
                         "items`"))
            return None
        share_op: Literal["<", "<=", ">", ">=", "="] = _share_op(op)
        return ir.Share(left.counted, left.percent if left.percent is not None else 100,
                        share_op, right.counted,
                        right.percent if right.percent is not None else 100, span=node.span)

    def _mismatch(self, node: ast.Compare, left: _Typed, right: _Typed) -> None:
        lw, rw = _type_word(left.type), _type_word(right.type)
        kinds = {left.type, right.type}
        if kinds & {"age", "age literal"}:
            hint = msg("an age is compared with an age: `age of item > 5 years`; a date with "
                       "a date: `date of item < 2020-01-01`")
        elif kinds == {"date", "number"}:
            hint = msg("compare a date with a date (`date of item < 2020-01-01`), or the age "
                       "of an item with an age (`age of item > 5 years`)")
        elif "items" in kinds:
            hint = msg("compare the number of the items: `number of NAME`")
        else:
            hint = msg("compare {what} with {what}", what=lw)
        self._report("LUK073", msg("`{left}` is {left_type} and `{right}` is {right_type}: "
                                   "they cannot be compared", left=_shown(node.left),
                                   left_type=lw, right=_shown(node.right), right_type=rw),
                     node.span, hint=hint)


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
            yield error("LUK075", msg("`{name}` is a key every evidence item has; a field "
                                      "cannot take it", name=name), decl.name.span,
                        hint=msg("name the field after what it holds, e.g. `{name}-extra`; "
                                 "items already have {keys}", name=name,
                                 keys=", ".join(f"`{k}`" for k in ITEM_KEYS)))
        earlier = seen.setdefault(name, decl)
        if earlier is not decl:
            yield error("LUK075", msg("evidence field `{name}` is declared more than once",
                                      name=name),
                        decl.name.span, hint=msg("remove the second declaration"),
                        labels=[Label(earlier.name.span, msg("first declared here"))])


__all__ = ["ENTITIES", "ITEM_KEYS", "PLACEHOLDER", "Names", "Scope", "check_fields",
           "scoped_atoms"]
