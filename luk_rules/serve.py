"""``luk serve``: the rulesets of a folder over HTTP (docs/serve.md).

An ASGI application on Starlette, run by uvicorn (the ``serve`` extra). The only module that
imports them; ``luk_rules.cli`` imports this one only for ``luk serve``.

Every ruleset under the folder is loaded at the start (a ``*.luk`` file that declares a
``programme``, not under a ``law`` folder), named by its path under the folder without
``.luk`` (``examples/bouwkunde-deeltijd``). A background thread (:class:`Catalogue`) looks
at the files every ``poll`` seconds and loads again only the rulesets one of whose files
changed (:attr:`luk_rules.api.Ruleset.files`), loads new ones and drops removed ones; a
broken edit keeps the last good version serving and logs its diagnostics.

The answers are exactly what the library gives (``Decision.to_dict()``, the JSON of ``luk
decide --format json``); an invalid input is a 422 with every problem's JSON path and
message, an unknown ruleset a 404, a body over the limit a 413, and anything unforeseen a
500 with a one-line JSON error (logged with its traceback), never a traceback to the client.
``decide-batch`` streams both ways (:class:`_DecideBatch`): each line is decided as soon as
it is in and answered while the rest is still coming; the limit applies to each line, a
line over it or otherwise invalid is an error object on its line of the answer.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import datetime as dt
import json
import logging
import math
import os
import re
import signal
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from luk_rules import api
from luk_rules.audit import AUDIT_SCHEMA
from luk_rules.decide import DECISION_SCHEMA, Verdict
from luk_rules.diagnostics import render_text, sort_key
from luk_rules.errors import LukError, Problem, RulesetError, SubmissionError
from luk_rules.i18n import LANGUAGES, Lang, Message, msg, say
from luk_rules.sources import DEFAULT_MAX_FILE_SIZE
from luk_rules.submission import RECORD_SCHEMA, SUBMISSION_SCHEMA, decode_json

log = logging.getLogger("luk_rules.serve")
#: The access log: one JSON object a line per request (see :class:`AccessLog`).
access_log = logging.getLogger("luk_rules.serve.access")

#: The largest request body accepted by default (1 MiB); ``--max-body`` changes it.
DEFAULT_MAX_BODY: Final = 1 << 20
#: How often (seconds) the files are looked at for changes, in the background.
DEFAULT_POLL: Final = 1.0
#: How long (seconds) requests under way may take to finish after SIGINT or SIGTERM.
DEFAULT_SHUTDOWN_TIMEOUT: Final = 30.0
#: The JSON Schemas served under ``/v1/schema/{name}``.
SCHEMAS: Final[dict[str, dict[str, Any]]] = {
    "submission": SUBMISSION_SCHEMA, "decision": DECISION_SCHEMA,
    "record": RECORD_SCHEMA, "audit": AUDIT_SCHEMA,
}
_PROGRAMME = re.compile(r"^\s*programme\b", re.MULTILINE)
_ENV_PREFIX: Final = "LUK_SERVE_"


def ruleset_files(folder: Path) -> dict[str, Path]:
    """The rulesets under ``folder`` by name: every ``*.luk`` file that declares a
    ``programme`` (files only included by others do not), none under a ``law`` folder."""
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.luk")):
        relative = path.relative_to(folder)
        if "law" in relative.parts[:-1] or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if _PROGRAMME.search(text):
            found[relative.with_suffix("").as_posix()] = path
    return found


#: A file as far as reloading cares: its modification time (ns), size and inode.
Stamp = tuple[int, int, int]


def _stamp(path: Path) -> Stamp | None:
    """What changes when ``path`` is edited or replaced; None when it is gone."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def _tree(folder: Path) -> dict[Path, Stamp]:
    """Every ``.luk`` file under ``folder`` with its stamp: what changes when one is
    edited, added or removed."""
    out: dict[Path, Stamp] = {}
    for path in sorted(folder.rglob("*.luk")):
        stamp = _stamp(path)
        if stamp is not None:
            out[path] = stamp
    return out


@dataclass(frozen=True)
class _Watch:
    """What a ruleset was loaded from, to tell when to load it again: its file under the
    folder, the stamps of the files it read (:attr:`api.Ruleset.files`) taken before the
    load, and for a load that failed, the ``.luk`` files under the folder at the time."""

    path: Path
    files: Mapping[Path, Stamp | None]
    failed: Mapping[Path, Stamp] | None = None


@dataclass(frozen=True)
class Changes:
    """What one look at the folder changed (:meth:`Catalogue.check`), by ruleset name."""

    loaded: tuple[str, ...] = ()
    """Rulesets loaded that were not served: new ones, and those that failed before."""
    reloaded: tuple[str, ...] = ()
    """Rulesets served that were loaded again, because one of their files changed."""
    failed: tuple[str, ...] = ()
    """Rulesets that did not load (an error, or a file that cannot be read): each serves
    its last good version, or is not served when it never loaded."""
    dropped: tuple[str, ...] = ()
    """Rulesets no longer served: their file is gone or no longer declares a programme."""

    def __bool__(self) -> bool:
        return bool(self.loaded or self.reloaded or self.failed or self.dropped)


