"""The durable_rules backend: the one module that imports ``durable``.

The program compiles to a durable_rules ruleset definition (a plain dict) that is
registered on this process's single Host. Every pitfall measured in
DURABLE_RULES.md, and those found since in its C sources, is handled here:

* **No values reach durable_rules.** Every condition on one fact (a constant in a
  pattern, a test against a constant, ``in``, two positions of one fact) is
  evaluated in Python when the fact is asserted and carried as a boolean property
  ``q<k>``; the definition holds only the shape of the rules, so rulesets with the
  same shape share one registered definition. Values that two facts are joined or
  compared on are carried as codes: strings as short ASCII codes that sort as the
  strings do (durable_rules compares strings by their JSON text, truncates lengths
  to 16 bits and refuses lone surrogates and strings over 16 MB), booleans as 0 and
  1 (as Python compares them), integers as they are when they fit in 64 bits.
* **Fact ids never collide.** durable_rules keeps one fact per 32-bit FNV-1a hash
  of its id and silently drops a second fact whose id hashes alike. Ids come from
  one sequence of short strings with pairwise distinct hashes; derived facts are
  recognised as duplicates in Python (facts are sets), not by durable_rules.
* **Counting is done in Python.** Counted predicates are computed in an earlier
  phase, so before the ``check`` fact of a phase is asserted, each count of that
  phase's rules is computed from the facts so far and asserted as a helper fact
  per group that has enough members; ``at least`` joins on it, ``fewer than``
  negates it. Its proof is the n smallest counted facts, as on the native engine.
* **Aggregates and computed numbers are evaluated in Python** when their rule fires:
  a rule with an aggregate waits for its phase's ``check`` fact (what it aggregates,
  of an earlier phase, is complete by then); its action computes each count or sum
  over the facts so far, grouped by the variables bound before it (0 for an empty
  group), then the computations and the tests that use them, in the body's order.
  Its proof lists every aggregated fact, as on the native engine. Tests and the head
  may use a computed number; a fact matched on one is a limit.
* phased evaluation: the input facts are asserted, positive rules chain; then the
  counts and a ``check`` fact per phase, and every negation is written
  ``[check, ..., not(...)]`` with the negations last, over facts of earlier phases;
  a rule may use the same fact for two patterns (``dist: 0``), as natively;
* actions never raise into the engine: errors are kept and re-raised afterwards;
* a state is deleted only after the finaliser rule fired in it (deleting a state in
  which no action ran segfaults); a state that cannot be deleted is left, and a
  registered ruleset that holds too many of them is replaced before the engine's
  limit of 1,024 live states;
* a registered ruleset is deleted once no runner uses it any more;
* one Host per process, its background dispatcher disabled, a lock around every
  evaluation (the C engine is not thread-safe); programs past the engine's limits
  are refused when the runner is built (:func:`durable_limits` lists why).

The Host, its registry and the lock are the only process-wide state in the
package, as durable_rules itself requires.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import hashlib
import itertools
import json
import operator
import threading
import weakref
from collections.abc import Callable
from typing import Any

from luk_rules.compile import (
    Aggregate,
    Atom,
    Compute,
    CountAtLeast,
    Fact,
    FactSet,
    Neg,
    Program,
    Test,
    Value,
    Var,
)
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

Args = tuple[Value, ...]

# Limits of durable_rules 2.0.28, measured (see the module docstring and DURABLE_RULES.md).
MAX_RULES = 250  # rules; 255+ rules sharing one pattern fail, 256 segfaulted
MAX_PATTERNS_PER_FACT_TYPE = 60  # distinct patterns on one fact type; 65 overflow a stack of 64
MAX_PATTERNS_PER_RULE = 16  # facts matched by one rule (16 slots per frame); 17 segfault
MAX_FACT_TYPES = 400  # fact types share one table of 512 slots, which loops forever when full
MAX_PROPERTIES = 250  # properties of one fact (the engine's maximum is 255)
MAX_JOINS_PER_PATTERN = 28  # joins of one pattern, in a sequence of at most 31 expressions
MAX_LEAKED_STATES = 256  # states left undeleted before a ruleset is replaced (1,024 crash)
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1

_FNV_OFFSET, _FNV_PRIME = 0x811C9DC5, 16777619

_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "=": operator.eq, "!=": operator.ne,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b}
_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "=": "$eq", "!=": "$neq"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def _fnv1a(text: str) -> int:
    """The 32-bit FNV-1a hash durable_rules files facts (by id) and states (by sid) under.

    It hashes the id as written in the JSON text, byte by byte as C's signed ``char``.
    """
    h = _FNV_OFFSET
    for byte in text.encode("utf-8", "surrogatepass"):
        h = ((h ^ (byte | 0xFFFFFF00 if byte >= 0x80 else byte)) * _FNV_PRIME) & 0xFFFFFFFF
    return h


class _IdSequence:
    """Fact ids for every state: short decimal strings, no two with the same FNV-1a hash.

    A run takes ids from the start of the sequence, so the ids of one state are
    always pairwise distinct under the hash; the sequence grows (under the lock)
    to the size of the largest run so far.
    """

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.hashes: set[int] = set()
        self._candidates = itertools.count()

    def __getitem__(self, n: int) -> str:
        while n >= len(self.ids):
            candidate = str(next(self._candidates))
            h = _fnv1a(candidate)
            if h not in self.hashes:
                self.hashes.add(h)
                self.ids.append(candidate)
        return self.ids[n]


_IDS = _IdSequence()


def _evaluate(op: str, left: Any, right: Any) -> bool:
    """A test as the native engine evaluates it (a type mismatch simply does not hold)."""
    try:
        return bool(_TESTS[op](left, right))
    except TypeError:
        return False


def _lifted_test(op: str, left: int | None, right: int | None, lvalue: Any, rvalue: Any
                 ) -> Callable[[Args], bool]:
    """A test on one fact: ``left``/``right`` are positions in it, else the constant is used."""
    if left is not None and right is not None:
        return lambda args: _evaluate(op, args[left], args[right])
    if left is not None:
        return lambda args: _evaluate(op, args[left], rvalue)
    assert right is not None
    return lambda args: _evaluate(op, lvalue, args[right])


class _Counted:
    """A count, asserted as helper facts ``type(key...)`` for groups of at least ``n`` facts."""

    def __init__(self, type_: str, pred: str, key: tuple[int, ...],
                 consts: tuple[tuple[int, Value], ...], n: int, phase: int) -> None:
        self.type = type_
        self.pred = pred
        self.key = key
        self.consts = consts
        self.n = n
        self.phase = phase


class _Step:
    """A literal evaluated in Python when its rule fires: an aggregate, a computed
    number, or a test of a computed number (see :meth:`_Run.fire`)."""

    def __init__(self, kind: str, result: str = "", op: str = "", left: Any = None,
                 right: Any = None, pred: str = "", positions: tuple[int, ...] = (),
                 key: tuple[Any, ...] = (), at: int = -1) -> None:
        self.kind = kind  # "count", "sum", "compute" or "test"
        self.result = result  # the variable it binds
        self.op = op
        self.left = left  # terms (Var or value) of a computation or test
        self.right = right
        self.pred = pred  # an aggregate's predicate, the positions it groups by
        self.positions = positions
        self.key = key  # the terms (Var or value) at those positions
        self.at = at  # a sum's position of the summed value


class _Fired:
    """What a rule's action needs: the head it derives and from which matched facts."""

    def __init__(self, index: int, pred: str,
                 head: tuple[tuple[str | None, int, Value], ...],
                 atoms: tuple[str, ...], counts: tuple[str, ...],
                 steps: tuple[_Step, ...] = (),
                 env: tuple[tuple[str, str, int], ...] = ()) -> None:
        self.index = index
        self.pred = pred
        # (alias, position, constant): alias None for a constant, "" for the variable
        # named by the constant, bound by a step
        self.head = head
        self.atoms = atoms  # aliases of matched facts
        self.counts = counts  # aliases of count helper facts
        self.steps = steps  # literals evaluated in Python, in the body's order
        self.env = env  # (variable, alias, position): matched values the steps read


