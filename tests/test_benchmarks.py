"""The benchmark scripts run (their figures are not checked here: speed is shown by
running them, never by timed tests), and they check the engine's answers first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_decide_runs_and_checks_agreement_before_timing() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_decide.py"), "--count", "60",
         "--durable-count", "0", "--repeat", "1", "--parts"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "native agrees with the hand-written check on 60/60 cases" in out
    assert "native verdict agrees with the hand-written check on 60/60 cases" in out
    assert "decide / hand-written:" in out and "verdict / hand-written:" in out
    for part in ("reading and checking (fast reader)", "rules for decide (first part)",
                 "building the decision", "rules for verdict", "verdict, end to end"):
        assert part in out
    assert "by number of evidence items" in out


def test_bench_decide_refuses_a_wrong_count() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_decide.py"), "--count", "0"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 2
    assert "--count and --repeat must be at least 1" in done.stderr
