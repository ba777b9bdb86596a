"""What an editor may offer at the cursor (``luk lsp``'s completion), from the text before it.

The grammar decides: the text of the declaration the cursor is in, up to the cursor, is run
through the parser (:func:`luk_rules.parse.continuations`), which says which keywords may come
next and whether a name may. Which *kind* of name follows from the words before it, as the
grammar places them: evidence types after ``accepts`` (and after a comma in its list), units
after ``assesses``, ``required``, ``choose at least N units of`` and ``only after``, law regimes
after ``under``, forms after ``form``, and so on; inside a condition, the rule's binders and
``where`` names, evidence fields, and after ``is`` also units and evidence types. The names
themselves come from the latest analysis's symbol table, so completion keeps working in a
buffer that does not parse.

At the start of a line, only the keywords that can start something there are offered: the
keywords that start a declaration at the left margin, the clauses of the declaration the line
is in when it is indented. A text the parser cannot follow (the current clause is broken)
gives None: the caller then offers every name and keyword (:func:`everything`); where a
name may come but the words before it do not say of which kind, every declared name is
offered.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import Final, Literal, TypeAlias

import attrs

from luk_rules import ast
from luk_rules.checks.resolve import (
    COMBINATIONS,
    FORMS,
    LEVEL_FAMILIES,
    LEVELS,
    UNIT_KINDS,
    SymbolTable,
    clauses_of,
    first_clause,
)
from luk_rules.i18n import Message, msg, msgn
from luk_rules.parse import Continuation, Lexeme, continuations
from luk_rules.resources import grammar_path

__all__ = ["Candidate", "CandidateKind", "complete", "everything", "keywords", "starters"]

CandidateKind: TypeAlias = Literal[
    "keyword", "unit", "outcome", "evidence type", "evidence field", "assessment",
    "law regime", "rule", "form", "level", "unit kind", "combination", "activity", "binder",
]
"""What a completion candidate is (the editor shows each kind with its own icon)."""


@attrs.frozen
class Candidate:
    """One thing to offer: its text, its kind, and what it is (the parts of its detail,
    each a message or a ruleset's own text; shown joined)."""

    label: str
    kind: CandidateKind
    detail: tuple[str, ...] = ()


# The sources of names a context can ask for: the candidate kinds that are names.
_Source: TypeAlias = Literal[
    "unit", "outcome", "evidence type", "evidence field", "assessment", "law regime", "form",
    "level", "level family", "unit kind", "combination", "activity", "binder",
]

_REF: Final[frozenset[_Source]] = frozenset({"binder", "evidence field"})
"""At the start of an atom or a value: a binder, a ``where`` name, ``FIELD of ...``."""

_UNIT_REF: Final[frozenset[_Source]] = frozenset({"binder", "unit"})
"""What ``covering``, ``counting for``, ``credits of``, ``for each outcome of`` take."""

_VALUE: Final[frozenset[_Source]] = _REF | {"unit", "evidence type"}
"""After ``is``: a value, a unit (``unit is BK-ONT``) or an evidence type (``item is cv``)."""

_DECLARED: Final[frozenset[_Source]] = frozenset({
    "unit", "outcome", "evidence type", "evidence field", "assessment", "law regime"})
"""Every kind of declared name (rules apart: nothing refers to one)."""

_NONE: Final[frozenset[_Source]] = frozenset()
"""A name of one's own: a new declaration, a binder's ``called`` name, a ground."""

_LIST: Final = "LIST"
"""In a pattern: a list of names, ``NAME (, NAME)*``."""

# Which names may follow which words, as grammar/luk.lark places them; the longest pattern
# that ends the text before the cursor wins. A list the cursor continues (after a comma) is
# taken off first, and so is a ``one of``.
_CONTEXTS: Final[tuple[tuple[tuple[str, ...], frozenset[_Source]], ...]] = (
    # programme
    (("level",), frozenset({"level"})),
    (("form",), frozenset({"form"})),
    (("under",), frozenset({"law regime"})),
    (("as", "if"), frozenset({"law regime"})),
    (("units", "are"), frozenset({"unit kind"})),
    # examination programme (an entry requirement starts with a unit: see _default)
    (("required",), frozenset({"unit"})),
    (("choose", "at", "least", "INT", "units", "of"), frozenset({"unit"})),
    (("choose", "at", "least", "INT", "unit", "of"), frozenset({"unit"})),
    (("choose", "at", "least", "INT", "credits", "of"), frozenset({"unit"})),
    (("only", "after"), frozenset({"unit"})),
    (("on", "grounds"), _NONE),
    # unit
    (("kind",), frozenset({"unit kind"})),
    (("accepts",), frozenset({"evidence type"})),
    (("recommended", "activity"), frozenset({"activity"})),
    # assessment
    (("assesses",), frozenset({"unit"})),
    # regime
    (("extends",), frozenset({"law regime"})),
    (("permit",), frozenset({"unit kind"})),
    (("permit", "NAME", "for"), frozenset({"form"})),
    (("allow", "combination"), frozenset({"combination"})),
    (("allow", "combination", _LIST, "for"), frozenset({"unit kind"})),
    # rule: binders and where
    (("called",), _NONE),
    (("where",), _NONE),
    (("where", "NAME", "is"), _REF),
    (("each", "outcome", "of"), _UNIT_REF),
    (("each", "outcome", "called", "NAME", "of"), _UNIT_REF),
    # conditions: the start of an atom
    (("when",), _REF),
    (("and",), _REF),
    (("or",), _REF),
    (("not",), _REF),
    (("(",), _REF),
    # conditions: atoms that name a declaration or a word of the language
    (("unit",), frozenset({"unit"})),
    (("assessment", "is"), frozenset({"assessment"})),
    (("evidence", "is"), frozenset({"evidence type"})),
    (("of", "type"), frozenset({"evidence type"})),
    (("combination", "is"), frozenset({"combination"})),
    (("form", "is"), frozenset({"form"})),
    (("level", "is"), frozenset({"level", "level family"})),
    (("activity",), frozenset({"activity"})),
    # conditions: values and item filters
    (("covering",), _UNIT_REF),
    (("counting", "for"), _UNIT_REF),
    (("credits", "of"), _UNIT_REF),
    (("minimum", "of"), _REF),
    (("age", "of"), _REF),
    (("date", "of"), _REF),
    (("organisation", "of"), _REF),
    (("issuer", "of"), _REF),
    (("NAME", "of"), _REF),
    (("number", "of"), _REF),
    (("%", "of"), _REF),
    (("from",), _REF),
    (("COMPARE",), _REF),
    (("is",), _VALUE),
    (("is", "not"), _VALUE),
)

_WORD_BEFORE_CURSOR = re.compile(r"[A-Za-z0-9_-]*\Z")
_STRING = re.compile(r'"([^"\\\n]|\\.)*"')
_COMMENT = re.compile(r"#[^\n]*")
_BINDER = re.compile(r"\bfor\s+each\s+(unit|outcome|item|result|organisation|issuer)\b"
                     r"(?:\s+called\s+([A-Za-z][A-Za-z0-9_-]*))?")
_WHERE = re.compile(r"\bwhere\s+([A-Za-z][A-Za-z0-9_-]*)\s+(?:is|are)\b")

# Heads that stand in for a declaration whose text before the cursor does not parse, so that
# the clause the cursor is in is still understood (a condition's next line too).
_HEADS: Final[dict[str, tuple[str, ...]]] = {
    "programme": ('programme X ""\n',),
    "examination": ('examination programme ""\n',),
    "evidence": ('evidence X ""\n',),
    "unit": ('unit X ""\n',),
    "assessment": ('assessment X ""\n',),
    "regime": ('regime X ""\n', 'regime X "" permit X for X when opted in\n'),
    "rule": ('rule X ""\n', 'rule X "" deny when opted in\n'),
}


@functools.cache
def keywords() -> tuple[str, ...]:
    """Every keyword of the language: the words ``grammar/luk.lark`` quotes, sorted."""
    grammar = grammar_path().read_text(encoding="utf-8")
    return tuple(sorted(set(re.findall(r'"([a-z][a-z/-]*)"', grammar))))


@functools.cache
def starters() -> frozenset[str]:
    """The keywords that start a declaration (``unit``, ``rule``, ...), from the grammar."""
    found = continuations("")
    assert found is not None  # the empty text is a ruleset
    return found.keywords


def complete(before: str, table: SymbolTable | None, regimes: Iterable[str] = ()
             ) -> tuple[Candidate, ...] | None:
    """What may be written at the end of ``before`` (a buffer's text up to the cursor; a word
    being typed there is left to the editor to match): keywords and names of the kind the
    grammar allows there. Names come from ``table`` (the latest analysis's, if any) and
    ``regimes`` (law regimes that can be read besides the table's); None when the text before
    the cursor cannot be followed (the caller then offers everything).

    Example:
        >>> [c.label for c in complete('unit U1 "Een eenheid"\\n  kind ', None)]
        ['onderwijseenheid', 'eenheid-van-leeruitkomsten']
    """
    typed = _WORD_BEFORE_CURSOR.search(before)
    text = before[:typed.start()] if typed is not None else before
    line = text[text.rfind("\n") + 1:]
    if _STRING.sub("", line).count('"') or "#" in _STRING.sub("", line):
        return ()  # in a quoted text or a comment: anything may be written
    if not line:  # the left margin: a new declaration
        return tuple(Candidate(k, "keyword", (msg("keyword"),)) for k in sorted(starters()))
    start = _declaration_start(text)
    declaration = text[start:]
    found = _follow(declaration, line)
    if found is None:
        return None
    keywords = set(found.keywords)
    if found.complete:  # what starts a declaration would start the next one
        keywords -= starters()
    names: list[Candidate] = []
    if "NAME" in found.terminals:
        sources = _context(found.tokens)
        names.extend(_names(_DECLARED | {"binder"} if sources is None else sources, table, regimes,
                            _bound(declaration)))
    if "OUTCOME_ID" in found.terminals:
        names.extend(_outcome_ids(found.tokens, table))
    named = {c.label for c in names}
    words = [Candidate(k, "keyword", (msg("keyword"),)) for k in sorted(keywords)
             if k[0].isalpha() and k not in named]
    return tuple(_unique([*names, *words]))


def everything(table: SymbolTable | None, regimes: Iterable[str] = ()) -> tuple[Candidate, ...]:
    """Every declared name (with what it is) and every keyword: what an editor offers where
    the context is not known."""
    found = list(_names(_DECLARED, table, regimes, ()))
    if table is not None:
        found.extend(Candidate(name, "rule", (rules[0].message.value,))
                     for name, rules in table.rules.items())
    found.extend(Candidate(k, "keyword", (msg("keyword"),)) for k in keywords())
    return tuple(_unique(found))


# ---------------------------------------------------------------- the context


def _declaration_start(text: str) -> int:
    """Where the declaration the end of ``text`` is in starts: the last line that starts
    with a declaration's keyword at the left margin (the canonical layout), else 0."""
    words = "|".join(sorted(starters()))
    found = [m.start() for m in re.finditer(rf"^(?:{words})(?![A-Za-z0-9_-])", text, re.M)]
    return found[-1] if found else 0


def _follow(declaration: str, line: str) -> Continuation | None:
    """The parser's view of the end of ``declaration``; when it does not parse, of the
    cursor's ``line`` after a stand-in head of the same kind of declaration."""
    found = continuations(declaration)
    if found is not None:
        return found
    keyword = re.match(r"[a-z]+", declaration)
    for head in _HEADS.get(keyword.group() if keyword else "", ()):
        found = continuations(head + line)
        if found is not None:
            return found
    return None


def _context(tokens: tuple[Lexeme, ...]) -> frozenset[_Source] | None:
    """The kinds of name that may come after ``tokens`` (those of the cursor's declaration),
    by the words before the cursor; None when they say nothing."""
    shapes = [t.shape for t in tokens]
    if len(shapes) == 1 or shapes == ["evidence", "field"]:
        return _NONE  # the name of a new declaration
    if shapes and shapes[-1] == ",":  # the next name of a list: what the list is
        shapes = shapes[:-1]
        shapes = shapes[:len(shapes) - _list_length(shapes)]
    if shapes[-2:] == ["one", "of"]:
        shapes = shapes[:-2]
    best: tuple[int, frozenset[_Source]] | None = None
    for pattern, sources in _CONTEXTS:
        length = _ends_with(shapes, pattern)
        if length and (best is None or length > best[0]):
            best = (length, sources)
    if best is not None:
        return best[1]
    if shapes and shapes[0] == "examination":
        return frozenset({"unit"})  # `UNIT only after UNIT, ...`
    return None


def _list_length(shapes: list[str]) -> int:
    """How many of the last ``shapes`` are a list of names, ``NAME (, NAME)*``."""
    if not shapes or shapes[-1] != "NAME":
        return 0
    length = 1
    while shapes[:len(shapes) - length][-2:] == ["NAME", ","]:
        length += 2
    return length


def _ends_with(shapes: list[str], pattern: tuple[str, ...]) -> int:
    """How many of the last ``shapes`` ``pattern`` matches (0 when it does not)."""
    at = len(shapes)
    for part in reversed(pattern):
        if part == _LIST:
            length = _list_length(shapes[:at])
            if not length:
                return 0
            at -= length
        elif at and shapes[at - 1] == part:
            at -= 1
        else:
            return 0
    return len(shapes) - at


def _bound(declaration: str) -> tuple[tuple[str, str], ...]:
    """The names a rule binds on the lines before the cursor's, each with how: ``for each
    item called other`` binds ``other``, ``where n is ...`` binds ``n`` (the binder or
    ``where`` being written on the cursor's line binds nothing for itself)."""
    done = declaration[:declaration.rfind("\n") + 1]
    plain = _COMMENT.sub("", _STRING.sub('""', done))
    found = [(m.group(2) or m.group(1), m.group(0)) for m in _BINDER.finditer(plain)]
    found.extend((m.group(1), f"where {m.group(1)}") for m in _WHERE.finditer(plain))
    return tuple(found)


# ---------------------------------------------------------------- the names


def _names(sources: frozenset[_Source], table: SymbolTable | None, regimes: Iterable[str],
           bound: Iterable[tuple[str, str]]) -> Iterator[Candidate]:
    """The names of the ``sources`` kinds, each with its kind and what it is."""
    if "binder" in sources:
        yield from (Candidate(name, "binder", (how,)) for name, how in bound)
    if table is not None:
        if "unit" in sources:
            yield from (_unit(name, units[0]) for name, units in table.units.items())
        if "outcome" in sources:
            yield from (Candidate(key, "outcome", (outcomes[0].text.value,))
                        for key, outcomes in table.outcomes.items())
        if "evidence type" in sources:
            yield from (Candidate(name, "evidence type", (types[0].title.value,))
                        for name, types in table.evidence.items())
        if "evidence field" in sources:
            yield from (Candidate(name, "evidence field", (fields[0].title.value,
                                                           fields[0].type))
                        for name, fields in table.fields.items())
        if "assessment" in sources:
            yield from (Candidate(name, "assessment", (assessments[0].title.value,))
                        for name, assessments in table.assessments.items())
        if "law regime" in sources:
            yield from (Candidate(name, "law regime", (declared[0].title.value,))
                        for name, declared in table.regimes.items())
        if "activity" in sources:
            yield from _activities(table)
    if "law regime" in sources:
        known = set(table.regimes) if table is not None else set()
        yield from (Candidate(name, "law regime", (msg("law regime"),))
                    for name in sorted({*regimes, *(table.available_regimes if table else ())})
                    if name not in known)
    words: tuple[tuple[_Source, tuple[str, ...], CandidateKind, Message], ...] = (
        ("form", FORMS, "form", msg("programme form")),
        ("level", LEVELS, "level", msg("programme level")),
        ("level family", LEVEL_FAMILIES, "level", msg("every hbo or wo level")),
        ("unit kind", UNIT_KINDS, "unit kind", msg("unit kind")),
        ("combination", COMBINATIONS, "combination", msg("combination (route)")),
    )
    for source, values, kind, detail in words:
        if source in sources:
            yield from (Candidate(value, kind, (detail,)) for value in values)


def _unit(name: str, unit: ast.Unit) -> Candidate:
    credits = first_clause(unit, ast.Credits)
    detail: tuple[str, ...] = (unit.title.value,)
    if credits is not None:
        detail += (msgn("{n} credit", "{n} credits", credits.credits.value),)
    return Candidate(name, "unit", detail)


def _activities(table: SymbolTable) -> Iterator[Candidate]:
    """The activities the units recommend (activities are free names, declared nowhere:
    these keep their spelling the same), each with the first unit that recommends it."""
    for name, units in table.units.items():
        for clause in clauses_of(units[0], ast.Recommended):
            yield from (Candidate(a.value, "activity", (msg("recommended activity of {unit}",
                                                            unit=name),))
                        for a in clause.activities)


def _outcome_ids(tokens: tuple[Lexeme, ...], table: SymbolTable | None) -> Iterator[Candidate]:
    """The outcome ids of the unit the cursor is in (for ``outcome ID accepts`` and
    ``outcome ID needs``): those written before the cursor and those the table knows."""
    if len(tokens) < 2 or tokens[0].shape != "unit":
        return
    unit = tokens[1].text
    for i in range(len(tokens) - 2):
        if (tokens[i].shape, tokens[i + 2].shape) == ("outcome", "STRING") and (
                tokens[i + 1].shape == "OUTCOME_ID"):
            yield Candidate(tokens[i + 1].text, "outcome", (tokens[i + 2].text[1:-1],))
    declared = table.unit(unit) if table is not None else None
    if declared is not None:
        yield from (Candidate(o.id.value, "outcome", (o.text.value,))
                    for o in clauses_of(declared, ast.Outcome))


def _unique(candidates: Iterable[Candidate]) -> Iterator[Candidate]:
    """Each label once: the first candidate of each."""
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.label not in seen:
            seen.add(candidate.label)
            yield candidate
