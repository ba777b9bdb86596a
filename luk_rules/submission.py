"""Submissions: read from JSON with cattrs into attrs classes, every problem
reported with its JSON path, then checked against the ruleset's names."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, Literal, TypeAlias

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, override

from luk_rules import ir
from luk_rules.diagnostics import Suggester
from luk_rules.errors import Problem, SubmissionError, as_given, message_of
from luk_rules.i18n import Message, msg

FormName = Literal["voltijd", "deeltijd", "duaal"]
HowName = Literal["passed", "exempted"]
FieldValue: TypeAlias = str | int | float | bool
"""A value of a ruleset's own field of an item, as read; :func:`validate` checks its type."""


@attrs.frozen
class EvidenceItem:
    """One item of evidence, covering one or more outcomes (``BK-ONT.1``).

    ``issuer`` is who issued or verified it, ``organisation`` where the work was done;
    ``fields`` holds the item's further keys by name (sorted): the fields a ruleset
    declares (``evidence field uren "Aantal uren" number``). Which keys are allowed, and
    of which type, depends on the ruleset: :func:`validate` checks them.
    """

    id: str
    type: str
    outcomes: tuple[str, ...]
    date: dt.date
    activity: str | None = None
    verified: bool = False
    issuer: str | None = None
    organisation: str | None = None
    fields: tuple[tuple[str, FieldValue], ...] = ()


@attrs.frozen
class Extension:
    """The exam committee's decision extending the validity of a result (WHW art. 7.13
    lid 2 sub k): the result counts through ``until`` (inclusive), even when the exam
    programme's ``results valid for`` would have let it expire before.

    ``decision`` is the reference of the committee's decision, ``by`` who took it.
    """

    until: dt.date
    decision: str
    by: str | None = None


@attrs.frozen
class Result:
    """A unit the student already completed: passed, or exempted by the exam committee;
    ``extended`` when the exam committee extended its validity."""

    unit: str
    date: dt.date
    how: HowName = "passed"
    by: str | None = None
    grounds: str | None = None
    decision: str | None = None
    extended: Extension | None = None


@attrs.frozen
class Submission:
    """A student's request: these units, this assessment, this evidence (docs/contracts.md)."""

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
    """A student's study record: the results so far (docs/audit.md §3), for an audit."""

    id: str
    programme: str
    form: FormName
    date: dt.date
    results: tuple[Result, ...]


# The patterns of the published schemas, and the very ones the reader applies (with
# ``re.search``, as JSON Schema validators do). They hold in ECMA-262 and in Python
# alike: ``(?![\s\S])`` is the end of the text (Python's ``$`` would also match before
# a final line break).
_END = r"(?![\s\S])"
_DATE_PATTERN_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}" + _END

# A name (an id, a code, an activity, a ground, a reference) is one line of printable
# text: no control character (C0, DEL, C1), no line or paragraph separator, no lone
# surrogate (not Unicode text at all), and no white space at either end.
_FORBIDDEN_CHARS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
_EDGE_SPACES = r"\x20\xa0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff"
_NAME_PATTERN_TEXT = (f"^[^{_FORBIDDEN_CHARS}{_EDGE_SPACES}]"
                      f"(?:[^{_FORBIDDEN_CHARS}]*[^{_FORBIDDEN_CHARS}{_EDGE_SPACES}])?{_END}")
_NAME_PATTERN = re.compile(_NAME_PATTERN_TEXT)
_FORBIDDEN = re.compile(f"[{_FORBIDDEN_CHARS}]")
_DATE_PATTERN = re.compile(_DATE_PATTERN_TEXT)
_SHOWN = 60


class _Invalid(ValueError):
    """A value of the right JSON type that is still wrong (an empty list, a bad date)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


class _WrongType(TypeError):
    """A value of the wrong JSON type (a number where a string belongs)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


def _quote(value: str) -> str:
    """A string as shown in a message: quoted, escaped, and cut short when long."""
    if len(value) <= _SHOWN:
        return repr(value)
    # Translators: the start of a long text (quoted), and how long it is.
    return msg("{start}... ({count:,} characters)", start=repr(value[:_SHOWN]),
               count=len(value))


