"""Impact analysis on a Dask cluster: ``compare(..., client=...)`` and ``luk diff --scheduler``.

The comparison is the one :func:`luk_rules.impact.compare` makes, with the cases decided by
the workers of a Dask cluster instead of local processes; the result is the same
:class:`~luk_rules.impact.Impact`, with the same order, examples and invalid cases.

- **The rulesets travel as text.** Workers need not share this machine's file system: the
  two rulesets are checked here, and every file they read (their own, what they include,
  the law regimes found beside them, the rulesets they ``replace``) is sent once to every
  worker in a :class:`Bundle`. A worker writes the files into a temporary folder that
  mirrors their places here (so includes, ``replaces`` and the law beside a ruleset resolve
  as they did here), compiles both rulesets once, keeps them for the next partitions
  (by the bundle's digest) and removes the folder. The shipped law is not sent: a worker
  uses its own and checks that every shipped file the rulesets used reads the same.
- **Cases are read in partitions.** A local path (a file or a folder of ``.json`` and
  ``.jsonl``) and a submission dict are read here, exactly as a local run reads them, and
  sent in partitions of at most ``partition_cases`` cases. A URL (anything fsspec opens:
  ``file://`` on a shared file system, ``s3://``, ``gs://``, ``https://``, ...) is read by
  the workers themselves: a folder is listed here, each ``.json`` file is one partition and
  a ``.jsonl`` file one partition per ``block_size`` bytes (whole lines; the workers first
  count the lines of each block, so that every case keeps its line number).
- **Memory stays flat.** A few partitions per worker thread are in flight at a time, and a
  worker sends back only the cases that are reported (changed, or invalid on a side) and
  the number of the others.

This is the only module that imports Dask (``dask.distributed``) and fsspec, and only
when it is used: without them it raises :class:`DaskUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import os
import tempfile
import threading
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import CancelledError
from itertools import chain
from pathlib import Path, PurePosixPath
from typing import Any, Final

import attrs

from luk_rules.api import Ruleset
from luk_rules.errors import LukError, RulesetUnreadable, as_given
from luk_rules.i18n import msg
from luk_rules.impact import (
    _NOT_REGULAR,
    CaseResult,
    Impact,
    RawCase,
    WorkerDied,
    _cannot_read,
    _line_case,
    argument_cases,
    decide_case,
    json_file_cases,
    summarise,
)
from luk_rules.resources import law_dir
from luk_rules.sources import Roots, SourceUnreadable, display_path, load_workspace, read_text

PARTITION_CASES: Final = 2_000
"""The most cases read here that go to a worker in one partition."""
MIN_PARTITION: Final = 25
"""The fewest cases per partition when a corpus is split to keep every worker busy."""
READ_AHEAD: Final = 20_000
"""Cases read ahead here to size the partitions (four per worker thread, if they fill)."""
BLOCK_SIZE: Final = 16 << 20
"""The bytes of a ``.jsonl`` URL one partition reads (whole lines: a block ends at a line's end)."""
IN_FLIGHT_PER_THREAD: Final = 2
"""Partitions sent ahead per worker thread (plus two), so that no worker waits."""
KEPT_RULESETS: Final = 4
"""Compiled pairs of rulesets a worker keeps, the most recently used."""


class DaskUnavailable(LukError):
    """Dask (``dask[distributed]``) or fsspec is not installed here."""


def require() -> None:
    """Check that Dask and fsspec can be imported (asked every time, cheap once imported).

    Raises:
        DaskUnavailable: saying how to install them.
    """
    try:
        import dask  # noqa: F401 - only: is it there?
        import distributed  # noqa: F401
        import fsspec  # noqa: F401
    except ImportError:
        raise DaskUnavailable(msg(
            "running on a Dask cluster needs Dask and fsspec: pip install 'luk-rules[dask]' "
            "(or: pip install 'dask[distributed]' fsspec)")) from None


def is_url(case: object) -> bool:
    """True for a case argument that is a URL (``s3://bucket/cases/``) the workers read."""
    return isinstance(case, str) and "://" in case


# ------------------------------------------------------------------ connecting


def connect_timeout() -> float:
    """Seconds to wait for the scheduler to answer (and for a first worker to join it):
    Dask's ``distributed.comm.timeouts.connect`` (30 s unless configured, for instance with
    ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s``).

    Raises:
        DaskUnavailable: when Dask is not installed.
    """
    require()
    import dask.config
    from dask.utils import parse_timedelta

    return float(parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"),
                                 default="seconds"))


