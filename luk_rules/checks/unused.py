"""Passes over what is declared but not used, or not covered: unassessed units, unused
evidence types, idle assessments, empty files, programmes without units (LUK031,
LUK050-LUK053)."""

from __future__ import annotations

from collections.abc import Iterator

from luk_rules import ast
from luk_rules.checks.resolve import Resolution, clauses_of, first_clause
from luk_rules.diagnostics import Diagnostic, error, warning
from luk_rules.i18n import msg
from luk_rules.sources import Workspace
from luk_rules.span import Span


def check_unassessed_units(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK031: in a programme, every unit is assessed by some assessment."""
    table = resolved.table
    if table.programme is None or not table.complete:
        return
    assessed = {
        name.value
        for decls in table.assessments.values()
        for decl in decls
        for clause in clauses_of(decl, ast.Assesses)
        for name in clause.units
    }
    for name, units in table.units.items():
        if name not in assessed:
            yield error(
                "LUK031",
                msg("no assessment assesses unit `{name}`", name=name),
                units[0].name.span,
                hint=msg("add `{name}` to an assessment's `assesses`, or declare one: "
                         "`assessment {name}-T \"...\" portfolio path-independent assesses "
                         "{name}`", name=name),
            )


def check_unused_evidence(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK050 (warning): every evidence type is accepted by some unit."""
    table = resolved.table
    if not table.complete:
        return
    accepted = {
        name.value
        for decl in table.declarations
        if isinstance(decl, ast.Unit)
        for clause in clauses_of(decl, ast.Accepts)
        for name in clause.types
    }
    for name, decls in table.evidence.items():
        if name not in accepted:
            yield warning(
                "LUK050",
                msg("no unit accepts evidence type `{name}`", name=name),
                decls[0].name.span,
                hint=msg("add `{name}` to a unit's `accepts`, or remove the declaration",
                         name=name),
            )


def check_idle_assessments(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK051 (warning): every assessment assesses some unit."""
    table = resolved.table
    for decl in table.declarations:
        if isinstance(decl, ast.Assessment) and first_clause(decl, ast.Assesses) is None:
            yield warning(
                "LUK051",
                msg("assessment `{name}` assesses no unit", name=decl.name.value),
                decl.name.span,
                hint=msg("add the units it assesses: `assesses <unit>, ...`"),
            )


def check_empty_files(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK052 (warning): a file declares something (an empty file is often a cut-off one)."""
    for source in workspace.files:
        if source.module is not None and not source.module.declarations:
            yield warning(
                "LUK052",
                msg("this file declares nothing"),
                Span(source.path, 1, 1, 1, 2),
                hint=msg("write the declarations of the ruleset, or remove the file"),
            )


def check_programme_units(workspace: Workspace, resolved: Resolution) -> Iterator[Diagnostic]:
    """LUK053 (warning): a programme has units."""
    table = resolved.table
    if table.complete and not table.units:
        for programme in table.programmes[:1]:
            yield warning(
                "LUK053",
                msg("programme `{code}` has no units", code=programme.code.value),
                programme.code.span,
                hint=msg('declare its units, or include the file that does: `include "..."`'),
            )