def _is_name(value: str) -> bool:
    """Whether ``value`` matches the schema's name pattern.

    Quick for the usual name: printable text holds none of the forbidden characters,
    and its only white space is the plain space."""
    if value.isprintable():
        return bool(value) and value[0] != " " and value[-1] != " "
    return _NAME_PATTERN.search(value) is not None


def _name_problem(value: str) -> Message | None:
    """Why ``value`` is not a name as the schema defines it, or None when it is one."""
    if _is_name(value):
        return None
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        char = bad.group()
        code = f"U+{ord(char):04X}"
        if "\ud800" <= char <= "\udfff":
            return msg("{value} contains {code}, a lone surrogate: not Unicode text",
                       value=_quote(value), code=code)
        if char in "\n\r\u2028\u2029":
            return msg("{value} contains a line break ({code}); write it on one line",
                       value=_quote(value), code=code)
        return msg("{value} contains a control character ({code})", value=_quote(value),
                   code=code)
    if not value.strip():
        return msg("must not be empty")
    return msg("{value} has spaces around it", value=_quote(value))


def _strict_str(value: Any, _: Any) -> str:
    if type(value) is str and value and value.isprintable() and value[0] != " " \
            and value[-1] != " ":  # the usual name, quickly (as _is_name)
        return value
    if not isinstance(value, str):
        raise _WrongType(msg("expected a string, got {type}", type=_json_type(value)))
    problem = _name_problem(value)
    if problem is not None:
        raise _Invalid(problem)
    return value


def _strict_bool(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):
        raise _WrongType(msg("expected true or false, got {type}", type=_json_type(value)))
    return value


