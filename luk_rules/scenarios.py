"""Scenario tests kept beside rulesets: ``<ruleset>.scenarios.json``.

A scenario file names its ruleset (relative to the file) and lists scenarios,
each a submission with what the author expects of its decision::

    {"ruleset": "bouwkunde-deeltijd.luk",
     "scenarios": [{"name": "...", "description": "...", "submission": {...},
                    "expect": {"status": "incomplete", "combination": "D",
                               "law": "wet-leeruitkomsten", "missing": ["BK-INS.1"],
                               "findings": ["unit-not-assessed"]}}]}

``status`` is required; ``combination``, ``law``, ``missing`` (outcome refs),
``findings`` (finding codes, sorted, duplicates kept) and ``messages`` (every finding's
message, sorted, duplicates kept) are compared exactly when present. A scenario may
hold a study ``record`` instead of a ``submission``: it is audited (``luk audit``), and
its ``expect`` may give ``status`` (complete or incomplete), ``missing`` (required units
still missing), ``credits`` (credits short), ``findings`` and ``messages``.

A scenario may instead expect its input to be refused: ``"expect": {"input_error":
["$.evidence[0].date"]}``, alone in ``expect``, lists the JSON paths of the problems
(each once). It passes when the submission or record is refused with problems at
exactly those paths, and fails when it is accepted or refused elsewhere. Without
``input_error``, a refused input is an ``error`` result. ``luk test`` runs them;
:func:`run_files` is its engine, and :data:`SCENARIOS_SCHEMA` (``luk schema
scenarios``) describes the file. The format is documented in docs/contracts.md.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, TypeAlias

import attrs

from luk_rules import ir
from luk_rules.api import Ruleset
from luk_rules.audit import Audit
from luk_rules.decide import Decision
from luk_rules.errors import (
    LukError,
    RulesetError,
    RulesetUnreadable,
    SubmissionError,
    joined,
)
from luk_rules.i18n import LANGUAGES, Lang, Message, msg, say
from luk_rules.sources import SourceUnreadable, display_path, read_text
from luk_rules.submission import Record, decode_json, structure

SUFFIX = ".scenarios.json"
MAX_FILE_SIZE = 16 << 20
"""The largest scenario file read (16 MiB)."""
EXPECT_KEYS = ("status", "combination", "law", "missing", "findings", "messages")
RECORD_EXPECT_KEYS = ("status", "missing", "credits", "findings", "messages")
INPUT_ERROR = "input_error"
"""The ``expect`` key of a scenario whose input must be refused: the problems' JSON paths."""
Outcome = Literal["passed", "failed", "error"]

_STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
_INPUT_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The input must be refused, with problems at exactly these JSON paths.",
    "additionalProperties": False,
    "required": [INPUT_ERROR],
    "properties": {INPUT_ERROR: {
        "type": "array", "minItems": 1, "uniqueItems": True,
        "items": {"type": "string", "pattern": "^\\$"}}},
}
_DECISION_EXPECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "What the decision must be; each key given is compared exactly.",
    "additionalProperties": False,
    "required": ["status"],
    "properties": {
        "status": {"enum": ["admissible", "incomplete", "inadmissible"]},
        "combination": {"enum": ["A", "B", "C", "D", None]},
        "law": {"type": ["string", "null"]},
        "missing": _STRINGS,
        "findings": _STRINGS,
        "messages": _STRINGS,
    },
}
_AUDIT_EXPECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "What the audit must be; each key given is compared exactly.",
    "additionalProperties": False,
    "required": ["status"],
    "properties": {
        "status": {"enum": ["complete", "incomplete"]},
        "missing": _STRINGS,
        "credits": {"type": "integer", "minimum": 0},
        "findings": _STRINGS,
        "messages": _STRINGS,
    },
}


def _scenario_schema(key: str, expect: dict[str, Any], what: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": what,
        "additionalProperties": False,
        "required": ["name", key, "expect"],
        "properties": {
            "name": {"type": "string", "minLength": 1,
                     "description": "Unique within the file."},
            "description": {"type": "string"},
            "lang": {"enum": list(LANGUAGES),
                     "description": "The language the expected `messages` are in (en)."},
            key: {"type": "object", "description": f"The {key} (see `luk schema {key}`); "
                  "it may be invalid when the scenario expects an input error."},
            "expect": {"oneOf": [expect, _INPUT_ERROR_SCHEMA]},
        },
    }


