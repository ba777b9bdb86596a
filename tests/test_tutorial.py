"""docs/tutorial.md and docs/what-if.md show real output: every command they show is run, and
its output compared with the page.

Conventions of the pages (the HTML comments render invisibly):

- ``<!-- file: NAME -->`` right before a fenced block: the reader writes the block as the file
  NAME. ``<!-- append: NAME -->``: the block is added at the end of NAME, after a blank line.
  ``<!-- edit: NAME -->``: each chunk of the block (a line and the lines indented deeper below
  it, such as a ``unit`` declaration or one JSON evidence item) replaces the chunk of NAME with
  the same indentation that starts with the same two words. ``<!-- whole file: NAME -->``: the
  block must equal NAME as the steps before built it. ``<!-- empty file: NAME -->`` (no block):
  the reader creates NAME empty.
- tutorial.md: a ```sh block holds one command; each ```text block after it is that command's
  output (a page may say "Check again:" and show only the output). Its commands run in a
  fresh folder, as the tutorial's reader does, with the files the steps before wrote.
- what-if.md: a ```console block holds commands prefixed with ``$ `` (a trailing ``\\``
  continues a command on the next line), each followed by its output; ``$ echo $?`` shows the
  previous command's exit code. They run in order from a folder laid out as the repository
  root: a copy of ``rulesets/examples`` and a link to the shipped ``rulesets/law`` (a copy of
  the law would not be the shipped law, which decisions cite as ``law/whw.luk``), since the
  commands write scratch files such as ``case.json``, which must not land in the checkout.
- In an output, a line ``...`` or ``[... anything ...]`` stands for any number of lines left
  out: the lines before it and after it must appear in that order.

``luk`` is ``python -m luk_rules.cli``; stdout and stderr are compared together, unbuffered, in
the order a terminal shows them.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorial.md"
WHAT_IF = DOCS / "what-if.md"

_BLOCK = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n"
                    r"(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
_MARKER = re.compile(r"<!--\s*(?P<verb>file|append|edit|whole file|empty file):"
                     r"\s*(?P<name>\S+)\s*-->")
_ELISION = re.compile(r"^\s*(\.\.\.|\[\.\.\..*\])\s*$")


# ------------------------------------------------------------------ reading a page


@dataclass(frozen=True)
class FileStep:
    verb: str
    name: str
    text: str
    line: int


@dataclass(frozen=True)
class Command:
    command: str
    expected: str
    line: int  # of the output on the page
    steps: tuple[FileStep, ...] = field(default=())  # the file steps before it, in order


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _dedent(body: str, indent: str) -> str:
    return "".join(line[len(indent):] if line.startswith(indent) else line
                   for line in body.splitlines(keepends=True))


def tutorial_commands(page: Path = TUTORIAL) -> list[Command]:
    """Every command of the tutorial with the output the page shows, and the file steps the
    reader has taken by then."""
    text = page.read_text(encoding="utf-8")
    events: list[tuple[int, str, re.Match[str]]] = [
        (m.start(), "marker", m) for m in _MARKER.finditer(text)]
    events += [(m.start(), "block", m) for m in _BLOCK.finditer(text)]
    events.sort(key=lambda e: e[0])
    steps: list[FileStep] = []
    commands: list[Command] = []
    pending: re.Match[str] | None = None
    command: str | None = None
    for offset, kind, m in events:
        line = _line_of(text, offset)
        if kind == "marker":
            if m["verb"] == "empty file":
                steps.append(FileStep("file", m["name"], "", line))
            else:
                pending = m
            continue
        body = _dedent(m["body"], m["indent"])
        if pending is not None:
            assert text[pending.end():m.start()].strip() == "", (
                f"{page.name}:{line}: a file marker must come right before its block")
            steps.append(FileStep(pending["verb"], pending["name"], body, line))
            pending = None
        elif m["lang"] == "sh":
            lines = [c for c in body.splitlines() if c.strip() and not c.startswith("#")]
            assert len(lines) == 1, f"{page.name}:{line}: a ```sh block holds one command"
            command = lines[0]
        elif m["lang"] == "text":
            assert command is not None, f"{page.name}:{line}: output before any command"
            commands.append(Command(command, body, line, tuple(steps)))
        else:
            assert m["lang"] not in {"luk", "json"}, (
                f"{page.name}:{line}: a ```{m['lang']} block without a file marker is not tested")
    assert pending is None, f"{page.name}: a file marker without its block"
    return commands


def console_commands(page: Path = WHAT_IF) -> tuple[list[FileStep], list[Command]]:
    """The files the page has the reader write, and every ``$ `` command of its ```console
    blocks with the output shown below it."""
    text = page.read_text(encoding="utf-8")
    steps = [FileStep(m["verb"], m["name"], _dedent(b["body"], b["indent"]),
                      _line_of(text, b.start()))
             for m in _MARKER.finditer(text)
             for b in [_BLOCK.search(text, m.end())] if b is not None]
    commands: list[Command] = []
    for block in _BLOCK.finditer(text):
        if block["lang"] != "console":
            continue
        first = _line_of(text, block.start("body"))
        lines = _dedent(block["body"], block["indent"]).splitlines()
        i = 0
        while i < len(lines):
            assert lines[i].startswith("$ "), f"{page.name}:{first + i}: expected a `$ ` command"
            start = i
            parts = [lines[i][2:]]
            while parts[-1].endswith("\\"):
                i += 1
                parts[-1] = parts[-1][:-1]
                parts.append(lines[i].strip())
            i += 1
            output: list[str] = []
            while i < len(lines) and not lines[i].startswith("$ "):
                output.append(lines[i])
                i += 1
            command = " ".join(p.strip() for p in parts)
            expected = "".join(f"{o}\n" for o in output)
            commands.append(Command(command, expected, first + start))
    return steps, commands


# ------------------------------------------------------------------ writing files


def _chunks(text: str) -> list[list[str]]:
    """The lines of ``text`` in chunks: a line and the lines indented deeper below it."""
    chunks: list[list[str]] = []
    for line in text.splitlines(keepends=True):
        depth = len(line) - len(line.lstrip())
        if chunks and (not line.strip() or depth > _depth(chunks[-1][0])):
            chunks[-1].append(line)
        else:
            chunks.append([line])
    return chunks


def _depth(line: str) -> int:
    return len(line) - len(line.lstrip())


def _edit(old: str, fragment: str, where: str) -> str:
    """``old`` with each chunk of ``fragment`` in place of the chunk, at any depth, that has the
    same indentation and starts with the same two words."""
    lines = old.splitlines(keepends=True)
    for new in _chunks(fragment):
        while new and not new[-1].strip():
            new.pop()
        if not new:
            continue
        depth, words = _depth(new[0]), new[0].split()[:2]
        found = [i for i, ln in enumerate(lines)
                 if ln.strip() and _depth(ln) == depth and ln.split()[:2] == words]
        assert len(found) == 1, f"{where}: `{new[0].strip()}` matches {len(found)} chunks"
        start = end = found[0]
        for j in range(start + 1, len(lines)):
            if lines[j].strip() and _depth(lines[j]) <= depth:
                break
            if lines[j].strip():
                end = j
        lines[start:end + 1] = new
    return "".join(lines)


def apply_steps(folder: Path, steps: tuple[FileStep, ...] | list[FileStep], page: str) -> None:
    """Take the reader's file steps in ``folder``."""
    for step in steps:
        path = folder / step.name
        where = f"{page}:{step.line} ({step.verb}: {step.name})"
        if step.verb == "file":
            path.write_text(step.text, encoding="utf-8")
        elif step.verb == "append":
            old = path.read_text(encoding="utf-8")
            path.write_text(f"{old.rstrip(chr(10))}\n\n{step.text}" if old.strip() else step.text,
                            encoding="utf-8")
        elif step.verb == "edit":
            path.write_text(_edit(path.read_text(encoding="utf-8"), step.text, where),
                            encoding="utf-8")
        else:
            assert step.verb == "whole file"
            built = path.read_text(encoding="utf-8")
            assert built == step.text, (
                f"{where}: the page's whole file differs from what its steps build:\n"
                + "".join(difflib.unified_diff(built.splitlines(keepends=True),
                                               step.text.splitlines(keepends=True),
                                               "built by the steps", "shown on the page")))


# ------------------------------------------------------------------ running and comparing


def _run(command: str, cwd: Path) -> tuple[str, int]:
    """``command`` run by bash in ``cwd``, ``luk`` being this checkout's CLI."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "100",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    script = f'luk() {{ "{sys.executable}" -m luk_rules.cli "$@"; }}\n{command}\n'
    proc = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=120)
    return proc.stdout.decode("utf-8"), proc.returncode


def matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` is ``expected``, an elision line standing for any lines."""
    segments: list[list[str]] = [[]]
    for line in expected.splitlines():
        if _ELISION.match(line):
            segments.append([])
        else:
            segments[-1].append(line)
    got = actual.splitlines()
    if len(segments) == 1:
        return got == segments[0]
    first, *middle, last = segments
    if got[:len(first)] != first or (last and got[-len(last):] != last):
        return False
    pos, end = len(first), len(got) - len(last)
    if end < pos:
        return False
    for segment in middle:
        while pos + len(segment) <= end and got[pos:pos + len(segment)] != segment:
            pos += 1
        if pos + len(segment) > end:
            return False
        pos += len(segment)
    return True


def _check(page: str, command: Command, actual: str) -> None:
    if not matches(command.expected, actual):
        diff = "".join(difflib.unified_diff(
            command.expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            f"{page}:{command.line} (shown)", "real output"))
        pytest.fail(f"{page}:{command.line}: `{command.command}` prints something else than "
                    f"the page shows (a line `...` or `[...]` on the page stands for any lines):\n"
                    f"{diff}", pytrace=False)


TUTORIAL_COMMANDS = tutorial_commands()


@pytest.mark.parametrize("command", TUTORIAL_COMMANDS,
                         ids=[f"line{c.line}" for c in TUTORIAL_COMMANDS])
def test_tutorial_output(command: Command, tmp_path: Path) -> None:
    """Each command of the tutorial, run in the reader's folder as the steps before it left it,
    prints what the page shows."""
    folder = tmp_path / "verpleegkunde"
    folder.mkdir()
    apply_steps(folder, command.steps, TUTORIAL.name)
    _check(TUTORIAL.name, command, _run(command.command, folder)[0])


def test_tutorial_builds_the_whole_file(tmp_path: Path) -> None:
    """The tutorial's fragments build its files, the whole file shown is what they build, and
    the tutorial's programme is in the canonical layout (``luk fmt --check``, as it says)."""
    steps = TUTORIAL_COMMANDS[-1].steps
    assert any(s.verb == "whole file" and s.text.strip() for s in steps)
    apply_steps(tmp_path, steps, TUTORIAL.name)
    out, code = _run("luk fmt --check verpleegkunde-deeltijd.luk", tmp_path)
    assert (out, code) == ("", 0)


