"""Static checks: golden files, the shipped rulesets, the error catalogue, robustness.

Golden files: ``tests/checks/good/*.luk`` give no diagnostics at all;
``tests/checks/bad/*.luk`` give exactly the text in the ``.out`` beside them.
Run with ``LUK_UPDATE_GOLDEN=1`` to rewrite the ``.out`` files, then review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import luk_rules
from luk_rules import ast
from luk_rules.checks import PASSES, SymbolTable, check
from luk_rules.checks.resolve import resolve
from luk_rules.diagnostics import Diagnostic, Severity, render_text, sort_key
from luk_rules.sources import SourceFile, Workspace, load_workspace

REPO = Path(__file__).resolve().parent.parent
CHECKS = REPO / "tests" / "checks"
GOOD = sorted((CHECKS / "good").glob("*.luk"))
BAD = sorted((CHECKS / "bad").glob("*.luk"))
SHIPPED = sorted((REPO / "rulesets").rglob("*.luk"))
ERRORS_MD = REPO / "docs" / "errors.md"
PARSE_CODES = {"LUK001", "LUK002", "LUK003", "LUK004", "LUK005", "LUK006", "LUK007"}
# Reported when a ruleset is loaded to decide (LUK060) or to audit (LUK062), not by checks.
LOAD_CODES = {"LUK060", "LUK062"}
ENGINE_CODES = {"LUK080"}  # from `luk check --engine durable`, not from the checks
UPDATE = os.environ.get("LUK_UPDATE_GOLDEN") == "1"


def diagnose(path: Path) -> tuple[Workspace, list[Diagnostic]]:
    """Load ``path`` (relative to the working folder) and check it: every diagnostic.

    The golden files may include each other across ``good/`` and ``bad/``: their
    common folder is a root."""
    workspace, loading = load_workspace(path, roots=[CHECKS])
    return workspace, sorted(set(loading) | set(check(workspace)), key=sort_key)


def rendered(workspace: Workspace, diagnostics: list[Diagnostic]) -> str:
    """The diagnostics as ``luk check`` prints them."""
    shown, texts = workspace.for_person(diagnostics)
    return "".join(render_text(d, texts) + "\n" for d in shown)


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in the repository root, so shown paths are relative to it."""
    monkeypatch.chdir(REPO)
    return REPO


# ------------------------------------------------------------------ golden files


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_good_rulesets_give_no_diagnostics(path: Path, at_repo: Path) -> None:
    """A well-formed ruleset (with includes, own regimes, as-if) gives no diagnostic."""
    workspace, diagnostics = diagnose(path.relative_to(at_repo))
    assert rendered(workspace, diagnostics) == ""


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_rulesets_match_golden_output(path: Path, at_repo: Path) -> None:
    """A bad ruleset gives exactly the expected diagnostics, its own code among them."""
    workspace, diagnostics = diagnose(path.relative_to(at_repo))
    text = rendered(workspace, diagnostics)
    expected_file = path.with_suffix(".out")
    if UPDATE:
        expected_file.write_text(text, encoding="utf-8")
    assert expected_file.exists(), f"no {expected_file.name}; run with LUK_UPDATE_GOLDEN=1"
    assert text == expected_file.read_text(encoding="utf-8")
    code = path.name[:6].upper()
    assert code in {d.code for d in diagnostics}, f"{path.name} should give {code}"


def test_every_code_has_a_bad_golden_file() -> None:
    """Every check code in the catalogue has a bad test file named after it (`luk0NN-...`)."""
    named = {p.name[:6].upper() for p in BAD}
    assert documented_codes() - PARSE_CODES - LOAD_CODES - ENGINE_CODES <= named


# ------------------------------------------------------------------ shipped rulesets


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))
def test_shipped_rulesets_are_clean(path: Path, at_repo: Path) -> None:
    """Every shipped ruleset (examples and law) gives no error and no warning."""
    workspace, diagnostics = diagnose(path.relative_to(at_repo))
    assert rendered(workspace, diagnostics) == ""


# ------------------------------------------------------------------ focused behaviour


def write(folder: Path, name: str, text: str) -> Path:
    """Write a ruleset file into ``folder``."""
    target = folder / name
    target.write_text(text, encoding="utf-8")
    return target


