"""The native engine: a stratified, indexed forward-chaining evaluator.

Each rule is compiled once into a small Python function: nested loops over hash
indexes keyed on the positions bound so far, tests as ``if`` statements,
negation and counting as index look-ups in lower strata. Generated source holds
only identifiers the compiler makes up (``v3``, ``ix7``); every value from the
ruleset (names, dates, numbers) is passed in a tuple of constants, never written
into the source, so a ruleset cannot inject code.

Strata run in order; a recursive stratum runs to a fixpoint. The compiled runner
is immutable and every run has its own fact store, so threads may share it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from luk_rules.compile import Atom, CountAtLeast, Fact, Neg, Program, Test, Value, Var
from luk_rules.compile.program import Rule
from luk_rules.engine import Derivation

Args = tuple[Value, ...]
Index = dict[Args, list[Args]]
Positions = tuple[int, ...]
TraceLog = list[tuple[Fact, int, tuple[Fact, ...]]]
RuleFn = Callable[[list[Index], Callable[[int, Args], None], Any], None]

_PY_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "==", "!=": "!=", "in": "in",
           "not in": "not in"}
_EMPTY: tuple[Args, ...] = ()


class _Layout:
    """Numbers the predicates and the indexes the rules need."""

    def __init__(self) -> None:
        self.preds: dict[str, int] = {}
        self.indexes: dict[tuple[str, Positions], int] = {}

    def pred(self, name: str) -> int:
        return self.preds.setdefault(name, len(self.preds))

    def index(self, pred: str, positions: Positions) -> int:
        self.pred(pred)
        return self.indexes.setdefault((pred, positions), len(self.indexes))


class _Generator:
    """Writes the source of one rule's function."""

    def __init__(self, layout: _Layout, rule_index: int, rule: Rule, trace: bool) -> None:
        self.layout = layout
        self.rule_index = rule_index
        self.rule = rule
        self.trace = trace
        self.consts: list[Any] = []
        self.vars: dict[str, str] = {}
        self.lines: list[str] = []
        self.prelude: list[str] = []
        self.used: list[tuple[str, str]] = []  # (pred-constant name, fact expression)
        self.depth = 1
        self.counter = 0

    def const(self, value: Any) -> str:
        name = f"k{len(self.consts)}"
        self.consts.append(value)
        self.prelude.append(f"    {name} = K[{len(self.consts) - 1}]")
        return name

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def term(self, term: Any) -> str:
        if isinstance(term, Var):
            return self.vars[term.name]
        return self.const(term)

    def key(self, atom: Atom, binding: bool) -> tuple[Positions, str, list[tuple[int, str]],
                                                      list[tuple[int, int]]]:
        bound: list[int] = []
        parts: list[str] = []
        new: list[tuple[int, str]] = []
        equal: list[tuple[int, int]] = []
        first_seen: dict[str, int] = {}
        for pos, arg in enumerate(atom.args):
            if isinstance(arg, Var):
                if arg.name == "_":
                    continue
                if arg.name in self.vars:
                    bound.append(pos)
                    parts.append(self.vars[arg.name])
                elif not binding:
                    continue
                elif arg.name in first_seen:
                    equal.append((first_seen[arg.name], pos))
                else:
                    first_seen[arg.name] = pos
                    new.append((pos, arg.name))
            else:
                bound.append(pos)
                parts.append(self.const(arg))
        key = "(" + "".join(p + ", " for p in parts) + ")"
        return tuple(bound), key, new, equal

    def index_name(self, pred: str, positions: Positions) -> str:
        number = self.layout.index(pred, positions)
        name = f"ix{number}"
        line = f"    {name} = ix[{number}]"
        if line not in self.prelude:
            self.prelude.append(line)
        return name

    def generate(self) -> tuple[str, tuple[Any, ...]]:
        for lit in self.rule.body:
            if isinstance(lit, Atom):
                positions, key, new, equal = self.key(lit, binding=True)
                ix = self.index_name(lit.pred, positions)
                fact = self.fresh("f")
                self.emit(f"for {fact} in {ix}.get({key}, EMPTY):")
                self.depth += 1
                for a, b in equal:
                    self.emit(f"if {fact}[{a}] != {fact}[{b}]: continue")
                for pos, name in new:
                    var = self.fresh("v")
                    self.vars[name] = var
                    self.emit(f"{var} = {fact}[{pos}]")
                self.used.append((self.const(lit.pred), fact))
            elif isinstance(lit, Test):
                left = self.term(lit.left)
                right = self.term(frozenset(lit.right) if isinstance(lit.right, tuple)
                                  else lit.right)
                self.emit(f"if {left} {_PY_OPS[lit.op]} {right}:")
                self.depth += 1
            elif isinstance(lit, Neg):
                positions, key, _, _ = self.key(lit.atom, binding=False)
                ix = self.index_name(lit.atom.pred, positions)
                self.emit(f"if not {ix}.get({key}):")
                self.depth += 1
            elif isinstance(lit, CountAtLeast):
                positions, key, _, _ = self.key(lit.atom, binding=False)
                ix = self.index_name(lit.atom.pred, positions)
                bucket = self.fresh("b")
                self.emit(f"{bucket} = {ix}.get({key}, EMPTY)")
                n = self.const(lit.n)
                if lit.at_least:
                    self.emit(f"if len({bucket}) >= {n}:")
                    self.used.append((self.const(lit.atom.pred), f"*{bucket}:{n}"))
                else:
                    self.emit(f"if len({bucket}) < {n}:")
                self.depth += 1
        for arg in self.rule.head.args:
            if isinstance(arg, Var) and arg.name not in self.vars:
                raise ValueError(f"rule {self.rule.name}: head variable {arg.name} is not bound")
        args = "(" + "".join(self.term(a) + ", " for a in self.rule.head.args) + ")"
        pred = self.layout.pred(self.rule.head.pred)
        head = self.fresh("h")
        self.emit(f"{head} = {args}")
        self.emit(f"add({pred}, {head})")
        if self.trace:
            pieces = []
            for pred_const, fact in self.used:
                if fact.startswith("*"):
                    # The n smallest counted facts: what every engine reports.
                    bucket, n = fact[1:].split(":")
                    pieces.append(
                        f"*(({pred_const}, x) for x in sorted({bucket}, key=repr)[:{n}])")
                else:
                    pieces.append(f"({pred_const}, {fact})")
            used = "(" + "".join(p + ", " for p in pieces) + ")"
            head_pred = self.const(self.rule.head.pred)
            self.emit(f"log.append((({head_pred}, {head}), {self.rule_index}, {used}))")
        source = "\n".join(["def rule(ix, add, log):", *self.prelude, *self.lines,
                            "    return None"])
        return source, tuple(self.consts)


