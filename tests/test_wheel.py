"""The built wheel works on its own: installed in a clean virtual environment, its `luk`
checks and decides a ruleset in a folder outside the repository, finding the grammar and
the law regimes inside the package (STYLE.md: run the CLI from an installed wheel)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ICT = ROOT / "rulesets" / "examples" / "hbo-ict-deeltijd.luk"
LAW = sorted(p.name for p in (ROOT / "rulesets" / "law").glob("*.luk"))
CASE = {
    "id": "W1",
    "programme": "ICT",
    "form": "deeltijd",
    "date": "2025-06-01",
    "units": ["ICT-PM"],
    "assessment": "ICT-INT",
    "evidence": [
        {
            "id": "e1",
            "type": "reflectieverslag",
            "outcomes": ["ICT-PM.1", "ICT-PM.2"],
            "activity": "pm-leerlijn",
            "date": "2025-01-10",
        },
        {
            "id": "e2",
            "type": "werkplekproduct",
            "outcomes": ["ICT-PM.1", "ICT-PM.2"],
            "date": "2025-02-10",
            "verified": True,
        },
    ],
}


def _run(
    command: list[str | Path], cwd: Path | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the working tree (once per module)."""
    dist = tmp_path_factory.mktemp("dist")
    built = _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, ROOT]
    )
    if built.returncode != 0:  # `build` missing: pip can build the wheel too
        built = _run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "--wheel-dir",
                dist,
                ROOT,
            ]
        )
    assert built.returncode == 0, built.stdout + built.stderr
    [found] = dist.glob("luk_rules-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh virtual environment with only the wheel and its
    dependencies installed (from the machine's package index)."""
    root = tmp_path_factory.mktemp("venv")
    made = _run([sys.executable, "-m", "venv", "--without-pip", root])
    assert made.returncode == 0, made.stderr
    python = root / "bin" / "python"
    installed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--quiet",
            "--disable-pip-version-check",
            wheel,
        ]
    )
    if installed.returncode != 0 and any(
        s in installed.stderr
        for s in ("NewConnectionError", "Temporary failure", "No matching distribution")
    ):
        pytest.skip(f"the dependencies cannot be installed here: {installed.stderr[-300:]}")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return root / "bin"


def test_wheel_ships_grammar_law_and_types(wheel: Path) -> None:
    """The wheel holds the grammar, every law regime, the HTML templates and the py.typed
    marker."""
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "luk_rules/grammar/luk.lark" in names
    assert {f"luk_rules/law/{name}" for name in LAW} <= names
    assert "luk_rules/py.typed" in names
    templates = {p.name for p in (ROOT / "luk_rules" / "templates").glob("*.html.j2")}
    assert {"base.html.j2", "decision.html.j2", "impact.html.j2"} <= templates
    assert {f"luk_rules/templates/{name}" for name in templates} <= names
    assert not any(n.startswith(("tests/", "rulesets/")) for n in names)
    # the compiled gettext catalogues (and their sources) ship, for --lang nl
    assert {f"luk_rules/locale/{lang}/LC_MESSAGES/luk.{ext}" for lang in ("en", "nl")
            for ext in ("mo", "po")} <= names


def test_installed_luk_checks_and_decides_outside_the_repository(
    venv: Path, tmp_path: Path
) -> None:
    """In an empty folder outside the repository, the installed `luk` checks the HBO-ICT
    ruleset (exit 0) and decides a small case under the Wet leeruitkomsten, importing
    luk_rules from the virtual environment, not from the checkout."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(ICT, work / ICT.name)
    (work / "case.json").write_text(json.dumps(CASE), encoding="utf-8")

    where = _run([venv / "python", "-c", "import luk_rules; print(luk_rules.__file__)"], cwd=work)
    assert Path(where.stdout.strip()).is_relative_to(venv.parent), where.stdout + where.stderr

    checked = _run([venv / "luk", "check", ICT.name], cwd=work)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().splitlines()[-1].startswith("checked 1 file: 0 errors")

    decided = _run([venv / "luk", "decide", "--format", "json", ICT.name, "case.json"], cwd=work)
    assert decided.returncode == 0, decided.stderr
    decision = json.loads(decided.stdout)
    assert decision["law"] == "wet-leeruitkomsten"
    assert (decision["case"], decision["status"]) == ("W1", "admissible")
    assert decision["units"]["ICT-PM"]["outcomes"]["ICT-PM.1"] == ["e1", "e2"]
    assert "Traceback" not in decided.stderr + checked.stderr
    # Dutch from the installed catalogues
    dutch = _run([venv / "luk", "check", ICT.name, "--lang", "nl"], cwd=work)
    assert dutch.stdout.strip().splitlines()[-1].startswith("1 bestand"), dutch.stdout
