"""The editor files: the TextMate grammar (valid JSON, every keyword of grammar/luk.lark
coloured as a keyword, comments, texts, dates, numbers, outcome ids), and `luk lsp` without
pygls (docs/editor.md)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXTMATE = ROOT / "grammar" / "luk.tmLanguage.json"


def _grammar() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(TEXTMATE.read_text(encoding="utf-8"))
    return found


def _scope_of(word: str) -> set[str]:
    """The scopes of the grammar's single-line patterns that match all of ``word``."""
    return {rule["name"] for rule in _grammar()["repository"].values()
            if "match" in rule and "name" in rule and re.fullmatch(rule["match"], word)}


def test_the_textmate_grammar_is_valid_json_for_luk_files() -> None:
    grammar = _grammar()
    assert grammar["scopeName"] == "source.luk"
    assert grammar["fileTypes"] == ["luk"]
    names = {p["include"].lstrip("#") for p in grammar["patterns"]}
    assert names == set(grammar["repository"])
    for rule in grammar["repository"].values():
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])  # Oniguruma patterns that Python reads alike


def test_every_keyword_of_the_lark_grammar_is_a_keyword_in_the_textmate_grammar() -> None:
    lark = (ROOT / "grammar" / "luk.lark").read_text(encoding="utf-8")
    quoted = sorted(set(re.findall(r'"([a-z][a-z/-]*)"', lark)))
    assert len(quoted) > 100
    missing = [w for w in quoted if not any(s.startswith("keyword.") for s in _scope_of(w))]
    assert missing == []


def test_the_textmate_grammar_colours_the_rest() -> None:
    assert "comment.line.number-sign.luk" in _scope_of("# a comment")
    assert "constant.numeric.date.luk" in _scope_of("2024-11-01")
    assert "constant.numeric.integer.luk" in _scope_of("15")
    assert "entity.name.type.code.luk" in _scope_of("BK-ONT")
    assert not any(s.startswith("keyword.") for s in _scope_of("eenheid-van-leeruitkomsten"))
    outcome = _grammar()["repository"]["outcome"]
    assert re.fullmatch(outcome["match"], "BK-ONT.1")
    string = _grammar()["repository"]["string"]
    assert string["begin"] == '"'
    assert string["name"].startswith("string.quoted.double")


