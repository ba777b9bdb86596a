"""Reading a ruleset from disk: its file, the files it includes, and the law
regimes it stands under, each parsed into an AST. Problems become diagnostics;
only an unreadable root file is an exception (a usage error, not a ruleset error)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs

from luk_rules import ast
from luk_rules.diagnostics import Diagnostic, error, warning
from luk_rules.errors import as_given, cannot_read, relocate
from luk_rules.i18n import Lang, Message, msg
from luk_rules.parse import ParseFailed, parse
from luk_rules.resources import law_dir
from luk_rules.span import Span

DEFAULT_MAX_FILE_SIZE = 1 << 20
"""The largest file a ruleset may read (1 MiB), unless ``max_file_size`` says otherwise."""


class SourceUnreadable(Exception):
    """The file asked for cannot be read (missing, a folder, not UTF-8, ...).

    ``str()`` is English (``PATH: cannot read: REASON``); :meth:`describe` says it in
    another language."""

    def __init__(self, path: str, reason: Message) -> None:
        self.message = cannot_read(path, reason)
        super().__init__(self.message)
        self.path = path
        self.reason = reason

    def describe(self, lang: Lang = "en") -> str:
        """``PATH: cannot read: REASON`` in ``lang``."""
        return self.message.in_language(lang)


class OutsideRoots(SourceUnreadable):
    """The file asked for lies outside the folders the ruleset may read."""


@attrs.frozen
class Roots:
    """The folders a ruleset may read from, and how its files are named.

    ``home`` is the folder of the ruleset itself (None for a ruleset given as text
    without roots): relative paths in ``include`` and ``replaces`` start there, and
    every file is shown relative to it, so that sources read the same from any
    working folder. A folder ``law`` beside it (``../law``, where law regimes are
    looked for; not when it is a symlink) and the shipped law library are readable too;
    the shipped law is shown as ``law/<file>``. A file is read only when it resolves,
    symlinks followed, inside one of ``allowed``, is a regular file and is at most
    ``max_file_size`` bytes.
    """

    home: Path | None
    allowed: tuple[Path, ...]
    law: Path
    max_file_size: int = DEFAULT_MAX_FILE_SIZE

    @classmethod
    def make(cls, home: Path | None, extra: Iterable[str | os.PathLike[str]] = (),
             max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> Roots:
        """Roots for a ruleset whose own folder is ``home``, widened by ``extra`` folders.

        Raises:
            SourceUnreadable: when an extra root is not a folder that exists.
        """
        if max_file_size < 1:
            raise ValueError("max_file_size must be at least 1 byte")
        law = Path(os.path.realpath(law_dir()))
        allowed: list[Path] = []
        if home is not None:
            allowed.append(home)
            beside = home.parent / "law"  # where law regimes are looked for (docs/language.md)
            if beside.is_dir() and not beside.is_symlink():  # a link could open up anything
                allowed.append(beside)
        for folder in extra:
            try:
                real = Path(os.path.realpath(folder, strict=True))
            except (OSError, ValueError) as exc:
                raise SourceUnreadable(str(folder), msg(
                    "not a folder that can be used as a root ({reason})",
                    reason=_reason(exc))) from None
            if not real.is_dir():
                raise SourceUnreadable(str(folder), msg("a root must be a folder"))
            allowed.append(real)
        if home is None and allowed:
            home = allowed[0]
        allowed.append(law)
        return cls(home, tuple(dict.fromkeys(allowed)), law, max_file_size)

    def inside(self, real: Path) -> bool:
        """True when ``real`` (a resolved path) lies in one of the allowed folders."""
        return any(real == root or real.is_relative_to(root) for root in self.allowed)

    def shown(self, real: Path) -> str:
        """How a file is named in diagnostics, decisions and audits (independent of the cwd)."""
        if real.is_relative_to(self.law):
            return "law/" + real.relative_to(self.law).as_posix()
        if self.home is None:
            return real.name
        return Path(os.path.relpath(real, self.home)).as_posix()

    def locate(self, relative: str, start: Path | None) -> Path:
        """Resolve ``relative`` (as written in a ruleset) from the folder ``start``.

        Raises:
            SourceUnreadable: when it cannot be resolved (no such file, a symlink loop);
            OutsideRoots: when it resolves outside the allowed folders.
        """
        if start is None:
            raise OutsideRoots(relative, msg("a ruleset given as text reads no files unless "
                                             "roots are given"))
        written = Path(os.path.normpath(start / relative))
        if not self.inside(written):  # refused before the file system is asked anything
            raise OutsideRoots(relative, _OUTSIDE)
        try:
            real = Path(os.path.realpath(written, strict=True))
        except FileNotFoundError:
            raise SourceUnreadable(relative, _NO_SUCH_FILE) from None
        except (OSError, ValueError) as exc:
            raise SourceUnreadable(relative, _reason(exc)) from None
        if not self.inside(real):
            raise OutsideRoots(relative, _OUTSIDE)
        return real


_OUTSIDE = msg("it lies outside the folders this ruleset may read")
_NO_SUCH_FILE = msg("no such file")


def _reason(exc: BaseException) -> Message:
    """Why a file cannot be read: the operating system's reason as it gives it."""
    if isinstance(exc, OSError) and exc.errno == errno.ELOOP:
        return msg("a symlink loop")
    return as_given(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)