class Catalogue:
    """The rulesets of a folder, kept up to date with their files.

    :meth:`check` looks at the files once and loads again only the rulesets one of whose
    files changed (:attr:`api.Ruleset.files`: the ruleset file, its includes, its law
    regimes' files and those of the rulesets it replaces), loads new ruleset files and drops
    those that are gone; a ruleset that fails to load keeps serving its last good version
    (its diagnostics are logged) and is tried again when a ``.luk`` file under the folder,
    or one of the files it read, changes. :meth:`start` runs :meth:`check` every ``poll``
    seconds on a background thread until :meth:`stop`.

    Thread-safe: a check replaces :attr:`rulesets` as a whole (under a lock, one check at a
    time); readers take the mapping as it is.

    Args:
        folder: the folder whose rulesets are served.
        roots: further folders the rulesets may read from (``--root``).
        max_file_size: the largest file a ruleset may read, in bytes.
        poll: seconds between two looks by the background thread; 0 for none.
    """

    def __init__(self, folder: str | os.PathLike[str], roots: Iterable[str] = (),
                 max_file_size: int = DEFAULT_MAX_FILE_SIZE, poll: float = DEFAULT_POLL
                 ) -> None:
        if not poll >= 0:
            raise ValueError("poll must be a number of seconds, at least 0")
        self.folder = Path(folder)
        self.roots = tuple(roots)
        self.max_file_size = max_file_size
        self.poll = poll
        self.rulesets: dict[str, api.Ruleset] = {}
        """The rulesets served, by name; replaced as a whole by a check."""
        self._root = self.folder.resolve()
        self._checked = False
        self._watched: dict[str, _Watch] = {}
        self._tree: dict[Path, Stamp] = {}
        self._found: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def load(self) -> Changes:
        """Load every ruleset under the folder afresh (at the start); one that fails keeps
        its last good version, if any, and its diagnostics are logged."""
        with self._lock:
            self._checked = False
            self._watched, self._tree, self._found = {}, {}, {}
        changes = self.check()
        log.info("serving %d rulesets from %s", len(self.rulesets), self.folder)
        return changes

    def check(self) -> Changes:
        """Look at the files once; load again what changed, load what is new, drop what
        is gone (see the class). Returns what changed."""
        with self._lock:
            first, self._checked = not self._checked, True
            tree = _tree(self._root)
            found = ruleset_files(self._root) if tree != self._tree or first \
                else self._found
            stamps: dict[Path, Stamp | None] = dict(tree)

            def stamp(path: Path) -> Stamp | None:
                if path not in stamps:
                    stamps[path] = _stamp(path)
                return stamps[path]

            due = [name for name, path in found.items()
                   if self._due(self._watched.get(name), path, tree, stamp)]
            dropped = tuple(sorted(set(self._watched) - set(found)))
            self._tree, self._found = tree, found
            if not due and not dropped:
                return Changes()
            rulesets = {n: r for n, r in self.rulesets.items() if n in found}
            watched = {n: w for n, w in self._watched.items() if n in found}
            loaded: list[str] = []
            reloaded: list[str] = []
            failed: list[str] = []
            for name in due:
                path, old = found[name], watched.get(name)
                before = {f: stamp(f) for f in old.files} if old is not None else {}
                try:
                    ruleset = api.load(path, roots=self.roots, max_file_size=self.max_file_size)
                except Exception as exc:
                    _report(name, exc, kept=name in rulesets)
                    watched[name] = _Watch(path, before or {path: stamp(path)}, tree)
                    failed.append(name)
                    continue
                (reloaded if name in rulesets else loaded).append(name)
                rulesets[name] = ruleset
                watched[name] = _Watch(path, {f: stamp(f) for f in ruleset.files})
            self.rulesets = rulesets
            self._watched = watched
        changes = Changes(tuple(loaded), tuple(reloaded), tuple(failed), dropped)
        if not first:
            _log_changes(changes, self.folder, len(rulesets))
        return changes

    @staticmethod
    def _due(watch: _Watch | None, path: Path, tree: Mapping[Path, Stamp],
             stamp: Callable[[Path], Stamp | None]) -> bool:
        """Whether a ruleset is to be loaded (again)."""
        if watch is None or watch.path != path:
            return True
        if watch.failed is not None and watch.failed != tree:
            return True
        return any(stamp(f) != before for f, before in watch.files.items())

    def get(self, name: str) -> api.Ruleset | None:
        """The ruleset called ``name``, or None."""
        return self.rulesets.get(name)

    def start(self) -> None:
        """Check every ``poll`` seconds on a background (daemon) thread, until
        :meth:`stop`; nothing when ``poll`` is 0 or the thread runs already."""
        if self.poll <= 0 or self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._watch, name="luk-serve-reload",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread, waiting for a check under way to end."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            thread.join()

    def _watch(self) -> None:
        while not self._stopping.wait(self.poll):
            try:
                self.check()
            except Exception:
                log.exception("looking for changed rulesets under %s failed", self.folder)