def _date(value: Any, _: Any) -> dt.date:
    if not isinstance(value, str):
        raise _WrongType(msg("expected a date string (YYYY-MM-DD), got {type}",
                             type=_json_type(value)))
    try:
        if not _DATE_PATTERN.search(value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _Invalid(msg("{value} is not a date (YYYY-MM-DD)", value=_quote(value))) from None


def _json_type(value: Any) -> str:
    """What a JSON value is, in words ("a string"); ``null`` as JSON writes it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return msg("a boolean")
    if isinstance(value, int | float):
        return msg("a number")
    if isinstance(value, str):
        return msg("a string")
    if isinstance(value, list):
        return msg("a list")
    if isinstance(value, dict):
        return msg("an object")
    return type(value).__name__


def _expected_object(value: Any) -> _WrongType:
    return _WrongType(msg("expected an object, got {type}", type=_json_type(value)))


def _make_converter(detailed: bool) -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=detailed)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook(dt.date, _date)

    def literal_hook(allowed: tuple[str, ...]) -> Any:
        def hook(value: Any, _: Any) -> str:
            if not isinstance(value, str):
                raise _WrongType(msg("expected a string, got {type}", type=_json_type(value)))
            if value not in allowed:
                raise _Invalid(msg("{value} is not one of {allowed}", value=_quote(value),
                                   allowed=", ".join(allowed)))
            return value
        return hook

    conv.register_structure_hook_func(
        lambda t: t == FormName, literal_hook(("voltijd", "deeltijd", "duaal")))
    conv.register_structure_hook_func(
        lambda t: t == HowName, literal_hook(("passed", "exempted")))

    def tuple_hook(item_type: Any, non_empty: bool = False) -> Any:
        if not detailed:
            structure_item = conv.get_structure_hook(item_type)

            def fast(value: Any, _: Any) -> tuple[Any, ...]:
                if not isinstance(value, list):  # never shown: read again in detail
                    raise TypeError("expected a list")
                return tuple([structure_item(v, item_type) for v in value])
            return fast

        def hook(value: Any, _: Any) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise _WrongType(msg("expected a list, got {type}", type=_json_type(value)))
            if non_empty and not value:
                raise _Invalid(msg("must list at least one"))
            items: list[Any] = []
            errors: list[Exception] = []
            for i, v in enumerate(value):
                try:
                    if attrs.has(item_type) and not isinstance(v, dict):
                        raise _expected_object(v)
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
    structure_extension = conv.get_structure_hook(Extension)

    def optional_extension(value: Any, _: Any) -> Extension | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _expected_object(value)
        extension: Extension = structure_extension(value, Extension)
        return extension

    conv.register_structure_hook_func(lambda t: bool(t == Extension | None), optional_extension)
    if detailed:
        conv.register_structure_hook(EvidenceItem, _item_hook(conv))
    return conv


def _item_hook(conv: cattrs.Converter) -> Any:
    """Structure an item: its own keys strictly, every further key into ``fields``.

    A further key must hold a single value (the ruleset decides later whether it is
    a field it declares, and of the right type); every problem keeps its path.
    """
    own = make_dict_structure_fn(EvidenceItem, conv, _cattrs_forbid_extra_keys=True,
                                 _cattrs_detailed_validation=True, fields=override(omit=True))

    def hook(value: Any, _: Any) -> EvidenceItem:
        if not isinstance(value, dict):
            raise _expected_object(value)
        errors: list[Exception] = []
        item: EvidenceItem | None = None
        try:
            item = own({k: v for k, v in value.items() if k in _ITEM_KEYS}, EvidenceItem)
        except ClassValidationError as exc:
            errors.extend(exc.exceptions)
        fields: list[tuple[str, FieldValue]] = []
        declared = _DECLARED.get()
        undeclared = {k for k in value if k not in _ITEM_KEYS and declared is not None
                      and k not in declared}
        if undeclared:
            errors.append(ForbiddenExtraKeysError("", EvidenceItem, undeclared))
        for key, field in value.items():
            if key in _ITEM_KEYS or key in undeclared:
                continue
            if not isinstance(key, str):
                errors.append(ForbiddenExtraKeysError("", EvidenceItem, {key}))
            elif isinstance(field, str | int | float | bool):
                fields.append((key, field))
            else:
                problem = _Invalid(msg("expected a single value (a text, number, date or "
                                       "true/false), got {type}", type=_json_type(field)))
                problem.__notes__ = [AttributeValidationNote(
                    f"Structuring class EvidenceItem @ attribute {key}", key, object)]
                errors.append(problem)
        if errors or item is None:
            raise ClassValidationError("While structuring EvidenceItem", errors, EvidenceItem)
        return attrs.evolve(item, fields=tuple(sorted(fields, key=lambda kv: kv[0])))

    return hook


# Two converters with the same strict hooks: the fast one reads valid input; when it
# fails, the detailed one reads it again to name every problem with its JSON path.
_FAST = _make_converter(detailed=False)


def _word(value: Any) -> str:
    """A string field as the strict hooks read it (raise to fall back to the detailed path)."""
    if type(value) is str and value and value.isprintable() and value[0] != " " \
            and value[-1] != " ":  # the usual name, quickly (as _is_name)
        return value
    if type(value) is not str or not _is_name(value):
        raise ValueError
    return value


def _optional_word(value: Any) -> str | None:
    return None if value is None else _word(value)


_ITEM_KEYS = frozenset({"id", "type", "outcomes", "date", "activity", "verified", "issuer",
                        "organisation"})


def _fast_item(data: Any, _: Any) -> EvidenceItem:
    """The fast path for the most frequent object: exactly the checks of the strict hooks."""
    if type(data) is not dict:
        raise ValueError
    fields: list[tuple[str, FieldValue]] = []
    if not _ITEM_KEYS.issuperset(data):
        for key, value in data.items():
            if key in _ITEM_KEYS:
                continue
            if type(key) is not str or not isinstance(value, str | int | float | bool):
                raise ValueError
            fields.append((key, value))
        fields.sort(key=lambda kv: kv[0])
    outcomes = data["outcomes"]
    if type(outcomes) is not list:
        raise ValueError
    verified = data.get("verified", False)
    if type(verified) is not bool:
        raise ValueError
    return EvidenceItem(_word(data["id"]), _word(data["type"]),
                        tuple([_word(o) for o in outcomes]), _date(data["date"], None),
                        _optional_word(data.get("activity")), verified,
                        None if (issuer := data.get("issuer")) is None else _word(issuer),
                        None if (where := data.get("organisation")) is None else _word(where),
                        tuple(fields))


_FAST.register_structure_hook(EvidenceItem, _fast_item)
_FAST.register_structure_hook_func(
    lambda t: t == tuple[EvidenceItem, ...],
    lambda value, _: tuple([_fast_item(v, None) for v in value])
    if type(value) is list else _raise_value_error())


def _raise_value_error() -> Any:
    raise ValueError
_DETAILED = _make_converter(detailed=True)


def _error_text(exc: BaseException) -> Message:
    if isinstance(exc, KeyError):
        return msg("required field missing")
    if isinstance(exc, _Invalid | _WrongType):
        return exc.message
    if isinstance(exc, TypeError):
        return message_of(exc)
    if isinstance(exc, RecursionError):
        return msg("nested too deeply")
    if isinstance(exc, ValueError):
        return msg("invalid value: {reason}", reason=message_of(exc))
    return message_of(exc) if str(exc) else as_given(type(exc).__name__)


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_UNSAFE = re.compile(f"[{_FORBIDDEN_CHARS}]")


def _key_path(path: str, key: str) -> str:
    """The JSON path of ``key`` in the object at ``path``: ``$.colour``, ``$["a b"]``."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    shown = key if len(key) <= _SHOWN else key[:_SHOWN] + "..."
    quoted = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}",
                         json.dumps(shown, ensure_ascii=False))
    return f"{path}[{quoted}]"


