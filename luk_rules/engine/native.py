"""The native engine: a stratified, indexed forward-chaining evaluator.

A program is compiled once into one Python function: the input facts put into their
fact stores and indexes, then each rule as nested loops over hash indexes keyed on
the positions bound so far, tests as ``if`` statements, negation and counting as
index look-ups in lower strata. Fact stores and indexes are local variables of that
function, so a run allocates only its own facts. Generated source holds only
identifiers the compiler makes up (``v3``, ``ix7``); every value from the ruleset
(names, dates, numbers) is passed in a tuple of constants, never written into the
source, so a ruleset cannot inject code.

The function that runs without a trace is specialised to the program: what follows
from the ruleset alone (the static facts, and the rules that read nothing else) is
derived once, when the runner is made, and shared read-only by every run; a rule that
can never fire (it needs facts nothing gives) is left out; the fields of a one-fact
input (the submission's own fact) are read into variables once; and a rule that matches
the facts of a predicate one earlier rule alone derives runs inside that rule, on each
new fact as it is derived, rather than in a loop over all of them later (when all else
it reads is complete by then, so it derives the same). The traced function runs
every rule, so that proofs and the rules fired are complete. Both derive the same
facts.

Strata run in order; a recursive stratum runs to a fixpoint. The compiled runner
is immutable and every run has its own fact stores, so threads may share it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from operator import itemgetter
from typing import Any

import attrs

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
from luk_rules.compile.program import Literal_, Rule
from luk_rules.engine import Derivation

Args = tuple[Value, ...]
Store = dict[Args, None]
Index = dict[Any, list[Args]]
Positions = tuple[int, ...]
TraceLog = list[tuple[Fact, int, tuple[Fact, ...]]]
ProgramFn = Callable[[Any, TraceLog | None], tuple[Any, ...]]
"""A program function: input facts (or, for a second part, the first's state) to results."""

_PY_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "==", "!=": "!=", "in": "in",
           "not in": "not in"}
_ARITHMETIC = {"+": "+", "-": "-"}
_NONE: AbstractSet[Args] = frozenset()
_ALL = -1  # in a traced rule's used facts: every fact of an aggregate's bucket
_MAX_NESTING = 12  # levels of one rule's loops and tests before it is evaluated in segments


def _index_key(args: Args, positions: Positions) -> Any:
    """A fact's key in an index on ``positions``: the value itself for one position,
    else the tuple of the values (what the generated code looks up)."""
    if len(positions) == 1:
        return args[positions[0]]
    return tuple(args[p] for p in positions)


def _key_expression(parts: list[str]) -> str:
    """The source of an index key made of ``parts`` (as :func:`_index_key` makes it)."""
    if len(parts) == 1:
        return parts[0]
    return "(" + "".join(p + ", " for p in parts) + ")"


class _Layout:
    """Numbers the fact stores and the indexes the rules need.

    ``fixed`` are the predicates whose facts are known when the program is compiled
    (read from constants, never stored per run), with those facts; ``singles`` the input
    predicates with at most one fact that no rule derives: an untraced program reads
    that fact's fields into variables once, after loading.
    """

    def __init__(self, fixed: Mapping[str, tuple[Args, ...]],
                 singles: AbstractSet[str] = frozenset()) -> None:
        self.fixed = fixed
        self.singles = singles
        self.preds: dict[str, int] = {}
        self.indexes: dict[tuple[str, Positions], int] = {}

    def pred(self, name: str) -> int:
        return self.preds.setdefault(name, len(self.preds))

    def index(self, pred: str, positions: Positions) -> int:
        if pred not in self.fixed:
            self.pred(pred)
        return self.indexes.setdefault((pred, positions), len(self.indexes))

    def wanted(self) -> dict[str, list[Positions]]:
        """The indexes of each predicate that a run keeps (not of a fixed one)."""
        found: dict[str, list[Positions]] = {}
        for (pred, positions), _ in sorted(self.indexes.items(), key=lambda kv: kv[1]):
            if pred not in self.fixed and positions:
                found.setdefault(pred, []).append(positions)
        return found


