"""The compiler: IR in, engine program out (pure; no engine is called here).

:func:`compile_ruleset` turns a checked ruleset into a :class:`Compiled`: the
rule program (the built-in decision semantics, the law regimes the programme
stands under and the ruleset's own rules, all as rules over facts), the facts
that follow from the declarations, and :meth:`Compiled.facts` that turns a
submission into input facts.
"""

from luk_rules.compile.program import (
    Aggregate,
    Atom,
    Cite,
    Collected,
    Compute,
    CountAtLeast,
    Fact,
    FactSet,
    Neg,
    Note,
    Param,
    Program,
    Report,
    Rule,
    StratificationError,
    Test,
    Value,
    Var,
)
from luk_rules.compile.rules import Compiled, compile_ruleset

__all__ = [
    "Aggregate",
    "Atom",
    "Cite",
    "Collected",
    "Compiled",
    "Compute",
    "CountAtLeast",
    "Fact",
    "FactSet",
    "Neg",
    "Note",
    "Param",
    "Program",
    "Report",
    "Rule",
    "StratificationError",
    "Test",
    "Value",
    "Var",
    "compile_ruleset",
]