SCENARIOS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://luk-rules.example/schema/scenarios.json",
    "title": "Scenario file",
    "description": "Scenario tests for one ruleset, run by `luk test` "
                   "(docs/contracts.md#scenario-files).",
    "type": "object",
    "additionalProperties": False,
    "required": ["ruleset", "scenarios"],
    "properties": {
        "ruleset": {"type": "string", "minLength": 1,
                    "description": "The ruleset's path, relative to this file."},
        "description": {"type": "string"},
        "scenarios": {"type": "array", "items": {"oneOf": [
            _scenario_schema("submission", _DECISION_EXPECT_SCHEMA,
                             "A submission, decided for admissibility."),
            _scenario_schema("record", _AUDIT_EXPECT_SCHEMA,
                             "A study record, audited for the diploma."),
        ]}},
    },
}
"""The JSON Schema of a scenario file (``luk schema scenarios``). Two things it cannot
say: scenario names are unique within the file, and the ruleset must exist."""


@attrs.frozen
class ScenarioResult:
    """The result of one scenario: passed, failed (with the differences) or error."""

    file: str
    name: str
    outcome: Outcome
    differences: tuple[tuple[str, Any, Any], ...] = ()
    message: Message | Literal[""] = ""
    """Why an ``error`` result is one ("" otherwise); ``say(message, lang)`` in a language."""
    seconds: float = 0.0

    @property
    def id(self) -> str:
        """``<file>::<name>``, as shown in reports."""
        return f"{self.file}::{self.name}"


Site: TypeAlias = tuple[str, str]
"""A rule as ``luk test --coverage`` counts it: (name, source ``file:line:col``)."""


def place(site: Site) -> tuple[str, int, int, str]:
    """A sort key putting sites in the order of their places: file, line, column (as
    numbers), then name."""
    file, _, rest = site[1].rpartition(":")
    file, _, line = file.rpartition(":")
    if line.isdigit() and rest.isdigit():
        return file, int(line), int(rest), site[0]
    return site[1], 0, 0, site[0]


@attrs.frozen
class RulesetCoverage:
    """Which rules of one ruleset (its own and its law regimes') the decisions and audits
    it made in the scenarios fired.

    Attributes:
        path: the ruleset, as shown.
        sites: the rules that can fire for its programme, in the order of their places.
        fired: those of ``sites`` that fired.
        excluded: the rules that can never fire for its programme, whatever the
            submission or record, each with why; in the order of their places. They are
            not counted.
    """

    path: str
    sites: tuple[Site, ...]
    fired: frozenset[Site]
    excluded: tuple[tuple[Site, tuple[ir.Unreachable, ...]], ...] = ()

    @property
    def unfired(self) -> list[Site]:
        """The rules that can fire for the programme but fired in no scenario, in place order."""
        return [s for s in self.sites if s not in self.fired]

    @property
    def percent(self) -> float:
        """The share of the rules that can fire that fired, 0-100 (100 when there are none)."""
        if not self.sites:
            return 100.0
        return 100.0 * len(self.fired) / len(self.sites)


@attrs.frozen
class Coverage:
    """Rule coverage per ruleset: for each ruleset the scenarios used (and each earlier
    ruleset one of them ``replaces`` that decided a scenario), its rules that can fire for
    its programme and which of them its decisions and audits fired."""

    rulesets: tuple[RulesetCoverage, ...] = ()
    """Sorted by path."""

    def below(self, minimum: float) -> list[RulesetCoverage]:
        """The rulesets whose coverage is below ``minimum`` percent."""
        return [r for r in self.rulesets if r.percent < minimum]

    @property
    def fired(self) -> int:
        """How many rules fired, summed over the rulesets (a law clause once per ruleset)."""
        return sum(len(r.fired) for r in self.rulesets)

    @property
    def can_fire(self) -> int:
        """How many rules can fire, summed over the rulesets."""
        return sum(len(r.sites) for r in self.rulesets)

    @property
    def excluded(self) -> int:
        """How many rules can never fire for their ruleset's programme, summed."""
        return sum(len(r.excluded) for r in self.rulesets)

    @property
    def percent(self) -> float:
        """:attr:`fired` as a share of :attr:`can_fire`, 0-100 (100 when there are none)."""
        return 100.0 * self.fired / self.can_fire if self.can_fire else 100.0


@attrs.frozen
class TestRun:
    """Every scenario result, and the rule coverage over the rulesets they used."""

    results: tuple[ScenarioResult, ...]
    coverage: Coverage

    def count(self, outcome: Outcome) -> int:
        """How many scenarios had this outcome."""
        return sum(1 for r in self.results if r.outcome == outcome)


