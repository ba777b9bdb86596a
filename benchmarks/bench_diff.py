"""Benchmark: ``luk diff`` of HBO-ICT against itself over a large JSON Lines corpus.

Writes N generated HBO-ICT submissions (default 20,000) as JSON Lines, then times

  (a) a hand-written Python loop that reads the same file line by line, parses each
      line and applies the hand-written check twice (once per "side"), and
  (b) ``luk_rules.impact.compare(ruleset, ruleset, [corpus], jobs=N)``, the
      engine behind ``luk diff`` (both rulesets compiled inside the timing),

and prints the ratio (the target: within 6x). It also checks that the diff reports
0 changed cases. Run from the repository root::

    .venv/bin/python benchmarks/bench_diff.py [--count 20000] [--jobs N] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402 - found next to this script
import hbo_ict_handwritten  # noqa: E402

from luk_rules.impact import Impact, compare  # noqa: E402

RULESET = ROOT / "rulesets" / "examples" / "hbo-ict-deeltijd.luk"


def handwritten_diff(corpus: Path) -> int:
    """Read the corpus and check every case twice; count the cases whose status differs."""
    changed = 0
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            case = json.loads(line)
            before = hbo_ict_handwritten.check(case)
            after = hbo_ict_handwritten.check(case)
            if before["status"] != after["status"]:
                changed += 1
    return changed


def best(repeat: int, run: object) -> tuple[float, object]:
    """The best wall time of ``repeat`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print("luk_rules benchmark: luk diff of HBO-ICT against itself")
    print(f"python   {platform.python_implementation()} {platform.python_version()}")
    print(f"platform {platform.platform()} ({os.cpu_count()} cpus)")
    print(f"load     {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "cases.jsonl"
        with corpus.open("w", encoding="utf-8") as handle:
            for case in generate.generate(args.count, args.seed):
                handle.write(json.dumps(case) + "\n")
        print(f"cases    {args.count} generated (seed {args.seed}), "
              f"{corpus.stat().st_size / 1e6:.1f} MB of JSON Lines")
        hand_time, hand_changed = best(args.repeat, lambda: handwritten_diff(corpus))
        engine_time, impact = best(
            args.repeat, lambda: compare(RULESET, RULESET, [corpus], jobs=args.jobs))
    assert isinstance(impact, Impact)
    print()
    print(f"{'path':<40}{'seconds':>10}{'cases/s':>12}")
    print(f"{'hand-written loop (1 process)':<40}{hand_time:>10.2f}"
          f"{args.count / hand_time:>12,.0f}")
    print(f"{f'luk diff engine ({args.jobs} processes)':<40}{engine_time:>10.2f}"
          f"{args.count / engine_time:>12,.0f}")
    print()
    print(f"changed: hand-written {hand_changed}, luk diff {len(impact.changed)} "
          f"(of {impact.cases} cases, {len(impact.errors)} invalid sides)")
    ratio = engine_time / hand_time
    verdict = "within" if ratio <= 6 else "MISSES"
    print(f"luk diff / hand-written: {ratio:.1f}x  (target within 6x: {verdict} the target)")


if __name__ == "__main__":
    main()
