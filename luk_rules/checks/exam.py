"""Passes over the exam programme: one of it, no entry cycles, reachable credits, a
meaningful exemption limit and a basis of its own (LUK036-LUK039, LUK044, LUK045)."""

from __future__ import annotations

from collections.abc import Iterator

from luk_rules import ast
from luk_rules.checks.resolve import Resolution, SymbolTable, clauses_of, first_clause
from luk_rules.diagnostics import Diagnostic, Label, error, warning
from luk_rules.i18n import msg
from luk_rules.sources import Workspace


def check_exam_programme(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK036-LUK039, LUK044-LUK045: cycles, reachable credits, exemption limit, basis."""
    table = resolved.table
    exams = table.exams
    for extra in exams[1:]:
        yield error("LUK036", msg("a ruleset has one exam programme; this is a second one"),
                    extra.title.span,
                    hint=msg("merge the clauses into the first exam programme"),
                    labels=[Label(exams[0].title.span, msg("first declared here"))])
    for exam in exams[:1]:
        yield from _entry_cycles(exam)
        yield from _credits_reachable(exam, table)
        yield from _exemption_limit(exam)
        yield from _exam_basis(exam)


def _exemption_limit(exam: ast.ExamProgramme) -> Iterator[Diagnostic]:
    """LUK044: a share of the diploma needs a `diploma` clause and is 1-99%; a limit in
    credits below the diploma's."""
    limit = first_clause(exam, ast.ExemptionLimit)
    if limit is None:
        return
    diploma = first_clause(exam, ast.Diploma)
    amount = limit.amount.value
    if limit.share and diploma is None:
        yield error("LUK044", msg("a share of the diploma credits, but the exam programme has "
                                  "no `diploma N credits`"), limit.span,
                    hint=msg("add `diploma N credits`, or give the limit in credits: "
                             "`exemptions count for at most N credits`"))
    elif limit.share and not 0 < amount < 100:
        yield error("LUK044",
                    msg("a limit of {amount}% of the diploma credits lets no exemption count",
                        amount=amount) if amount == 0 else
                    msg("a limit of {amount}% of the diploma credits limits nothing",
                        amount=amount),
                    limit.amount.span, hint=msg("write a share from 1 to 99%"))
    elif not limit.share and diploma is not None and amount >= diploma.credits.value:
        yield error("LUK044", msg("exemptions may count for {amount} credits, but the diploma "
                                  "needs only {diploma}: the limit limits nothing",
                                  amount=amount, diploma=diploma.credits.value),
                    limit.amount.span,
                    hint=msg("write fewer than {diploma} credits, or leave the clause out",
                             diploma=diploma.credits.value))


def _exam_basis(exam: ast.ExamProgramme) -> Iterator[Diagnostic]:
    """LUK045 (warning): the exam programme has no `basis` of its own while one of its
    clauses has one: a `basis` right after a clause that takes one is that clause's."""
    if first_clause(exam, ast.Basis) is not None:
        return
    for clause in exam.clauses:
        if isinstance(clause, ast.Validity | ast.Grounds | ast.ExemptionLimit) and clause.basis:
            yield warning(
                "LUK045",
                msg("the exam programme has no `basis` of its own: this `basis` belongs to the "
                    "clause before it, and every other finding of the exam programme cites "
                    "`OER {title}`", title=exam.title.value), clause.basis.span,
                hint=msg("write the exam programme's `basis` right after its title"))
            return


def _credits(table: SymbolTable, name: str) -> int | None:
    unit = table.unit(name)
    clause = first_clause(unit, ast.Credits) if unit is not None else None
    return clause.credits.value if clause is not None else None


def _entry_cycles(exam: ast.ExamProgramme) -> Iterator[Diagnostic]:
    after: dict[str, list[str]] = {}
    where: dict[str, ast.Entry] = {}
    for clause in clauses_of(exam, ast.Entry):
        after.setdefault(clause.unit.value, []).extend(n.value for n in clause.after)
        where.setdefault(clause.unit.value, clause)
    reported: set[frozenset[str]] = set()
    for start in sorted(after):
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        while stack:
            unit, path = stack.pop()
            for before in after.get(unit, ()):
                if before == start:
                    cycle = frozenset(path)
                    if cycle not in reported:
                        reported.add(cycle)
                        chain = " -> ".join((*path, start))
                        yield error(
                            "LUK037",
                            msg("entry requirements form a cycle: {chain}", chain=chain),
                            where[start].span,
                            hint=msg("a unit cannot wait for a unit that waits for it; "
                                     "remove one of the requirements"))
                elif before not in path:
                    stack.append((before, (*path, before)))


def _credits_reachable(exam: ast.ExamProgramme, table: SymbolTable) -> Iterator[Diagnostic]:
    if not table.complete:
        return
    diploma = first_clause(exam, ast.Diploma)
    all_credits = {name: _credits(table, name) for name in table.units}
    known = {n: c for n, c in all_credits.items() if c is not None}
    if diploma is not None:
        wanted = diploma.credits.value
        total = sum(known.values())
        required = {n.value for c in clauses_of(exam, ast.Required) for n in c.units}
        required_credits = sum(known.get(n, 0) for n in required)
        if total < wanted:
            yield error(
                "LUK038",
                msg("the diploma needs {wanted} credits, but all units together have {total}",
                    wanted=wanted, total=total),
                diploma.span, hint=msg("add units, or correct the credits of the diploma"))
        elif required_credits > wanted:
            yield error(
                "LUK038",
                msg("the required units alone have {required} credits, more than the "
                    "{wanted} the diploma needs", required=required_credits, wanted=wanted),
                diploma.span, hint=msg("correct the diploma's credits or the required units"))
    for clause in exam.clauses:
        if isinstance(clause, ast.ChooseUnits):
            members = {n.value for n in clause.units}
            if clause.count.value > len(members):
                yield error(
                    "LUK039",
                    msg("the group asks for at least {count} units of {total}: it can never "
                        "be satisfied", count=clause.count.value, total=len(members)),
                    clause.count.span, hint=msg("ask for at most {total}", total=len(members)))
            elif clause.count.value <= 0:
                yield error("LUK039",
                            msg("an elective group of at least {count} units asks for nothing",
                                count=clause.count.value),
                            clause.count.span, hint=msg("write a number of 1 or more"))
        elif isinstance(clause, ast.ChooseCredits):
            members = {n.value for n in clause.units}
            reachable = sum(known.get(n, 0) for n in members)
            if clause.credits.value <= 0:
                yield error("LUK039",
                            msg("an elective group of at least {credits} credits asks for "
                                "nothing", credits=clause.credits.value), clause.credits.span,
                            hint=msg("write a number of 1 or more"))
            elif clause.credits.value > reachable:
                yield error(
                    "LUK039",
                    msg("the group asks for at least {credits} credits, but its units have "
                        "{reachable} together: it can never be satisfied",
                        credits=clause.credits.value, reachable=reachable),
                    clause.credits.span,
                    hint=msg("ask for at most {reachable} credits", reachable=reachable))
