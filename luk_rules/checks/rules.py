"""Passes over rules and outcome requirements: what the names in a rule stand for, as
:mod:`luk_rules.scoping` resolves them, and outcome requirements that narrow and raise
(LUK070-LUK077)."""

from __future__ import annotations

from collections.abc import Iterator

from luk_rules import ast
from luk_rules.checks.common import quoted
from luk_rules.checks.resolve import Resolution, clauses_of
from luk_rules.diagnostics import Diagnostic, Label, error, suggest
from luk_rules.i18n import msg, msgn
from luk_rules.scoping import Scope, check_fields, scoped_atoms
from luk_rules.sources import Workspace


def check_scoped_rules(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK070-LUK075: binders, `where` names, values and placeholders of rules resolve."""
    table = resolved.table
    names = resolved.names
    yield from check_fields(table.declarations)
    for decl in table.declarations:
        if isinstance(decl, ast.Rule):
            scope = Scope.of_rule(decl, names)
            for atom in scoped_atoms(decl.when):
                scope.atom(atom)
            yield from scope.diagnostics
        elif isinstance(decl, ast.Regime):
            for clause in decl.clauses:
                if isinstance(clause, ast.Permit | ast.Allow) and clause.when is not None:
                    bare = Scope.bare(names)
                    for atom in scoped_atoms(clause.when):
                        bare.atom(atom)
                    yield from bare.diagnostics


def check_outcome_requirements(workspace: Workspace, resolved: Resolution
                               ) -> Iterator[Diagnostic]:
    """LUK076, LUK077: outcome requirements name an outcome, narrow types, raise minimums."""
    table = resolved.table
    for decl in table.declarations:
        if not isinstance(decl, ast.Unit):
            continue
        ids = [o.id.value for o in clauses_of(decl, ast.Outcome)]
        accepted = {n.value for c in clauses_of(decl, ast.Accepts) for n in c.types}
        own = resolved.minimum_of(decl)
        minimum = own.count.value if own is not None else 1
        seen: dict[tuple[type, str], ast.OutcomeAccepts | ast.OutcomeMinItems] = {}
        for clause in decl.clauses:
            if not isinstance(clause, ast.OutcomeAccepts | ast.OutcomeMinItems):
                continue
            outcome = clause.id.value
            unit = decl.name.value
            if outcome not in ids:
                close = suggest(outcome, ids)
                if close:
                    hint = msg("did you mean `{name}`?", name=close)
                elif ids:
                    hint = msg("declare it first: `outcome {outcome} \"...\"`; the unit's "
                               "outcomes are {outcomes}", outcome=outcome, outcomes=quoted(ids))
                else:
                    hint = msg("declare it first: `outcome {outcome} \"...\"`; the unit's "
                               "outcomes are none", outcome=outcome)
                yield error(
                    "LUK076", msg("unit `{unit}` has no outcome `{outcome}`", unit=unit,
                                  outcome=outcome), clause.id.span, hint=hint)
                continue
            first = seen.setdefault((type(clause), outcome), clause)
            if first is not clause:
                written = "accepts" if isinstance(clause, ast.OutcomeAccepts) else "needs"
                yield error("LUK030", msg("`outcome {outcome} {written}` appears more than once "
                                          "in unit `{unit}`", outcome=outcome, written=written,
                                          unit=unit), clause.span,
                            hint=msg("keep one of them"),
                            labels=[Label(first.span, msg("first given here"))])
                continue
            if isinstance(clause, ast.OutcomeAccepts):
                for name in clause.types:
                    if name.value in accepted or name.value not in table.evidence:
                        continue
                    yield error(
                        "LUK077", msg("outcome {outcome} accepts `{type}`, which unit "
                                      "`{unit}` does not accept", outcome=outcome,
                                      type=name.value, unit=unit), name.span,
                        hint=msg("an outcome can only narrow its unit's types: add `{type}` to "
                                 "the unit's `accepts`, or leave it out here", type=name.value))
            elif clause.count.value <= 0:
                yield error("LUK024", msg("`outcome {outcome} needs at least {count} items` asks "
                                          "for no evidence", outcome=outcome,
                                          count=clause.count.value), clause.count.span,
                            hint=msg("write 1 or more, or leave the clause out"))
            elif clause.count.value < minimum:
                yield error(
                    "LUK077", msgn("outcome {outcome} needs at least {n} item, fewer than the "
                                   "{minimum} every outcome of `{unit}` needs",
                                   "outcome {outcome} needs at least {n} items, fewer than the "
                                   "{minimum} every outcome of `{unit}` needs",
                                   clause.count.value, outcome=outcome, minimum=minimum,
                                   unit=unit), clause.count.span,
                    hint=msg("an outcome can only raise the minimum: write {minimum} or more, "
                             "or lower the unit's `at least ... items per outcome`",
                             minimum=minimum))
