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
        if c.process.poll() is None:  # a run of some of the tests: no shutdown test closed it
            c.process.kill()
            c.process.wait()
            for stream in (c.process.stdin, c.process.stdout, c.process.stderr):
                if stream is not None:
                    stream.close()


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


def _opened(client: Client, path: Path) -> tuple[str, str]:
    """Open ``path`` in the server and wait for its diagnostics: its text and URI."""
    uri = client.open(path)
    client.diagnostics(uri)
    return path.read_text(encoding="utf-8"), uri


def _hover(client: Client, path: Path, needle: str, offset: int) -> str:
    """What the server says on hovering ``offset`` characters into ``needle`` in ``path``."""
    text, uri = _opened(client, path)
    hover = client.request("textDocument/hover", {
        "textDocument": {"uri": uri}, "position": _position(path, text, needle, offset)})
    value: str = hover["contents"]["value"]
    return value


def test_hover_a_unit_gives_its_title_credits_and_outcomes(client: Client) -> None:
    value = _hover(client, BK_DEELTIJD, "assesses BK-ONT", 11)
    assert "Bouwkundig ontwerpen" in value
    assert "BK-ONT.1" in value
    assert re.search(r"\d+ credits", value)


def test_hover_a_law_regime_gives_its_basis_and_status(client: Client) -> None:
    value = _hover(client, BK_DEELTIJD, "wet-leeruitkomsten", 1)
    assert "regime wet-leeruitkomsten" in value
    assert "Kamerstuk 36 136" in value
    assert "status: enacted" in value


def test_hover_a_law_clause_gives_its_citation_and_status(client: Client) -> None:
    value = _hover(client, ROOT / "rulesets" / "law" / "wet-leeruitkomsten.luk", "permit", 1)
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
    text, uri = _opened(client, BK_DEELTIJD)
    found = client.request("textDocument/definition", {
        "textDocument": {"uri": uri},
        "position": _position(BK_DEELTIJD, text, "wet-leeruitkomsten")})
    assert found["uri"].endswith("/wet-leeruitkomsten.luk")


SHARED = """\
evidence beroepsproduct "Beroepsproduct"
evidence projectverslag "Projectverslag"

unit U1 "Ontwerpen"
  credits 5
  outcome 1 "Ontwerpt een woning"
  accepts beroepsproduct, projectverslag

unit U2 "Installaties"
  credits 10
  outcome 1 "Rekent een installatie door"
  accepts beroepsproduct
  recommended activity practicum
"""

MAIN = """\
include "shared.luk"

programme P "Voorbeeld"
  level hbo-bachelor
  form deeltijd
  institution "Hogeschool Voorbeeld"
  under whw, wet-leeruitkomsten

assessment A1 "Integrale beoordeling"
  portfolio
  path-independent
  assesses U1, U2

rule r "Een regel"
  for each item called stuk
  deny when stuk is projectverslag
  basis "OER art. 1"
"""

UNITS = {"U1", "U2"}
EVIDENCE = {"beroepsproduct", "projectverslag"}


@pytest.fixture
def ruleset(client: Client, tmp_path: Path) -> str:
    """MAIN open in the editor (it includes SHARED), its first analysis done."""
    (tmp_path / "shared.luk").write_text(SHARED, encoding="utf-8")
    path = tmp_path / "main.luk"
    path.write_text(MAIN, encoding="utf-8")
    uri = client.open(path)
    assert client.diagnostics(uri) == []
    return uri


CURSOR = "<|>"


def _complete(client: Client, uri: str, text: str, version: int = 2) -> dict[str, Any]:
    """The editor's buffer becomes ``text`` (without its CURSOR, or with it at the end);
    the items offered at the cursor, by label."""
    if CURSOR not in text:
        text += CURSOR
    lines = text[:text.index(CURSOR)].split("\n")
    text = text.replace(CURSOR, "")
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]})
    client.diagnostics(uri)
    found = client.request("textDocument/completion", {
        "textDocument": {"uri": uri},
        "position": {"line": len(lines) - 1, "character": len(lines[-1])}})
    labels = [item["label"] for item in found["items"]]
    assert len(labels) == len(set(labels)), "an item offered twice"
    return {item["label"]: item for item in found["items"]}


