"""Benchmark: deciding HBO-ICT deeltijd submissions, engine against a hand-written check.

In one process: generate submissions (benchmarks/generate.py), then time

  (a) the hand-written plain-Python check (benchmarks/hbo_ict_handwritten.py) on every case,
  (b) ``luk_rules.load(...).decide(case)`` with the native engine (loaded once, untimed),
  (c) ``verdict(case)``, the decision in brief, with the native engine,
  (d) ``decide`` with the durable_rules engine, on a subset (it is much slower).

Each timing is repeated and the best run is kept. Before timing, every decision and
every verdict is compared with the hand-written check (and durable with native), so the
numbers are for the same answers. Run from the repository root::

    .venv/bin/python benchmarks/bench_decide.py [--count 3000] [--durable-count 300]
        [--repeat 3] [--seed 1] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402 - found next to this script
import hbo_ict_handwritten  # noqa: E402

import luk_rules  # noqa: E402
from luk_rules.decide import Verdict  # noqa: E402

RULESET = ROOT / "rulesets" / "examples" / "hbo-ict-deeltijd.luk"
TARGET_RATIO = 8.0
AIM_RATIO = 3.0
VERDICT_AIM_RATIO = 2.0


Cases = Sequence[dict[str, Any]]
Path_ = tuple[Callable[[Cases], object], Cases]  # a timed path: a function and its cases


def best_of(repeat: int, runs: dict[str, Path_]) -> dict[str, float]:
    """The fastest of ``repeat`` runs of each ``fn(cases)``, in seconds.

    The paths take turns within each round, so a change in the machine's load
    during the benchmark affects them alike.
    """
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, (fn, cases) in runs.items():
            gc.collect()
            start = time.perf_counter()
            fn(cases)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def run_handwritten(cases: Sequence[dict[str, Any]]) -> None:
    check = hbo_ict_handwritten.check
    for case in cases:
        check(case)


def run_engine(ruleset: luk_rules.Ruleset) -> Callable[[Sequence[dict[str, Any]]], None]:
    def run(cases: Sequence[dict[str, Any]]) -> None:
        decide = ruleset.decide
        for case in cases:
            decide(case)
    return run


def run_verdict(ruleset: luk_rules.Ruleset) -> Callable[[Sequence[dict[str, Any]]], None]:
    def run(cases: Sequence[dict[str, Any]]) -> None:
        verdict = ruleset.verdict
        for case in cases:
            verdict(case)
    return run


def run_engine_reading(ruleset: luk_rules.Ruleset
                       ) -> Callable[[Sequence[dict[str, Any]]], None]:
    """Decide and read every finding's message (findings are rendered when first read)."""
    def run(cases: Sequence[dict[str, Any]]) -> None:
        decide = ruleset.decide
        for case in cases:
            for finding in decide(case).findings:
                finding.message  # noqa: B018 - reading it is the point
    return run


def comparable(decision: dict[str, Any]) -> dict[str, Any]:
    """What the hand-written check computes, taken from an engine decision."""
    return {
        "status": decision["status"],
        "combination": decision["combination"],
        "law": decision["law"],
        "missing": sorted(m["outcome"] for m in decision["missing"]),
        "findings": sorted(f["code"] for f in decision["findings"]),
    }


def comparable_verdict(verdict: Verdict) -> dict[str, Any]:
    """What the hand-written check computes, taken from an engine verdict."""
    return {
        "status": verdict.status,
        "combination": verdict.combination,
        "law": verdict.law,
        "missing": sorted(verdict.missing),
        "findings": sorted(code for code, _ in verdict.findings),
    }


def disagreements(ruleset: luk_rules.Ruleset, cases: Sequence[dict[str, Any]],
                  expected: Callable[[dict[str, Any]], dict[str, Any]]) -> list[str]:
    """Ids of the cases where ``ruleset`` decides differently from ``expected``."""
    return [case["id"] for case in cases
            if comparable(ruleset.decide(case).to_dict()) != expected(case)]


def verdict_disagreements(ruleset: luk_rules.Ruleset, cases: Sequence[dict[str, Any]],
                          expected: Callable[[dict[str, Any]], dict[str, Any]]) -> list[str]:
    """Ids of the cases where ``ruleset``'s verdict differs from ``expected``."""
    return [case["id"] for case in cases
            if comparable_verdict(ruleset.verdict(case)) != expected(case)]


def load_durable() -> tuple[luk_rules.Ruleset | None, str]:
    """The ruleset on the durable engine, or None and why it is not available."""
    try:
        return luk_rules.load(RULESET, engine="durable"), ""
    except luk_rules.EngineUnavailable as exc:
        return None, str(exc)
    except ImportError as exc:  # pragma: no cover - EngineUnavailable should cover it
        return None, f"durable_rules cannot be imported: {exc}"


