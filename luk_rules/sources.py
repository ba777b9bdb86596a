"""Reading a ruleset from disk: its file, the files it includes, and the law
regimes it stands under, each parsed into an AST. Problems become diagnostics;
only an unreadable root file is an exception (a usage error, not a ruleset error)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import attrs

from luk_rules import ast
from luk_rules.diagnostics import Diagnostic, error
from luk_rules.parse import ParseFailed, parse
from luk_rules.resources import law_dir


class SourceUnreadable(Exception):
    """The file asked for cannot be read (missing, a folder, not UTF-8, ...)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: cannot read: {reason}")
        self.path = path
        self.reason = reason


@attrs.frozen
class SourceFile:
    """One parsed file of a ruleset. ``module`` is None when it did not parse."""

    path: str
    text: str
    module: ast.Module | None
    is_law: bool = False


@attrs.frozen
class Workspace:
    """Everything one ruleset consists of: the root file first, then what it pulls in."""

    root: str
    files: tuple[SourceFile, ...]
    available_regimes: tuple[str, ...]

    @property
    def texts(self) -> dict[str, str]:
        """File path to text, for rendering diagnostics."""
        return {f.path: f.text for f in self.files}

    def declarations(self) -> Iterable[tuple[SourceFile, ast.Declaration]]:
        """Every declaration of every file that parsed, with its file."""
        for f in self.files:
            if f.module is not None:
                for d in f.module.declarations:
                    yield f, d


def display_path(path: Path) -> str:
    """A path as shown in diagnostics: relative to the working folder when inside it."""
    absolute = path.resolve()
    try:
        rel = os.path.relpath(absolute)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(absolute)
    return str(absolute) if rel.startswith("..") else rel


def read_text(path: Path, shown: str) -> str:
    """Read a UTF-8 text file or raise :class:`SourceUnreadable` saying why."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise SourceUnreadable(shown, "it is a folder") from None
    except FileNotFoundError:
        raise SourceUnreadable(shown, "no such file") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SourceUnreadable(shown, reason) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceUnreadable(shown, f"not UTF-8 text (byte {exc.start})") from None


def _regime_refs(module: ast.Module) -> list[ast.Name]:
    refs: list[ast.Name] = []
    for d in module.declarations:
        if isinstance(d, ast.Programme):
            for c in d.clauses:
                if isinstance(c, ast.Under):
                    refs.extend(c.regimes)
                elif isinstance(c, ast.AsIf):
                    refs.append(c.regime)
        elif isinstance(d, ast.Regime):
            refs.extend(c.regime for c in d.clauses if isinstance(c, ast.Extends))
    return refs


def _declared_regimes(files: Iterable[SourceFile]) -> set[str]:
    names: set[str] = set()
    for f in files:
        if f.module is not None:
            names.update(
                d.name.value for d in f.module.declarations if isinstance(d, ast.Regime)
            )
    return names


def _search_dirs(referrer: Path) -> list[Path]:
    here = referrer.parent
    return [here, here.parent / "law", law_dir()]


def load_workspace(path: Path) -> tuple[Workspace, list[Diagnostic]]:
    """Read and parse a ruleset with its includes and law regimes.

    Raises:
        SourceUnreadable: when ``path`` itself cannot be read.
    """
    root_shown = display_path(path)
    files: list[SourceFile] = []
    diagnostics: list[Diagnostic] = []
    real_paths: dict[Path, str] = {}

    def load(file: Path, shown: str, is_law: bool) -> SourceFile:
        text = read_text(file, shown)
        try:
            module: ast.Module | None = parse(text, shown)
        except ParseFailed as failed:
            diagnostics.extend(failed.diagnostics)
            module = None
        source = SourceFile(shown, text, module, is_law)
        files.append(source)
        real_paths[file.resolve()] = shown
        return source

    def include_all(source: SourceFile, file: Path, stack: tuple[Path, ...]) -> None:
        if source.module is None:
            return
        for decl in source.module.declarations:
            if not isinstance(decl, ast.Include):
                continue
            try:
                target = (file.parent / decl.path.value).resolve()
            except (OSError, ValueError) as exc:
                diagnostics.append(error(
                    "LUK005", f"cannot include `{decl.path.value}`: {exc}", decl.path.span))
                continue
            if target in stack:
                diagnostics.append(error(
                    "LUK006", f"`{decl.path.value}` includes itself (an include cycle)",
                    decl.span, hint="remove one of the includes that form the cycle"))
                continue
            if target in real_paths:
                continue
            shown = display_path(target)
            try:
                included = load(target, shown, is_law=False)
            except SourceUnreadable as exc:
                diagnostics.append(error(
                    "LUK005", f"cannot include `{decl.path.value}`: {exc.reason}",
                    decl.path.span,
                    hint="the path is relative to the folder of the including file"))
                continue
            include_all(included, target, (*stack, target))

    root = load(path, root_shown, is_law=False)
    include_all(root, path.resolve(), (path.resolve(),))

    # Pull in the law regimes named by `under`, `as if` and `extends`, transitively.
    available: set[str] = set()
    pending = list(files)
    while pending:
        source = pending.pop(0)
        if source.module is None:
            continue
        referrer = Path(source.path)
        for ref in _regime_refs(source.module):
            if ref.value in _declared_regimes(files):
                continue
            for folder in _search_dirs(referrer):
                if folder.is_dir() and folder.name == "law":
                    available.update(p.stem for p in folder.glob("*.luk"))
                candidate = folder / f"{ref.value}.luk"
                if candidate.is_file() and candidate.resolve() not in real_paths:
                    try:
                        pending.append(load(candidate, display_path(candidate), is_law=True))
                    except SourceUnreadable as exc:
                        diagnostics.append(error(
                            "LUK005", f"cannot read the law regime `{ref.value}`: {exc.reason}",
                            ref.span))
                    break
    return Workspace(root_shown, tuple(files), tuple(sorted(available))), diagnostics


def collect_paths(arguments: Iterable[str]) -> tuple[list[Path], list[str]]:
    """Expand files and folders into the ``.luk`` files they hold, sorted.

    Returns the files and a list of problems (paths that do not exist).
    """
    found: list[Path] = []
    problems: list[str] = []
    for arg in arguments:
        p = Path(arg)
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob("*.luk") if q.is_file()))
        elif p.is_file():
            found.append(p)
        else:
            problems.append(f"{arg}: no such file or folder")
    return found, problems


__all__ = ["SourceFile", "SourceUnreadable", "Workspace", "collect_paths",
           "display_path", "load_workspace", "read_text"]