KIND = {"keyword": 14, "class": 7, "struct": 22, "module": 9, "value": 12, "variable": 6}
"""CompletionItemKind numbers of the protocol."""


def test_completion_after_accepts_offers_evidence_types(client: Client, ruleset: str) -> None:
    items = _complete(client, ruleset, MAIN + '\nunit U3 "Nieuw"\n  credits 5\n  accepts ')
    assert set(items) == EVIDENCE
    assert items["beroepsproduct"]["kind"] == KIND["struct"]
    assert items["beroepsproduct"]["detail"] == "Beroepsproduct"
    # The next one of the list: what is already listed stays on offer, nothing else is.
    after = _complete(client, ruleset, MAIN + '\nunit U3 "Nieuw"\n  accepts beroepsproduct, ',
                      version=3)
    assert set(after) == EVIDENCE


def test_completion_after_assesses_offers_units(client: Client, ruleset: str) -> None:
    items = _complete(client, ruleset, MAIN.replace("assesses U1, U2", "assesses <|>"))
    assert set(items) == UNITS
    assert items["U2"]["kind"] == KIND["class"]
    assert items["U2"]["detail"] == "Installaties \u00b7 10 credits"


def test_completion_after_under_offers_law_regimes(client: Client, ruleset: str) -> None:
    items = _complete(client, ruleset, MAIN.split("  under")[0] + "  under whw, ")
    assert {"whw", "experiment-leeruitkomsten", "wet-leeruitkomsten",
            "voltijd-uitbreiding"} <= set(items)
    assert not (UNITS | EVIDENCE) & set(items)
    assert {item["kind"] for item in items.values()} == {KIND["module"]}
    assert items["whw"]["detail"].startswith("Wet op het hoger onderwijs")


def test_completion_of_the_words_of_the_language(client: Client, ruleset: str) -> None:
    head = MAIN.split("  form")[0]
    forms = _complete(client, ruleset, head + "  form ")
    assert set(forms) == {"voltijd", "deeltijd", "duaal"}
    levels = _complete(client, ruleset, head.replace("  level hbo-bachelor", "  level <|>"),
                       version=3)
    assert set(levels) == {"hbo-associate-degree", "hbo-bachelor", "hbo-master",
                           "wo-bachelor", "wo-master"}
    activities = _complete(client, ruleset, MAIN + '\nunit U3 "Nieuw"\n'
                           "  recommended activity ", version=4)
    assert set(activities) == {"practicum"}
    assert activities["practicum"]["detail"] == "recommended activity of U2"


def test_completion_at_the_start_of_a_line(client: Client, ruleset: str) -> None:
    """Indented in a unit: the unit's clauses; at the left margin: the declarations."""
    clauses = _complete(client, ruleset, MAIN + '\nunit U3 "Nieuw"\n  credits 5\n  ')
    assert {"credits", "kind", "outcome", "accepts", "recommended", "max", "at"} == set(clauses)
    assert {item["kind"] for item in clauses.values()} == {KIND["keyword"]}
    top = _complete(client, ruleset, MAIN + '\nunit U3 "Nieuw"\n  credits 5\n', version=3)
    assert set(top) == {"include", "programme", "examination", "evidence", "unit",
                        "assessment", "regime", "rule"}


def test_completion_in_a_condition(client: Client, ruleset: str) -> None:
    """After `is`: the rule's binders, units and evidence types; after `evidence is`: the
    evidence types; at the start of an atom: binders and the atoms' keywords."""
    rule = MAIN.split("  deny when")[0]
    value = _complete(client, ruleset, rule + "  deny when stuk is ")
    assert {"stuk", "verified", "not"} | UNITS | EVIDENCE <= set(value)
    assert value["stuk"]["kind"] == KIND["variable"]
    evidence = _complete(client, ruleset, rule + "  deny when some evidence is ", version=3)
    assert set(evidence) == EVIDENCE | {"one"}
    atom = _complete(client, ruleset, rule + "  deny when not ", version=4)
    assert {"stuk", "unit", "assessment", "number", "every", "form"} <= set(atom)
    assert not (UNITS | EVIDENCE) & set(atom)