def machine() -> list[str]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    cpus = os.cpu_count() or 1
    lines = [
        f"python   {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable})",
        f"platform {platform.platform()} {platform.machine()}",
        f"cpus     {cpus}" + (f" ({platform.processor()})" if platform.processor() else ""),
    ]
    if load is not None:
        shared = "  -- the machine is shared/busy" if load[0] > 0.5 * cpus else ""
        lines.append(f"load     {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min){shared}")
    return lines


def profile(ruleset: luk_rules.Ruleset, cases: Sequence[dict[str, Any]],
            verdict: bool = False) -> None:
    what = "verdict" if verdict else "decide"
    print(f"\ncProfile of the native path ({what}) over {len(cases)} cases "
          "(top 20 by own time, then by cumulative time):")
    run = run_verdict(ruleset) if verdict else run_engine(ruleset)
    profiler = cProfile.Profile()
    profiler.enable()
    run(cases)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(20)


def _per_case(repeat: int, fn: Callable[[Any], object], items: Sequence[Any]) -> float:
    """The best of ``repeat`` runs of ``fn`` over ``items``, in µs per item."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best / max(len(items), 1) * 1e6


def _slope(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The least-squares line through ``points``: (value at 0, increase per 1)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points) or 1.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return mean_y - slope * mean_x, slope


def parts(ruleset: luk_rules.Ruleset, cases: Sequence[dict[str, Any]], repeat: int) -> None:
    """Where a decision's time goes: each part timed alone, then by number of items.

    Reads the ruleset's internals (its fast reader, runners and builders): this is a
    measurement of them, not a use of the API.
    """
    reader, builder = ruleset._reader, ruleset._read_builder
    found = [ruleset._read(case) for case in cases]
    reads = [pair[1] for pair in found if pair is not None and pair[0] is ruleset]
    if len(reads) < len(cases):
        print("\nparts: skipped (some cases are not read by the fast reader of this ruleset)")
        return
    decider, verdicter = builder.decider, builder.verdicter
    assert decider is not None and verdicter is not None
    facts = [read.facts for read in reads]
    decided = [decider.run(f) for f in facts]
    briefed = [verdicter.run(f) for f in facts]
    hand = _per_case(repeat, hbo_ict_handwritten.check, cases)
    rows = [
        ("hand-written check", hand),
        ("reading and checking (fast reader)", _per_case(repeat, reader, cases)),
        ("rules for decide (first part)", _per_case(repeat, decider.run, facts)),
        ("building the decision", _per_case(
            repeat, lambda pair: builder.build(pair[0].case, pair[0].units, pair[1], False),
            list(zip(reads, decided, strict=True)))),
        ("decide, end to end", _per_case(repeat, ruleset.decide, cases)),
        ("rules for verdict", _per_case(repeat, verdicter.run, facts)),
        ("building the verdict", _per_case(repeat, builder.verdict, briefed)),
        ("verdict, end to end", _per_case(repeat, ruleset.verdict, cases)),
    ]
    print(f"\nparts: each timed alone over the same {len(cases)} cases, best of {repeat} "
          "(µs per case)")
    for name, micros in rows:
        print(f"  {name:<38} {micros:7.1f}  ({micros / hand:.2f}x the hand-written check)")
    alone = dict(rows)
    for what, names in (("decide", ("reading and checking (fast reader)",
                                    "rules for decide (first part)", "building the decision")),
                        ("verdict", ("reading and checking (fast reader)", "rules for verdict",
                                     "building the verdict"))):
        total = sum(alone[name] for name in names)
        print(f"  {what}: parts alone add up to {total:.1f}; end to end "
              f"{alone[f'{what}, end to end']:.1f} (the rest: calls between the parts, and "
              "running them in turn rather than each in its own loop)")
    groups: dict[int, list[dict[str, Any]]] = {}
    for case in cases:
        groups.setdefault(len(case["evidence"]), []).append(case)
    print(f"\nby number of evidence items (µs per case, best of {repeat}):")
    print(f"  {'items':>5} {'cases':>6} {'hand':>7} {'reading':>8} {'decide':>7} {'verdict':>8}")
    series: dict[str, list[tuple[float, float]]] = {
        "hand": [], "reading": [], "decide": [], "verdict": []}
    for count in sorted(groups):
        group = groups[count]
        if len(group) < 20:
            continue
        timed = {"hand": _per_case(repeat, hbo_ict_handwritten.check, group),
                 "reading": _per_case(repeat, reader, group),
                 "decide": _per_case(repeat, ruleset.decide, group),
                 "verdict": _per_case(repeat, ruleset.verdict, group)}
        for name, micros in timed.items():
            series[name].append((count, micros))
        print(f"  {count:>5} {len(group):>6} {timed['hand']:>7.1f} {timed['reading']:>8.1f} "
              f"{timed['decide']:>7.1f} {timed['verdict']:>8.1f}")
    if len(series["hand"]) >= 2:
        print("  least-squares fit, µs for an empty submission + µs per item:")
        fits = {name: _slope(points) for name, points in series.items()}
        for name, (fixed, per_item) in fits.items():
            print(f"    {name:<8} {fixed:6.1f} + {per_item:4.2f} per item"
                  + ("" if name == "hand" else
                     f"  ({per_item / fits['hand'][1]:.1f}x the hand-written check per item)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000,
                        help="submissions for the hand-written check and native (3000)")
    parser.add_argument("--durable-count", type=int, default=300,
                        help="submissions for the durable engine, 0 to skip (300)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing, best kept (3)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (1)")
    parser.add_argument("--profile", action="store_true",
                        help="also run cProfile on the native path (decide, then verdict) "
                        "and print the top 20 of each")
    parser.add_argument("--parts", action="store_true",
                        help="also time the parts of a decision alone (reading, rules, "
                        "building) and by number of evidence items, with a per-item fit")
    args = parser.parse_args(argv)
    if args.count < 1 or args.repeat < 1 or args.durable_count < 0:
        parser.error("--count and --repeat must be at least 1, --durable-count at least 0")

    print("luk_rules benchmark: HBO-ICT deeltijd decisions")
    for line in machine():
        print(line)
    cases = generate.generate(args.count, args.seed)
    subset = cases[:args.durable_count]
    print(f"cases    {len(cases)} generated (seed {args.seed}), durable on the first "
          f"{len(subset)}; best of {args.repeat} runs")

    native = luk_rules.load(RULESET)
    durable, why_not = load_durable() if subset else (None, "--durable-count 0")

    wrong = disagreements(native, cases, hbo_ict_handwritten.check)
    print(f"check    native agrees with the hand-written check on "
          f"{len(cases) - len(wrong)}/{len(cases)} cases"
          + (f"; differs on {', '.join(wrong[:10])}" if wrong else ""))
    wrong_v = verdict_disagreements(native, cases, hbo_ict_handwritten.check)
    print(f"check    native verdict agrees with the hand-written check on "
          f"{len(cases) - len(wrong_v)}/{len(cases)} cases"
          + (f"; differs on {', '.join(wrong_v[:10])}" if wrong_v else ""))
    if durable is not None:
        wrong_d = disagreements(durable, subset,
                                lambda c: comparable(native.decide(c).to_dict()))
        print(f"check    durable agrees with native on {len(subset) - len(wrong_d)}/"
              f"{len(subset)} cases" + (f"; differs on {', '.join(wrong_d[:10])}"
                                        if wrong_d else ""))

    runs: dict[str, Path_] = {
        "hand-written check": (run_handwritten, cases),
        "native engine": (run_engine(native), cases),
        "native engine, verdict": (run_verdict(native), cases),
        "native engine, findings read": (run_engine_reading(native), cases),
    }
    if durable is not None:
        runs["native engine (durable's subset)"] = (run_engine(native), subset)
        runs["durable engine"] = (run_engine(durable), subset)
    best = best_of(args.repeat, runs)
    rows = [(name, len(runs[name][1]), seconds) for name, seconds in best.items()]
    hand, nat = best["hand-written check"], best["native engine"]
    nat_verdict = best["native engine, verdict"]
    nat_subset = best.get("native engine (durable's subset)")
    dur = best.get("durable engine")

    print()
    print(f"{'path':<34} {'cases':>6} {'total s':>9} {'µs/decision':>12}")
    for name, n, seconds in rows:
        print(f"{name:<34} {n:>6} {seconds:>9.3f} {seconds / n * 1e6:>12.1f}")
    print()
    ratio = (nat / len(cases)) / (hand / len(cases))
    verdict = ("meets the aim" if ratio <= AIM_RATIO else "within the target"
               if ratio <= TARGET_RATIO else "MISSES the target")
    print(f"decide / hand-written: {ratio:.1f}x  (target within {TARGET_RATIO:g}x, "
          f"aim {AIM_RATIO:g}x: {verdict})")
    ratio_v = nat_verdict / hand
    meets = "meets the aim" if ratio_v <= VERDICT_AIM_RATIO else "misses the aim"
    print(f"verdict / hand-written: {ratio_v:.1f}x  (aim {VERDICT_AIM_RATIO:g}x: {meets})")
    ratio_r = best["native engine, findings read"] / hand
    print(f"findings read / hand-written: {ratio_r:.1f}x")
    if dur is not None and nat_subset is not None:
        factor = (dur / len(subset)) / (nat_subset / len(subset))
        print(f"durable / native:      {factor:.1f}x  (native is {factor:.1f} times faster "
              "than durable, same cases)")
    else:
        print(f"durable / native:      skipped ({why_not})")
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()
        print(f"load average after:    {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    if args.parts:
        parts(native, cases, max(args.repeat, 5))
    if args.profile:
        profile(native, cases)
        profile(native, cases, verdict=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
