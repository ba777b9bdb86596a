"""Benchmark: the peak memory of ``luk diff`` as the corpus grows (10k, 100k, 1M cases).

Writes N generated HBO-ICT submissions (benchmarks/generate.py, default 1,000,000) as
compact JSON Lines into a temporary folder, then runs ``luk diff --format json --jobs 2``
as a subprocess on the first 10,000, 100,000 and N of them, and prints the peak
resident memory per size. The two rulesets are HBO-ICT and a stricter variant of it
(3 items per outcome instead of 2, evidence at most 4 years old instead of 5), so a
large share of the cases change (status or findings): the worst case for what a diff
keeps, since every changed case is listed in the JSON. ``--same`` compares HBO-ICT with
itself instead (nothing changes).

What is measured, per run (Linux; ``/proc`` is read every ``--interval`` seconds):

* **largest process**: ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of this script after the
  run, read in a fresh helper process per run: the kernel's exact peak RSS of the largest
  single process of the tree (``luk diff`` itself or one of its workers, which it waits for);
* **per process**: the peak RSS (``VmHWM``) of ``luk diff`` and of each worker, the last
  value read before it ended (so the last interval may be missed);
* **tree, sampled**: the largest sum over the tree at one sample, of RSS (which counts the
  pages a forked worker still shares with ``luk diff`` twice) and of PSS (which splits
  shared pages between the processes that share them: the tree's real footprint).

The JSON report goes to a file in the temporary folder (its size is printed). Run from
the repository root (the corpus of 1M cases takes about 0.9 GB; check ``df -h /tmp``)::

    .venv/bin/python benchmarks/bench_memory.py [--count 1000000] [--jobs 2] [--same]
        [--corpus FILE] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402 - found next to this script

RULESET = ROOT / "rulesets" / "examples" / "hbo-ict-deeltijd.luk"
TARGET_MB = 500
SIZES = (10_000, 100_000)


def stricter(text: str) -> str:
    """HBO-ICT with 3 items per outcome and evidence at most 4 years old."""
    changed = text.replace("at least 2 items per outcome", "at least 3 items per outcome")
    changed = changed.replace("max evidence age 5 years", "max evidence age 4 years")
    assert changed != text
    return changed


def write_corpus(path: Path, count: int, seed: int) -> None:
    """``count`` generated cases as compact JSON Lines (the same as generate.py's, with
    no spaces), written as they are made: the script's memory stays small too."""
    rng = random.Random(seed)
    started = time.perf_counter()
    with path.open("w", encoding="utf-8") as handle:
        for i in range(1, count + 1):
            case = generate.submission(rng, f"G{seed}-{i:07d}")
            handle.write(json.dumps(case, ensure_ascii=False, separators=(",", ":")) + "\n")
            if i % 100_000 == 0:
                print(f"  ... {i:,} cases written ({time.perf_counter() - started:.0f} s)",
                      flush=True)


def first_lines(source: Path, target: Path, count: int) -> int:
    """Copy the first ``count`` lines of ``source``; how many there were."""
    copied = 0
    with source.open("rb") as reading, target.open("wb") as writing:
        for line in reading:
            if copied == count:
                break
            writing.write(line)
            copied += 1
    return copied


def _children(pid: int) -> Iterator[int]:
    """The pids of the processes under ``pid`` (its children, theirs, ...)."""
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    found = [int(p) for p in handle.read().split()]
            except OSError:
                continue
            yield from found
            stack.extend(found)


