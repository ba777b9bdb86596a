"""``luk serve``: the rulesets of a folder over HTTP (docs/serve.md).

An ASGI application on Starlette, run by uvicorn (the ``serve`` extra). The only module that
imports them; ``luk_rules.cli`` imports this one only for ``luk serve``.

Every ruleset under the folder is loaded once (a ``*.luk`` file that declares a
``programme``, not under a ``law`` folder), named by its path under the folder without
``.luk`` (``examples/bouwkunde-deeltijd``), and reloaded when a ``.luk`` file under the
folder changes; a broken edit keeps the last good version serving and logs its diagnostics.

The answers are exactly what the library gives (``Decision.to_dict()``, the JSON of ``luk
decide --format json``); an invalid input is a 422 with every problem's JSON path and
message, an unknown ruleset a 404, a body over the limit a 413, and anything unforeseen a
500 with a one-line JSON error (logged with its traceback), never a traceback to the client.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import logging
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
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
#: How often (seconds) at most the files are looked at for changes.
DEFAULT_POLL: Final = 1.0
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


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a ``.luk`` file under ``folder`` is edited, added or removed."""
    out: list[tuple[str, int, int]] = []
    for path in sorted(folder.rglob("*.luk")):
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


@dataclass
class Catalogue:
    """The rulesets of a folder, loaded once and reloaded when their files change.

    Thread-safe: a reload replaces the mapping as a whole, under a lock; readers take the
    mapping as it is.
    """

    folder: Path
    roots: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    poll: float = DEFAULT_POLL
    rulesets: dict[str, api.Ruleset] = field(default_factory=dict)
    _stamp: tuple[tuple[str, int, int], ...] = ()
    _checked: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self) -> None:
        """Load (or reload) every ruleset; one that fails keeps its last good version,
        and its diagnostics are logged."""
        with self._lock:
            stamp = _stamp(self.folder)
            loaded: dict[str, api.Ruleset] = {}
            for name, path in ruleset_files(self.folder).items():
                try:
                    loaded[name] = api.load(path, roots=self.roots,
                                            max_file_size=self.max_file_size)
                except RulesetError as exc:
                    diagnostics, sources = exc.for_person()
                    shown = "\n".join(render_text(d, sources) for d in
                                      sorted(diagnostics, key=sort_key) if d.is_error)
                    kept = "keeping the last good version" if name in self.rulesets \
                        else "not serving it"
                    log.error("ruleset %s is not valid (%s):\n%s", name, kept, shown)
                    if name in self.rulesets:
                        loaded[name] = self.rulesets[name]
                except LukError as exc:
                    log.error("ruleset %s cannot be loaded: %s", name, exc)
                    if name in self.rulesets:
                        loaded[name] = self.rulesets[name]
            self.rulesets = loaded
            self._stamp = stamp
            self._checked = time.monotonic()
            log.info("serving %d rulesets from %s", len(loaded), self.folder)

    def refresh(self) -> None:
        """Reload when a ``.luk`` file changed, looking at most once every ``poll`` seconds."""
        now = time.monotonic()
        if now - self._checked < self.poll:
            return
        self._checked = now
        if _stamp(self.folder) != self._stamp:
            log.info("a ruleset file changed under %s: reloading", self.folder)
            self.load()

    def get(self, name: str) -> api.Ruleset | None:
        """The ruleset called ``name``, or None."""
        self.refresh()
        return self.rulesets.get(name)


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