class _Shared:
    """What the rules of one generated function share: constants, prelude, names."""

    def __init__(self, layout: _Layout) -> None:
        self.layout = layout
        self.consts: list[Any] = []
        self.const_names: dict[tuple[type, Any], str] = {}
        self.fixed_names: dict[tuple[str, Positions], str] = {}
        self.prelude: list[str] = []
        self.unpacked: dict[str, int] = {}  # the one-fact predicates read, with their arity
        self.counter = 0

    def const(self, value: Any) -> str:
        key = (type(value), value)
        if key not in self.const_names:
            self.const_names[key] = self._add(value)
        return self.const_names[key]

    def fixed(self, pred: str, positions: Positions) -> str:
        """A constant holding a fixed predicate's facts (a tuple), or an index on them."""
        name = self.fixed_names.get((pred, positions))
        if name is None:
            rows = self.layout.fixed[pred]
            value: Any = rows
            if positions:
                index: Index = {}
                for args in rows:
                    index.setdefault(_index_key(args, positions), []).append(args)
                value = index
            name = self.fixed_names[(pred, positions)] = self._add(value)
        return name

    def _add(self, value: Any) -> str:
        name = f"k{len(self.consts)}"
        self.consts.append(value)
        return name

    def store(self, pred: str) -> str:
        number = self.layout.pred(pred)
        self.prelude.append(f"    s{number} = {{}}")
        return f"s{number}"

    def single(self, pred: str, arity: int) -> list[str]:
        """The variables holding the fields of the one fact of ``pred`` (see
        :meth:`unpacking`)."""
        number = self.layout.pred(pred)
        self.unpacked[pred] = arity
        return [f"u{number}_{p}" for p in range(arity)]

    def unpacking(self) -> list[str]:
        """The lines that read the one-fact predicates' facts into their variables: a
        run's input has at most one fact of each (more is an error in the input)."""
        lines = []
        for pred, arity in sorted(self.unpacked.items()):
            names = self.single(pred, arity)
            target = "(" + "".join(name + ", " for name in names) + ")"
            lines.append(f"    if {self.store(pred)}: {target}, = {self.store(pred)}")
        return lines

    def index(self, pred: str, positions: Positions) -> str:
        number = self.layout.index(pred, positions)
        self.prelude.append(f"    ix{number} = {{}}")
        return f"ix{number}"


class _Generator:
    """Writes the source of one rule: nested loops, tests, and inline fact insertion.

    The code reads the run's indexes and fact stores and adds the facts it
    derives itself (no call per fact); when traced, it logs each firing.
    """

    def __init__(self, shared: _Shared, rule_index: int, rule: Rule, trace: bool,
                 head_indexes: Iterable[Positions], depth: int = 1,
                 recursive: bool = False, pushes: _Pushes | None = None,
                 wanted: Mapping[str, list[Positions]] | None = None) -> None:
        self.shared = shared
        self.layout = shared.layout
        self.rule_index = rule_index
        self.rule = rule
        self.trace = trace
        self.head_indexes = tuple(head_indexes)
        self.vars: dict[str, str] = {}
        self.lines: list[str] = []
        # (pred const, fact expression, n): n is None for a matched fact, else a count's n
        self.used: list[tuple[str, str, int | None]] = []
        self.depth = depth
        self.base = depth
        self.segment_start = 0
        self.recursive = recursive
        self.pushes: _Pushes = pushes or {}
        self.wanted: Mapping[str, list[Positions]] = wanted or {}

    def const(self, value: Any) -> str:
        return self.shared.const(value)

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
        return tuple(bound), _key_expression(parts), new, equal

    def rows(self, pred: str, positions: Positions, key: str) -> str:
        """An expression for the facts of ``pred`` with ``key`` at ``positions``.

        A predicate read whole is read from its fact store (a dict, iterated for its
        keys) rather than from an index kept just for that; a fixed one from constants.
        """
        if pred in self.layout.fixed:
            name = self.shared.fixed(pred, positions)
            return f"{name}.get({key}, EMPTY)" if positions else name
        if not positions:
            name = self.shared.store(pred)
            return f"list({name})" if self.recursive else name
        return f"{self.shared.index(pred, positions)}.get({key}, EMPTY)"

    def exists(self, atom: Atom, positions: Positions, key: str) -> str:
        """A test that some fact of ``atom``'s predicate has ``key`` at ``positions``.

        With every position bound it is one fact, looked up in the store itself;
        otherwise the index's key (an index never keeps an empty list).
        """
        pred = atom.pred
        if pred in self.layout.fixed:
            name = self.shared.fixed(pred, positions)
            return f"{key} in {name}" if positions else name
        if not positions:
            return self.shared.store(pred)
        if len(positions) == len(atom.args):
            whole = f"({key}, )" if len(positions) == 1 else key
            return f"{whole} in {self.shared.store(pred)}"
        return f"{key} in {self.shared.index(pred, positions)}"

    def bind(self, atom: Atom, terms: Sequence[str]) -> None:
        """Start with ``atom`` matched by the fact whose fields are ``terms`` (expressions):
        its variables bound to them, its constants and repeated variables tested."""
        for arg, value in zip(atom.args, terms, strict=True):
            if isinstance(arg, Var) and arg.name == "_":
                continue
            if isinstance(arg, Var) and arg.name not in self.vars:
                self.vars[arg.name] = value
                continue
            self.emit(f"if {value} == {self.term(arg)}:")
            self.depth += 1

    def positive(self, lit: Atom) -> None:
        if not self.trace and lit.pred in self.layout.singles:
            self.emit(f"if {self.shared.store(lit.pred)}:")
            self.depth += 1
            self.bind(lit, self.shared.single(lit.pred, len(lit.args)))
            return
        positions, key, new, equal = self.key(lit, binding=True)
        if not new and not equal and not self.trace:
            # Nothing to bind: whether a fact matches is all that counts.
            self.emit(f"if {self.exists(lit, positions, key)}:")
            self.depth += 1
            return
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
                if self.trace or not lit.atom.args:
                    self.emit(f"if not {self.rows(lit.atom.pred, positions, key)}:")
                else:
                    self.emit(f"if not ({self.exists(lit.atom, positions, key)}):")
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
        terms = [self.term(a) for a in self.rule.head.args]
        args = "(" + "".join(t + ", " for t in terms) + ")"
        facts = self.shared.store(self.rule.head.pred)
        pushed = () if self.trace else self.pushes.get(self.rule_index, ())
        if not self.trace and not self.head_indexes and not pushed:
            self.emit(f"{facts}[{args}] = None")  # a fact derived again stays where it is
            return
        head = self.fresh("h")
        self.emit(f"{head} = {args}")
        self.emit(f"if {head} not in {facts}:")
        self.depth += 1
        self.emit(f"{facts}[{head}] = None")
        for positions in self.head_indexes:
            ix = self.shared.index(self.rule.head.pred, positions)
            key = _key_expression([terms[p] for p in positions])
            rows = self.fresh("r")
            self.emit(f"{rows} = {ix}.get({key})")
            self.emit(f"if {rows} is None: {ix}[{key}] = [{head}]")
            self.emit(f"else: {rows}.append({head})")
        for push in pushed:  # the rules that match the new fact, run on it now
            self.emit(f"# rule {push.index}: {_comment(push.rest.name)} (on each new fact)")
            consumer = _Generator(self.shared, push.index, push.rest, False,
                                  self.wanted.get(push.rest.head.pred, ()), self.depth,
                                  pushes=self.pushes, wanted=self.wanted)
            consumer.bind(push.atom, terms)
            self.lines.extend(consumer.block())
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