def _report(name: str, exc: Exception, *, kept: bool) -> None:
    """Log why a ruleset did not load: its diagnostics, the reason it cannot be read, or
    (a bug) the traceback."""
    what = "keeping the last good version" if kept else "not serving it"
    if isinstance(exc, RulesetError) and exc.diagnostics:
        diagnostics, sources = exc.for_person()
        shown = "\n".join(render_text(d, sources) for d in
                          sorted(diagnostics, key=sort_key) if d.is_error)
        log.error("ruleset %s is not valid (%s):\n%s", name, what, shown)
    elif isinstance(exc, LukError):
        log.error("ruleset %s cannot be loaded (%s): %s", name, what, exc)
    else:
        log.error("ruleset %s cannot be loaded (%s): internal error", name, what,
                  exc_info=exc)


def _log_changes(changes: Changes, folder: Path, served: int) -> None:
    """One line each for the rulesets reloaded, loaded, failed and dropped, and the count."""
    if changes.reloaded:
        log.info("reloaded rulesets (a file they read changed): %s",
                 ", ".join(changes.reloaded))
    if changes.loaded:
        log.info("loaded new rulesets: %s", ", ".join(changes.loaded))
    if changes.failed:
        log.info("rulesets that did not load (see above): %s", ", ".join(changes.failed))
    if changes.dropped:
        log.info("dropped rulesets whose file is gone or declares no programme: %s",
                 ", ".join(changes.dropped))
    log.info("serving %d rulesets from %s", served, folder)


def describe(name: str, ruleset: api.Ruleset) -> dict[str, Any]:
    """What ``/v1/rulesets`` says of one ruleset."""
    programme = ruleset.ir.programme
    return {"name": name, "programme": programme.code, "title": programme.title,
            "forms": list(programme.forms), "level": programme.level,
            "law": sorted(r.name for r in programme.regimes)}


def verdict_dict(verdict: Verdict) -> dict[str, Any]:
    """A verdict as JSON: status, law, combination, missing outcomes, finding codes."""
    return {"status": verdict.status, "law": verdict.law, "combination": verdict.combination,
            "missing": list(verdict.missing),
            "findings": [list(finding) for finding in verdict.findings]}


class _TooLarge(Exception):
    """The request body is over the limit."""


def _errors(status: int, problems: Iterable[tuple[str, Message]], lang: Lang) -> JSONResponse:
    return JSONResponse({"errors": [{"path": p, "message": say(m, lang)} for p, m in problems]},
                        status_code=status)


def _lang(request: Request) -> Lang:
    """The language asked for (``?lang=nl``), English when none or no language."""
    return "nl" if request.query_params.get("lang") == "nl" else "en"


#: Too deeply nested JSON: the text of ``luk decide``'s message.
_TOO_DEEP = msg("the input is nested too deeply to process")


def _submission_errors(exc: SubmissionError, lang: Lang) -> list[dict[str, str]]:
    return [{"path": p.path, "message": say(p.message, lang)} for p in exc.problems]


def _ruleset_errors(exc: RulesetError, lang: Lang) -> list[dict[str, str]]:
    return [{"path": "$", "message": say(d.message, lang)}
            for d in sorted(exc.diagnostics, key=sort_key) if d.is_error]


async def _body(request: Request, limit: int) -> bytes:
    """The request body, or :class:`_TooLarge` as soon as it is over ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _text(body: bytes) -> str:
    """``body`` as UTF-8 text, else a :class:`SubmissionError` at ``$``."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError([Problem("$", msg("not UTF-8 text (byte {byte})",
                                                byte=exc.start))]) from None


Handler = Callable[[Request], Awaitable[Response]]


def _options(request: Request) -> tuple[bool, Lang] | JSONResponse:
    """``?explain`` and ``?lang`` as asked, or a 422 naming each bad one."""
    explain = request.query_params.get("explain")
    lang = request.query_params.get("lang", "en")
    problems: list[tuple[str, Message]] = []
    if explain not in (None, "plain", "proof"):
        problems.append(("?explain", msg("explain is plain or proof")))
    if lang not in LANGUAGES:
        problems.append(("?lang", msg("lang is en or nl")))
    if problems:
        return _errors(422, problems, _lang(request))
    chosen: Lang = "nl" if lang == "nl" else "en"
    return explain is not None, chosen


