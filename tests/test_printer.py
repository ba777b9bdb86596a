"""The printer: printing and re-parsing gives the same tree, keeps comments, and is stable."""

from __future__ import annotations

import importlib
import random
import re
import typing
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

import luk_rules
from luk_rules import ast, pipeline
from luk_rules.checks.resolve import remaining
from luk_rules.parse import MAX_CONDITION_DEPTH, parse
from luk_rules.printer import INDENT, condition_text, print_module

try:  # the repo root is on sys.path (editable install, or `python -m pytest`)
    from tests import golden, strategies
except ImportError:  # pragma: no cover - plain `pytest` puts tests/ itself on sys.path
    strategies = importlib.import_module("strategies")  # type: ignore[assignment, unused-ignore]
    golden = importlib.import_module("golden")  # type: ignore[assignment, unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
RULESETS = sorted(ROOT.glob("rulesets/**/*.luk"))

_PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def _rule(condition: ast.Condition) -> ast.Module:
    return ast.Module((
        ast.Rule(ast.Name("r"), ast.Text("m"), "deny", condition, ast.Basis(ast.Text("b"))),
    ))


# ------------------------------------------------------------- properties


@_PROPERTY
@given(strategies.modules())
def test_printing_round_trips(module: ast.Module) -> None:
    """Any module prints to text that parses back to an equal module, with the parentheses
    its conditions were marked with (and a pair where the precedence needs one, groups of
    one kind included); printing that again gives the same text (a fixed point). One
    property test for the three, so that the modules are drawn once."""
    text = print_module(module)
    again = parse(text)
    assert again == module
    assert [strategies.shape(c) for c in strategies.module_conditions(again)] == [
        strategies.shape(c) for c in strategies.module_conditions(module)]
    assert print_module(again) == text


def _placement(laid: strategies.LaidOut, text: str, printed: ast.Module) -> list[str]:
    """The comments written between two operands that are not, in the printed text, on the
    line of the atom before them, the line of the atom after them or a line in between, nor
    among the comment lines right above the atom after them."""
    atoms = [a.span.line for c in strategies.module_conditions(printed)
             for a in strategies.atoms_of(c)]
    lines = text.splitlines()
    where = {c.text: c.span.line for c in printed.comments}
    wrong = []
    for placed in laid.placed:
        line = where[placed.text]
        first = atoms[placed.after - 1] if placed.after else 0
        last = atoms[placed.after] if placed.after < len(atoms) else line
        above = all(lines[n - 1].lstrip().startswith("#") for n in range(line, last))
        if not (first <= line <= last or above):
            wrong.append(placed.text)
    return wrong


@_PROPERTY
@given(strategies.laid_out_modules())
def test_fmt_of_hand_laid_conditions_keeps_meaning_parentheses_and_comments(
    laid: strategies.LaidOut,
) -> None:
    """Conditions laid out by hand, with comments at every kind of line break: formatting
    keeps the meaning and the parentheses, every comment in order, each comment written
    between two operands on or between their lines (or right above the second); and
    formatting again changes nothing."""
    module = parse(laid.text)
    text = print_module(module)
    again = parse(text)
    assert again == module
    assert [strategies.shape(c) for c in strategies.module_conditions(again)] == [
        strategies.shape(c) for c in strategies.module_conditions(module)]
    assert [c.text for c in again.comments] == [c.text for c in module.comments]
    assert not _placement(laid, text, again)
    assert print_module(again) == text


# ------------------------------------------------------------------ reach

# What the generators above must reach: the share of drawn examples (in per cent) with each
# kind of parentheses, group, line break and comment, at least. `-s` prints the figures.
REACH_EXAMPLES = 250
MIN_REACH = {
    "tree: parentheses around an atom": 15, "tree: redundant parentheses around a chain": 10,
    "tree: parentheses the precedence needs, written": 10,
    "tree: parentheses the precedence needs, not written": 10,
    "tree: double parentheses": 10, "tree: not of a parenthesised condition": 10,
    "tree: a group spliced into its chain": 10, "tree: a group inside a group": 5,
    "laid: line break before and/or": 10, "laid: line break after and/or": 5,
    "laid: line break after (": 5, "laid: line break before )": 5,
    "laid: line break after not": 2, "laid: line break inside an atom": 8,
    "laid: line break after when": 1,
    "laid: own-line comment between operands": 8,
    "laid: line-end comment between operands": 8,
    "laid: comment inside an atom": 5, "laid: comment after not": 1,
    "printed: continuation line": 10,
    "printed: continuation line of a chain inside a chain": 5,
    "printed: comment on or right above a continuation line": 8,
    "printed: line-end comment moved to a line of its own": 4,
}