@attrs.frozen
class _Push:
    """A rule run inside the one rule that derives the predicate of one of its atoms:
    each time that rule derives a new fact, ``rest`` (the rule without ``atom``) runs with
    ``atom`` matched by it, rather than in a loop over every fact later."""

    index: int
    rest: Rule
    atom: Atom


_Pushes = Mapping[int, tuple[_Push, ...]]
"""The rules run inside each rule (by the index of the rule that derives their facts)."""


def _push_plan(rules: Mapping[int, Rule], schedule: Schedule,
               stored: AbstractSet[str]) -> dict[int, tuple[_Push, ...]]:
    """Which rules of an untraced program run inside another (see :class:`_Push`).

    A rule runs inside rule P when one of its atoms reads a predicate that P alone
    derives (no input or static fact, no recursion), nothing else in it reads that
    predicate, and everything else it reads is complete before P runs: then matching
    each of P's new facts at once derives what a loop over all of them would, later.
    The atom must be able to come first (no negation, count or test before it shares
    its variables), and the nested code stays within :data:`_MAX_NESTING` levels.
    ``stored`` are the predicates with facts of their own (inputs, static facts).
    """
    position: dict[int, int] = {}
    plain: set[int] = set()
    for at, (recursive, members) in enumerate(schedule):
        for offset, i in enumerate(members):
            position[i] = at * 1_000_000 + (0 if recursive else offset)
            if not recursive:
                plain.add(i)
    producers: dict[str, list[int]] = {}
    for i in position:
        producers.setdefault(rules[i].head.pred, []).append(i)

    def complete_before(pred: str | None, rule: int) -> bool:
        return all(position[p] < runs_at[rule] for p in producers.get(pred or "", ()))

    plan: dict[int, list[_Push]] = {}
    levels = {i: len(rule.body) for i, rule in rules.items()}
    runs_at = dict(position)  # when a rule's code runs: its host's place, if pushed
    for i in sorted(plain, key=position.__getitem__):
        rule = rules[i]
        for at, atom in enumerate(rule.body):
            if not isinstance(atom, Atom) or atom.pred in stored:
                continue
            into = producers.get(atom.pred, [])
            if len(into) != 1 or into[0] not in plain or position[into[0]] >= position[i]:
                continue
            source = into[0]
            others = rule.body[:at] + rule.body[at + 1:]
            seen: set[str] = set()
            tests = 0  # constants and repeated variables of the atom: tests when it is bound
            for arg in atom.args:
                if isinstance(arg, Var) and arg.name == "_":
                    continue
                if not isinstance(arg, Var) or arg.name in seen:
                    tests += 1
                else:
                    seen.add(arg.name)
            depth = levels[source] + 1 + len(others) + tests
            if (depth > _MAX_NESTING
                    or any(_reads(lit) == atom.pred for lit in others)
                    or any(not isinstance(lit, Atom) and _variables(lit) & atom.variables()
                           for lit in rule.body[:at])
                    or not all(complete_before(_reads(lit), source) for lit in others)):
                continue
            rest = _filters_first(attrs.evolve(rule, body=(atom, *others)))
            rest = attrs.evolve(rest, body=tuple(lit for lit in rest.body if lit is not atom))
            plan.setdefault(source, []).append(_Push(i, rest, atom))
            levels[i] = depth
            runs_at[i] = runs_at[source]
            break
    return {i: tuple(pushes) for i, pushes in plan.items()}


