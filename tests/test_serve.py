"""`luk serve` (luk_rules.serve, docs/serve.md): the rulesets of a folder over HTTP.

Most tests use Starlette's TestClient in process; one starts the real server (uvicorn) as a
subprocess, answers 200 concurrent requests and stops on SIGTERM.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("httpx")

import jsonschema
from starlette.testclient import TestClient

import luk_rules
from luk_rules import serve

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
EXAMPLES = RULESETS / "examples"


def _scenarios(pattern: str, key: str) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in sorted(EXAMPLES.glob(pattern)):
        if pattern == "*.scenarios.json" and path.name.count(".") > 2:
            continue  # *.audit.scenarios.json, *.entry.scenarios.json: done separately
        document = json.loads(path.read_text(encoding="utf-8"))
        name = "examples/" + document["ruleset"].removesuffix(".luk")
        out.extend((name, s["name"], s[key]) for s in document["scenarios"] if key in s)
    return out


DECIDE = _scenarios("*.scenarios.json", "submission") + _scenarios(
    "*.entry.scenarios.json", "submission")
AUDIT = _scenarios("*.audit.scenarios.json", "record")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(serve.create_app(RULESETS), raise_server_exceptions=False) as c:
        yield c


_LOADED: dict[str, luk_rules.Ruleset] = {}


def _library(name: str) -> luk_rules.Ruleset:
    if name not in _LOADED:
        _LOADED[name] = luk_rules.load(RULESETS / f"{name}.luk")
    return _LOADED[name]


def test_the_rulesets_are_listed(client: TestClient) -> None:
    listed = client.get("/v1/rulesets").json()["rulesets"]
    names = [r["name"] for r in listed]
    assert "examples/bouwkunde-deeltijd" in names
    assert not any(n.startswith("law/") for n in names)
    assert "examples/bouwkunde-units" not in names  # only included by others
    one = client.get("/v1/rulesets/examples/bouwkunde-deeltijd").json()
    assert one["programme"] == "BK" and one["forms"] == ["deeltijd"]
    assert "wet-leeruitkomsten" in one["law"]
    assert client.get("/healthz").json()["status"] == "ok"


def test_every_example_scenario_is_decided_as_the_library_decides_it(
        client: TestClient) -> None:
    assert len(DECIDE) > 20
    for name, scenario, submission in DECIDE:
        ruleset = _library(name)
        try:
            expected: Any = ruleset.decide(submission).to_dict()
            status = 200
        except luk_rules.SubmissionError as exc:
            expected = {"errors": [{"path": p.path, "message": str(p.message)}
                                   for p in exc.problems]}
            status = 422
        answer = client.post(f"/v1/rulesets/{name}/decide", json=submission)
        assert (answer.status_code, answer.json()) == (status, expected), scenario


def test_explain_and_lang_are_the_library_s(client: TestClient) -> None:
    name, _, submission = DECIDE[0]
    answer = client.post(f"/v1/rulesets/{name}/decide?explain=proof&lang=nl", json=submission)
    assert answer.json() == _library(name).decide(submission, explain=True, lang="nl").to_dict()
    bad = client.post(f"/v1/rulesets/{name}/decide?explain=why", json=submission)
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "?explain"


def test_verdict_and_audit(client: TestClient) -> None:
    name, _, submission = DECIDE[0]
    verdict = client.post(f"/v1/rulesets/{name}/verdict", json=submission).json()
    assert verdict["status"] == _library(name).verdict(submission).status
    assert AUDIT
    for name, scenario, record in AUDIT:
        answer = client.post(f"/v1/rulesets/{name}/audit", json=record)
        assert answer.json() == _library(name).audit(record).to_dict(), scenario


def test_an_invalid_submission_is_a_422_with_every_path(client: TestClient) -> None:
    name, _, submission = DECIDE[0]
    broken = {**submission, "date": "2024-02-31", "units": 3}
    answer = client.post(f"/v1/rulesets/{name}/decide", json=broken)
    assert answer.status_code == 422
    paths = [e["path"] for e in answer.json()["errors"]]
    assert "$.date" in paths and "$.units" in paths
    assert all(e["message"] for e in answer.json()["errors"])
    for body in (b"{not json", b"", b"\xff\xfe{", b"[" * 100_000):
        answer = client.post(f"/v1/rulesets/{name}/decide", content=body)
        assert answer.status_code == 422, body[:10]
        assert answer.json()["errors"][0]["path"] == "$"


def test_the_errors_speak_the_language_asked_for(client: TestClient) -> None:
    name, _, submission = DECIDE[0]
    broken = {**submission, "date": "2024-02-31"}
    english = client.post(f"/v1/rulesets/{name}/decide", json=broken).json()["errors"]
    dutch = client.post(f"/v1/rulesets/{name}/decide?lang=nl", json=broken).json()["errors"]
    assert [e["path"] for e in dutch] == [e["path"] for e in english]
    assert dutch != english
    missing = client.get("/v1/rulesets/nope?lang=nl").json()["errors"][0]["message"]
    assert missing == "geen regelset met de naam nope"
    answer = client.post(f"/v1/rulesets/{name}/decide", content=b"\xff{}")
    assert answer.json()["errors"] == [{"path": "$", "message": "not UTF-8 text (byte 0)"}]


def test_unknown_is_404_and_too_large_is_413(client: TestClient) -> None:
    assert client.get("/v1/rulesets/nope").status_code == 404
    assert client.post("/v1/rulesets/nope/decide", json={}).status_code == 404
    assert client.get("/v1/schema/nope").status_code == 404
    assert client.get("/nothing").json()["errors"][0]["message"] == "Not Found"
    assert client.post("/healthz").status_code == 405
    name = DECIDE[0][0]
    big = b" " * (serve.DEFAULT_MAX_BODY + 1)
    answer = client.post(f"/v1/rulesets/{name}/decide", content=big)
    assert answer.status_code == 413 and answer.json()["errors"]


def test_the_body_limit_is_configurable() -> None:
    with TestClient(serve.create_app(RULESETS, max_body=100)) as small:
        name, _, submission = DECIDE[0]
        answer = small.post(f"/v1/rulesets/{name}/decide", json=submission)
        assert answer.status_code == 413


def test_batch_answers_every_line(client: TestClient) -> None:
    name = DECIDE[0][0]
    mine = [s for n, _, s in DECIDE if n == name]
    lines = [json.dumps(s) for s in mine] + ["{bad", json.dumps({"id": 3})]
    answer = client.post(f"/v1/rulesets/{name}/decide-batch", content="\n".join(lines) + "\n")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    got = [json.loads(line) for line in answer.text.splitlines()]
    assert len(got) == len(lines)
    for submission, result in zip(mine, got, strict=False):
        assert result == _library(name).decide(submission).to_dict()
    assert got[-2]["line"] == len(lines) - 1 and got[-2]["errors"][0]["path"] == "$"
    assert got[-1]["line"] == len(lines) and any(
        e["path"] == "$.id" for e in got[-1]["errors"])


def test_schemas_and_openapi(client: TestClient) -> None:
    for which, schema in serve.SCHEMAS.items():
        assert client.get(f"/v1/schema/{which}").json() == schema
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["schemas"]["Decision"] == serve.SCHEMAS["decision"]
    for path in ("/v1/rulesets", "/v1/rulesets/{name}/decide", "/v1/rulesets/{name}/audit",
                 "/v1/rulesets/{name}/decide-batch", "/v1/schema/{which}", "/healthz"):
        assert path in spec["paths"]
    name, _, submission = DECIDE[0]
    decision = client.post(f"/v1/rulesets/{name}/decide?explain=plain", json=submission).json()
    jsonschema.validate(decision, spec["components"]["schemas"]["Decision"])


def test_an_internal_error_is_a_one_line_500(client: TestClient,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    name, _, submission = DECIDE[0]

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("secret detail")

    monkeypatch.setattr(luk_rules.Ruleset, "decide", boom)
    answer = client.post(f"/v1/rulesets/{name}/decide", json=submission)
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal error: ValueError"}


def _copy_rulesets(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    shutil.copytree(RULESETS / "law", tmp_path / "law")
    return tmp_path


def _edit(path: Path, text: str, step: int = 1) -> None:
    """Write ``text`` and move the modification time ``step`` seconds on, so that the
    change is seen however coarse the file system's clock."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(time.time_ns() + step * 10**9,) * 2)