def _tree_reach(conditions: Sequence[ast.Condition]) -> set[str]:
    found: set[str] = set()
    levels = {ast.Or: 0, ast.And: 1, ast.Not: 2}
    # (node, the level of the chain or `not` it is an operand of: -1 at the top)
    pending = [(c, -1) for c in conditions]
    while pending:
        node, around = pending.pop()
        level = levels.get(type(node), 3)
        needed = level < around  # a group of the chain's own kind needs none
        if node.parens and level == 3:
            found.add("tree: parentheses around an atom")
        if node.parens and level < 2 and not needed:
            found.add("tree: redundant parentheses around a chain")
        if needed:
            found.add("tree: parentheses the precedence needs, "
                      + ("written" if node.parens else "not written"))
        if node.parens >= 2:
            found.add("tree: double parentheses")
        if isinstance(node, ast.Not) and node.item.parens:
            found.add("tree: not of a parenthesised condition")
        if isinstance(node, ast.And | ast.Or):
            if node.written is not None:
                found.add("tree: a group spliced into its chain")
                if any(isinstance(w, type(node)) and w.written for w in node.written):
                    found.add("tree: a group inside a group")
            pending.extend((i, level) for i in ast.written_items(node))
        elif isinstance(node, ast.Not):
            pending.append((node.item, 2))
    return found


def _layout_reach(laid: strategies.LaidOut) -> set[str]:
    found = {f"laid: {what}" for what in laid.wrote}
    for what in laid.wrote:
        kind, _, where = what.partition(" comment ")
        if where:
            found.add(f"laid: {kind} comment " + ("between operands" if where in (
                "before and/or", "after and/or", "after (", "before )") else where))
            if where in ("inside an atom", "after not"):
                found.add(f"laid: comment {where}")
    module = parse(laid.text)
    printed = print_module(module)
    lines = printed.splitlines()
    depth: dict[int, int] = {}  # continuation lines: how much deeper than their `when`
    base = 0
    for n, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if line.lstrip().startswith(("deny when ", "warn when ", "info when ", "when ")):
            base = indent
        elif line.lstrip().startswith(("and ", "or ")):
            depth[n] = (indent - base) // len(INDENT)
    if depth:
        found.add("printed: continuation line")
    if any(d >= 2 for d in depth.values()):
        found.add("printed: continuation line of a chain inside a chain")
    for n, line in enumerate(lines):
        comment = line.lstrip().startswith("#")
        if (comment and n + 1 in depth) or (not comment and "  #" in line and n in depth):
            found.add("printed: comment on or right above a continuation line")
    again = parse(printed)
    if any(a.own_line and not b.own_line for a, b in zip(again.comments, module.comments,
                                                          strict=True)):
        found.add("printed: line-end comment moved to a line of its own")
    return found


def test_generators_reach_parentheses_groups_breaks_and_comments() -> None:
    """The tree and layout generators above reach every kind of parentheses, group, line
    break and comment the printer handles, in a fixed (derandomized) run. (The trees are
    counted as :func:`strategies.conditions` draws them, for the modules and the hand-laid
    texts alike, and as the hand-laid texts parse.)"""
    counts: Counter[str] = Counter()

    @settings(max_examples=REACH_EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategies.laid_out_modules())
    def collect(laid: strategies.LaidOut) -> None:
        counts["examples"] += 1
        parsed = strategies.module_conditions(parse(laid.text))
        counts.update(_tree_reach(laid.conditions) | _tree_reach(parsed) | _layout_reach(laid))

    collect()
    examples = counts.pop("examples")
    share = {what: 100 * n / examples for what, n in counts.items()}
    print(f"\nprinter reach over {examples} examples (share of examples, %):")
    for what in sorted(set(MIN_REACH) | set(share)):
        print(f"  {share.get(what, 0):5.1f}  (least {MIN_REACH.get(what, 0):3d})  {what}")
    short = {what: round(share.get(what, 0), 1) for what, least in MIN_REACH.items()
             if share.get(what, 0) < least}
    assert not short, f"the generators fall short: {short}"


