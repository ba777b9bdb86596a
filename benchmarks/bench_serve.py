"""Benchmark: `luk serve` on localhost, with 1 and with 2 worker processes.

For each worker count: start ``luk serve rulesets --port FREE --workers N --no-access-log``,
wait for ``/healthz``, then let ``--clients`` threads (each with its own keep-alive
connection) post the example submissions (rulesets/examples/*.scenarios.json) to
``/v1/rulesets/{name}/decide`` for ``--seconds`` seconds or ``--requests`` requests in
all, whichever comes first; every answer is checked to be a 200 with the case's id. Prints
the throughput (requests a second) and the p50 and p99 latency. Then SIGTERM.

With one worker it also sends ``--batch`` generated HBO-ICT submissions (benchmarks/
generate.py) as one streamed ``decide-batch`` request, written by one thread while another
reads the answers: it prints the decisions a second, when the first answer came back (while
the request was still being sent) and the same cases decided in this process by the library
(``decide(...).to_dict()`` and ``json.dumps``), for comparison.

The clients run on the same machine as the server and share its CPUs. Run from the
repository root::

    .venv/bin/python benchmarks/bench_serve.py [--clients 16] [--seconds 10]
        [--requests 20000] [--workers 1 2] [--batch 20000]
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


def batch(port: int, lines: list[bytes]) -> dict[str, Any]:
    """Stream ``lines`` to ``decide-batch`` (chunked, 64 lines a chunk) from one thread and
    read the answers in this one: how long it all took, when the first answer arrived and
    when the last line was sent, in seconds from the start."""
    path = "/v1/rulesets/examples/hbo-ict-deeltijd/decide-batch"
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sent = [0.0]
    began = time.perf_counter()

    def write() -> None:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/x-ndjson\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        for at in range(0, len(lines), 64):
            chunk = b"".join(line + b"\n" for line in lines[at:at + 64])
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        sock.sendall(b"0\r\n\r\n")
        sent[0] = time.perf_counter() - began

    writer = threading.Thread(target=write)
    writer.start()
    answer = http.client.HTTPResponse(sock, method="POST")
    answer.begin()
    first, count, errors = None, 0, 0
    while True:
        line = answer.readline()
        if not line:
            break
        if first is None:
            first = time.perf_counter() - began
        count += 1
        errors += "errors" in json.loads(line) or "error" in json.loads(line)
    elapsed = time.perf_counter() - began
    writer.join()
    sock.close()
    return {"answers": count, "errors": errors, "seconds": elapsed, "first": first or 0.0,
            "sent": sent[0], "status": answer.status}


def library_time(lines: list[bytes]) -> float:
    """Seconds to decide ``lines`` in this process as the service does (read the JSON,
    decide, write the JSON)."""
    import luk_rules

    ruleset = luk_rules.load(EXAMPLES / "hbo-ict-deeltijd.luk")
    began = time.perf_counter()
    for line in lines:
        json.dumps(ruleset.decide(json.loads(line)).to_dict(), ensure_ascii=False)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, default=20000,
                        help="submissions in the streamed batch (0: no batch)")
    args = parser.parse_args()
    work = cases()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"{len(work)} example submissions, {args.clients} clients, at most "
          f"{args.seconds:g} s or {args.requests} requests")
    print(f"{'workers':>7}  {'requests':>8}  {'failures':>8}  {'req/s':>7}  {'p50 ms':>7}  "
          f"{'p99 ms':>7}")
    lines: list[bytes] = []
    if args.batch > 0:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import generate

        lines = [json.dumps(case).encode() for case in generate.generate(args.batch, 1)]
    batches: list[dict[str, Any]] = []
    for workers in args.workers:
        server, port = start(workers)
        try:
            run(port, work, args.clients, 1.0, 200)  # warm up
            figures = run(port, work, args.clients, args.seconds, args.requests)
            streamed = batch(port, lines) if workers == 1 and lines else None
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        print(f"{workers:>7}  {figures['requests']:>8}  {figures['failures']:>8}  "
              f"{figures['throughput']:>7.0f}  {figures['p50']:>7.1f}  {figures['p99']:>7.1f}")
        if streamed is not None:
            batches.append(streamed)
    for streamed in batches:
        alone = library_time(lines)
        print(f"\ndecide-batch, 1 worker: {streamed['answers']} answers ({streamed['errors']} "
              f"errors, HTTP {streamed['status']}) in {streamed['seconds']:.2f} s = "
              f"{streamed['answers'] / streamed['seconds']:.0f} decisions/s; first answer after "
              f"{streamed['first'] * 1000:.0f} ms, last line sent after "
              f"{streamed['sent']:.2f} s")
        print(f"the library in this process: {len(lines) / alone:.0f} decisions/s "
              f"(the service reaches {alone / streamed['seconds']:.0%} of it)")


if __name__ == "__main__":
    main()
