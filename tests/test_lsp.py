"""`luk lsp` driven through the protocol: the server runs as a process (`python -m
luk_rules.cli lsp`) and this test speaks JSON-RPC to it over its standard input and output
(Content-Length framing), as an editor does (docs/editor.md)."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

pytest.importorskip("pygls")

from luk_rules import pipeline, printer
from luk_rules.parse import parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "rulesets" / "examples"
BK_DEELTIJD = EXAMPLES / "bouwkunde-deeltijd.luk"
TIMEOUT = 20.0

BROKEN = """\
unit U1 "Een eenheid"
  credits 5
  outcome 1 "Kan iets"
  accepts beroepsproduct

assessment A1 "Een beoordeling"
  portfolio
  assesses U1, NOPE
"""


class Client:
    """A minimal LSP client: requests wait for their response; notifications are kept."""

    def __init__(self, locale: str | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "luk_rules.cli", "lsp"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.next_id = 0
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        self.initialized = self.request("initialize", {
            "processId": os.getpid(), "rootUri": ROOT.as_uri(), "capabilities": {},
            **({"locale": locale} if locale else {})})
        self.notify("initialized", {})

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.messages.get(timeout=TIMEOUT)
            if message.get("id") == self.next_id and "method" not in message:
                assert "error" not in message, message
                return message.get("result")
            self.notifications.append(message)

    def diagnostics(self, uri: str) -> list[dict[str, Any]]:
        """The next diagnostics published for ``uri``."""
        while True:
            for i, message in enumerate(self.notifications):
                if (message.get("method") == "textDocument/publishDiagnostics"
                        and message["params"]["uri"] == uri):
                    del self.notifications[i]
                    found: list[dict[str, Any]] = message["params"]["diagnostics"]
                    return found
            self.notifications.append(self.messages.get(timeout=TIMEOUT))

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "luk", "version": 1,
            "text": path.read_text(encoding="utf-8") if text is None else text}})
        return uri

    def close(self) -> int:
        assert self.request("shutdown", None) is None
        self.notify("exit", None)
        code = self.process.wait(timeout=TIMEOUT)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return code


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    c = Client()
    try:
        yield c
    finally:
        if c.process.poll() is None:
            c.process.kill()
            c.process.wait()


def _position(path: Path, text: str, needle: str, offset: int = 0) -> dict[str, int]:
    """The 0-based position of ``needle`` (plus ``offset`` characters) in ``text``."""
    for number, line in enumerate(text.split("\n")):
        column = line.find(needle)
        if column >= 0:
            return {"line": number, "character": column + offset}
    raise AssertionError(f"{needle!r} not in {path}")


def test_the_server_says_what_it_can(client: Client) -> None:
    capabilities = client.initialized["capabilities"]
    for feature in ("hoverProvider", "definitionProvider", "completionProvider",
                    "documentFormattingProvider", "documentSymbolProvider"):
        assert capabilities.get(feature) not in (None, False), feature


def test_a_broken_buffer_gets_the_diagnostics_of_luk_check(client: Client,
                                                          tmp_path: Path) -> None:
    """The buffer is checked, not the disk: the file holds a clean text, the editor a broken
    one; its diagnostics are those of `luk check` (code, message, hint), ranges 0-based."""
    path = tmp_path / "broken.luk"
    path.write_text('unit U1 "Een eenheid"\n  credits 5\n', encoding="utf-8")
    uri = client.open(path, BROKEN)
    got = client.diagnostics(uri)
    expected = pipeline.analyse(path, text=BROKEN).diagnostics
    assert expected and any(d.is_error for d in expected)
    assert [d["code"] for d in got] == [d.code for d in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine["range"] == {
            "start": {"line": theirs.span.line - 1, "character": theirs.span.column - 1},
            "end": {"line": theirs.span.end_line - 1, "character": theirs.span.end_column - 1}}
        assert mine["message"].startswith(theirs.message.in_language("en"))
        if theirs.hint:
            assert theirs.hint.in_language("en") in mine["message"]
    nope = _position(path, BROKEN, "NOPE")
    assert any(d["range"]["start"] == nope for d in got)
    # Fixed as you type: that diagnostic goes away.
    fixed = BROKEN.replace(", NOPE", "")
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]})
    after = client.diagnostics(uri)
    assert len(after) == len(got) - 1
    assert not any(d["range"]["start"] == nope for d in after)


def test_ranges_count_utf16_code_units(client: Client, tmp_path: Path) -> None:
    """A span counts characters; the protocol (by default) UTF-16 code units: a character
    beyond the BMP before a name moves its range by two."""
    text = ('unit U1 "Een eenheid"\n  credits 5\n\n'
            'rule r "\U0001d518\U0001d518 te oud" deny when unit NOPE is claimed basis "x"\n')
    path = tmp_path / "wide.luk"
    path.write_text(text, encoding="utf-8")
    got = client.diagnostics(client.open(path))
    nope = [d for d in got if "NOPE" in d["message"]]
    column = text.split("\n")[3].index("NOPE")
    assert nope[0]["range"]["start"] == {"line": 3, "character": column + 2}
    assert nope[0]["range"]["end"] == {"line": 3, "character": column + 2 + 4}


def test_hover_a_unit_gives_its_title_credits_and_outcomes(client: Client) -> None:
    text = BK_DEELTIJD.read_text(encoding="utf-8")
    uri = client.open(BK_DEELTIJD)
    client.diagnostics(uri)
    hover = client.request("textDocument/hover", {
        "textDocument": {"uri": uri},
        "position": _position(BK_DEELTIJD, text, "assesses BK-ONT", 11)})
    value = hover["contents"]["value"]
    assert "Bouwkundig ontwerpen" in value
    assert "BK-ONT.1" in value
    assert re.search(r"\d+ credits", value)


def test_hover_a_law_regime_gives_its_basis_and_status(client: Client) -> None:
    text = BK_DEELTIJD.read_text(encoding="utf-8")
    uri = BK_DEELTIJD.as_uri()
    hover = client.request("textDocument/hover", {
        "textDocument": {"uri": uri},
        "position": _position(BK_DEELTIJD, text, "wet-leeruitkomsten", 1)})
    value = hover["contents"]["value"]
    assert "regime wet-leeruitkomsten" in value
    assert "Kamerstuk 36 136" in value
    assert "status: enacted" in value


def test_hover_a_law_clause_gives_its_citation_and_status(client: Client) -> None:
    law = ROOT / "rulesets" / "law" / "wet-leeruitkomsten.luk"
    text = law.read_text(encoding="utf-8")
    uri = client.open(law)
    client.diagnostics(uri)
    hover = client.request("textDocument/hover", {
        "textDocument": {"uri": uri}, "position": _position(law, text, "permit", 1)})
    value = hover["contents"]["value"]
    assert "basis: WHW art. 7.3" in value
    assert "status: enacted" in value


def test_go_to_a_unit_defined_in_an_included_file(client: Client) -> None:
    text = BK_DEELTIJD.read_text(encoding="utf-8")
    uri = BK_DEELTIJD.as_uri()
    found = client.request("textDocument/definition", {
        "textDocument": {"uri": uri},
        "position": _position(BK_DEELTIJD, text, "assesses BK-ONT", 9)})
    units = EXAMPLES / "bouwkunde-units.luk"
    assert found["uri"] == units.resolve().as_uri()
    line = _position(units, units.read_text(encoding="utf-8"), 'unit BK-ONT "')["line"]
    assert found["range"]["start"] == {"line": line, "character": len("unit ")}


def test_go_to_a_law_regime(client: Client) -> None:
    text = BK_DEELTIJD.read_text(encoding="utf-8")
    found = client.request("textDocument/definition", {
        "textDocument": {"uri": BK_DEELTIJD.as_uri()},
        "position": _position(BK_DEELTIJD, text, "wet-leeruitkomsten")})
    assert found["uri"].endswith("/wet-leeruitkomsten.luk")


def test_completion_offers_declared_names_and_keywords(client: Client) -> None:
    found = client.request("textDocument/completion", {
        "textDocument": {"uri": BK_DEELTIJD.as_uri()}, "position": {"line": 0, "character": 0}})
    labels = {item["label"] for item in found["items"]}
    assert {"BK-ONT", "BK-PORTFOLIO", "BK-ONT.1", "whw", "programme", "assesses"} <= labels


def test_document_symbols(client: Client) -> None:
    found = client.request("textDocument/documentSymbol", {
        "textDocument": {"uri": BK_DEELTIJD.as_uri()}})
    names = {symbol["name"] for symbol in found}
    assert {"BK", "BK-PORTFOLIO", "bouwkunde-units.luk"} <= names


def test_formatting_gives_the_printers_text(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "messy.luk"
    messy = 'unit   U1   "Een eenheid"\n      credits    5\n'
    path.write_text(messy, encoding="utf-8")
    uri = client.open(path)
    client.diagnostics(uri)
    edits = client.request("textDocument/formatting", {
        "textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}})
    assert len(edits) == 1
    assert edits[0]["newText"] == printer.print_module(parse(messy, "messy.luk"))
    assert edits[0]["range"]["start"] == {"line": 0, "character": 0}


def test_diagnostics_in_the_clients_language(tmp_path: Path) -> None:
    path = tmp_path / "broken.luk"
    path.write_text(BROKEN, encoding="utf-8")
    nl = Client(locale="nl-NL")
    try:
        got = nl.diagnostics(nl.open(path))
        expected = pipeline.analyse(path).diagnostics
        assert [d["message"].split("\n")[0] for d in got] == [
            d.message.in_language("nl") for d in expected]
        assert got[0]["message"] != expected[0].message.in_language("en")
    finally:
        assert nl.close() == 0


def test_shutdown_and_exit_are_clean(client: Client) -> None:
    assert client.close() == 0