# ------------------------------------------- the layout means nothing downstream

_HEADS = ("deny when ", "warn when ", "info when ", "when ")
CHECKS = ROOT / "tests" / "checks"


def _with_conditions(paths: list[Path]) -> list[Path]:
    return [p for p in paths if strategies.module_conditions(parse(p.read_text("utf-8")))]


EXAMPLES = [p for p in _with_conditions(sorted((ROOT / "rulesets" / "examples").glob("*.luk")))
            if "\nprogramme " in "\n" + p.read_text("utf-8")]  # rulesets that decide
WITH_CONDITIONS = _with_conditions(sorted(CHECKS.glob("*/*.luk")))


def relaid(text: str, seed: int) -> str:
    """``text`` formatted, then every condition in it rewritten with a pair of parentheses
    around each of its parts, laid out at random with comments (a seeded Relayer)."""
    module = parse(text)
    relayer = strategies.Relayer(random.Random(seed).randint)
    conditions = iter(strategies.module_conditions(module))
    out: list[str] = []
    skipping = False
    for line in print_module(module).splitlines(keepends=True):
        stripped = line.lstrip()
        if skipping and stripped.startswith(("and ", "or ")):
            continue  # the rest of a condition written over several lines
        head = next((h for h in _HEADS if stripped.startswith(h)), None)
        skipping = head is not None
        if head is not None:
            condition = strategies.bracketed(next(conditions))
            line = line[:len(line) - len(stripped)] + head + relayer.condition(condition) + "\n"
        out.append(line)
    assert next(conditions, None) is None
    return "".join(out)


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_parentheses_breaks_and_comments_leave_a_ruleset_the_same(path: Path) -> None:
    """An example ruleset with every part of every condition parenthesised, broken over
    lines and commented lowers to the same rules as the ruleset itself (but for the places
    the rules cite)."""
    text = relaid(path.read_text(encoding="utf-8"), seed=len(path.name))
    assert text.count("(") > path.read_text(encoding="utf-8").count("(")
    again = luk_rules.loads(text, name=path.name, roots=[path.parent])

    def placeless(ruleset: luk_rules.Ruleset) -> str:  # a rule cites where it stands
        return re.sub(r"Span\([^)]*\)", "Span()", repr(ruleset.ir))

    assert placeless(again) == placeless(luk_rules.load(path))


@pytest.mark.parametrize("path", WITH_CONDITIONS, ids=_ids(WITH_CONDITIONS))
def test_parentheses_breaks_and_comments_leave_the_checks_the_same(path: Path) -> None:
    """A ruleset of the checks' golden files, its conditions parenthesised, broken over
    lines and commented, gives the same diagnostics (but for where they point)."""
    def found(text: str) -> list[tuple[str, str]]:
        analysis = pipeline.analyse_text(text, path.name, roots=[path.parent, CHECKS])
        return sorted((d.code, d.message) for d in analysis.diagnostics)

    original = path.read_text(encoding="utf-8")
    assert found(relaid(original, seed=len(path.name))) == found(original)


def test_a_remaining_condition_prints_without_parentheses_around_it() -> None:
    """What `luk law` shows of a permit's condition once the programme settles part of it
    keeps the author's parentheses inside it, but none around it."""
    text = 'rule r "m" deny when level is hbo and ((opted in or (recommended route))) basis "b"'
    when = parse(text).declarations[0]
    assert isinstance(when, ast.Rule)
    left = remaining(when.when, lambda node: True if isinstance(node, ast.LevelIs) else None)
    assert not isinstance(left, bool)
    assert left.parens == 2
    assert condition_text(left) == "opted in or (recommended route)"


def test_groups_of_one_kind_nested_beyond_the_limit_keep_their_meaning() -> None:
    """Parenthesised groups of one kind nested deeper than the nesting limit parse (they are
    one chain); the printer keeps the parentheses of the outer 64 and drops the rest."""
    depth = 2 * MAX_CONDITION_DEPTH
    condition = "(" * depth + "opted in" + " and recommended route)" * depth
    module = parse(f'rule r "m" deny when {condition} basis "b"\n')
    rule = module.declarations[0]
    assert isinstance(rule, ast.Rule) and isinstance(rule.when, ast.And)
    assert len(rule.when.items) == depth + 1
    text = print_module(module)
    assert text.count("(") == MAX_CONDITION_DEPTH + 1
    assert parse(text) == module
    assert print_module(parse(text)) == text