def test_completion_in_a_buffer_that_does_not_parse(client: Client, ruleset: str) -> None:
    """The names of the last analysis that parsed, the context from the text before the
    cursor: also when an earlier declaration, or the current one, is broken."""
    broken = MAIN.replace('programme P "Voorbeeld"', 'programme P "Voorbeeld" credits')
    items = _complete(client, ruleset, broken.replace("assesses U1, U2", "assesses U1, <|>"))
    assert set(items) == UNITS
    clause = _complete(client, ruleset, MAIN + '\nunit U3 "Nieuw"\n  credits credits\n'
                       "  accepts ", version=3)
    assert set(clause) == EVIDENCE
    # Where the text before the cursor cannot be followed: every name and keyword.
    lost = _complete(client, ruleset, MAIN + '\nunit U3 "Nieuw"\n  accepts ,, ', version=4)
    assert UNITS | EVIDENCE | {"whw", "rule", "assesses"} <= set(lost)


def test_diagnostics_follow_an_included_file_as_edited(client: Client, tmp_path: Path) -> None:
    """Editing an included file (unsaved) checks the open ruleset that includes it again
    with that text; closing it brings back what the disk says."""
    shared = tmp_path / "shared.luk"
    shared.write_text(SHARED, encoding="utf-8")
    main = tmp_path / "main.luk"
    main.write_text(MAIN, encoding="utf-8")
    main_uri = client.open(main)
    assert client.diagnostics(main_uri) == []
    shared_uri = client.open(shared)
    client.diagnostics(shared_uri)
    assert client.diagnostics(main_uri) == []  # checked again on open: the same text

    def edit(text: str, version: int) -> list[dict[str, Any]]:
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": shared_uri, "version": version},
            "contentChanges": [{"text": text}]})
        client.diagnostics(shared_uri)
        return client.diagnostics(main_uri)

    renamed = edit(SHARED.replace("unit U2 ", "unit U9 "), 2)
    assert [d["code"] for d in renamed] == ["LUK010"]
    assert "`U2`" in renamed[0]["message"]
    start = _position(main, MAIN, "U1, U2", len("U1, "))
    assert renamed[0]["range"]["start"] == start
    assert edit(SHARED, 3) == []
    assert [d["code"] for d in edit(SHARED.replace("unit U2 ", "unit U9 "), 4)] == ["LUK010"]
    # Closed without saving: its diagnostics go, and the ruleset reads the disk again.
    client.notify("textDocument/didClose", {"textDocument": {"uri": shared_uri}})
    assert client.diagnostics(shared_uri) == []
    assert client.diagnostics(main_uri) == []


def test_closing_a_document_clears_its_diagnostics(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "broken.luk"
    path.write_text(BROKEN, encoding="utf-8")
    uri = client.open(path)
    assert client.diagnostics(uri) != []
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert client.diagnostics(uri) == []


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
        # What completion says an item is, too.
        uri = path.as_uri()
        units = nl.request("textDocument/completion", {"textDocument": {"uri": uri},
                           "position": _position(path, BROKEN, "assesses U1", 11)})
        assert [(i["label"], i["detail"]) for i in units["items"]] == [
            ("U1", "Een eenheid \u00b7 5 studiepunten")]
        clauses = nl.request("textDocument/completion", {"textDocument": {"uri": uri},
                             "position": _position(path, BROKEN, "  portfolio")})
        assert {i["detail"] for i in clauses["items"]} == {"sleutelwoord"}
        # A law clause's basis and reading, in Dutch where the law file gives them so.
        value = _hover(nl, ROOT / "rulesets" / "law" / "whw.luk", "allow combination B", 1)
        assert "WHW art. 7.3 en 7.13 (de OER regelt hoe tentamens worden afgelegd)" in value
        assert "elders leren (B) of alleen bewijs (C)" in value
    finally:
        assert nl.close() == 0


def test_shutdown_and_exit_are_clean(client: Client) -> None:
    assert client.close() == 0
