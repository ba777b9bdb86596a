"""Text to AST. The only module that sees lark: it parses with one cached LALR
parser and turns lark's tree and positions into our own nodes and spans."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

import attrs
import lark
from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from luk_rules import ast
from luk_rules.diagnostics import Diagnostic, error
from luk_rules.errors import as_given
from luk_rules.i18n import Message, msg
from luk_rules.resources import grammar_path
from luk_rules.span import Span

MAX_CONDITION_DEPTH = 64
"""How deeply ``not``, ``and`` and ``or`` may nest in one condition."""

MAX_INTEGER = 1_000_000
"""The largest number a ruleset may write: far above any credits, age or count."""


def _shorten(text: str, keep: int = 12) -> str:
    if len(text) <= keep:
        return text
    # Translators: the first digits of a very long number, and how many digits it has.
    return msg("{start}… ({count:,} digits)", start=text[:keep], count=len(text))


class ParseFailed(Exception):
    """Raised by :func:`parse` with the diagnostics of a text that does not parse."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


class _GluedWords(Exception):
    """A word that starts right where the previous word ended (``levelhbo``)."""

    def __init__(self, token: Token) -> None:
        super().__init__(str(token))
        self.token = token


# The text being parsed, per thread: the lexer callback below needs it to see what
# precedes a token. The parser itself is shared (and keeps no state between parses).
_current = threading.local()
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _word_boundary(token: Token) -> Token:
    """Refuse a token glued to the word before it: keywords need a space after them.

    The lexer would otherwise read ``levelhbo`` as ``level hbo``.
    """
    text: str = getattr(_current, "text", "")
    start = token.start_pos or 0
    if 0 < start <= len(text) and text[start - 1] in _WORD and str(token)[:1] in _WORD:
        raise _GluedWords(token)
    return token


@functools.cache
def _parser() -> lark.Lark:
    grammar = grammar_path().read_text(encoding="utf-8")
    options: dict[str, Any] = {
        "parser": "lalr", "lexer": "contextual", "propagate_positions": True,
        "maybe_placeholders": False, "cache": False,
    }
    names = [t.name for t in lark.Lark(grammar, **options).terminals]
    return lark.Lark(grammar, lexer_callbacks=dict.fromkeys(names, _word_boundary), **options)


# Human names for the grammar's terminals, for "expected ..." messages: words are
# messages (translated), keywords and punctuation of the language are shown as they are.
_TERMINALS: dict[str, str] = {
    "NAME": msg("a name"),
    "STRING": msg("a quoted text"),
    "INT": msg("a number"),
    "DATE": msg("a date (YYYY-MM-DD)"),
    "OUTCOME_ID": msg("an outcome id"),
    "AGE_UNIT": msg("`years` or `months`"),
    "SEVERITY": msg("`deny`, `warn` or `info`"),
    "QUANTIFIER": msg("`every`, `some` or `no`"),
    "COMPARE": msg("a comparison (<, <=, >, >=, =)"),
    "PORTFOLIO": "`portfolio`",
    "EXAM": "`exam`",
    "PATH_INDEPENDENT": "`path-independent`",
    "PATH_DEPENDENT": "`path-dependent`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "COMMA": "`,`",
    "DOT": "`.`",
}


def _describe(terminal: str) -> str:
    if terminal in _TERMINALS:
        return _TERMINALS[terminal]
    try:
        pattern = _parser().get_terminal(terminal).pattern
    except KeyError:
        return terminal
    if isinstance(pattern, lark.lexer.PatternStr):
        return f"`{pattern.value}`"
    return terminal.lower()


def _listing(items: Sequence[str]) -> Message:
    """``items`` separated by commas, each (a message or a name) in the language the
    whole is rendered in. The template is only placeholders and commas: it needs no
    translation (gettext gives it back as it is)."""
    template = ", ".join(f"{{item{i}}}" for i in range(len(items)))
    return Message(template, {f"item{i}": item for i, item in enumerate(items)})


def _expected(names: set[str] | frozenset[str]) -> Message | None:
    described = sorted({_describe(n) for n in names if n != "$END"})
    if not described:
        return None
    if len(described) > 8:
        described = [*described[:8], "..."]
    # Translators: what the parser expected instead: "a name, `(`, a number".
    return msg("expected {names}", names=_listing(described))


def _token_text(token: Token) -> str:
    if token.type == "$END":
        return msg("end of file")
    value = str(token)
    return f"`{value}`" if len(value) <= 40 else f"`{value[:37]}...`"


def _syntax_diagnostic(exc: UnexpectedInput, file: str, text: str) -> Diagnostic:
    line = getattr(exc, "line", 0) or 0
    column = getattr(exc, "column", 0) or 0
    if (isinstance(exc, UnexpectedToken) and exc.token.type == "$END") or isinstance(
        exc, UnexpectedEOF
    ):
        lines = text.splitlines()
        line, column = (len(lines), len(lines[-1]) + 1) if lines else (1, 1)
        expected = exc.expected
        return error(
            "LUK003",
            msg("the text ends in the middle of a declaration"),
            Span(file, line, column, line, column + 1),
            hint=_expected(set(expected)) or msg("complete the last declaration"),
        )
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        width = max(len(str(token)), 1)
        end_line = token.end_line or line
        end_column = token.end_column or column + width
        return error(
            "LUK001",
            msg("unexpected {token}", token=_token_text(token)),
            Span(file, line, column, end_line, end_column),
            hint=_expected(exc.accepts or exc.expected),
        )
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        char = text[pos] if 0 <= pos < len(text) else "?"
        shown = msg("a line break") if char == "\n" else f"`{char}`"
        message = msg("unexpected character {char}", char=shown)
        hint = _expected(exc.allowed or set())
        if char == '"':
            message = msg("a quoted text that is not closed on its line")
            hint = msg('end the text with `"` on the same line; write `\\"` for a quote '
                       'inside it')
        return error("LUK002", message, Span(file, line, column, line, column + 1), hint=hint)
    return error("LUK001", as_given(str(exc).splitlines()[0]),
                 Span(file, line, column, line, column + 1))


