"""Impact analysis: decide every case under two rulesets and report what changes.

Cases are submissions (decided for admissibility) or study records (audited for
the diploma): an object with ``results`` and no ``units``/``evidence`` is a record.

``compare(before, after, cases)`` is the Python API of ``luk diff``. Cases are
submission files (``.json``, one submission or a list of them), JSON Lines files
(``.jsonl``, one submission a line; blank lines are skipped) or folders of both;
they are streamed, so memory stays flat however long the corpus. With ``jobs > 1``
the cases are decided in worker processes (one per 50 cases at most, and never more
than :func:`max_jobs`), each of which compiles both rulesets once.

A case *changed* when its status differs between the two sides. A case that is
invalid on one side only has the status ``error`` there, so it changed, with the
problem as its reason. A case invalid on both sides (broken JSON, not UTF-8, not a
regular file, a number too long to read, a problem both rulesets find) is *invalid*:
it is not compared, and is counted and listed apart. Cases whose status stayed but
whose findings, missing outcomes, law or combination changed are reported apart
too. :meth:`Impact.gate_problem` says when a run proves nothing (no cases, no valid
case, too many invalid ones).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import pickle
import signal
import stat
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import IO, Any, Final, TextIO, TypeVar, overload

import attrs

from luk_rules.api import Ruleset
from luk_rules.errors import LukError, Problem, SubmissionError
from luk_rules.i18n import Lang, Message, msg, msgn, say
from luk_rules.sources import display_path
from luk_rules.submission import Record, Submission, structure

BATCH = 2_000  # cases read ahead to size the workers' chunks
CHUNK = 100  # at most this many cases handed to a worker at a time
PER_WORKER = 50  # a worker process is started for every 50 cases at most (it costs more)
EXAMPLES = 3  # example cases shown per group
KEEP = 1_000  # cases of each list of an Impact kept in memory; the rest wait in a file
SPILL = 500  # cases written to that file at a time
JOBS_PER_CPU = 4  # at most this many worker processes per usable CPU ...
MAX_JOBS = 64  # ... and never more than this many

# (status, law, combination, missing outcomes, findings as (code, severity)) or an error.
Outcome = tuple[str, str | None, str, tuple[str, ...], tuple[tuple[str, str], ...]]


@attrs.frozen
class RawCase:
    """One case as read: where it came from, and its JSON text.

    ``error`` is set for a case that could not even be read (not UTF-8, not a regular
    file, a number too long): it is invalid on both sides, whatever the rulesets say.
    """

    source: str
    text: str
    error: str | None = None


@attrs.frozen
class CaseResult:
    """A case decided on both sides. An error side has status ``error`` and a message."""

    case: str
    source: str
    before: Outcome
    after: Outcome
    before_error: str | None = None
    after_error: str | None = None

    @property
    def status_changed(self) -> bool:
        """True when the status differs between the two sides."""
        return self.before[0] != self.after[0]

    @property
    def anything_changed(self) -> bool:
        """True when anything in the decision differs."""
        return self.before != self.after or self.before_error != self.after_error

    @property
    def invalid(self) -> bool:
        """True when the case is invalid on both sides (it cannot be compared)."""
        return self.before[0] == "error" and self.after[0] == "error"


@attrs.frozen
class Change:
    """A changed case with the reasons the decision changed, and the law in force on
    each side (None for a study record, a case invalid on that side, or no law in force;
    not part of the JSON, which carries it in the reasons when it changed)."""

    case: str
    source: str
    before: str
    after: str
    reasons: tuple[str, ...]
    law_before: str | None = None
    law_after: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``luk diff --format json``."""
        return {"case": self.case, "source": self.source, "before": self.before,
                "after": self.after, "reasons": list(self.reasons)}


@attrs.frozen
class Invalid:
    """A case invalid under both rulesets, with what is wrong (``before: ...; after: ...``
    when the two rulesets object to different things)."""

    case: str
    source: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``luk diff --format json``."""
        return {"case": self.case, "source": self.source, "message": self.message}


@attrs.frozen
class Group:
    """Changed cases that share a transition and a reason, with a few examples."""

    before: str
    after: str
    reason: str
    count: int
    examples: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``luk diff --format json``."""
        return {"before": self.before, "after": self.after, "reason": self.reason,
                "count": self.count, "examples": list(self.examples)}


@attrs.frozen
class LawGroup:
    """Cases that changed status under the same law before and after (None: no law, as
    for a study record or a case invalid on that side), with their transitions."""

    before: str | None
    after: str | None
    count: int
    transitions: tuple[tuple[str, int], ...]


T = TypeVar("T")


