"""AST to text: the canonical layout of a ``.luk`` file, as ``luk fmt`` writes it.

The layout: every declaration starts at column 0 with its keyword, name and
title; each clause follows on its own line, indented two spaces. In a regime,
``permit`` and ``allow`` clauses stand in a paragraph of their own, their
``for``, ``when`` and ``basis`` parts on separate lines indented four spaces.
Declarations are separated by a blank line, except that runs of ``include``
and of ``evidence`` declarations stay together.

A condition is printed with the parentheses its author wrote, exactly (the
``parens`` and ``written`` layout markers of :mod:`luk_rules.ast`), and one
pair wherever the precedence needs one that the tree does not mark. It stays
on the line of its ``when`` unless its author started an operand of ``and`` or
``or`` on a new line: there the printed condition breaks too, before the
``and``/``or``, and the new line is indented one level deeper than the line
its chain started on.

Comments are kept, in order and beside the code they were written next to
(see :func:`print_module`). The printer does not import the parser: the CLI
composes ``parse`` and :func:`print_module` for ``luk fmt``.

Printing a parsed module and parsing the result gives back an equal module,
with the same layout markers. A tree built by hand may hold an ``And``
directly inside an ``And`` (an ``Or`` inside an ``Or``) without parentheses,
which the parser never gives: it is printed as one chain, which means the
same (and parses back as one).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import assert_never

import attrs

from luk_rules import ast
from luk_rules.span import Span

INDENT = "  "
"""One level of indentation."""

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}


def print_module(module: ast.Module) -> str:
    """The canonical text of a module, comments included; ends with a newline.

    Own-line comments are printed before the first declaration or clause whose
    source span reaches past them, at that construct's indentation; a blank
    line that separated a comment from the next declaration in the source is
    kept. A comment that ended a line of code ends the printed line of the
    construct on whose source line it stood (the innermost printed line whose
    span contains that line), or when no printed line spans its line (one that
    held only a ``when`` or a ``)``, say), stands on its own line before the
    next; when several land on one printed line, all but the last are printed
    on their own lines just before it. Comments after the last declaration
    come at the end. The comments keep their order: one that would land before
    a comment written earlier goes right after it instead.

    A condition keeps the line breaks its author made between the operands of
    ``and`` and ``or``, so a comment written beside an operand stays beside it
    (see :func:`condition_text` for the parentheses).

    Example:
        >>> m = ast.Module((ast.EvidenceType(ast.Name("cv"), ast.Text("CV"), ()),))
        >>> print_module(m)
        'evidence cv "CV"\\n'
    """
    lines = list(_module_lines(module.declarations))
    before: list[list[ast.Comment]] = [[] for _ in range(len(lines) + 1)]
    trailing: list[list[ast.Comment]] = [[] for _ in lines]
    floor = (0, 0)
    for comment in module.comments:
        slot = None if comment.own_line else _trailing_slot(lines, comment.span.line)
        place = (_own_line_slot(lines, comment.span.line), 0) if slot is None else (slot, 1)
        # Never before a comment written earlier: the comments keep their order.
        floor = max(floor, place)
        (before if floor[1] == 0 else trailing)[floor[0]].append(comment)

    out: list[str] = []
    for i, line in enumerate(lines):
        if line.blank_before and out:
            out.append("")
        group = before[i]
        _emit_comments(out, group, line.indent, spaced=line.top)
        if line.top and group and _gap(group[-1].span.line, line.span.line):
            out.append("")
        code = INDENT * line.indent + line.text
        if trailing[i]:
            *early, last = trailing[i]
            _emit_comments(out, early, line.indent, spaced=False)
            code = f"{code}  {last.text}"
        out.append(code)
    tail = before[len(lines)]
    if tail and lines and _gap(lines[-1].span.end_line, tail[0].span.line):
        out.append("")
    _emit_comments(out, tail, 0, spaced=True)
    return "".join(f"{x}\n" for x in out)


# ------------------------------------------------------------------ lines


@attrs.frozen
class _Line:
    """One printed line: its text, indentation level, and the source region it prints."""

    text: str
    indent: int
    span: Span
    top: bool = False
    blank_before: bool = False


def _known(span: Span) -> bool:
    return span.line > 0


def _gap(line: int, later: int) -> bool:
    """Whether a source line and a later one had a blank line between them."""
    return line > 0 and later > line + 1


def _between(first: Span, last: Span) -> Span:
    """The source region from the start of one span to the end of another."""
    if not _known(first):
        return last
    if not _known(last):
        return first
    return Span(first.file, first.line, first.column, last.end_line, last.end_column)


def _module_lines(declarations: Sequence[ast.Declaration]) -> Iterator[_Line]:
    previous: ast.Declaration | None = None
    for decl in declarations:
        together = isinstance(decl, ast.Include | ast.EvidenceType | ast.Field) and type(
            decl) is type(previous)
        first = True
        for line in _declaration_lines(decl):
            if first:
                line = attrs.evolve(line, top=True, blank_before=not together)
                first = False
            yield line
        previous = decl


def _header(keyword: str, name: ast.Name, title: ast.Text, decl_span: Span) -> _Line:
    return _Line(
        f"{keyword} {name.value} {_string(title)}", 0, _between(decl_span, title.span)
    )


def _declaration_lines(decl: ast.Declaration) -> Iterator[_Line]:
    match decl:
        case ast.Include(path):
            yield _Line(f"include {_string(path)}", 0, decl.span)
        case ast.Programme(code, title, clauses):
            yield _header("programme", code, title, decl.span)
            for pc in clauses:
                if isinstance(pc, ast.Closing):
                    yield from _closing_lines(pc)
                else:
                    yield _Line(_programme_clause(pc), 1, pc.span)
        case ast.ExamProgramme(title, clauses):
            head = f"examination programme {_string(title)}"
            yield _Line(head, 0, _between(decl.span, title.span))
            for xc in clauses:
                yield _Line(_exam_clause(xc), 1, xc.span)
        case ast.EvidenceType(name, title, clauses):
            yield _header("evidence", name, title, decl.span)
            for ec in clauses:
                yield _Line(_evidence_clause(ec), 1, ec.span)
        case ast.Unit(name, title, clauses):
            yield _header("unit", name, title, decl.span)
            for uc in clauses:
                yield _Line(_unit_clause(uc), 1, uc.span)
        case ast.Assessment(name, title, clauses):
            yield _header("assessment", name, title, decl.span)
            for ac in clauses:
                yield _Line(_assessment_clause(ac), 1, ac.span)
        case ast.Regime(name, title, clauses):
            yield _header("regime", name, title, decl.span)
            yield from _regime_lines(clauses)
        case ast.Rule(name, message, severity, when, basis, binders, wheres, translations,
                      advice):
            yield _header("rule", name, message, decl.span)
            for translation in translations:
                yield _Line(f"{translation.lang} {_string(translation.text)}", 1,
                            translation.span)
            for binder in binders:
                yield _Line(binder_text(binder), 1, binder.span)
            for where in wheres:
                yield _Line(where_text(where), 1, where.span)
            yield from _condition_lines(f"{severity} when", when, 1)
            yield _Line(_basis(basis), 1, basis.span)
            if advice is not None:  # each translation on a line of its own, as the message's
                yield _Line(f"advice {_string(advice.text)}", 1, advice.span)
                for translation in advice.translations:
                    yield _Line(f"{translation.lang} {_string(translation.text)}", 2,
                                translation.span)
        case ast.Field(name, title, kind):
            yield _Line(f"evidence field {name.value} {_string(title)} {kind}", 0, decl.span)
        case _:  # pragma: no cover - mypy checks that the match is exhaustive
            assert_never(decl)


def _regime_lines(clauses: Sequence[ast.RegimeClause]) -> Iterator[_Line]:
    in_paragraph = False
    for clause in clauses:
        match clause:
            case ast.Permit(kind, forms, when, basis, provenance):
                head = _Line(f"permit {kind.value}", 1, _between(clause.span, kind.span),
                             blank_before=True)
                yield from _paragraph(head, "for", forms, when, basis, provenance)
                in_paragraph = True
            case ast.Allow(combinations, kinds, when, basis, provenance):
                span = _between(clause.span, combinations[-1].span) if combinations else clause.span
                head = _Line(f"allow combination {_names(combinations)}", 1, span,
                             blank_before=True)
                yield from _paragraph(head, "for", kinds, when, basis, provenance)
                in_paragraph = True
            case _:
                yield _Line(_regime_clause(clause), 1, clause.span, blank_before=in_paragraph)
                in_paragraph = False


def _paragraph(
    head: _Line, keyword: str, names: Sequence[ast.Name], when: ast.Condition | None,
    basis: ast.Basis, provenance: ast.Provenance | None,
) -> Iterator[_Line]:
    """A ``permit``/``allow`` clause: its head, then its parts one level deeper."""
    yield head
    span = _between(names[0].span, names[-1].span) if names else Span.unknown()
    yield _Line(f"{keyword} {_names(names)}", 2, span)
    if when is not None:
        yield from _condition_lines("when", when, 2)
    yield _Line(_basis(basis), 2, basis.span)
    if provenance is not None:
        yield _Line(_provenance(provenance), 2, provenance.span)


def _provenance(provenance: ast.Provenance) -> str:
    if provenance.status == "interpretation" and provenance.reading is not None:
        translated = "".join(f" {t.lang} {_string(t.text)}" for t in provenance.translations)
        return f"interpretation {_string(provenance.reading)}{translated}"
    return provenance.status


def _own_line_slot(lines: Sequence[_Line], line: int) -> int:
    """Where an own-line comment goes: before the first printed line reaching past it."""
    for i, printed in enumerate(lines):
        if _known(printed.span) and printed.span.end_line >= line:
            return i
    return len(lines)


def _trailing_slot(lines: Sequence[_Line], line: int) -> int | None:
    """Which printed line a comment that ended a line of code goes after: the last one whose
    source region holds that line, or None when none does (the line held only words no
    printed line spans, such as a lone ``when`` or ``)``)."""
    containing = None
    for i, printed in enumerate(lines):
        sp = printed.span
        if _known(sp) and sp.line <= line <= sp.end_line:
            containing = i
    return containing


def _emit_comments(
    out: list[str], comments: Sequence[ast.Comment], indent: int, *, spaced: bool
) -> None:
    """Comments on their own lines; ``spaced`` keeps blank lines that separated them."""
    previous: ast.Comment | None = None
    for comment in comments:
        if spaced and previous is not None and comment.span.line > previous.span.line + 1:
            out.append("")
        out.append(INDENT * indent + comment.text)
        previous = comment


# ---------------------------------------------------------------- clauses


def _programme_clause(clause: ast.ProgrammeClause) -> str:
    match clause:
        case ast.Level(level):
            return f"level {level.value}"
        case ast.Forms(forms):
            return f"form {_names(forms)}"
        case ast.Institution(name):
            return f"institution {_string(name)}"
        case ast.Participates():
            return "participates in experiment"
        case ast.PracticeComponent():
            return "substantial practice component"
        case ast.Under(regimes):
            return f"under {_names(regimes)}"
        case ast.AsIf(regime, date):
            return f"as if {regime.value} in force from {date.value}"
        case ast.OptedInOn(date):
            return f"opted in {date.value}"
        case ast.Replaces(path, date):
            return f"replaces {_string(path)} from {date.value}"
        case ast.DefaultKind(kind):
            return f"units are {kind.value}"
        case ast.DefaultMaxAge(age, basis):
            return f"max evidence age {_age(age)}{_clause_basis(basis)}"
        case ast.MinItems():
            return _min_items(clause)
        case ast.Closing(paragraphs):
            return " ".join(["closing", *(_string(p) for p in paragraphs)])
        case _:  # pragma: no cover - mypy checks that the match is exhaustive
            assert_never(clause)


def _closing_lines(clause: ast.Closing) -> Iterator[_Line]:
    """``closing`` with its first paragraph, then each further paragraph on a line of its
    own, one level deeper."""
    if not clause.paragraphs:
        raise ValueError("a closing text needs at least one paragraph")
    first, *rest = clause.paragraphs
    yield _Line(f"closing {_string(first)}", 1, _between(clause.span, first.span))
    for paragraph in rest:
        yield _Line(_string(paragraph), 2, paragraph.span)


def _exam_clause(clause: ast.ExamClause) -> str:
    match clause:
        case ast.Required(units):
            return f"required {_names(units)}"
        case ast.ChooseUnits(count, units):
            return f"choose at least {_count(count, 'unit')} of {_names(units)}"
        case ast.ChooseCredits(credits, units):
            return f"choose at least {credits.value} credits of {_names(units)}"
        case ast.Diploma(credits):
            return f"diploma {credits.value} credits"
        case ast.Entry(unit, after):
            return f"{unit.value} only after {_names(after)}"
        case ast.Validity(age, basis):
            return f"results valid for {_age(age)}{_clause_basis(basis)}"
        case ast.Grounds(grounds, basis):
            return f"exemptions on grounds {_names(grounds)}{_clause_basis(basis)}"
        case ast.ExemptionLimit(amount, share, basis):
            limit = f"{amount.value}% of diploma credits" if share else f"{amount.value} credits"
            return f"exemptions count for at most {limit}{_clause_basis(basis)}"
        case ast.Basis():
            return _basis(clause)
        case _:  # pragma: no cover - mypy checks that the match is exhaustive
            assert_never(clause)


def _evidence_clause(clause: ast.EvidenceClause) -> str:
    match clause:
        case ast.MaxAge(age, basis):
            return f"max age {_age(age)}{_clause_basis(basis)}"
        case ast.NeedsVerification(basis):
            return f"needs verification{_clause_basis(basis)}"
        case _:  # pragma: no cover - mypy checks that the match is exhaustive
            assert_never(clause)


def _unit_clause(clause: ast.UnitClause) -> str:
    match clause:
        case ast.Credits(credits):
            return f"credits {credits.value}"
        case ast.Kind(kind):
            return f"kind {kind.value}"
        case ast.Outcome(ident, text):
            return f"outcome {ident.value} {_string(text)}"
        case ast.Accepts(types):
            return f"accepts {_names(types)}"
        case ast.Recommended(activities):
            return f"recommended activity {_names(activities)}"
        case ast.MaxAge(age, basis):
            return f"max age {_age(age)}{_clause_basis(basis)}"
        case ast.MinItems():
            return _min_items(clause)
        case ast.OutcomeAccepts(ident, types, basis):
            return f"outcome {ident.value} accepts {_names(types)}{_clause_basis(basis)}"
        case ast.OutcomeMinItems(ident, count, basis):
            return (f"outcome {ident.value} needs at least {_count(count, 'item')}"
                    f"{_clause_basis(basis)}")
        case _:  # pragma: no cover - mypy checks that the match is exhaustive
            assert_never(clause)


def _assessment_clause(clause: ast.AssessmentClause) -> str:
    match clause:
        case ast.Method(method):
            return method
        case ast.PathClause(independent):
            return "path-independent" if independent else "path-dependent"
        case ast.Assesses(units):
            return f"assesses {_names(units)}"
        case ast.MaxUnits(count):
            return f"at most {_count(count, 'unit')} at once"
        case _:  # pragma: no cover - mypy checks that the match is exhaustive
            assert_never(clause)


def _regime_clause(clause: ast.Period | ast.Extends | ast.Basis | ast.Provenance) -> str:
    match clause:
        case ast.Provenance():
            return _provenance(clause)
        case ast.Period():
            return _period(clause)
        case ast.Extends(regime):
            return f"extends {regime.value}"
        case ast.Basis():
            return _basis(clause)
        case _:  # pragma: no cover - mypy checks that the match is exhaustive
            assert_never(clause)


def _period(period: ast.Period) -> str:
    if period.kind == "always":
        return "in force always"
    if period.kind == "proposal":
        return "proposal"
    if period.start is None:
        raise ValueError("a period with dates needs a start date")
    until = f" until {period.end.value}" if period.end is not None else ""
    return f"in force from {period.start.value}{until}"


def _min_items(clause: ast.MinItems) -> str:
    return f"at least {_count(clause.count, 'item')} per outcome{_clause_basis(clause.basis)}"


def _clause_basis(basis: ast.Basis | None) -> str:
    """`` basis "..."`` after a policy clause, or nothing."""
    return f" {_basis(basis)}" if basis is not None else ""


def _count(count: ast.Integer, noun: str) -> str:
    """``1 item``, ``2 items``: the grammar takes the singular and the plural."""
    return f"{count.value} {noun}" if count.value == 1 else f"{count.value} {noun}s"


def _basis(basis: ast.Basis) -> str:
    translated = "".join(f" {t.lang} {_string(t.text)}" for t in basis.translations)
    return f"basis {_string(basis.text)}{translated}"


def _age(age: ast.Age) -> str:
    amount = age.amount.value
    unit = age.unit if amount != 1 else age.unit[:-1]
    return f"{amount} {unit}"


def _string(text: ast.Text) -> str:
    """A quoted text, with ``\\``, ``"``, newline and tab escaped."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in text.value) + '"'