UNIT = """
evidence beroepsproduct "Beroepsproduct"
unit BK-ONT "Bouwkundig ontwerpen"
  credits 15
  outcome 1 "Ontwerpt een bouwwerk"
  accepts {accepts}
"""


def codes_of(path: Path) -> list[str]:
    """The codes of every diagnostic for the ruleset at ``path``."""
    return [d.code for d in diagnose(path)[1]]


def test_did_you_mean_names_the_closest_declared_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A misspelt evidence type gets LUK010 with a hint naming the declared type."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "r.luk", UNIT.format(accepts="beroepsprodukt"))
    (diagnostic,) = (d for d in diagnose(Path("r.luk"))[1] if d.code == "LUK010")
    assert diagnostic.message == "undefined evidence type `beroepsprodukt`"
    assert diagnostic.hint == "did you mean `beroepsproduct`?"


def test_did_you_mean_for_a_law_regime_uses_the_law_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A misspelt regime in `under` is matched against the law files that could be loaded."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "r.luk", 'programme P "P" level wo-master form deeltijd '
          'institution "U" under whw, wet-leeruitkomstn')
    (diagnostic,) = (d for d in diagnose(Path("r.luk"))[1] if d.code == "LUK010")
    assert diagnostic.hint == "did you mean `wet-leeruitkomsten`?"


def test_wrong_kind_is_reported_instead_of_undefined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit named where an evidence type belongs gives LUK020 and not also LUK010."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "r.luk", UNIT.format(accepts="beroepsproduct, BK-ONT"))
    assert codes_of(Path("r.luk")) == ["LUK020"]


def test_unreadable_include_does_not_cascade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an include missing, names it might declare are not reported as undefined."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "r.luk", 'include "gone.luk"\n' + UNIT.format(accepts="certificaat"))
    assert codes_of(Path("r.luk")) == ["LUK005"]


def test_file_that_did_not_parse_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An included file with a syntax error gives only its syntax error, no cascade."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "lib.luk", 'evidence certificaat "C" max age')
    write(tmp_path, "r.luk", 'include "lib.luk"\n' + UNIT.format(accepts="certificaat"))
    assert codes_of(Path("r.luk")) == ["LUK003"]


def test_library_without_programme_needs_no_kind_or_assessment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shared unit file checked alone needs neither a unit kind nor assessments."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "r.luk", UNIT.format(accepts="beroepsproduct"))
    assert codes_of(Path("r.luk")) == []


def test_programme_default_kind_drives_the_legal_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`units are eenheid-van-leeruitkomsten` makes a unit without `kind` need a route."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "r.luk", 'programme P "P" level hbo-bachelor form deeltijd '
          'institution "H" under whw, wet-leeruitkomsten opted in 2025-01-01 '
          'units are eenheid-van-leeruitkomsten\n'
          + UNIT.format(accepts="beroepsproduct")
          + 'assessment T "T" portfolio path-independent assesses BK-ONT\n')
    assert codes_of(Path("r.luk")) == ["LUK042"]


def test_symbol_table_keeps_every_occurrence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The symbol table indexes duplicates, not just the last declaration of a name."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "r.luk", UNIT.format(accepts="beroepsproduct") * 2)
    workspace, _ = load_workspace(Path("r.luk"))
    table = SymbolTable.build(workspace)
    assert len(table.units["BK-ONT"]) == 2
    assert len(table.evidence["beroepsproduct"]) == 2
    assert len(table.outcomes["BK-ONT.1"]) == 2
    assert table.complete


def test_check_handles_a_workspace_without_parsed_files() -> None:
    """check() on a workspace whose only file did not parse returns nothing, raises nothing."""
    workspace = Workspace("x.luk", (SourceFile("x.luk", "@@", None),), ())
    assert check(workspace) == []


def test_passes_share_one_signature_and_run_in_order() -> None:
    """PASSES is a tuple of functions taking (workspace, resolution); each has a docstring."""
    assert isinstance(PASSES, tuple)
    empty = Workspace("x.luk", (), ())
    resolved = resolve(empty)
    for run in PASSES:
        assert list(run(empty, resolved)) == []
        assert run.__doc__ and "\n" not in run.__doc__.strip()