Schedule = list[tuple[bool, tuple[int, ...]]]


def _schedule(program: Program, rules: Mapping[int, Rule]) -> Schedule:
    """The evaluation order of ``rules``: plain runs of rules, and recursive groups."""
    schedule: Schedule = []
    for members, recursive in program.strata:
        kept = tuple(i for i in members if i in rules)
        if not kept:
            continue
        if not recursive and schedule and not schedule[-1][0]:
            schedule[-1] = (False, schedule[-1][1] + kept)
        else:
            schedule.append((recursive, kept))
    return schedule


@attrs.frozen
class _Compiled:
    """One generated program function, and which of its results hold which predicate's
    facts: its stores, then the fixed predicates' facts, then an empty dict (``empty``).

    A program compiled in two parts has ``first``: a function that loads the input facts
    and derives the predicates of ``first_stores`` (the others there are -1), returning
    its state; ``function`` then takes that state and derives the rest.
    """

    function: ProgramFn
    source: str
    stores: Mapping[str, int]
    empty: int
    first: Callable[[FactSet], tuple[Any, ...]] | None = None
    first_stores: Mapping[str, int] = attrs.field(factory=dict)
    first_empty: int = -1


def _compile(program: Program, rules: Mapping[int, Rule], trace: bool,
             fixed: Mapping[str, tuple[Args, ...]], loaded: Mapping[str, tuple[Args, ...]],
             label: str, first: AbstractSet[int] | None = None,
             absent: AbstractSet[str] = frozenset()) -> _Compiled:
    """One function for the whole program: the input facts loaded into their stores and
    indexes, then every rule's block, in evaluation order.

    ``fixed`` predicates are read from constants; ``loaded`` facts are put into their
    stores on every run (static facts of a predicate that rules derive too). With
    ``first`` (rules that read only what they and the inputs derive), the program is
    compiled in two parts: those rules, then the others (see :class:`_Compiled`).
    """
    derived = {rule.head.pred for rule in program.rules}
    layout = _Layout(fixed, program.singletons - derived - fixed.keys() - loaded.keys())
    for pred in sorted(program.inputs):
        if pred not in fixed:
            layout.pred(pred)
    parts = [rules] if first is None else [
        {i: r for i, r in rules.items() if i in first},
        {i: r for i, r in rules.items() if i not in first}]
    stored = set(program.inputs) | fixed.keys() | loaded.keys()
    plans: list[_Pushes] = [
        {} if trace else _push_plan(part, _schedule(program, part), stored) for part in parts]
    # First pass: learn every index the rule bodies need (the first part's, then all).
    for part, plan in zip(parts, plans, strict=True):
        pushed = {push.index: push for found in plan.values() for push in found}
        for i, rule in part.items():
            if i in pushed:
                generator = _Generator(_Shared(layout), i, pushed[i].rest, trace, ())
                generator.bind(pushed[i].atom, [f"p{n}" for n in range(len(pushed[i].atom.args))])
                generator.block()
            else:
                _Generator(_Shared(layout), i, rule, trace, head_indexes=()).block()
        if part is parts[0]:
            wanted_first = layout.wanted()
    wanted = layout.wanted()
    shared = _Shared(layout)
    bodies: list[list[str]] = []
    preludes: list[list[str]] = []
    for n, part in enumerate(parts):
        shared.prelude = []
        shared.unpacked = {}
        body: list[str] = []
        if n == 0:
            for pred in sorted(program.inputs):
                if pred not in fixed and pred not in absent:
                    body.extend(_load(shared, pred, wanted_first.get(pred, ()),
                                      loaded.get(pred)))
        else:  # the indexes on the first part's facts that only this part reads
            done = set(program.inputs) | {r.head.pred for r in parts[0].values()}
            for pred, indexes in wanted.items():
                if pred in done:
                    later = [p for p in indexes if p not in wanted_first.get(pred, ())]
                    body.extend(_indexed(shared, pred, later))
        lines = _rules(shared, program, part, trace, wanted if n else wanted_first, plans[n])
        body.extend(shared.unpacking())
        body.extend(lines)
        bodies.append(body)
        preludes.append(list(dict.fromkeys(shared.prelude)))
    stores = [f"s{n}" for n in range(len(layout.preds))]
    # The fixed facts come back with the stores (as shared dicts nothing writes to).
    where = dict(layout.preds)
    tail: list[str] = []
    for pred, rows in fixed.items():
        if rows:
            where[pred] = len(stores) + len(tail)
            tail.append(shared._add(dict.fromkeys(rows)))
    tail.append(shared._add({}))
    # The constants are the function's defaults: bound once, not on every run.
    consts = "".join(f", k{i}=K[{i}]" for i in range(len(shared.consts)))
    result = "(" + "".join(name + ", " for name in [*stores, *tail]) + ")"
    if first is None:
        prelude = [*preludes[0], *(f"    {name} = {{}}" for name in stores)]
        source = "\n".join([f"def program(facts, log, EMPTY=(){consts}):",
                            *dict.fromkeys(prelude), *bodies[0], f"    return {result}"])
        return _Compiled(_build(source, tuple(shared.consts), label), source, where,
                         len(stores) + len(tail) - 1)
    # The first part hands on every store and index it made; the second makes the rest.
    state = [line.split(" = ")[0].strip() for line in preludes[0]]
    state_tuple = "(" + "".join(name + ", " for name in state) + ")"
    first_where = {pred: -1 for pred in layout.preds}
    first_where.update({pred: state.index(f"s{n}") for pred, n in layout.preds.items()
                        if f"s{n}" in state})
    for pred, n in where.items():
        if n >= len(stores):  # fixed, and the empty dict
            first_where[pred] = len(state) + n - len(stores)
    made = set(state)
    rest = [line for line in preludes[1] if line.split(" = ")[0].strip() not in made]
    rest += [f"    {name} = {{}}" for name in stores if name not in made]
    source = "\n".join([
        f"def first(facts, EMPTY=(){consts}):", *preludes[0], *bodies[0],
        f"    return {state_tuple[:-1]}{''.join(name + ', ' for name in tail)})",
        "",
        f"def program(state, log, EMPTY=(){consts}):",
        f"    {state_tuple} = state[:{len(state)}]" if state else "    pass",
        *dict.fromkeys(rest), *bodies[1], f"    return {result}"])
    function, first_function = _build(source, tuple(shared.consts), label, ("program", "first"))
    return _Compiled(function, source, where, len(stores) + len(tail) - 1, first_function,
                     first_where, len(state) + len(tail) - 1)