@attrs.frozen
class SourceFile:
    """One parsed file of a ruleset. ``module`` is None when it did not parse.

    ``path`` is the shown name (see :meth:`Roots.shown`); ``real`` the file on disk
    (None for a ruleset given as text); ``shipped`` whether it is a file of the shipped law
    (or a copy of one, with the same name and text).
    """

    path: str
    text: str
    module: ast.Module | None
    is_law: bool = False
    real: Path | None = None
    shipped: bool = False


@attrs.frozen
class Workspace:
    """Everything one ruleset consists of: the root file first, then what it pulls in.

    ``includes`` maps an include declaration (by its file and position) to the shown
    path of the file it read; ``replaced`` maps a ``replaces`` clause likewise to the
    real path of the earlier ruleset.
    """

    root: str
    files: tuple[SourceFile, ...]
    available_regimes: tuple[str, ...]
    roots: Roots | None = None
    includes: Mapping[tuple[str, int, int], str] = attrs.field(factory=dict)
    replaced: Mapping[tuple[str, int, int], Path] = attrs.field(factory=dict)

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

    def included(self, source: SourceFile, decl: ast.Include) -> str | None:
        """The shown path of the file an include read, or None when it was not read."""
        return self.includes.get(_site(source.path, decl.span))

    @property
    def paths(self) -> dict[str, str]:
        """Each file's name to its path as a person at the command line finds it
        (relative to the working folder when inside it)."""
        return {f.path: display_path(f.real) if f.real is not None else f.path
                for f in self.files}

    def for_person(self, diagnostics: Iterable[Diagnostic]
                   ) -> tuple[list[Diagnostic], dict[str, str]]:
        """Diagnostics and texts with files named as in :attr:`paths`."""
        return relocate(diagnostics, self.texts, self.paths)

    def replaced_by(self, source_path: str, clause: ast.Replaces) -> Path | None:
        """The real path of the ruleset a ``replaces`` clause names, None when refused."""
        return self.replaced.get(_site(source_path, clause.span))


def _site(path: str, span: Span) -> tuple[str, int, int]:
    return (path, span.line, span.column)


def display_path(path: Path) -> str:
    """A path as shown to a person at the command line: relative to the working folder
    when inside it, else absolute."""
    absolute = path.absolute()
    try:
        rel = os.path.relpath(absolute)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(absolute)
    return str(absolute) if rel.startswith("..") else rel


