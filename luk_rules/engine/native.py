"""The native engine: a stratified, indexed forward-chaining evaluator.

Each rule is compiled once into a chain of Python closures, one per body
literal, that join through hash indexes on the positions bound so far. Strata
run in order; a recursive stratum runs to a fixpoint. The compiled runner is
immutable and every run works on its own fact store, so threads may share it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

from luk_rules.compile import Atom, CountAtLeast, Fact, Neg, Program, Test, Value, Var
from luk_rules.compile.program import Literal_, Rule
from luk_rules.engine import Derivation

Args = tuple[Value, ...]
Index = dict[Args, list[Args]]
Positions = tuple[int, ...]
TraceLog = list[tuple[Fact, int, tuple[Fact, ...]]]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


class _Run:
    """The mutable state of one run: its facts, their indexes, and the trace."""

    __slots__ = ("changed", "facts", "indexes", "static", "trace")

    def __init__(self, static: dict[str, dict[Positions, Index]],
                 wanted: dict[str, tuple[Positions, ...]], trace: TraceLog | None) -> None:
        self.static = static
        self.facts: dict[str, dict[Args, None]] = {}
        self.indexes: dict[str, dict[Positions, Index]] = {
            p: {pos: {} for pos in positions} for p, positions in wanted.items()
            if p not in static
        }
        self.trace = trace
        self.changed = False

    def add(self, pred: str, args: Args) -> bool:
        bucket = self.facts.get(pred)
        if bucket is None:
            bucket = self.facts[pred] = {}
        elif args in bucket:
            return False
        bucket[args] = None
        for positions, index in self.indexes.get(pred, {}).items():
            key = tuple([args[p] for p in positions])
            found = index.get(key)
            if found is None:
                index[key] = [args]
            else:
                found.append(args)
        return True

    def lookup(self, pred: str, positions: Positions, key: Args) -> list[Args] | None:
        table = self.static.get(pred)
        if table is not None:
            return table[positions].get(key)
        return self.indexes[pred][positions].get(key)


Step = Callable[[_Run, list[Any], list[Fact]], None]


class NativeRunner:
    """A program compiled once to closures; :meth:`run` decides one set of facts."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._wanted: dict[str, set[Positions]] = {}
        self._rules: tuple[Callable[[_Run], None], ...] = tuple(
            self._compile(i, rule) for i, rule in enumerate(program.rules))
        static_args: dict[str, list[Args]] = {}
        for pred, args in program.static:
            static_args.setdefault(pred, []).append(args)
        static: dict[str, dict[Positions, Index]] = {}
        for pred, rows in static_args.items():
            table: dict[Positions, Index] = {}
            for positions in self._wanted.get(pred, set()) | {()}:
                index: Index = {}
                for args in rows:
                    index.setdefault(tuple(args[p] for p in positions), []).append(args)
                table[positions] = index
            static[pred] = table
        self._static = static
        self._static_facts = {p: frozenset(rows) for p, rows in static_args.items()}
        self._indexes = {p: tuple(sorted(v)) for p, v in self._wanted.items()}
        for pred in program.inputs:
            self._indexes.setdefault(pred, ())

    # ------------------------------------------------------------ compile

    def _compile(self, rule_index: int, rule: Rule) -> Callable[[_Run], None]:
        slots: dict[str, int] = {}
        makers = [self._literal(lit, slots) for lit in rule.body]
        for a in rule.head.args:
            if isinstance(a, Var) and a.name not in slots:
                raise ValueError(f"rule {rule.name}: head variable {a.name} is not bound")
        head_parts = tuple(
            (True, slots[a.name]) if isinstance(a, Var) else (False, a) for a in rule.head.args)
        pred = rule.head.pred
        size = len(slots)

        def emit(run: _Run, env: list[Any], used: list[Fact]) -> None:
            args = tuple([env[v] if is_var else v for is_var, v in head_parts])
            if run.add(pred, args):
                run.changed = True
            if run.trace is not None:
                run.trace.append(((pred, args), rule_index, tuple(used)))

        step: Step = emit
        for make in reversed(makers):
            step = make(step)
        first = step

        def evaluate(run: _Run) -> None:
            first(run, [None] * size, [])

        return evaluate

    def _literal(self, lit: Literal_, slots: dict[str, int]) -> Callable[[Step], Step]:
        if isinstance(lit, Test):
            return self._test(lit, slots)
        atom = lit.atom if isinstance(lit, Neg | CountAtLeast) else lit
        bound: list[int] = []
        key_parts: list[tuple[bool, Any]] = []
        binds: list[tuple[int, int]] = []
        equal: list[tuple[int, int]] = []
        new_here: dict[str, int] = {}
        for pos, arg in enumerate(atom.args):
            if isinstance(arg, Var):
                if arg.name == "_":
                    continue
                if arg.name in slots:
                    bound.append(pos)
                    key_parts.append((True, slots[arg.name]))
                elif not isinstance(lit, Atom):
                    continue  # existential inside a negation or a count
                elif arg.name in new_here:
                    equal.append((new_here[arg.name], pos))
                else:
                    new_here[arg.name] = pos
            else:
                bound.append(pos)
                key_parts.append((False, arg))
        for name, pos in new_here.items():
            slots[name] = len(slots)
            binds.append((pos, slots[name]))
        positions = tuple(bound)
        self._wanted.setdefault(atom.pred, set()).add(positions)
        pred = atom.pred
        parts = tuple(key_parts)
        const_key: Args | None = (
            tuple(v for _, v in parts) if all(not is_var for is_var, _ in parts) else None)

        def key_of(env: list[Any]) -> Args:
            if const_key is not None:
                return const_key
            return tuple([env[v] if is_var else v for is_var, v in parts])

        if isinstance(lit, Neg):
            def neg(nxt: Step) -> Step:
                def step(run: _Run, env: list[Any], used: list[Fact]) -> None:
                    if not run.lookup(pred, positions, key_of(env)):
                        nxt(run, env, used)
                return step
            return neg
        if isinstance(lit, CountAtLeast):
            n, at_least = lit.n, lit.at_least

            def count(nxt: Step) -> Step:
                def step(run: _Run, env: list[Any], used: list[Fact]) -> None:
                    found = run.lookup(pred, positions, key_of(env)) or []
                    if len(found) >= n:
                        if at_least:
                            used.extend((pred, a) for a in found)
                            nxt(run, env, used)
                            del used[len(used) - len(found):]
                    elif not at_least:
                        nxt(run, env, used)
                return step
            return count
        bind_list = tuple(binds)
        equal_list = tuple(equal)

        def positive(nxt: Step) -> Step:
            def step(run: _Run, env: list[Any], used: list[Fact]) -> None:
                found = run.lookup(pred, positions, key_of(env))
                if not found:
                    return
                for args in tuple(found):
                    if equal_list and any(args[a] != args[b] for a, b in equal_list):
                        continue
                    for pos, s in bind_list:
                        env[s] = args[pos]
                    used.append((pred, args))
                    nxt(run, env, used)
                    used.pop()
            return step
        return positive

    @staticmethod
    def _test(lit: Test, slots: dict[str, int]) -> Callable[[Step], Step]:
        fn = _OPS[lit.op]

        def operand(term: Any) -> tuple[bool, Any]:
            if isinstance(term, Var):
                if term.name not in slots:
                    raise ValueError(f"test on unbound variable {term.name}")
                return True, slots[term.name]
            return False, term

        lv, left = operand(lit.left)
        rv, right = operand(lit.right)

        def test(nxt: Step) -> Step:
            def step(run: _Run, env: list[Any], used: list[Fact]) -> None:
                if fn(env[left] if lv else left, env[right] if rv else right):
                    nxt(run, env, used)
            return step
        return test

    # ------------------------------------------------------------ run

    def run(self, facts: Iterable[Fact], *, trace: bool = False) -> Derivation:
        """Derive every fact that follows from the input facts.

        Safe to call from several threads at once: a run touches only its own state.
        """
        run = _Run(self._static, self._indexes, [] if trace else None)
        for pred, args in facts:
            run.add(pred, args)
        rules = self._rules
        for members, recursive in self.program.strata:
            if not recursive:
                for i in members:
                    rules[i](run)
                continue
            while True:
                run.changed = False
                for i in members:
                    rules[i](run)
                if not run.changed:
                    break
        everything: dict[str, frozenset[Args]] = {
            p: frozenset(v) for p, v in run.facts.items()}
        everything.update(self._static_facts)
        return Derivation(everything, smallest_proofs(run.trace or []))


def smallest_proofs(log: Iterable[tuple[Fact, int, tuple[Fact, ...]]]
                    ) -> dict[Fact, tuple[int, tuple[Fact, ...]]]:
    """For each derived fact, its smallest derivation (rule index, then facts used)."""
    proofs: dict[Fact, tuple[int, tuple[Fact, ...]]] = {}
    keys: dict[Fact, tuple[int, str]] = {}
    for fact, rule, used in log:
        facts = tuple(sorted(set(used), key=repr))
        key = (rule, repr(facts))
        if fact not in keys or key < keys[fact]:
            keys[fact] = key
            proofs[fact] = (rule, facts)
    return proofs