def _status_kb(pid: int, *fields: str) -> dict[str, int]:
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key in fields:
                    found[key] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class Sampler(threading.Thread):
    """Reads the memory of a process tree every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.stopped = threading.Event()
        self.hwm_kb: dict[int, int] = {}  # pid -> its VmHWM as last read
        self.tree_rss_kb = 0
        self.tree_pss_kb = 0
        self.most_workers = 0
        self.samples = 0

    def run(self) -> None:
        while not self.stopped.is_set():
            pids = [self.pid, *_children(self.pid)]
            rss = pss = 0
            for pid in pids:
                status = _status_kb(pid, "VmRSS", "VmHWM")
                if not status:
                    continue
                rss += status.get("VmRSS", 0)
                pss += _pss_kb(pid)
                self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), status.get("VmHWM", 0))
            self.tree_rss_kb = max(self.tree_rss_kb, rss)
            self.tree_pss_kb = max(self.tree_pss_kb, pss)
            self.most_workers = max(self.most_workers, len(pids) - 1)
            self.samples += 1
            self.stopped.wait(self.interval)


def _luk() -> list[str]:
    script = Path(sys.executable).with_name("luk")
    return [str(script)] if script.exists() else [sys.executable, "-c",
                                                   "import sys; from luk_rules.cli import main; "
                                                   "sys.argv[0] = 'luk'; sys.exit(main())"]


_HELPER = """
import json, resource, subprocess, sys
args = json.loads(sys.argv[1])
process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
print(process.pid, flush=True)
_, err = process.communicate()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": process.returncode, "maxrss_kb": usage.ru_maxrss,
                  "stderr": err.decode("utf-8", "replace")[-2000:]}))
"""


def measure(before: Path, after: Path, corpus: Path, output: Path, jobs: int,
            interval: float) -> dict[str, object]:
    """Run ``luk diff`` under a helper process (whose RUSAGE_CHILDREN then holds only this
    run) and sample its tree's memory."""
    args = [*_luk(), "diff", str(before), str(after), str(corpus), "--format", "json",
            "--jobs", str(jobs), "--output", str(output)]
    started = time.perf_counter()
    helper = subprocess.Popen([sys.executable, "-c", _HELPER, json.dumps(args)],
                              stdout=subprocess.PIPE, text=True)
    assert helper.stdout is not None
    luk_pid = int(helper.stdout.readline())
    sampler = Sampler(luk_pid, interval)
    sampler.start()
    report = json.loads(helper.stdout.readline())
    helper.wait()
    sampler.stopped.set()
    sampler.join()
    seconds = time.perf_counter() - started
    workers = {pid: kb for pid, kb in sampler.hwm_kb.items() if pid != luk_pid}
    return {"seconds": seconds, "code": report["code"], "stderr": report["stderr"],
            "largest_kb": report["maxrss_kb"], "luk_kb": sampler.hwm_kb.get(luk_pid, 0),
            "workers_kb": sorted(workers.values(), reverse=True),
            "tree_rss_kb": sampler.tree_rss_kb, "tree_pss_kb": sampler.tree_pss_kb,
            "samples": sampler.samples, "most_workers": sampler.most_workers}


def summary_of(output: Path) -> dict[str, object]:
    """The ``summary`` of a (possibly very long) ``luk diff --format json`` file, read from
    its end."""
    with output.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 4_000_000))
        tail = handle.read().decode("utf-8", "replace")
    at = tail.rfind('\n  "summary": ')
    if at < 0:
        return {}
    summary: dict[str, object] = json.loads("{" + tail[at:])["summary"]
    return summary