def test_luk_lsp_without_pygls_says_what_to_install() -> None:
    code = ("import sys; sys.modules['pygls'] = None; sys.modules['lsprotocol'] = None\n"
            "from luk_rules.cli import main; sys.exit(main(['lsp', '--lang', 'en']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert "pip install 'luk-rules[lsp]'" in done.stderr
    assert done.stdout == ""


# -- the Neovim setup of docs/editor.md, in a real Neovim without a screen

NVIM_CHECK = r"""
local out = {}
local main = vim.api.nvim_get_current_buf()
local function wait(what) return vim.wait(10000, what, 20) end
local function diagnostics()
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(main)) do
    table.insert(found, {code = d.code, lnum = d.lnum, col = d.col, message = d.message})
  end
  return found
end
local function floats()
  local found = {}
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(w).relative ~= "" then table.insert(found, w) end
  end
  return found
end
local function on_u1()
  vim.api.nvim_set_current_buf(main)
  vim.fn.cursor(1, 1)
  vim.fn.search("assesses U1")
  vim.cmd("normal! w")
end

out.filetype = vim.bo[main].filetype
wait(function() return #vim.diagnostic.get(main) > 0 end)
out.diagnostics = diagnostics()

on_u1()
vim.cmd("normal K")
wait(function() return #floats() > 0 end)
for _, w in ipairs(floats()) do
  out.hover = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(w), 0, -1, false)
  vim.api.nvim_win_close(w, true)
end

on_u1()
vim.cmd("normal gd")
wait(function() return vim.api.nvim_buf_get_name(0):match("shared%.luk$") ~= nil end)
out.definition = {vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ":t"),
                  vim.api.nvim_win_get_cursor(0)}

vim.api.nvim_set_current_buf(main)
local line = vim.fn.search("assesses U1") - 1
local replies = vim.lsp.buf_request_sync(main, "textDocument/completion", {
  textDocument = {uri = vim.uri_from_bufnr(main)},
  position = {line = line, character = #"  assesses U1, "}}, 10000)
out.completion = {}
for _, reply in pairs(replies or {}) do
  for _, item in ipairs((reply.result or {}).items or reply.result or {}) do
    table.insert(out.completion, item.label)
  end
end

local level = vim.fn.search("level hbo") - 1
vim.api.nvim_buf_set_lines(main, level, level + 1, false, {"  level     hbo-bachelor"})
vim.lsp.buf.format({async = false})
out.formatted = vim.api.nvim_buf_get_lines(main, level, level + 1, false)[1]

vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("LUK_LAW")))
local law = vim.api.nvim_get_current_buf()
local clients = vim.lsp.get_clients or vim.lsp.get_active_clients
wait(function() return #clients({bufnr = law}) > 0 end)
out.clients = #clients()
vim.api.nvim_buf_set_lines(law, 0, 1, false, {'regime eigen2 "Eigen regeling"'})
wait(function() return #vim.diagnostic.get(main) > 1 end)
out.law_edited = diagnostics()

vim.fn.writefile({vim.fn.json_encode(out)}, os.getenv("LUK_OUT"))
vim.cmd("qa!")
"""

NVIM_SHARED = """\
evidence beroepsproduct "Beroepsproduct"

unit U1 "Ontwerpen"
  credits 5
  outcome 1 "Ontwerpt een woning"
  accepts beroepsproduct
"""

NVIM_MAIN = """\
include "shared.luk"

programme P "Voorbeeld"
  level hbo-bachelor
  form voltijd
  institution "Hogeschool Voorbeeld"
  under whw, eigen
  units are onderwijseenheid

assessment A1 "Integrale beoordeling"
  portfolio
  path-independent
  assesses U1, NOPE
"""

NVIM_LAW = """\
regime eigen "Eigen regeling"
  in force from 2020-01-01
  extends whw
  basis "Regeling art. 1"
  enacted
"""


def _nvim() -> str | None:
    """An nvim of 0.8 or later (``LUK_NVIM``, else the ``PATH``'s), or None."""
    found = os.environ.get("LUK_NVIM") or shutil.which("nvim")
    if found is None:
        return None
    try:
        version = subprocess.run([found, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    number = re.match(r"NVIM v(\d+)\.(\d+)", version)
    return found if number and (int(number[1]), int(number[2])) >= (0, 8) else None


def test_the_neovim_setup_of_the_guide(tmp_path: Path) -> None:
    """docs/editor.md's init.lua in `nvim --headless`: the diagnostics of a broken ruleset,
    `K`, `gd` into the included file, completion, formatting, and the ruleset's diagnostics
    while its law file (another folder of the repository) is edited unsaved."""
    nvim = _nvim()
    if nvim is None:
        pytest.skip("no nvim 0.8 or later (set LUK_NVIM to one)")
    guide = (ROOT / "docs" / "editor.md").read_text(encoding="utf-8")
    (config,) = re.findall(r"```lua\n(.*?)```", guide, re.S)
    (tmp_path / "init.lua").write_text(config, encoding="utf-8")
    (tmp_path / "check.lua").write_text(NVIM_CHECK, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / "law").mkdir()
    (tmp_path / "law" / "eigen.luk").write_text(NVIM_LAW, encoding="utf-8")
    folder = tmp_path / "programme"
    folder.mkdir()
    (folder / "shared.luk").write_text(NVIM_SHARED, encoding="utf-8")
    (folder / "main.luk").write_text(NVIM_MAIN, encoding="utf-8")
    bin_dir = tmp_path / "bin"  # `luk` as the guide's `cmd` names it
    bin_dir.mkdir()
    (bin_dir / "luk").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m luk_rules.cli "$@"\n',
                                 encoding="utf-8")
    (bin_dir / "luk").chmod(0o755)
    state = tmp_path / "state"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(ROOT), "LUK_OUT": str(tmp_path / "out.json"),
           "LUK_LAW": str(tmp_path / "law" / "eigen.luk"), "XDG_CONFIG_HOME": str(state),
           "XDG_DATA_HOME": str(state), "XDG_STATE_HOME": str(state),
           "XDG_CACHE_HOME": str(state)}
    done = subprocess.run(
        [nvim, "--headless", "-i", "NONE", "-u", str(tmp_path / "init.lua"), "main.luk",
         "-c", f"luafile {tmp_path / 'check.lua'}"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)
    assert (tmp_path / "out.json").exists(), done.stdout + done.stderr
    out = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert out["filetype"] == "luk"
    nope = NVIM_MAIN.split("\n").index("  assesses U1, NOPE")
    assert [(d["code"], d["lnum"], d["col"]) for d in out["diagnostics"]] == [
        ("LUK010", nope, len("  assesses U1, "))]
    assert out["diagnostics"][0]["message"].startswith("undefined unit `NOPE`")
    assert out["hover"][0] == "**unit U1** \u2014 Ontwerpen"
    assert "5 credits" in out["hover"]
    assert out["definition"] == ["shared.luk", [3, len("unit ")]]
    assert set(out["completion"]) == {"U1"}
    assert out["formatted"] == "  level hbo-bachelor"
    assert out["clients"] == 1  # the law file's buffer shares the ruleset's server
    assert sorted((d["code"], d["lnum"]) for d in out["law_edited"]) == [
        ("LUK010", NVIM_MAIN.split("\n").index("  under whw, eigen")), ("LUK010", nope)]


def _guide_files() -> dict[str, str]:
    """The files docs/editor.md shows (``name``: followed by a fenced block), by name."""
    guide = (ROOT / "docs" / "editor.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^`([\w.-]+)`[^\n]*:\n\n```\w+\n(.*?)```", guide, re.S | re.M))


def test_the_vs_code_extension_of_the_guide_fits_the_grammar_and_the_server() -> None:
    files = _guide_files()
    manifest = json.loads(files["package.json"])
    json.loads(files["language-configuration.json"])
    grammar = _grammar()
    [language] = manifest["contributes"]["languages"]
    [textmate] = manifest["contributes"]["grammars"]
    assert language["extensions"] == [f".{t}" for t in grammar["fileTypes"]]
    assert textmate["scopeName"] == grammar["scopeName"]
    assert textmate["language"] == language["id"] == "luk"
    assert textmate["path"] == f"./syntaxes/{TEXTMATE.name}"
    assert language["configuration"] == "./language-configuration.json"
    assert manifest["activationEvents"] == [f"onLanguage:{language['id']}"]
    assert manifest["main"] == "./extension.js"
    assert "vscode-languageclient" in manifest["dependencies"]
    script = files["extension.js"]
    assert re.search(r'\{ command: "luk", args: \["lsp"\] \}', script)
    assert f'language: "{language["id"]}"' in script
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'luk = "luk_rules.cli:main"' in project  # the `luk` the extension starts
    done = subprocess.run([sys.executable, "-m", "luk_rules.cli", "lsp", "--help"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and "language server" in done.stdout