def _find(catalogue: Catalogue, request: Request) -> api.Ruleset | JSONResponse:
    """The ruleset the path names, or a 404."""
    name = request.path_params["name"]
    ruleset = catalogue.get(name)
    if ruleset is None:
        return _errors(404, [("name", msg("no ruleset called {name}", name=name))],
                       _lang(request))
    return ruleset


# ------------------------------------------------------------------ decide-batch

#: How many bytes of a batch's answers wait in memory for the client before the rest
#: waits in a temporary file (:class:`_Spool`).
SPOOL_MEMORY: Final = 1 << 20
#: The most bytes sent to the client at once in a batch's answer.
_SEND_SIZE: Final = 1 << 16
#: The most lines decided in one go on a worker thread: the answers so far are sent
#: between two goes.
_LINES_AT_ONCE: Final = 32


class _Lines:
    """Cuts a request body, as it arrives chunk by chunk, into numbered lines (from 1,
    blank lines counted but not given). A line longer than ``limit`` bytes (without its
    newline) is given as None as soon as it is over, and its bytes are skipped up to the
    next newline: at most ``limit`` bytes are ever held."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._number = 1
        self._partial = bytearray()
        self._skipping = False

    def feed(self, chunk: bytes) -> list[tuple[int, bytes | None]]:
        """The lines ``chunk`` completes (or finds over the limit), in order."""
        out: list[tuple[int, bytes | None]] = []
        view = memoryview(chunk)
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            end = len(chunk) if newline < 0 else newline
            if not self._skipping:
                if len(self._partial) + end - start > self.limit:
                    out.append((self._number, None))
                    self._skipping = True
                    self._partial.clear()
                else:
                    self._partial += view[start:end]
            if newline < 0:
                return out
            if not self._skipping and self._partial.strip():
                out.append((self._number, bytes(self._partial)))
            self._partial.clear()
            self._skipping = False
            self._number += 1
            start = newline + 1

    def end(self) -> list[tuple[int, bytes | None]]:
        """The last line, when the body does not end with a newline."""
        if self._skipping or not self._partial.strip():
            return []
        return [(self._number, bytes(self._partial))]


class _Spool:
    """A batch's answers waiting to be sent, first in first out: in memory up to
    ``memory`` bytes, beyond that in a temporary file (removed by :meth:`discard`).
    Deciding never waits for the client to read its answers, so a client that sends the
    whole batch before it reads (most do) cannot deadlock the two, and memory stays
    bounded however long the batch.

    :meth:`put` is called from a worker thread, the rest on the event loop.
    """

    def __init__(self, memory: int) -> None:
        self._memory = memory
        self._lock = threading.Lock()
        self._held: collections.deque[bytes] = collections.deque()
        self._held_size = 0
        self._file: BinaryIO | None = None
        self._read = 0  # the file's bytes before this offset are sent
        self._written = 0  # and those after this one are not there yet
        self._ready = anyio.Event()
        self.closed = False
        """True when nothing more will be put."""

    def put(self, answer: bytes) -> None:
        """Add an answer at the end (from a worker thread)."""
        with self._lock:
            if self._read == self._written and self._held_size + len(answer) <= self._memory:
                self._held.append(answer)
                self._held_size += len(answer)
                return
            if self._file is None:
                # closed by discard(), at the end of the request
                self._file = tempfile.TemporaryFile(prefix="luk-batch-")  # noqa: SIM115
            self._file.seek(self._written)
            self._file.write(answer)
            self._written += len(answer)

    def take(self, most: int) -> bytes:
        """The next answers, in order, about ``most`` bytes at most (a longer answer
        whole); empty when there are none yet."""
        with self._lock:
            if self._held:
                parts: list[bytes] = []
                size = 0
                while self._held and (not parts or size + len(self._held[0]) <= most):
                    part = self._held.popleft()
                    parts.append(part)
                    size += len(part)
                self._held_size -= size
                return b"".join(parts)
            if self._file is None or self._read == self._written:
                return b""
            self._file.seek(self._read)
            data = self._file.read(min(most, self._written - self._read))
            self._read += len(data)
            if self._read == self._written:  # all sent: the file starts afresh
                self._file.seek(0)
                self._file.truncate()
                self._read = self._written = 0
            return data

    def notify(self) -> None:
        """Say that answers were put."""
        self._ready.set()

    def close(self) -> None:
        """Say that nothing more will be put."""
        self.closed = True
        self._ready.set()

    async def wait(self) -> None:
        """Until :meth:`notify` or :meth:`close`."""
        await self._ready.wait()
        self._ready = anyio.Event()

    def discard(self) -> None:
        """Remove the temporary file, if there is one."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _answer(ruleset: api.Ruleset, number: int, line: bytes | None, explain: bool,
            lang: Lang, limit: int) -> bytes:
    """One line of a batch's answer: the decision of line ``number``, or an error object
    for it (``line`` None: it is longer than ``limit`` bytes)."""
    out: dict[str, Any]
    if line is None:
        out = {"line": number, "errors": [{"path": "$", "message": say(msg(
            "the line is larger than {size:,} bytes", size=limit), lang)}]}
        return json.dumps(out, ensure_ascii=False).encode() + b"\n"
    try:
        data = decode_json(_text(line))
        out = ruleset.decide(data, explain=explain, lang=lang).to_dict()
    except SubmissionError as exc:
        out = {"line": number, "errors": _submission_errors(exc, lang)}
    except RecursionError:
        out = {"line": number, "errors": [{"path": "$", "message": say(_TOO_DEEP, lang)}]}
    except Exception as exc:
        log.exception("internal error on line %d of a batch", number)
        out = {"line": number, "error": f"internal error: {type(exc).__name__}"}
    return json.dumps(out, ensure_ascii=False).encode() + b"\n"