def _rules(shared: _Shared, program: Program, rules: Mapping[int, Rule], trace: bool,
           wanted: Mapping[str, list[Positions]], pushes: _Pushes) -> list[str]:
    """The lines of ``rules``, in evaluation order; a rule of ``pushes`` runs inside the
    rule that derives what it matches."""
    body: list[str] = []
    inside = {push.index for found in pushes.values() for push in found}
    for recursive, all_members in _schedule(program, rules):
        members = tuple(i for i in all_members if i not in inside)
        depth = 1
        heads = [shared.store(rules[i].head.pred) for i in members]
        size = " + ".join(f"len({s})" for s in dict.fromkeys(heads))
        if recursive:
            body.append("    while True:")
            body.append(f"        before = {size}")
            depth = 2
        for i in members:
            rule = rules[i]
            pad = "    " * depth
            body.append(f"{pad}# rule {i}: {_comment(rule.name)}")
            body.extend(_Generator(shared, i, rule, trace, wanted.get(rule.head.pred, ()),
                                   depth, recursive, pushes, wanted).block())
        if recursive:
            body.append(f"        if {size} == before:")
            body.append("            break")
    return body


def _load(shared: _Shared, pred: str, indexes: Iterable[Positions],
          static: tuple[Args, ...] | None) -> list[str]:
    """The lines that put the input facts of ``pred`` (or its ``static`` facts) into its
    store and indexes, before any rule runs (so the store is empty)."""
    store = shared.store(pred)
    source = f"facts.get({shared.const(pred)})" if static is None else shared.const(static)
    lines = [f"    rows = {source}",
             f"    if rows: {store} = dict.fromkeys(rows)"]
    # each fact once (dict.fromkeys keeps the first of equals)
    return lines + _indexed(shared, pred, indexes)


def _indexed(shared: _Shared, pred: str, indexes: Iterable[Positions]) -> list[str]:
    """The lines that index the facts of ``pred`` (all in its store) on ``indexes``: one
    loop over the store, each index filled in turn."""
    lines: list[str] = []
    for positions in indexes:
        ix = shared.index(pred, positions)
        key = _key_expression([f"h[{p}]" for p in positions])
        lines += [f"        k = {key}",
                  f"        r = {ix}.get(k)",
                  f"        if r is None: {ix}[k] = [h]",
                  "        else: r.append(h)"]
    return [f"    for h in {shared.store(pred)}:", *lines] if lines else []


