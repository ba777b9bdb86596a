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

from collections.abc import Callable, Iterable, Set
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

Args = tuple[Value, ...]
Index = dict[Args, list[Args]]
Positions = tuple[int, ...]
TraceLog = list[tuple[Fact, int, tuple[Fact, ...]]]
RuleFn = Callable[[list[Index], list[dict[Args, None]], Any], None]

_PY_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "==", "!=": "!=", "in": "in",
           "not in": "not in"}
_ARITHMETIC = {"+": "+", "-": "-"}
_EMPTY: tuple[Args, ...] = ()
_ALL = -1  # in a traced rule's used facts: every fact of an aggregate's bucket
_MAX_NESTING = 12  # levels of one rule's loops and tests before it is evaluated in segments


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


class _Shared:
    """What the rules of one generated function share: constants, prelude, names."""

    def __init__(self, static: frozenset[str] = frozenset()) -> None:
        self.consts: list[Any] = []
        self.const_names: dict[tuple[type, Any], str] = {}
        self.prelude: list[str] = []
        self.counter = 0
        self.static = static  # predicates whose facts come with the program


class _Generator:
    """Writes the source of one rule: nested loops, tests, and inline fact insertion.

    The code reads the run's indexes and fact stores and adds the facts it
    derives itself (no call per fact); when traced, it logs each firing.
    """

    def __init__(self, layout: _Layout, rule_index: int, rule: Rule, trace: bool,
                 head_indexes: tuple[tuple[int, Positions], ...],
                 shared: _Shared | None = None, depth: int = 1,
                 recursive: bool = False) -> None:
        self.layout = layout
        self.rule_index = rule_index
        self.rule = rule
        self.trace = trace
        self.head_indexes = head_indexes
        self.shared = shared or _Shared()
        self.consts = self.shared.consts
        self.const_names = self.shared.const_names
        self.prelude = self.shared.prelude
        self.vars: dict[str, str] = {}
        self.lines: list[str] = []
        # (pred const, fact expression, n): n is None for a matched fact, else a count's n
        self.used: list[tuple[str, str, int | None]] = []
        self.depth = depth
        self.base = depth
        self.segment_start = 0
        self.recursive = recursive

    def const(self, value: Any) -> str:
        key = (type(value), value)
        if key not in self.const_names:
            name = f"k{len(self.consts)}"
            self.consts.append(value)
            self.prelude.append(f"    {name} = K[{len(self.consts) - 1}]")
            self.const_names[key] = name
        return self.const_names[key]

    def fresh(self, prefix: str) -> str:
        self.shared.counter += 1
        return f"{prefix}{self.shared.counter}"

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

    def store_name(self, pred: str) -> str:
        number = self.layout.pred(pred)
        line = f"    s{number} = store[{number}]"
        if line not in self.prelude:
            self.prelude.append(line)
        return f"s{number}"

    def rows(self, pred: str, positions: Positions, key: str) -> str:
        """An expression for the facts of ``pred`` with ``key`` at ``positions``.

        A derived or input predicate read whole is read from its fact store (a dict,
        iterated for its keys) rather than from an index kept just for that.
        """
        if not positions and pred not in self.shared.static:
            name = self.store_name(pred)
            return f"list({name})" if self.recursive else name
        return f"{self.index_name(pred, positions)}.get({key}, EMPTY)"

    def positive(self, lit: Atom) -> None:
        positions, key, new, equal = self.key(lit, binding=True)
        rows = self.rows(lit.pred, positions, key)
        fact = self.fresh("f")
        names = {pos: self.fresh("v") for pos, _ in new}
        if self.trace or equal:
            self.emit(f"for {fact} in {rows}:")
            self.depth += 1
            for a, b in equal:
                self.emit(f"if {fact}[{a}] != {fact}[{b}]: continue")
            for pos, var in names.items():
                self.emit(f"{var} = {fact}[{pos}]")
        else:
            # Unpack in the loop header: the fastest way to bind a fact's fields.
            target = ", ".join(names.get(pos, "_") for pos in range(len(lit.args)))
            target = target + "," if len(lit.args) == 1 else target
            self.emit(f"for {target or '_'} in {rows}:" if lit.args else f"for _ in {rows}:")
            self.depth += 1
        for pos, name in new:
            self.vars[name] = names[pos]
        if self.trace:
            self.used.append((self.const(lit.pred), fact, None))

    def segment(self) -> None:
        """Close the nested loops written so far and continue from their results.

        Python allows only 20 nested loops and 100 levels of indentation in one
        function, so a long condition is evaluated in segments: the bindings (and,
        when traced, the facts used) that reach the end of one segment are kept in
        a list, and the next segment loops over that list at the rule's own depth.
        """
        carried = list(dict.fromkeys([*self.vars.values(), *(f for _, f, _ in self.used)]))
        buffer = self.fresh("seg")
        row = "(" + "".join(name + ", " for name in carried) + ")"
        self.emit(f"{buffer}.append({row})")
        self.lines.insert(self.segment_start, "    " * self.base + f"{buffer} = []")
        self.depth = self.base
        self.segment_start = len(self.lines)
        self.emit(f"for {row} in {buffer}:")
        self.depth += 1

    def block(self) -> list[str]:
        """The rule's code, indented for its place in the program function."""
        for lit in self.rule.body:
            if self.depth - self.base >= _MAX_NESTING:
                self.segment()
            if isinstance(lit, Atom):
                self.positive(lit)
            elif isinstance(lit, Test):
                left = self.term(lit.left)
                right = self.term(frozenset(lit.right) if isinstance(lit.right, tuple)
                                  else lit.right)
                self.emit(f"if {left} {_PY_OPS[lit.op]} {right}:")
                self.depth += 1
            elif isinstance(lit, Neg):
                positions, key, _, _ = self.key(lit.atom, binding=False)
                self.emit(f"if not {self.rows(lit.atom.pred, positions, key)}:")
                self.depth += 1
            elif isinstance(lit, CountAtLeast):
                positions, key, _, _ = self.key(lit.atom, binding=False)
                bucket = self.fresh("b")
                self.emit(f"{bucket} = {self.rows(lit.atom.pred, positions, key)}")
                n = self.const(lit.n)
                self.emit(f"if len({bucket}) {'>=' if lit.at_least else '<'} {n}:")
                if lit.at_least and self.trace:
                    self.used.append((self.const(lit.atom.pred), bucket, lit.n))
                self.depth += 1
            elif isinstance(lit, Aggregate):
                self.aggregate(lit)
            elif isinstance(lit, Compute):
                result = self.fresh("v")
                op = _ARITHMETIC[lit.op]
                self.emit(f"{result} = {self.term(lit.left)} {op} {self.term(lit.right)}")
                self.vars[lit.result.name] = result
        for arg in self.rule.head.args:
            if isinstance(arg, Var) and arg.name not in self.vars:
                raise ValueError(f"rule {self.rule.name}: head variable {arg.name} is not bound")
        self.head()
        return self.lines

    def aggregate(self, lit: Aggregate) -> None:
        """Bind the count or sum of the matching facts; when traced, all of them are used."""
        positions, key, _, _ = self.key(lit.atom, binding=False)
        bucket = self.fresh("b")
        self.emit(f"{bucket} = {self.rows(lit.atom.pred, positions, key)}")
        result = self.fresh("v")
        if lit.op == "count":
            self.emit(f"{result} = len({bucket})")
        else:
            assert lit.value is not None
            at = lit.atom.args.index(lit.value)
            self.emit(f"{result} = sum([f[{at}] for f in {bucket}])")
        self.vars[lit.result.name] = result
        if self.trace:
            self.used.append((self.const(lit.atom.pred), bucket, _ALL))

    def head(self) -> None:
        args = "(" + "".join(self.term(a) + ", " for a in self.rule.head.args) + ")"
        pred = self.layout.pred(self.rule.head.pred)
        facts = f"s{pred}"
        self.prelude.append(f"    {facts} = store[{pred}]")
        head = self.fresh("h")
        self.emit(f"{head} = {args}")
        self.emit(f"if {head} not in {facts}:")
        self.depth += 1
        self.emit(f"{facts}[{head}] = None")
        for number, positions in self.head_indexes:
            if not positions:
                continue  # read from the fact store itself
            ix = self.index_name(self.rule.head.pred, positions)
            key = "(" + "".join(f"{head}[{p}], " for p in positions) + ")"
            rows = self.fresh("r")
            self.emit(f"{rows} = {ix}.get({key})")
            self.emit(f"if {rows} is None: {ix}[{key}] = [{head}]")
            self.emit(f"else: {rows}.append({head})")
            del number
        self.depth -= 1
        if self.trace:
            pieces = []
            for pred_const, fact, n in self.used:
                if n == _ALL:
                    pieces.append(f"*(({pred_const}, x) for x in {fact})")
                elif n is not None:
                    # The n smallest counted facts: what every engine reports.
                    pieces.append(
                        f"*(({pred_const}, x) for x in sorted({fact}, key=repr)[:{n}])")
                else:
                    pieces.append(f"({pred_const}, {fact})")
            used = "(" + "".join(p + ", " for p in pieces) + ")"
            head_pred = self.const(self.rule.head.pred)
            self.emit(f"log.append((({head_pred}, {head}), {self.rule_index}, {used}))")