def _names(names: Sequence[ast.Name]) -> str:
    """``a, b, c``: a ``name_list``."""
    if not names:
        raise ValueError("a list of names needs at least one name")
    return ", ".join(n.value for n in names)


def _name_or_list(names: Sequence[ast.Name]) -> str:
    """``a`` or ``one of a, b``: a ``name_or_list``."""
    return names[0].value if len(names) == 1 else f"one of {_names(names)}"


# ------------------------------------------------------------- conditions

_TOP, _OR, _AND, _NOT, _ATOM = range(-1, 4)


def _precedence(condition: ast.Condition) -> int:
    if isinstance(condition, ast.Or):
        return _OR
    if isinstance(condition, ast.And):
        return _AND
    if isinstance(condition, ast.Not):
        return _NOT
    return _ATOM


@attrs.frozen
class _Row:
    """One printed line of a condition: its text, how many levels deeper than the
    condition's first line it is indented, and the source region it prints."""

    text: str
    depth: int
    span: Span


def _condition_lines(head: str, condition: ast.Condition, indent: int) -> Iterator[_Line]:
    """``head`` and the condition on one line, or on several where its author broke it."""
    first, *rest = _rows(condition, _TOP)
    yield _Line(f"{head} {first.text}", indent, first.span)
    for row in rest:
        yield _Line(row.text, indent + row.depth, row.span)


