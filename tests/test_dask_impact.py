"""luk diff on a Dask cluster (``compare(..., client=...)``, ``luk diff --scheduler``) gives the
same Impact as a local run: on the Bouwkunde past cases with records and broken cases mixed in,
on 20,000 generated HBO-ICT cases read by the workers from a URL in blocks, and through the
command line. Each worker compiles the rulesets once, from the sources sent to it.

The cluster is a ``LocalCluster`` of two worker processes with one thread each. The tests that
need Dask are skipped when it is not installed (it is in the ``test`` extra, so CI runs them);
the ones that check what ``--scheduler`` says without Dask and what the bundle of sources holds
run either way.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from luk_rules import distributed
from luk_rules.errors import LukError, RulesetError
from luk_rules.impact import Impact, compare
from luk_rules.sources import display_path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "rulesets" / "examples"
VOLTIJD = EXAMPLES / "bouwkunde-voltijd.luk"
WHAT_IF = EXAMPLES / "bouwkunde-voltijd-evl.luk"
ICT = EXAMPLES / "hbo-ict-deeltijd.luk"
PAST = EXAMPLES / "past-cases"
GENERATED = 20_000

HAVE_DASK = all(importlib.util.find_spec(name) is not None
                for name in ("dask", "distributed", "fsspec"))
needs_dask = pytest.mark.skipif(not HAVE_DASK, reason="Dask is not installed (the dask extra)")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A client of a local cluster: two worker processes, one thread each."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as connected:
        yield connected


def luk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line as a subprocess (it must not hang: a timeout fails the test)."""
    return subprocess.run([sys.executable, "-m", "luk_rules.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def records() -> list[dict[str, Any]]:
    """The study records of the Bouwkunde audit scenarios (audited in a diff)."""
    found = []
    for path in sorted(EXAMPLES.glob("bouwkunde-voltijd*.audit.scenarios.json")):
        found.extend(s["record"] for s in json.loads(path.read_text("utf-8"))["scenarios"])
    assert found
    return found


def odd_corpus(folder: Path) -> Path:
    """A folder of cases that a comparison must survive: records, a list of submissions, and
    lines and files that are invalid (broken JSON, not UTF-8, a number too long, a byte-order
    mark on the first line, a unit that does not exist)."""
    folder.mkdir()
    good = [json.loads(line) for line in
            (PAST / "bouwkunde-voltijd.jsonl").read_text("utf-8").splitlines()[:3]]
    unknown = {**good[0], "id": "X-UNKNOWN", "units": ["BK-XXX"]}
    (folder / "records.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records()), encoding="utf-8")
    (folder / "list.json").write_text(json.dumps([good[1], unknown, good[2]]), encoding="utf-8")
    (folder / "broken.json").write_text('{"id": "broken", ', encoding="utf-8")
    (folder / "mixed.jsonl").write_bytes(
        b"\xef\xbb\xbf" + json.dumps(good[0]).encode() + b"\n\n"
        + b'{"id": "bad \xff byte"}\n' + b'{"id": "long", "n": ' + b"9" * 5000 + b"}\n"
        + b"[1, 2]\n" + json.dumps(unknown).encode())
    (folder / "ignored.scenarios.json").write_text("{}", encoding="utf-8")
    return folder


def url_of(path: Path) -> str:
    """A ``file://`` URL the workers read themselves."""
    return "file://" + path.resolve().as_posix()


def as_local(impact: Impact, path: Path) -> dict[str, Any]:
    """The report of a run over a URL, with its sources named as a local run names them."""
    text = json.dumps(impact.to_dict(), ensure_ascii=False)
    return dict(json.loads(text.replace(url_of(path), display_path(path))))


@needs_dask
def test_the_past_cases_give_the_same_impact_on_a_cluster(client: Any, tmp_path: Path) -> None:
    """Local paths and dicts, read here and sent in partitions: the same Impact, ordering,
    examples, errors and invalid cases included, records audited as locally."""
    odd = odd_corpus(tmp_path / "odd")
    cases: list[Any] = [PAST, odd, *records()[:2], {"id": "empty"}]
    local = compare(VOLTIJD, WHAT_IF, cases, jobs=1)
    assert local.invalid and local.changed and local.findings_changed  # it tests something
    assert not any(i.case.startswith("BKV-R") for i in local.invalid)  # records: audited
    remote = compare(VOLTIJD, WHAT_IF, cases, client=client)
    assert remote == local
    assert remote.to_dict() == local.to_dict()


@needs_dask
def test_a_url_folder_is_read_by_the_workers_in_blocks(client: Any, tmp_path: Path) -> None:
    """A folder given as a URL is listed here and read by the workers; .jsonl files in blocks
    of a few bytes (lines longer than a block, blocks without a line end): every case keeps
    its line number and problem, and the report is the local one."""
    odd = odd_corpus(tmp_path / "odd")
    local = compare(VOLTIJD, WHAT_IF, [odd])
    remote = distributed.compare(VOLTIJD, WHAT_IF, [url_of(odd)], client=client, block_size=64)
    assert as_local(remote, odd) == local.to_dict()
    shutil.copy(PAST / "bouwkunde-voltijd.jsonl", odd / "past.jsonl")  # 4 blocks of 100 kB
    local = compare(VOLTIJD, WHAT_IF, [odd])
    remote = distributed.compare(VOLTIJD, WHAT_IF, [url_of(odd)], client=client,
                                 block_size=100_000)
    assert as_local(remote, odd) == local.to_dict()


@needs_dask
def test_each_worker_compiles_the_rulesets_once_from_the_sources_sent(
        client: Any, tmp_path: Path) -> None:
    """The rulesets are compiled once per worker (not per partition), from copies of their
    files the worker wrote (it does not read this machine's), including what they include
    (here from another folder, allowed as a root) and the ruleset they replace."""
    copies = tmp_path / "programme"
    shared = tmp_path / "shared"
    copies.mkdir()
    shared.mkdir()
    for name in ("bouwkunde-voltijd.luk", "bouwkunde-voltijd-evl.luk"):
        text = (EXAMPLES / name).read_text("utf-8")
        assert 'include "bouwkunde-units.luk"' in text
        (copies / name).write_text(text.replace('include "bouwkunde-units.luk"',
                                                'include "../shared/bouwkunde-units.luk"'),
                                   encoding="utf-8")
    shutil.copy(EXAMPLES / "bouwkunde-units.luk", shared / "bouwkunde-units.luk")
    before = client.run(lambda: distributed.compilations)
    for _ in range(2):
        remote = compare(copies / "bouwkunde-voltijd.luk", copies / "bouwkunde-voltijd-evl.luk",
                         [PAST], client=client, roots=[shared])
    after = client.run(lambda: distributed.compilations)
    assert all(after[w] - before[w] <= 1 for w in after)
    assert sum(after.values()) - sum(before.values()) >= 1
    files = client.run(lambda: [str(r.file) for pair in distributed._COMPILED.values()
                                for r in pair])
    assert all("luk-rulesets-" in f for found in files.values() for f in found)
    assert not any(f.startswith(str(tmp_path)) for found in files.values() for f in found)
    original = compare(VOLTIJD, WHAT_IF, [PAST])  # the copies decide as the originals do
    assert attrs.evolve(remote, before=original.before, after=original.after) == original


@needs_dask
def test_twenty_thousand_generated_cases_give_the_same_impact(
        client: Any, tmp_path: Path) -> None:
    """20,000 generated HBO-ICT cases under the programme and a variant (certificates valid
    for 2 years instead of 3), as JSON Lines the workers read from a URL in 1 MiB blocks: the
    same Impact as a local run with two processes."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import generate  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    corpus = tmp_path / "cases.jsonl"
    with corpus.open("w", encoding="utf-8") as handle:
        for case in generate.generate(GENERATED, 1):
            handle.write(json.dumps(case) + "\n")
    variant = tmp_path / "ict-variant.luk"
    text = ICT.read_text("utf-8")
    assert "  max age 3 years" in text
    variant.write_text(text.replace("  max age 3 years", "  max age 2 years"), encoding="utf-8")
    local = compare(ICT, variant, [corpus], jobs=2)
    assert local.cases == GENERATED and local.changed and local.findings_changed
    seen: list[int] = []
    remote = distributed.compare(ICT, variant, [url_of(corpus)], client=client,
                                 block_size=1 << 20, progress=seen.append)
    assert as_local(remote, corpus) == local.to_dict()
    assert seen == sorted(seen) and len(seen) > 1 and seen[-1] <= GENERATED  # progress


@needs_dask
def test_a_broken_ruleset_is_reported_before_any_case_runs(client: Any, tmp_path: Path) -> None:
    """The rulesets are checked here first: a broken one raises with its diagnostics."""
    broken = tmp_path / "broken.luk"
    broken.write_text("programme X\n  nonsense\n", encoding="utf-8")
    with pytest.raises(RulesetError):
        compare(VOLTIJD, broken, [PAST], client=client)


@needs_dask
def test_luk_diff_scheduler_prints_what_a_local_run_prints(client: Any) -> None:
    """`luk diff --scheduler ADDRESS` gives the same output and exit code as without."""
    address = client.scheduler.address
    for extra in ([], ["--format", "json"]):
        args = ["diff", str(VOLTIJD.relative_to(REPO)), str(WHAT_IF.relative_to(REPO)),
                str(PAST.relative_to(REPO)) + "/", *extra]
        here = luk(*args)
        there = luk(*args, "--scheduler", address)
        assert (there.returncode, there.stdout, there.stderr) == (here.returncode, here.stdout,
                                                                  here.stderr)
        assert here.returncode == 1 and here.stdout
    both = luk("diff", str(VOLTIJD), str(WHAT_IF), str(PAST), "--scheduler", address,
               "--jobs", "2")
    assert both.returncode == 2 and "--jobs and --scheduler" in both.stderr


@needs_dask
@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "nonsense", "foo://host:1"])
def test_a_bad_scheduler_address_is_exit_2_in_one_line(address: str) -> None:
    """Nothing answering at the address, or no address at all: one line, exit 2, no
    traceback, and no hang (the connection is given up after Dask's connect timeout)."""
    result = luk("diff", str(VOLTIJD), str(WHAT_IF), str(PAST), "--scheduler", address,
                 env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"luk diff: cannot connect to the Dask scheduler at "
                                    f"{address}: ")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


@needs_dask
def test_the_bad_address_message_is_dutch_with_lang_nl() -> None:
    """The message speaks the command's language."""
    result = luk("diff", str(VOLTIJD), str(WHAT_IF), str(PAST), "--scheduler", "nonsense",
                 "--lang", "nl")
    assert result.returncode == 2
    assert result.stderr.startswith("luk diff: kan geen verbinding maken met de Dask-scheduler")


BLOCK_DASK = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("dask", "distributed", "fsspec"):
            raise ImportError(f"No module named {name!r}")
        return None
sys.meta_path.insert(0, Block())
from luk_rules.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_scheduler_without_dask_says_how_to_install_it() -> None:
    """Without Dask, --scheduler says what to install and exits 2 (whether Dask is installed
    here or not: it is hidden from this run)."""
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_DASK, "diff", str(VOLTIJD), str(WHAT_IF), str(PAST),
         "--scheduler", "tcp://127.0.0.1:8786"],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "pip install 'luk-rules[dask]'" in result.stderr
    assert "Traceback" not in result.stderr
    local = subprocess.run([sys.executable, "-c", BLOCK_DASK, "diff", str(VOLTIJD),
                            str(WHAT_IF), str(PAST)],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert local.returncode == 1  # the core does not need Dask


def test_the_bundle_holds_the_sources_and_refuses_other_shipped_law() -> None:
    """What travels: both rulesets, what they include and replace, as text; the shipped law
    only by name and text, which the worker checks against its own (no Dask needed here)."""
    bundle = distributed.Bundle.of(VOLTIJD, WHAT_IF)
    names = {parts[-1] for parts, _ in bundle.files}
    assert names == {"bouwkunde-voltijd.luk", "bouwkunde-voltijd-evl.luk", "bouwkunde-units.luk"}
    assert {parts for parts, _ in bundle.law} >= {("whw.luk",), ("voltijd-uitbreiding.luk",)}
    assert bundle.digest and bundle.digest == distributed.Bundle.of(VOLTIJD, WHAT_IF).digest
    first, second = distributed.rulesets(bundle)
    assert str(first.ir.programme.code) == "BK" and second.ir.programme.replaces is not None
    other = attrs.evolve(bundle, law=tuple((parts, text + "\n# changed\n")
                                           for parts, text in bundle.law), digest="other")
    with pytest.raises(LukError, match="install the same version of luk-rules"):
        distributed.rulesets(other)


def _generated(count: int) -> list[dict[str, Any]]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    cases: list[dict[str, Any]] = generate.generate(count, 2)
    return cases


def _variant(tmp_path: Path) -> Path:
    variant = tmp_path / "ict-variant.luk"
    variant.write_text(ICT.read_text("utf-8").replace("  max age 3 years", "  max age 2 years"),
                       encoding="utf-8")
    return variant


def _luk_diff_tasks(client: Any) -> list[str]:
    """The keys of the cluster's tasks of a comparison (deciding a partition)."""
    def keys(dask_scheduler: Any) -> list[str]:
        return [str(key) for key in dask_scheduler.tasks if str(key).startswith("luk-diff-")]
    found: list[str] = client.run_on_scheduler(keys)
    return found


@needs_dask
def test_a_worker_killed_mid_run_changes_nothing(client: Any, tmp_path: Path) -> None:
    """A worker process that dies while partitions are in flight: the scheduler gives its
    partitions to the other worker (its nanny starts a new one), and the Impact is the local
    one, each case counted once."""
    import time

    cases = _generated(4_000)
    variant = _variant(tmp_path)
    local = compare(ICT, variant, cases)
    pids: dict[str, int] = client.run(os.getpid)  # worker address -> its process
    assert len(pids) == 2
    workers = sorted(pids)
    killed: list[str] = []

    def kill_one(done: int) -> None:
        if not killed:  # after the first 500 cases, with partitions in flight on both
            assert _luk_diff_tasks(client), "partitions should be in flight"
            killed.append(workers[0])
            os.kill(pids[workers[0]], signal.SIGKILL)

    remote = distributed.compare(ICT, variant, cases, client=client, partition_cases=50,
                                 progress=kill_one)
    assert killed
    assert attrs.evolve(remote, before=local.before, after=local.after) == local
    assert remote.cases == len(cases)
    deadline = time.monotonic() + 60  # the nanny brings the cluster back to two workers
    while time.monotonic() < deadline:
        now = list(client.scheduler_info()["workers"])
        if len(now) == 2 and killed[0] not in now:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the cluster did not get its second worker back: {now}")


@needs_dask
def test_an_interrupt_cancels_the_partitions_in_flight(client: Any, tmp_path: Path) -> None:
    """Ctrl-C (a KeyboardInterrupt) in the middle of a comparison leaves nothing of it
    running on the cluster: the partitions in flight are cancelled."""
    import time

    cases = _generated(4_000)
    variant = _variant(tmp_path)
    calls: list[int] = []

    def interrupt(done: int) -> None:
        calls.append(done)
        assert _luk_diff_tasks(client), "partitions should be in flight"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        distributed.compare(ICT, variant, cases, client=client, partition_cases=50,
                            progress=interrupt)
    assert calls == [500]
    deadline = time.monotonic() + 30
    while _luk_diff_tasks(client) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _luk_diff_tasks(client) == []


@needs_dask
def test_storage_options_go_from_the_command_line_to_the_cluster_run(
        client: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`luk diff --storage-option KEY=VALUE` (repeatable; VALUE as JSON when it is JSON)
    reaches `distributed.compare` as fsspec's storage options, and the run's report is the
    same as without them."""
    from luk_rules import cli

    seen: list[Any] = []
    original = distributed.compare

    def recording(*args: Any, **kwargs: Any) -> Impact:
        seen.append(kwargs.get("storage_options"))
        return original(*args, **{**kwargs, "storage_options": None})  # local paths here

    monkeypatch.setattr(distributed, "compare", recording)
    common = ["diff", str(VOLTIJD), str(WHAT_IF), str(PAST), "--format", "json",
              "--scheduler", client.scheduler.address]
    code = cli.main([*common, "--storage-option", "anon=true", "--storage-option",
                     'client_kwargs={"region_name": "eu-west-1"}', "--storage-option",
                     "endpoint_url=https://s3.example.org"])
    with_options = capsys.readouterr().out
    assert seen == [{"anon": True, "client_kwargs": {"region_name": "eu-west-1"},
                     "endpoint_url": "https://s3.example.org"}]
    assert code == cli.main(common) == 1
    assert capsys.readouterr().out == with_options


def test_the_workers_read_urls_with_the_storage_options(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What a worker does with a partition of a URL: fsspec opens it with the options."""
    pytest.importorskip("fsspec")
    import fsspec

    corpus = tmp_path / "cases.jsonl"
    corpus.write_text((PAST / "bouwkunde-voltijd.jsonl").read_text("utf-8"), "utf-8")
    opened: list[dict[str, Any]] = []
    real_open = fsspec.open

    def recording(url: str, mode: str = "rb", **options: Any) -> Any:
        opened.append(options)
        return real_open(url, mode)

    monkeypatch.setattr(fsspec, "open", recording)
    options = {"anon": True, "client_kwargs": {"region_name": "eu-west-1"}}
    cases = list(distributed.slice_cases(distributed.Slice(url_of(corpus), True), options))
    assert cases and opened == [options]
    assert distributed.count_lines(url_of(corpus), 0, 1 << 20, options) == len(
        corpus.read_bytes().splitlines())
    assert opened[-1] == options


@pytest.mark.parametrize(("args", "message"), [
    (["--storage-option", "anon=true"], "--storage-option is for the URLs the workers"),
    (["--storage-option", "anon", "--scheduler", "tcp://127.0.0.1:1"], "'anon' is not KEY=VALUE"),
    (["--storage-option", "=1", "--scheduler", "tcp://127.0.0.1:1"], "'=1' is not KEY=VALUE"),
])
def test_a_wrong_storage_option_is_exit_2_in_one_line(args: list[str], message: str) -> None:
    result = luk("diff", str(VOLTIJD), str(WHAT_IF), str(PAST), *args)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_storage_options_without_a_cluster_are_refused() -> None:
    with pytest.raises(ValueError, match="give client= too"):
        compare(VOLTIJD, WHAT_IF, [PAST], storage_options={"anon": True})