def test_what_if_output(tmp_path: Path) -> None:
    """Each command of the what-if walk-through, run in order from (a copy of) the repository
    root, prints what the page shows; ``echo $?`` shows the previous exit code."""
    steps, commands = console_commands()
    assert commands
    shutil.copytree(ROOT / "rulesets" / "examples", tmp_path / "rulesets" / "examples")
    (tmp_path / "rulesets" / "law").symlink_to(ROOT / "rulesets" / "law", target_is_directory=True)
    apply_steps(tmp_path, steps, WHAT_IF.name)
    code = 0
    for command in commands:
        if command.command == "echo $?":
            actual = f"{code}\n"
        else:
            actual, code = _run(command.command, tmp_path)
        _check(WHAT_IF.name, command, actual)


# ------------------------------------------------------------------ the test's own pieces


def test_elisions() -> None:
    assert matches("a\nb\n", "a\nb\n")
    assert not matches("a\nb\n", "a\nb\nc\n")
    assert matches("a\n...\nd\n", "a\nb\nc\nd\n")
    assert matches("a\n[... the rest ...]\n", "a\nb\nc\n")
    assert matches("[...]\nc\n...\n", "a\nb\nc\nd\n")
    assert matches("a\n...\nd\n", "a\nd\n")
    assert not matches("a\n...\nc\n...\nb\n", "a\nb\nc\n")
    assert not matches("a\n...\na\n", "a\n")


def test_edit_replaces_a_chunk_by_its_first_two_words() -> None:
    old = 'unit A "x"\n  credits 1\n\nunit B "y"\n  credits 2\n'
    assert _edit(old, 'unit A "x"\n  credits 3\n  more\n', "t") == (
        'unit A "x"\n  credits 3\n  more\n\nunit B "y"\n  credits 2\n')