def _problems(exc: BaseException, path: str = "$") -> list[Problem]:
    """Every problem in a cattrs (detailed) validation error, with its JSON path."""
    if isinstance(exc, ForbiddenExtraKeysError):
        out = []
        for key in exc.extra_fields:
            if isinstance(key, str):
                out.append(Problem(_key_path(path, key), _UNKNOWN_FIELD))
            else:
                out.append(Problem(path, msg("a key is {type}, not a string",
                                             type=_json_type(key))))
        return out
    if isinstance(exc, IterableValidationError | ClassValidationError):
        with_notes, without = exc.group_exceptions()
        found: list[Problem] = []
        for inner, note in with_notes:
            if isinstance(note, IterableValidationNote):
                found += _problems(inner, f"{path}[{note.index}]")
            else:
                found += _problems(inner, f"{path}.{note.name}")
        for inner in without:
            found += _problems(inner, path)
        return found
    return [Problem(path, _error_text(exc))]


_DECLARED: contextvars.ContextVar[Collection[str] | None] = contextvars.ContextVar(
    "luk_declared_fields", default=None)
"""The fields the ruleset declares, while a submission is read again for its problems."""


def structure(data: Any, kind: type[Any] = Submission,
              fields: Collection[str] | None = None) -> Any:
    """Read a decoded JSON value into ``kind`` (a :class:`Submission` by default).

    An evidence item's further keys are kept in its ``fields``; :func:`validate` checks
    them against the ruleset. When ``fields`` (the ruleset's declared fields) is given,
    a key outside them is reported here too, with the other problems of the document.

    Raises:
        SubmissionError: listing every problem with its JSON path.
    """
    if not isinstance(data, Mapping):
        raise SubmissionError([Problem("$", _expected_object(data).message)])
    try:
        return _FAST.structure(data, kind)
    except Exception:  # read it again below, to say precisely what is wrong
        pass
    token = _DECLARED.set(fields)
    try:
        return _DETAILED.structure(dict(data), kind)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        raise SubmissionError(_problems(exc)) from None
    except (TypeError, ValueError, KeyError, RecursionError) as exc:
        raise SubmissionError([Problem("$", _error_text(exc))]) from None
    finally:
        _DECLARED.reset(token)


def _parse_int(digits: str) -> int | float:
    """A JSON integer; one too long for an ``int`` (over 4,300 digits) is still a number."""
    try:
        return int(digits)
    except ValueError:
        return float(digits)


def decode_json(text: str) -> Any:
    """Decode JSON text as the readers of submissions, records and scenarios do.

    Any number is read, however many digits it has.

    Raises:
        SubmissionError: one problem at ``$``: empty, not valid JSON (with the line
            and column), or nested too deeply.
    """
    if not text.strip():
        raise SubmissionError([Problem("$", msg("the document is empty"))])
    try:
        return json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        # Translators: reason is Python's own (English) reason, e.g. "Expecting value".
        raise SubmissionError([Problem("$", msg(
            "not valid JSON: {reason} (line {line}, column {column})",
            reason=as_given(exc.msg), line=exc.lineno, column=exc.colno))]) from None
    except RecursionError:
        raise SubmissionError([Problem("$", msg("not valid JSON: nested too deeply"))]) \
            from None