def connect(address: str, timeout: float | None = None) -> Any:
    """A ``dask.distributed.Client`` of the scheduler at ``address`` (``tcp://host:8786``);
    the caller closes it. TLS settings come from Dask's configuration, as for any client.

    The scheduler is tried first with one plain connection of at most ``timeout`` seconds
    (default :func:`connect_timeout`), so that an address nobody answers on fails then and
    leaves nothing behind (a half-made client would wait again when it is collected).

    Raises:
        DaskUnavailable: when Dask is not installed.
        LukError: when nothing at ``address`` answers as a Dask scheduler within
            ``timeout`` seconds, or the address is not one.
    """
    require()
    seconds = connect_timeout() if timeout is None else timeout
    from distributed import Client
    from distributed.comm import connect as open_comm
    from distributed.security import Security

    async def probe() -> None:
        comm = await open_comm(address, timeout=seconds,
                               **Security().get_connection_args("client"))
        await comm.close()

    try:
        asyncio.run(probe())
        return Client(address, timeout=seconds, set_as_default=False)
    except Exception as exc:  # whatever went wrong, the scheduler cannot be used
        raise LukError(msg("cannot connect to the Dask scheduler at {address}: {reason}",
                           address=address, reason=as_given(str(exc) or type(exc).__name__))
                       ) from None


# ------------------------------------------------------------------ the rulesets' sources

Parts = tuple[str, ...]
"""A path as its parts without the anchor (``/`` or ``C:\\``): the same on any system."""


def _parts(path: Path) -> Parts:
    return path.parts[1:] if path.anchor else path.parts


@attrs.frozen
class Bundle:
    """The sources of the two rulesets of a comparison, to compile them on a worker.

    ``files`` are every file the rulesets read here but the shipped law (the rulesets
    themselves always), by their real paths; ``law`` the shipped law files they read, by
    their paths in the law folder, which a worker checks against its own. ``roots`` are the
    further folders they may read (real paths). ``digest`` names the bundle in a worker's
    cache.
    """

    before: Parts
    after: Parts
    roots: tuple[Parts, ...]
    files: tuple[tuple[Parts, str], ...]
    law: tuple[tuple[Parts, str], ...]
    engine: str
    digest: str = ""

    @classmethod
    def of(cls, before: str | os.PathLike[str], after: str | os.PathLike[str],
           roots: Iterable[str | os.PathLike[str]] = (), engine: str = "native") -> Bundle:
        """Read the sources of two rulesets (as :class:`~luk_rules.api.Ruleset` reads them).

        Raises:
            RulesetUnreadable: when a ruleset or a root cannot be read.
        """
        roots = tuple(roots)
        files: dict[Parts, str] = {}
        law: dict[Parts, str] = {}
        ends: list[Parts] = []
        for path in (before, after):
            try:
                ends.append(_read_sources(Path(path), roots, files, law))
            except SourceUnreadable as exc:
                raise RulesetUnreadable(exc.path, exc.reason) from None
        folders: list[Parts] = []
        for root in roots:
            try:
                folders.append(_parts(Path(os.path.realpath(root, strict=True))))
            except (OSError, ValueError) as exc:
                raise RulesetUnreadable(str(root), as_given(str(exc))) from None
        bundle = cls(ends[0], ends[1], tuple(folders), tuple(sorted(files.items())),
                     tuple(sorted(law.items())), engine)
        text = json.dumps(attrs.astuple(bundle), ensure_ascii=False)
        return attrs.evolve(bundle, digest=hashlib.sha256(text.encode("utf-8")).hexdigest())


def _read_sources(path: Path, roots: tuple[str | os.PathLike[str], ...] | Roots,
                  files: dict[Parts, str], law: dict[Parts, str]) -> Parts:
    """Add the files of the ruleset at ``path`` (and of those it replaces) to ``files`` and
    ``law``; its own real path as parts."""
    workspace, _ = load_workspace(path, roots=roots)
    allowed = workspace.roots
    assert allowed is not None  # a ruleset read from a file has its roots
    own: Parts = ()
    for i, source in enumerate(workspace.files):
        if source.real is None:  # pragma: no cover - only a ruleset given as text has none
            continue
        if i == 0:
            own = _parts(source.real)
            files[own] = source.text
        elif source.real.is_relative_to(allowed.law):
            law[source.real.relative_to(allowed.law).parts] = source.text
        else:
            files[_parts(source.real)] = source.text
    for target in workspace.replaced.values():
        if _parts(target) not in files:
            _read_sources(target, allowed, files, law)
    return own