class _DecideBatch:
    """``POST /v1/rulesets/{name}/decide-batch``: JSON Lines in, JSON Lines out, both
    streamed. A raw ASGI application (Starlette's streaming response listens for the
    client's disconnect by reading the request, which would race with reading the body
    here).

    An unknown ruleset is a 404 and a bad ``?explain`` or ``?lang`` a 422, before anything
    is read. Then the body is read as it arrives: the lines of each chunk are decided on a
    worker thread (so a long batch does not hold up other requests), their answers put in
    a :class:`_Spool`, and a task sends them from there while the request is still coming
    in; an answer for every line that is not blank, in the order of the lines. Each line
    may be ``max_body`` bytes long; there is no limit to the batch. A client that goes
    away stops the work.
    """

    def __init__(self, catalogue: Catalogue, max_body: int, spool_memory: int) -> None:
        self.catalogue = catalogue
        self.max_body = max_body
        self.spool_memory = spool_memory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        ruleset = _find(self.catalogue, request)
        if isinstance(ruleset, JSONResponse):
            await ruleset(scope, receive, send)
            return
        chosen = _options(request)
        if isinstance(chosen, JSONResponse):
            await chosen(scope, receive, send)
            return
        explain, lang = chosen
        stop = threading.Event()

        def decide(lines: list[tuple[int, bytes | None]]) -> None:
            for number, line in lines:
                if stop.is_set():
                    return
                spool.put(_answer(ruleset, number, line, explain, lang, self.max_body))

        spool = _Spool(self.spool_memory)
        try:
            async with anyio.create_task_group() as tasks:

                async def sending() -> None:
                    try:
                        await self._send(spool, send)
                    except OSError:  # the client went away (servers other than uvicorn)
                        stop.set()
                    tasks.cancel_scope.cancel()

                tasks.start_soon(sending)
                if await self._read(receive, spool, decide):
                    spool.close()
                    # The body is read: the next message says the client went away (or,
                    # when the answer is complete, nothing: then this is cancelled).
                    while (await receive())["type"] != "http.disconnect":
                        pass
                stop.set()
                tasks.cancel_scope.cancel()
        except anyio.get_cancelled_exc_class():
            # The server is stopping and its time for requests under way ran out: the
            # answer stays unfinished (the client sees it is cut off), said in one line.
            stop.set()
            log.warning("a batch on %s was cut off: the server is stopping", request.url.path)
        except Exception:
            # A line's own errors are answered on its line; this is anything else, after
            # the answer began: the connection is closed without ending the answer.
            stop.set()
            log.exception("internal error on %s %s", request.method, request.url.path)
        finally:
            spool.discard()

    async def _read(self, receive: Receive, spool: _Spool,
                    decide: Callable[[list[tuple[int, bytes | None]]], None]) -> bool:
        """Read the body, deciding each line as soon as it is in; False when the client
        went away before the end of it."""
        lines = _Lines(self.max_body)
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            more = bool(message.get("more_body", False))
            found = lines.feed(message.get("body", b""))
            if not more:
                found += lines.end()
            for at in range(0, len(found), _LINES_AT_ONCE):
                await anyio.to_thread.run_sync(decide, found[at:at + _LINES_AT_ONCE])
                spool.notify()
            if not more:
                return True

    @staticmethod
    async def _send(spool: _Spool, send: Send) -> None:
        """Begin the answer, then send the answers as they come, until the spool is
        closed and empty."""
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/x-ndjson")]})
        while True:
            data = spool.take(_SEND_SIZE)
            if data:
                await send({"type": "http.response.body", "body": data, "more_body": True})
            elif spool.closed:
                break
            else:
                await spool.wait()
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def create_app(folder: str | os.PathLike[str], *, roots: Iterable[str] = (),
               max_body: int = DEFAULT_MAX_BODY, max_file_size: int = DEFAULT_MAX_FILE_SIZE,
               poll: float = DEFAULT_POLL, spool_memory: int = SPOOL_MEMORY) -> Starlette:
    """The application serving the rulesets under ``folder``.

    The rulesets are loaded here; while the application runs (between its startup and
    shutdown: uvicorn, or Starlette's TestClient as a context manager), a background
    thread looks for changed files every ``poll`` seconds (0: never; see
    :class:`Catalogue`). ``max_body`` is the largest request body, and the largest line of
    a batch; ``spool_memory`` how many bytes of a batch's answers wait in memory for the
    client before the rest waits in a temporary file.

    Raises:
        FileNotFoundError: when ``folder`` is not a folder.
        ValueError: when ``poll`` is negative.
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(str(root))
    catalogue = Catalogue(root, tuple(roots), max_file_size, poll)
    catalogue.load()

    def guarded(handler: Handler) -> Handler:
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except _TooLarge:
                return _errors(413, [("$", msg("the request body is larger than {size:,} bytes",
                                               size=max_body))], _lang(request))
            except Exception as exc:
                log.exception("internal error on %s %s", request.method, request.url.path)
                return JSONResponse({"error": f"internal error: {type(exc).__name__}"},
                                    status_code=500)
        return run

    async def one(request: Request, kind: str) -> Response:
        ruleset = _find(catalogue, request)
        if isinstance(ruleset, JSONResponse):
            return ruleset
        chosen = _options(request)
        if isinstance(chosen, JSONResponse):
            return chosen
        explain, lang = chosen
        body = await _body(request, max_body)
        try:
            data = decode_json(_text(body))
            if kind == "decide":
                result = ruleset.decide(data, explain=explain, lang=lang).to_dict()
            elif kind == "verdict":
                result = verdict_dict(ruleset.verdict(data))
            else:
                result = ruleset.audit(data, explain=explain, lang=lang).to_dict()
        except SubmissionError as exc:
            return JSONResponse({"errors": _submission_errors(exc, lang)}, status_code=422)
        except RulesetError as exc:
            return JSONResponse({"errors": _ruleset_errors(exc, lang)}, status_code=422)
        except RecursionError:
            return _errors(422, [("$", _TOO_DEEP)], lang)
        return JSONResponse(result)

    async def decide(request: Request) -> Response:
        return await one(request, "decide")

    async def verdict(request: Request) -> Response:
        return await one(request, "verdict")

    async def audit(request: Request) -> Response:
        return await one(request, "audit")

    async def listing(request: Request) -> Response:
        return JSONResponse({"rulesets": [describe(name, rs) for name, rs in
                                          sorted(catalogue.rulesets.items())]})

    async def one_ruleset(request: Request) -> Response:
        ruleset = _find(catalogue, request)
        if isinstance(ruleset, JSONResponse):
            return ruleset
        return JSONResponse(describe(request.path_params["name"], ruleset))

    async def schema(request: Request) -> Response:
        which = request.path_params["which"]
        if which not in SCHEMAS:
            return _errors(404, [("which", msg("no schema called {name}", name=which))],
                           _lang(request))
        return JSONResponse(SCHEMAS[which])

    spec = openapi()

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(spec)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "rulesets": len(catalogue.rulesets)})

    batch = _DecideBatch(catalogue, max_body, spool_memory)
    routes = [
        Route("/healthz", guarded(healthz), methods=["GET"]),
        Route("/openapi.json", guarded(openapi_json), methods=["GET"]),
        Route("/v1/schema/{which}", guarded(schema), methods=["GET"]),
        Route("/v1/rulesets", guarded(listing), methods=["GET"]),
        Route("/v1/rulesets/{name:path}/decide-batch", batch, methods=["POST"]),
        Route("/v1/rulesets/{name:path}/decide", guarded(decide), methods=["POST"]),
        Route("/v1/rulesets/{name:path}/verdict", guarded(verdict), methods=["POST"]),
        Route("/v1/rulesets/{name:path}/audit", guarded(audit), methods=["POST"]),
        Route("/v1/rulesets/{name:path}", guarded(one_ruleset), methods=["GET"]),
    ]

    async def internal(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %s: %r", request.method, request.url.path, exc)
        return JSONResponse({"error": f"internal error: {type(exc).__name__}"},
                            status_code=500)

    async def http_error(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        return JSONResponse({"errors": [{"path": request.url.path, "message":
                                         exc.detail if isinstance(exc, HTTPException)
                                         else "error"}]}, status_code=code)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        catalogue.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(catalogue.stop)

    app = Starlette(routes=routes, middleware=[Middleware(AccessLog)],
                    exception_handlers={HTTPException: http_error, Exception: internal},
                    lifespan=lifespan)
    app.state.catalogue = catalogue
    return app


class AccessLog:
    """Structured access logs: after every HTTP request, one JSON object on one line on
    the logger ``luk_rules.serve.access`` (level INFO): ``time`` (UTC, ISO 8601),
    ``method``, ``path``, ``query``, ``status``, ``bytes`` (of the body sent), ``ms`` (from
    the request to the last byte), ``client`` (``host:port``) and ``complete`` (whether
    the answer was sent to its end: false for a batch cut off, by a client that left, an
    internal error after it began or the shutdown timeout). A request that ended in an
    internal error before its answer began is logged with status 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status, size, complete = 500, 0, False

        async def sending(message: AsgiMessage) -> None:
            nonlocal status, size, complete
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                access_log.info(json.dumps({
                    "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                    "method": scope["method"], "path": scope["path"],
                    "query": scope.get("query_string", b"").decode("latin-1"),
                    "status": status, "bytes": size,
                    "ms": round((time.perf_counter() - start) * 1000, 2),
                    "client": f"{client[0]}:{client[1]}" if client else None,
                    "complete": complete,
                }, separators=(",", ":")))