def loads(text: str, source: str | None = None, kind: type[Any] = Submission,
          fields: Collection[str] | None = None) -> Any:
    """Parse JSON text into a submission (or ``kind``), with located errors; ``fields``
    as for :func:`structure`."""
    try:
        return structure(decode_json(text), kind, fields)
    except SubmissionError as exc:
        raise SubmissionError(exc.problems, source) from None


def unstructure(submission: Submission) -> dict[str, Any]:
    """The JSON form of a submission (dates as ISO strings)."""
    conv = cattrs.Converter()
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    data: dict[str, Any] = conv.unstructure(submission)
    for item in data["evidence"]:
        for key in ("activity", "issuer", "organisation"):
            if item.get(key) is None:
                item.pop(key, None)
        item.update(dict(item.pop("fields", ())))
    for result in data["results"]:
        for key in ("by", "grounds", "decision", "extended"):
            if result.get(key) is None:
                result.pop(key, None)
        extended = result.get("extended")
        if extended is not None and extended.get("by") is None:
            extended.pop("by", None)
    if not data.get("results"):
        data.pop("results", None)
    return data


def _programme_problems(programme: str, form: str, ruleset: ir.Ruleset) -> list[Problem]:
    prog = ruleset.programme
    problems = []
    if programme != prog.code:
        problems.append(Problem(
            "$.programme", msg("unknown programme {name}: this ruleset is for {code} "
                               "({title})", name=_quote(programme), code=repr(prog.code),
                               title=prog.title)))
    if form not in prog.forms:
        # Translators: form and forms are voltijd, deeltijd or duaal (as written in JSON).
        problems.append(Problem(
            "$.form", msg("programme {code} is not offered {form}; it is offered {forms}",
                          code=prog.code, form=form, forms=", ".join(prog.forms))))
    return problems


def _result_problems(results: tuple[Result, ...], on: dt.date,
                     what: Literal["record", "submission"],
                     ruleset: ir.Ruleset, unknown: _Unknown) -> list[Problem]:
    units = {u.code for u in ruleset.units}
    problems = []
    seen: set[str] = set()
    for i, result in enumerate(results):
        if result.unit not in units:
            problems.append(Problem(f"$.results[{i}].unit", unknown("unit", result.unit, units)))
        elif result.unit in seen:
            problems.append(Problem(f"$.results[{i}].unit",
                                    msg("a result for {unit} is already listed",
                                        unit=_quote(result.unit))))
        seen.add(result.unit)
        if result.how == "passed" and (result.grounds or result.decision or result.by):
            problems.append(Problem(
                f"$.results[{i}].how",
                msg('grounds, by or decision are given, so this is an exemption: write '
                    '"how": "exempted" (a passed result has none of them)')))
        if result.date > on:
            dates = {"date": result.date.isoformat(), "on": on.isoformat()}
            problems.append(Problem(
                f"$.results[{i}].date",
                msg("{date} is after the record date {on}", **dates) if what == "record"
                else msg("{date} is after the submission date {on}", **dates)))
        if result.extended is not None and result.extended.until < result.date:
            problems.append(Problem(
                f"$.results[{i}].extended.until",
                msg("{until} is before the result's date {date}: an extension keeps a "
                    "result valid until a later date",
                    until=result.extended.until.isoformat(), date=result.date.isoformat())))
    return problems


def validate_record(record: Record, ruleset: ir.Ruleset) -> None:
    """Check a well-formed record against the ruleset.

    Raises:
        SubmissionError: unknown programme or unit, a form not offered, a unit with two
            results, a result dated after the record's date, an extension of a result
            until before its date.
    """
    problems = _programme_problems(record.programme, record.form, ruleset)
    problems += _result_problems(record.results, record.date, "record", ruleset, _Unknown())
    if problems:
        raise SubmissionError(problems)