def _glued(token: Token, file: str, text: str) -> Diagnostic:
    start = token.start_pos or 0
    begin = start
    while begin > 0 and text[begin - 1] in _WORD:
        begin -= 1
    word = text[begin:token.end_pos or start]
    line = token.line or 1
    column = (token.column or 1) - (start - begin)
    before, after = text[begin:start], str(token)
    shown = f"`{word}`"
    hint = (msg("did you mean `{name}`?", name=before) if len(after) <= 2 and after.isalpha()
            else msg("`{before}` and `{after}` run together: put a space between them",
                     before=before, after=after))
    return error(
        "LUK001", msg("unexpected {token}", token=shown),
        Span(file, line, column, line, column + len(word)), hint=hint)


def parse(text: str, file: str = "<text>") -> ast.Module:
    """Parse the text of one ``.luk`` file into an AST.

    Raises:
        ParseFailed: with a located diagnostic when the text is not in the language.

    Example:
        >>> parse('evidence cv "CV"').declarations[0].name.value
        'cv'
    """
    _current.text = text
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise ParseFailed([_syntax_diagnostic(exc, file, text)]) from None
    except _GluedWords as exc:
        raise ParseFailed([_glued(exc.token, file, text)]) from None
    finally:
        _current.text = ""
    builder = _Builder(file)
    module = builder.module(tree)
    if builder.problems:
        raise ParseFailed(builder.problems)
    return ast.Module(module.declarations, comments(text, file), span=module.span)


@attrs.frozen
class Lexeme:
    """A token of a text: ``shape`` is the keyword or punctuation as written (``accepts``,
    ``,``), else the kind of token (``NAME``, ``STRING``, ``INT``, ``DATE``, ``OUTCOME_ID``,
    ``COMPARE``); ``text`` is what is written."""

    shape: str
    text: str


@attrs.frozen
class Continuation:
    """What the grammar lets follow a text, which is the start of a ruleset.

    Attributes:
        tokens: the text's tokens, in order.
        keywords: the keywords (and punctuation) that may come next, as written.
        terminals: the other kinds of token that may come next (``NAME``, ``OUTCOME_ID``,
            ``INT``, ``DATE``, ``STRING``, ``COMPARE``).
        complete: whether the text may end here (its last declaration is complete).
    """

    tokens: tuple[Lexeme, ...]
    keywords: frozenset[str]
    terminals: frozenset[str]
    complete: bool


@functools.cache
def _words_of(terminal: str) -> tuple[str, ...]:
    """The keywords or punctuation a terminal stands for (``SEVERITY``: deny, warn, info);
    none for a terminal of free text (``NAME``, ``INT``, ...)."""
    try:
        pattern = _parser().get_terminal(terminal).pattern
    except KeyError:
        return ()
    if isinstance(pattern, lark.lexer.PatternStr):
        return (pattern.value,)
    # An alternation of words, as lark writes `"deny" | "warn" | "info"`: (?:deny|warn|info),
    # possibly kept apart from the next word by a lookahead, as LANGUAGE is.
    body = re.sub(r"\(\?!.*\)$", "", pattern.value)
    body = re.sub(r"^\((?:\?:)?(.*)\)$", r"\1", body)
    words = tuple(body.split("|"))
    return words if all(re.fullmatch(r"[a-z][a-z/-]*", w) for w in words) else ()


def continuations(text: str) -> Continuation | None:
    """The tokens of ``text`` (the start of a ruleset, up to an editor's cursor) and what
    may follow them; None when ``text`` is not the start of any ruleset.

    Example:
        >>> found = continuations('unit U1 "Een eenheid"\\n  accepts ')
        >>> sorted(found.terminals), [t.shape for t in found.tokens]
        (['NAME'], ['unit', 'NAME', 'STRING', 'accepts'])
    """
    _current.text = text
    try:
        interactive = _parser().parse_interactive(text)
        tokens = [Lexeme(str(t) if str(t) in _words_of(t.type) else t.type, str(t))
                  for t in interactive.iter_parse()]
        accepted: set[str] = interactive.accepts()  # type: ignore[no-untyped-call]
    except (UnexpectedInput, _GluedWords):
        return None
    finally:
        _current.text = ""
    keywords = {w for t in accepted for w in _words_of(t)}
    terminals = {t for t in accepted if t != "$END" and not _words_of(t)}
    return Continuation(tuple(tokens), frozenset(keywords), frozenset(terminals),
                        "$END" in accepted)


