"""The durable_rules backend: the one module that imports ``durable``.

The program compiles to a durable_rules ruleset definition (a plain dict) that
is registered once on this process's single Host. Every pitfall measured in
DURABLE_RULES.md is handled here:

* phased evaluation: the input facts are asserted, positive rules chain; then a
  ``check`` fact per negation phase is asserted, and every negation is written
  ``[check, ..., not(...)]`` with the negations last, over facts of earlier phases;
* every derived fact type has a sink rule (otherwise asserting it fails silently);
* every fact carries a unique id, and re-deriving a fact is caught in the action;
* actions never raise into the engine: errors are kept and re-raised afterwards;
* a rule that always fires on ``check`` runs before the state is deleted, and the
  state is deleted in ``finally``;
* one Host per process, its background dispatcher disabled, a lock around every
  evaluation (the C engine is not thread-safe), and programs past the engine's
  limits are refused when the runner is built.

The Host and the lock are the only process-wide state in the package, as
durable_rules itself requires.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from luk_rules.compile import Atom, CountAtLeast, Fact, FactSet, Neg, Program, Test, Value, Var
from luk_rules.compile.program import Rule
from luk_rules.engine import Derivation
from luk_rules.engine.native import smallest_proofs
from luk_rules.errors import EngineUnavailable

try:  # pragma: no cover - depends on the environment
    import durable.engine as _durable
except ImportError as exc:  # pragma: no cover - depends on the environment
    _durable = None
    _IMPORT_ERROR: str | None = str(exc)
else:
    _IMPORT_ERROR = None

MAX_RULES_PER_FACT_TYPE = 60  # about 64 join rules on one fact type fail (error 303)
MAX_RULES = 250  # 255+ rules sharing one pattern fail, 256 segfaulted

_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "=": "$eq", "!=": "$neq"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}

_lock = threading.Lock()
_host: Any = None
_registered: dict[str, _Compiled] = {}
_state_ids = itertools.count(1)


class _Context:
    """What one evaluation collects from the actions it triggers."""

    def __init__(self) -> None:
        self.facts: dict[str, set[tuple[Value, ...]]] = {}
        self.trace: list[tuple[Fact, int, tuple[Fact, ...]]] = []
        self.errors: list[BaseException] = []


_current: _Context | None = None


def _decode(fact: dict[str, Any], arity: int) -> tuple[Value, ...]:
    return tuple(fact[f"a{i}"] for i in range(arity))


class _Compiled:
    """A program translated to a durable_rules definition, with its actions."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.arity: dict[str, int] = {}
        self.actions: dict[str, Callable[[Any], None]] = {}
        self.definition: dict[str, Any] = {}
        self.max_phase = max(program.phases.values(), default=0)
        self.derived: set[str] = set()
        self._helpers = 0
        for pred, args in program.static:
            self.arity[pred] = len(args)
        for i, rule in enumerate(program.rules):
            self._rule(i, rule)
        for pred in sorted(self.derived):
            self.definition[f"sink-{pred}"] = {"all": [{"m": {"t": pred}}], "run": f"sink:{pred}"}
            self.actions[f"sink:{pred}"] = self._sink(pred)
        # The finaliser: always fires once on the first check fact (see delete_state).
        self.definition["finaliser"] = {"all": [{"m": {"t": "check"}}], "run": "noop"}
        self.actions["noop"] = lambda c: None
        self._check_limits()
        digest = hashlib.sha256(
            json.dumps(self.definition, sort_keys=True, default=str).encode()).hexdigest()
        self.name = f"luk-{digest[:24]}"

    # -- translation

    def _check_limits(self) -> None:
        if len(self.definition) > MAX_RULES:
            raise EngineUnavailable(
                f"this ruleset compiles to {len(self.definition)} durable_rules rules; the "
                f"durable backend handles at most {MAX_RULES}; use --engine native")
        per_type: dict[str, int] = {}
        for rule in self.definition.values():
            types: set[str] = set()
            for pattern in rule["all"]:
                body = next(iter(pattern.values()))
                conds = body.get("$and", [body])
                types.update(c["t"] for c in conds if isinstance(c, dict) and "t" in c)
            for t in types:
                per_type[t] = per_type.get(t, 0) + 1
        worst = max(per_type.items(), key=lambda kv: kv[1], default=("", 0))
        if worst[1] > MAX_RULES_PER_FACT_TYPE:
            raise EngineUnavailable(
                f"{worst[1]} durable_rules rules join on fact type `{worst[0]}`; the durable "
                f"backend handles at most {MAX_RULES_PER_FACT_TYPE}; use --engine native")

    def _rule(self, index: int, rule: Rule, name: str | None = None) -> None:
        self.arity.setdefault(rule.head.pred, len(rule.head.args))
        self.derived.add(rule.head.pred)
        where: dict[str, tuple[str, int]] = {}  # variable -> (pattern alias, position)
        patterns: list[tuple[str, list[Any]]] = []
        negations: list[tuple[str, Any]] = []
        used_aliases: list[tuple[str, str]] = []  # (alias, pred) of facts that prove the head
        counter = itertools.count()

        def ref(var: Var) -> Any:
            alias, pos = where[var.name]
            return {alias: f"a{pos}"}

        def constraints(atom: Atom, alias: str, binding: bool) -> list[Any]:
            self.arity.setdefault(atom.pred, len(atom.args))
            out: list[Any] = [{"t": atom.pred}]
            for pos, arg in enumerate(atom.args):
                if isinstance(arg, Var):
                    if arg.name == "_":
                        continue
                    if arg.name in where and where[arg.name][0] != alias:
                        out.append({f"a{pos}": ref(arg)})
                    elif binding and arg.name not in where:
                        where[arg.name] = (alias, pos)
                    elif binding:
                        raise EngineUnavailable(
                            f"rule {rule.name}: a variable twice in one pattern is not "
                            "supported by the durable backend")
                else:
                    out.append({f"a{pos}": arg})
            return out

        pending_tests: list[Test] = []
        needs_check = any(isinstance(lit, Neg) or (isinstance(lit, CountAtLeast)
                                                   and not lit.at_least) for lit in rule.body)
        phase = self.program.phases.get(rule.head.pred, 0)
        if needs_check:
            patterns.append(("ck", [{"t": "check"}, {"phase": phase}]))
        for lit in rule.body:
            if isinstance(lit, Atom):
                alias = f"m{next(counter)}"
                patterns.append((alias, constraints(lit, alias, binding=True)))
                used_aliases.append((alias, lit.pred))
            elif isinstance(lit, Test):
                pending_tests.append(lit)
            elif isinstance(lit, Neg):
                alias = f"n{next(counter)}"
                negations.append((f"{alias}$not", {"$and": constraints(lit.atom, alias, False)}))
            elif isinstance(lit, CountAtLeast) and lit.at_least:
                for alias, conds in self._count_patterns(lit, counter, where, constraints):
                    patterns.append((alias, conds))
                    used_aliases.append((alias, lit.atom.pred))
            elif isinstance(lit, CountAtLeast):
                helper = self._fewer_than_helper(lit, where, index)
                alias = f"n{next(counter)}"
                negations.append((f"{alias}$not", {"$and": constraints(helper, alias, False)}))
        for test in pending_tests:
            self._attach(test, where, patterns, rule)
        if not patterns:
            patterns.append(("st", [{"t": "start"}]))
        # Comparisons before equality joins within a pattern: durable_rules segfaults on
        # a pattern whose join holds and whose later comparison fails.
        body = [{alias: {"$and": [conds[0], *_comparisons_first(conds[1:])]}}
                for alias, conds in patterns]
        body.extend({alias: cond} for alias, cond in negations)
        key = name or f"r{index}"
        self.definition[key] = {"all": body, "run": key}
        self.actions[key] = self._action(index, rule.head, where, used_aliases)

    def _count_patterns(self, lit: CountAtLeast, counter: Iterable[int],
                        where: dict[str, tuple[str, int]],
                        constraints: Callable[[Atom, str, bool], list[Any]]
                        ) -> list[tuple[str, list[Any]]]:
        free = [p for p, a in enumerate(lit.atom.args)
                if isinstance(a, Var) and (a.name == "_" or a.name not in where)]
        if len(free) != 1:
            raise EngineUnavailable("counting over more than one free position is not "
                                    "supported by the durable backend")
        counted = free[0]
        out: list[tuple[str, list[Any]]] = []
        previous = None
        for _ in range(lit.n):
            alias = f"c{next(iter(counter))}"
            conds = constraints(lit.atom, alias, False)
            if previous is not None:
                conds.append({"$gt": {f"a{counted}": {previous: f"a{counted}"}}})
            out.append((alias, conds))
            previous = alias
        return out

    def _fewer_than_helper(self, lit: CountAtLeast, where: dict[str, tuple[str, int]],
                           index: int) -> Atom:
        """``fewer than n`` = not(helper) where helper holds when at least n match."""
        self._helpers += 1
        bound = [a for a in lit.atom.args
                 if isinstance(a, Var) and a.name != "_" and a.name in where]
        pred = f"count-helper-{self._helpers}"
        helper_rule = Rule(
            name=pred, head=Atom(pred, tuple(bound)),
            body=(CountAtLeast(lit.atom, lit.n),), cite=self.program.rules[index].cite)
        self._rule(-1, helper_rule, name=pred)
        return Atom(pred, tuple(bound))

    @staticmethod
    def _attach(test: Test, where: dict[str, tuple[str, int]],
                patterns: list[tuple[str, list[Any]]], rule: Rule) -> None:
        def place(term: Any) -> tuple[str, int] | None:
            return where[term.name] if isinstance(term, Var) else None

        left, right = place(test.left), place(test.right)
        order = [alias for alias, _ in patterns]
        if test.op in ("in", "not in"):
            assert left is not None and isinstance(test.right, tuple)
            field = f"a{left[1]}"
            if test.op == "in":
                cond: Any = {"$or": [{field: v} for v in test.right]} if test.right else {
                    field: {"$lt": 0}}
            else:
                cond = {"$and": [{"$neq": {field: v}} for v in test.right]}
            target = left[0]
        elif left is not None and right is not None:
            op: str = test.op
            if order.index(left[0]) < order.index(right[0]):
                left, right, op = right, left, _FLIP[op]
            if left[0] == right[0]:
                raise EngineUnavailable(f"rule {rule.name}: a test within one pattern is not "
                                        "supported by the durable backend")
            other = {right[0]: f"a{right[1]}"}
            cond = {f"a{left[1]}": other} if op == "=" else {_OPS[op]: {f"a{left[1]}": other}}
            target = left[0]
        elif left is not None:
            cond = {_OPS[test.op]: {f"a{left[1]}": test.right}} if test.op != "=" else {
                f"a{left[1]}": test.right}
            target = left[0]
        else:  # pragma: no cover - the compiler never writes constant tests
            raise EngineUnavailable(f"rule {rule.name}: a constant test")
        for alias, conds in patterns:
            if alias == target:
                conds.append(cond)
                return
        raise AssertionError(f"no pattern {target}")  # pragma: no cover

    def _action(self, index: int, head: Atom, where: dict[str, tuple[str, int]],
                used: list[tuple[str, str]]) -> Callable[[Any], None]:
        parts = [where[a.name] if isinstance(a, Var) else (None, a) for a in head.args]
        pred = head.pred

        def action(c: Any) -> None:
            ctx = _current
            if ctx is None:  # pragma: no cover - only under the lock
                return
            try:
                m = c._m
                args = tuple(m[alias][f"a{pos}"] if alias is not None else pos
                             for alias, pos in parts)
                if index >= 0:
                    facts = tuple((p, _decode(m[alias], self.arity[p])) for alias, p in used)
                    ctx.trace.append(((pred, args), index, facts))
                fact: dict[str, Any] = {"t": pred, "id": _fact_id(pred, args), "sid": c.s.sid}
                fact.update({f"a{i}": v for i, v in enumerate(args)})
                with contextlib.suppress(_durable.MessageObservedException):
                    c.assert_fact(fact)  # raises when derived before: facts are sets
            except BaseException as exc:
                ctx.errors.append(exc)

        return action

    def _sink(self, pred: str) -> Callable[[Any], None]:
        arity = self.arity[pred]

        def sink(c: Any) -> None:
            ctx = _current
            if ctx is None:  # pragma: no cover
                return
            try:
                ctx.facts.setdefault(pred, set()).add(_decode(c._m["m"], arity))
            except BaseException as exc:
                ctx.errors.append(exc)

        return sink


