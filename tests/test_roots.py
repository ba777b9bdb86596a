"""A ruleset reads only inside its roots: its own folder, ``../law``, the shipped law and
the folders given with ``roots=`` / ``--root``; only regular files of bounded size; a
refusal is a located diagnostic that never shows the refused file's content."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import luk_rules
from luk_rules.sources import load_text, load_workspace

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "rulesets" / "examples"
SECRET = "TOP-SECRET-CONTENT-42"

PROGRAMME = """\
programme VP "Voorbeeld"
  level hbo-bachelor
  form deeltijd
  institution "Hogeschool Voorbeeld"
  under whw, wet-leeruitkomsten
  opted in 2025-01-01
  units are eenheid-van-leeruitkomsten

evidence beroepsproduct "Beroepsproduct"

unit VP-A "Eenheid A"
  credits 5
  outcome 1 "Doet iets"
  accepts beroepsproduct
  recommended activity a-lijn

assessment VP-A-CGI "Criteriumgericht interview"
  portfolio
  path-independent
  assesses VP-A
"""

CASE = {"id": "S1", "programme": "VP", "form": "deeltijd", "date": "2025-06-01",
        "units": ["VP-A"], "assessment": "VP-A-CGI",
        "evidence": [{"id": "e1", "type": "beroepsproduct", "outcomes": ["VP-A.1"],
                      "date": "2025-01-01"}]}


def luk(*args: str, cwd: Path, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run the command line as a user would, with a timeout that turns a hang into a failure."""
    return subprocess.run([sys.executable, "-m", "luk_rules.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A secret file outside the ruleset's folder."""
    secret = tmp_path / "secret" / "units.luk"
    secret.parent.mkdir()
    secret.write_text(f'evidence x "{SECRET}"\n', encoding="utf-8")
    return secret


def ruleset_with(tmp_path: Path, include: str) -> Path:
    folder = tmp_path / "programme"
    folder.mkdir(exist_ok=True)
    path = folder / "vp.luk"
    path.write_text(f'include "{include}"\n\n{PROGRAMME}', encoding="utf-8")
    return path


def hostile_targets(tmp_path: Path, outside: Path) -> dict[str, str]:
    """Each include that must be refused, by what makes it hostile."""
    folder = tmp_path / "programme"
    folder.mkdir(exist_ok=True)
    (folder / "link-out.luk").symlink_to(outside)
    (folder / "loop-a.luk").symlink_to(folder / "loop-b.luk")
    (folder / "loop-b.luk").symlink_to(folder / "loop-a.luk")
    os.mkfifo(folder / "fifo.luk")
    (folder / "folder.luk").mkdir()
    (folder / "huge.luk").write_text("# " + "x" * (1 << 20) + "\n", encoding="utf-8")
    return {
        "absolute": "/etc/passwd",
        "dot-dot": "../../../../../../../../etc/hostname",
        "dot-dot-secret": "../secret/units.luk",
        "absolute-secret": str(outside),
        "symlink-out": "link-out.luk",
        "symlink-loop": "loop-a.luk",
        "fifo": "fifo.luk",
        "device": "/dev/zero",
        "folder": "folder.luk",
        "huge": "huge.luk",
    }


@pytest.mark.parametrize("kind", ["absolute", "dot-dot", "dot-dot-secret", "absolute-secret",
                                  "symlink-out", "symlink-loop", "fifo", "device", "folder",
                                  "huge"])
def test_hostile_include_is_a_located_refusal(tmp_path: Path, outside: Path, kind: str) -> None:
    """`luk check` refuses each hostile include at its line, exits 1, shows none of it."""
    target = hostile_targets(tmp_path, outside)[kind]
    path = ruleset_with(tmp_path, target)
    done = luk("check", str(path), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "vp.luk:1:9: error[LUK00" in done.stdout
    assert SECRET not in done.stdout + done.stderr
    assert "root:" not in done.stdout  # nothing of /etc/passwd
    assert "Traceback" not in done.stderr


def test_hostile_include_refused_by_decide_too(tmp_path: Path, outside: Path) -> None:
    """`luk decide` on a ruleset that includes /etc/passwd exits 2 naming the include line."""
    path = ruleset_with(tmp_path, "/etc/passwd")
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE), encoding="utf-8")
    done = luk("decide", str(path), str(case), cwd=tmp_path)
    assert done.returncode == 2
    assert "vp.luk:1:9: error[LUK007]" in done.stderr
    assert "root:x" not in done.stderr


@pytest.mark.parametrize("clause", ['replaces "/etc/passwd" from 2025-01-01',
                                    'replaces "../secret/units.luk" from 2025-01-01'])
def test_replaces_outside_the_roots_is_refused(tmp_path: Path, outside: Path,
                                               clause: str) -> None:
    """`replaces` is confined like `include`: LUK007 at the path, nothing of the file shown."""
    folder = tmp_path / "programme"
    folder.mkdir()
    path = folder / "vp.luk"
    path.write_text(PROGRAMME.replace("  opted in", f"  {clause}\n  opted in"), encoding="utf-8")
    with pytest.raises(luk_rules.RulesetError) as failed:
        luk_rules.load(path)
    [refusal] = [d for d in failed.value.diagnostics if d.is_error]
    assert refusal.code == "LUK007" and refusal.span.line == 6
    assert SECRET not in str(failed.value.sources)
    assert all("root:x" not in text for text in failed.value.sources.values())


def test_a_root_widens_what_may_be_read(tmp_path: Path, outside: Path) -> None:
    """With the outside folder as a root (API and CLI), the same include is read."""
    path = ruleset_with(tmp_path, "../secret/units.luk")
    ruleset = luk_rules.load(path, roots=[outside.parent])
    assert ruleset.decide(CASE).status == "admissible"
    done = luk("check", "--root", str(outside.parent), str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert luk("check", str(path), cwd=tmp_path).returncode == 1


def test_a_law_regime_beside_but_outside_is_refused_not_replaced(tmp_path: Path) -> None:
    """A law regime in ``../law`` that links outside the roots is an error, not silently
    swapped for the shipped one."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "whw.luk").write_text(f"# {SECRET}\n", encoding="utf-8")
    (tmp_path / "law").mkdir()
    (tmp_path / "law" / "whw.luk").symlink_to(tmp_path / "elsewhere" / "whw.luk")
    folder = tmp_path / "programme"
    folder.mkdir()
    (folder / "vp.luk").write_text(PROGRAMME, encoding="utf-8")
    workspace, diagnostics = load_workspace(folder / "vp.luk")
    assert [d.code for d in diagnostics] == ["LUK007"]
    assert "whw" in diagnostics[0].message and diagnostics[0].span.line == 5
    assert SECRET not in "".join(workspace.texts.values())


def test_max_file_size_is_configurable(tmp_path: Path) -> None:
    """A file over ``max_file_size`` is refused (LUK005), under it read."""
    folder = tmp_path / "programme"
    folder.mkdir()
    (folder / "more.luk").write_text('evidence extra "Extra"\n' + "# pad\n" * 2000,
                                     encoding="utf-8")
    path = folder / "vp.luk"
    path.write_text(f'include "more.luk"\n\n{PROGRAMME}', encoding="utf-8")
    _, small = load_workspace(path, max_file_size=10_000)
    assert [d.code for d in small] == ["LUK005"] and "larger than 10,000 bytes" in small[0].message
    _, enough = load_workspace(path, max_file_size=40_000)
    assert enough == []


def test_the_ruleset_itself_must_be_a_regular_file(tmp_path: Path) -> None:
    """A FIFO given as the ruleset is refused at once instead of blocking."""
    fifo = tmp_path / "r.luk"
    os.mkfifo(fifo)
    with pytest.raises(luk_rules.RulesetUnreadable, match="not a regular file"):
        luk_rules.load(fifo)
    loop = tmp_path / "loop.luk"
    loop.symlink_to(loop)
    with pytest.raises(luk_rules.RulesetUnreadable, match="symlink loop"):
        luk_rules.load(loop)


def test_loads_reads_text_and_confines_includes(tmp_path: Path, outside: Path) -> None:
    """`loads` decides from text; without roots it reads no file, with roots only inside."""
    ruleset = luk_rules.loads(PROGRAMME, name="vp-2025.luk")
    decision = ruleset.decide(CASE, explain=True).to_dict()
    assert decision["status"] == "admissible"
    assert all(not s.startswith("/") for s in _sources(decision))
    _, refused = load_text('include "units.luk"\n' + PROGRAMME, "vp.luk")
    assert [d.code for d in refused] == ["LUK007"]
    _, read = load_text('include "units.luk"\n' + PROGRAMME, "vp.luk", roots=[outside.parent])
    assert read == []
    _, escaped = load_text('include "../../etc/passwd"\n' + PROGRAMME, "vp.luk",
                           roots=[outside.parent])
    assert [d.code for d in escaped] == ["LUK007"]


def _sources(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == "source" and isinstance(v, str)]
        return found + [s for v in node.values() for s in _sources(v)]
    if isinstance(node, list):
        return [s for v in node for s in _sources(v)]
    return []


def test_decisions_are_byte_identical_from_any_working_folder(tmp_path: Path) -> None:
    """The decision JSON (explanation included) does not depend on the working folder."""
    ruleset = EXAMPLES / "bouwkunde-deeltijd.luk"
    submission = EXAMPLES / "cases" / "bouwkunde-selficient.json"
    outputs = []
    for cwd in (REPO, REPO / "rulesets", tmp_path):
        done = luk("decide", "--format", "json", "--explain", str(ruleset), str(submission),
                   cwd=cwd)
        assert done.returncode in (0, 1), done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    sources = _sources(json.loads(outputs[0]))
    assert any(s.startswith("law/wet-leeruitkomsten.luk:") for s in sources)
    assert all(s == "built-in" or s.startswith(("law/", "bouwkunde-deeltijd.luk:"))
               for s in sources), sorted(set(sources))


def test_audits_are_byte_identical_from_any_working_folder(tmp_path: Path) -> None:
    """The audit JSON does not depend on the working folder either."""
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"id": "R1", "programme": "ICT", "form": "deeltijd",
                                  "date": "2026-06-30", "results": []}), encoding="utf-8")
    ruleset = EXAMPLES / "hbo-ict-deeltijd.luk"
    outputs = [luk("audit", "--format", "json", "--explain", str(ruleset), str(record),
                   cwd=cwd).stdout for cwd in (REPO, tmp_path)]
    assert outputs[0] == outputs[1] and '"source"' in outputs[0]


def test_root_works_for_test_and_diff(tmp_path: Path, outside: Path) -> None:
    """`luk test` and `luk diff` take `--root` too: refused without it, read with it."""
    path = ruleset_with(tmp_path, "../secret/units.luk")
    scenarios = path.with_name("vp.scenarios.json")
    scenarios.write_text(json.dumps({"ruleset": "vp.luk", "scenarios": [
        {"name": "portfolio", "submission": CASE, "expect": {"status": "admissible"}}]}),
        encoding="utf-8")
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE), encoding="utf-8")
    root = str(outside.parent)
    assert luk("test", str(scenarios), cwd=tmp_path).returncode == 2
    tested = luk("test", "--root", root, str(scenarios), cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert luk("diff", str(path), str(path), str(case), cwd=tmp_path).returncode == 2
    diffed = luk("diff", "--root", root, str(path), str(path), str(case), cwd=tmp_path)
    assert diffed.returncode == 0, diffed.stdout + diffed.stderr


def test_a_law_folder_that_is_a_symlink_opens_nothing(tmp_path: Path) -> None:
    """``../law`` as a symlink (to ``/`` here) is no root: only a real folder beside is."""
    (tmp_path / "law").symlink_to("/")
    folder = tmp_path / "programme"
    folder.mkdir()
    path = folder / "vp.luk"
    path.write_text('include "../law/etc/passwd"\n\n' + PROGRAMME, encoding="utf-8")
    _, diagnostics = load_workspace(path)
    assert [d.code for d in diagnostics] == ["LUK007"]


def test_files_lists_every_file_read_with_those_of_the_replaced_ruleset() -> None:
    """`Ruleset.files`: the ruleset file first, its includes, its law regimes' files and
    every file of the ruleset it `replaces`, each once, resolved; nothing it did not read."""
    evl = luk_rules.load(EXAMPLES / "bouwkunde-voltijd-evl.luk")
    files = evl.files
    assert files[0] == (EXAMPLES / "bouwkunde-voltijd-evl.luk").resolve()
    assert len(set(files)) == len(files) and all(f.is_absolute() for f in files)
    names = {f.name for f in files}
    assert {"bouwkunde-units.luk", "bouwkunde-voltijd.luk", "whw.luk"} <= names
    earlier = luk_rules.load(EXAMPLES / "bouwkunde-voltijd.luk").files
    assert set(earlier) <= set(files)
    alone = luk_rules.load(EXAMPLES / "ds-master-deeltijd.luk").files
    assert "bouwkunde-units.luk" not in {f.name for f in alone}
    assert all(f.suffix == ".luk" and f.is_file() for f in alone)


# -- overlays: an editor's unsaved texts of the files a ruleset reads (`luk lsp`)


def test_an_overlay_is_read_instead_of_the_disk(tmp_path: Path) -> None:
    """The text an editor has of an included file is what the ruleset reads."""
    folder = tmp_path / "programme"
    folder.mkdir()
    shared = folder / "shared.luk"
    shared.write_text('evidence beroepsproduct "Beroepsproduct"\n', encoding="utf-8")
    path = folder / "vp.luk"
    path.write_text('include "shared.luk"\n', encoding="utf-8")
    edited = 'evidence cv "Curriculum vitae"\n'
    workspace, diagnostics = load_workspace(path, overlays={shared.resolve(): edited})
    assert diagnostics == []
    assert workspace.texts["shared.luk"] == edited
    _, without = load_workspace(path, overlays={folder / "other.luk": edited})
    assert without == []


def test_an_overlay_opens_nothing_outside_the_roots(tmp_path: Path, outside: Path) -> None:
    """An overlay changes what a file says, not which files may be read: an include outside
    the roots is refused with or without one, and neither text is shown."""
    path = ruleset_with(tmp_path, "../secret/units.luk")
    overlaid = "OVERLAID-CONTENT-7"
    workspace, diagnostics = load_workspace(
        path, overlays={outside.resolve(): f'evidence x "{overlaid}"\n'})
    assert [d.code for d in diagnostics if d.is_error] == ["LUK007"]
    texts = "".join(workspace.texts.values())
    assert SECRET not in texts and overlaid not in texts


def test_an_overlay_is_no_file_of_its_own(tmp_path: Path) -> None:
    """An overlay for a file that is not on disk does not make it readable (LUK005), and
    one larger than a file may be is refused as that file would be."""
    path = ruleset_with(tmp_path, "missing.luk")
    missing = (tmp_path / "programme" / "missing.luk").resolve()
    _, diagnostics = load_workspace(path, overlays={missing: 'evidence x "X"\n'})
    assert [d.code for d in diagnostics] == ["LUK005"]
    shared = tmp_path / "programme" / "shared.luk"
    shared.write_text("# small\n", encoding="utf-8")
    path.write_text('include "shared.luk"\n', encoding="utf-8")
    _, large = load_workspace(path, max_file_size=2_000,
                              overlays={shared.resolve(): "# pad\n" * 1_000})
    assert [d.code for d in large] == ["LUK005"] and "larger than 2,000 bytes" in large[0].message