def test_check_sorts_and_deduplicates() -> None:
    """Diagnostics come out in place order and a pass that repeats one gives it once."""
    workspace, _ = load_workspace(CHECKS / "bad" / "luk014-repeated-in-list.luk")
    once = check(workspace)
    twice = check(workspace, PASSES + PASSES)
    assert once == twice == sorted(once, key=sort_key)


# ------------------------------------------------------------------ error catalogue

_SECTION = re.compile(r"^### (LUK\d{3})\b", re.MULTILINE)
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def documented_codes() -> set[str]:
    """The codes that have an entry (a ``### LUKnnn`` heading) in docs/errors.md."""
    return set(_SECTION.findall(ERRORS_MD.read_text(encoding="utf-8")))


def catalogue_entries() -> Iterator[tuple[str, str, str, str]]:
    """Each entry of docs/errors.md: code, wrong example, its diagnostics, fixed example."""
    text = ERRORS_MD.read_text(encoding="utf-8")
    starts = [(m.group(1), m.start()) for m in _SECTION.finditer(text)]
    for i, (code, start) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else len(text)
        blocks = _BLOCK.findall(text[start:end])
        kinds = [kind for kind, _ in blocks]
        assert kinds == ["luk", "text", "luk"], f"{code}: expected luk, text, luk blocks"
        yield code, blocks[0][1], blocks[1][1], blocks[2][1]


def emitted_by_bad_tests() -> set[str]:
    """Every code the bad golden files expect."""
    found: set[str] = set()
    for out in (CHECKS / "bad").glob("*.out"):
        found.update(re.findall(r"(?:error|warning|note)\[(LUK\d{3})\]", out.read_text()))
    return found


def test_every_emitted_code_is_documented() -> None:
    """Each code a bad test produces has an entry in docs/errors.md."""
    assert emitted_by_bad_tests() <= documented_codes()


def test_every_documented_code_is_tested_or_a_parse_code() -> None:
    """Each entry in docs/errors.md is produced by some bad test, or is a syntax code."""
    assert documented_codes() - PARSE_CODES - LOAD_CODES - ENGINE_CODES <= emitted_by_bad_tests()
    assert documented_codes() >= PARSE_CODES


@pytest.mark.parametrize(
    "entry", [e for e in catalogue_entries() if e[0] not in LOAD_CODES | ENGINE_CODES],
    ids=lambda e: e[0])