class _Pattern:
    """One pattern of a durable_rules rule: a fact type and conditions on it."""

    def __init__(self, alias: str, type_: str) -> None:
        self.alias = alias
        self.type = type_
        self.alpha: list[Any] = []  # conditions on this fact alone (q<k>, phase)
        self.compare: list[Any] = []  # comparisons with earlier patterns
        self.equal: list[Any] = []  # equality joins with earlier patterns

    def conditions(self) -> list[Any]:
        # Comparisons before equality joins: durable_rules segfaults on a pattern whose
        # join holds and whose later comparison fails.
        return [{"t": self.type}, *self.alpha, *self.compare, *self.equal]


class _Compiled:
    """A program translated to a value-free durable_rules definition, with what the
    Python side needs to feed it: fact types, lifted tests, codes, counts, actions.

    Building it needs no durable_rules; :attr:`limits` lists what the durable
    backend cannot run, as (rule name, message).
    """

    def __init__(self, program: Program) -> None:
        self.program = program
        self.limits: list[tuple[str, str]] = []
        self.types: dict[str, str] = {}  # predicate -> fact type in the definition
        self.fields: dict[str, dict[int, str]] = {}  # predicate -> joined positions
        self.lifted: dict[str, list[tuple[str, Callable[[Args], bool]]]] = {}
        self._lifted_keys: dict[tuple[str, str], str] = {}
        self.counted: dict[tuple[Any, ...], _Counted] = {}
        self.fired: dict[str, _Fired] = {}
        self.definition: dict[str, Any] = {}
        self.readers: dict[str, str] = {}  # fact type -> the first rule that reads it
        self._head_constants: list[tuple[str, str, int, Value]] = []
        self._uses: list[tuple[str, str, str]] = []  # (rule name, fact type, pattern json)
        self.check_phases: set[int] = set()
        self.uses_start = False
        self.max_phase = max(1, max(program.phases.values(), default=0))
        for index, rule in enumerate(program.rules):
            self._rule(index, rule)
        self.definition["finaliser"] = {"all": [{"m": {"t": "final"}}], "run": "finaliser"}
        self.by_phase: dict[int, list[_Counted]] = {}
        for counted in self.counted.values():
            self.by_phase.setdefault(counted.phase, []).append(counted)
        self.codes = self._constant_codes()
        self.static = self._static_messages()
        self._check_limits()
        self.digest = hashlib.sha256(
            json.dumps(self.definition, sort_keys=True).encode()).hexdigest()

    # -- translation

    def _type(self, pred: str) -> str:
        if pred not in self.types:
            self.types[pred] = f"p{len(self.types)}"
        return self.types[pred]

    def _field(self, pred: str, pos: int) -> str:
        self.fields.setdefault(pred, {})[pos] = f"a{pos}"
        return f"a{pos}"

    def _lift(self, pred: str, key: str, test: Callable[[Args], bool]) -> dict[str, bool]:
        """A condition on one fact, computed in Python and carried as ``q<k>: true``."""
        prop = self._lifted_keys.get((pred, key))
        if prop is None:
            tests = self.lifted.setdefault(pred, [])
            prop = f"q{len(tests)}"
            tests.append((prop, test))
            self._lifted_keys[(pred, key)] = prop
        return {prop: True}

    def _rule(self, index: int, rule: Rule) -> None:
        where: dict[str, tuple[str, str, int]] = {}  # variable -> (alias, predicate, position)
        positive: list[_Pattern] = []
        negative: list[_Pattern] = []
        atoms: list[str] = []
        counts: list[str] = []
        tests: list[Test] = []
        phase = max(1, self.program.phases.get(rule.head.pred, 0))
        serial = itertools.count()
        by_alias: dict[str, _Pattern] = {}
        has_aggregate = False

        def constrain(pattern: _Pattern, atom: Atom, binding: bool) -> None:
            """Joins on bound variables, lifted tests for constants and repeated variables."""
            first: dict[str, int] = {}
            for pos, arg in enumerate(atom.args):
                if not isinstance(arg, Var):
                    pattern.alpha.append(self._lift(
                        atom.pred, f"= {pos} {arg!r}",
                        _lifted_test("=", pos, None, None, arg)))
                elif arg.name == "_":
                    continue
                elif arg.name in where:
                    alias, pred, at = where[arg.name]
                    pattern.equal.append({self._field(atom.pred, pos): {
                        alias: self._field(pred, at)}})
                elif not binding:
                    continue  # existential, as on the native engine
                elif arg.name in first:
                    pattern.alpha.append(self._lift(
                        atom.pred, f"same {first[arg.name]} {pos}",
                        _lifted_test("=", first[arg.name], pos, None, None)))
                else:
                    first[arg.name] = pos
            for name, pos in first.items():
                where[name] = (pattern.alias, atom.pred, pos)

        computed: set[str] = set()  # variables bound by aggregates and computations
        steps: list[_Step] = []

        def uses_computed(*terms: Any) -> str | None:
            for term in terms:
                if isinstance(term, Var) and term.name in computed:
                    return term.name
            return None

        def bound(term: Any) -> bool:
            if isinstance(term, Var) and term.name not in where and term.name not in computed:
                self.limits.append((rule.name, f"the variable {term.name} is used before the "
                                    "condition binds it"))
                return False
            return True

        for lit in rule.body:
            joined = lit.atom if isinstance(lit, Neg | CountAtLeast) else lit
            if isinstance(joined, Atom) and (name := uses_computed(*joined.args)):
                self.limits.append((rule.name, (
                    f"a fact is matched on {name}, a computed number; the durable backend "
                    "compares computed numbers only in tests")))
                return
            if isinstance(lit, Aggregate):
                positions: list[int] = []
                key_terms: list[Any] = []
                for pos, arg in enumerate(lit.atom.args):
                    if isinstance(arg, Var) and (
                            arg.name == "_" or (arg.name not in where
                                                and arg.name not in computed)):
                        continue  # free: aggregated over
                    positions.append(pos)
                    key_terms.append(arg)
                at = -1
                if lit.op == "sum":
                    assert lit.value is not None
                    at = lit.atom.args.index(lit.value)
                steps.append(_Step(lit.op, lit.result.name, pred=lit.atom.pred,
                                   positions=tuple(positions), key=tuple(key_terms), at=at))
                computed.add(lit.result.name)
                has_aggregate = True
                continue
            if isinstance(lit, Compute):
                if not (bound(lit.left) and bound(lit.right)):
                    return
                steps.append(_Step("compute", lit.result.name, lit.op, lit.left, lit.right))
                computed.add(lit.result.name)
                continue
            if isinstance(lit, Test) and uses_computed(lit.left, lit.right):
                if not (bound(lit.left) and (isinstance(lit.right, tuple) or bound(lit.right))):
                    return
                right = frozenset(lit.right) if isinstance(lit.right, tuple) else lit.right
                steps.append(_Step("test", op=lit.op, left=lit.left, right=right))
                continue
            if isinstance(lit, Atom):
                pattern = _Pattern(f"m{next(serial)}", self._type(lit.pred))
                constrain(pattern, lit, binding=True)
                positive.append(pattern)
                by_alias[pattern.alias] = pattern
                atoms.append(pattern.alias)
            elif isinstance(lit, Test):
                tests.append(lit)
            elif isinstance(lit, Neg):
                pattern = _Pattern(f"n{next(serial)}", self._type(lit.atom.pred))
                constrain(pattern, lit.atom, binding=False)
                negative.append(pattern)
            elif isinstance(lit, CountAtLeast):
                if lit.n <= 0:
                    if lit.at_least:
                        continue  # at least 0: always holds
                    return  # fewer than 0: never holds, the rule never fires
                counted = self._count(lit, where, phase)
                pattern = _Pattern(f"c{next(serial)}", counted.type)
                for i, pos in enumerate(counted.key):
                    var = lit.atom.args[pos]
                    assert isinstance(var, Var)
                    alias, pred, at = where[var.name]
                    pattern.equal.append({f"a{i}": {alias: self._field(pred, at)}})
                if lit.at_least:
                    positive.append(pattern)
                    by_alias[pattern.alias] = pattern
                    counts.append(pattern.alias)
                else:
                    negative.append(pattern)
        order = [p.alias for p in positive]
        for test in tests:
            if not self._attach(test, where, by_alias, order, rule):
                return  # a test of constants that fails: the rule never fires
        head: list[tuple[str | None, int, Value]] = []
        for pos, arg in enumerate(rule.head.args):
            if isinstance(arg, Var) and arg.name in computed:
                head.append(("", pos, arg.name))
            elif isinstance(arg, Var):
                if arg.name not in where:
                    self.limits.append((rule.name, f"the head variable {arg.name} is not bound "
                                        "by the condition"))
                    return
                alias, _, at = where[arg.name]
                head.append((alias, at, ""))
            else:
                head.append((None, pos, arg))
                self._head_constants.append((rule.name, rule.head.pred, pos, arg))
        self._type(rule.head.pred)
        if negative or has_aggregate:
            # Aggregates, like negations, read facts of earlier phases: only complete once
            # this phase's ``check`` fact is asserted.
            check = _Pattern("ck", "check")
            check.alpha.append({"phase": phase})
            positive.insert(0, check)
            self.check_phases.add(phase)
        if not positive:
            positive.append(_Pattern("st", "start"))
            self.uses_start = True
        for pattern in [*positive[1:], *negative]:
            if pattern.compare or pattern.equal:
                # durable_rules reads past a pattern's conditions when its last join fails
                # (it skips the end marker): end with a join that holds, z = 0 everywhere.
                pattern.equal.append({"z": {positive[0].alias: "z"}})
            if len(pattern.compare) + len(pattern.equal) > MAX_JOINS_PER_PATTERN:
                self.limits.append((rule.name, (
                    f"one of its facts is joined on {len(pattern.compare) + len(pattern.equal)} "
                    f"conditions; the durable backend handles at most {MAX_JOINS_PER_PATTERN}")))
        if len(positive) > MAX_PATTERNS_PER_RULE:
            self.limits.append((rule.name, f"its condition matches {len(positive)} facts at once; "
                                f"the durable backend handles at most {MAX_PATTERNS_PER_RULE}"))
        body: list[Any] = [{p.alias: {"$and": p.conditions()}} for p in positive]
        body.extend({f"{p.alias}$not": {"$and": p.conditions()}} for p in negative)
        for p in [*positive, *negative]:
            self.readers.setdefault(p.type, rule.name)
            self._uses.append((rule.name, p.type, json.dumps(p.conditions(), sort_keys=True)))
        key = f"r{index}"
        self.definition[key] = {"all": body, "dist": 0, "run": key}
        env: dict[str, tuple[str, str, int]] = {}
        for step in steps:
            for term in (step.left, step.right, *step.key):
                if isinstance(term, Var) and term.name in where:
                    alias, _, at = where[term.name]
                    env[term.name] = (term.name, alias, at)
        self.fired[key] = _Fired(index, rule.head.pred, tuple(head), tuple(atoms), tuple(counts),
                                 tuple(steps), tuple(env.values()))

    def _count(self, lit: CountAtLeast, where: dict[str, tuple[str, str, int]],
               phase: int) -> _Counted:
        """The helper for a count: grouped by the positions bound before it, filtered by
        its constants; the other positions are counted (distinct facts, as natively)."""
        key: list[int] = []
        consts: list[tuple[int, Value]] = []
        for pos, arg in enumerate(lit.atom.args):
            if isinstance(arg, Var):
                if arg.name != "_" and arg.name in where:
                    key.append(pos)
            else:
                consts.append((pos, arg))
        ident = (lit.atom.pred, tuple(key), repr(consts), lit.n)
        counted = self.counted.get(ident)
        if counted is None:
            counted = _Counted(f"h{len(self.counted)}", lit.atom.pred, tuple(key), tuple(consts),
                               lit.n, phase)
            self.counted[ident] = counted
        counted.phase = min(counted.phase, phase)  # the earliest phase that needs it
        return counted

    def _attach(self, test: Test, where: dict[str, tuple[str, str, int]],
                patterns: dict[str, _Pattern], order: list[str], rule: Rule) -> bool:
        """Place a test: on one fact as a lifted test, between two as a comparison.

        Returns False for a test of constants that does not hold.
        """
        def place(term: Any) -> tuple[str, str, int] | None:
            if isinstance(term, Var):
                if term.name not in where:
                    self.limits.append((rule.name, f"a test uses the variable {term.name}, "
                                        "which the condition does not bind"))
                    return None
                return where[term.name]
            return None

        left, right = place(test.left), place(test.right)
        if (isinstance(test.left, Var) and left is None) or (
                isinstance(test.right, Var) and right is None):
            return True  # reported above
        rvalue = frozenset(test.right) if isinstance(test.right, tuple) else test.right
        if left is None and right is None:
            return _evaluate(test.op, test.left, rvalue)
        if left is not None and right is not None and left[0] != right[0]:
            if test.op in ("in", "not in"):
                self.limits.append((rule.name, f"`{test.op}` between two facts is not "
                                    "supported by the durable backend"))
                return True
            op: str = test.op
            if order.index(left[0]) < order.index(right[0]):
                left, right, op = right, left, _FLIP[op]
            other = {right[0]: self._field(right[1], right[2])}
            field = self._field(left[1], left[2])
            target = patterns[left[0]]
            if op == "=":
                target.equal.append({field: other})
            else:
                target.compare.append({_OPS[op]: {field: other}})
            return True
        one = left if left is not None else right
        assert one is not None
        alias, pred, _ = one
        lpos = left[2] if left is not None else None
        rpos = right[2] if right is not None else None
        key = f"{test.op} {lpos} {rpos} {test.left!r} {test.right!r}"
        patterns[alias].alpha.append(self._lift(
            pred, key, _lifted_test(test.op, lpos, rpos, test.left, rvalue)))
        return True

    # -- values

    def _constant_codes(self) -> dict[str, str]:
        """Codes for the strings the program itself brings (static facts, rule heads)."""
        strings = {v for _, args in self.program.static for v in args if isinstance(v, str)}
        strings.update(v for _, _, _, v in self._head_constants if isinstance(v, str))
        self.strings = sorted(strings)
        self.width = len(str(len(self.strings)))
        return {s: f"s{i:0{self.width}d}" for i, s in enumerate(self.strings, start=1)}

    def run_codes(self, facts: FactSet) -> dict[str, str]:
        """Codes for a run's own strings, between those of the program's strings.

        A string between the program's i-th and i+1-th string gets ``s<i>.<j>``: it
        sorts (byte by byte, as durable_rules compares) after ``s<i>``, before
        ``s<i+1>``, and in order among the run's strings, so comparisons of codes
        agree with comparisons of the strings.
        """
        known = self.codes
        fresh = sorted({v for rows in facts.values() for args in rows for v in args
                        if isinstance(v, str) and v not in known})
        width = len(str(len(fresh)))
        return {s: f"s{bisect.bisect_left(self.strings, s):0{self.width}d}.{j:0{width}d}"
                for j, s in enumerate(fresh)}

    def _static_messages(self) -> list[tuple[Fact, dict[str, Any] | None]]:
        out: list[tuple[Fact, dict[str, Any] | None]] = []
        for pred, args in self.program.static:
            message = None
            if pred in self.types and self.types[pred] in self.readers:
                try:
                    message = self.message(pred, args, self.codes)
                except EngineUnavailable as exc:
                    self.limits.append((self.readers[self.types[pred]], str(exc)))
            out.append(((pred, args), message))
        return out

    def message(self, pred: str, args: Args, codes: dict[str, str]) -> dict[str, Any]:
        """A fact as durable_rules gets it, without its id and sid."""
        message: dict[str, Any] = {"t": self.types[pred], "z": 0}
        for pos, field in self.fields.get(pred, {}).items():
            message[field] = _code(args[pos], codes)
        for prop, test in self.lifted.get(pred, ()):
            message[prop] = test(args)
        return message

    # -- limits

    def _check_limits(self) -> None:
        names = [self.program.rules[f.index].name for f in self.fired.values()] or [""]
        if len(self.definition) > MAX_RULES:
            self.limits.append((names[MAX_RULES - 1], (
                f"the ruleset compiles to {len(self.definition)} durable_rules rules; the "
                f"durable backend handles at most {MAX_RULES}")))
        types = {"check", "start", "final", *self.types.values(),
                 *(c.type for c in self.counted.values())}
        if len(types) > MAX_FACT_TYPES:
            self.limits.append((names[-1], (
                f"the ruleset uses {len(types)} kinds of facts; the durable backend handles "
                f"at most {MAX_FACT_TYPES}")))
        distinct: dict[str, set[str]] = {}
        shared: dict[str, int] = {}
        pred_of = {t: p for p, t in self.types.items()}
        for rule_name, type_, pattern in self._uses:
            seen = distinct.setdefault(type_, set())
            seen.add(pattern)
            if len(seen) == MAX_PATTERNS_PER_FACT_TYPE + 1:
                self.limits.append((rule_name, (
                    f"more than {MAX_PATTERNS_PER_FACT_TYPE} different patterns match facts of "
                    f"`{pred_of.get(type_, type_)}`; the durable backend handles at most "
                    f"{MAX_PATTERNS_PER_FACT_TYPE}")))
            shared[pattern] = shared.get(pattern, 0) + 1
            if shared[pattern] == MAX_RULES + 1:
                self.limits.append((rule_name, (
                    f"more than {MAX_RULES} patterns alike match facts of "
                    f"`{pred_of.get(type_, type_)}`; the durable backend handles at most "
                    f"{MAX_RULES}")))
        for pred in self.types:
            count = 4 + len(self.fields.get(pred, {})) + len(self.lifted.get(pred, ()))
            if count > MAX_PROPERTIES:
                self.limits.append((self.readers.get(self.types[pred], ""), (
                    f"facts of `{pred}` would carry {count} properties; the durable backend "
                    f"handles at most {MAX_PROPERTIES}")))
        for rule_name, pred, pos, value in self._head_constants:
            if pos in self.fields.get(pred, {}):
                try:
                    _code(value, self.codes)
                except EngineUnavailable as exc:
                    self.limits.append((rule_name, str(exc)))