def _build(source: str, consts: tuple[Any, ...]) -> RuleFn:
    builtins = {"len": len, "sorted": sorted, "repr": repr}
    namespace: dict[str, Any] = {"K": consts, "EMPTY": _EMPTY, "__builtins__": builtins}
    exec(compile(source, "<luk rule>", "exec"), namespace)
    fn: RuleFn = namespace["rule"]
    return fn


class NativeRunner:
    """A program compiled once to Python functions; :meth:`run` decides one set of facts."""

    def __init__(self, program: Program) -> None:
        self.program = program
        layout = _Layout()
        for pred in sorted(program.inputs):
            layout.pred(pred)
        self._plain: list[RuleFn] = []
        self._traced: list[RuleFn] = []
        self.sources: list[str] = []
        for i, rule in enumerate(program.rules):
            source, consts = _Generator(layout, i, rule, trace=False).generate()
            self.sources.append(source)
            self._plain.append(_build(source, consts))
            source, consts = _Generator(layout, i, rule, trace=True).generate()
            self._traced.append(_build(source, consts))
        self._names = sorted(layout.preds, key=layout.preds.__getitem__)
        self._pred_ids = dict(layout.preds)
        # Per predicate, the indexes to update when one of its facts is added.
        per_pred: list[list[tuple[int, Positions]]] = [[] for _ in self._names]
        for (pred, positions), number in layout.indexes.items():
            per_pred[layout.preds[pred]].append((number, positions))
        self._per_pred = [tuple(x) for x in per_pred]
        self._index_count = len(layout.indexes)
        # Static facts are indexed once and shared, read-only, by every run.
        static_rows: dict[str, list[Args]] = {}
        for pred, args in program.static:
            static_rows.setdefault(pred, []).append(args)
        self._static_rows = {p: frozenset(rows) for p, rows in static_rows.items()}
        self._static_index: dict[int, Index] = {}
        for (pred, positions), number in layout.indexes.items():
            if pred in static_rows:
                index: Index = {}
                for args in static_rows[pred]:
                    index.setdefault(tuple(args[p] for p in positions), []).append(args)
                self._static_index[number] = index
        self._strata = program.strata

    def run(self, facts: Iterable[Fact], *, trace: bool = False) -> Derivation:
        """Derive every fact that follows from the input facts.

        Safe to call from several threads at once: a run touches only its own state.
        """
        static = self._static_index
        ix: list[Index] = [static.get(n, {}) for n in range(self._index_count)]
        store: list[dict[Args, None]] = [{} for _ in self._names]
        per_pred = self._per_pred
        added = [0]

        def add(pred: int, args: Args) -> None:
            bucket = store[pred]
            if args in bucket:
                return
            bucket[args] = None
            added[0] += 1
            for number, positions in per_pred[pred]:
                index = ix[number]
                key = tuple([args[p] for p in positions])
                rows = index.get(key)
                if rows is None:
                    index[key] = [args]
                else:
                    rows.append(args)

        ids = self._pred_ids
        for pred, args in facts:
            number = ids.get(pred)
            if number is not None:
                add(number, args)
        log: TraceLog | None = [] if trace else None
        rules = self._traced if trace else self._plain
        for members, recursive in self._strata:
            if not recursive:
                for i in members:
                    rules[i](ix, add, log)
                continue
            while True:
                before = added[0]
                for i in members:
                    rules[i](ix, add, log)
                if added[0] == before:
                    break
        everything: dict[str, frozenset[Args]] = {
            self._names[p]: frozenset(rows) for p, rows in enumerate(store) if rows}
        everything.update(self._static_rows)
        if log is None:
            return Derivation(everything, {})
        return Derivation(everything, smallest_proofs(log), frozenset(r for _, r, _ in log))


def smallest_proofs(log: Iterable[tuple[Fact, int, tuple[Fact, ...]]]
                    ) -> dict[Fact, tuple[int, tuple[Fact, ...]]]:
    """For each derived fact, its smallest derivation: the rule first, then the facts used.

    Choosing by a total order, not by the order rules happened to fire in, gives
    every engine the same proof for the same derivation.
    """
    proofs: dict[Fact, tuple[int, tuple[Fact, ...]]] = {}
    keys: dict[Fact, tuple[int, tuple[str, ...]]] = {}
    for fact, rule, used in log:
        unique = sorted(set(used), key=repr)
        key = (rule, tuple(repr(f) for f in unique))
        if fact not in keys or key < keys[fact]:
            keys[fact] = key
            proofs[fact] = (rule, tuple(unique))
    return proofs