class Spool(Sequence[T]):
    """A list of the cases of an :class:`Impact` that holds its first :data:`KEEP` in
    memory and writes the rest to a temporary file (deleted when it is closed; on POSIX
    it has no name at all), so that a diff of a million changed cases takes the memory of
    one of a thousand. It reads as a tuple: ``len`` at once, iterating reads the file back
    a batch at a time, a slice is a tuple, and it equals a sequence of the same items.

    :func:`summarise` appends to it; once it is handed out, it is only read (safe from
    several threads).
    """

    __slots__ = ("__weakref__", "_end", "_file", "_head", "_keep", "_len", "_lock", "_tail")

    def __init__(self, items: Iterable[T] = (), keep: int | None = None) -> None:
        self._keep = KEEP if keep is None else keep
        self._head: list[T] = []
        self._tail: list[T] = []  # after the file's items, not yet written
        self._file: IO[bytes] | None = None
        self._end = 0
        self._len = 0
        self._lock = threading.Lock()
        for item in items:
            self.append(item)

    def append(self, item: T) -> None:
        """Add an item at the end."""
        self._len += 1
        if len(self._head) < self._keep:
            self._head.append(item)
            return
        self._tail.append(item)
        if len(self._tail) >= SPILL:
            with self._lock:
                if self._file is None:
                    # Open for the spool's life: closed (and so gone) when it is collected.
                    self._file = tempfile.TemporaryFile(prefix="luk-diff-")  # noqa: SIM115
                    weakref.finalize(self, self._file.close)
                self._file.seek(self._end)
                pickle.dump(self._tail, self._file, pickle.HIGHEST_PROTOCOL)
                self._end = self._file.tell()
                self._tail = []

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[T]:
        yield from self._head
        offset = 0
        while True:
            with self._lock:
                if self._file is None or offset >= self._end:
                    break
                self._file.seek(offset)
                # Safe: the file is this process's own, written above, and has no name.
                batch: list[T] = pickle.load(self._file)
                offset = self._file.tell()
            yield from batch
        yield from self._tail

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._len)
            if step == 1 and stop <= len(self._head):
                return tuple(self._head[start:stop])
            if step > 0:
                return tuple(islice(self, start, stop, step))
            return tuple(self)[index]
        at = index + self._len if index < 0 else index
        if not 0 <= at < self._len:
            raise IndexError("Spool index out of range")
        if at < len(self._head):
            return self._head[at]
        return next(islice(self, at, None))

    def __reversed__(self) -> Iterator[T]:
        return reversed(tuple(self))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other,
                                                                      strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (tuple(self),))

    def __repr__(self) -> str:
        if self._len <= 10:
            return repr(tuple(self))
        return f"<Spool of {self._len} items: {tuple(self._head[:3])!r} ...>"