def _comment(text: str) -> str:
    """A rule name made safe for a comment line (no line breaks)."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _build(source: str, consts: tuple[Any, ...], label: str,
           names: tuple[str, ...] = ("program",)) -> Any:
    builtins = {"len": len, "sorted": sorted, "repr": repr, "sum": sum, "list": list,
                "dict": dict}
    namespace: dict[str, Any] = {"K": consts, "__builtins__": builtins}
    # Safe: the source holds only generated identifiers; values come in K (module docstring).
    exec(compile(source, f"<luk program {label}>", "exec"), namespace)
    found = tuple(namespace[name] for name in names)
    return found if len(names) > 1 else found[0]


def program_label(program: Program) -> str:
    """A short name for a program's generated code in tracebacks and profiles."""
    return f"{len(program.rules)} rules"


def _reads(lit: Literal_) -> str | None:
    """The predicate a body literal reads, if any."""
    if isinstance(lit, Atom):
        return lit.pred
    if isinstance(lit, Neg | CountAtLeast | Aggregate):
        return lit.atom.pred
    return None


def _constant_preds(program: Program, static: Mapping[str, tuple[Args, ...]]) -> set[str]:
    """The static predicates and the derived ones that follow from them alone: their
    facts are the same in every run."""
    inputs = program.inputs - static.keys()
    heads: dict[str, list[Rule]] = {}
    for rule in program.rules:
        heads.setdefault(rule.head.pred, []).append(rule)
    constant = {pred for pred in static if pred not in heads}
    changed = True
    while changed:
        changed = False
        for pred, rules in heads.items():
            if pred in constant or pred in inputs or pred in static:
                continue
            if all(_reads(lit) is None or _reads(lit) in constant
                   for rule in rules for lit in rule.body):
                constant.add(pred)
                changed = True
    return constant


def _simplified(rule: Rule, possible: AbstractSet[str],
                fixed: Mapping[str, tuple[Args, ...]]) -> Rule | None:
    """``rule`` without the literals that always hold, or None when it can never fire:
    it needs a fact of a predicate that never has one, or no fact of one that always has.

    ``possible`` are the predicates that may have facts in a run; ``fixed`` those whose
    facts are known.
    """
    body: list[Literal_] = []
    for lit in rule.body:
        if isinstance(lit, Atom):
            if lit.pred not in possible:
                return None
            if not lit.args and lit.pred in fixed:
                continue  # a fact that holds in every run
        elif isinstance(lit, Neg):
            if lit.atom.pred not in possible:
                continue
            if not lit.atom.args and lit.atom.pred in fixed:
                return None
        elif isinstance(lit, CountAtLeast) and lit.atom.pred not in possible:
            if lit.at_least and lit.n > 0:
                return None
            if not lit.at_least and lit.n > 0:
                continue
        body.append(lit)
    return attrs.evolve(rule, body=tuple(body))


def _variables(lit: Literal_) -> set[str]:
    """The variables a body literal mentions or binds."""
    found: set[str] = set()
    if isinstance(lit, Atom):
        return lit.variables()
    if isinstance(lit, Neg | CountAtLeast | Aggregate):
        found = lit.atom.variables()
    if isinstance(lit, Aggregate | Compute):
        found.add(lit.result.name)
    if isinstance(lit, Compute | Test):
        found.update(t.name for t in (lit.left, lit.right) if isinstance(t, Var))
    return found


def _hoisted(rule: Rule, singletons: AbstractSet[str]) -> Rule:
    """``rule`` with its atoms of predicates that have at most one fact read first.

    A join is the same in any order, but reading the one fact first, and not once per
    binding of the loops before it, is cheaper. An atom moves only past other atoms:
    never past a negation, count, aggregate, computation or test that shares one of its
    variables (what those mean depends on what is bound before them).
    """
    front: list[Literal_] = []  # the atoms moved, in their order
    rest: list[Literal_] = []
    for lit in rule.body:
        if (isinstance(lit, Atom) and lit.pred in singletons
                and not any(not isinstance(other, Atom) and _variables(other) & lit.variables()
                            for other in rest)):
            front.append(lit)
        else:
            rest.append(lit)
    body = (*front, *rest)
    return rule if body == rule.body else attrs.evolve(rule, body=body)


def _binds(lit: Literal_) -> set[str]:
    """The variables a body literal binds."""
    if isinstance(lit, Atom):
        return lit.variables()
    if isinstance(lit, Aggregate | Compute):
        return {lit.result.name}
    return set()