def test_every_condition_takes_the_parentheses_marker() -> None:
    """Each kind of condition carries `parens`, which equality and hashing ignore."""
    kinds = typing.get_args(ast.Condition)
    assert len(kinds) > 20
    for kind in kinds:
        field = attrs.fields_dict(kind)["parens"]
        assert (field.eq, field.repr, field.metadata.get(ast.LAYOUT)) == (False, False, True)
    assert ast.OptedIn(parens=2) == ast.OptedIn()
    assert hash(ast.Or((ast.OptedIn(),), parens=1)) == hash(ast.Or((ast.OptedIn(),)))


# ------------------------------------------------------------------ goldens

FMT = sorted((ROOT / "tests" / "fmt").glob("*.luk"))


@pytest.mark.parametrize("path", FMT, ids=_ids(FMT))
def test_fmt_gives_the_golden_layout(path: Path) -> None:
    """`luk fmt` of each ``tests/fmt/*.luk`` gives the ``.out`` file beside it, with the same
    meaning and every comment in order; formatting that changes nothing. Rewrite the
    ``.out`` files with ``LUK_UPDATE_GOLDEN=1`` and review the diff."""
    module = parse(path.read_text(encoding="utf-8"), str(path))
    text = print_module(module)
    golden.compare(path.with_suffix(".out"), text)
    again = parse(text)
    assert again == module
    assert [c.text for c in again.comments] == [c.text for c in module.comments]
    assert print_module(again) == text


def test_fmt_golden_files_are_found() -> None:
    """There is a golden case with a condition over several lines."""
    assert any("\n    and " in p.with_suffix(".out").read_text("utf-8") for p in FMT)


# --------------------------------------------------------- shipped rulesets


@pytest.mark.parametrize("path", RULESETS, ids=_ids(RULESETS))
def test_shipped_ruleset_prints_to_an_equal_module(path: Path) -> None:
    """A shipped ruleset, printed and re-parsed, has the same AST and the same comments."""
    original = parse(path.read_text(encoding="utf-8"), str(path))
    printed = parse(print_module(original))
    assert printed == original
    assert [c.text for c in printed.comments] == [c.text for c in original.comments]


@pytest.mark.parametrize("path", RULESETS, ids=_ids(RULESETS))
def test_printing_a_shipped_ruleset_is_idempotent(path: Path) -> None:
    """Formatting a shipped ruleset twice gives the same text as formatting it once."""
    once = print_module(parse(path.read_text(encoding="utf-8"), str(path)))
    assert print_module(parse(once)) == once


@pytest.mark.parametrize("path", RULESETS, ids=_ids(RULESETS))
def test_shipped_ruleset_is_in_canonical_layout(path: Path) -> None:
    """A shipped ruleset is already formatted: printing it gives back its own text."""
    text = path.read_text(encoding="utf-8")
    assert print_module(parse(text, str(path))) == text


def test_shipped_rulesets_are_found() -> None:
    """The ruleset tests above have files to run on."""
    assert len(RULESETS) >= 5


# ---------------------------------------------------------------- focused


def test_strings_are_escaped() -> None:
    """Backslash, quote, newline and tab are escaped in a printed text, and read back."""
    value = 'a\\b "c"\nd\te # f'
    module = ast.Module((ast.Include(ast.Text(value)),))
    text = print_module(module)
    assert text == 'include "a\\\\b \\"c\\"\\nd\\te # f"\n'
    assert parse(text) == module
    assert parse(text).comments == ()


def test_or_inside_and_gets_parentheses() -> None:
    """An `or` that is an item of an `and` is parenthesised; an `and` inside an `or` is not."""
    a, b, c = ast.OptedIn(), ast.RecommendedRoute(), ast.InstitutionParticipates()
    inner_or = ast.And((ast.Or((a, b)), c))
    inner_and = ast.Or((ast.And((a, b)), c))
    assert condition_text(inner_or) == (
        "(opted in or recommended route) and institution participates"
    )
    assert condition_text(inner_and) == (
        "opted in and recommended route or institution participates"
    )
    for condition in (inner_or, inner_and):
        assert parse(print_module(_rule(condition))) == _rule(condition)


