"""Every durable_rules state is cleaned up safely: deleted once the finaliser fired (deleting a
state in which no action ran segfaults), also when evaluating it failed; a state that cannot
be deleted is left behind without ever reaching the engine's limit of 1,024 live states."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from luk_rules import errors as luk_errors
from luk_rules.compile import Atom, Cite, Neg, Program, Rule, Var
from luk_rules.engine import make_runner

durable_engine = pytest.importorskip(
    "durable.engine", reason="durable-rules is not installed (it does not build on Python 3.13+)")

from luk_rules.engine import durable_backend  # noqa: E402 - after the skip

ROOT = Path(__file__).resolve().parent.parent
X, Y = Var("X"), Var("Y")
CITE = Cite("r", "b", "s")
PROGRAM = Program.build([
    Rule("pair", Atom("pair", (X, Y)), (Atom("e", (X, Y)), Atom("s", (Y,))), CITE),
    Rule("lone", Atom("lone", (X,)), (Atom("e", (X, Y)), Neg(Atom("pair", (X, Y)))), CITE),
], [("s", ("b",)), ("s", ("c",))], ["e"])
FACTS = {"e": [("a", "b"), ("a", "z"), ("c", "c")]}


class Boom(Exception):
    """The failure the tests inject."""


def failing(fail: Callable[[dict[str, Any]], bool], sids: list[str]
            ) -> Callable[[Any, str, dict[str, Any]], None]:
    """An _assert_fact that raises Boom for the facts ``fail`` picks, and records the sids."""
    real = durable_backend._assert_fact

    def assert_fact(host: Any, name: str, fact: dict[str, Any]) -> None:
        sids.append(fact["sid"])
        if fail(fact):
            raise Boom(fact["t"])
        real(host, name, fact)

    return assert_fact


def state_exists(runner: durable_backend.DurableRunner, sid: str) -> bool:
    """Whether durable_rules still holds the state (deleting a deleted one is error 309)."""
    name = durable_backend._registry[runner._compiled.digest].name
    try:
        durable_backend._get_host().get_state(name, sid)
    except Exception as exc:
        assert "309" in str(exc)
        return False
    return True


@pytest.mark.parametrize("first", [True, False], ids=["at the first fact", "later"])
def test_a_failed_assert_still_fires_the_finaliser_and_deletes_the_state(
        monkeypatch: pytest.MonkeyPatch, first: bool) -> None:
    """Asserting an input fact fails (before any fact reached the state, or after some did
    and no action ran yet): the error comes through, the finaliser fires and the state is
    deleted; the runner then decides as before."""
    runner = durable_backend.DurableRunner(PROGRAM)
    expected = make_runner(PROGRAM).run(FACTS, trace=True)
    sids: list[str] = []
    seen: list[str] = []

    def fail(fact: dict[str, Any]) -> bool:
        seen.append(fact["t"])
        return fact["t"] not in ("final",) and (first or len(seen) == 3)

    monkeypatch.setattr(durable_backend, "_assert_fact", failing(fail, sids))
    with pytest.raises(Boom):
        runner.run(FACTS)
    monkeypatch.undo()
    assert not state_exists(runner, sids[0])
    assert not durable_backend._registry[runner._compiled.digest].leaked
    again = runner.run(FACTS, trace=True)
    assert dict(again.facts) == dict(expected.facts)
    assert dict(again.proofs) == dict(expected.proofs)


def test_an_error_in_an_action_comes_through_after_cleanup(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An action that fails (its error is kept, not swallowed by durable_rules) fails the
    run with that error, and the state is deleted."""
    runner = durable_backend.DurableRunner(PROGRAM)
    real = durable_backend._Run.fire
    runs: list[Any] = []

    def fire(self: Any, key: str, closure: Any) -> None:
        runs.append(self)
        if key != "finaliser":
            raise Boom(key)
        real(self, key, closure)

    monkeypatch.setattr(durable_backend._Run, "fire", fire)
    with pytest.raises(Boom):
        runner.run(FACTS)
    monkeypatch.undo()
    assert runs[-1].finalised
    assert not state_exists(runner, runs[-1].sid)


_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from tests import test_durable_states as t
    from luk_rules.engine import durable_backend, make_runner

    class Stop:
        # s(b) and s(c) go in (no action fires on them), the third fact fails; the final
        # fact too unless `final`
        def __init__(self, final):
            self.final, self.facts = final, 0
        def __call__(self, fact):
            if fact["t"] == "final":
                return not self.final
            self.facts += 1
            return self.facts >= 3

    runner = make_runner(t.PROGRAM, "durable")
    real = durable_backend._assert_fact
    names = set()
    for final in (True, False):
        for _ in range(1100):
            durable_backend._assert_fact = t.failing(Stop(final), [])
            try:
                runner.run(t.FACTS)
            except t.Boom:
                pass
            durable_backend._assert_fact = real
            registration = durable_backend._registry.get(runner._compiled.digest)
            if registration is not None:  # none just after one was replaced
                names.add(registration.name)
    native = make_runner(t.PROGRAM).run(t.FACTS, trace=True)
    durable = runner.run(t.FACTS, trace=True)
    assert dict(durable.facts) == dict(native.facts)
    assert dict(durable.proofs) == dict(native.proofs)
    print(len(names))
""")


def test_failures_never_exhaust_the_live_states() -> None:
    """1,100 runs that fail with the finaliser still able to fire, then 1,100 in which it
    cannot (the state, holding facts but no fired action, cannot be deleted safely): no
    crash at the engine's 1,024 live states, and the runner still decides as natively. The
    states left behind make their registered ruleset be replaced (4 times for 1,100).
    In a subprocess: a crash fails the test instead of ending the run."""
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(ROOT)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == [str(1 + 1100 // durable_backend.MAX_LEAKED_STATES)]


@pytest.mark.parametrize("where", ["asserting", "in an action"])
def test_an_engine_error_is_engine_unavailable(monkeypatch: pytest.MonkeyPatch,
                                               where: str) -> None:
    """An error inside durable_rules (one the limits should prevent, say error 303) is
    EngineUnavailable, never a raw durable_rules exception, and the state is deleted."""
    runner = durable_backend.DurableRunner(PROGRAM)
    error = durable_engine.durable_rules_engine.error("Could not assert fact, error code: 303")
    runs: list[Any] = []
    if where == "asserting":
        real = durable_backend._assert_fact

        def assert_fact(host: Any, name: str, fact: dict[str, Any]) -> None:
            runs.append(fact["sid"])
            if fact["t"] != "final":
                raise error
            real(host, name, fact)

        monkeypatch.setattr(durable_backend, "_assert_fact", assert_fact)
    else:
        fire = durable_backend._Run.fire

        def failing_fire(self: Any, key: str, closure: Any) -> None:
            runs.append(self.sid)
            if key != "finaliser":
                raise error
            fire(self, key, closure)

        monkeypatch.setattr(durable_backend._Run, "fire", failing_fire)
    with pytest.raises(luk_errors.EngineUnavailable, match="error code: 303"):
        runner.run(FACTS)
    monkeypatch.undo()
    assert runs and not state_exists(runner, runs[-1])
