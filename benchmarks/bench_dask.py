"""Benchmark: ``luk diff`` on a Dask cluster against a local run, and whether they agree.

Starts a ``LocalCluster`` (``--workers`` processes, one thread each), then times ``--repeat``
runs of each (the first, when the workers compile the rulesets, and the best):

  (a) the Bouwkunde past cases (rulesets/examples/past-cases, 400 cases) under
      bouwkunde-voltijd.luk and bouwkunde-voltijd-evl.luk, and
  (b) N generated HBO-ICT cases (default 20,000, benchmarks/generate.py) in JSON Lines under
      hbo-ict-deeltijd.luk and a variant (certificates valid 2 years instead of 3),

each decided locally (``compare(..., jobs=N)``), on the cluster with the cases read here
(``compare(..., client=client)``) and, for (b), on the cluster with the workers reading the
file from a ``file://`` URL in blocks (``luk_rules.distributed.compare``). Both rulesets are
checked and compiled inside every timing (on the cluster: the first run compiles them on each
worker, the next ones reuse them). It prints the times and whether every cluster run gives
the same report as the local run. Run from the repository root::

    .venv/bin/python benchmarks/bench_dask.py [--count 20000] [--workers 2] [--repeat 2]

Needs the ``dask`` extra (pip install 'luk-rules[dask]').
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402 - found next to this script

from luk_rules import distributed  # noqa: E402
from luk_rules.impact import Impact, compare  # noqa: E402
from luk_rules.sources import display_path  # noqa: E402

EXAMPLES = ROOT / "rulesets" / "examples"


def timed(repeat: int, run: Callable[[], Impact]) -> tuple[tuple[float, float], Impact]:
    """The wall time of the first of ``repeat`` calls and the best, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    assert result is not None
    return (times[0], min(times)), result


def report(impact: Impact, url: str | None = None, path: Path | None = None) -> Any:
    """The JSON report; for a run over a URL, with the sources named as a local run names
    them."""
    text = json.dumps(impact.to_dict(), ensure_ascii=False)
    if url is not None and path is not None:
        text = text.replace(url, display_path(path))
    return json.loads(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes of the LocalCluster (and --jobs of the local run)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    print("luk_rules benchmark: luk diff on a Dask LocalCluster against a local run")
    print(f"python   {platform.python_implementation()} {platform.python_version()}")
    print(f"platform {platform.platform()} ({os.cpu_count()} cpus)")
    print(f"load     {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
    rows: list[tuple[str, int, tuple[float, float], bool | None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "cases.jsonl"
        with corpus.open("w", encoding="utf-8") as handle:
            for case in generate.generate(args.count, args.seed):
                handle.write(json.dumps(case) + "\n")
        ict = EXAMPLES / "hbo-ict-deeltijd.luk"
        variant = Path(tmp) / "hbo-ict-variant.luk"
        variant.write_text(ict.read_text("utf-8").replace("  max age 3 years", "  max age 2 years"),
                           encoding="utf-8")
        url = "file://" + corpus.resolve().as_posix()
        print(f"cases    {args.count} generated (seed {args.seed}), "
              f"{corpus.stat().st_size / 1e6:.1f} MB of JSON Lines")
        started = time.perf_counter()
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            print(f"cluster  {args.workers} worker processes, 1 thread each, started in "
                  f"{time.perf_counter() - started:.1f} s")
            for name, before, after, cases in (
                    ("Bouwkunde past cases", EXAMPLES / "bouwkunde-voltijd.luk",
                     EXAMPLES / "bouwkunde-voltijd-evl.luk", EXAMPLES / "past-cases"),
                    ("HBO-ICT generated", ict, variant, corpus)):
                seconds, local = timed(args.repeat, lambda b=before, a=after, c=cases: compare(
                    b, a, [c], jobs=args.workers))
                rows.append((f"{name}: local, {args.workers} processes", local.cases, seconds,
                             None))
                seconds, remote = timed(args.repeat, lambda b=before, a=after, c=cases: compare(
                    b, a, [c], client=client))
                rows.append((f"{name}: cluster, read here", remote.cases, seconds,
                             report(remote) == report(local)))
                if cases == corpus:
                    seconds, remote = timed(args.repeat, lambda b=before, a=after: (
                        distributed.compare(b, a, [url], client=client, block_size=1 << 20)))
                    rows.append((f"{name}: cluster, workers read a URL", remote.cases, seconds,
                                 report(remote, url, corpus) == report(local)))
    print()
    print(f"{'run':<50}{'cases':>7}{'first s':>9}{'best s':>8}{'cases/s':>9}  same report")
    for label, cases, (first, fastest), same in rows:
        print(f"{label:<50}{cases:>7}{first:>9.2f}{fastest:>8.2f}{cases / fastest:>9,.0f}  "
              f"{'' if same is None else 'yes' if same else 'NO'}")
    print(f"load     {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")


if __name__ == "__main__":
    main()
