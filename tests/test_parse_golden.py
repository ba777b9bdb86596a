"""Golden files for the parser: each ``tests/parse/good/*.luk`` has its AST beside it in
``.ast``, and each ``tests/parse/bad/*.luk`` has its rendered diagnostics in ``.out``.

To regenerate the expected files after an intended change, run::

    LUK_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_parse_golden.py

and review the diff before committing. With the variable set, the tests write
the expected files instead of comparing (and pass).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs
import pytest

from luk_rules import ast
from luk_rules.diagnostics import render_text
from luk_rules.parse import ParseFailed, parse

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "parse"
GOOD = sorted((HERE / "good").glob("*.luk"))
BAD = sorted((HERE / "bad").glob("*.luk"))
UPDATE = os.environ.get("LUK_UPDATE_GOLDEN") == "1"
WIDTH = 100


def render_node(value: object, depth: int = 0, column: int = 0) -> str:
    """``repr`` of an AST value, broken over lines where it does not fit in ``WIDTH``.

    Attrs nodes show their fields as ``repr`` does (spans and comments left out),
    and a condition's layout markers (``parens``, ``written``) where they are set;
    a node or tuple that does not fit on the rest of its line (``column`` on) gets
    one field or item a line, indented four spaces a level (``depth``).
    """
    flat = _flat(value)
    if column + len(flat) <= WIDTH:
        return flat
    pad = "    " * (depth + 1)
    cls = type(value)
    if attrs.has(cls):
        parts = [
            f"{pad}{f.name}="
            + render_node(getattr(value, f.name), depth + 1, len(pad) + len(f.name) + 2)
            for f in _shown(value)
        ]
        head = cls.__name__ + "("
    elif isinstance(value, tuple) and value:
        parts = [f"{pad}{render_node(item, depth + 1, len(pad) + 1)}" for item in value]
        head = "("
    else:
        return flat
    return head + "\n" + ",\n".join(parts) + ",\n" + "    " * depth + ")"


def _shown(node: Any) -> list[attrs.Attribute[Any]]:
    """The fields of an attrs node that are shown: those ``repr`` shows, and the layout
    markers that are set."""
    return [f for f in attrs.fields(type(node)) if f.repr or (
        f.metadata.get(ast.LAYOUT) and getattr(node, f.name) != f.default)]


def _flat(value: object) -> str:
    """``repr``, with the layout markers that are set shown too."""
    if attrs.has(type(value)):
        fields = ", ".join(f"{f.name}={_flat(getattr(value, f.name))}" for f in _shown(value))
        return f"{type(value).__name__}({fields})"
    if isinstance(value, tuple):
        items = [_flat(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    return repr(value)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _compare(expected_path: Path, actual: str) -> None:
    if UPDATE:
        expected_path.write_text(actual, encoding="utf-8")
        return
    assert expected_path.exists(), f"no {_relative(expected_path)}; run with LUK_UPDATE_GOLDEN=1"
    assert actual == expected_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", GOOD, ids=[p.name for p in GOOD])
def test_good_file_parses_to_the_expected_ast(path: Path) -> None:
    """A good file parses, and its AST is the one recorded in the `.ast` file beside it."""
    module = parse(path.read_text(encoding="utf-8"), _relative(path))
    _compare(path.with_suffix(".ast"), render_node(module) + "\n")


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_bad_file_fails_with_the_expected_diagnostics(path: Path) -> None:
    """A bad file fails to parse with the diagnostics recorded in the `.out` file beside it."""
    text = path.read_text(encoding="utf-8")
    name = _relative(path)
    with pytest.raises(ParseFailed) as failed:
        parse(text, name)
    rendered = "\n".join(render_text(d, {name: text}) for d in failed.value.diagnostics)
    _compare(path.with_suffix(".out"), rendered + "\n")


def test_golden_files_are_found() -> None:
    """There are good and bad files to run, and each has its expected output beside it."""
    assert len(GOOD) >= 5
    assert len(BAD) >= 8
    if not UPDATE:
        assert all(p.with_suffix(".ast").exists() for p in GOOD)
        assert all(p.with_suffix(".out").exists() for p in BAD)


def test_render_node_breaks_long_nodes() -> None:
    """A node too wide for one line is split one field a line, and short ones stay whole."""
    module = parse('evidence cv "CV"\n')
    assert render_node(module) == repr(module)
    rule = parse('rule r "m" deny when (opted in) and not opted in basis "b"\n').declarations[0]
    assert isinstance(rule, ast.Rule)
    assert render_node(rule.when) == "And(items=(OptedIn(parens=1), Not(item=OptedIn())))"
    rendered = render_node(module, column=WIDTH - 5)
    assert rendered.startswith("Module(\n")
    assert "declarations=" in rendered