_LOCK = threading.Lock()
_COMPILED: OrderedDict[str, tuple[Ruleset, Ruleset]] = OrderedDict()
compilations = 0
"""How many times this process compiled a bundle's rulesets (a test asks the workers)."""


def rulesets(bundle: Bundle) -> tuple[Ruleset, Ruleset]:
    """The bundle's two rulesets, compiled once per process and kept for the next calls.

    Raises:
        LukError: when a shipped law file the rulesets use reads otherwise here than where
            the bundle was made (another version of luk-rules), or the engine cannot be used.
    """
    global compilations
    with _LOCK:
        found = _COMPILED.get(bundle.digest)
        if found is not None:
            _COMPILED.move_to_end(bundle.digest)
            return found
        _check_law(bundle.law)
        with tempfile.TemporaryDirectory(prefix="luk-rulesets-") as tmp:
            top = Path(tmp)
            for parts, text in bundle.files:
                target = top.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(text.encode("utf-8"))
            roots = [top.joinpath(*parts) for parts in bundle.roots]
            for folder in roots:
                folder.mkdir(parents=True, exist_ok=True)
            pair = (Ruleset(top.joinpath(*bundle.before), engine=bundle.engine, roots=roots),
                    Ruleset(top.joinpath(*bundle.after), engine=bundle.engine, roots=roots))
        compilations += 1
        _COMPILED[bundle.digest] = pair
        while len(_COMPILED) > KEPT_RULESETS:
            _COMPILED.popitem(last=False)
        return pair


def _check_law(files: Iterable[tuple[Parts, str]]) -> None:
    folder = law_dir()
    for parts, text in files:
        shown = "law/" + "/".join(parts)
        try:
            mine: str | None = read_text(folder.joinpath(*parts), shown)
        except SourceUnreadable:
            mine = None
        if mine != text:
            raise LukError(msg("a Dask worker's luk-rules ships another {file} than the "
                               "machine that started the comparison: install the same "
                               "version of luk-rules on every worker", file=shown))


# ------------------------------------------------------------------ partitions


@attrs.frozen
class Cases:
    """A partition of cases read here."""

    cases: tuple[RawCase, ...]


@attrs.frozen
class Slice:
    """A partition a worker reads: a whole file at ``url``, or for a ``.jsonl`` file the lines
    that end in bytes ``start`` to ``start + length`` (None: to its end), the first of them
    line ``first_line`` of the file."""

    url: str
    jsonl: bool
    start: int = 0
    length: int | None = None
    first_line: int = 1


@attrs.frozen
class Decided:
    """What a worker sends back for a partition: how many cases it held, and those that are
    reported (anything changed, or invalid on both sides), in order."""

    cases: int
    results: tuple[CaseResult, ...]


def decide_partition(bundle: Bundle, part: Cases | Slice,
                     storage_options: Mapping[str, Any] | None = None) -> Decided:
    """Decide a partition under the bundle's rulesets (the task a worker runs)."""
    first, second = rulesets(bundle)
    raws = part.cases if isinstance(part, Cases) else slice_cases(part, storage_options or {})
    count = 0
    kept: list[CaseResult] = []
    for raw in raws:
        result = decide_case(first, second, raw)
        count += 1
        if result.anything_changed or result.invalid:
            kept.append(result)
    return Decided(count, tuple(kept))


def _read(part: Slice, options: Mapping[str, Any]) -> bytes:
    import fsspec
    from fsspec.utils import read_block

    with fsspec.open(part.url, "rb", **options) as handle:
        if part.length is None:
            data = handle.read()
        else:
            data = read_block(handle, part.start, part.length, delimiter=b"\n")
    return bytes(data)


def slice_cases(part: Slice, options: Mapping[str, Any]) -> Iterator[RawCase]:
    """The cases of a slice, named and numbered as a local run names a file's cases (by
    the URL); a slice that cannot be read is one invalid case saying why."""
    try:
        data = _read(part, options)
    except OSError as exc:
        yield RawCase(part.url, "", _cannot_read(exc))
        return
    if part.jsonl:
        for number, line in enumerate(io.BytesIO(data), start=part.first_line):
            if line.strip():  # as a local file's lines: split at b"\n" only
                yield _line_case(f"{part.url}:{number}", line, number)
        return
    yield from json_file_cases(part.url, data)


def count_lines(url: str, start: int, length: int, options: Mapping[str, Any]
                ) -> int | str:
    """The line ends in a block of a ``.jsonl`` file (a task), or why it cannot be read."""
    try:
        return _read(Slice(url, True, start, length), options).count(b"\n")
    except OSError as exc:
        return str(_cannot_read(exc))