def test_catalogue_examples_match_the_checker(
    entry: tuple[str, str, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each catalogue entry's wrong example gives the text shown; the fixed one gives none."""
    code, wrong, shown, fixed = entry
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "rulesets", tmp_path / "rulesets")
    example = Path("rulesets", "examples", "example.luk")
    example.write_text(wrong, encoding="utf-8")
    workspace, diagnostics = diagnose(example)
    assert code in {d.code for d in diagnostics}
    assert rendered(workspace, diagnostics) == shown
    example.write_text(fixed, encoding="utf-8")
    workspace, diagnostics = diagnose(example)
    assert rendered(workspace, diagnostics) == ""


@pytest.mark.parametrize(
    "entry", [e for e in catalogue_entries() if e[0] in LOAD_CODES], ids=lambda e: e[0])
def test_catalogue_examples_match_loading(
    entry: tuple[str, str, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load-time entry's wrong example fails to load for deciding (LUK060) or auditing
    (LUK062) with the text shown; the fixed one loads and audits."""
    code, wrong, shown, fixed = entry
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "rulesets", tmp_path / "rulesets")
    example = Path("rulesets", "examples", "example.luk")
    record = {"id": "R1", "programme": "BK", "form": "voltijd", "date": "2026-06-30",
              "results": []}

    def attempt() -> None:
        luk_rules.load(example).audit(record)

    example.write_text(wrong, encoding="utf-8")
    with pytest.raises(luk_rules.RulesetError) as failed:
        attempt()
    diagnostics = failed.value.diagnostics
    assert code in {d.code for d in diagnostics}
    moved, texts = failed.value.for_person()
    assert "".join(render_text(d, texts) + "\n" for d in moved) == shown
    example.write_text(fixed, encoding="utf-8")
    attempt()


# ------------------------------------------------------------------ robustness

JUNK = ("@@", "zzz")


def token_gaps(line: str) -> list[int]:
    """Offsets in ``line`` between two tokens, outside strings and comments."""
    gaps: list[int] = []
    in_string = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "#":
            break
        elif ch == " " and i > 0 and line[i - 1] != " " and line[:i].strip():
            gaps.append(i)
        i += 1
    return gaps


def mutations(text: str) -> Iterator[tuple[str, str]]:
    """Deterministic mutations of a ruleset text: (description, mutated text)."""
    lines = text.splitlines(keepends=True)
    for n, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rest_before, rest_after = "".join(lines[:n]), "".join(lines[n + 1:])
        yield f"delete line {n + 1}", rest_before + rest_after
        yield f"double line {n + 1}", rest_before + line + line + rest_after
        for k, gap in enumerate(token_gaps(line)):
            junk = JUNK[(n + k) % len(JUNK)]
            mutated = line[:gap] + " " + junk + line[gap:]
            yield f"insert `{junk}` at line {n + 1} col {gap + 1}", (
                rest_before + mutated + rest_after)
    for k in range(1, 16):
        offset = len(text) * k // 16
        yield f"cut at offset {offset}", text[:offset]
    ends = [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    for offset in ends[::4]:
        yield f"cut after line {text[:offset].count(chr(10))}", text[:offset]


def kind_of(description: str) -> str:
    """The mutation kind of a description: delete, double, insert or cut."""
    return description.split(" ", 1)[0]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))
def test_mutated_rulesets_never_raise(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mutating a shipped ruleset never makes loading or checking raise.

    Mutations that parse, change the AST and still give no error are printed
    (run with ``-s``) so they can be judged: they are what the checks miss.
    """
    shutil.copytree(REPO / "rulesets", tmp_path / "rulesets")
    monkeypatch.chdir(tmp_path)
    relative = path.relative_to(REPO)
    original_text = relative.read_text(encoding="utf-8")
    original, _ = load_workspace(relative)
    original_module = original.files[0].module
    assert original_module is not None
    silent: list[tuple[str, bool]] = []
    try:
        for description, text in mutations(original_text):
            relative.write_text(text, encoding="utf-8")
            workspace, diagnostics = diagnose(relative)
            module: ast.Module | None = workspace.files[0].module
            if module is None or module == original_module:
                continue
            if not any(d.severity is Severity.ERROR for d in diagnostics):
                silent.append((description, bool(diagnostics)))
    finally:
        relative.write_text(original_text, encoding="utf-8")
    if silent:
        print(f"\n{relative}: {len(silent)} silent mutation(s)")
        for description, warned in silent:
            note = " (warnings only)" if warned else ""
            print(f"  {description}{note}: {mutated_line(original_text, description)}")


def mutated_line(text: str, description: str) -> str:
    """The original line a line mutation touched, for the report."""
    match = re.search(r"line (\d+)", description)
    if not match or kind_of(description) == "cut":
        return ""
    lines = text.splitlines()
    number = int(match.group(1))
    return lines[number - 1].strip() if 0 < number <= len(lines) else ""


@pytest.mark.parametrize(
    "entry", [e for e in catalogue_entries() if e[0] in ENGINE_CODES], ids=lambda e: e[0])
def test_catalogue_examples_match_the_engine_check(
    entry: tuple[str, str, str, str], tmp_path: Path
) -> None:
    """An engine-limit entry's wrong example gives the text shown by `luk check --engine
    durable`; the fixed one gives none."""
    import subprocess
    import sys

    code, wrong, shown, fixed = entry
    shutil.copytree(REPO / "rulesets", tmp_path / "rulesets")
    example = Path("rulesets", "examples", "example.luk")

    def check(text: str) -> str:
        (tmp_path / example).write_text(text, encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "luk_rules.cli", "check", "--engine",
                               "durable", str(example)], cwd=tmp_path, capture_output=True,
                              text=True, check=False)
        return done.stdout.rpartition("checked ")[0]

    assert f"error[{code}]" in check(wrong)
    assert check(wrong) == shown + "\n"
    assert check(fixed) == ""
