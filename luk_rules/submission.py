"""Submissions: read from JSON with cattrs into attrs classes, every problem
reported with its JSON path, then checked against the ruleset's names."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.v import transform_error

from luk_rules import ir
from luk_rules.errors import Problem, SubmissionError

FormName = Literal["voltijd", "deeltijd", "duaal"]
HowName = Literal["passed", "exempted"]


@attrs.frozen
class EvidenceItem:
    """One item of evidence, covering one or more outcomes (``BK-ONT.1``)."""

    id: str
    type: str
    outcomes: tuple[str, ...]
    date: dt.date
    activity: str | None = None
    verified: bool = False


@attrs.frozen
class Result:
    """A unit the student already completed: passed, or exempted by the exam committee."""

    unit: str
    date: dt.date
    how: HowName = "passed"
    by: str | None = None
    grounds: str | None = None
    decision: str | None = None


@attrs.frozen
class Submission:
    """A student's request: these units, this assessment, this evidence (DESIGN.md §4)."""

    id: str
    programme: str
    form: FormName
    date: dt.date
    units: tuple[str, ...]
    assessment: str
    evidence: tuple[EvidenceItem, ...]
    activities: tuple[str, ...] = ()
    results: tuple[Result, ...] = ()


@attrs.frozen
class Record:
    """A student's study record: the results so far (DESIGN.md §9), for an audit."""

    id: str
    programme: str
    form: FormName
    date: dt.date
    results: tuple[Result, ...]


_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _Invalid(ValueError):
    """A value of the right JSON type that is still wrong (an empty list, a bad date)."""