# ------------------------------------------------------------------ reading here


def _url_parts(url: str, client: Any, options: Mapping[str, Any], block_size: int
               ) -> Iterator[RawCase | Slice]:
    """The partitions of a URL: its files in a stable order (as a local folder's), each
    ``.jsonl`` file cut into blocks of ``block_size`` bytes, whose lines the workers count
    (ahead, at a higher priority) so that each block knows its first line's number."""
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(url, **options)
        if fs.isdir(path):
            found = fs.find(path, detail=True, withdirs=False)
            entries = sorted(
                ((p, info) for p, info in found.items()
                 if PurePosixPath(p).suffix in (".json", ".jsonl")
                 and not p.endswith(".scenarios.json")),
                key=lambda entry: PurePosixPath(entry[0]).parts)
        elif fs.isfile(path):
            entries = [(path, fs.info(path))]
        else:
            raise LukError(msg("{path}: no such file or folder", path=url))
    except (OSError, ValueError, ImportError) as exc:  # unreachable, unknown protocol, ...
        raise LukError(msg("{path}: cannot read: {reason}", path=url,
                           reason=as_given(str(exc) or type(exc).__name__))) from None
    for name, info in entries:
        shown = fs.unstrip_protocol(name)
        if info.get("type", "file") != "file":
            yield RawCase(shown, "", _NOT_REGULAR)
            continue
        jsonl = PurePosixPath(name).suffix == ".jsonl"
        size = int(info.get("size") or 0)
        if not jsonl or size <= block_size:
            yield Slice(shown, jsonl)
            continue
        starts = range(0, size, block_size)
        counts = [client.submit(count_lines, shown, start, block_size, options, pure=False,
                                priority=10, key=f"luk-count-{uuid.uuid4().hex}")
                  for start in starts[:-1]]
        line = 1
        for i, start in enumerate(starts):
            yield Slice(shown, True, start, block_size, line)
            if i < len(counts):
                ends = counts[i].result()
                if isinstance(ends, str):  # it became unreadable meanwhile
                    yield RawCase(shown, "", ends)
                    break
                line += ends


def _items(cases: Iterable[Any], client: Any, options: Mapping[str, Any], block_size: int
           ) -> Iterator[RawCase | Slice]:
    for i, case in enumerate(cases):
        if is_url(case):
            yield from _url_parts(case, client, options, block_size)
        else:
            yield from argument_cases(i, case)