def _program_source(layout: _Layout, program: Program, trace: bool,
                    wanted: dict[str, list[tuple[int, Positions]]],
                    schedule: list[tuple[bool, tuple[int, ...]]]) -> tuple[str, tuple[Any, ...]]:
    """One function for the whole program: every rule's block, in evaluation order."""
    shared = _Shared(frozenset(pred for pred, _ in program.static))
    body: list[str] = []
    for recursive, members in schedule:
        depth = 1
        if recursive:
            body.append("    while True:")
            body.append("        before = sum(map(len, store))")
            depth = 2
        for i in members:
            rule = program.rules[i]
            heads = tuple(wanted.get(rule.head.pred, ()))
            pad = "    " * depth
            body.append(f"{pad}# rule {i}: {_comment(rule.name)}")
            body.extend(
                _Generator(layout, i, rule, trace, heads, shared, depth, recursive).block())
        if recursive:
            body.append("        if sum(map(len, store)) == before:")
            body.append("            break")
    prelude = list(dict.fromkeys(shared.prelude))
    source = "\n".join(["def program(ix, store, log):", *prelude, *body, "    return None"])
    return source, tuple(shared.consts)


def _loader_source(layout: _Layout, inputs: Iterable[str],
                   wanted: dict[str, list[tuple[int, Positions]]]) -> tuple[str, tuple[Any, ...]]:
    """A function that puts the input facts into their stores and indexes."""
    consts: list[Any] = []
    lines = ["def load(ix, store, facts):"]
    for pred in sorted(inputs):
        number = layout.pred(pred)
        consts.append(pred)
        lines.append(f"    rows = facts.get(K[{len(consts) - 1}])")
        lines.append("    if rows:")
        lines.append(f"        s = store[{number}]")
        lines.append("        for h in rows:")
        lines.append("            if h in s: continue")
        lines.append("            s[h] = None")
        for index, positions in wanted.get(pred, ()):
            if not positions:
                continue  # read from the fact store itself
            key = "(" + "".join(f"h[{p}], " for p in positions) + ")"
            lines.append(f"            r = ix[{index}].get({key})")
            lines.append(f"            if r is None: ix[{index}][{key}] = [h]")
            lines.append("            else: r.append(h)")
    lines.append("    return None")
    return "\n".join(lines), tuple(consts)


