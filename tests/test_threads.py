"""One Ruleset shared by eight threads decides exactly as it does sequentially (README.md: `decide`
is thread-safe; no global state between rulesets)."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path
from typing import Any

import pytest

import luk_rules

try:  # tests/ is a package when run with `python -m pytest`, a folder on sys.path otherwise
    from tests import submission_strategies as gen
except ImportError:  # pragma: no cover - depends on how pytest was started
    import submission_strategies as gen  # type: ignore[import-not-found, no-redef]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "rulesets" / "examples"
THREADS = 8


def _judged(rs: luk_rules.Ruleset, case: dict[str, Any], explain: bool) -> str:
    """The JSON of the case's decision, or of its audit when the case is a study record."""
    judge = rs.audit if "results" in case and "units" not in case else rs.decide
    return json.dumps(judge(case, explain=explain).to_dict(), sort_keys=True)


def _decide_in_threads(
    rs: luk_rules.Ruleset, cases: list[dict[str, Any]], explain: bool
) -> list[list[str]]:
    """Every thread decides (or audits) every case (each in its own shuffled order, all
    starting at once); returns, per thread, the JSON of the outcomes in the order of
    ``cases``."""
    barrier = threading.Barrier(THREADS)
    results: list[list[str]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        order = list(range(len(cases)))
        random.Random(n).shuffle(order)
        out: dict[int, str] = {}
        try:
            barrier.wait(timeout=60)
            for i in order:
                out[i] = _judged(rs, cases[i], explain)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        results[n] = [out.get(i, "") for i in range(len(cases))]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors
    return results


def _sequential(rs: luk_rules.Ruleset, cases: list[dict[str, Any]], explain: bool) -> list[str]:
    return [_judged(rs, c, explain) for c in cases]


@pytest.mark.parametrize(
    ("name", "count", "explains"),
    [
        ("hbo-ict-deeltijd", 200, (False, True)),
        ("bouwkunde-voltijd-evl", 100, (True,)),  # replaces bouwkunde-voltijd before 2025-09-01
    ],
)
def test_native_threads_decide_as_sequential_calls(
    name: str, count: int, explains: tuple[bool, ...]
) -> None:
    """Eight threads sharing one native Ruleset give exactly the sequential decisions on
    generated submissions, with and without explanation."""
    rs = luk_rules.load(EXAMPLES / f"{name}.luk")
    cases = gen.random_submissions(rs.ir, count, seed=7)
    for explain in explains:
        expected = _sequential(rs, cases, explain)
        assert len(set(expected)) > count // 4, "the corpus should hold many decisions"
        for n, got in enumerate(_decide_in_threads(rs, cases, explain)):
            assert got == expected, f"thread {n} (explain={explain}) decided differently"


def test_native_threads_audit_as_sequential_calls() -> None:
    """Eight threads sharing one native Ruleset give exactly the sequential audits (with
    their explanations) of generated records, interleaved with decisions."""
    rs = luk_rules.load(EXAMPLES / "hbo-ict-deeltijd.luk")
    cases = [*gen.random_records(rs.ir, 100, seed=7), *gen.random_submissions(rs.ir, 50, seed=7)]
    expected = _sequential(rs, cases, True)
    assert len(set(expected[:100])) > 50, "the corpus should hold many audits"
    for n, got in enumerate(_decide_in_threads(rs, cases, True)):
        assert got == expected, f"thread {n} audited differently"


def test_two_rulesets_in_threads_do_not_share_state() -> None:
    """Threads deciding on two different rulesets at once get each ruleset's own decisions."""
    first = luk_rules.load(EXAMPLES / "bouwkunde-voltijd.luk")
    second = luk_rules.load(EXAMPLES / "bouwkunde-deeltijd.luk")
    cases = gen.random_submissions(first.ir, 60, seed=11)
    # the same cases, as deeltijd submissions for the other ruleset
    deeltijd = [{**c, "form": "deeltijd", "assessment": "BK-PORTFOLIO"} for c in cases]
    expected = (_sequential(first, cases, False), _sequential(second, deeltijd, False))
    got: dict[str, list[list[str]]] = {}

    def run(key: str, rs: luk_rules.Ruleset, batch: list[dict[str, Any]]) -> None:
        got[key] = _decide_in_threads(rs, batch, False)

    a = threading.Thread(target=run, args=("voltijd", first, cases))
    b = threading.Thread(target=run, args=("deeltijd", second, deeltijd))
    a.start()
    b.start()
    a.join(timeout=300)
    b.join(timeout=300)
    assert all(r == expected[0] for r in got["voltijd"])
    assert all(r == expected[1] for r in got["deeltijd"])


def test_durable_threads_decide_as_sequential_calls() -> None:
    """Eight threads sharing one durable Ruleset give exactly the sequential decisions."""
    pytest.importorskip(
        "durable.engine",
        reason="durable-rules is not installed (it does not build on Python 3.13+)",
    )
    rs = luk_rules.load(EXAMPLES / "bouwkunde-deeltijd.luk", engine="durable")
    cases = gen.random_submissions(rs.ir, 20, seed=7)
    for explain in (True,):
        expected = _sequential(rs, cases, explain)
        for n, got in enumerate(_decide_in_threads(rs, cases, explain)):
            assert got == expected, f"thread {n} (explain={explain}) decided differently"