def _partitions(items: Iterator[RawCase | Slice], threads: int, most: int
                ) -> Iterator[Cases | Slice]:
    """Cases read here in partitions of ``most`` cases, or, when there are fewer than
    :data:`READ_AHEAD` (read ahead), sized so that every worker thread gets about four, but
    not fewer than :data:`MIN_PARTITION` cases each; a slice is a partition of its own."""
    head: list[RawCase | Slice] = []
    for item in items:
        head.append(item)
        if not isinstance(item, RawCase) or len(head) >= READ_AHEAD:
            break
    local = sum(isinstance(item, RawCase) for item in head)
    size = most if local >= READ_AHEAD else max(1, min(most, max(
        MIN_PARTITION, -(-local // (threads * 4)))))
    chunk: list[RawCase] = []
    stream = chain(head, items)
    del head  # the cases read ahead are let go as they are sent
    for item in stream:
        if isinstance(item, RawCase):
            chunk.append(item)
            if len(chunk) >= size:
                yield Cases(tuple(chunk))
                chunk = []
            continue
        if chunk:
            yield Cases(tuple(chunk))
            chunk = []
        yield item
    if chunk:
        yield Cases(tuple(chunk))


# ------------------------------------------------------------------ running


def _given(bundle: Bundle) -> Bundle:
    """The bundle itself (the task that holds it on the cluster)."""
    return bundle


def _threads(client: Any, timeout: float) -> int:
    """The worker threads of the cluster; waits up to ``timeout`` seconds for a first worker.

    Raises:
        LukError: when no worker joins in time.
    """
    threads = sum(client.nthreads().values())
    if threads:
        return int(threads)
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, OSError):
        raise LukError(msg("no Dask worker joined the scheduler at {address} within "
                           "{seconds:g} s", address=str(client.scheduler.address),
                           seconds=timeout)) from None
    return max(1, int(sum(client.nthreads().values())))


def _decided(client: Any, bundle: Any, parts: Iterator[Cases | Slice],
             options: Mapping[str, Any], threads: int) -> Iterator[Decided]:
    """The partitions decided by the cluster, in order, a few in flight per worker thread;
    leaving (an error, Ctrl-C, the end) cancels those still in flight."""
    from distributed import KilledWorker

    pending: deque[Any] = deque()
    sent = 0
    try:
        while True:
            while len(pending) < IN_FLIGHT_PER_THREAD * threads + 2:
                part = next(parts, None)
                if part is None:
                    break
                pending.append(client.submit(decide_partition, bundle, part, options,
                                             pure=False, key=f"luk-diff-{uuid.uuid4().hex}"))
                sent += 1
                if sent % 32 == 0:  # the cluster may have grown (or shrunk)
                    threads = max(1, int(sum(client.nthreads().values())))
            if not pending:
                return
            future = pending.popleft()
            try:
                decided = future.result()
            except KilledWorker:
                raise WorkerDied(msg("a Dask worker ended (more than once) while deciding a "
                                     "partition of the cases; out of memory?")) from None
            except (CancelledError, OSError) as exc:  # the scheduler closed, the connection lost
                raise LukError(msg("the Dask cluster stopped deciding the cases: {reason}",
                                   reason=as_given(str(exc) or type(exc).__name__))) from None
            if not isinstance(decided, Decided):  # pragma: no cover - a bug
                raise RuntimeError(f"a worker sent {type(decided).__name__}, not Decided")
            yield decided
    finally:
        if pending:
            with contextlib.suppress(Exception):  # a closed client has nothing left to cancel
                client.cancel(list(pending))


def compare(before: str | os.PathLike[str], after: str | os.PathLike[str],
            cases: Iterable[str | os.PathLike[str] | Mapping[str, Any]], *, client: Any,
            engine: str = "native", progress: Callable[[int], None] | None = None,
            roots: Iterable[str | os.PathLike[str]] = (),
            storage_options: Mapping[str, Any] | None = None,
            partition_cases: int = PARTITION_CASES, block_size: int = BLOCK_SIZE,
            timeout: float | None = None) -> Impact:
    """:func:`luk_rules.impact.compare` on the Dask cluster of ``client``: the same
    :class:`~luk_rules.impact.Impact`.

    ``cases`` are local paths and submission dicts (read here, sent in partitions of at
    most ``partition_cases``) and URLs (read by the workers; ``storage_options`` go to
    fsspec, here and on the workers; a ``.jsonl`` file is read in blocks of ``block_size``
    bytes). Both rulesets are checked here first; every worker compiles them once, with
    ``engine``. ``timeout``: the seconds to wait for a first worker when there is none
    (default :func:`connect_timeout`).

    Raises:
        DaskUnavailable: when Dask or fsspec is not installed.
        RulesetError: when either ruleset is invalid.
        LukError: when a case path does not exist, a URL cannot be listed, no worker
            joins, or a worker's luk-rules ships other law.
        WorkerDied: when workers keep dying on a partition (out of memory).
    """
    require()
    if partition_cases < 1 or block_size < 1:
        raise ValueError("partition_cases and block_size must be at least 1")
    folders = tuple(os.fspath(r) for r in roots)
    for path in (before, after):  # checked here, so that a broken ruleset says why at once
        Ruleset(path, roots=folders)
    bundle = Bundle.of(before, after, folders, engine)
    options = dict(storage_options or {})
    threads = _threads(client, connect_timeout() if timeout is None else timeout)
    # A task rather than scattered data: should every worker holding it die, the scheduler
    # makes it again; a worker that needs it gets it from another, once.
    shared = client.submit(_given, bundle, pure=False,
                           key=f"luk-rulesets-{bundle.digest[:16]}-{uuid.uuid4().hex}")
    parts = _partitions(_items(cases, client, options, block_size), threads, partition_cases)
    total = 0

    def results() -> Generator[CaseResult, None, None]:
        nonlocal total
        for decided in _decided(client, shared, parts, options, threads):
            if progress and (total + decided.cases) // 500 > total // 500:
                progress(total + decided.cases)
            total += decided.cases
            yield from decided.results

    stream = results()
    try:
        impact = summarise(display_path(Path(before)), display_path(Path(after)), stream)
    finally:
        stream.close()  # cancels what is still in flight on an error or a Ctrl-C
    return attrs.evolve(impact, cases=total)


__all__ = ["BLOCK_SIZE", "PARTITION_CASES", "Bundle", "Cases", "DaskUnavailable", "Decided",
           "Slice", "compare", "connect", "count_lines", "decide_partition", "is_url",
           "require", "rulesets", "slice_cases"]