def _configure_access_log(enabled: bool) -> None:
    """The access log on standard error, each JSON line as it is (or off)."""
    if not access_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
    access_log.propagate = False
    access_log.setLevel(logging.INFO if enabled else logging.WARNING)


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the service, with the JSON Schemas of ``luk schema``."""
    schemas = {name.capitalize(): copy.deepcopy(s) for name, s in SCHEMAS.items()}
    problems = {"type": "array", "items": {"type": "object", "required": ["path", "message"],
                                           "properties": {"path": {"type": "string"},
                                                          "message": {"type": "string"}}}}
    errors = {"type": "object", "required": ["errors"], "properties": {"errors": problems}}
    schemas["Errors"] = errors
    verdict = {"type": "object", "required": ["status", "law", "combination", "missing",
                                              "findings"]}
    schemas["Verdict"] = verdict

    def ref(name: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{name}"}

    def answer(description: str, schema: dict[str, Any],
               media: str = "application/json") -> dict[str, Any]:
        return {"description": description, "content": {media: {"schema": schema}}}

    failures = {"404": answer("no such ruleset", ref("Errors")),
                "413": answer("the body is larger than the limit", ref("Errors")),
                "422": answer("invalid JSON or an invalid input: every problem's JSON path "
                              "and message", ref("Errors"))}
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "the ruleset's path under the folder without .luk"}
    query = [{"name": "explain", "in": "query", "required": False,
              "schema": {"enum": ["plain", "proof"]}},
             {"name": "lang", "in": "query", "required": False,
              "schema": {"enum": list(LANGUAGES)}}]

    def post(summary: str, body: str, result: dict[str, Any], media: str = "application/json"
             ) -> dict[str, Any]:
        return {"post": {"summary": summary, "parameters": [name, *query],
                         "requestBody": {"required": True,
                                         "content": {media: {"schema": ref(body)}}},
                         "responses": {"200": answer("the result", result, media),
                                       **failures}}}

    schemas["LineErrors"] = {
        "type": "object", "required": ["line"], "properties": {
            "line": {"type": "integer", "minimum": 1,
                     "description": "the line's number in the request, blank lines counted"},
            "errors": problems,
            "error": {"type": "string", "description": "internal error: KIND (a bug)"}}}
    batch = post("decide submissions, one JSON object a line (JSON Lines); one decision or "
                 "error object a line back, in the order of the lines, streamed",
                 "Submission", {"oneOf": [ref("Decision"), ref("LineErrors")]},
                 "application/x-ndjson")
    batch["post"]["description"] = (
        "The lines are read as they arrive and each is decided as soon as it is in; the "
        "answers are sent while the request is still coming in. Each line may be as long "
        "as the body of a single request (--max-body, 1 MiB by default); a longer line, "
        "a line that is not UTF-8 or not JSON, and an invalid submission are answered with "
        "{\"line\": N, \"errors\": [...]} on their line of the answer, and the batch goes "
        "on. A batch as a whole has no size limit. Blank lines are skipped (but counted).")
    del batch["post"]["responses"]["413"]
    batch["post"]["responses"]["422"] = answer("a bad explain or lang (before any line is "
                                               "read)", ref("Errors"))
    listed = {"type": "object", "properties": {
        "name": {"type": "string"}, "programme": {"type": "string"},
        "title": {"type": "string"}, "forms": {"type": "array", "items": {"type": "string"}},
        "level": {"type": "string"}, "law": {"type": "array", "items": {"type": "string"}}}}
    schemas["RulesetInfo"] = listed
    paths: dict[str, Any] = {
        "/healthz": {"get": {"summary": "the service is up",
                             "responses": {"200": {"description": "up"}}}},
        "/v1/rulesets": {"get": {"summary": "the rulesets served", "responses": {
            "200": answer("the rulesets", {"type": "object", "properties": {
                "rulesets": {"type": "array", "items": ref("RulesetInfo")}}})}}},
        "/v1/rulesets/{name}": {"get": {"summary": "one ruleset", "parameters": [name],
                                        "responses": {"200": answer("the ruleset",
                                                                    ref("RulesetInfo")),
                                                      "404": failures["404"]}}},
        "/v1/rulesets/{name}/decide": post("decide a submission", "Submission",
                                           ref("Decision")),
        "/v1/rulesets/{name}/verdict": post("a decision in brief", "Submission",
                                            ref("Verdict")),
        "/v1/rulesets/{name}/audit": post("audit a study record", "Record", ref("Audit")),
        "/v1/rulesets/{name}/decide-batch": batch,
        "/v1/schema/{which}": {"get": {"summary": "a JSON Schema", "parameters": [
            {"name": "which", "in": "path", "required": True,
             "schema": {"enum": sorted(SCHEMAS)}}],
            "responses": {"200": answer("the schema", {"type": "object"})}}},
    }
    return {"openapi": "3.1.0",
            "info": {"title": "luk_rules", "version": "0.1.0",
                     "description": "Dutch exam regulations as rules: decide submissions "
                                    "and audit study records (docs/serve.md)."},
            "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
            "paths": paths, "components": {"schemas": schemas}}


def app_from_environment() -> Starlette:
    """The application for uvicorn's worker processes, configured by :func:`run` through
    ``LUK_SERVE_*`` environment variables (a factory: uvicorn imports it by name)."""
    env = os.environ
    _configure_access_log(env.get(_ENV_PREFIX + "ACCESS_LOG", "1") == "1")
    roots = [r for r in env.get(_ENV_PREFIX + "ROOTS", "").split(os.pathsep) if r]
    return create_app(env[_ENV_PREFIX + "FOLDER"], roots=roots,
                      max_body=int(env.get(_ENV_PREFIX + "MAX_BODY", DEFAULT_MAX_BODY)),
                      max_file_size=int(env.get(_ENV_PREFIX + "MAX_FILE_SIZE",
                                                DEFAULT_MAX_FILE_SIZE)),
                      poll=float(env.get(_ENV_PREFIX + "POLL", DEFAULT_POLL)))


def run(folder: str, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
        roots: Iterable[str] = (), max_body: int = DEFAULT_MAX_BODY,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE, poll: float = DEFAULT_POLL,
        access_log: bool = True, shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT) -> None:
    """Serve the rulesets under ``folder`` until SIGINT or SIGTERM (uvicorn's graceful
    shutdown: requests under way are answered first, for at most ``shutdown_timeout``
    seconds; then they are cut off). Each worker process loads the rulesets and looks for
    changed files every ``poll`` seconds itself."""
    import uvicorn

    os.environ.update({_ENV_PREFIX + "FOLDER": str(folder),
                       _ENV_PREFIX + "ROOTS": os.pathsep.join(roots),
                       _ENV_PREFIX + "MAX_BODY": str(max_body),
                       _ENV_PREFIX + "MAX_FILE_SIZE": str(max_file_size),
                       _ENV_PREFIX + "POLL": repr(float(poll)),
                       _ENV_PREFIX + "ACCESS_LOG": "1" if access_log else "0"})
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    # uvicorn shuts down gracefully on SIGINT and SIGTERM, then raises the signal again
    # for the handler it found: a quiet one here, so that a stop on request exits 0.
    saved = {s: signal.signal(s, _stopped) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if workers > 1:
            with _tcp_nodelay(uvicorn.Config):
                uvicorn.run("luk_rules.serve:app_from_environment", factory=True, host=host,
                            port=port, workers=workers, access_log=False,
                            timeout_graceful_shutdown=math.ceil(shutdown_timeout))
        else:
            uvicorn.run(app_from_environment(), host=host, port=port, access_log=False,
                        timeout_graceful_shutdown=math.ceil(shutdown_timeout))
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def _tcp_nodelay(config: Any) -> Iterator[None]:
    """For worker processes uvicorn binds the socket itself, without saying it is TCP;
    asyncio then leaves TCP_NODELAY off on the connections it accepts, and Nagle's
    algorithm with the client's delayed ACK adds ~40 ms to every answer (written in two
    parts). Here the bound socket is named a TCP socket, as a single process's is."""
    bind = config.bind_socket

    def bind_tcp(self: Any) -> socket.socket:
        sock: socket.socket = bind(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP,
                                 fileno=sock.detach())
        return sock

    config.bind_socket = bind_tcp
    try:
        yield
    finally:
        config.bind_socket = bind


def _stopped(signum: int, frame: object) -> None:
    """After uvicorn's shutdown: the stop asked for, nothing more to do."""


__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_POLL", "SPOOL_MEMORY", "AccessLog", "Catalogue",
           "Changes", "create_app", "openapi",
           "ruleset_files", "run"]