def _code(value: Value, codes: dict[str, str]) -> str | int:
    """A value as durable_rules compares it (see the module docstring)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise EngineUnavailable(
                f"the number {value} is beyond the 64-bit integers durable_rules compares; "
                "use --engine native")
        return value
    return codes[value]


def durable_limits(program: Program) -> list[tuple[str, str]]:
    """What the durable backend cannot run in ``program``, as (rule name, message).

    Empty when the durable backend can run it. Needs no durable_rules, so that
    checks can report these limits where the engine is not installed.
    """
    return list(_Compiled(program).limits)


# -- the process-wide Host and its registry


class _Run:
    """One evaluation: its facts and their ids, and what the actions collected."""

    def __init__(self, compiled: _Compiled, sid: str, codes: dict[str, str],
                 trace: bool) -> None:
        self.compiled = compiled
        self.sid = sid
        self.codes = {**compiled.codes, **codes}
        self.trace_on = trace
        self.serial = 0
        self.ids: dict[Fact, str] = {}
        self.by_id: dict[str, Fact] = {}
        self.rows: dict[str, list[Args]] = {}
        self.proofs: dict[str, tuple[Fact, ...]] = {}  # count helper id -> counted facts
        self.buckets: dict[tuple[str, tuple[int, ...]], dict[Args, list[Args]]] = {}
        self.trace: list[tuple[Fact, int, tuple[Fact, ...]]] = []
        self.errors: list[BaseException] = []
        self.finalised = False

    def next_id(self) -> str:
        self.serial += 1
        return _IDS[self.serial - 1]

    def trigger(self, type_: str, phase: int = 0) -> dict[str, Any]:
        """A ``start``, ``check`` or ``final`` fact."""
        return {"t": type_, "id": self.next_id(), "sid": self.sid, "z": 0, "phase": phase}

    def add(self, pred: str, args: Args) -> str | None:
        """Record a fact; its new id, or None when it was known (facts are sets)."""
        fact = (pred, args)
        if fact in self.ids:
            return None
        fid = self.next_id()
        self.ids[fact] = fid
        self.by_id[fid] = fact
        self.rows.setdefault(pred, []).append(args)
        return fid

    def message(self, pred: str, args: Args, fid: str) -> dict[str, Any] | None:
        """The fact for durable_rules, or None when no rule reads its predicate."""
        compiled = self.compiled
        type_ = compiled.types.get(pred)
        if type_ is None or type_ not in compiled.readers:
            return None
        message = compiled.message(pred, args, self.codes)
        message["id"] = fid
        message["sid"] = self.sid
        return message

    def fire(self, key: str, closure: Any) -> None:
        """A rule fired: derive its head from the facts it matched."""
        if key == "finaliser":
            self.finalised = True
            return
        fired = self.compiled.fired[key]
        m = closure._m
        matched = {alias: self.by_id[m[alias]["id"]] for alias in fired.atoms}
        values: dict[str, Any] = {}
        aggregated: list[Fact] = []
        if fired.steps:
            values = {name: matched[alias][1][pos] for name, alias, pos in fired.env}
            if not self.steps(fired.steps, values, aggregated):
                return
        args = tuple(matched[alias][1][pos] if alias else value if alias is None
                     else values[value]  # type: ignore[index]
                     for alias, pos, value in fired.head)
        if self.trace_on:
            used = [matched[alias] for alias in fired.atoms]
            for alias in fired.counts:
                used.extend(self.proofs[m[alias]["id"]])
            used.extend(aggregated)
            self.trace.append(((fired.pred, args), fired.index, tuple(used)))
        fid = self.add(fired.pred, args)
        if fid is not None:
            message = self.message(fired.pred, args, fid)
            if message is not None:
                # Not handled: no pattern accepts it, so no rule can use it.
                with contextlib.suppress(_durable.MessageNotHandledException):
                    closure.assert_fact(message)

    def steps(self, steps: tuple[_Step, ...], values: dict[str, Any],
              aggregated: list[Fact]) -> bool:
        """Evaluate a firing's Python literals as the native engine does, binding
        ``values``; False when a test fails. When traced, every aggregated fact is used.

        An aggregate reads a predicate of an earlier phase, and its rule fires only once
        this phase's ``check`` fact is asserted: the facts it reads are complete.
        """
        def term(t: Any) -> Any:
            return values[t.name] if isinstance(t, Var) else t

        for step in steps:
            if step.kind == "test":
                if not _evaluate(step.op, term(step.left), term(step.right)):
                    return False
            elif step.kind == "compute":
                left, right = term(step.left), term(step.right)
                values[step.result] = left + right if step.op == "+" else left - right
            else:
                bucket = self.bucket(step.pred, step.positions).get(
                    tuple(term(t) for t in step.key), ())
                if step.kind == "count":
                    values[step.result] = len(bucket)
                else:
                    values[step.result] = sum([f[step.at] for f in bucket])
                if self.trace_on:
                    aggregated.extend((step.pred, f) for f in bucket)
        return True

    def bucket(self, pred: str, positions: tuple[int, ...]) -> dict[Args, list[Args]]:
        """The facts of ``pred`` grouped by the values at ``positions`` (built once)."""
        index = self.buckets.get((pred, positions))
        if index is None:
            index = self.buckets[(pred, positions)] = {}
            for args in self.rows.get(pred, ()):
                index.setdefault(tuple(args[p] for p in positions), []).append(args)
        return index

    def counts(self, phase: int) -> list[dict[str, Any]]:
        """The helper facts of the counts that rules of ``phase`` need."""
        out: list[dict[str, Any]] = []
        for counted in self.compiled.by_phase.get(phase, ()):
            groups: dict[Args, list[Args]] = {}
            for args in self.rows.get(counted.pred, ()):
                if all(args[pos] == value for pos, value in counted.consts):
                    groups.setdefault(tuple(args[pos] for pos in counted.key), []).append(args)
            for key, members in groups.items():
                if len(members) < counted.n:
                    continue
                fid = self.next_id()
                if self.trace_on:  # the n smallest, as the native engine reports them
                    self.proofs[fid] = tuple(
                        (counted.pred, x) for x in sorted(members, key=repr)[:counted.n])
                message: dict[str, Any] = {"t": counted.type, "id": fid, "sid": self.sid, "z": 0}
                message.update({f"a{i}": _code(v, self.codes) for i, v in enumerate(key)})
                out.append(message)
        return out


class _Registration:
    """A definition registered on the Host, and the states it could not delete."""

    def __init__(self, digest: str, name: str) -> None:
        self.digest = digest
        self.name = name
        self.leaked: set[int] = set()  # hashes of the sids of states left undeleted


_lock = threading.Lock()
_host: Any = None
_current: _Run | None = None
_registry: dict[str, _Registration] = {}  # definition digest -> its registration
_users: dict[str, int] = {}  # definition digest -> live runners
_released: list[str] = []  # digests of runners collected since (appended by finalizers)
_generations = itertools.count(1)
_sids = itertools.count(1)
_actions: dict[str, Callable[[Any], None]] = {}


def _action(key: str) -> Callable[[Any], None]:
    """The action of a durable_rules rule: hands the firing to the current run."""
    action = _actions.get(key)
    if action is None:
        def action(c: Any) -> None:
            run = _current
            if run is None:  # pragma: no cover - actions run only under the lock
                return
            try:
                run.fire(key, c)
            except BaseException as exc:
                run.errors.append(exc)

        _actions[key] = action
    return action


def _get_host() -> Any:
    global _host
    if _host is None:
        class _Host(_durable.Host):  # type: ignore[misc]
            def _run(self) -> None:
                """No background dispatcher threads (they crash the C engine)."""

            def get_action(self, action_name: str) -> Any:
                return _action(action_name)

        _host = _Host()
    return _host


def _registration(compiled: _Compiled) -> _Registration:
    """The registration of ``compiled``'s definition, registering it when needed."""
    registration = _registry.get(compiled.digest)
    if registration is None:
        name = f"luk-{compiled.digest[:24]}-{next(_generations)}"
        try:
            _get_host().register_rulesets({name: copy.deepcopy(compiled.definition)})
        except Exception as exc:
            raise EngineUnavailable(f"durable_rules refused the ruleset: {exc}; use --engine "
                                    "native") from None
        registration = _registry[compiled.digest] = _Registration(compiled.digest, name)
    return registration