def test_not_parenthesises_groups_only() -> None:
    """`not` puts parentheses around an `and`/`or` operand and none around an atom or `not`."""
    a, b = ast.OptedIn(), ast.RecommendedRoute()
    assert condition_text(ast.Not(ast.And((a, b)))) == "not (opted in and recommended route)"
    assert condition_text(ast.Not(ast.Or((a, b)))) == "not (opted in or recommended route)"
    assert condition_text(ast.Not(ast.Not(a))) == "not not opted in"
    for condition in (ast.Not(ast.And((a, b))), ast.And((ast.Not(a), ast.Not(ast.Or((a, b)))))):
        assert parse(print_module(_rule(condition))) == _rule(condition)


def test_nested_groups_of_one_kind_print_flattened() -> None:
    """An `and` directly inside an `and` prints as one chain, which the parser reads as one."""
    a, b, c = ast.OptedIn(), ast.RecommendedRoute(), ast.InstitutionParticipates()
    nested = ast.And((ast.And((a, b)), c))
    assert condition_text(nested) == "opted in and recommended route and institution participates"
    assert parse(print_module(_rule(nested))) == _rule(ast.And((a, b, c)))


def test_name_lists_and_singular_counts() -> None:
    """One name prints bare and several as `one of`; an amount of 1 takes the singular noun."""
    module = ast.Module((
        ast.EvidenceType(ast.Name("e"), ast.Text("E"), (
            ast.MaxAge(ast.Age(ast.Integer(1), "years")),
        )),
        ast.Unit(ast.Name("u"), ast.Text("U"), (ast.MinItems(ast.Integer(1)),)),
        ast.Assessment(ast.Name("a"), ast.Text("A"), (ast.MaxUnits(ast.Integer(1)),)),
        ast.Rule(
            ast.Name("r"), ast.Text("m"), "warn",
            ast.And((
                ast.FormIs((ast.Name("deeltijd"),)),
                ast.CombinationIs((ast.Name("B"), ast.Name("C"))),
            )),
            ast.Basis(ast.Text("b")),
        ),
    ))
    text = print_module(module)
    assert "  max age 1 year\n" in text
    assert "  at least 1 item per outcome\n" in text
    assert "  at most 1 unit at once\n" in text
    assert "  warn when form is deeltijd and combination is one of B, C\n" in text
    assert parse(text) == module


_MESSY = """\
# header

# second header
unit A "a" # on the header
      # before credits
  credits 5   # five
  accepts x,
     # inside the list
     y # after y
evidence e "E"
evidence f "F"
rule r "m"
  deny when opted in and
    # inside the condition
    recommended route # after the condition
      basis "x"
regime g "G"
  # before the permit
  permit k for a # after for
    when opted in basis "z"
  extends whw
# the end
"""

_MESSY_PRINTED = """\
# header

# second header
unit A "a"  # on the header
  # before credits
  credits 5  # five
  # inside the list
  accepts x, y  # after y

evidence e "E"
evidence f "F"

rule r "m"
  deny when opted in
    # inside the condition
    and recommended route  # after the condition
  basis "x"

regime g "G"

  # before the permit
  permit k
    for a  # after for
    when opted in
    basis "z"

  extends whw
# the end
"""


def test_comments_are_placed_by_their_lines() -> None:
    """Own-line comments go before the next construct, trailing ones after their line's code."""
    module = parse(_MESSY)
    assert print_module(module) == _MESSY_PRINTED
    again = parse(_MESSY_PRINTED)
    assert again == module
    assert [c.text for c in again.comments] == [c.text for c in module.comments]


def test_two_trailing_comments_on_one_printed_line_stay_in_order() -> None:
    """When two line-end comments land on one printed line, the first moves above it."""
    text = 'unit A "a"\n  accepts x, # one\n y # two\n'
    printed = print_module(parse(text))
    assert printed == (
        'unit A "a"\n'
        "  # one\n"
        "  accepts x, y  # two\n"
    )
    assert [c.text for c in parse(printed).comments] == ["# one", "# two"]


def test_a_condition_broken_after_an_operator_breaks_before_it() -> None:
    """A line that ends in `and` is printed with the `and` leading the next line; each
    line-end comment stays on the line of its operand."""
    text = 'rule r "m" deny when opted in and # one\n recommended route # two\n basis "x"\n'
    printed = print_module(parse(text))
    assert printed == (
        'rule r "m"\n'
        "  deny when opted in  # one\n"
        "    and recommended route  # two\n"
        '  basis "x"\n'
    )
    assert [c.text for c in parse(printed).comments] == ["# one", "# two"]


