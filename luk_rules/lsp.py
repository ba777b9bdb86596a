"""``luk lsp``: a language server for ``.luk`` files over standard input and output.

It checks the editor's buffer as you type (the diagnostics of ``luk check``: its codes,
messages and hints, in the client's language), and answers hover, go to definition,
completion (by context: :mod:`luk_rules.completion`), formatting (the canonical printer of
``luk fmt``) and document symbols.

Everything it knows comes from the one pipeline: the buffer is analysed with
:func:`luk_rules.pipeline.analyse` (its includes and law regimes read within the usual
roots, from the editor's unsaved text where the file is open, else from disk), and
declarations and their spans come from the resolution's symbol table
(:class:`luk_rules.checks.resolve.SymbolTable`). It remembers which files each open ruleset
read, so that editing one of them checks those rulesets again. This is the only module that
imports pygls and lsprotocol (the ``lsp`` extra); the CLI imports it only for ``luk lsp``.
"""

from __future__ import annotations

import os
import re
import sys
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, cast

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path

from luk_rules import ast, completion, pipeline, printer
from luk_rules.checks.resolve import SymbolTable, clauses_of, first_clause
from luk_rules.diagnostics import Diagnostic, Severity
from luk_rules.errors import RulesetUnreadable
from luk_rules.i18n import Lang, language, msg, msgn, say
from luk_rules.parse import ParseFailed, parse
from luk_rules.resources import law_dir
from luk_rules.span import Span

__all__ = ["LukServer", "create_server", "serve"]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*(?:\.[A-Za-z0-9_]+)?")
"""A name as the grammar writes it (``NAME``), with an outcome id after a dot."""

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.NOTE: types.DiagnosticSeverity.Information,
}


def to_range(span: Span) -> types.Range:
    """A span (1-based lines and columns, end exclusive) as an LSP range (0-based)."""
    start = types.Position(max(span.line - 1, 0), max(span.column - 1, 0))
    end = types.Position(max(span.end_line - 1, 0), max(span.end_column - 1, 0))
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start, end)


def _contains(span: Span, line: int, column: int) -> bool:
    """Whether the 1-based ``line``/``column`` lies in ``span``."""
    return (span.line, span.column) <= (line, column) < (span.end_line, span.end_column)


