"""The documentation keeps its promises: no reference to a design document the repository does
not have, every relative link and anchor in the docs resolves (as ``mkdocs build --strict``
checks when mkdocs is installed), and the examples of docs/contracts.md are real."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from luk_rules import scenarios as runner
from luk_rules.scenarios import SCENARIOS_SCHEMA

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GONE = "DESIGN" + ".md"  # spelt in two parts so that this file does not mention it
SKIP_DIRS = {".git", ".venv", "site", "node_modules", ".mypy_cache", ".ruff_cache",
             ".pytest_cache", ".hypothesis", "__pycache__", "build", "dist"}


def _tracked_files() -> list[Path]:
    """The files git tracks; in a copy without git, every file outside build folders."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True, timeout=60).stdout
        return [ROOT / name for name in out.decode("utf-8").split("\0") if name]
    except (OSError, subprocess.SubprocessError):
        return [p for p in ROOT.rglob("*")
                if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(ROOT).parts)]


def test_no_file_mentions_the_missing_design_document() -> None:
    """The contracts are stated in docs/; no tracked file cites a design document that is not
    in the repository."""
    files = _tracked_files()
    assert any(p.name == "contracts.md" for p in files)
    found = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        found.extend(f"{path.relative_to(ROOT)}:{n}" for n, line in
                     enumerate(text.splitlines(), 1) if GONE.lower() in line.lower())
    assert not found, f"{GONE} is cited but not in the repository:\n" + "\n".join(found)


# ------------------------------------------------------------------ links and anchors

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it, and the site (mkdocs.yml: pymdownx's slugify
    with ``case: lower``): punctuation dropped, each space a hyphen."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"\s", "-", text)


def _anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(h) for h in _HEADING.findall(text)}


def _links(path: Path) -> list[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    return _LINK.findall(text)


PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    """Every relative link in the page names an existing file, and its anchor a heading."""
    broken = []
    for target in _links(page):
        if re.match(r"^[a-z]+:", target):
            continue  # https:, mailto:
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading with anchor #{anchor}")
    assert not broken, "\n".join(broken)


def test_every_docs_page_is_in_the_site_navigation() -> None:
    """mkdocs.yml's nav lists every page of docs/ (a page left out has no way in)."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    missing = [p.name for p in DOCS.glob("*.md") if f": {p.name}" not in nav]
    assert not missing, f"not in mkdocs.yml's nav: {missing}"


# ------------------------------------------------------------------ contracts.md


def _json_blocks(page: Path) -> list[object]:
    text = page.read_text(encoding="utf-8")
    return [json.loads(b) for b in re.findall(r"^```json\n(.*?)^```", text, re.S | re.M)]


def test_the_contracts_examples_are_valid(tmp_path: Path) -> None:
    """docs/contracts.md's example submission, decision, record and audit fit their schemas,
    and its example scenario file fits its schema and passes `luk test`."""
    from jsonschema import Draft202012Validator

    from luk_rules.audit import AUDIT_SCHEMA
    from luk_rules.decide import DECISION_SCHEMA
    from luk_rules.submission import RECORD_SCHEMA, SUBMISSION_SCHEMA

    blocks = _json_blocks(DOCS / "contracts.md")
    schemas = [SUBMISSION_SCHEMA, DECISION_SCHEMA, RECORD_SCHEMA, AUDIT_SCHEMA, SCENARIOS_SCHEMA]
    assert len(blocks) == len(schemas)
    for block, schema in zip(blocks, schemas, strict=True):
        Draft202012Validator(schema).validate(block)
    scenario_file = blocks[-1]
    assert isinstance(scenario_file, dict)
    scenario_file["ruleset"] = str(ROOT / "rulesets" / "examples" / scenario_file["ruleset"])
    path = tmp_path / f"doc{runner.SUFFIX}"
    path.write_text(json.dumps(scenario_file), encoding="utf-8")
    run = runner.run_files([path])
    assert [r.outcome for r in run.results] == ["passed", "passed"], run.results


@pytest.mark.parametrize("command", ["check", "fmt", "decide", "audit", "test", "diff",
                                     "schema"])
def test_the_contracts_page_gives_every_commands_exit_codes(command: str) -> None:
    """Each command of `luk --help` has a row in the exit-code table of docs/contracts.md."""
    text = (DOCS / "contracts.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| `luk {command}\b", text, re.M), command
    helped = subprocess.run([sys.executable, "-m", "luk_rules.cli", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True).stdout
    assert re.search(rf"^\s+{command}\s", helped, re.M)