def _rows(condition: ast.Condition, tighter_than: int) -> list[_Row]:
    """A condition as an operand: in the parentheses its author wrote, or in one pair when
    it does not bind tighter than its context and has none."""
    rows = _body_rows(condition)
    needed = 0 if _precedence(condition) > tighter_than else 1
    parens = condition.parens or needed
    if parens:
        rows[-1] = attrs.evolve(rows[-1], text=rows[-1].text + ")" * parens)
        rows[0] = attrs.evolve(rows[0], text="(" * parens + rows[0].text)
    if _known(condition.span):
        rows[0] = attrs.evolve(rows[0], span=_between(condition.span, rows[0].span))
    return rows


def _body_rows(condition: ast.Condition) -> list[_Row]:
    match condition:
        case ast.Or() | ast.And():
            kind = type(condition)
            word, tighter = ("or", _OR) if isinstance(condition, ast.Or) else ("and", _AND)
            rows: list[_Row] = []
            previous: ast.Condition | None = None
            for item in _flat(ast.written_items(condition), kind):
                part = _rows(item, tighter)
                if previous is None:
                    rows = part
                elif _broken(previous.span, item.span):
                    rows.append(attrs.evolve(part[0], text=f"{word} {part[0].text}", depth=1))
                    rows.extend(attrs.evolve(r, depth=r.depth + 1) for r in part[1:])
                else:
                    last = rows[-1]
                    rows[-1] = _Row(f"{last.text} {word} {part[0].text}", last.depth,
                                    _between(last.span, part[0].span))
                    rows.extend(attrs.evolve(r, depth=r.depth + last.depth) for r in part[1:])
                previous = item
            if not rows:
                raise ValueError(f"an `{word}` needs at least one item")
            return rows
        case ast.Not(item):
            first, *rest = _rows(item, _AND)
            return [attrs.evolve(first, text=f"not {first.text}"), *rest]
        case _:
            return [_Row(_atom_text(condition), 0, condition.span)]