def read_text(path: Path, shown: str, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> str:
    """Read a regular UTF-8 text file of at most ``max_file_size`` bytes.

    FIFOs, devices and sockets are refused without being opened for reading, so
    that reading never blocks.

    Raises:
        SourceUnreadable: saying why the file cannot be read.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SourceUnreadable(shown, _NO_SUCH_FILE) from None
    except (OSError, ValueError) as exc:
        raise SourceUnreadable(shown, _reason(exc)) from None
    _check_kind(info, shown, max_file_size)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except (OSError, ValueError) as exc:
        raise SourceUnreadable(shown, _reason(exc)) from None
    with os.fdopen(fd, "rb") as handle:
        try:
            _check_kind(os.fstat(handle.fileno()), shown, max_file_size)  # swapped meanwhile?
            data = handle.read(max_file_size + 1)
        except OSError as exc:
            raise SourceUnreadable(shown, _reason(exc)) from None
    if len(data) > max_file_size:
        raise SourceUnreadable(shown, _too_large(max_file_size))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceUnreadable(shown, msg("not UTF-8 text (byte {byte})",
                                          byte=exc.start)) from None


def _too_large(max_file_size: int) -> Message:
    return msg("larger than {limit:,} bytes", limit=max_file_size)


def _check_kind(info: os.stat_result, shown: str, max_file_size: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise SourceUnreadable(shown, msg("it is a folder"))
    if not stat.S_ISREG(info.st_mode):
        raise SourceUnreadable(shown, msg("not a regular file (a FIFO, device or socket)"))
    if info.st_size > max_file_size:
        raise SourceUnreadable(shown, _too_large(max_file_size))


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


def _same_text(text: str, path: Path) -> bool:
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def _declared_regimes(files: Iterable[SourceFile]) -> set[str]:
    names: set[str] = set()
    for f in files:
        if f.module is not None:
            names.update(
                d.name.value for d in f.module.declarations if isinstance(d, ast.Regime)
            )
    return names


def _search_dirs(referrer: Path | None, roots: Roots) -> list[Path]:
    """Where a law regime is looked for: beside the file, in ``../law``, then shipped."""
    here = referrer.parent if referrer is not None else roots.home
    if here is None:
        return [roots.law]
    return [here, here.parent / "law", roots.law]


def load_workspace(path: Path, *, roots: Iterable[str | os.PathLike[str]] | Roots = (),
                   max_file_size: int = DEFAULT_MAX_FILE_SIZE, text: str | None = None,
                   overlays: Mapping[Path, str] | None = None,
                   ) -> tuple[Workspace, list[Diagnostic]]:
    """Read and parse a ruleset file with its includes and law regimes.

    The ruleset's own folder, the shipped law and the folders in ``roots`` may be
    read (see :class:`Roots`); given a :class:`Roots`, exactly those (as for a
    ruleset that another one ``replaces``). ``text``, when given, is the file's text as
    an editor has it (``luk lsp``): it is used instead of what is on disk. ``overlays``
    does the same for the files it pulls in: the text of an included file or a law file
    whose real (resolved) path is a key is taken from there instead of the disk. An overlay
    changes what a file says, never which files may be read: a file is looked for, and
    refused outside the roots, exactly as without one, and an overlay for a file the ruleset
    does not read is not used.

    Raises:
        SourceUnreadable: when ``path`` itself cannot be read, or a root is no folder.
    """
    try:
        real = Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        raise SourceUnreadable(str(path), _NO_SUCH_FILE) from None
    except (OSError, ValueError) as exc:
        raise SourceUnreadable(str(path), _reason(exc)) from None
    allowed = roots if isinstance(roots, Roots) else Roots.make(real.parent, roots,
                                                                 max_file_size)
    if text is None:
        text = read_text(real, str(path), allowed.max_file_size)
    return _Loader(allowed, overlays).run(allowed.shown(real), text, real)


def load_text(text: str, name: str, *, roots: Iterable[str | os.PathLike[str]] = (),
              max_file_size: int = DEFAULT_MAX_FILE_SIZE,
              overlays: Mapping[Path, str] | None = None) -> tuple[Workspace, list[Diagnostic]]:
    """Parse a ruleset given as text (named ``name``), with its includes and law regimes.

    Includes and ``replaces`` resolve from the first of ``roots`` and only inside
    them; without roots the text can use the shipped law and nothing else. ``overlays``
    as for :func:`load_workspace`.

    Raises:
        SourceUnreadable: when a root is not a folder.
    """
    allowed = Roots.make(None, roots, max_file_size)
    return _Loader(allowed, overlays).run(name, text, None)


class _Loader:
    """Reads one ruleset's files, confined to its roots."""

    def __init__(self, roots: Roots, overlays: Mapping[Path, str] | None = None) -> None:
        self.roots = roots
        self.overlays = overlays or {}
        self.files: list[SourceFile] = []
        self.diagnostics: list[Diagnostic] = []
        self.seen: dict[Path, str] = {}
        self.includes: dict[tuple[str, int, int], str] = {}
        self.replaced: dict[tuple[str, int, int], Path] = {}

    def parse(self, text: str, shown: str, real: Path | None, is_law: bool) -> SourceFile:
        try:
            module: ast.Module | None = parse(text, shown)
        except ParseFailed as failed:
            self.diagnostics.extend(failed.diagnostics)
            module = None
        shipped = real is not None and (real.parent == self.roots.law or (
            (self.roots.law / real.name).is_file()
            and _same_text(text, self.roots.law / real.name)))
        source = SourceFile(shown, text, module, is_law, real, shipped)
        self.files.append(source)
        if real is not None:
            self.seen[real] = shown
        return source

    def read(self, real: Path, is_law: bool) -> SourceFile:
        """Parse a file the ruleset may read (``real`` is resolved and inside the roots):
        its overlay when it has one (as large a text as the disk may hold), else the disk."""
        shown = self.roots.shown(real)
        text = self.overlays.get(real)
        if text is None:
            text = read_text(real, shown, self.roots.max_file_size)
        elif len(text.encode("utf-8")) > self.roots.max_file_size:
            raise SourceUnreadable(shown, _too_large(self.roots.max_file_size))
        return self.parse(text, shown, real, is_law)

    def start(self, source: SourceFile) -> Path | None:
        return source.real.parent if source.real is not None else self.roots.home

    def refused(self, exc: SourceUnreadable, what: Message, span: Span, code: str = "LUK005",
                hint: Message | None = None) -> None:
        # Translators: what could not be done (cannot include `a.luk`), and why.
        message = msg("{what}: {reason}", what=what, reason=exc.reason)
        if isinstance(exc, OutsideRoots):
            self.diagnostics.append(error(
                "LUK007", message, span,
                hint=msg("keep the file beside the ruleset, or allow its folder with "
                         "`--root DIR` (`roots=` in the Python API)")))
        else:
            self.diagnostics.append(error(code, message, span, hint=hint))

    def include_all(self, source: SourceFile, stack: tuple[Path, ...]) -> None:
        if source.module is None:
            return
        for decl in source.module.declarations:
            if isinstance(decl, ast.Programme):
                self.replaces(source, decl)
            if not isinstance(decl, ast.Include):
                continue
            what = msg("cannot include `{path}`", path=decl.path.value)
            relative = msg("the path is relative to the folder of the including file")
            try:
                target = self.roots.locate(decl.path.value, self.start(source))
            except SourceUnreadable as exc:
                self.refused(exc, what, decl.path.span, hint=relative)
                continue
            if target in stack:
                self.diagnostics.append(error(
                    "LUK006", msg("`{path}` includes itself (an include cycle)",
                                  path=decl.path.value),
                    decl.span, hint=msg("remove one of the includes that form the cycle")))
                continue
            if target in self.seen:
                self.includes[_site(source.path, decl.span)] = self.seen[target]
                continue
            try:
                included = self.read(target, is_law=False)
            except SourceUnreadable as exc:
                self.refused(exc, what, decl.path.span, hint=relative)
                continue
            self.includes[_site(source.path, decl.span)] = included.path
            self.include_all(included, (*stack, target))

    def replaces(self, source: SourceFile, programme: ast.Programme) -> None:
        for clause in programme.clauses:
            if not isinstance(clause, ast.Replaces):
                continue
            what = msg("`{path}` cannot be read", path=clause.path.value)
            try:
                target = self.roots.locate(clause.path.value, self.start(source))
                read_text(target, clause.path.value, self.roots.max_file_size)
            except SourceUnreadable as exc:
                self.refused(exc, what, clause.path.span, code="LUK035",
                             hint=msg("the path is relative to the folder of this file"))
                continue
            if source.real is not None and target == source.real:
                self.diagnostics.append(error(
                    "LUK035", msg("a ruleset cannot replace itself"), clause.path.span,
                    hint=msg("name the earlier ruleset that decides the cases before the "
                             "date")))
                continue
            self.replaced[_site(source.path, clause.span)] = target

    def regimes(self) -> set[str]:
        """Pull in the law regimes named by `under`, `as if` and `extends`, transitively."""
        available: set[str] = set()
        pending = list(self.files)
        while pending:
            source = pending.pop(0)
            if source.module is None:
                continue
            for ref in _regime_refs(source.module):
                if ref.value in _declared_regimes(self.files):
                    continue
                for folder in _search_dirs(source.real, self.roots):
                    found = self.regime_in(folder, ref, available)
                    if found is None:
                        continue
                    if isinstance(found, SourceFile):
                        before = len(self.files)
                        # A law file's includes are read like any other's (and confined).
                        self.include_all(found, (found.real,) if found.real else ())
                        pending.append(found)
                        pending.extend(self.files[before:])
                    break
        return available

    def regime_in(self, folder: Path, ref: ast.Name, available: set[str]
                  ) -> SourceFile | bool | None:
        """The regime's file in ``folder``: read (a file), refused or seen (False), or None."""
        if folder.name == "law" and folder.is_dir() and self.roots.inside(folder.resolve()):
            available.update(p.stem for p in folder.glob("*.luk"))
        candidate = folder / f"{ref.value}.luk"
        try:
            real = Path(os.path.realpath(candidate, strict=True))
        except (OSError, ValueError):
            return None
        if not self.roots.inside(real):
            shown = Path(os.path.relpath(real, self.roots.home)).as_posix() if self.roots.home \
                else real.name
            self.refused(OutsideRoots(shown, msg("`{path}` lies outside the folders this "
                                                 "ruleset may read", path=shown)),
                         msg("cannot read the law regime `{name}`", name=ref.value), ref.span)
            return False
        if real in self.seen:
            return False
        try:
            return self.read(real, is_law=True)
        except SourceUnreadable as exc:
            self.refused(exc, msg("cannot read the law regime `{name}`", name=ref.value),
                         ref.span)
            return False

    def run(self, shown: str, text: str, real: Path | None) -> tuple[Workspace, list[Diagnostic]]:
        root = self.parse(text, shown, real, is_law=False)
        self.include_all(root, (real,) if real is not None else ())
        available = self.regimes()
        self.shadowed()
        workspace = Workspace(shown, tuple(self.files), tuple(sorted(available)), self.roots,
                              dict(self.includes), dict(self.replaced))
        return workspace, self.diagnostics

    def shadowed(self) -> None:
        """LUK008: a regime named like one of the shipped law, declared in the ruleset or
        found beside it, takes the statute's place: say so, naming both files. A copy of
        the shipped file (the same text) changes nothing and is not reported."""
        shipped = {p.stem: p for p in self.roots.law.glob("*.luk")}
        for source in self.files:
            if source.module is None or source.shipped:
                continue
            for decl in source.module.declarations:
                if isinstance(decl, ast.Regime) and decl.name.value in shipped:
                    name = decl.name.value
                    self.diagnostics.append(warning(
                        "LUK008", msg("regime `{name}` in {file} takes the place of the "
                                      "shipped law {law}: decisions under `{name}` follow this "
                                      "file, not the statute as shipped", name=name,
                                      file=source.path, law=self.roots.shown(shipped[name])),
                        decl.name.span,
                        hint=msg("give an institution's own regime a name of its own (and use "
                                 "that name in `under`); to change the shipped law, see "
                                 "docs/law.md")))


def collect_paths(arguments: Iterable[str]) -> tuple[list[Path], list[Message]]:
    """Expand files and folders into the ``.luk`` files they hold, sorted.

    Returns the files and a list of problems (paths that do not exist), as messages.
    """
    found: list[Path] = []
    problems: list[Message] = []
    for arg in arguments:
        p = Path(arg)
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob("*.luk") if q.is_file()))
        elif p.is_file():
            found.append(p)
        else:
            problems.append(msg("{path}: no such file or folder", path=arg))
    return found, problems


__all__ = ["DEFAULT_MAX_FILE_SIZE", "OutsideRoots", "Roots", "SourceFile", "SourceUnreadable",
           "Workspace", "collect_paths", "display_path", "load_text", "load_workspace",
           "read_text"]
