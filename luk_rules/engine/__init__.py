"""Engines run a compiled :class:`~luk_rules.compile.Program` on input facts.

Two engines sit behind one small interface: ``native`` (the project's own
forward-chaining evaluator, the default) and ``durable`` (durable_rules, an
optional extra). Both return a :class:`Derivation`.
"""

from __future__ import annotations

from collections.abc import Mapping
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
        return self.facts.get(pred, frozenset())


class Runner(Protocol):
    """A compiled program ready to run: thread-safe, reusable."""

    def run(self, facts: FactSet, *, trace: bool = False) -> Derivation:
        """Derive everything that follows from the input facts."""
        ...


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