def _unregister(registration: _Registration) -> None:
    """Delete a registered ruleset from the Host and the C engine."""
    host = _get_host()
    ruleset = host._ruleset_directory.pop(registration.name, None)
    if ruleset is None:  # pragma: no cover - registered rulesets are in the directory
        return
    host._ruleset_list.remove(ruleset)
    _durable.durable_rules_engine.delete_ruleset(ruleset._handle)


def _release_unused() -> None:
    """Delete the registered rulesets that no runner uses any more (under the lock)."""
    while _released:
        digest = _released.pop()
        _users[digest] -= 1
        if _users[digest] == 0:
            del _users[digest]
            registration = _registry.pop(digest, None)
            if registration is not None:
                _unregister(registration)


_ENGINE_ERRORS: tuple[type[BaseException], ...] = () if _durable is None else (
    _durable.durable_rules_engine.error, _durable.MessageObservedException)


def _failed(exc: BaseException) -> EngineUnavailable:
    """A failure inside durable_rules, which the limits should have prevented."""
    return EngineUnavailable(f"durable_rules failed: {exc}; use --engine native")


def _assert_fact(host: Any, name: str, fact: dict[str, Any]) -> None:
    # Not handled: no pattern accepts it, so no rule can use it.
    with contextlib.suppress(_durable.MessageNotHandledException):
        host.assert_fact(name, fact)