def _broken(previous: Span, following: Span) -> bool:
    """Whether the author started an operand on a line after the one the previous ended on."""
    return _known(previous) and _known(following) and following.line > previous.end_line


def _flat(items: Sequence[ast.Condition], kind: type[ast.And] | type[ast.Or]) -> Iterator[
    ast.Condition
]:
    """The items of a group, with directly nested groups of the same kind spliced in, unless
    they are in parentheses (as the parser keeps them, in ``written``)."""
    for item in items:
        if isinstance(item, kind) and not item.parens:
            yield from _flat(ast.written_items(item), kind)
        else:
            yield item


def condition_text(condition: ast.Condition) -> str:
    """A condition on one line, with the parentheses its author wrote inside it (those
    around the whole condition group nothing, and are left out), and one pair wherever the
    precedence needs them and the author wrote none.

    ``not`` binds tighter than ``and``, which binds tighter than ``or``.

    Example:
        >>> a, b, c = ast.OptedIn(), ast.RecommendedRoute(), ast.InstitutionParticipates()
        >>> condition_text(ast.And((ast.Or((a, b)), ast.Not(c))))
        '(opted in or recommended route) and not institution participates'
        >>> condition_text(ast.Or((ast.And((a, b), parens=1), c), parens=1))
        '(opted in and recommended route) or institution participates'
    """
    if condition.parens:
        condition = attrs.evolve(condition, parens=0)
    return " ".join(row.text for row in _rows(condition, _TOP))