def _filters_first(rule: Rule) -> Rule:
    """``rule`` with each test, negation and count moved to where what it reads is bound:
    a binding that fails it is dropped before the loops after that point.

    A test reads all its variables. A negation or count means the same only with the
    same variables bound, so it moves no earlier than where the variables bound at its
    place are bound.
    """
    placed: list[Literal_] = []
    bound_at: list[set[str]] = [set()]  # bound_at[j]: bound before placed[j]
    for lit in rule.body:
        if isinstance(lit, Test | Neg | CountAtLeast):
            need = _variables(lit) & bound_at[-1]
            at = next(j for j, bound in enumerate(bound_at) if need <= bound)
            placed.insert(at, lit)
            bound_at.insert(at + 1, set(bound_at[at]))
        else:
            placed.append(lit)
            bound_at.append(bound_at[-1] | _binds(lit))
    return rule if placed == list(rule.body) else attrs.evolve(rule, body=tuple(placed))


class _Facts(Mapping[str, AbstractSet[Args]]):
    """A run's facts by predicate, read from what its program returned when asked: only
    predicates with facts are keys (each a set of argument tuples).

    Made by the first part of a program compiled in two (:class:`_Compiled`), it has the
    facts of the first part's predicates (the others are at -1) and ``finish``: the
    second part and where its results are. A predicate of the second part, read, runs it
    (once; two threads reading at once may both run it, to the same facts).
    """

    __slots__ = ("_finish", "_view")

    def __init__(self, where: Mapping[str, int], stores: tuple[Any, ...],
                 finish: tuple[ProgramFn, Mapping[str, int]] | None = None) -> None:
        self._view = (where, stores)
        self._finish = finish

    def _complete(self) -> tuple[Mapping[str, int], tuple[Any, ...]]:
        finish = self._finish
        if finish is None:
            return self._view
        function, where = finish
        view = (where, function(self._view[1], None))
        self._view = view
        self._finish = None
        return view

    def _rows(self, pred: str) -> Store | None:
        where, stores = self._view
        number = where.get(pred)
        if number is None:
            return None
        if number < 0:
            where, stores = self._complete()
            number = where[pred]
        rows: Store = stores[number]
        return rows

    def get(self, pred: str, default: Any = None) -> Any:
        rows = self._rows(pred)
        return rows.keys() if rows else default

    def select(self, preds: Iterable[str]) -> list[AbstractSet[Args]]:
        """The facts of each of ``preds`` (an empty set when none), in their order."""
        found: list[AbstractSet[Args]] = []
        for pred in preds:
            rows = self._rows(pred)
            found.append(_NONE if rows is None else rows.keys())
        return found

    def __getitem__(self, pred: str) -> AbstractSet[Args]:
        rows: AbstractSet[Args] | None = self.get(pred)
        if rows is None:
            raise KeyError(pred)
        return rows

    def __iter__(self) -> Iterator[str]:
        where, stores = self._complete()
        return (pred for pred, number in where.items() if stores[number])

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _picker(preds: Sequence[str], where: Mapping[str, int], empty: int
            ) -> Callable[[Derivation], Sequence[Collection[Args]]]:
    """A function that reads the facts of each of ``preds`` from a derivation whose facts
    are at ``where`` (one item getter), and from any other as :meth:`Derivation.of_each`."""
    picked = [where.get(pred, empty) for pred in preds]
    pick = itemgetter(*picked, empty)  # always a tuple, one more at the end
    names = tuple(preds)
    quick = all(n >= 0 for n in picked)

    def select(derivation: Derivation) -> Sequence[Collection[Args]]:
        facts = derivation.facts
        if quick and type(facts) is _Facts and facts._view[0] is where:
            found: tuple[Store, ...] = pick(facts._view[1])
            return found[:-1]
        return derivation.of_each(names)
    return select


class _Focused:
    """A runner whose untraced runs derive some predicates first and the others when they
    are read (see :meth:`NativeRunner.focused`)."""

    def __init__(self, runner: NativeRunner, compiled: _Compiled) -> None:
        self.runner = runner
        self.program = runner.program
        self._compiled = compiled
        assert compiled.first is not None
        self._first = compiled.first
        self._finish = (compiled.function, compiled.stores)

    def run(self, facts: FactSet, *, trace: bool = False) -> Derivation:
        """Derive what follows from the input facts (the same as the runner's :meth:`run`)."""
        if trace:
            return self.runner.run(facts, trace=True)
        return Derivation(_Facts(self._compiled.first_stores, self._first(facts),
                                 self._finish), {})

    def selector(self, preds: Sequence[str]) -> Callable[[Derivation], Sequence[Collection[Args]]]:
        """As :meth:`NativeRunner.selector`, for this runner's derivations."""
        compiled = self._compiled
        return _picker(preds, compiled.first_stores, compiled.first_empty)