def comments(text: str, file: str = "<text>") -> tuple[ast.Comment, ...]:
    """The ``#`` comments of a text that parses, in order, with their places."""
    found: list[ast.Comment] = []
    for number, line in enumerate(text.split("\n"), start=1):
        in_string = False
        i = 0
        while i < len(line):
            ch = line[i]
            if in_string and ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = not in_string
            elif ch == "#" and not in_string:
                body = line[i:].rstrip()
                found.append(ast.Comment(
                    body, own_line=not line[:i].strip(),
                    span=Span(file, number, i + 1, number, i + 1 + len(body))))
                break
            i += 1
    return tuple(found)


# ------------------------------------------------------------ tree -> AST


def _unparen(tree: Tree[Token]) -> tuple[Tree[Token], int]:
    """What a ``paren`` node holds, and how many pairs of parentheses were around it."""
    parens = 0
    while tree.data == "paren":
        tree = cast(Tree[Token], tree.children[0])
        parens += 1
    return tree, parens


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


class _Builder:
    """Turns one lark tree into AST nodes, collecting problems (bad escapes)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Diagnostic] = []
        self.depth = 0
        self.too_deep = False
        self._rules: dict[str, Callable[[Tree[Token], Span], Any]] = {
            name[2:]: getattr(self, name) for name in dir(self) if name.startswith("r_")
        }

    # -- helpers

    def span(self, item: Tree[Token] | Token) -> Span:
        if isinstance(item, Token):
            return Span(
                self.file,
                item.line or 0,
                item.column or 0,
                item.end_line or item.line or 0,
                item.end_column or item.column or 0,
            )
        meta = item.meta
        if getattr(meta, "empty", True):
            return Span.unknown(self.file)
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def name(self, token: Token) -> ast.Name:
        return ast.Name(str(token), span=self.span(token))

    def text(self, token: Token) -> ast.Text:
        raw = str(token)[1:-1]
        out: list[str] = []
        i = 0
        while i < len(raw):
            ch = raw[i]
            if ch == "\\":
                nxt = raw[i + 1] if i + 1 < len(raw) else ""
                if nxt in _ESCAPES:
                    out.append(_ESCAPES[nxt])
                else:
                    sp = self.span(token)
                    col = sp.column + 1 + i
                    escape = "\\" + nxt
                    self.problems.append(
                        error(
                            "LUK004",
                            msg("unknown escape `{escape}` in a quoted text",
                                escape=escape),
                            Span(self.file, sp.line, col, sp.line, col + 2),
                            hint=msg('the escapes are \\" \\\\ \\n and \\t'),
                        )
                    )
                i += 2
                continue
            out.append(ch)
            i += 1
        return ast.Text("".join(out), span=self.span(token))

    def integer(self, token: Token) -> ast.Integer:
        digits = str(token)
        if len(digits.lstrip("0")) > len(str(MAX_INTEGER)) or int(digits) > MAX_INTEGER:
            self.problems.append(error(
                "LUK001", msg("the number `{number}` is too large", number=_shorten(digits)),
                self.span(token),
                hint=msg("numbers in a ruleset are at most {max:,} (credits, ages, counts)",
                         max=MAX_INTEGER)))
            return ast.Integer(MAX_INTEGER, span=self.span(token))
        return ast.Integer(int(digits), span=self.span(token))

    def date(self, token: Token) -> ast.DateLit:
        return ast.DateLit(str(token), span=self.span(token))

    def names(self, tree: Tree[Token]) -> tuple[ast.Name, ...]:
        if tree.data == "name_or_list":
            (child,) = tree.children
            if isinstance(child, Tree):
                return self.names(child)
            return (self.name(child),)
        return tuple(self.name(cast(Token, c)) for c in tree.children)

    def build(self, item: Tree[Token]) -> Any:
        rule = str(item.data)
        handler = self._rules.get(rule)
        if handler is None:  # pragma: no cover - grammar and builder disagree
            raise AssertionError(f"no AST builder for grammar rule {rule!r}")
        return handler(item, self.span(item))

    def clauses(self, children: list[Tree[Token] | Token]) -> tuple[Any, ...]:
        return tuple(self.build(c) for c in children if isinstance(c, Tree))

    def module(self, tree: Tree[Token]) -> ast.Module:
        decls = tuple(self.build(cast(Tree[Token], c)) for c in tree.children)
        return ast.Module(decls, span=self.span(tree))

    # -- declarations

    def r_include(self, t: Tree[Token], sp: Span) -> ast.Include:
        return ast.Include(self.text(cast(Token, t.children[0])), span=sp)

    def _head(self, t: Tree[Token]) -> tuple[ast.Name, ast.Text, tuple[Any, ...]]:
        name, title, *rest = t.children
        return self.name(cast(Token, name)), self.text(cast(Token, title)), self.clauses(rest)

    def r_exam_programme(self, t: Tree[Token], sp: Span) -> ast.ExamProgramme:
        title, *rest = t.children
        return ast.ExamProgramme(self.text(cast(Token, title)), self.clauses(rest), span=sp)

    def r_required(self, t: Tree[Token], sp: Span) -> ast.Required:
        return ast.Required(self.names(cast(Tree[Token], t.children[-1])), span=sp)

    def r_choose_units(self, t: Tree[Token], sp: Span) -> ast.ChooseUnits:
        return ast.ChooseUnits(self.integer(cast(Token, t.children[0])),
                               self.names(cast(Tree[Token], t.children[-1])), span=sp)

    def r_choose_credits(self, t: Tree[Token], sp: Span) -> ast.ChooseCredits:
        return ast.ChooseCredits(self.integer(cast(Token, t.children[0])),
                                 self.names(cast(Tree[Token], t.children[-1])), span=sp)

    def r_diploma(self, t: Tree[Token], sp: Span) -> ast.Diploma:
        return ast.Diploma(self.integer(cast(Token, t.children[0])), span=sp)

    def r_entry(self, t: Tree[Token], sp: Span) -> ast.Entry:
        return ast.Entry(self.name(cast(Token, t.children[0])),
                         self.names(cast(Tree[Token], t.children[-1])), span=sp)

    def r_validity(self, t: Tree[Token], sp: Span) -> ast.Validity:
        return ast.Validity(self.build(cast(Tree[Token], t.children[0])), self._basis_of(t),
                            span=sp)

    def r_grounds(self, t: Tree[Token], sp: Span) -> ast.Grounds:
        return ast.Grounds(self.names(cast(Tree[Token], t.children[0])), self._basis_of(t),
                           span=sp)

    def r_exemption_limit(self, t: Tree[Token], sp: Span) -> ast.ExemptionLimit:
        share = any(isinstance(c, Tree) and c.data == "limit_share" for c in t.children)
        return ast.ExemptionLimit(self.integer(cast(Token, t.children[0])), share,
                                  self._basis_of(t), span=sp)

    def r_programme(self, t: Tree[Token], sp: Span) -> ast.Programme:
        return ast.Programme(*self._head(t), span=sp)

    def r_evidence(self, t: Tree[Token], sp: Span) -> ast.EvidenceType:
        return ast.EvidenceType(*self._head(t), span=sp)

    def r_unit(self, t: Tree[Token], sp: Span) -> ast.Unit:
        return ast.Unit(*self._head(t), span=sp)

    def r_assessment(self, t: Tree[Token], sp: Span) -> ast.Assessment:
        return ast.Assessment(*self._head(t), span=sp)

    def r_regime(self, t: Tree[Token], sp: Span) -> ast.Regime:
        return ast.Regime(*self._head(t), span=sp)

    def r_rule(self, t: Tree[Token], sp: Span) -> ast.Rule:
        name, message, *scope, verdict, basis = t.children
        advice: ast.Advice | None = None
        if isinstance(basis, Tree) and basis.data == "advice":
            advice, basis = self.build(basis), verdict
            *scope, verdict = scope
        verdict = cast(Tree[Token], verdict)
        severity, condition = verdict.children
        built = [self.build(cast(Tree[Token], c)) for c in scope]
        return ast.Rule(
            self.name(cast(Token, name)),
            self.text(cast(Token, message)),
            cast(Any, str(severity)),
            self.build(cast(Tree[Token], condition)),
            self.build(cast(Tree[Token], basis)),
            binders=tuple(b for b in built if isinstance(b, ast.Binder)),
            wheres=tuple(w for w in built
                         if not isinstance(w, ast.Binder | ast.Translation)),
            translations=tuple(x for x in built if isinstance(x, ast.Translation)),
            advice=advice,
            span=sp,
        )

    def r_rule_translation(self, t: Tree[Token], sp: Span) -> ast.Translation:
        lang, text = t.children
        return ast.Translation(cast(Any, str(lang)), self.text(cast(Token, text)), span=sp)

    def r_field(self, t: Tree[Token], sp: Span) -> ast.Field:
        name, title, kind = t.children
        word = str(cast(Tree[Token], kind).children[0])
        return ast.Field(self.name(cast(Token, name)), self.text(cast(Token, title)),
                         cast(Any, word), span=sp)

    # -- binders, where, item filters

    def _called(self, children: list[Tree[Token] | Token]) -> ast.Name | None:
        for c in children:
            if isinstance(c, Tree) and c.data == "called":
                return self.name(cast(Token, c.children[0]))
        return None

    def _binder(self, noun: ast.Noun, t: Tree[Token], sp: Span) -> ast.Binder:
        of = next((self.ref(c) for c in t.children if isinstance(c, Tree) and c.data == "ref"),
                  None)
        items = next((self.item_filters(c) for c in t.children
                      if isinstance(c, Tree) and c.data == "item_filters"), None)
        return ast.Binder(noun, self._called(t.children), of, items, span=sp)

    def r_each_unit(self, t: Tree[Token], sp: Span) -> ast.Binder:
        return self._binder("unit", t, sp)

    def r_each_outcome(self, t: Tree[Token], sp: Span) -> ast.Binder:
        return self._binder("outcome", t, sp)

    def r_each_item(self, t: Tree[Token], sp: Span) -> ast.Binder:
        return self._binder("item", t, sp)

    def r_each_result(self, t: Tree[Token], sp: Span) -> ast.Binder:
        return self._binder("result", t, sp)

    def r_each_organisation(self, t: Tree[Token], sp: Span) -> ast.Binder:
        return self._binder("organisation", t, sp)

    def r_each_issuer(self, t: Tree[Token], sp: Span) -> ast.Binder:
        return self._binder("issuer", t, sp)

    def r_where_value(self, t: Tree[Token], sp: Span) -> ast.WhereValue:
        name, value = t.children
        return ast.WhereValue(self.name(cast(Token, name)), self.value(value), span=sp)

    def r_where_items(self, t: Tree[Token], sp: Span) -> ast.WhereItems:
        name, items = t.children
        return ast.WhereItems(self.name(cast(Token, name)),
                              self.item_filters(cast(Tree[Token], items)), span=sp)

    def ref(self, t: Tree[Token]) -> ast.Ref:
        token = cast(Token, t.children[0])
        return ast.Ref(self.name(token), span=self.span(t))

    def item_filters(self, t: Tree[Token]) -> ast.ItemFilters:
        types: tuple[ast.Name, ...] = ()
        filters: list[ast.ItemFilter] = []
        for c in t.children:
            c = cast(Tree[Token], c)
            sp = self.span(c)
            if c.data == "item_type":
                types = self.names(cast(Tree[Token], c.children[0]))
            elif c.data == "covering":
                filters.append(ast.Covering(self.ref(cast(Tree[Token], c.children[0])), span=sp))
            elif c.data == "counting_for":
                filters.append(ast.CountingFor(self.ref(cast(Tree[Token], c.children[0])),
                                               span=sp))
            elif c.data == "from_":
                source = c.children[0]
                filters.append(ast.From(
                    self.ref(source) if isinstance(source, Tree) else self.text(source),
                    span=sp))
            else:
                filters.append(ast.VerifiedOnly(span=sp))
        return ast.ItemFilters(types, tuple(filters), span=self.span(t))

    # -- values

    def value(self, item: Tree[Token] | Token) -> ast.Value:
        if isinstance(item, Token):  # pragma: no cover - every value is a tree
            raise AssertionError(f"a value token {item!r}")
        if item.data == "ref":
            return self.ref(item)
        built: ast.Value = self.build(item)
        return built

    def r_count_items(self, t: Tree[Token], sp: Span) -> ast.CountItems:
        return ast.CountItems(self.item_filters(cast(Tree[Token], t.children[0])), span=sp)

    def r_count_named(self, t: Tree[Token], sp: Span) -> ast.CountNamed:
        return ast.CountNamed(self.name(cast(Token, t.children[0])), span=sp)

    def r_credits_of_results(self, t: Tree[Token], sp: Span) -> ast.CreditsOfResults:
        return ast.CreditsOfResults(span=sp)

    def _attribute(self, attribute: ast.AttributeName, t: Tree[Token], sp: Span
                   ) -> ast.Attribute:
        return ast.Attribute(attribute, self.ref(cast(Tree[Token], t.children[0])), span=sp)

    def r_credits_of(self, t: Tree[Token], sp: Span) -> ast.Attribute:
        return self._attribute("credits", t, sp)

    def r_minimum_of(self, t: Tree[Token], sp: Span) -> ast.Attribute:
        return self._attribute("minimum", t, sp)

    def r_age_of(self, t: Tree[Token], sp: Span) -> ast.Attribute:
        return self._attribute("age", t, sp)

    def r_date_of(self, t: Tree[Token], sp: Span) -> ast.Attribute:
        return self._attribute("date", t, sp)

    def r_organisation_of(self, t: Tree[Token], sp: Span) -> ast.Attribute:
        return self._attribute("organisation", t, sp)

    def r_issuer_of(self, t: Tree[Token], sp: Span) -> ast.Attribute:
        return self._attribute("issuer", t, sp)

    def r_field_of(self, t: Tree[Token], sp: Span) -> ast.FieldOf:
        field, of = t.children
        return ast.FieldOf(self.name(cast(Token, field)), self.ref(cast(Tree[Token], of)),
                           span=sp)

    def r_percent_of(self, t: Tree[Token], sp: Span) -> ast.PercentOf:
        percent, of = t.children
        return ast.PercentOf(self.integer(cast(Token, percent)), self.value(of), span=sp)

    def r_number_lit(self, t: Tree[Token], sp: Span) -> ast.Integer:
        return self.integer(cast(Token, t.children[0]))

    def r_date_lit(self, t: Tree[Token], sp: Span) -> ast.DateLit:
        return self.date(cast(Token, t.children[0]))

    def r_text_lit(self, t: Tree[Token], sp: Span) -> ast.Text:
        return self.text(cast(Token, t.children[0]))

    def r_age_lit(self, t: Tree[Token], sp: Span) -> ast.Age:
        built: ast.Age = self.build(cast(Tree[Token], t.children[0]))
        return built

    # -- scoped atoms

    def _compare(self, op: ast.CompareOp, left: Any, right: Any, sp: Span) -> ast.Compare:
        return ast.Compare(self.value(left), op, self.value(right), span=sp)

    def r_compare(self, t: Tree[Token], sp: Span) -> ast.Compare:
        left, op, right = t.children
        return self._compare(cast(Any, str(op)), left, right, sp)

    def r_is_equal(self, t: Tree[Token], sp: Span) -> ast.Compare:
        left, right = t.children
        return self._compare("is", left, right, sp)

    def r_is_not_equal(self, t: Tree[Token], sp: Span) -> ast.Compare:
        left, _, right = t.children
        return self._compare("is not", left, right, sp)

    def item_test(self, t: Tree[Token]) -> ast.ItemTest:
        sp = self.span(t)
        if t.data == "test_verified":
            return ast.Verified(span=sp)
        age: ast.Age = self.build(cast(Tree[Token], t.children[0]))
        return ast.AgeTest("younger" if t.data == "test_younger" else "older", age, span=sp)

    def r_is_test(self, t: Tree[Token], sp: Span) -> ast.IsTest:
        subject, test = t.children
        return ast.IsTest(self.value(subject), self.item_test(cast(Tree[Token], test)),
                          span=sp)

    def r_is_not_test(self, t: Tree[Token], sp: Span) -> ast.IsTest:
        subject, _, test = t.children
        return ast.IsTest(self.value(subject), self.item_test(cast(Tree[Token], test)),
                          negated=True, span=sp)

    def r_items_quantified(self, t: Tree[Token], sp: Span) -> ast.ItemsQuantified:
        quantifier, items, test = t.children
        return ast.ItemsQuantified(
            cast(Any, str(quantifier)), self.item_filters(cast(Tree[Token], items)),
            self.item_test(test) if isinstance(test, Tree) else self.name(test), span=sp)

    # -- programme clauses

    def r_level(self, t: Tree[Token], sp: Span) -> ast.Level:
        return ast.Level(self.name(cast(Token, t.children[0])), span=sp)

    def r_forms(self, t: Tree[Token], sp: Span) -> ast.Forms:
        return ast.Forms(self.names(cast(Tree[Token], t.children[0])), span=sp)

    def r_institution(self, t: Tree[Token], sp: Span) -> ast.Institution:
        return ast.Institution(self.text(cast(Token, t.children[0])), span=sp)

    def r_participates(self, t: Tree[Token], sp: Span) -> ast.Participates:
        return ast.Participates(span=sp)

    def r_practice_component(self, t: Tree[Token], sp: Span) -> ast.PracticeComponent:
        return ast.PracticeComponent(span=sp)

    def r_closing(self, t: Tree[Token], sp: Span) -> ast.Closing:
        return ast.Closing(tuple(self.text(cast(Token, c)) for c in t.children), span=sp)

    def r_under(self, t: Tree[Token], sp: Span) -> ast.Under:
        return ast.Under(self.names(cast(Tree[Token], t.children[0])), span=sp)

    def r_as_if(self, t: Tree[Token], sp: Span) -> ast.AsIf:
        regime, date = t.children
        return ast.AsIf(self.name(cast(Token, regime)), self.date(cast(Token, date)), span=sp)

    def r_opted_in(self, t: Tree[Token], sp: Span) -> ast.OptedInOn:
        return ast.OptedInOn(self.date(cast(Token, t.children[0])), span=sp)

    def r_replaces(self, t: Tree[Token], sp: Span) -> ast.Replaces:
        path, date = t.children
        return ast.Replaces(self.text(cast(Token, path)), self.date(cast(Token, date)), span=sp)

    def r_default_kind(self, t: Tree[Token], sp: Span) -> ast.DefaultKind:
        return ast.DefaultKind(self.name(cast(Token, t.children[0])), span=sp)

    def _basis_of(self, t: Tree[Token]) -> ast.Basis | None:
        for c in t.children:
            if isinstance(c, Tree) and c.data == "basis":
                basis: ast.Basis = self.build(c)
                return basis
        return None

    def r_default_max_age(self, t: Tree[Token], sp: Span) -> ast.DefaultMaxAge:
        return ast.DefaultMaxAge(self.build(cast(Tree[Token], t.children[0])),
                                 self._basis_of(t), span=sp)

    def r_default_min_items(self, t: Tree[Token], sp: Span) -> ast.MinItems:
        built: ast.MinItems = self.build(cast(Tree[Token], t.children[0]))
        return built

    def r_age(self, t: Tree[Token], sp: Span) -> ast.Age:
        amount, unit = t.children
        word = str(unit)
        normalised: ast.AgeUnit = "months" if word.startswith("month") else "years"
        return ast.Age(self.integer(cast(Token, amount)), normalised, span=sp)

    def r_min_items(self, t: Tree[Token], sp: Span) -> ast.MinItems:
        return ast.MinItems(self.integer(cast(Token, t.children[0])), self._basis_of(t), span=sp)

    # -- evidence and unit clauses

    def r_max_age(self, t: Tree[Token], sp: Span) -> ast.MaxAge:
        return ast.MaxAge(self.build(cast(Tree[Token], t.children[0])), self._basis_of(t),
                          span=sp)

    def r_needs_verification(self, t: Tree[Token], sp: Span) -> ast.NeedsVerification:
        return ast.NeedsVerification(self._basis_of(t), span=sp)

    def r_credits(self, t: Tree[Token], sp: Span) -> ast.Credits:
        return ast.Credits(self.integer(cast(Token, t.children[0])), span=sp)

    def r_kind(self, t: Tree[Token], sp: Span) -> ast.Kind:
        return ast.Kind(self.name(cast(Token, t.children[0])), span=sp)

    def r_outcome(self, t: Tree[Token], sp: Span) -> ast.Outcome:
        ident, text = t.children
        return ast.Outcome(self.name(cast(Token, ident)), self.text(cast(Token, text)), span=sp)

    def r_outcome_accepts(self, t: Tree[Token], sp: Span) -> ast.OutcomeAccepts:
        ident, types, *_ = t.children
        return ast.OutcomeAccepts(self.name(cast(Token, ident)),
                                  self.names(cast(Tree[Token], types)), self._basis_of(t),
                                  span=sp)

    def r_outcome_min_items(self, t: Tree[Token], sp: Span) -> ast.OutcomeMinItems:
        ident, count, *_ = t.children
        return ast.OutcomeMinItems(self.name(cast(Token, ident)),
                                   self.integer(cast(Token, count)), self._basis_of(t), span=sp)

    def r_accepts(self, t: Tree[Token], sp: Span) -> ast.Accepts:
        return ast.Accepts(self.names(cast(Tree[Token], t.children[0])), span=sp)

    def r_recommended(self, t: Tree[Token], sp: Span) -> ast.Recommended:
        return ast.Recommended(self.names(cast(Tree[Token], t.children[0])), span=sp)

    # -- assessment clauses

    def r_method(self, t: Tree[Token], sp: Span) -> ast.Method:
        return ast.Method("portfolio" if str(t.children[0]) == "portfolio" else "exam", span=sp)

    def r_path(self, t: Tree[Token], sp: Span) -> ast.PathClause:
        return ast.PathClause(str(t.children[0]) == "path-independent", span=sp)

    def r_assesses(self, t: Tree[Token], sp: Span) -> ast.Assesses:
        return ast.Assesses(self.names(cast(Tree[Token], t.children[0])), span=sp)

    def r_max_units(self, t: Tree[Token], sp: Span) -> ast.MaxUnits:
        return ast.MaxUnits(self.integer(cast(Token, t.children[0])), span=sp)

    # -- regime clauses

    def r_period_always(self, t: Tree[Token], sp: Span) -> ast.Period:
        return ast.Period("always", span=sp)

    def r_period_proposal(self, t: Tree[Token], sp: Span) -> ast.Period:
        return ast.Period("proposal", span=sp)

    def r_period_dates(self, t: Tree[Token], sp: Span) -> ast.Period:
        dates = [self.date(cast(Token, c)) for c in t.children]
        return ast.Period("dates", dates[0], dates[1] if len(dates) > 1 else None, span=sp)

    def r_extends(self, t: Tree[Token], sp: Span) -> ast.Extends:
        return ast.Extends(self.name(cast(Token, t.children[0])), span=sp)

    def r_advice(self, t: Tree[Token], sp: Span) -> ast.Advice:
        text, *translations = t.children
        return ast.Advice(self.text(cast(Token, text)), span=sp, translations=tuple(
            self.build(cast(Tree[Token], x)) for x in translations))

    def r_basis(self, t: Tree[Token], sp: Span) -> ast.Basis:
        text, *translations = t.children
        return ast.Basis(self.text(cast(Token, text)), span=sp, translations=tuple(
            self.build(cast(Tree[Token], x)) for x in translations))

    def _when_basis(self, rest: list[Any]
                    ) -> tuple[ast.Condition | None, ast.Basis, ast.Provenance | None]:
        when = None
        basis = None
        provenance = None
        for child in rest:
            if child.data == "when":
                when = self.build(child.children[0])
            elif child.data == "basis":
                basis = self.build(child)
            else:
                provenance = self.build(child)
        assert basis is not None
        return when, basis, provenance

    def r_enacted(self, t: Tree[Token], sp: Span) -> ast.Provenance:
        return ast.Provenance("enacted", span=sp)

    def r_interpretation(self, t: Tree[Token], sp: Span) -> ast.Provenance:
        reading, *translations = t.children
        return ast.Provenance("interpretation", self.text(cast(Token, reading)), span=sp,
                              translations=tuple(self.build(cast(Tree[Token], x))
                                                 for x in translations))

    def r_proposed(self, t: Tree[Token], sp: Span) -> ast.Provenance:
        return ast.Provenance("proposal", span=sp)

    def r_permit(self, t: Tree[Token], sp: Span) -> ast.Permit:
        kind, forms, *rest = t.children
        when, basis, provenance = self._when_basis(rest)
        return ast.Permit(
            self.name(cast(Token, kind)), self.names(cast(Tree[Token], forms)), when, basis,
            provenance, span=sp,
        )

    def r_allow(self, t: Tree[Token], sp: Span) -> ast.Allow:
        combinations, kinds, *rest = t.children
        when, basis, provenance = self._when_basis(rest)
        return ast.Allow(
            self.names(cast(Tree[Token], combinations)),
            self.names(cast(Tree[Token], kinds)),
            when,
            basis,
            provenance,
            span=sp,
        )

    # -- conditions

    def _chain(self, kind: type[ast.Chain], t: Tree[Token], rule: str, parens: int = 0,
               levels: int = 0) -> ast.Chain:
        """The chain ``a and b and c`` (a left-deep tree of ``rule``), its operands read
        without recursion. A parenthesised operand of the same kind, ``(a and b) and c``,
        is spliced in and kept as a group in ``written`` (up to MAX_CONDITION_DEPTH groups
        deep; deeper ones are spliced without their parentheses)."""
        written: list[ast.Condition] = []
        pending: list[Tree[Token] | Token] = [t]
        while pending:
            node = pending.pop()
            if not isinstance(node, Tree):
                continue
            inner, around = _unparen(node)
            if node is t or node.data == rule:
                pending.extend(reversed(node.children))
            elif around and inner.data == rule and levels >= MAX_CONDITION_DEPTH:
                pending.append(inner)
            elif around and inner.data == rule:
                written.append(self._chain(kind, inner, rule, around, levels + 1))
            else:
                written.append(self._nested(node))
        return ast.chain(kind, written, parens=parens, span=self.span(t))

    def _nested(self, t: Tree[Token]) -> ast.Condition:
        """Build a condition one level deeper, refusing absurd nesting with a diagnostic
        (every later stage walks conditions recursively)."""
        self.depth += 1
        try:
            if self.depth > MAX_CONDITION_DEPTH:
                if not self.too_deep:
                    self.too_deep = True
                    self.problems.append(error(
                        "LUK001", msg("this condition is nested more than {depth} levels deep",
                                      depth=MAX_CONDITION_DEPTH), self.span(t),
                        hint=msg("write it flatter: split it into several rules, or drop "
                                 "double negations")))
                return ast.And((), span=self.span(t))
            condition: ast.Condition = self.build(t)
            return condition
        finally:
            self.depth -= 1

    def r_or_(self, t: Tree[Token], sp: Span) -> ast.Or:
        return self._chain(ast.Or, t, "or_")

    def r_and_(self, t: Tree[Token], sp: Span) -> ast.And:
        return self._chain(ast.And, t, "and_")

    def r_not_(self, t: Tree[Token], sp: Span) -> ast.Not:
        return ast.Not(self._nested(cast(Tree[Token], t.children[-1])), span=sp)

    def r_paren(self, t: Tree[Token], sp: Span) -> ast.Condition:
        """``( C )``: the condition, marked with the parentheses around it (its span is
        that of the text inside them; a chain or ``not`` around it spans them too)."""
        inner, parens = _unparen(t)
        condition: ast.Condition = self.build(inner)
        return attrs.evolve(condition, parens=parens)

    def r_unit_claimed(self, t: Tree[Token], sp: Span) -> ast.UnitClaimed:
        return ast.UnitClaimed(self.name(cast(Token, t.children[0])), span=sp)

    def r_assessment_is(self, t: Tree[Token], sp: Span) -> ast.AssessmentIs:
        return ast.AssessmentIs(self.name(cast(Token, t.children[0])), span=sp)

    def r_assessment_path_independent(
        self, t: Tree[Token], sp: Span
    ) -> ast.AssessmentPathIndependent:
        return ast.AssessmentPathIndependent(span=sp)

    def r_assessment_path_dependent(
        self, t: Tree[Token], sp: Span
    ) -> ast.AssessmentPathDependent:
        return ast.AssessmentPathDependent(span=sp)

    def r_assessment_portfolio(self, t: Tree[Token], sp: Span) -> ast.AssessmentMethod:
        return ast.AssessmentMethod("portfolio", span=sp)

    def r_assessment_exam(self, t: Tree[Token], sp: Span) -> ast.AssessmentMethod:
        return ast.AssessmentMethod("exam", span=sp)

    def r_evidence_quantified(self, t: Tree[Token], sp: Span) -> ast.EvidenceQuantified:
        quantifier, types = t.children
        return ast.EvidenceQuantified(
            cast(Any, str(quantifier)), self.names(cast(Tree[Token], types)), span=sp
        )

    def r_count_units(self, t: Tree[Token], sp: Span) -> ast.CountUnits:
        op, value = t.children
        return ast.CountUnits(cast(Any, str(op)), self.integer(cast(Token, value)), span=sp)

    def r_count_evidence(self, t: Tree[Token], sp: Span) -> ast.CountEvidence:
        *types, op, value = t.children
        names = self.names(cast(Tree[Token], types[0])) if types else ()
        return ast.CountEvidence(
            names, cast(Any, str(op)), self.integer(cast(Token, value)), span=sp
        )

    def r_combination_is(self, t: Tree[Token], sp: Span) -> ast.CombinationIs:
        return ast.CombinationIs(self.names(cast(Tree[Token], t.children[0])), span=sp)

    def r_form_is(self, t: Tree[Token], sp: Span) -> ast.FormIs:
        return ast.FormIs(self.names(cast(Tree[Token], t.children[0])), span=sp)

    def r_level_is(self, t: Tree[Token], sp: Span) -> ast.LevelIs:
        return ast.LevelIs(self.name(cast(Token, t.children[0])), span=sp)

    def r_activity_followed(self, t: Tree[Token], sp: Span) -> ast.ActivityFollowed:
        return ast.ActivityFollowed(self.name(cast(Token, t.children[0])), span=sp)

    def r_submitted_before(self, t: Tree[Token], sp: Span) -> ast.Submitted:
        return ast.Submitted("before", self.date(cast(Token, t.children[0])), span=sp)

    def r_submitted_from(self, t: Tree[Token], sp: Span) -> ast.Submitted:
        return ast.Submitted("from", self.date(cast(Token, t.children[0])), span=sp)

    def r_participating(self, t: Tree[Token], sp: Span) -> ast.InstitutionParticipates:
        return ast.InstitutionParticipates(span=sp)

    def r_practice_component_holds(self, t: Tree[Token], sp: Span) -> ast.HasPracticeComponent:
        return ast.HasPracticeComponent(span=sp)

    def r_opted_in_holds(self, t: Tree[Token], sp: Span) -> ast.OptedIn:
        return ast.OptedIn(span=sp)

    def r_recommended_route(self, t: Tree[Token], sp: Span) -> ast.RecommendedRoute:
        return ast.RecommendedRoute(span=sp)