def _wait_for(condition: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.02)


BOUWKUNDE_UNITS = {"examples/bouwkunde-deeltijd", "examples/bouwkunde-voltijd",
                   "examples/bouwkunde-voltijd-evl", "examples/bouwkunde-voltijd-praktijk"}


def test_a_changed_include_reloads_only_the_rulesets_that_read_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A check loads again only the rulesets one of whose files changed: an included file
    reloads those that include it, a replaced ruleset those that replace it; nothing
    changed, nothing loaded."""
    folder = _copy_rulesets(tmp_path)
    catalogue = serve.Catalogue(folder, poll=0)
    catalogue.load()
    before = dict(catalogue.rulesets)
    assert set(before) > BOUWKUNDE_UNITS
    loads: list[Path] = []
    real_load = serve.api.load

    def counting(path: Any, **kwargs: Any) -> luk_rules.Ruleset:
        loads.append(Path(path))
        return real_load(path, **kwargs)

    monkeypatch.setattr(serve.api, "load", counting)
    assert not catalogue.check() and loads == []
    units = folder / "examples" / "bouwkunde-units.luk"
    _edit(units, units.read_text(encoding="utf-8") + "\n# a comment\n")
    with caplog.at_level(logging.INFO, logger="luk_rules.serve"):
        changes = catalogue.check()
    assert set(changes.loaded) == BOUWKUNDE_UNITS and not changes.failed
    assert sorted(p.stem for p in loads) == sorted(n.split("/")[1] for n in BOUWKUNDE_UNITS)
    for name, ruleset in catalogue.rulesets.items():
        assert (ruleset is before[name]) == (name not in BOUWKUNDE_UNITS), name
    assert any("reloaded" in r.getMessage() and "examples/bouwkunde-deeltijd" in
               r.getMessage() for r in caplog.records)
    loads.clear()
    voltijd = folder / "examples" / "bouwkunde-voltijd.luk"
    _edit(voltijd, voltijd.read_text(encoding="utf-8") + "\n", step=2)
    assert set(catalogue.check().loaded) == {"examples/bouwkunde-voltijd",
                                             "examples/bouwkunde-voltijd-evl",
                                             "examples/bouwkunde-voltijd-praktijk"}
    loads.clear()
    law = folder / "law" / "voltijd-uitbreiding.luk"
    _edit(law, law.read_text(encoding="utf-8") + "\n", step=3)
    reloaded = set(catalogue.check().loaded)
    assert reloaded == {n for n, r in catalogue.rulesets.items() if law.resolve() in r.files}
    assert "examples/ds-master-deeltijd" not in reloaded and reloaded


def test_the_watcher_loads_new_drops_removed_and_keeps_the_last_good_of_a_broken_edit(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With the application running, a background thread looks every `poll` seconds,
    without any request: a new ruleset file is served, a removed one is not, a broken edit
    keeps the last good version and logs its diagnostics, and a ruleset that did not load
    is tried again when it is fixed. The thread ends with the application."""
    folder = _copy_rulesets(tmp_path)
    app = serve.create_app(folder, poll=0.05)
    catalogue = app.state.catalogue
    name = "examples/bouwkunde-deeltijd"
    path = folder / f"{name}.luk"
    text = path.read_text(encoding="utf-8")
    copy = folder / "examples" / "copy.luk"
    def watchers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "luk-serve-reload"}

    others = watchers()  # the module's client has its own
    with caplog.at_level(logging.INFO, logger="luk_rules.serve"), TestClient(app) as c:
        mine = watchers() - others
        assert len(mine) == 1
        _edit(copy, (EXAMPLES / "ds-master-deeltijd.luk").read_text(encoding="utf-8"))
        _wait_for(lambda: "examples/copy" in catalogue.rulesets, "the new ruleset")
        listed = [r["name"] for r in c.get("/v1/rulesets").json()["rulesets"]]
        assert "examples/copy" in listed
        copy.unlink()
        _wait_for(lambda: "examples/copy" not in catalogue.rulesets, "the removed ruleset")
        assert c.get("/v1/rulesets/examples/copy").status_code == 404

        _edit(path, text.replace('"Bouwkunde"', '"Bouwkunde nieuw"', 1), step=2)
        _wait_for(lambda: catalogue.rulesets[name].ir.programme.title == "Bouwkunde nieuw",
                  "the changed ruleset")
        assert c.get(f"/v1/rulesets/{name}").json()["title"] == "Bouwkunde nieuw"
        good = catalogue.rulesets[name]
        _edit(path, text + "\nthis is not a rule\n", step=3)
        _wait_for(lambda: any("not valid (keeping the last good version)" in r.getMessage()
                              for r in caplog.records), "the broken edit's diagnostics")
        assert catalogue.rulesets[name] is good
        assert c.get(f"/v1/rulesets/{name}").json()["title"] == "Bouwkunde nieuw"
        broken = next(r.getMessage() for r in caplog.records
                      if "not valid (keeping" in r.getMessage())
        assert name in broken and "error" in broken and "bouwkunde-deeltijd.luk" in broken

        _edit(copy, "programme X \"X\"\n  nonsense\n", step=4)
        _wait_for(lambda: any("examples/copy is not valid (not serving it)" in
                              r.getMessage() for r in caplog.records), "the broken new file")
        assert "examples/copy" not in catalogue.rulesets
        _edit(copy, (EXAMPLES / "ds-master-deeltijd.luk").read_text(encoding="utf-8"), step=5)
        _wait_for(lambda: "examples/copy" in catalogue.rulesets, "the fixed new ruleset")
        _edit(path, text, step=6)
        _wait_for(lambda: catalogue.rulesets[name].ir.programme.title == "Bouwkunde",
                  "the fixed ruleset")
    assert not any(t.is_alive() for t in mine)