def create_app(folder: str | os.PathLike[str], *, roots: Iterable[str] = (),
               max_body: int = DEFAULT_MAX_BODY, max_file_size: int = DEFAULT_MAX_FILE_SIZE,
               poll: float = DEFAULT_POLL) -> Starlette:
    """The application serving the rulesets under ``folder``.

    Raises:
        FileNotFoundError: when ``folder`` is not a folder.
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

    def options(request: Request) -> tuple[bool, Lang] | JSONResponse:
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

    def find(request: Request) -> api.Ruleset | JSONResponse:
        name = request.path_params["name"]
        ruleset = catalogue.get(name)
        if ruleset is None:
            return _errors(404, [("name", msg("no ruleset called {name}", name=name))],
                           _lang(request))
        return ruleset

    async def one(request: Request, kind: str) -> Response:
        ruleset = find(request)
        if isinstance(ruleset, JSONResponse):
            return ruleset
        chosen = options(request)
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

    async def batch(request: Request) -> Response:
        ruleset = find(request)
        if isinstance(ruleset, JSONResponse):
            return ruleset
        chosen = options(request)
        if isinstance(chosen, JSONResponse):
            return chosen
        explain, lang = chosen

        def answer(number: int, line: bytes) -> str:
            try:
                data = decode_json(_text(line))
                out: dict[str, Any] = ruleset.decide(data, explain=explain, lang=lang).to_dict()
            except SubmissionError as exc:
                out = {"line": number, "errors": _submission_errors(exc, lang)}
            except RecursionError:
                out = {"line": number, "errors": [{"path": "$",
                                                   "message": say(_TOO_DEEP, lang)}]}
            except Exception as exc:
                log.exception("internal error on line %d of a batch", number)
                out = {"line": number, "error": f"internal error: {type(exc).__name__}"}
            return json.dumps(out, ensure_ascii=False) + "\n"

        # The whole body is read first (within the limit): a response that streams while
        # the request is still being read would race Starlette's disconnect listener.
        body = await _body(request, max_body)

        def lines() -> Iterator[str]:
            for number, line in enumerate(body.split(b"\n"), 1):
                if line.strip():
                    yield answer(number, line)

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    async def listing(request: Request) -> Response:
        catalogue.refresh()
        return JSONResponse({"rulesets": [describe(name, rs) for name, rs in
                                          sorted(catalogue.rulesets.items())]})

    async def one_ruleset(request: Request) -> Response:
        ruleset = find(request)
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

    routes = [
        Route("/healthz", guarded(healthz), methods=["GET"]),
        Route("/openapi.json", guarded(openapi_json), methods=["GET"]),
        Route("/v1/schema/{which}", guarded(schema), methods=["GET"]),
        Route("/v1/rulesets", guarded(listing), methods=["GET"]),
        Route("/v1/rulesets/{name:path}/decide-batch", guarded(batch), methods=["POST"]),
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

    app = Starlette(routes=routes, middleware=[Middleware(AccessLog)],
                    exception_handlers={HTTPException: http_error, Exception: internal})
    app.state.catalogue = catalogue
    return app


class AccessLog:
    """Structured access logs: after every HTTP request, one JSON object on one line on
    the logger ``luk_rules.serve.access`` (level INFO): ``time`` (UTC, ISO 8601),
    ``method``, ``path``, ``query``, ``status``, ``bytes`` (of the body sent), ``ms`` (from
    the request to the last byte) and ``client`` (``host:port``). A request that ended
    in an internal error is logged with status 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status, size = 500, 0

        async def sending(message: AsgiMessage) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
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
    errors = {"type": "object", "required": ["errors"], "properties": {"errors": {
        "type": "array", "items": {"type": "object", "required": ["path", "message"],
                                   "properties": {"path": {"type": "string"},
                                                  "message": {"type": "string"}}}}}}
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
        "/v1/rulesets/{name}/decide-batch": post(
            "decide submissions, one JSON object a line; one decision or error object a line "
            "back, streamed", "Submission", ref("Decision"), "application/x-ndjson"),
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
                                                DEFAULT_MAX_FILE_SIZE)))


def run(folder: str, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
        roots: Iterable[str] = (), max_body: int = DEFAULT_MAX_BODY,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE, access_log: bool = True) -> None:
    """Serve the rulesets under ``folder`` until SIGINT or SIGTERM (uvicorn's graceful
    shutdown: requests under way are answered first)."""
    import uvicorn

    os.environ.update({_ENV_PREFIX + "FOLDER": str(folder),
                       _ENV_PREFIX + "ROOTS": os.pathsep.join(roots),
                       _ENV_PREFIX + "MAX_BODY": str(max_body),
                       _ENV_PREFIX + "MAX_FILE_SIZE": str(max_file_size),
                       _ENV_PREFIX + "ACCESS_LOG": "1" if access_log else "0"})
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    # uvicorn shuts down gracefully on SIGINT and SIGTERM, then raises the signal again
    # for the handler it found: a quiet one here, so that a stop on request exits 0.
    saved = {s: signal.signal(s, _stopped) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if workers > 1:
            with _tcp_nodelay(uvicorn.Config):
                uvicorn.run("luk_rules.serve:app_from_environment", factory=True, host=host,
                            port=port, workers=workers, access_log=False)
        else:
            uvicorn.run(app_from_environment(), host=host, port=port, access_log=False)
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


__all__ = ["DEFAULT_MAX_BODY", "AccessLog", "Catalogue", "create_app", "openapi",
           "ruleset_files", "run"]