def _finish(host: Any, registration: _Registration, run: _Run) -> None:
    """Fire the finaliser, then delete the state; leave it when the finaliser cannot fire.

    Deleting a state in which no action ran segfaults. A state left behind is
    remembered (its sid is not reused); before a ruleset holds too many, it is
    replaced by a fresh registration of the same definition.
    """
    interrupted: BaseException | None = None
    if not run.finalised:
        try:
            _assert_fact(host, registration.name, run.trigger("final"))
        except Exception:  # the state is left behind below
            pass
        except BaseException as exc:  # an interrupt: leave the state, then let it through
            interrupted = exc
    if run.finalised and interrupted is None:
        try:
            host.delete_state(registration.name, run.sid)
            return
        except Exception:  # the state is left behind below
            pass
    registration.leaked.add(_fnv1a(run.sid))
    if len(registration.leaked) >= MAX_LEAKED_STATES and (
            _registry.get(registration.digest) is registration):
        del _registry[registration.digest]
        _unregister(registration)
    if interrupted is not None:
        raise interrupted


class DurableRunner:
    """A program registered with durable_rules; :meth:`run` evaluates one set of facts."""

    def __init__(self, program: Program) -> None:
        if _durable is None:
            raise EngineUnavailable(
                "the durable engine needs durable-rules, which is not installed here "
                f"({_IMPORT_ERROR}); install luk-rules[durable] on Python < 3.13, or use "
                "--engine native")
        compiled = _Compiled(program)
        if compiled.limits:
            raise EngineUnavailable("; ".join(
                f"rule {name}: {message}" for name, message in compiled.limits)
                + "; use --engine native")
        self._compiled = compiled
        with _lock:
            _users[compiled.digest] = _users.get(compiled.digest, 0) + 1
            try:
                _release_unused()
                _registration(compiled)
            except BaseException:
                _users[compiled.digest] -= 1
                raise
        weakref.finalize(self, _released.append, compiled.digest)

    def run(self, facts: FactSet, *, trace: bool = False) -> Derivation:
        """Evaluate the input facts in phases under the process-wide lock."""
        global _current
        compiled = self._compiled
        codes = compiled.run_codes(facts)
        with _lock:
            _release_unused()
            registration = _registration(compiled)
            host = _get_host()
            sid = str(next(_sids))
            while _fnv1a(sid) in registration.leaked:
                sid = str(next(_sids))  # pragma: no cover - needs a sid colliding with one left
            run = _Run(compiled, sid, codes, trace)
            _current = run
            try:
                try:
                    self._evaluate(host, registration.name, run, facts)
                except _ENGINE_ERRORS as exc:
                    raise _failed(exc) from None
                finally:
                    _finish(host, registration, run)
            finally:
                _current = None
        if run.errors:
            if isinstance(run.errors[0], _ENGINE_ERRORS):
                raise _failed(run.errors[0]) from None
            raise run.errors[0]
        if not run.finalised:  # pragma: no cover - durable_rules dropped an action
            raise EngineUnavailable("durable_rules did not complete the evaluation; use "
                                    "--engine native")
        everything = {pred: frozenset(rows) for pred, rows in run.rows.items()}
        if not trace:
            return Derivation(everything, {})
        return Derivation(everything, smallest_proofs(run.trace),
                          frozenset(r for _, r, _ in run.trace))

    @staticmethod
    def _evaluate(host: Any, name: str, run: _Run, facts: FactSet) -> None:
        compiled = run.compiled
        for (pred, args), static in compiled.static:
            fid = run.add(pred, args)
            if fid is not None and static is not None:
                _assert_fact(host, name, {**static, "id": fid, "sid": run.sid})
        for pred, rows in facts.items():
            for args in rows:
                fid = run.add(pred, tuple(args))
                if fid is not None:
                    message = run.message(pred, tuple(args), fid)
                    if message is not None:
                        _assert_fact(host, name, message)
        if compiled.uses_start:
            _assert_fact(host, name, run.trigger("start"))
        for phase in range(1, compiled.max_phase + 1):
            for message in run.counts(phase):
                _assert_fact(host, name, message)
            if phase in compiled.check_phases:
                _assert_fact(host, name, run.trigger("check", phase))
        _assert_fact(host, name, run.trigger("final"))


__all__ = ["DurableRunner", "durable_limits"]