def _atom_text(condition: ast.Condition) -> str:
    """An atom (any condition but ``and``, ``or`` and ``not``) as written."""
    match condition:
        case ast.Or() | ast.And() | ast.Not():  # pragma: no cover - not an atom
            raise ValueError(f"not an atom: {condition!r}")
        case ast.UnitClaimed(unit):
            return f"unit {unit.value} is claimed"
        case ast.AssessmentIs(assessment):
            return f"assessment is {assessment.value}"
        case ast.AssessmentPathIndependent():
            return "assessment is path-independent"
        case ast.AssessmentPathDependent():
            return "assessment is path-dependent"
        case ast.AssessmentMethod(method):
            return f"assessment is {method}"
        case ast.EvidenceQuantified(quantifier, types):
            return f"{quantifier} evidence is {_name_or_list(types)}"
        case ast.CountUnits(op, value):
            return f"number of units {op} {value.value}"
        case ast.CountEvidence(types, op, value):
            of_type = f" of type {_name_or_list(types)}" if types else ""
            return f"number of evidence{of_type} {op} {value.value}"
        case ast.CombinationIs(combinations):
            return f"combination is {_name_or_list(combinations)}"
        case ast.FormIs(forms):
            return f"form is {_name_or_list(forms)}"
        case ast.LevelIs(level):
            return f"level is {level.value}"
        case ast.ActivityFollowed(activity):
            return f"activity {activity.value} is followed"
        case ast.Submitted(op, date):
            return f"submitted {op} {date.value}"
        case ast.InstitutionParticipates():
            return "institution participates"
        case ast.HasPracticeComponent():
            return "substantial practice component"
        case ast.OptedIn():
            return "opted in"
        case ast.RecommendedRoute():
            return "recommended route"
        case ast.Compare(left, op, right):
            return f"{value_text(left)} {op} {value_text(right)}"
        case ast.IsTest(subject, test, negated):
            return f"{value_text(subject)} is {'not ' if negated else ''}{_item_test(test)}"
        case ast.ItemsQuantified(quantifier, items, test):
            shown = test.value if isinstance(test, ast.Name) else _item_test(test)
            return f"{quantifier} item{_filters(items)} is {shown}"
        case _:  # pragma: no cover - mypy checks that the match is exhaustive
            assert_never(condition)