def _comment(text: str) -> str:
    """A rule name made safe for a comment line (no line breaks)."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _build(source: str, consts: tuple[Any, ...], label: str, name: str = "program") -> Any:
    builtins = {"len": len, "sorted": sorted, "repr": repr, "sum": sum, "map": map,
                "list": list}
    namespace: dict[str, Any] = {"K": consts, "EMPTY": _EMPTY, "__builtins__": builtins}
    # Safe: the source holds only generated identifiers; values come in K (module docstring).
    exec(compile(source, f"<luk {name} {label}>", "exec"), namespace)
    return namespace[name]


def program_label(program: Program) -> str:
    """A short name for a program's generated code in tracebacks and profiles."""
    return f"{len(program.rules)} rules"


class NativeRunner:
    """A program compiled once to Python functions; :meth:`run` decides one set of facts."""

    def __init__(self, program: Program) -> None:
        self.program = program
        layout = _Layout()
        for pred in sorted(program.inputs):
            layout.pred(pred)
        # First pass: learn every index the rule bodies need.
        static_preds = frozenset(pred for pred, _ in program.static)
        for i, rule in enumerate(program.rules):
            _Generator(layout, i, rule, trace=False, head_indexes=(),
                       shared=_Shared(static_preds)).block()
        wanted: dict[str, list[tuple[int, Positions]]] = {}
        for (pred, positions), number in sorted(layout.indexes.items(), key=lambda kv: kv[1]):
            wanted.setdefault(pred, []).append((number, positions))
        # The evaluation order: plain runs of rules, and recursive groups to a fixpoint.
        schedule: list[tuple[bool, tuple[int, ...]]] = []
        for members, recursive in program.strata:
            if not recursive and schedule and not schedule[-1][0]:
                schedule[-1] = (False, schedule[-1][1] + members)
            else:
                schedule.append((recursive, members))
        self.source, consts = _program_source(layout, program, False, wanted, schedule)
        self._plain: RuleFn = _build(self.source, consts, program_label(program))
        traced_source, consts = _program_source(layout, program, True, wanted, schedule)
        self._traced: RuleFn = _build(traced_source, consts, program_label(program) + " traced")
        dynamic_inputs = set(program.inputs) - {pred for pred, _ in program.static}
        loader, consts = _loader_source(layout, dynamic_inputs, wanted)
        self._load: Callable[[list[Index], list[dict[Args, None]], FactSet], None] = _build(
            loader, consts, program_label(program), "load")
        self._names = sorted(layout.preds, key=layout.preds.__getitem__)
        self._pred_ids = dict(layout.preds)
        self._per_pred = [tuple(wanted.get(name, ())) for name in self._names]
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
        self._template: list[Index] = [self._static_index.get(n, {})
                                       for n in range(self._index_count)]
        self._dynamic = tuple(n for n in range(self._index_count) if n not in self._static_index)

    def run(self, facts: FactSet, *, trace: bool = False) -> Derivation:
        """Derive every fact that follows from the input facts.

        Safe to call from several threads at once: a run touches only its own state.
        """
        ix = self._template.copy()
        for n in self._dynamic:
            ix[n] = {}
        store: list[dict[Args, None]] = [{} for _ in self._names]
        self._load(ix, store, facts)
        log: TraceLog | None = [] if trace else None
        (self._traced if trace else self._plain)(ix, store, log)
        everything: dict[str, Set[Args]] = {
            self._names[p]: rows.keys() for p, rows in enumerate(store) if rows}
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
