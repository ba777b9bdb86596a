"""Static checks of a parsed ruleset: names, kinds and values, legal scope, unused parts.

The checks run on a :class:`~luk_rules.sources.Workspace` (the root file, its includes and
the law regimes it stands under). It is resolved once (:func:`~luk_rules.checks.resolve.resolve`:
the declarations indexed in a :class:`SymbolTable`, unit kinds, ``extends``, what the
programme fixes), and lowering uses the same :class:`Resolution`. Every check is then a
*pass*: a function with one signature, ``(workspace, resolved) -> diagnostics``, and
:data:`PASSES` is the tuple of them in the order they run (the order is data, as in
sqlglot's optimizer rules). :func:`check` runs them all and returns every diagnostic,
deduplicated and sorted.

The passes live in modules by theme: :mod:`~luk_rules.checks.names` (references,
duplicates, reserved names), :mod:`~luk_rules.checks.values` (dates, numbers, vocabulary,
required and repeated clauses), :mod:`~luk_rules.checks.exam` (the exam programme),
:mod:`~luk_rules.checks.legal` (legal scope), :mod:`~luk_rules.checks.rules` (rules, via
:mod:`luk_rules.scoping`) and :mod:`~luk_rules.checks.unused` (what nothing uses).

Files that did not parse (``module is None``) are skipped: the parser reported them. When
such a file or an unreadable include leaves the workspace incomplete, the checks that
conclude from the *absence* of a declaration (undefined names, unassessed units, unused
evidence types, unpermitted unit kinds, programmes without units) stay silent, so one
syntax error does not cascade.

Example:
    >>> from pathlib import Path
    >>> from luk_rules.sources import load_workspace
    >>> workspace, _ = load_workspace(Path("rulesets/examples/hbo-ict-deeltijd.luk"))
    >>> check(workspace)
    []
"""

from __future__ import annotations

from collections.abc import Sequence

from luk_rules.checks.common import Pass
from luk_rules.checks.exam import check_exam_programme
from luk_rules.checks.legal import (
    check_as_if,
    check_extends_cycles,
    check_fixed_conditions,
    check_path_independence,
    check_permit_conditions,
    check_permitted_kinds,
    check_recommended_route,
    check_uncovered_dates,
)
from luk_rules.checks.names import (
    Reference,
    check_duplicates,
    check_programme_count,
    check_references,
    check_repeated_names,
    check_reserved_rule_names,
    references,
)
from luk_rules.checks.resolve import (
    COMBINATIONS,
    FORMS,
    LEVEL_FAMILIES,
    LEVELS,
    UNIT_KINDS,
    ProgrammeFacts,
    Resolution,
    SymbolTable,
    UnitKind,
)
from luk_rules.checks.resolve import resolve as _resolve
from luk_rules.checks.rules import check_outcome_requirements, check_scoped_rules
from luk_rules.checks.unused import (
    check_empty_files,
    check_idle_assessments,
    check_programme_units,
    check_unassessed_units,
    check_unused_evidence,
)
from luk_rules.checks.values import (
    check_dates,
    check_max_units,
    check_numbers,
    check_repeated_clauses,
    check_required_clauses,
    check_vocabulary,
)
from luk_rules.diagnostics import Diagnostic, sort_key
from luk_rules.sources import Workspace

PASSES: tuple[Pass, ...] = (
    check_reserved_rule_names,
    check_programme_count,
    check_duplicates,
    check_repeated_names,
    check_references,
    check_dates,
    check_numbers,
    check_vocabulary,
    check_required_clauses,
    check_repeated_clauses,
    check_unassessed_units,
    check_as_if,
    check_exam_programme,
    check_extends_cycles,
    check_max_units,
    check_path_independence,
    check_permitted_kinds,
    check_permit_conditions,
    check_recommended_route,
    check_uncovered_dates,
    check_fixed_conditions,
    check_unused_evidence,
    check_idle_assessments,
    check_empty_files,
    check_programme_units,
    check_scoped_rules,
    check_outcome_requirements,
)
"""Every static check, in the order they run."""


def check(workspace: Workspace, passes: Sequence[Pass] = PASSES,
          resolved: Resolution | None = None) -> list[Diagnostic]:
    """Run every pass over ``workspace``: all diagnostics, deduplicated, in display order.

    ``resolved`` is the workspace's resolution when the caller has it already (the
    pipeline hands the same one to lowering); it is made here otherwise. Files that did
    not parse are skipped (their syntax errors come from the parser).

    Example:
        >>> from luk_rules.sources import Workspace
        >>> check(Workspace("empty.luk", (), ()))
        []
    """
    if resolved is None:
        resolved = _resolve(workspace)
    found: set[Diagnostic] = set()
    for run in passes:
        found.update(run(workspace, resolved))
    return sorted(found, key=sort_key)


__all__ = ["COMBINATIONS", "FORMS", "LEVELS", "LEVEL_FAMILIES", "PASSES", "UNIT_KINDS",
           "Pass", "ProgrammeFacts", "Reference", "Resolution", "SymbolTable", "UnitKind",
           "check", "references"]