class ScenarioFileError(LukError):
    """A scenario file that cannot be read or has the wrong shape.

    Its message says where and why (``FILE: $.scenarios[0].name: ...``); ``str()`` is
    English, :meth:`describe` renders it in a language (the file and JSON path as they
    are)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)


def find_files(paths: Iterable[str]) -> tuple[list[Path], list[Message]]:
    """Scenario files for the given paths: folders are searched, a ``.luk`` file
    stands for the scenario file beside it. Returns the files and problems."""
    found: list[Path] = []
    problems: list[Message] = []
    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            found.extend(sorted(p.rglob(f"*{SUFFIX}")))
        elif p.is_file() and p.name.endswith(SUFFIX):
            found.append(p)
        elif p.is_file() and p.suffix == ".luk":
            beside = p.with_name(p.stem + SUFFIX)
            if beside.is_file():
                found.append(beside)
        elif p.exists():
            problems.append(msg("{path}: not a folder, a .luk file or a {suffix} file",
                                path=arg, suffix=SUFFIX))
        else:
            problems.append(msg("{path}: no such file or folder", path=arg))
    unique = list(dict.fromkeys(_resolved(q) for q in found))
    return unique, problems


def _resolved(path: Path) -> Path:
    """``path`` with symlinks resolved; as it is (made absolute) when that fails (a loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path.absolute()


_EXPECT_TYPES: dict[str, tuple[Message, Any]] = {
    "status": (msg("a string"), lambda v: isinstance(v, str)),
    "combination": (msg("a string or null"), lambda v: v is None or isinstance(v, str)),
    "law": (msg("a string or null"), lambda v: v is None or isinstance(v, str)),
    "missing": (msg("a list of strings"),
                lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
    "findings": (msg("a list of strings"),
                 lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
    "messages": (msg("a list of strings"),
                 lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
    "credits": (msg("a whole number"),
                lambda v: isinstance(v, int) and not isinstance(v, bool)),
}


def _keys(keys: Iterable[Any]) -> str:
    return ", ".join(sorted(repr(k) if not isinstance(k, str) else k for k in keys))


def _load_file(path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """The ruleset a scenario file names and its scenarios, checked for shape.

    Only a regular file is read (a FIFO or device is refused without being opened).

    Raises:
        ScenarioFileError: saying where the file is wrong.
    """
    shown = display_path(path)
    try:
        data = decode_json(read_text(path, shown, MAX_FILE_SIZE))
    except SourceUnreadable as exc:
        raise ScenarioFileError(exc.message) from None
    except SubmissionError as exc:
        (problem,) = exc.problems  # decode_json reports one, at $
        raise ScenarioFileError(_at(shown, problem.path, problem.message)) from None
    if not isinstance(data, dict) or not isinstance(data.get("ruleset"), str):
        raise ScenarioFileError(_at(shown, "$", msg(
            'expected an object with "ruleset" and "scenarios"')))
    unknown = set(data) - {"ruleset", "scenarios", "description"}
    if unknown:
        raise ScenarioFileError(_at(shown, "$", _unknown_fields(unknown)))
    if not data["ruleset"] or "\0" in data["ruleset"]:
        raise ScenarioFileError(_at(shown, "$.ruleset", msg("expected the path of a ruleset")))
    scenarios = data.get("scenarios")
    if not isinstance(scenarios, list):
        raise ScenarioFileError(_at(shown, "$.scenarios", msg("expected a list")))
    names: set[str] = set()
    for i, sc in enumerate(scenarios):
        where = f"$.scenarios[{i}]"
        if not isinstance(sc, dict):
            raise ScenarioFileError(_at(shown, where, _AN_OBJECT))
        extra = set(sc) - {"name", "description", "submission", "record", "expect", "lang"}
        if extra:
            raise ScenarioFileError(_at(shown, where, _unknown_fields(extra)))
        if "lang" in sc and sc["lang"] not in LANGUAGES:
            raise ScenarioFileError(_at(shown, f"{where}.lang", msg(
                "expected one of {languages}: the language of the expected messages",
                languages=", ".join(LANGUAGES))))
        if not isinstance(sc.get("name"), str) or not sc["name"]:
            raise ScenarioFileError(_at(shown, f"{where}.name",
                                        msg("expected a non-empty string")))
        if sc["name"] in names:
            raise ScenarioFileError(_at(shown, f"{where}.name", msg(
                "{name} is used twice", name=repr(sc["name"]))))
        names.add(sc["name"])
        expect = sc.get("expect")
        is_record = "record" in sc
        if isinstance(expect, dict) and INPUT_ERROR in expect:
            _check_input_error(shown, f"{where}.expect", expect)
            expect = None  # checked; skip the decision/audit keys below
        elif not isinstance(expect, dict) or "status" not in expect:
            raise ScenarioFileError(_at(shown, f"{where}.expect", msg(
                'expected an object with "status" or "{key}"', key=INPUT_ERROR)))
        known = RECORD_EXPECT_KEYS if is_record else EXPECT_KEYS
        wrong = set(expect or ()) - set(known)
        if wrong:
            raise ScenarioFileError(_at(shown, f"{where}.expect", msg(
                "unknown key(s) {keys}; known: {known} (or {alone} alone)", keys=_keys(wrong),
                known=", ".join(known), alone=INPUT_ERROR)))
        for key, value in (expect or {}).items():
            what, fits = _EXPECT_TYPES[key]
            if not fits(value):
                raise ScenarioFileError(_at(shown, f"{where}.expect.{key}",
                                            msg("expected {what}", what=what)))
        if ("submission" in sc) == is_record:
            raise ScenarioFileError(_at(shown, where,
                                        msg('give either "submission" or "record"')))
        key = "record" if is_record else "submission"
        if not isinstance(sc.get(key), dict):
            raise ScenarioFileError(_at(shown, f"{where}.{key}", _AN_OBJECT))
    return (path.parent / data["ruleset"]), scenarios


_AN_OBJECT = msg("expected an object")


def _at(file: str, path: str, problem: Message) -> Message:
    """``FILE: PATH: PROBLEM``: where in a scenario file it is wrong, and how."""
    return msg("{file}: {path}: {problem}", file=file, path=path, problem=problem)


def _unknown_fields(keys: Iterable[Any]) -> Message:
    return msg("unknown field(s) {keys}", keys=_keys(keys))


def _check_input_error(shown: str, where: str, expect: dict[str, Any]) -> None:
    """An ``expect`` with ``input_error``: that key alone, a non-empty list of distinct
    JSON paths (strings starting with ``$``).

    Raises:
        ScenarioFileError: saying what is wrong.
    """
    others = set(expect) - {INPUT_ERROR}
    if others:
        raise ScenarioFileError(_at(shown, where, msg(
            "{key} stands alone; unknown key(s) beside it: {keys}", key=INPUT_ERROR,
            keys=_keys(others))))
    paths = expect[INPUT_ERROR]
    if (not isinstance(paths, list) or not paths
            or not all(isinstance(p, str) and p.startswith("$") for p in paths)):
        raise ScenarioFileError(_at(shown, f"{where}.{INPUT_ERROR}", msg(
            "expected a non-empty list of JSON paths ('$...')")))
    seen: set[str] = set()
    for path in paths:
        if path in seen:
            raise ScenarioFileError(_at(shown, f"{where}.{INPUT_ERROR}", msg(
                "{path} is listed twice", path=repr(path))))
        seen.add(path)


def expects_input_error(sc: dict[str, Any]) -> bool:
    """Whether a (checked) scenario expects its submission or record to be refused."""
    return INPUT_ERROR in sc["expect"]


def compare_input_error(expect: dict[str, Any],
                        error: SubmissionError | None) -> list[tuple[str, Any, Any]]:
    """The difference between the paths a scenario expects its input refused at and the
    paths of ``error``'s problems (``[]`` when the input was accepted)."""
    wanted = sorted(expect[INPUT_ERROR])
    got = sorted({p.path for p in error.problems}) if error is not None else []
    return [] if wanted == got else [(INPUT_ERROR, expect[INPUT_ERROR], got)]


def compare(expect: dict[str, Any], decision: Decision) -> list[tuple[str, Any, Any]]:
    """The keys where the decision differs from what is expected: (key, expected, got)."""
    got: dict[str, Any] = {
        "status": decision.status,
        "combination": decision.combination,
        "law": decision.law,
        "missing": sorted(m.outcome for m in decision.missing),
        "findings": sorted(f.code for f in decision.findings),
        "messages": sorted(f.message for f in decision.findings),
    }
    out = []
    for key in EXPECT_KEYS:
        if key not in expect:
            continue
        wanted = expect[key]
        if key in ("missing", "findings", "messages") and isinstance(wanted, list):
            wanted = sorted(wanted)
        if wanted != got[key]:
            out.append((key, expect[key], got[key]))
    return out


def compare_audit(expect: dict[str, Any], result: Audit) -> list[tuple[str, Any, Any]]:
    """Like :func:`compare`, for an audited record."""
    got: dict[str, Any] = {
        "status": result.status,
        "missing": sorted(result.missing_units),
        "credits": result.credits_short,
        "findings": sorted(f.code for f in result.findings),
        "messages": sorted(f.message for f in result.findings),
    }
    out = []
    for key in RECORD_EXPECT_KEYS:
        if key in expect:
            wanted = sorted(expect[key]) if isinstance(expect[key], list) else expect[key]
            if wanted != got[key]:
                out.append((key, expect[key], got[key]))
    return out


def _load_ruleset(path: Path, engine: str, roots: tuple[str, ...] = ()) -> Ruleset | Message:
    """The ruleset of a scenario file, or why it cannot be used (never raises)."""
    shown = display_path(path)
    try:
        return Ruleset(path, engine=engine, roots=roots)
    except RulesetUnreadable as exc:
        return msg("{path}: cannot read: {reason}", path=shown, reason=exc.reason)
    except RulesetError as exc:
        return msg("{path}: invalid ruleset: {problem}", path=shown, problem=exc.message)
    except LukError as exc:
        return joined([shown, exc.message], ": ")
    except RecursionError:
        return msg("{path}: invalid ruleset: nested too deeply to read", path=shown)
    except Exception as exc:  # a bug: reported for this file, the run goes on
        return msg("{path}: internal error: {error}", path=shown, error=_bug(exc))


def _bug(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _run_one(ruleset: Ruleset, sc: dict[str, Any]
             ) -> tuple[list[tuple[str, Any, Any]], frozenset[Site], Ruleset]:
    """The differences from what the scenario expects, the rules that fired in its
    decision or audit, and the ruleset that made it: ``ruleset``, or for a date before
    its ``replaces`` date the earlier ruleset it replaces.

    A scenario expecting an input error compares the problems' paths instead; its
    input, refused or not, fires nothing that counts. The findings' messages are in the
    scenario's ``lang`` (English when it has none).

    Raises:
        LukError: an invalid submission or record (unless expected), or a ruleset that
            cannot audit.
    """
    if expects_input_error(sc):
        try:
            if "record" in sc:
                ruleset.audit(sc["record"])
            else:
                ruleset.decide(sc["submission"])
        except SubmissionError as exc:
            return compare_input_error(sc["expect"], exc), frozenset(), ruleset
        return compare_input_error(sc["expect"], None), frozenset(), ruleset
    lang: Lang = "nl" if sc.get("lang") == "nl" else "en"  # the schema allows these two
    if "record" in sc:
        record = structure(sc["record"], Record)
        auditor = ruleset.for_date(record.date)
        audit = auditor.audit(record, explain=True, lang=lang)
        return compare_audit(sc["expect"], audit), audit.fired, auditor
    submission = structure(sc["submission"], fields=ruleset.fields)
    decider = ruleset.for_date(submission.date)
    decision = decider.decide(submission, explain=True, lang=lang)
    return compare(sc["expect"], decision), decision.fired, decider


def _error_message(exc: BaseException, sc: dict[str, Any]) -> Message:
    """What an ``error`` result of a scenario says."""
    record = "record" in sc
    if isinstance(exc, SubmissionError):
        problems = joined([p.said() for p in exc.problems], "; ")
        return (msg("invalid record: {problems}", problems=problems) if record
                else msg("invalid submission: {problems}", problems=problems))
    if isinstance(exc, LukError):
        return (msg("cannot audit it: {problem}", problem=exc.message) if record
                else msg("cannot decide it: {problem}", problem=exc.message))
    if isinstance(exc, RecursionError):
        return (msg("invalid record: nested too deeply") if record
                else msg("invalid submission: nested too deeply"))
    return msg("internal error: {error}", error=_bug(exc))


def run_files(files: Sequence[Path], *, engine: str = "native",
              roots: Iterable[str | os.PathLike[str]] = ()) -> TestRun:
    """Run every scenario of the files; each ruleset is loaded once.

    ``roots`` are further folders the rulesets may read from (see :func:`luk_rules.load`).

    Problems with a file (unreadable, bad shape, broken ruleset), invalid
    submissions and records, a ruleset that cannot audit, even a bug met on one
    scenario become ``error`` results of that file or scenario, and the run goes on
    with the others; nothing here raises for bad input.
    """
    import time

    folders = tuple(os.fspath(r) for r in roots)
    results: list[ScenarioResult] = []
    rulesets: dict[Path, Ruleset | Message] = {}
    used: dict[Path, Ruleset] = {}
    fired_by: dict[Path, set[Site]] = {}
    for path in files:
        shown = display_path(path)
        try:
            ruleset_path, scenarios = _load_file(path)
        except ScenarioFileError as exc:
            results.append(ScenarioResult(shown, "*", "error", message=exc.message))
            continue
        key = _resolved(ruleset_path)
        if key not in rulesets:
            loaded = rulesets[key] = _load_ruleset(ruleset_path, engine, folders)
            if isinstance(loaded, Ruleset):
                used[key] = loaded
        ruleset = rulesets[key]
        for sc in scenarios:
            name = sc["name"]
            if not isinstance(ruleset, Ruleset):
                results.append(ScenarioResult(shown, name, "error", message=ruleset))
                continue
            started = time.perf_counter()
            try:
                diffs, rules_fired, decider = _run_one(ruleset, sc)
            except Exception as exc:  # LukError, RecursionError, or a bug: this case only
                results.append(ScenarioResult(shown, name, "error",
                                              message=_error_message(exc, sc)))
                continue
            by = key
            if decider is not ruleset and decider.file is not None:
                by = _resolved(decider.file)
                used.setdefault(by, decider)
            fired_by.setdefault(by, set()).update(rules_fired)
            results.append(ScenarioResult(
                shown, name, "failed" if diffs else "passed", tuple(diffs),
                seconds=time.perf_counter() - started))
    coverage = tuple(sorted((_coverage_of(display_path(key), ruleset, fired_by.get(key, set()))
                             for key, ruleset in used.items()), key=lambda r: r.path))
    return TestRun(tuple(results), Coverage(coverage))


def _coverage_of(path: str, ruleset: Ruleset, fired: set[Site]) -> RulesetCoverage:
    """The coverage of one ruleset: its rules that can fire, those of them that ``fired``,
    and those that can never fire for its programme, with why."""
    every = ruleset.rule_sites()
    never = ruleset.unreachable_sites()
    sites = sorted((s for s in every if s not in never), key=place)
    excluded = sorted(((s, never[s]) for s in every if s in never), key=lambda e: place(e[0]))
    return RulesetCoverage(path, tuple(sites), frozenset(fired.intersection(sites)),
                           tuple(excluded))


# Characters XML 1.0 does not allow in a document (and U+FFFE, U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """``text`` with each character XML 1.0 forbids written as ``\\uXXXX``."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def junit_xml(run: TestRun, lang: Lang = "en") -> str:
    """The run as JUnit XML, one test suite per scenario file, its messages in ``lang``.

    Always well-formed: characters XML 1.0 forbids (control characters, lone
    surrogates) in names and messages are written as ``\\uXXXX``.
    """
    from xml.etree import ElementTree as ET

    suites = ET.Element("testsuites", name="luk test", tests=str(len(run.results)),
                        failures=str(run.count("failed")), errors=str(run.count("error")))
    by_file: dict[str, list[ScenarioResult]] = {}
    for r in run.results:
        by_file.setdefault(r.file, []).append(r)
    for file, results in by_file.items():
        suite = ET.SubElement(
            suites, "testsuite", name=_xml_text(file), tests=str(len(results)),
            failures=str(sum(r.outcome == "failed" for r in results)),
            errors=str(sum(r.outcome == "error" for r in results)),
            time=f"{sum(r.seconds for r in results):.6f}")
        for r in results:
            case = ET.SubElement(suite, "testcase", classname=_xml_text(file),
                                 name=_xml_text(r.name), time=f"{r.seconds:.6f}")
            if r.outcome == "failed":
                text = _xml_text("\n".join(describe(r, lang)))
                ET.SubElement(case, "failure", message=text.splitlines()[0]).text = text
            elif r.outcome == "error":
                message = _xml_text(say(r.message, lang))
                ET.SubElement(case, "error", message=message).text = message
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def describe(result: ScenarioResult, lang: Lang = "en") -> Iterator[str]:
    """Lines saying how a failed scenario differs from what was expected, in ``lang``
    (the keys and JSON values as they are)."""
    for key, expected, got in result.differences:
        yield msg("{key}: expected {expected}, got {got}", key=key,
                  expected=json.dumps(expected), got=json.dumps(got)).in_language(lang)
