"""Engines run a compiled :class:`~luk_rules.compile.Program` on input facts.

Two engines sit behind one small interface: ``native`` (the project's own
forward-chaining evaluator, the default) and ``durable`` (durable_rules, an
optional extra). Both return a :class:`Derivation`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Protocol

import attrs

from luk_rules.compile import Fact, FactSet, Program, Value
from luk_rules.errors import EngineUnavailable

ENGINES = ("native", "durable")


@attrs.frozen
class Derivation:
    """What a run derived: every fact by predicate, and (when traced) how.

    ``proofs`` maps a derived fact to the index of the rule that derived it and
    the positive facts its body matched (the smallest such derivation, so that
    every engine gives the same proof); ``fired`` holds the indexes of every rule
    that fired. Both are filled only when the run was traced.
    """

    facts: Mapping[str, AbstractSet[tuple[Value, ...]]]
    proofs: Mapping[Fact, tuple[int, tuple[Fact, ...]]]
    fired: frozenset[int] = frozenset()

    def of(self, pred: str) -> AbstractSet[tuple[Value, ...]]:
        """The facts of one predicate (empty when none)."""
        return self.facts.get(pred, _NONE)

    def of_each(self, preds: Sequence[str]) -> list[AbstractSet[tuple[Value, ...]]]:
        """The facts of each of ``preds`` (empty when none), in their order: as
        :meth:`of`, in one call."""
        select = getattr(self.facts, "select", None)
        if select is not None:
            found: list[AbstractSet[tuple[Value, ...]]] = select(preds)
            return found
        get = self.facts.get
        return [get(pred, _NONE) for pred in preds]


_NONE: AbstractSet[tuple[Value, ...]] = frozenset()


class Runner(Protocol):
    """A compiled program ready to run: thread-safe, reusable."""

    def run(self, facts: FactSet, *, trace: bool = False) -> Derivation:
        """Derive everything that follows from the input facts."""
        ...


Selector = Callable[[Derivation], Sequence[Collection[tuple[Value, ...]]]]
"""Reads the facts of some predicates from a derivation, in their order."""


def selector(runner: Runner | None, preds: Sequence[str]) -> Selector:
    """A function that reads the facts of each of ``preds`` from a derivation of
    ``runner`` (the same as :meth:`Derivation.of_each`): the runner's own, quicker one
    when it has one."""
    make = getattr(runner, "selector", None)
    if make is not None:
        made: Selector = make(preds)
        return made
    names = tuple(preds)
    return lambda derivation: derivation.of_each(names)


def focused(runner: Runner, preds: Iterable[str]) -> Runner:
    """A runner that derives the same facts as ``runner``, quicker for a reader that needs
    only ``preds``: what they need first, the other facts when they are read (the native
    runner's :meth:`~luk_rules.engine.native.NativeRunner.focused`); else ``runner``."""
    return _narrowed(runner, "focused", preds)


def without(runner: Runner, absent: AbstractSet[str]) -> Runner:
    """A runner for input facts that never hold a fact of the ``absent`` predicates,
    quicker on them where the engine can leave out the rules that need one (the native
    runner's :meth:`~luk_rules.engine.native.NativeRunner.without`); else ``runner``."""
    return _narrowed(runner, "without", absent)


def _narrowed(runner: Runner, how: str, preds: Iterable[str]) -> Runner:
    """``runner.how(preds)`` where the runner has that method, else ``runner`` itself."""
    make = getattr(runner, how, None)
    if make is None:
        return runner
    made: Runner = make(preds)
    return made


def limits(program: Program, engine: str) -> list[tuple[str, str]]:
    """What ``engine`` cannot run in ``program``, as (rule name, message); empty for native.

    Works without the engine installed, so that ``luk check --engine`` can tell.

    Raises:
        EngineUnavailable: for an unknown engine.
    """
    if engine == "native":
        return []
    if engine == "durable":
        from luk_rules.engine.durable_backend import durable_limits

        return durable_limits(program)
    raise EngineUnavailable(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def make_runner(program: Program, engine: str = "native") -> Runner:
    """Prepare ``program`` for the named engine (``native`` or ``durable``).

    Raises:
        EngineUnavailable: for an unknown engine, or durable_rules missing or too
            limited for this program.
    """
    if engine == "native":
        from luk_rules.engine.native import NativeRunner

        return NativeRunner(program)
    if engine == "durable":
        from luk_rules.engine.durable_backend import DurableRunner

        return DurableRunner(program)
    raise EngineUnavailable(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
