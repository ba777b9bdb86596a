"""Impact analysis: decide every case under two rulesets and report what changes.

Cases are submissions (decided for admissibility) or study records (audited for
the diploma): an object with ``results`` and no ``units``/``evidence`` is a record.

``compare(before, after, cases)`` is the Python API of ``luk diff``. Cases are
submission files (``.json``, one submission or a list of them), JSON Lines files
(``.jsonl``, one submission a line) or folders of both; they are streamed, so
memory stays flat however long the corpus. With ``jobs > 1`` the cases are
decided in worker processes, each of which compiles both rulesets once.

A case *changed* when its status differs between the two sides (an invalid
submission has the status ``error`` on that side); cases whose status stayed but
whose findings, missing outcomes, law or combination changed are reported apart.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from luk_rules.api import Ruleset
from luk_rules.errors import LukError, SubmissionError
from luk_rules.sources import display_path
from luk_rules.submission import Record, Submission, structure

BATCH = 2_000  # cases handed to the workers at a time (bounds memory)
EXAMPLES = 3  # example cases shown per group

# (status, law, combination, missing outcomes, findings as (code, severity)) or an error.
Outcome = tuple[str, str | None, str, tuple[str, ...], tuple[tuple[str, str], ...]]


@attrs.frozen
class RawCase:
    """One case as read: where it came from, and its JSON text."""

    source: str
    text: str


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


@attrs.frozen
class Change:
    """A changed case with the reasons the decision changed."""

    case: str
    source: str
    before: str
    after: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``luk diff --format json``."""
        return {"case": self.case, "source": self.source, "before": self.before,
                "after": self.after, "reasons": list(self.reasons)}


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
class Impact:
    """What a change of ruleset does to a corpus of cases."""

    before: str
    after: str
    cases: int
    changed: tuple[Change, ...]
    findings_changed: tuple[Change, ...]
    errors: tuple[dict[str, str], ...]
    groups: tuple[Group, ...]
    transitions: tuple[tuple[str, int], ...]
    findings_groups: tuple[Group, ...] = ()

    @property
    def any_changed(self) -> bool:
        """True when some case changed status (``luk diff`` exits 1)."""
        return bool(self.changed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``luk diff --format json`` (DESIGN.md §4), deterministic."""
        return {
            "before": self.before,
            "after": self.after,
            "cases": self.cases,
            "changed": [c.to_dict() for c in self.changed],
            "findings_changed": [c.to_dict() for c in self.findings_changed],
            "errors": list(self.errors),
            "summary": {
                "cases": self.cases,
                "changed": len(self.changed),
                "unchanged": self.cases - len(self.changed),
                "findings_changed": len(self.findings_changed),
                "errors": len(self.errors),
                "transitions": dict(self.transitions),
                "groups": [g.to_dict() for g in self.groups],
                "findings_groups": [g.to_dict() for g in self.findings_groups],
            },
        }


# ------------------------------------------------------------------ reading cases


def iter_cases(paths: Iterable[str | os.PathLike[str]]) -> Iterator[RawCase]:
    """Stream the cases of files and folders, in a stable order.

    Raises:
        LukError: for a path that does not exist or cannot be read.
    """
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix in (".json", ".jsonl")
                and not p.name.endswith(".scenarios.json"))
            for f in files:
                yield from _file_cases(f)
        elif path.is_file():
            yield from _file_cases(path)
        else:
            raise LukError(f"{arg}: no such file or folder")


def _file_cases(path: Path) -> Iterator[RawCase]:
    shown = display_path(path)
    try:
        if path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield RawCase(f"{shown}:{number}", line)
            return
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LukError(f"{shown}: cannot read: {exc}") from None
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError:
            yield RawCase(shown, text)
            return
        for i, item in enumerate(items):
            yield RawCase(f"{shown}[{i}]", json.dumps(item))
    else:
        yield RawCase(shown, text)


# ------------------------------------------------------------------ deciding


def _outcome(ruleset: Ruleset, submission: Submission | Record | None, error: str | None
             ) -> tuple[Outcome, str | None]:
    if submission is None:
        return ("error", None, "", (), ()), error
    if isinstance(submission, Record):
        try:
            a = ruleset.audit(submission)
        except SubmissionError as exc:
            return ("error", None, "", (), ()), "; ".join(str(p) for p in exc.problems)
        missing = (*a.missing_units, *(e.group for e in a.electives),
                   *((f"{a.credits_short} credits",) if a.credits_short else ()))
        return (a.status, None, "", missing, tuple(sorted(
            (f.code, f.severity) for f in a.findings))), None
    try:
        v = ruleset.verdict(submission)
    except SubmissionError as exc:
        return ("error", None, "", (), ()), "; ".join(str(p) for p in exc.problems)
    return (v.status, v.law, v.combination, v.missing, v.findings), None


def decide_case(before: Ruleset, after: Ruleset, raw: RawCase) -> CaseResult:
    """Decide one case under both rulesets; an invalid case is an error on that side."""
    case = raw.source
    submission: Submission | Record | None = None
    error: str | None = None
    try:
        data = json.loads(raw.text)
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            case = data["id"]
        is_record = isinstance(data, dict) and "results" in data and not (
            {"units", "evidence", "assessment"} & set(data))
        submission = structure(data, Record if is_record else Submission)
    except json.JSONDecodeError as exc:
        error = f"$: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except RecursionError:
        error = "$: nested too deeply"
    except SubmissionError as exc:
        error = "; ".join(str(p) for p in exc.problems)
    b, b_err = _outcome(before, submission, error)
    a, a_err = _outcome(after, submission, error)
    return CaseResult(case, raw.source, b, a, b_err, a_err)


_worker: tuple[Ruleset, Ruleset] | None = None  # per worker process, set by _init


def _init(before: str, after: str, engine: str) -> None:
    global _worker
    _worker = (Ruleset(before, engine=engine), Ruleset(after, engine=engine))


def _work(raw: RawCase) -> CaseResult:
    assert _worker is not None
    return decide_case(_worker[0], _worker[1], raw)


def _batches(items: Iterable[RawCase], size: int) -> Iterator[list[RawCase]]:
    batch: list[RawCase] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def decide_all(before: str | os.PathLike[str], after: str | os.PathLike[str],
               cases: Iterable[RawCase], *, jobs: int = 1, engine: str = "native",
               progress: Callable[[int], None] | None = None) -> Iterator[CaseResult]:
    """Decide cases under both rulesets, in order, with ``jobs`` processes.

    Raises:
        RulesetError: when either ruleset is invalid (checked before any case runs).
    """
    first = Ruleset(before, engine=engine)
    second = Ruleset(after, engine=engine)
    done = 0
    if jobs <= 1:
        for raw in cases:
            yield decide_case(first, second, raw)
            done += 1
            if progress and done % 500 == 0:
                progress(done)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with context.Pool(jobs, initializer=_init,
                      initargs=(os.fspath(before), os.fspath(after), engine)) as pool:
        for batch in _batches(cases, BATCH):
            chunk = max(1, len(batch) // (jobs * 4))
            for result in pool.imap(_work, batch, chunksize=chunk):
                yield result
                done += 1
            if progress:
                progress(done)


# ------------------------------------------------------------------ comparing


def reasons(result: CaseResult) -> tuple[str, ...]:
    """Why a case's decision differs between the two sides, most telling first."""
    b, a = result.before, result.after
    out: list[str] = []
    if b[0] == "error" or a[0] == "error":
        if b[0] == "error" and a[0] != "error":
            out.append(f"invalid before: {result.before_error}")
        elif a[0] == "error" and b[0] != "error":
            out.append(f"invalid after: {result.after_error}")
        elif result.before_error != result.after_error:
            out.append(f"error changed: {result.before_error} -> {result.after_error}")
        return tuple(out)
    before_findings, after_findings = _multiset(b[4]), _multiset(a[4])
    for (code, severity), n in sorted(after_findings.items(), key=_deny_first):
        if n > before_findings.get((code, severity), 0):
            out.append(f"{code} ({severity}) now applies")
    for (code, severity), n in sorted(before_findings.items(), key=_deny_first):
        if n > after_findings.get((code, severity), 0):
            out.append(f"{code} ({severity}) no longer applies")
    now_missing = sorted(set(a[3]) - set(b[3]))
    no_longer = sorted(set(b[3]) - set(a[3]))
    if now_missing:
        out.append("now missing: " + ", ".join(now_missing))
    if no_longer:
        out.append("no longer missing: " + ", ".join(no_longer))
    if b[1] != a[1]:
        out.append(f"law: {b[1]} -> {a[1]}")
    if b[2] != a[2]:
        out.append(f"combination: {b[2]} -> {a[2]}")
    return tuple(out)


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
    """The reason that made the difference: a causing finding, the first deny finding, or
    else the first reason."""
    for r in change.reasons:
        if r.split(" ", 1)[0] in _CAUSES:
            return r
    for r in change.reasons:
        if "(deny)" in r or r.startswith("invalid") or r.startswith("error"):
            return r
    for r in change.reasons:
        if "missing:" in r:
            return "what is missing changed"
    return change.reasons[0] if change.reasons else "(no visible reason)"


def summarise(before: str, after: str, results: Iterable[CaseResult]) -> Impact:
    """Fold case results into an :class:`Impact` (keeps only what is reported)."""
    total = 0
    changed: list[Change] = []
    findings_changed: list[Change] = []
    errors: list[dict[str, str]] = []
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
        if not r.anything_changed:
            continue
        change = Change(r.case, r.source, r.before[0], r.after[0], reasons(r))
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
            group = (r.before[0], r.after[0], "; ".join(change.reasons))
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
        changed=tuple(changed),
        findings_changed=tuple(findings_changed),
        errors=tuple(errors),
        groups=tuple(Group(g[0], g[1], g[2], counts[g], tuple(groups[g])) for g in ordered),
        transitions=tuple(sorted(transitions.items(), key=lambda kv: (-kv[1], kv[0]))),
        findings_groups=tuple(Group(g[0], g[1], g[2], same_counts[g], tuple(same_examples[g]))
                              for g in same_ordered),
    )