def validate(submission: Submission, ruleset: ir.Ruleset) -> None:
    """Check a well-formed submission's references against the ruleset.

    Raises:
        SubmissionError: unknown programme, unit, outcome, assessment or evidence
            type, a form the programme does not offer, duplicate ids; in ``results``, the
            problems :func:`validate_record` finds in a record's.
    """
    problems = _programme_problems(submission.programme, submission.form, ruleset)
    unknown = _Unknown()
    if not submission.units:
        problems.append(Problem("$.units", msg("must list at least one unit")))
    units = {u.code: u for u in ruleset.units}
    outcomes = {o.ref for u in ruleset.units for o in u.outcomes}
    types = {e.name for e in ruleset.evidence_types}
    fields = {f.name: f.type for f in ruleset.fields}
    assessments = {a.name for a in ruleset.assessments}
    seen_units: set[str] = set()
    for i, code in enumerate(submission.units):
        if code not in units:
            problems.append(Problem(f"$.units[{i}]", unknown("unit", code, units)))
        elif code in seen_units:
            problems.append(Problem(f"$.units[{i}]", msg("unit {code} is listed twice",
                                                         code=_quote(code))))
        seen_units.add(code)
    if submission.assessment not in assessments:
        problems.append(Problem(
            "$.assessment", unknown("assessment", submission.assessment, assessments)))
    seen_ids: dict[str, int] = {}
    for i, item in enumerate(submission.evidence):
        if item.id in seen_ids:
            problems.append(Problem(
                f"$.evidence[{i}].id",
                msg("evidence id {id} is already used by {path}", id=_quote(item.id),
                    path=_index_path("$.evidence", seen_ids[item.id]))))
        else:
            seen_ids[item.id] = i
        if item.type not in types:
            problems.append(Problem(
                f"$.evidence[{i}].type", unknown("evidence type", item.type, types)))
        if not item.outcomes:
            problems.append(Problem(f"$.evidence[{i}].outcomes",
                                    msg("must list at least one outcome")))
        for key, value in item.fields:
            problem = _field_problem(key, value, fields, unknown)
            if problem is not None:
                problems.append(Problem(_key_path(f"$.evidence[{i}]", key), problem))
        seen_outcomes: set[str] = set()
        for j, ref in enumerate(item.outcomes):
            if ref not in outcomes:
                problems.append(Problem(
                    f"$.evidence[{i}].outcomes[{j}]", unknown("outcome", ref, outcomes)))
            elif ref in seen_outcomes:
                problems.append(Problem(
                    f"$.evidence[{i}].outcomes[{j}]", msg("outcome {ref} is listed twice",
                                                          ref=_quote(ref))))
            seen_outcomes.add(ref)
    problems += _result_problems(submission.results, submission.date, "submission", ruleset,
                                 unknown)
    if problems:
        raise SubmissionError(problems)


def _index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"


_FIELD_TYPES = {"text": msg("a text"), "date": msg("a date (YYYY-MM-DD)"),
                "number": msg("a whole number"), "yes/no": msg("true or false")}
_UNKNOWN_FIELD = msg("unknown field")


def _field_problem(key: str, value: FieldValue, fields: Mapping[str, str],
                   unknown: _Unknown) -> Message | None:
    """Why a further key of an item is wrong for the ruleset, or None when it is a declared
    field with a value of its type."""
    kind = fields.get(key)
    if kind is None:
        close = unknown.closest("field", key, fields) if fields else None
        if close:
            return msg("unknown field; did you mean {name}?", name=_quote(close))
        return _UNKNOWN_FIELD
    wanted = _FIELD_TYPES[kind]
    if kind == "yes/no":
        fits = isinstance(value, bool)
    elif kind == "number":
        fits = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(value, str):
        if kind == "date":
            try:
                _date(value, None)
            except _Invalid as exc:
                return msg("field {key} is a date: {problem}", key=key, problem=exc.message)
            return None
        problem = _name_problem(value)
        return None if problem is None else msg("field {key} is a text: {problem}", key=key,
                                                  problem=problem)
    else:
        fits = False
    if fits:
        return None
    return msg("field {key} is {wanted}, got {type}", key=key, wanted=wanted,
               type=_json_type(value))