def mb(kb: object) -> str:
    return f"{int(kb) / 1024:,.0f}" if isinstance(kb, int) and kb else "-"  # type: ignore[call-overload]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000,
                        help="cases of the largest run (1,000,000); 10,000 and 100,000 "
                        "are run first when smaller")
    parser.add_argument("--jobs", type=int, default=2, help="luk diff --jobs (2)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (1)")
    parser.add_argument("--same", action="store_true",
                        help="compare HBO-ICT with itself (nothing changes)")
    parser.add_argument("--corpus", type=Path,
                        help="a JSON Lines file to use (made, and kept, when it does not exist)")
    parser.add_argument("--dir", type=Path, help="folder for the temporary files (default: "
                        "the system's temporary folder)")
    parser.add_argument("--interval", type=float, default=0.1,
                        help="seconds between samples of /proc (0.1)")
    args = parser.parse_args(argv)
    if args.count < 1 or args.jobs < 1:
        parser.error("--count and --jobs must be at least 1")
    if not Path("/proc/self/status").exists():
        parser.error("this benchmark reads /proc: it runs on Linux")
    sizes = [n for n in SIZES if n < args.count] + [args.count]

    print("luk_rules benchmark: peak memory of luk diff as the corpus grows")
    print(f"python   {platform.python_implementation()} {platform.python_version()}")
    print(f"platform {platform.platform()} ({os.cpu_count()} cpus)")
    print(f"load     {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        tmp = Path(folder)
        free = shutil.disk_usage(tmp).free
        print(f"temp     {tmp} ({free / 1e9:.0f} GB free)")
        before = tmp / "hbo-ict-deeltijd.luk"
        after = tmp / ("hbo-ict-deeltijd.luk" if args.same else "hbo-ict-stricter.luk")
        text = RULESET.read_text(encoding="utf-8")
        before.write_text(text, encoding="utf-8")
        if not args.same:
            after.write_text(stricter(text), encoding="utf-8")
        corpus = args.corpus or tmp / "cases.jsonl"
        if not corpus.exists():
            needed = args.count * 1_000
            if needed > free:
                print(f"not enough room for about {needed / 1e9:.1f} GB of cases in "
                      f"{corpus.parent}", file=sys.stderr)
                return 2
            print(f"writing {args.count:,} cases to {corpus} ...", flush=True)
            write_corpus(corpus, args.count, args.seed)
        print(f"corpus   {corpus} ({corpus.stat().st_size / 1e6:,.0f} MB)")
        print(f"diff     {before.name} -> {after.name}, --format json --jobs {args.jobs}")
        print()
        header = (f"{'cases':>10} {'seconds':>8} {'largest MB':>11} {'luk diff MB':>12} "
                  f"{'workers MB':>14} {'tree RSS MB':>12} {'tree PSS MB':>12} "
                  f"{'changed':>9} {'findings':>9} {'JSON MB':>8}")
        print(header)
        rows = []
        for n in sizes:
            part = corpus if n == args.count and args.corpus is None else tmp / f"cases-{n}.jsonl"
            if part != corpus and first_lines(corpus, part, n) < n:
                print(f"{n:>10} skipped: the corpus has fewer cases")
                continue
            output = tmp / "diff.json"
            result = measure(before, after, part, output, args.jobs, args.interval)
            summary = summary_of(output)
            workers = result["workers_kb"]
            assert isinstance(workers, list)
            print(f"{n:>10,} {result['seconds']:>8.1f} {mb(result['largest_kb']):>11} "
                  f"{mb(result['luk_kb']):>12} {'/'.join(mb(w) for w in workers) or '-':>14} "
                  f"{mb(result['tree_rss_kb']):>12} {mb(result['tree_pss_kb']):>12} "
                  f"{summary.get('changed', '?'):>9} {summary.get('findings_changed', '?'):>9} "
                  f"{output.stat().st_size / 1e6 if output.exists() else 0:>8,.0f}",
                  flush=True)
            if result["code"] not in (0, 1):
                print(f"  luk diff exited {result['code']}: {result['stderr']}")
            rows.append((n, result))
            output.unlink(missing_ok=True)
            if part != corpus:
                part.unlink()
    print()
    if rows:
        n, result = rows[-1]
        largest = int(result["largest_kb"]) / 1024  # type: ignore[call-overload]
        tree = int(result["tree_pss_kb"]) / 1024  # type: ignore[call-overload]
        verdict = "met" if max(largest, tree) < TARGET_MB else "MISSED"
        print(f"{n:,} cases: largest process {largest:,.0f} MB, tree (PSS) {tree:,.0f} MB; "
              f"target under {TARGET_MB} MB: {verdict}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"this script's own peak: {usage.ru_maxrss / 1024:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