class LukServer(LanguageServer):
    """The luk language server: the language of its messages and each open document's
    latest analysis (the last one whose file parsed, for hover, definition, completion)."""

    def __init__(self) -> None:
        super().__init__("luk", "0.1.0", text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.lang: Lang = "en"
        self.analyses: dict[str, pipeline.Analysis] = {}
        self.reads: dict[str, frozenset[Path]] = {}

    # -- analysis

    def analyse(self, uri: str, text: str) -> pipeline.Analysis:
        """Check ``text``, the buffer of ``uri``, as ``luk check`` checks its file; the
        files it includes and the law files it reads as the editor has them when they are
        open (their unsaved text), else from disk."""
        path = _path_of(uri)
        overlays = self.overlays(uri)
        if path is not None:
            try:
                return pipeline.analyse(path, text=text, overlays=overlays)
            except RulesetUnreadable:  # not saved yet: includes resolve from its folder
                roots = (path.parent,) if path.parent.is_dir() else ()
                return pipeline.analyse_text(text, path.name, roots=roots, overlays=overlays)
        return pipeline.analyse_text(text, Path(urllib.parse.urlparse(uri).path).name or "buffer",
                                     overlays=overlays)

    def overlays(self, uri: str) -> dict[Path, str]:
        """The texts of the open documents other than ``uri``, by their real paths."""
        found: dict[Path, str] = {}
        for document in list(self.workspace.text_documents.values()):
            real = _real(document.uri)
            if document.uri != uri and real is not None:
                found[real] = document.source
        return found

    def changed(self, uri: str) -> None:
        """The buffer of ``uri`` was opened, edited or closed: check it again (when open),
        and every open ruleset that reads its file (an include, a law file), with its text
        as the editor has it."""
        for document in (uri, *self.dependents(uri)):
            if self.is_open(document):
                self.refresh(document)

    def dependents(self, uri: str) -> list[str]:
        """The documents whose latest analysis read the file of ``uri``."""
        real = _real(uri)
        return [d for d, reads in self.reads.items() if d != uri and real in reads]

    def is_open(self, uri: str) -> bool:
        """Whether the editor has ``uri`` open (the document store is keyed unquoted)."""
        return urllib.parse.unquote(uri) in self.workspace.text_documents

    def refresh(self, uri: str) -> None:
        """Analyse the buffer of ``uri`` and publish its diagnostics."""
        document = self.workspace.get_text_document(uri)
        try:
            analysis = self.analyse(uri, document.source)
        except RecursionError:  # nested too deeply to check (as `luk check` says)
            return
        root = analysis.workspace.files[0] if analysis.workspace.files else None
        parsed = root is not None and root.module is not None
        if parsed or uri not in self.analyses:
            self.analyses[uri] = analysis
        # What it read, to check it again when one of those files changes in the editor
        # (a buffer that does not parse reads nothing: it keeps what it read before).
        reads = frozenset(f.real for f in analysis.workspace.files[1:] if f.real is not None)
        self.reads[uri] = reads if parsed else reads | self.reads.get(uri, frozenset())
        own = [d for d in analysis.diagnostics if d.span.file == analysis.workspace.root]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version,
            diagnostics=[self.diagnostic(d, analysis) for d in own]))

    def diagnostic(self, d: Diagnostic, analysis: pipeline.Analysis) -> types.Diagnostic:
        """A luk diagnostic as an LSP one: its message, then its hint as ``luk check``
        shows it; its labels as related information."""
        text = d.message.in_language(self.lang)
        if d.hint:
            text += "\n" + msg("= hint: {hint}", hint=d.hint).in_language(self.lang)
        related = [
            types.DiagnosticRelatedInformation(
                types.Location(uri, self.client_range(label.span, analysis)),
                label.message.in_language(self.lang))
            for label in d.labels
            if (uri := self.uri_of(label.span.file, analysis)) is not None
        ]
        return types.Diagnostic(
            range=self.client_range(d.span, analysis), message=text,
            severity=_SEVERITY[d.severity], code=d.code, source="luk",
            related_information=related or None)

    def client_range(self, span: Span, analysis: pipeline.Analysis) -> types.Range:
        """A span of a file of the workspace as an LSP range in the client's position
        encoding (UTF-16 unless it said otherwise; spans count code points)."""
        plain = to_range(span)
        text = analysis.workspace.texts.get(span.file)
        if text is None:
            return plain
        lines = text.splitlines(keepends=True)
        codec = self.workspace.position_codec
        return types.Range(codec.position_to_client_units(lines, plain.start),
                           codec.position_to_client_units(lines, plain.end))

    def server_position(self, uri: str, position: types.Position) -> tuple[int, int]:
        """A position the client sent, as a 0-based line and code point column."""
        document = self.workspace.get_text_document(uri)
        found = document.position_from_client_units(position)
        return found.line, found.character

    @staticmethod
    def uri_of(file: str, analysis: pipeline.Analysis) -> str | None:
        """The URI of a file of the workspace, by its shown name (None when not on disk)."""
        for source in analysis.workspace.files:
            if source.path == file and source.real is not None:
                uri: str | None = from_fs_path(str(source.real))
                return uri
        return None

    def table(self, uri: str) -> tuple[SymbolTable, pipeline.Analysis] | None:
        """The symbol table of the document's latest analysis."""
        analysis = self.analyses.get(uri)
        if analysis is None:
            return None
        return analysis.resolution.table, analysis

    # -- the features

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        """What a name at the cursor declares (or the law clause the cursor is in)."""
        found = self.table(params.text_document.uri)
        word = self.word_at(params.text_document.uri, params.position)
        if found is None:
            return None
        table, analysis = found
        text = None
        if word is not None:
            text = self.describe(word[0], table, analysis)
        if text is None:
            text = self.clause_at(params, analysis)
        if text is None:
            return None
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text),
                           range=word[1] if word is not None else None)

    def describe(self, name: str, table: SymbolTable, analysis: pipeline.Analysis
                 ) -> str | None:
        """Markdown about the declaration of ``name``: a unit's title, credits and
        outcomes; an evidence type's rules; a regime's basis and status; an outcome's text."""
        lang = self.lang
        if name in table.outcomes:
            outcome = table.outcomes[name][0]
            return f"**{name}**: {outcome.text.value}"
        if (unit := table.unit(name)) is not None:
            lines = [f"**unit {name}** \u2014 {unit.title.value}"]
            credits = first_clause(unit, ast.Credits)
            if credits is not None:
                lines.append(msgn("{n} credit", "{n} credits", credits.credits.value)
                             .in_language(lang))
            outcomes = clauses_of(unit, ast.Outcome)
            if outcomes:
                lines.append("\n".join([msg("outcomes:").in_language(lang), *(
                    f"- `{name}.{o.id.value}` {o.text.value}" for o in outcomes)]))
            return "\n\n".join(lines)
        if name in table.evidence:
            evidence = table.evidence[name][0]
            lines = [f"**evidence {name}** \u2014 {evidence.title.value}"]
            age = first_clause(evidence, ast.MaxAge)
            if age is not None:
                lines.append(msg("at most {amount} {unit} old", amount=age.age.amount.value,
                                 unit=age.age.unit).in_language(lang) + _cited(age.basis, lang))
            verification = first_clause(evidence, ast.NeedsVerification)
            if verification is not None:
                lines.append(msg("needs verification").in_language(lang)
                             + _cited(verification.basis, lang))
            return "\n\n".join(lines)
        if (regime := table.regime(name)) is not None:
            lines = [f"**regime {name}** \u2014 {regime.title.value}"]
            basis = first_clause(regime, ast.Basis)
            if basis is not None:
                lines.append(msg("basis: {basis}", basis=_basis_text(basis, lang))
                             .in_language(lang))
            status, reading = analysis.resolution.status(name)
            if status:
                lines.append(msg("status: {status}", status=status).in_language(lang)
                             + (f" \u2014 {say(reading, lang)}" if reading else ""))
            return "\n\n".join(lines)
        if name in table.assessments:
            assessment = table.assessments[name][0]
            return f"**assessment {name}** \u2014 {assessment.title.value}"
        if name in table.rules:
            rule = table.rules[name][0]
            return (f"**rule {name}** ({rule.severity}) \u2014 {rule.message.value}"
                    + _cited(rule.basis, lang))
        return None

    def clause_at(self, params: types.HoverParams, analysis: pipeline.Analysis) -> str | None:
        """The citation and status of the ``permit`` or ``allow`` the cursor is in."""
        path = _path_of(params.text_document.uri)
        line, column = self.server_position(params.text_document.uri, params.position)
        line, column = line + 1, column + 1
        for source, decl in analysis.workspace.declarations():
            if not isinstance(decl, ast.Regime) or (
                    source.real is None or path is None or source.real != path.resolve()):
                continue
            for clause in decl.clauses:
                if isinstance(clause, ast.Permit | ast.Allow) and _contains(
                        clause.span, line, column):
                    status, reading = analysis.resolution.clause_status(clause, decl.name.value)
                    lines = [msg("basis: {basis}", basis=_basis_text(clause.basis, self.lang))
                             .in_language(self.lang)]
                    if status:
                        lines.append(msg("status: {status}", status=status)
                                     .in_language(self.lang)
                                     + (f" \u2014 {say(reading, self.lang)}" if reading else ""))
                    return "\n\n".join(lines)
        return None

    def word_at(self, uri: str, position: types.Position) -> tuple[str, types.Range] | None:
        """The name at ``position`` in the buffer (the unit's code when on the code of an
        outcome id), with its range."""
        document = self.workspace.get_text_document(uri)
        lines = document.lines
        number, character = self.server_position(uri, position)
        if number >= len(lines):
            return None
        for match in _WORD.finditer(lines[number]):
            if match.start() <= character <= match.end():
                word, end = match.group(), match.end()
                if "." in word and character <= match.start() + word.index("."):
                    word = word.split(".")[0]
                    end = match.start() + len(word)
                codec = self.workspace.position_codec
                return word, types.Range(
                    codec.position_to_client_units(lines, types.Position(number, match.start())),
                    codec.position_to_client_units(lines, types.Position(number, end)))
        return None

    def definition(self, params: types.DefinitionParams) -> types.Location | None:
        """Where the name at the cursor is declared, in this file, an included one or a
        law file."""
        found = self.table(params.text_document.uri)
        word = self.word_at(params.text_document.uri, params.position)
        if found is None or word is None:
            return None
        table, analysis = found
        name = word[0]
        span: Span | None = None
        if name in table.outcomes:
            span = table.outcomes[name][0].id.span
        for index in (table.units, table.evidence, table.assessments, table.regimes,
                      table.rules, table.fields):
            if span is None and name in index:
                span = index[name][0].name.span
        for programme in table.programmes:
            if span is None and programme.code.value == name:
                span = programme.code.span
        if span is None:
            return None
        uri = self.uri_of(span.file, analysis)
        if uri is None:
            uri = params.text_document.uri if span.file == analysis.workspace.root else None
        return None if uri is None else types.Location(uri, self.client_range(span, analysis))

    def completion(self, params: types.CompletionParams) -> types.CompletionList:
        """What may be written at the cursor (:func:`luk_rules.completion.complete`): the
        keywords the grammar allows there and the names of the kind it allows, from the
        latest analysis that parsed; every name and keyword where the text before the cursor
        cannot be followed. Names come first, each with its kind and what it is."""
        uri = params.text_document.uri
        document = self.workspace.get_text_document(uri)
        number, character = self.server_position(uri, params.position)
        lines = document.lines
        before = "".join(lines[:number]) + (lines[number][:character]
                                             if number < len(lines) else "")
        found = self.table(uri)
        table = found[0] if found is not None else None
        regimes = _regimes_near(_path_of(uri))
        candidates = completion.complete(before, table, regimes)
        if candidates is None:
            candidates = completion.everything(table, regimes)
        items = [types.CompletionItem(
            c.label, kind=_KINDS[c.kind],
            detail=" \u00b7 ".join(say(part, self.lang) for part in c.detail) or None,
            sort_text=f"{int(c.kind == 'keyword')}{i:05d}")
            for i, c in enumerate(candidates)]
        return types.CompletionList(is_incomplete=False, items=items)

    def formatting(self, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
        """The buffer in canonical layout (``luk fmt``), as one edit; none when it is
        already so or does not parse."""
        document = self.workspace.get_text_document(params.text_document.uri)
        text = document.source
        try:
            formatted = printer.print_module(parse(text, document.filename or "buffer"))
        except ParseFailed:
            return []
        if formatted == text:
            return []
        lines = text.split("\n")
        whole = types.Range(types.Position(0, 0), types.Position(len(lines), 0))
        return [types.TextEdit(whole, formatted)]

    def symbols(self, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        """The declarations of the document (units with their outcomes)."""
        analysis = self.analyses.get(params.text_document.uri)
        if analysis is None or not analysis.workspace.files:
            return []
        module = analysis.workspace.files[0].module
        if module is None:
            return []
        return list(_symbols(module.declarations,
                             lambda span: self.client_range(span, analysis)))


def _basis_text(basis: ast.Basis, lang: Lang) -> str:
    """A citation in ``lang``: its translation when it has one, else as written."""
    return say(basis.cited, lang)


def _cited(basis: ast.Basis | None, lang: Lang) -> str:
    return f" ({_basis_text(basis, lang)})" if basis is not None else ""


_KINDS: dict[completion.CandidateKind, types.CompletionItemKind] = {
    "keyword": types.CompletionItemKind.Keyword,
    "unit": types.CompletionItemKind.Class,
    "outcome": types.CompletionItemKind.EnumMember,
    "evidence type": types.CompletionItemKind.Struct,
    "evidence field": types.CompletionItemKind.Field,
    "assessment": types.CompletionItemKind.Event,
    "law regime": types.CompletionItemKind.Module,
    "rule": types.CompletionItemKind.Function,
    "form": types.CompletionItemKind.Value,
    "level": types.CompletionItemKind.Value,
    "unit kind": types.CompletionItemKind.Value,
    "combination": types.CompletionItemKind.Value,
    "activity": types.CompletionItemKind.Value,
    "binder": types.CompletionItemKind.Variable,
}
"""How the editor shows each kind of completion."""


def _regimes_near(path: Path | None) -> tuple[str, ...]:
    """The law regimes a ruleset at ``path`` can name without declaring them: the shipped
    ones and those in the folder ``law`` beside its folder (docs/language.md, section 4)."""
    folders = [law_dir()]
    if path is not None:
        beside = path.parent.parent / "law"
        if beside.is_dir() and not beside.is_symlink():
            folders.append(beside)
    return tuple(sorted({p.stem for folder in folders for p in folder.glob("*.luk")}))


def _real(uri: str) -> Path | None:
    """The real (resolved) path of a ``file:`` URI, else None."""
    path = _path_of(uri)
    return Path(os.path.realpath(path)) if path is not None else None


def _path_of(uri: str) -> Path | None:
    """The file a ``file:`` URI names, else None."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(urllib.parse.unquote(parsed.path))


def _symbols(declarations: Sequence[ast.Declaration], to_range: Callable[[Span], types.Range]
             ) -> Iterator[types.DocumentSymbol]:
    """The outline of a file: its declarations, a unit's outcomes inside it."""
    kinds = types.SymbolKind
    for decl in declarations:
        if isinstance(decl, ast.Include):
            yield types.DocumentSymbol(decl.path.value, kinds.File, to_range(decl.span),
                                       to_range(decl.path.span), detail="include")
        elif isinstance(decl, ast.Programme):
            yield types.DocumentSymbol(decl.code.value, kinds.Package, to_range(decl.span),
                                       to_range(decl.code.span), detail=decl.title.value)
        elif isinstance(decl, ast.ExamProgramme):
            yield types.DocumentSymbol(decl.title.value, kinds.Namespace, to_range(decl.span),
                                       to_range(decl.title.span), detail="examination programme")
        elif isinstance(decl, ast.Unit):
            children = [types.DocumentSymbol(
                f"{decl.name.value}.{o.id.value}", kinds.EnumMember, to_range(o.span),
                to_range(o.id.span), detail=o.text.value) for o in clauses_of(decl, ast.Outcome)]
            yield types.DocumentSymbol(decl.name.value, kinds.Class, to_range(decl.span),
                                       to_range(decl.name.span), detail=decl.title.value,
                                       children=children or None)
        elif isinstance(decl, ast.Rule):
            yield types.DocumentSymbol(decl.name.value, kinds.Function, to_range(decl.span),
                                       to_range(decl.name.span), detail=decl.message.value)
        else:
            kind = {ast.EvidenceType: kinds.Struct, ast.Assessment: kinds.Event,
                    ast.Regime: kinds.Module, ast.Field: kinds.Field}[type(decl)]
            yield types.DocumentSymbol(decl.name.value, kind, to_range(decl.span),
                                       to_range(decl.name.span), detail=decl.title.value)


def create_server(lang: Lang = "en") -> LukServer:
    """A luk language server with its features registered; its messages in the client's
    language (``locale`` in ``initialize``), else in ``lang``."""
    server = LukServer()
    server.lang = lang

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        server.lang = language(params.locale or "") or server.lang

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        server.changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        server.changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        # Its diagnostics go; the rulesets that read its file read the disk again.
        uri = params.text_document.uri
        server.analyses.pop(uri, None)
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        server.changed(uri)
        server.reads.pop(uri, None)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(params: types.HoverParams) -> types.Hover | None:
        return server.hover(params)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(params: types.DefinitionParams) -> types.Location | None:
        return server.definition(params)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION)
    def completion(params: types.CompletionParams) -> types.CompletionList:
        return server.completion(params)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(params: types.DocumentFormattingParams) -> list[types.TextEdit]:
        return server.formatting(params)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        return server.symbols(params)

    return server


def serve(lang: Lang = "en") -> None:
    """Run the language server on standard input and output until the client exits; its
    messages in ``lang`` unless the client asks for another language."""
    # The process's own streams: the CLI wraps sys.stdout for people, not for JSON-RPC.
    stdin, stdout = sys.__stdin__, sys.__stdout__
    assert stdin is not None and stdout is not None
    create_server(lang).start_io(cast(BinaryIO, stdin.buffer), cast(BinaryIO, stdout.buffer))