class NativeRunner:
    """A program compiled once to Python functions; :meth:`run` decides one set of facts."""

    def __init__(self, program: Program, absent: AbstractSet[str] = frozenset(),
                 traced: _Compiled | None = None) -> None:
        self.program = program
        self.absent = frozenset(absent)
        label = program_label(program)
        static_rows: dict[str, list[Args]] = {}
        for pred, args in program.static:
            static_rows.setdefault(pred, []).append(args)
        static = {pred: tuple(dict.fromkeys(rows)) for pred, rows in static_rows.items()}
        heads = {rule.head.pred for rule in program.rules}
        # Static facts of a predicate rules derive too are loaded into its store per run.
        loaded = {pred: rows for pred, rows in static.items() if pred in heads}
        fixed = {pred: rows for pred, rows in static.items() if pred not in heads}
        everything = dict(enumerate(program.rules))
        if traced is None:
            traced = _compile(program, everything, True, fixed, loaded, label + " traced")
        self._traced = traced
        # What follows from the ruleset alone, derived once (by the traced program).
        constant = _constant_preds(program, static)
        known = self._traced.function({}, [])
        for pred in constant - fixed.keys():
            rows = known[self._traced.stores[pred]]
            fixed[pred] = tuple(rows)
        # The rules that may fire in a run: the possible predicates, to a fixpoint.
        possible = {pred for pred, rows in fixed.items() if rows}
        possible.update(program.inputs - fixed.keys() - self.absent)
        live: dict[int, Rule] = {}
        changed = True
        while changed:
            changed = False
            for i, rule in everything.items():
                if i in live or rule.head.pred in fixed:
                    continue
                simpler = _simplified(rule, possible, fixed)
                if simpler is not None:
                    live[i] = simpler
                    possible.add(rule.head.pred)
                    changed = True
        # Simplified again from the rule as written: more predicates may have facts now.
        live = {i: _filters_first(_hoisted(
                    _simplified(everything[i], possible, fixed) or everything[i],
                    program.singletons))
                for i in sorted(live)}
        self._live, self._fixed, self._loaded = live, fixed, loaded
        self._compiled_plain: _Compiled | None = None

    @property
    def _plain(self) -> _Compiled:
        """The untraced program of the live rules, compiled when first needed (a runner
        made only to be :meth:`focused` never needs it). Two threads asking at once may
        both compile it, to the same program."""
        plain = self._compiled_plain
        if plain is None:
            plain = _compile(self.program, self._live, False, self._fixed, self._loaded,
                             program_label(self.program), absent=self.absent)
            self._compiled_plain = plain
        return plain

    @property
    def source(self) -> str:
        """The generated Python source of the untraced program (for reading and tests)."""
        return self._plain.source

    def without(self, absent: AbstractSet[str]) -> NativeRunner:
        """A runner for input facts that never hold a fact of the ``absent`` predicates:
        the rules that need one are left out, so it runs quicker on such facts. Its
        traced runs (explanations) are this runner's, every rule as written.

        Only for facts without them: given a fact of an absent predicate, it may
        derive less than this runner.
        """
        if not (absent - self.absent) & self.program.inputs:
            return self
        return NativeRunner(self.program, self.absent | absent, self._traced)

    def run(self, facts: FactSet, *, trace: bool = False) -> Derivation:
        """Derive every fact that follows from the input facts.

        The input has at most one fact of each of the program's one-fact predicates
        (:attr:`Program.singletons`); more is an error (ValueError) when untraced.
        Safe to call from several threads at once: a run touches only its own state.
        """
        if not trace:
            plain = self._plain
            return Derivation(_Facts(plain.stores, plain.function(facts, None)), {})
        log: TraceLog = []
        traced = self._traced
        stores = traced.function(facts, log)
        return Derivation(_Facts(traced.stores, stores), smallest_proofs(log),
                          frozenset(r for _, r, _ in log))

    def selector(self, preds: Sequence[str]) -> Callable[[Derivation], Sequence[Collection[Args]]]:
        """A function that reads the facts of each of ``preds`` from a derivation of this
        runner, in their order (empty when none): each a collection of argument tuples."""
        return _picker(preds, self._plain.stores, self._plain.empty)

    def focused(self, preds: Iterable[str]) -> NativeRunner | _Focused:
        """A runner that derives ``preds`` (and what they need) first, and the other
        facts only when a derivation's reader asks for them: the same derivations, quicker
        for a reader that needs only ``preds``. This runner when that is all of them."""
        need = set(preds)
        changed = True
        while changed:
            changed = False
            for rule in self._live.values():
                if rule.head.pred in need:
                    for lit in rule.body:
                        pred = _reads(lit)
                        if pred is not None and pred not in need:
                            need.add(pred)
                            changed = True
        first = {i for i, rule in self._live.items() if rule.head.pred in need}
        if len(first) == len(self._live):
            return self
        return _Focused(self, _compile(self.program, self._live, False, self._fixed,
                                       self._loaded, program_label(self.program) + " focused",
                                       first, self.absent))


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