@attrs.frozen
class Impact:
    """What a change of ruleset does to a corpus of cases.

    Every case is in exactly one of ``changed`` (status changed, including a case
    valid on one side only), ``findings_changed`` (same status, different decision),
    ``invalid`` (invalid on both sides, not compared) or the unchanged rest.

    Those lists and ``errors`` are sequences; made by :func:`compare` they are
    :class:`Spool` sequences, which keep only their first :data:`KEEP` cases in memory.
    ``transitions``, the groups and their examples are counts and a few cases each,
    however long the corpus; :meth:`write_json` writes the JSON without holding it.
    """

    before: str
    after: str
    cases: int
    changed: Sequence[Change]
    findings_changed: Sequence[Change]
    errors: Sequence[dict[str, str]]
    groups: tuple[Group, ...]
    transitions: tuple[tuple[str, int], ...]
    findings_groups: tuple[Group, ...] = ()
    invalid: Sequence[Invalid] = ()

    @property
    def any_changed(self) -> bool:
        """True when some case changed status (``luk diff`` exits 1)."""
        return bool(self.changed)

    @property
    def unchanged(self) -> int:
        """Cases valid on both sides and decided exactly alike."""
        return self.cases - len(self.changed) - len(self.findings_changed) - len(self.invalid)

    @property
    def by_law(self) -> tuple[LawGroup, ...]:
        """The cases that changed status, grouped by the law in force before and after
        (most cases first), each with its transitions."""
        found: dict[tuple[str | None, str | None], dict[str, int]] = {}
        for c in self.changed:
            transitions = found.setdefault((c.law_before, c.law_after), {})
            key = f"{c.before} -> {c.after}"
            transitions[key] = transitions.get(key, 0) + 1
        groups = [LawGroup(before, after, sum(t.values()),
                           tuple(sorted(t.items(), key=lambda kv: (-kv[1], kv[0]))))
                  for (before, after), t in found.items()]
        return tuple(sorted(groups, key=lambda g: (-g.count, g.before or "", g.after or "")))

    @property
    def valid_cases(self) -> int:
        """Cases valid on at least one side (the ones that were compared)."""
        return self.cases - len(self.invalid)

    def gate_problem(self, max_invalid: int = 0) -> Message | None:
        """Why this run cannot be trusted as a gate, or None when it can.

        It cannot when there were no cases, when no case is valid on either side, or
        when more than ``max_invalid`` cases are invalid on both sides.
        """
        if self.cases == 0:
            return msg("no cases found (a case is a .json or .jsonl file, or a line of one)")
        if self.valid_cases == 0:
            return (msg("the only case is invalid under both rulesets") if self.cases == 1 else
                    msg("none of the {n} cases is valid under either ruleset", n=self.cases))
        if len(self.invalid) > max_invalid:
            return msgn("{n} case is invalid under both rulesets, more than the {allowed} "
                        "allowed", "{n} cases are invalid under both rulesets, more than the "
                        "{allowed} allowed", len(self.invalid), allowed=max_invalid)
        return None

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``luk diff --format json`` (docs/what-if.md), deterministic. It
        holds every case listed; :meth:`write_json` writes the same without."""
        return {key: list(value) if listed else value
                for key, value, listed in self._json_parts()}

    def write_json(self, out: TextIO) -> None:
        """Write :meth:`to_dict` as ``json.dumps(..., indent=2, ensure_ascii=False)`` does,
        to the byte, a case at a time: the memory it takes does not grow with the cases."""
        out.write("{")
        for n, (key, value, listed) in enumerate(self._json_parts()):
            out.write(("," if n else "") + "\n  " + json.dumps(key) + ": ")
            if not listed:
                out.write(_indented(json.dumps(value, indent=2, ensure_ascii=False), 2))
                continue
            first = True
            for item in value:
                out.write(("[\n    " if first else ",\n    ")
                          + _indented(json.dumps(item, indent=2, ensure_ascii=False), 4))
                first = False
            out.write("[]" if first else "\n  ]")
        out.write("\n}")

    def _json_parts(self) -> list[tuple[str, Any, bool]]:
        """The JSON's keys in order, each with its value and whether it is a list of cases
        (given as an iterable, read once)."""
        return [
            ("before", self.before, False),
            ("after", self.after, False),
            ("cases", self.cases, False),
            ("changed", (c.to_dict() for c in self.changed), True),
            ("findings_changed", (c.to_dict() for c in self.findings_changed), True),
            ("invalid", (i.to_dict() for i in self.invalid), True),
            ("errors", iter(self.errors), True),
            ("summary", self._summary(), False),
        ]

    def _summary(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "changed": len(self.changed),
            "findings_changed": len(self.findings_changed),
            "unchanged": self.unchanged,
            "invalid": len(self.invalid),
            "errors": len(self.errors),
            "transitions": dict(self.transitions),
            "groups": [g.to_dict() for g in self.groups],
            "findings_groups": [g.to_dict() for g in self.findings_groups],
        }


def _indented(text: str, spaces: int) -> str:
    """JSON text written at a depth: every line but the first indented by ``spaces``."""
    return text.replace("\n", "\n" + " " * spaces)


# ------------------------------------------------------------------ reading cases


class _LongNumber:
    """Stands for a JSON integer too long for Python to read (``int`` refuses it)."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _int_or_long(text: str) -> int | _LongNumber:
    try:
        return int(text)
    except ValueError:
        return _LongNumber(len(text.lstrip("-")))