def _raw_cases(cases: Iterable[Any]) -> Iterator[RawCase]:
    for i, case in enumerate(cases):
        if isinstance(case, Mapping):
            yield RawCase(f"case[{i}]", json.dumps(dict(case)))
        else:
            yield from iter_cases([case])


def compare(before: str | os.PathLike[str], after: str | os.PathLike[str],
            cases: Iterable[str | os.PathLike[str] | Mapping[str, Any]], *,
            jobs: int = 1, engine: str = "native",
            progress: Callable[[int], None] | None = None) -> Impact:
    """Decide every case under both rulesets and report what changed.

    ``cases`` are paths (files and folders of ``.json`` / ``.jsonl``) or
    submission dicts.

    Raises:
        RulesetError: when either ruleset is invalid.
        LukError: when a case path does not exist or cannot be read.

    Example:
        >>> impact = compare("before.luk", "after.luk", ["past-cases/"])  # doctest: +SKIP
        >>> impact.to_dict()["summary"]["changed"]  # doctest: +SKIP
    """
    results = decide_all(before, after, _raw_cases(cases), jobs=jobs, engine=engine,
                         progress=progress)
    return summarise(display_path(Path(before)), display_path(Path(after)), results)


__all__ = ["Impact", "compare", "decide_all", "iter_cases", "summarise"]