class _Unknown:
    """Messages for names the ruleset does not know, with a "did you mean" hint.

    One :class:`Suggester` per kind of name, made when first needed: a submission
    with thousands of unknown names costs thousands of cheap look-ups, not thousands
    of comparisons with every known name each.
    """

    def __init__(self) -> None:
        self._suggesters: dict[str, Suggester] = {}

    def closest(self, what: str, name: str, known: Collection[str]) -> str | None:
        """The known name of this kind closest to ``name``, if one is close."""
        suggester = self._suggesters.get(what)
        if suggester is None:
            suggester = self._suggesters[what] = Suggester(known)
        return suggester.closest(name)

    def __call__(self, what: _Kind, name: str, known: Collection[str]) -> Message:
        close = self.closest(what, name, known)
        shown = _quote(name)
        if close is None:
            return _UNKNOWN[what](shown)
        return _UNKNOWN_CLOSE[what](shown, _quote(close))


_Kind = Literal["unit", "assessment", "evidence type", "outcome"]
_UNKNOWN: dict[str, Callable[[str], Message]] = {
    "unit": lambda name: msg("unknown unit {name}", name=name),
    "assessment": lambda name: msg("unknown assessment {name}", name=name),
    "evidence type": lambda name: msg("unknown evidence type {name}", name=name),
    "outcome": lambda name: msg("unknown outcome {name}", name=name),
}
_UNKNOWN_CLOSE: dict[str, Callable[[str, str], Message]] = {
    "unit": lambda name, close: msg("unknown unit {name}; did you mean {close}?",
                                    name=name, close=close),
    "assessment": lambda name, close: msg("unknown assessment {name}; did you mean {close}?",
                                          name=name, close=close),
    "evidence type": lambda name, close: msg(
        "unknown evidence type {name}; did you mean {close}?", name=name, close=close),
    "outcome": lambda name, close: msg("unknown outcome {name}; did you mean {close}?",
                                       name=name, close=close),
}


_DATE_SCHEMA: dict[str, Any] = {
    "type": "string", "pattern": _DATE_PATTERN_TEXT, "format": "date"}
_NAME_SCHEMA: dict[str, Any] = {
    "type": "string", "minLength": 1, "pattern": _NAME_PATTERN_TEXT,
    "description": "One line of text without control characters, line breaks or lone "
    "surrogates, and without white space at either end."}

_OPTIONAL_NAME: dict[str, Any] = {"anyOf": [_NAME_SCHEMA, {"type": "null"}]}

_EXTENSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The exam committee's decision extending the validity of this result "
    "(WHW art. 7.13 lid 2 sub k): it counts through `until`, even when `results valid for` "
    "would have let it expire before. `until` is not before the result's date.",
    "additionalProperties": False,
    "required": ["until", "decision"],
    "properties": {
        "until": {**_DATE_SCHEMA, "description": "The last day the result counts."},
        "decision": {**_NAME_SCHEMA,
                     "description": "The reference of the exam committee's decision."},
        "by": {"anyOf": [_NAME_SCHEMA, {"type": "null"}],
               "description": "Who took the decision (normally the examencommissie)."},
    },
}

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
        "extended": {"anyOf": [_EXTENSION_SCHEMA, {"type": "null"}]},
    },
}

RECORD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://luk-rules.example/schema/record.json",
    "title": "Record",
    "description": "A student's results so far, for the diploma audit (docs/audit.md §3).",
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
    "description": "A student's request to be assessed on units with evidence "
                   "(docs/contracts.md#submission).",
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
                    "issuer": _OPTIONAL_NAME,
                    "organisation": _OPTIONAL_NAME,
                },
            },
        },
        "results": {"type": "array", "items": _RESULT_SCHEMA},
    },
}


_FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "text": _NAME_SCHEMA,
    "date": _DATE_SCHEMA,
    "number": {"type": "integer"},
    "yes/no": {"type": "boolean"},
}


def submission_schema(ruleset: ir.Ruleset | None = None) -> dict[str, Any]:
    """The JSON Schema of a submission; for a ruleset, with the fields of evidence items it
    declares (``evidence field uren "Aantal uren" number``).

    Example:
        >>> submission_schema()["title"]
        'Submission'
    """
    if ruleset is None or not ruleset.fields:
        return SUBMISSION_SCHEMA
    schema = json.loads(json.dumps(SUBMISSION_SCHEMA))
    item = schema["properties"]["evidence"]["items"]
    for field in ruleset.fields:
        item["properties"][field.name] = {**_FIELD_SCHEMAS[field.type],
                                          "description": field.title}
    schema["description"] += f" Evidence items may have the fields of {ruleset.programme.code}."
    return dict(schema)