def _find_long(data: Any, path: str = "$") -> tuple[str, int] | None:
    """The JSON path and length of the first too-long integer in ``data``, if any."""
    stack: list[tuple[Any, str]] = [(data, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, _LongNumber):
            return where, value.digits
        if isinstance(value, dict):
            stack.extend((v, f"{where}.{k}") for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]") for i, v in reversed(list(enumerate(value))))
    return None


def _long_message(found: tuple[str, int]) -> Message:
    where, digits = found
    return msg("{path}: a number of {digits} digits is too long to read (at most {most})",
               path=where, digits=digits, most=sys.get_int_max_str_digits())


class _Unreadable(Exception):
    """JSON text that cannot be read; the message says where and why."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


def parse_json(text: str) -> Any:
    """Decode one case's JSON text.

    Raises:
        _Unreadable: for invalid JSON, JSON nested too deeply, or an integer with more
            digits than Python converts (its JSON path in the message).
    """
    if not text.strip():
        raise _Unreadable(msg("$: the document is empty"))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # Translators: PROBLEM is what Python's JSON reader says, in English.
        raise _Unreadable(msg("$: not valid JSON: {problem} (line {line}, column {column})",
                              problem=exc.msg, line=exc.lineno, column=exc.colno)) from None
    except RecursionError:
        raise _Unreadable(_NESTED) from None
    except ValueError as exc:  # an integer beyond sys.get_int_max_str_digits()
        found = _find_long(json.loads(text, parse_int=_int_or_long))
        raise _Unreadable(_long_message(found) if found
                          else msg("$: {problem}", problem=str(exc))) from None


_NESTED: Final = msg("$: nested too deeply")


def _decode(data: bytes, line: int = 1, bom: bool = True) -> str:
    """UTF-8 text (a leading byte-order mark allowed when ``bom``), or :class:`_Unreadable`
    naming the line (``data`` starting at line ``line``) and column of the first bad byte."""
    if bom and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line += data.count(b"\n", 0, exc.start)
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8")) + 1
        raise _Unreadable(msg("not UTF-8 text: byte 0x{byte:02x} at line {line}, column {column}",
                              byte=data[exc.start], line=line, column=column)) from None


_KINDS = {stat.S_IFIFO: msg("a named pipe"), stat.S_IFSOCK: msg("a socket"),
          stat.S_IFCHR: msg("a device"), stat.S_IFBLK: msg("a device")}


def iter_cases(paths: Iterable[str | os.PathLike[str]]) -> Iterator[RawCase]:
    """Stream the cases of files and folders, in a stable order.

    In a folder, every ``*.json`` and ``*.jsonl`` (but ``*.scenarios.json``) is read; one
    that is not a regular file (a named pipe, a broken or looping link) is not opened
    but yields an invalid case saying so, as does a file that is not UTF-8.

    Raises:
        LukError: for a path that does not exist, or is neither a file nor a folder.
    """
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*")
                if p.suffix in (".json", ".jsonl") and not p.name.endswith(".scenarios.json"))
            for f in files:
                yield from _file_cases(f)
        elif path.is_file():
            yield from _file_cases(path)
        elif path.exists():
            raise LukError(msg("{path}: not a regular file or a folder", path=str(arg)))
        else:
            raise LukError(msg("{path}: no such file or folder", path=str(arg)))


def _file_cases(path: Path) -> Iterator[RawCase]:
    shown = display_path(path)
    try:
        info = path.stat()
    except OSError as exc:  # a broken link, a link loop, no permission
        yield RawCase(shown, "", _cannot_read(exc))
        return
    if stat.S_ISDIR(info.st_mode):
        return  # a folder named *.json: rglob lists what is inside it
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode))
        yield RawCase(shown, "", _NOT_REGULAR if kind is None else msg(
            "not read: {kind}, not a regular file", kind=kind))
        return
    try:
        # O_NONBLOCK: should the file have become a named pipe since, do not wait on it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                yield RawCase(shown, "", _NOT_REGULAR)
                return
            if path.suffix == ".jsonl":
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield _line_case(f"{shown}:{number}", line, number)
                return
            data = handle.read()
    except OSError as exc:
        yield RawCase(shown, "", _cannot_read(exc))
        return
    yield from json_file_cases(shown, data)


def json_file_cases(shown: str, data: bytes) -> Iterator[RawCase]:
    """The cases of a ``.json`` file's bytes, named ``shown``: one submission, or a list
    of them (``shown[i]``); a file that is not UTF-8 or a number too long is a case that
    cannot be read, saying why."""
    try:
        text = _decode(data)
    except _Unreadable as exc:
        yield RawCase(shown, "", exc.message)
        return
    if not text.lstrip().startswith("["):
        yield RawCase(shown, text)
        return
    long_numbers = False
    try:
        items = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        yield RawCase(shown, text)  # decided as invalid, saying why
        return
    except ValueError:  # a number too long: only the cases that hold one are invalid
        items, long_numbers = json.loads(text, parse_int=_int_or_long), True
    for i, item in enumerate(items):
        found = _find_long(item) if long_numbers else None
        if found:
            yield RawCase(f"{shown}[{i}]", "", _long_message(found))
        else:
            yield RawCase(f"{shown}[{i}]", json.dumps(item))


_NOT_REGULAR: Final = msg("not read: not a regular file")


def _cannot_read(exc: OSError) -> Message:
    # Translators: REASON is the operating system's, in English ("Permission denied").
    return msg("cannot read: {reason}", reason=exc.strerror or str(exc))


def _line_case(source: str, line: bytes, number: int) -> RawCase:
    try:
        return RawCase(source, _decode(line, number, bom=number == 1))
    except _Unreadable as exc:
        return RawCase(source, "", exc.message)


def listing(parts: Sequence[str]) -> str:
    """Texts (messages, names) one after the other, separated by ``; ``: a message that
    renders each part in the language it is rendered in (a lone part is itself)."""
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2  # halves: the nesting stays shallow for a long list
    # Translators: a list, in two parts, separated by a semicolon; keep it as it is.
    return msg("{first}; {rest}", first=listing(parts[:half]), rest=listing(parts[half:]))


def _problems(problems: Iterable[Problem]) -> str:
    """The problems of an invalid submission or record, as one message."""
    return listing([msg("{path}: {problem}", path=p.path, problem=p.message)
                    for p in problems])


# ------------------------------------------------------------------ deciding


def _outcome(ruleset: Ruleset, submission: Submission | Record | None, error: str | None
             ) -> tuple[Outcome, str | None]:
    if submission is None:
        return ("error", None, "", (), ()), error
    if isinstance(submission, Record):
        try:
            a = ruleset.audit(submission)
        except SubmissionError as exc:
            return ("error", None, "", (), ()), _problems(exc.problems)
        missing = (*a.missing_units, *(e.group for e in a.electives),
                   *((msgn("{n} credit", "{n} credits", a.credits_short),)
                     if a.credits_short else ()))
        return (a.status, None, "", missing, tuple(sorted(
            (f.code, f.severity) for f in a.findings))), None
    try:
        v = ruleset.verdict(submission)
    except SubmissionError as exc:
        return ("error", None, "", (), ()), _problems(exc.problems)
    return (v.status, v.law, v.combination, v.missing, v.findings), None


def _printable(text: str) -> str:
    """``text`` with anything that cannot be written as UTF-8 (a lone surrogate) escaped."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def decide_case(before: Ruleset, after: Ruleset, raw: RawCase) -> CaseResult:
    """Decide one case under both rulesets; an invalid case is an error on that side."""
    case = raw.source
    submission: Submission | Record | None = None
    error: str | None = raw.error
    if error is None:
        try:
            data = parse_json(raw.text)
            if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"]:
                case = _printable(data["id"])
            is_record = isinstance(data, dict) and "results" in data and not (
                {"units", "evidence", "assessment"} & set(data))
            submission = structure(data, Record if is_record else Submission)
        except _Unreadable as exc:
            error = exc.message
        except RecursionError:
            error = _NESTED
        except SubmissionError as exc:
            error = _problems(exc.problems)
    b, b_err = _outcome(before, submission, error)
    a, a_err = _outcome(after, submission, error)
    return CaseResult(case, raw.source, b, a, b_err and _printable(b_err),
                      a_err and _printable(a_err))


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def max_jobs() -> int:
    """The most worker processes :func:`decide_all` starts: 4 per usable CPU, at most 64."""
    return max(1, min(JOBS_PER_CPU * usable_cpus(), MAX_JOBS))


class WorkerDied(LukError):
    """A worker process of ``decide_all`` ended without finishing its cases (killed, for
    instance by the kernel when memory ran out); the other workers are stopped."""


# Signals a worker is started with blocked (see _Workers): SIGINT is the parent's to
# handle, SIGTERM and SIGHUP end a worker at once (the parent may have handlers for them).
_WORKER_SIGNALS = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                   if hasattr(signal, name)}

