"""Benchmark: `luk serve` on localhost, with 1 and with 2 worker processes.

For each worker count: start ``luk serve rulesets --port FREE --workers N --no-access-log``,
wait for ``/healthz``, then let ``--clients`` threads (each with its own keep-alive
connection) post the example submissions (rulesets/examples/*.scenarios.json) to
``/v1/rulesets/{name}/decide`` for ``--seconds`` seconds or ``--requests`` requests in
all, whichever comes first; every answer is checked to be a 200 with the case's id. Prints
the throughput (requests a second) and the p50 and p99 latency. Then SIGTERM.

The clients run on the same machine as the server and share its CPUs. Run from the
repository root::

    .venv/bin/python benchmarks/bench_serve.py [--clients 16] [--seconds 10]
        [--requests 20000] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "rulesets" / "examples"


def cases() -> list[tuple[str, bytes, str]]:
    """(path, body, case id) of every valid example submission (the decide scenarios)."""
    sys.path.insert(0, str(ROOT))
    import luk_rules

    out = []
    for path in sorted(EXAMPLES.glob("*.scenarios.json")):
        if path.name.count(".") > 2:
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        name = "examples/" + document["ruleset"].removesuffix(".luk")
        ruleset = luk_rules.load(EXAMPLES / document["ruleset"])
        for scenario in document["scenarios"]:
            submission = scenario.get("submission")
            if submission is None:
                continue
            try:
                ruleset.decide(submission)
            except luk_rules.SubmissionError:
                continue
            out.append((f"/v1/rulesets/{name}/decide", json.dumps(submission).encode(),
                        submission["id"]))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "luk_rules.cli", "serve", str(ROOT / "rulesets"), "--port",
         str(port), "--workers", str(workers), "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                # with several workers, give each time to load its rulesets
                time.sleep(1.0 if workers > 1 else 0)
                return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not come up")


def run(port: int, work: list[tuple[str, bytes, str]], clients: int, seconds: float,
        requests: int) -> dict[str, Any]:
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    counter = [0]
    stop_at = time.monotonic() + seconds

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        # http.client sends the headers and the body in two writes: without TCP_NODELAY,
        # Nagle's algorithm and the server's delayed ACK add ~40 ms to a request.
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mine: list[float] = []
        i = offset
        while time.monotonic() < stop_at:
            with lock:
                if counter[0] >= requests:
                    break
                counter[0] += 1
            path, body, case = work[i % len(work)]
            i += 1
            began = time.perf_counter()
            conn.request("POST", path, body, {"Content-Type": "application/json"})
            answer = conn.getresponse()
            data = answer.read()
            mine.append(time.perf_counter() - began)
            if answer.status != 200 or json.loads(data)["case"] != case:
                with lock:
                    failures[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(k * 7,)) for k in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {"requests": len(ordered), "failures": failures[0], "seconds": elapsed,
            "throughput": len(ordered) / elapsed,
            "p50": statistics.median(ordered) * 1000,
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    work = cases()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"{len(work)} example submissions, {args.clients} clients, at most "
          f"{args.seconds:g} s or {args.requests} requests")
    print(f"{'workers':>7}  {'requests':>8}  {'failures':>8}  {'req/s':>7}  {'p50 ms':>7}  "
          f"{'p99 ms':>7}")
    for workers in args.workers:
        server, port = start(workers)
        try:
            run(port, work, args.clients, 1.0, 200)  # warm up
            figures = run(port, work, args.clients, args.seconds, args.requests)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        print(f"{workers:>7}  {figures['requests']:>8}  {figures['failures']:>8}  "
              f"{figures['throughput']:>7.0f}  {figures['p50']:>7.1f}  {figures['p99']:>7.1f}")


if __name__ == "__main__":
    main()