def test_requests_do_not_reload(tmp_path: Path) -> None:
    """Without the watcher (poll 0), a changed file is not loaded by a request; a check
    loads it."""
    folder = _copy_rulesets(tmp_path)
    with TestClient(serve.create_app(folder, poll=0)) as c:
        name = "examples/bouwkunde-deeltijd"
        path = folder / f"{name}.luk"
        _edit(path, path.read_text(encoding="utf-8").replace('"Bouwkunde"', '"Nieuw"', 1))
        assert c.get(f"/v1/rulesets/{name}").json()["title"] == "Bouwkunde"
        c.app.state.catalogue.check()  # type: ignore[attr-defined]
        assert c.get(f"/v1/rulesets/{name}").json()["title"] == "Nieuw"
    with pytest.raises(ValueError):
        serve.Catalogue(folder, poll=-1)


def test_without_the_extra_luk_serve_says_what_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "starlette"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('blocked')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run([sys.executable, "-m", "luk_rules.cli", "serve", str(RULESETS)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "luk-rules[serve]" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_the_real_server_answers_200_concurrent_requests_and_stops_on_sigterm() -> None:
    """`luk serve` on a free localhost port decides every example scenario as the library
    does, among more than 200 concurrent requests (a third of them invalid, 422 with the
    JSON path), and stops cleanly on SIGTERM."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "luk_rules.cli", "serve", str(RULESETS), "--port", str(port),
         "--no-access-log"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.1)
        expected = {}
        cases = [(n, s) for n, _, s in DECIDE]
        asked = 3 * len(cases)  # each case asked three times: once invalid, twice valid
        assert asked >= 200
        for i, (name, submission) in enumerate(cases):
            try:
                expected[i] = (200, _library(name).decide(submission).to_dict())
            except luk_rules.SubmissionError:
                expected[i] = (422, None)

        def ask(k: int) -> tuple[int, int, Any]:
            i = k % len(cases)
            name, submission = cases[i]
            valid = k >= len(cases)  # the first round invalid, the next two valid
            body = json.dumps(submission if valid else {**submission, "date": "no"}).encode()
            request = urllib.request.Request(f"{base}/v1/rulesets/{name}/decide", data=body,
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as r:
                    return k, r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return k, e.code, json.loads(e.read())

        with ThreadPoolExecutor(max_workers=32) as pool:
            answers = list(pool.map(ask, range(asked)))
        assert len(answers) == asked
        for k, status, body in answers:
            i = k % len(cases)
            if k < len(cases):
                assert status == 422 and any(e["path"] == "$.date" for e in body["errors"])
            else:
                assert (status, body if status == 200 else None) == expected[i]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
        _, err = server.communicate()
    assert code == 0, err


def test_every_request_is_one_json_line_in_the_access_log(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    """Structured access logs: method, path, query, status, bytes, ms and client of each
    request, as one JSON object on the logger `luk_rules.serve.access`."""
    with caplog.at_level(logging.INFO, logger="luk_rules.serve.access"):
        client.get("/healthz")
        client.get("/v1/rulesets/no-such-ruleset")
    lines = [json.loads(r.getMessage()) for r in caplog.records
             if r.name == "luk_rules.serve.access"]
    assert [(x["method"], x["path"], x["status"]) for x in lines] == [
        ("GET", "/healthz", 200), ("GET", "/v1/rulesets/no-such-ruleset", 404)]
    assert all(x["bytes"] > 0 and x["ms"] >= 0 and x["time"].endswith("+00:00")
               for x in lines)