# A request to a worker: (chunk number, cases), or None to stop. A reply: (chunk number,
# results) or (chunk number, the error of an unexpected exception).
_Reply = tuple[int, list[CaseResult] | str]


def _serve(conn: Connection, before: str, after: str, engine: str, roots: tuple[str, ...],
           inherited: list[int]) -> None:
    """A worker: decide the chunks of cases the parent sends until it sends None or is
    gone. Every worker has a pipe of its own, so a worker that dies takes no lock with it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group:
    for other in _WORKER_SIGNALS - {signal.SIGINT}:  # the parent stops the workers
        signal.signal(other, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _WORKER_SIGNALS)
    for fd in inherited:  # the parent's ends of the pipes: an EOF must mean it is gone
        with contextlib.suppress(OSError):
            os.close(fd)
    rulesets: tuple[Ruleset, Ruleset] | str
    try:
        rulesets = (Ruleset(before, engine=engine, roots=roots),
                    Ruleset(after, engine=engine, roots=roots))
    except Exception as exc:  # the parent compiled them: a bug, which it raises
        rulesets = f"{type(exc).__name__}: {exc}"
    try:
        while True:
            request = conn.recv()
            if request is None:
                return
            number, chunk = request
            try:
                if isinstance(rulesets, str):
                    reply: _Reply = (number, rulesets)
                else:
                    reply = (number, [decide_case(*rulesets, raw) for raw in chunk])
            except Exception as exc:  # a bug: the parent raises it
                reply = (number, f"{type(exc).__name__}: {exc}")
            conn.send(reply)
    except (EOFError, OSError):  # the parent is gone
        return


class _Workers:
    """Worker processes deciding chunks of cases, each over a pipe of its own.

    Unlike ``multiprocessing.Pool`` they share no queue and no lock, so a worker killed
    (by a signal, by the kernel) neither hangs the others nor the parent: the parent
    notices, stops the rest and raises :class:`WorkerDied`. Leaving them (an exception,
    Ctrl-C, the end) kills and reaps every one.
    """

    def __init__(self, workers: int, before: str, after: str, engine: str,
                 roots: tuple[str, ...] = ()) -> None:
        fork = os.name == "posix"
        context: Any = multiprocessing.get_context("fork" if fork else "spawn")
        self.processes: list[BaseProcess] = []
        self.conns: list[Connection] = []
        blocking = hasattr(signal, "pthread_sigmask")
        # Blocked while forking, so that no worker runs the parent's handlers before
        # setting its own; the parent gets a signal sent meanwhile once they are up.
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _WORKER_SIGNALS) if blocking else None
        try:
            for _ in range(workers):
                mine, theirs = context.Pipe()
                self.conns.append(mine)
                inherited = [c.fileno() for c in self.conns] if fork else []
                process = context.Process(target=_serve, daemon=True, args=(
                    theirs, before, after, engine, roots, inherited))
                process.start()
                self.processes.append(process)
                theirs.close()
        except BaseException:
            self.close()
            raise
        finally:
            if old is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def map(self, chunks: Iterator[list[RawCase]]) -> Iterator[list[CaseResult]]:
        """The results of every chunk, in the order of the chunks."""
        busy: dict[int, int] = {}  # worker -> the chunk it is deciding
        ready: dict[int, list[CaseResult]] = {}
        sent = wanted = 0
        exhausted = False
        while True:
            for worker in range(len(self.conns)):  # one chunk per idle worker
                if worker in busy or exhausted:
                    continue
                chunk = next(chunks, None)
                if chunk is None:
                    exhausted = True
                    break
                try:
                    self.conns[worker].send((sent, chunk))
                except OSError:  # its end of the pipe is closed: it ended
                    raise self._died(worker) from None
                busy[worker] = sent
                sent += 1
            while wanted in ready:
                yield ready.pop(wanted)
                wanted += 1
            if not busy:
                return
            waiting = [self.conns[w] for w in busy] + [self.processes[w].sentinel for w in busy]
            for handle in wait(waiting):
                if isinstance(handle, int):  # a worker ended while deciding
                    raise self._died(next(w for w in busy
                                          if self.processes[w].sentinel == handle))
                worker = next(w for w in busy if self.conns[w] is handle)
                try:
                    reply: _Reply = self.conns[worker].recv()
                except (EOFError, OSError):
                    continue  # it died: its sentinel says how
                number, results = reply
                del busy[worker]
                if isinstance(results, str):
                    raise RuntimeError(f"in a worker process: {results}")
                ready[number] = results

    def _died(self, worker: int) -> WorkerDied:
        process = self.processes[worker]
        process.join(1.0)
        if process.exitcode == -getattr(signal, "SIGKILL", 9):
            return WorkerDied(msg("a worker process ended ({how}) before deciding its cases; "
                                  "out of memory? (fewer --jobs use less)", how=_how(process)))
        return WorkerDied(msg("a worker process ended ({how}) before deciding its cases",
                              how=_how(process)))

    def close(self) -> None:
        """Kill and reap every worker (a no-op for those already gone)."""
        for process in self.processes:
            if process.exitcode is None:
                with contextlib.suppress(OSError):
                    process.kill()
        for process in self.processes:
            process.join()
        for conn in self.conns:
            conn.close()


def _how(process: BaseProcess) -> Message:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            return msg("killed by {signal}", signal=signal.Signals(-code).name)
        except ValueError:
            return msg("killed by signal {number}", number=-code)
    return msg("exit code {code}", code=str(code))


@contextlib.contextmanager
def _pool(workers: int, before: str, after: str, engine: str, roots: tuple[str, ...]
          ) -> Iterator[_Workers]:
    """``workers`` worker processes, killed and reaped on leaving however it is left."""
    pool = _Workers(workers, before, after, engine, roots)
    try:
        yield pool
    finally:
        pool.close()


def _chunks(items: Iterable[RawCase], size: int) -> Iterator[list[RawCase]]:
    chunk: list[RawCase] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def decide_all(before: str | os.PathLike[str], after: str | os.PathLike[str],
               cases: Iterable[RawCase], *, jobs: int = 1, engine: str = "native",
               progress: Callable[[int], None] | None = None,
               roots: Iterable[str | os.PathLike[str]] = (),
               ) -> Generator[CaseResult, None, None]:
    """Decide cases under both rulesets, in order, with up to ``jobs`` processes.

    No more workers are started than one per :data:`PER_WORKER` cases (read ahead up
    to :data:`BATCH` cases), nor more than :func:`max_jobs`; with fewer than twice that
    many cases, or ``jobs`` 1, no worker is started and the cases are decided here.
    Closing the generator (an exception, a Ctrl-C) kills the workers.

    Raises:
        RulesetError: when either ruleset is invalid (checked before any case runs).
        WorkerDied: when a worker process ends before deciding its cases.
    """
    folders = tuple(os.fspath(r) for r in roots)
    first = Ruleset(before, engine=engine, roots=folders)
    second = Ruleset(after, engine=engine, roots=folders)
    stream = iter(cases)
    head = list(islice(stream, BATCH)) if jobs > 1 else []
    workers = min(jobs, max_jobs(), -(-len(head) // PER_WORKER))
    done = 0
    if workers <= 1:
        for raw in chain(head, stream):
            yield decide_case(first, second, raw)
            done += 1
            if progress and done % 500 == 0:
                progress(done)
        return
    size = max(1, min(CHUNK, len(head) // (workers * 4)))
    with _pool(workers, os.fspath(before), os.fspath(after), engine, folders) as pool:
        for results in pool.map(_chunks(chain(head, stream), size)):
            yield from results
            if progress and (done + len(results)) // 500 > done // 500:
                progress(done + len(results))
            done += len(results)


# ------------------------------------------------------------------ comparing


def reasons(result: CaseResult) -> tuple[str, ...]:
    """Why a case's decision differs between the two sides, most telling first."""
    b, a = result.before, result.after
    out: list[str] = []
    if b[0] == "error" or a[0] == "error":  # the problem itself is the reason
        if b[0] == "error" and a[0] != "error":
            out.append(result.before_error or _INVALID)
        elif a[0] == "error" and b[0] != "error":
            out.append(result.after_error or _INVALID)
        elif result.before_error != result.after_error:
            out.append(msg("error changed: {before} -> {after}",
                           before=result.before_error or "", after=result.after_error or ""))
        return tuple(out)
    before_findings, after_findings = _multiset(b[4]), _multiset(a[4])
    for (code, severity), n in sorted(after_findings.items(), key=_deny_first):
        if n > before_findings.get((code, severity), 0):
            out.append(msg("{code} ({severity}) now applies", code=code, severity=severity))
    for (code, severity), n in sorted(before_findings.items(), key=_deny_first):
        if n > after_findings.get((code, severity), 0):
            out.append(msg("{code} ({severity}) no longer applies", code=code,
                           severity=severity))
    now_missing = sorted(set(a[3]) - set(b[3]))
    no_longer = sorted(set(b[3]) - set(a[3]))
    if now_missing:
        out.append(msg("now missing: {items}", items=_names(now_missing)))
    if no_longer:
        out.append(msg("no longer missing: {items}", items=_names(no_longer)))
    if b[1] != a[1]:
        out.append(msg("law: {before} -> {after}", before=str(b[1]), after=str(a[1])))
    if b[2] != a[2]:
        out.append(msg("combination: {before} -> {after}", before=b[2], after=a[2]))
    return tuple(out)