def test_exam_programme_after_an_assessment_round_trips() -> None:
    """An exam programme printed right after an assessment parses back as two declarations."""
    decls = (
        ast.Assessment(ast.Name("a"), ast.Text("A"), (ast.Method("portfolio"),)),
        ast.ExamProgramme(ast.Text("E"), (ast.Diploma(ast.Integer(60)),)),
    )
    module = ast.Module(decls)
    assert parse(print_module(module)) == module


def test_empty_module_prints_nothing() -> None:
    """A module without declarations or comments prints as the empty text."""
    assert print_module(ast.Module(())) == ""


# ------------------------------------------- the author's parentheses and line breaks

_PARENTHESISED = """\
rule r "m"
  deny when (opted in and recommended route) or institution participates
  basis "x"

rule s "m"
  deny when not (opted in) and ((level is hbo))
  basis "x"

rule t "m"
  deny when (opted in and recommended route) and (institution participates)
  basis "x"

rule u "m"
  deny when (opted in or level is hbo) and not (recommended route or opted in)
  basis "x"

rule v "m"
  warn when (not opted in) or (((level is hbo or level is wo) or opted in))
  basis "x"

rule w "m"
  info when (opted in and (recommended route and level is hbo))
  basis "x"

regime g "G"

  permit k
    for a
    when (level is hbo)
    basis "z"
"""


def test_the_authors_parentheses_are_kept() -> None:
    """Parentheses the author wrote stay exactly, redundant ones included; the tree means the
    same as without them."""
    module = parse(_PARENTHESISED)
    assert print_module(module) == _PARENTHESISED
    bare = parse(_PARENTHESISED.replace("(", "").replace(")", ""))
    assert module.declarations[0] == bare.declarations[0]  # `(a and b) or c` is `a and b or c`
    assert module.declarations[2] == bare.declarations[2]  # `(a and b) and c`: one chain


def test_parentheses_precedence_needs_are_printed_once() -> None:
    """A group that needs parentheses gets one pair, whether or not the tree marks it."""
    a, b, c = ast.OptedIn(), ast.RecommendedRoute(), ast.InstitutionParticipates()
    marked = ast.And((ast.Or((a, b), parens=1), c))
    unmarked = ast.And((ast.Or((a, b)), c))
    assert condition_text(marked) == condition_text(unmarked) == (
        "(opted in or recommended route) and institution participates")
    assert condition_text(ast.Not(ast.Or((a, b), parens=2))) == (
        "not ((opted in or recommended route))")


_LAID_OUT = """\
rule t "m"
  # before
  deny when opted in
    # why recommended
    and (recommended route  # trailing in the group
      or level is hbo)
    and not institution participates  # last
  basis "x"

regime g "G"

  permit k
    for a
    when level is hbo  # one
      or (opted in
        # inside
        and recommended route)
    basis "z"
"""

_MESSY_CONDITION = """\
rule t "m"
  # before
  deny when opted in and
 # why recommended
      (recommended route   # trailing in the group
  or level is hbo) and
      not institution participates # last
  basis "x"
regime g "G" permit k for a when level is hbo or # one
  (opted in
   # inside
   and recommended route) basis "z"
"""


def test_a_multi_line_condition_keeps_its_breaks_and_comments() -> None:
    """A condition spread over lines keeps a line break before each `and`/`or` where the
    author broke the line, and each comment next to the operand it was written beside."""
    assert print_module(parse(_LAID_OUT)) == _LAID_OUT
    module = parse(_MESSY_CONDITION)
    assert print_module(module) == _LAID_OUT
    assert module == parse(_LAID_OUT)
    assert [c.text for c in parse(_LAID_OUT).comments] == [c.text for c in module.comments]


def test_comments_in_one_printed_line_keep_their_order() -> None:
    """Comments written inside one atom move above its line, in the order they were written,
    also when an own-line comment came between them."""
    text = ('rule r "m"\n  deny when number of items # one\n  # two\n'
            '  covering outcome >= 3 # three\n  basis "x"\n')
    printed = print_module(parse(text))
    assert printed == ('rule r "m"\n  # one\n  # two\n'
                       "  deny when number of items covering outcome >= 3  # three\n"
                       '  basis "x"\n')
    assert print_module(parse(printed)) == printed