# ------------------------------------------------- binders, item sets, values


def binder_text(binder: ast.Binder) -> str:
    """``for each item called other covering outcome``.

    Example:
        >>> binder_text(ast.Binder("outcome", of=ast.Ref(ast.Name("ICT-PM"))))
        'for each outcome of ICT-PM'
    """
    text = f"for each {binder.noun}"
    if binder.called is not None:
        text += f" called {binder.called.value}"
    if binder.of is not None:
        text += f" of {binder.of.name.value}"
    if binder.items is not None:
        text += _filters(binder.items)
    return text


def where_text(where: ast.Where) -> str:
    """``where n is number of items ...`` or ``where c are items of type certificaat``."""
    if isinstance(where, ast.WhereValue):
        return f"where {where.name.value} is {value_text(where.value)}"
    return f"where {where.name.value} are items{_filters(where.items)}"


def _filters(items: ast.ItemFilters) -> str:
    """The filters of an item set, each with a space before it (empty for none)."""
    parts = [f"of type {_name_or_list(items.types)}"] if items.types else []
    for f in items.filters:
        match f:
            case ast.Covering(target):
                parts.append(f"covering {target.name.value}")
            case ast.CountingFor(target):
                parts.append(f"counting for {target.name.value}")
            case ast.From(source):
                shown = _string(source) if isinstance(source, ast.Text) else source.name.value
                parts.append(f"from {shown}")
            case ast.VerifiedOnly():
                parts.append("that are verified")
            case _:  # pragma: no cover - mypy checks that the match is exhaustive
                assert_never(f)
    return "".join(f" {p}" for p in parts)


def _item_test(test: ast.ItemTest) -> str:
    if isinstance(test, ast.Verified):
        return "verified"
    return f"{test.comparison} than {_age(test.age)}"


def value_text(value: ast.Value) -> str:
    """A value as written: ``number of items covering outcome``, ``50% of n``, ``5 years``.

    Example:
        >>> value_text(ast.Attribute("age", ast.Ref(ast.Name("item"))))
        'age of item'
    """
    match value:
        case ast.Ref(name):
            return name.value
        case ast.CountItems(items):
            return f"number of items{_filters(items)}"
        case ast.CountNamed(name):
            return f"number of {name.value}"
        case ast.CreditsOfResults():
            return "credits of results that count"
        case ast.Attribute(attribute, of):
            return f"{attribute} of {of.name.value}"
        case ast.FieldOf(field, of):
            return f"{field.value} of {of.name.value}"
        case ast.PercentOf(percent, of):
            return f"{percent.value}% of {value_text(of)}"
        case ast.Integer(number):
            return str(number)
        case ast.DateLit(date):
            return date
        case ast.Text():
            return _string(value)
        case ast.Age():
            return _age(value)
        case _:  # pragma: no cover - mypy checks that the match is exhaustive
            assert_never(value)