_INVALID: Final = msg("invalid")


def _names(names: Sequence[str]) -> str:
    """Names (and messages: a number of credits) separated by commas, each message
    rendered in the language the whole is rendered in."""
    if len(names) <= 1 or not any(isinstance(n, Message) for n in names):
        return ", ".join(names)
    half = len(names) // 2
    # Translators: a list, in two parts, separated by a comma; keep it as it is.
    return msg("{first}, {rest}", first=_names(names[:half]), rest=_names(names[half:]))


def _multiset(findings: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for f in findings:
        counts[f] = counts.get(f, 0) + 1
    return counts


def _deny_first(item: tuple[tuple[str, str], int]) -> tuple[int, str]:
    (code, severity), _ = item
    return (0 if severity == "deny" else 1, code)


# Findings that cause others (an expired result makes a unit missing and credits short):
# when one of them changed, it is the reason a case changed.
_CAUSES = ("result-expired", "exemption-grounds-not-allowed", "exemption-without-decision")


def _group_reason(change: Change) -> str:
    """The reason that made the difference: the problem of a case invalid on one side, a
    causing finding, the first deny finding, or else the first reason."""
    if "error" in (change.before, change.after):
        return change.reasons[0] if change.reasons else _INVALID
    for r in change.reasons:
        if r.split(" ", 1)[0] in _CAUSES:
            return r
    for r in change.reasons:
        if "(deny)" in r:
            return r
    for r in change.reasons:
        if "missing:" in r:
            return msg("what is missing changed")
    return change.reasons[0] if change.reasons else msg("(no visible reason)")


def summarise(before: str, after: str, results: Iterable[CaseResult]) -> Impact:
    """Fold case results into an :class:`Impact`. It keeps only what is reported: counts,
    groups with a few examples, and the changed and invalid cases in a :class:`Spool`
    each, which holds the first :data:`KEEP` in memory and the rest in a temporary file."""
    total = 0
    changed: Spool[Change] = Spool()
    findings_changed: Spool[Change] = Spool()
    errors: Spool[dict[str, str]] = Spool()
    invalid: Spool[Invalid] = Spool()
    transitions: dict[str, int] = {}
    groups: dict[tuple[str, str, str], list[str]] = {}
    counts: dict[tuple[str, str, str], int] = {}
    same_counts: dict[tuple[str, str, str], int] = {}
    same_examples: dict[tuple[str, str, str], list[str]] = {}
    for r in results:
        total += 1
        for side, outcome, message in (("before", r.before, r.before_error),
                                       ("after", r.after, r.after_error)):
            if outcome[0] == "error":
                errors.append({"case": r.case, "source": r.source, "side": side,
                               "message": message or ""})
        if r.invalid:
            message = (r.before_error if r.before_error == r.after_error
                       else msg("before: {before}; after: {after}",
                                before=r.before_error or "", after=r.after_error or ""))
            invalid.append(Invalid(r.case, r.source, message or ""))
            continue
        if not r.anything_changed:
            continue
        change = Change(r.case, r.source, r.before[0], r.after[0], reasons(r),
                        r.before[1], r.after[1])
        if r.status_changed:
            changed.append(change)
            key = f"{r.before[0]} -> {r.after[0]}"
            transitions[key] = transitions.get(key, 0) + 1
            group = (r.before[0], r.after[0], _group_reason(change))
            counts[group] = counts.get(group, 0) + 1
            examples = groups.setdefault(group, [])
            if len(examples) < EXAMPLES:
                examples.append(r.case)
        else:
            findings_changed.append(change)
            group = (r.before[0], r.after[0], listing(change.reasons))
            same_counts[group] = same_counts.get(group, 0) + 1
            examples = same_examples.setdefault(group, [])
            if len(examples) < EXAMPLES:
                examples.append(r.case)
    ordered = sorted(counts, key=lambda g: (-counts[g], g))
    same_ordered = sorted(same_counts, key=lambda g: (-same_counts[g], g))
    return Impact(
        before=before,
        after=after,
        cases=total,
        changed=changed,
        findings_changed=findings_changed,
        errors=errors,
        groups=tuple(Group(g[0], g[1], g[2], counts[g], tuple(groups[g])) for g in ordered),
        transitions=tuple(sorted(transitions.items(), key=lambda kv: (-kv[1], kv[0]))),
        findings_groups=tuple(Group(g[0], g[1], g[2], same_counts[g], tuple(same_examples[g]))
                              for g in same_ordered),
        invalid=invalid,
    )


def _raw_cases(cases: Iterable[Any]) -> Iterator[RawCase]:
    for i, case in enumerate(cases):
        yield from argument_cases(i, case)


def argument_cases(i: int, case: Any) -> Iterator[RawCase]:
    """The cases of the ``i``-th case argument: a dict is one case named ``case[i]``; a
    path, the cases of its file or folder."""
    if isinstance(case, Mapping):
        try:
            text = json.dumps(dict(case))
        except (TypeError, ValueError, RecursionError) as exc:  # not JSON data
            yield RawCase(f"case[{i}]", "", f"$: cannot be written as JSON: {exc}")
            return
        yield RawCase(f"case[{i}]", text)
    else:
        yield from iter_cases([case])


def compare(before: str | os.PathLike[str], after: str | os.PathLike[str],
            cases: Iterable[str | os.PathLike[str] | Mapping[str, Any]], *,
            jobs: int = 1, engine: str = "native",
            progress: Callable[[int], None] | None = None,
            roots: Iterable[str | os.PathLike[str]] = (),
            client: object | None = None,
            storage_options: Mapping[str, Any] | None = None) -> Impact:
    """Decide every case under both rulesets and report what changed.

    ``cases`` are paths (files and folders of ``.json`` / ``.jsonl``) or
    submission dicts. ``roots`` are further folders the rulesets may read from
    (see :func:`luk_rules.load`). ``jobs`` worker processes decide them (at most one per 50 cases
    and at most :func:`max_jobs`). A case that cannot be read or is invalid
    does not stop the run: see :class:`Impact`, and :meth:`Impact.gate_problem` before
    trusting an empty result.

    With ``client`` (a ``dask.distributed.Client``) the workers of its Dask cluster decide
    the cases instead (``jobs`` does not count), and ``cases`` may also be URLs the workers
    read (``s3://bucket/cases/``, with fsspec's ``storage_options``): see
    :func:`luk_rules.distributed.compare`, which gives the same :class:`Impact`. Needs the
    ``dask`` extra.

    Raises:
        RulesetError: when either ruleset is invalid.
        LukError: when a case path does not exist or is neither a file nor a folder.
        ValueError: for ``storage_options`` without ``client``.

    Example:
        >>> impact = compare("before.luk", "after.luk", ["past-cases/"])  # doctest: +SKIP
        >>> impact.to_dict()["summary"]["changed"]  # doctest: +SKIP
    """
    if client is None and storage_options:
        raise ValueError("storage_options are for the URLs a Dask cluster's workers read: "
                         "give client= too")
    if client is not None:
        from luk_rules import distributed  # only now: Dask is an extra (`luk-rules[dask]`)

        return distributed.compare(before, after, cases, client=client, engine=engine,
                                   progress=progress, roots=roots,
                                   storage_options=storage_options)
    results = decide_all(before, after, _raw_cases(cases), jobs=jobs, engine=engine,
                         progress=progress, roots=roots)
    try:
        return summarise(display_path(Path(before)), display_path(Path(after)), results)
    finally:
        results.close()  # stops the workers at once on an error or a Ctrl-C


# ------------------------------------------------------------------ words for people

STATUS_WORDS: Final[Mapping[str, Message]] = {
    "admissible": msg("admissible"),
    "incomplete": msg("incomplete"),
    "inadmissible": msg("inadmissible"),
    # Translators: the status of a study record that completes the exam programme.
    "complete": msg("complete"),
    # Translators: the status of a case that is invalid under a ruleset.
    "error": msg("error"),
}
"""A case's status in words (JSON keeps the status itself)."""


def status_word(status: str, lang: Lang = "en") -> str:
    """``status`` (``incomplete``) in ``lang`` (``onvolledig``); an unknown one as it is."""
    return say(STATUS_WORDS.get(status, status), lang)


def transition_words(transition: str, lang: Lang = "en") -> tuple[str, str]:
    """The two statuses of a transition (``"incomplete -> admissible"``) in ``lang``."""
    before, _, after = transition.partition(" -> ")
    return status_word(before, lang), status_word(after, lang)


__all__ = ["STATUS_WORDS", "Impact", "Invalid", "LawGroup", "Spool", "WorkerDied", "compare",
           "decide_all", "iter_cases", "listing", "max_jobs", "status_word", "summarise",
           "transition_words", "usable_cpus"]