def _strict_str(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {_json_type(value)}")
    if not value.strip():
        raise _Invalid("must not be empty")
    if value != value.strip():
        raise _Invalid(f"{value!r} has spaces around it")
    return value


def _strict_bool(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {_json_type(value)}")
    return value


def _date(value: Any, _: Any) -> dt.date:
    if not isinstance(value, str):
        raise TypeError(f"expected a date string (YYYY-MM-DD), got {_json_type(value)}")
    try:
        if not _DATE_PATTERN.fullmatch(value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _make_converter(detailed: bool) -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=detailed)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook(dt.date, _date)

    def literal_hook(allowed: tuple[str, ...]) -> Any:
        def hook(value: Any, _: Any) -> str:
            if value not in allowed:
                shown = ", ".join(allowed)
                raise _Invalid(f"{value!r} is not one of {shown}")
            return str(value)
        return hook

    conv.register_structure_hook_func(
        lambda t: t == FormName, literal_hook(("voltijd", "deeltijd", "duaal")))
    conv.register_structure_hook_func(
        lambda t: t == HowName, literal_hook(("passed", "exempted")))

    def tuple_hook(item_type: Any, non_empty: bool = False) -> Any:
        if not detailed:
            structure_item = conv.get_structure_hook(item_type)

            def fast(value: Any, _: Any) -> tuple[Any, ...]:
                if not isinstance(value, list):
                    raise TypeError("expected a list")
                return tuple([structure_item(v, item_type) for v in value])
            return fast

        def hook(value: Any, _: Any) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise TypeError(f"expected a list, got {_json_type(value)}")
            if non_empty and not value:
                raise _Invalid("must list at least one")
            items: list[Any] = []
            errors: list[Exception] = []
            for i, v in enumerate(value):
                try:
                    if attrs.has(item_type) and not isinstance(v, dict):
                        raise TypeError(f"expected an object, got {_json_type(v)}")
                    items.append(conv.structure(v, item_type))
                except Exception as exc:
                    note = IterableValidationNote(f"Structuring @ index {i}", i, item_type)
                    exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                    errors.append(exc)
            if errors:
                raise IterableValidationError("invalid items", errors, tuple)
            return tuple(items)
        return hook

    def is_tuple_of(item_type: Any) -> Callable[[Any], bool]:
        target = tuple[item_type, ...]
        return lambda t: bool(t == target)

    for item_type in (str, EvidenceItem, Result):
        conv.register_structure_hook_func(is_tuple_of(item_type), tuple_hook(item_type))
    return conv


# Two converters with the same strict hooks: the fast one reads valid input; when it
# fails, the detailed one reads it again to name every problem with its JSON path.
_FAST = _make_converter(detailed=False)


def _word(value: Any) -> str:
    """A string field as the strict hooks read it (raise to fall back to the detailed path)."""
    if type(value) is not str or not value or value[0].isspace() or value[-1].isspace():
        raise ValueError
    return value


def _optional_word(value: Any) -> str | None:
    return None if value is None else _word(value)


_ITEM_KEYS = frozenset({"id", "type", "outcomes", "date", "activity", "verified"})


def _fast_item(data: Any, _: Any) -> EvidenceItem:
    """The fast path for the most frequent object: exactly the checks of the strict hooks."""
    if type(data) is not dict or not _ITEM_KEYS.issuperset(data):
        raise ValueError
    outcomes = data["outcomes"]
    if type(outcomes) is not list:
        raise ValueError
    verified = data.get("verified", False)
    if type(verified) is not bool:
        raise ValueError
    return EvidenceItem(_word(data["id"]), _word(data["type"]),
                        tuple([_word(o) for o in outcomes]), _date(data["date"], None),
                        _optional_word(data.get("activity")), verified)


_FAST.register_structure_hook(EvidenceItem, _fast_item)
_FAST.register_structure_hook_func(
    lambda t: t == tuple[EvidenceItem, ...],
    lambda value, _: tuple([_fast_item(v, None) for v in value])
    if type(value) is list else _raise_value_error())


def _raise_value_error() -> Any:
    raise ValueError
_DETAILED = _make_converter(detailed=True)


def _error_text(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        return "unknown field(s): " + ", ".join(sorted(exc.extra_fields))
    if isinstance(exc, _Invalid | TypeError):
        return str(exc)
    if isinstance(exc, ValueError):
        return f"invalid value: {exc}"
    return str(exc) or type(exc).__name__


def _problems(exc: Exception) -> list[Problem]:
    out: list[Problem] = []
    for line in transform_error(exc, path="$", format_exception=_error_text):
        message, _, path = line.rpartition(" @ ")
        prefix = "unknown field(s): "
        if message.startswith(prefix):
            for key in message[len(prefix):].split(", "):
                out.append(Problem(f"{path}.{key}", "unknown field"))
        else:
            out.append(Problem(path or "$", message))
    return out


def structure(data: Any, kind: type[Any] = Submission) -> Any:
    """Read a decoded JSON value into ``kind`` (a :class:`Submission` by default).

    Raises:
        SubmissionError: listing every problem with its JSON path.
    """
    if not isinstance(data, Mapping):
        raise SubmissionError([Problem("$", f"expected an object, got {_json_type(data)}")])
    try:
        return _FAST.structure(data, kind)
    except Exception:  # read it again below, to say precisely what is wrong
        pass
    try:
        return _DETAILED.structure(dict(data), kind)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        raise SubmissionError(_problems(exc)) from None
    except (TypeError, ValueError, KeyError) as exc:
        raise SubmissionError([Problem("$", _error_text(exc, kind))]) from None


def loads(text: str, source: str | None = None, kind: type[Any] = Submission) -> Any:
    """Parse JSON text into a submission (or ``kind``), with located errors."""
    if not text.strip():
        raise SubmissionError([Problem("$", "the document is empty")], source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionError(
            [Problem("$", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")],
            source) from None
    except RecursionError:
        raise SubmissionError([Problem("$", "not valid JSON: nested too deeply")], source) from None
    try:
        return structure(data, kind)
    except SubmissionError as exc:
        raise SubmissionError(exc.problems, source) from None


def unstructure(submission: Submission) -> dict[str, Any]:
    """The JSON form of a submission (dates as ISO strings)."""
    conv = cattrs.Converter()
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    data: dict[str, Any] = conv.unstructure(submission)
    for item in data["evidence"]:
        if item.get("activity") is None:
            item.pop("activity", None)
    if not data.get("results"):
        data.pop("results", None)
    return data


def _programme_problems(programme: str, form: str, ruleset: ir.Ruleset) -> list[Problem]:
    prog = ruleset.programme
    problems = []
    if programme != prog.code:
        problems.append(Problem(
            "$.programme", f"unknown programme {programme!r}: this ruleset is for "
            f"{prog.code!r} ({prog.title})"))
    if form not in prog.forms:
        problems.append(Problem(
            "$.form", f"programme {prog.code} is not offered {form}; it is offered "
            + ", ".join(prog.forms)))
    return problems


def _result_problems(results: tuple[Result, ...], on: dt.date, what: str,
                     ruleset: ir.Ruleset) -> list[Problem]:
    units = {u.code for u in ruleset.units}
    problems = []
    seen: set[str] = set()
    for i, result in enumerate(results):
        if result.unit not in units:
            problems.append(Problem(f"$.results[{i}].unit", _unknown("unit", result.unit, units)))
        elif result.unit in seen:
            problems.append(Problem(f"$.results[{i}].unit",
                                    f"a result for {result.unit!r} is already listed"))
        seen.add(result.unit)
        if result.how == "passed" and (result.grounds or result.decision or result.by):
            problems.append(Problem(
                f"$.results[{i}].how",
                'grounds, by or decision are given, so this is an exemption: write '
                '"how": "exempted" (a passed result has none of them)'))
        if result.date > on:
            problems.append(Problem(
                f"$.results[{i}].date",
                f"{result.date.isoformat()} is after the {what} date {on.isoformat()}"))
    return problems


def validate_record(record: Record, ruleset: ir.Ruleset) -> None:
    """Check a well-formed record against the ruleset.

    Raises:
        SubmissionError: unknown programme or unit, a form not offered, a unit with two
            results, a result dated after the record's date.
    """
    problems = _programme_problems(record.programme, record.form, ruleset)
    problems += _result_problems(record.results, record.date, "record", ruleset)
    if problems:
        raise SubmissionError(problems)


def validate(submission: Submission, ruleset: ir.Ruleset) -> None:
    """Check a well-formed submission's references against the ruleset.

    Raises:
        SubmissionError: unknown programme, unit, outcome, assessment or evidence
            type, a form the programme does not offer, duplicate ids.
    """
    problems = _programme_problems(submission.programme, submission.form, ruleset)
    if not submission.units:
        problems.append(Problem("$.units", "must list at least one unit"))
    units = {u.code: u for u in ruleset.units}
    outcomes = {o.ref for u in ruleset.units for o in u.outcomes}
    types = {e.name for e in ruleset.evidence_types}
    assessments = {a.name for a in ruleset.assessments}
    seen_units: set[str] = set()
    for i, code in enumerate(submission.units):
        if code not in units:
            problems.append(Problem(f"$.units[{i}]", _unknown("unit", code, units)))
        elif code in seen_units:
            problems.append(Problem(f"$.units[{i}]", f"unit {code!r} is listed twice"))
        seen_units.add(code)
    if submission.assessment not in assessments:
        problems.append(Problem(
            "$.assessment", _unknown("assessment", submission.assessment, assessments)))
    seen_ids: dict[str, int] = {}
    for i, item in enumerate(submission.evidence):
        if item.id in seen_ids:
            problems.append(Problem(
                f"$.evidence[{i}].id",
                f"evidence id {item.id!r} is already used by $.evidence[{seen_ids[item.id]}]"))
        else:
            seen_ids[item.id] = i
        if item.type not in types:
            problems.append(Problem(
                f"$.evidence[{i}].type", _unknown("evidence type", item.type, types)))
        if not item.outcomes:
            problems.append(Problem(f"$.evidence[{i}].outcomes",
                                    "must list at least one outcome"))
        seen_outcomes: set[str] = set()
        for j, ref in enumerate(item.outcomes):
            if ref not in outcomes:
                problems.append(Problem(
                    f"$.evidence[{i}].outcomes[{j}]", _unknown("outcome", ref, outcomes)))
            elif ref in seen_outcomes:
                problems.append(Problem(
                    f"$.evidence[{i}].outcomes[{j}]", f"outcome {ref!r} is listed twice"))
            seen_outcomes.add(ref)
    problems += _result_problems(submission.results, submission.date, "submission", ruleset)
    if problems:
        raise SubmissionError(problems)


def _unknown(what: str, name: str, known: Mapping[str, object] | set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}{hint}"


_DATE_SCHEMA: dict[str, Any] = {
    "type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date"}
_NAME_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": r"^\S(.*\S)?$"}

_OPTIONAL_NAME: dict[str, Any] = {"anyOf": [_NAME_SCHEMA, {"type": "null"}]}

_RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["unit", "date"],
    "properties": {
        "unit": _NAME_SCHEMA,
        "date": _DATE_SCHEMA,
        "how": {"enum": ["passed", "exempted"]},
        "by": _OPTIONAL_NAME,
        "grounds": _OPTIONAL_NAME,
        "decision": _OPTIONAL_NAME,
    },
}

RECORD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://luk-rules.example/schema/record.json",
    "title": "Record",
    "description": "A student's results so far, for the diploma audit (DESIGN.md §9).",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "programme", "form", "date", "results"],
    "properties": {
        "id": _NAME_SCHEMA,
        "programme": _NAME_SCHEMA,
        "form": {"enum": ["voltijd", "deeltijd", "duaal"]},
        "date": _DATE_SCHEMA,
        "results": {"type": "array", "items": _RESULT_SCHEMA},
    },
}

SUBMISSION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://luk-rules.example/schema/submission.json",
    "title": "Submission",
    "description": "A student's request to be assessed on units with evidence (DESIGN.md §4).",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "programme", "form", "date", "units", "assessment", "evidence"],
    "properties": {
        "id": _NAME_SCHEMA,
        "programme": _NAME_SCHEMA,
        "form": {"enum": ["voltijd", "deeltijd", "duaal"]},
        "date": _DATE_SCHEMA,
        "units": {"type": "array", "minItems": 1, "items": _NAME_SCHEMA},
        "assessment": _NAME_SCHEMA,
        "activities": {"type": "array", "items": _NAME_SCHEMA},
        "evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "type", "outcomes", "date"],
                "properties": {
                    "id": _NAME_SCHEMA,
                    "type": _NAME_SCHEMA,
                    "outcomes": {"type": "array", "minItems": 1, "items": _NAME_SCHEMA},
                    "date": _DATE_SCHEMA,
                    "activity": _OPTIONAL_NAME,
                    "verified": {"type": "boolean"},
                },
            },
        },
        "results": {"type": "array", "items": _RESULT_SCHEMA},
    },
}