def _comparisons_first(conds: list[Any]) -> list[Any]:
    def is_comparison(cond: Any) -> bool:
        return isinstance(cond, dict) and any(str(k).startswith("$") for k in cond)
    return [c for c in conds if is_comparison(c)] + [c for c in conds if not is_comparison(c)]


def _fact_id(pred: str, args: tuple[Value, ...]) -> str:
    return pred + "|" + json.dumps(args)


def _get_host() -> Any:
    global _host
    if _host is None:
        class _Host(_durable.Host):  # type: ignore[misc]
            def _run(self) -> None:
                """No background dispatcher threads (they crash the C engine)."""

            def get_action(self, action_name: str) -> Any:
                compiled_name, _, rule = action_name.partition("::")
                return _registered[compiled_name].actions[rule]

        _host = _Host()
    return _host


class DurableRunner:
    """A program registered with durable_rules; :meth:`run` evaluates one set of facts."""

    def __init__(self, program: Program) -> None:
        if _durable is None:
            raise EngineUnavailable(
                "the durable engine needs durable-rules, which is not installed here "
                f"({_IMPORT_ERROR}); install luk-rules[durable] on Python < 3.13, or use "
                "--engine native")
        self._program = program
        compiled = _Compiled(program)
        self._compiled = compiled
        self._name = compiled.name
        with _lock:
            if self._name not in _registered:
                definition = copy.deepcopy(compiled.definition)
                for rule in definition.values():
                    rule["run"] = f"{self._name}::{rule['run']}"
                _registered[self._name] = compiled
                try:
                    _get_host().register_rulesets({self._name: definition})
                except Exception as exc:
                    del _registered[self._name]
                    raise EngineUnavailable(f"durable_rules refused the ruleset: {exc}") from None
            self._compiled = _registered[self._name]

    def run(self, facts: FactSet, *, trace: bool = False) -> Derivation:
        """Evaluate the input facts in phases under the process-wide lock."""
        global _current
        # This runner's own program: another program with the same rules (hence the same
        # registered ruleset) may have other static facts, such as other unit kinds.
        program = self._program
        inputs = [(pred, args) for pred, rows in facts.items() for args in rows]
        with _lock:
            host = _get_host()
            sid = str(next(_state_ids))
            ctx = _Context()
            _current = ctx
            try:
                serial = itertools.count()
                for pred, args in [*program.static, *inputs]:
                    fact: dict[str, Any] = {"t": pred, "id": f"i{next(serial)}", "sid": sid}
                    fact.update({f"a{i}": v for i, v in enumerate(args)})
                    _assert(host, self._name, fact)
                _assert(host, self._name, {"t": "start", "id": "start", "sid": sid})
                for phase in range(1, self._compiled.max_phase + 1):
                    _assert(host, self._name,
                            {"t": "check", "phase": phase, "id": f"check{phase}", "sid": sid})
                if self._compiled.max_phase < 1:
                    _assert(host, self._name,
                            {"t": "check", "phase": 1, "id": "check1", "sid": sid})
                if ctx.errors:
                    raise ctx.errors[0]
            finally:
                try:
                    host.delete_state(self._name, sid)
                finally:
                    _current = None
        everything: dict[str, frozenset[tuple[Value, ...]]] = {}
        inputs_by_pred: dict[str, set[tuple[Value, ...]]] = {}
        for pred, args in [*program.static, *inputs]:
            inputs_by_pred.setdefault(pred, set()).add(args)
        for pred, rows in inputs_by_pred.items():
            everything[pred] = frozenset(rows)
        for pred, rows in ctx.facts.items():
            if not pred.startswith("count-helper-"):
                everything[pred] = frozenset(rows) | everything.get(pred, frozenset())
        if not trace:
            return Derivation(everything, {})
        return Derivation(everything, smallest_proofs(ctx.trace),
                          frozenset(r for _, r, _ in ctx.trace))


def _assert(host: Any, name: str, fact: dict[str, Any]) -> None:
    try:
        host.assert_fact(name, fact)
    except _durable.MessageNotHandledException:
        pass  # a fact no rule reads (for example an unused static fact)
    except _durable.MessageObservedException:
        pass  # the same input fact twice: facts are sets


__all__ = ["DurableRunner"]
