"""Invalid submissions, written by hand, each with the exact JSON path and message it must
get (docs/contracts.md: input errors name the JSON path, never a traceback)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import luk_rules
from luk_rules.submission import (
    RECORD_SCHEMA,
    SUBMISSION_SCHEMA,
    loads,
    structure,
    unstructure,
)

ROOT = Path(__file__).resolve().parent.parent
SUBMISSION_VALIDATOR = Draft202012Validator(
    SUBMISSION_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
RECORD_VALIDATOR = Draft202012Validator(
    RECORD_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)

VALID: dict[str, Any] = {
    "id": "S1",
    "programme": "BK",
    "form": "deeltijd",
    "date": "2025-03-01",
    "units": ["BK-ONT", "BK-INS", "BK-COM"],
    "assessment": "BK-PORTFOLIO",
    "evidence": [
        {
            "id": "e1",
            "type": "beroepsproduct",
            "outcomes": ["BK-ONT.1", "BK-INS.2"],
            "activity": "selficient",
            "date": "2024-06-01",
            "verified": True,
        },
        {"id": "e2", "type": "projectverslag", "outcomes": ["BK-ONT.2"], "date": "2024-06-01"},
        {"id": "e3", "type": "projectverslag", "outcomes": ["BK-COM.1"], "date": "2024-07-01"},
    ],
    "activities": ["ontwerpstudio"],
    "results": [{"unit": "BK-REC", "date": "2024-01-15", "how": "passed"}],
}

Edit = Callable[[dict[str, Any]], None]


@cache
def bouwkunde() -> luk_rules.Ruleset:
    """The Bouwkunde deeltijd ruleset, loaded once."""
    return luk_rules.load(ROOT / "rulesets" / "examples" / "bouwkunde-deeltijd.luk")


def edited(edit: Edit) -> dict[str, Any]:
    """A deep copy of VALID changed by ``edit``."""
    sub = copy.deepcopy(VALID)
    edit(sub)
    return sub


def problems_of(sub: Any) -> list[tuple[str, str]]:
    """The (path, message) pairs ``decide`` rejects ``sub`` with."""
    with pytest.raises(luk_rules.SubmissionError) as raised:
        bouwkunde().decide(sub)
    return [(p.path, p.message) for p in raised.value.problems]


def test_the_valid_submission_is_valid() -> None:
    """The base of the table decides without an error (so every row tests one fault)."""
    assert bouwkunde().decide(VALID).status in ("incomplete", "admissible", "inadmissible")


def _set(path: tuple[str | int, ...], value: Any) -> Edit:
    def edit(sub: dict[str, Any]) -> None:
        target: Any = sub
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = value

    return edit


def _drop(path: tuple[str | int, ...]) -> Edit:
    def edit(sub: dict[str, Any]) -> None:
        target: Any = sub
        for p in path[:-1]:
            target = target[p]
        del target[path[-1]]

    return edit


TABLE: list[Any] = [
    # wrong JSON types and values
    pytest.param(
        _set(("evidence", 2, "date"), "2025-02-30"),
        "$.evidence[2].date",
        "'2025-02-30' is not a date (YYYY-MM-DD)",
        id="impossible-date",
    ),
    pytest.param(
        _set(("evidence", 2, "date"), 20240701),
        "$.evidence[2].date",
        "expected a date string (YYYY-MM-DD), got a number",
        id="date-as-number",
    ),
    pytest.param(
        _set(("date",), "tomorrow"),
        "$.date",
        "'tomorrow' is not a date (YYYY-MM-DD)",
        id="date-in-words",
    ),
    pytest.param(
        _set(("date",), "2025-3-1"),
        "$.date",
        "'2025-3-1' is not a date (YYYY-MM-DD)",
        id="date-without-zeros",
    ),
    pytest.param(
        _set(("evidence", 0, "verified"), 1),
        "$.evidence[0].verified",
        "expected true or false, got a number",
        id="verified-as-number",
    ),
    pytest.param(
        _set(("evidence", 0, "verified"), None),
        "$.evidence[0].verified",
        "expected true or false, got null",
        id="verified-null",
    ),
    pytest.param(
        _set(("evidence", 0, "activity"), ""),
        "$.evidence[0].activity",
        "must not be empty",
        id="empty-activity",
    ),
    pytest.param(_set(("id",), " S1"), "$.id", "' S1' has spaces around it", id="padded-id"),
    pytest.param(
        _set(("assessment",), True),
        "$.assessment",
        "expected a string, got a boolean",
        id="assessment-as-boolean",
    ),
    pytest.param(
        _set(("units",), "BK-ONT"), "$.units", "expected a list, got a string", id="units-as-string"
    ),
    pytest.param(_set(("units",), []), "$.units", "must list at least one", id="no-units"),
    pytest.param(
        _set(("evidence",), {"e1": {}}),
        "$.evidence",
        "expected a list, got an object",
        id="evidence-as-object",
    ),
    pytest.param(
        _set(("evidence", 1), ["e2"]),
        "$.evidence[1]",
        "expected an object, got a list",
        id="item-as-list",
    ),
    pytest.param(
        _set(("evidence", 1, "outcomes"), []),
        "$.evidence[1].outcomes",
        "must list at least one outcome",
        id="item-without-outcomes",
    ),
    pytest.param(
        _set(("evidence", 1, "outcomes"), ["BK-ONT.2", 7]),
        "$.evidence[1].outcomes[1]",
        "expected a string, got a number",
        id="outcome-as-number",
    ),
    pytest.param(
        _set(("activities",), "ontwerpstudio"),
        "$.activities",
        "expected a list, got a string",
        id="activities-as-string",
    ),
    pytest.param(
        _set(("activities",), ["ontwerpstudio", None]),
        "$.activities[1]",
        "expected a string, got null",
        id="activity-null",
    ),
    pytest.param(
        _set(("form",), "avond"),
        "$.form",
        "'avond' is not one of voltijd, deeltijd, duaal",
        id="unknown-form-word",
    ),
    pytest.param(
        _set(("results", 0, "how"), "nope"),
        "$.results[0].how",
        "'nope' is not one of passed, exempted",
        id="unknown-result-how",
    ),
    pytest.param(
        _set(("evidence", 1, "outcomes"), [[[["BK-ONT.2"]]]]),
        "$.evidence[1].outcomes[0]",
        "expected a string, got a list",
        id="nested-junk",
    ),
    # missing and unknown keys
    pytest.param(_drop(("id",)), "$.id", "required field missing", id="no-id"),
    pytest.param(
        _drop(("evidence",)), "$.evidence", "required field missing", id="no-evidence-key"
    ),
    pytest.param(
        _drop(("evidence", 1, "date")),
        "$.evidence[1].date",
        "required field missing",
        id="item-without-date",
    ),
    pytest.param(
        _drop(("results", 0, "unit")),
        "$.results[0].unit",
        "required field missing",
        id="result-without-unit",
    ),
    pytest.param(
        _set(("evidence", 0, "colour"), "red"),
        "$.evidence[0].colour",
        "unknown field",
        id="unknown-item-key",
    ),
    pytest.param(_set(("colour",), "red"), "$.colour", "unknown field", id="unknown-top-key"),
    pytest.param(
        _set(("results", 0, "grade"), 8),
        "$.results[0].grade",
        "unknown field",
        id="unknown-result-key",
    ),
    # names the ruleset does not know
    pytest.param(
        _set(("units", 1), "BK-INX"),
        "$.units[1]",
        "unknown unit 'BK-INX'; did you mean 'BK-INS'?",
        id="unknown-unit",
    ),
    pytest.param(
        _set(("programme",), "BX"),
        "$.programme",
        "unknown programme 'BX': this ruleset is for 'BK' (Bouwkunde)",
        id="unknown-programme",
    ),
    pytest.param(
        _set(("form",), "voltijd"),
        "$.form",
        "programme BK is not offered voltijd; it is offered deeltijd",
        id="form-not-offered",
    ),
    pytest.param(
        _set(("assessment",), "BK-PORTFOLIOO"),
        "$.assessment",
        "unknown assessment 'BK-PORTFOLIOO'; did you mean 'BK-PORTFOLIO'?",
        id="unknown-assessment",
    ),
    pytest.param(
        _set(("evidence", 1, "type"), "beroepsprodukt"),
        "$.evidence[1].type",
        "unknown evidence type 'beroepsprodukt'; did you mean 'beroepsproduct'?",
        id="unknown-type",
    ),
    pytest.param(
        _set(("evidence", 1, "outcomes"), ["BK-ONT.9"]),
        "$.evidence[1].outcomes[0]",
        "unknown outcome 'BK-ONT.9'; did you mean",
        id="unknown-outcome",
    ),
    pytest.param(
        _set(("results", 0, "unit"), "BK-RCE"),
        "$.results[0].unit",
        "unknown unit 'BK-RCE'; did you mean 'BK-REC'?",
        id="unknown-result-unit",
    ),
    # duplicates and inconsistencies
    pytest.param(
        _set(("evidence", 2, "id"), "e1"),
        "$.evidence[2].id",
        "evidence id 'e1' is already used by $.evidence[0]",
        id="duplicate-item-id",
    ),
    pytest.param(
        _set(("units", 2), "BK-ONT"), "$.units[2]", "unit 'BK-ONT' is listed twice", id="unit-twice"
    ),
    pytest.param(
        _set(("evidence", 1, "outcomes"), ["BK-ONT.2", "BK-ONT.2"]),
        "$.evidence[1].outcomes[1]",
        "outcome 'BK-ONT.2' is listed twice",
        id="outcome-twice",
    ),
    pytest.param(
        _set(("results", 0, "date"), "2025-06-01"),
        "$.results[0].date",
        "2025-06-01 is after the submission date 2025-03-01",
        id="result-after-date",
    ),
]


@pytest.mark.parametrize(("edit", "path", "message"), TABLE)
def test_invalid_submission_is_reported_at_its_path(edit: Edit, path: str, message: str) -> None:
    """The one fault in the submission is reported at its JSON path, with this message."""
    found = problems_of(edited(edit))
    assert any(p == path and message in m for p, m in found), found
    assert all(p.startswith("$") for p, _ in found)


@pytest.mark.parametrize(
    "document",
    [[], "S1", None, 3, True, 2.5, [VALID]],
    ids=["list", "string", "null", "int", "bool", "float", "wrapped"],
)
def test_a_document_that_is_no_object(document: Any) -> None:
    """A JSON value that is not an object is one problem at `$` naming what it is."""
    [(path, message)] = problems_of(document)
    assert path == "$"
    assert message.startswith("expected an object, got ")


def test_every_problem_is_reported_at_once() -> None:
    """Faults in several places are all reported in one error, sorted by path."""

    def edit(sub: dict[str, Any]) -> None:
        del sub["id"]
        sub["colour"] = "red"
        sub["evidence"][1]["date"] = None

    found = problems_of(edited(edit))
    assert [p for p, _ in found] == ["$.colour", "$.evidence[1].date", "$.id"]


def test_every_unknown_name_is_reported_at_once() -> None:
    """Unknown names in several places are all reported in one error."""

    def edit(sub: dict[str, Any]) -> None:
        sub["units"][0] = "BK-XXX"
        sub["evidence"][0]["type"] = "foto"
        sub["evidence"][2]["id"] = "e2"

    paths = {p for p, _ in problems_of(edited(edit))}
    assert {"$.units[0]", "$.evidence[0].type", "$.evidence[2].id"} <= paths


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the document is empty"),
        ("  \n\t", "the document is empty"),
        (
            '{"id": "S1",',
            "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 13)",
        ),
        ('{"id": "S1"}}', "not valid JSON: Extra data (line 1, column 13)"),
        ("[" * 100_000, "not valid JSON: nested too deeply"),
    ],
)
def test_json_text_that_does_not_parse(text: str, message: str) -> None:
    """Unparseable JSON text is one problem at `$`, and the message names the source."""
    with pytest.raises(luk_rules.SubmissionError) as raised:
        loads(text, "case.json")
    assert [(p.path, p.message) for p in raised.value.problems] == [("$", message)]
    assert str(raised.value).startswith("case.json: $: ")


@pytest.mark.parametrize(
    "date",
    [
        pytest.param("2025-W09-6", id="iso-week-date"),
        pytest.param("20250301TZ", id="basic-format-with-junk"),
    ],
)
def test_only_yyyy_mm_dd_dates_are_accepted(date: str) -> None:
    """A 10-character string that is not YYYY-MM-DD is rejected, as the schema does."""
    assert problems_of(edited(_set(("date",), date))) == [
        ("$.date", f"{date!r} is not a date (YYYY-MM-DD)")
    ]


# ------------------------------------------------------------------ hostile input


RECORD: dict[str, Any] = {
    "id": "R1",
    "programme": "BK",
    "form": "deeltijd",
    "date": "2025-03-01",
    "results": [{"unit": "BK-REC", "date": "2024-01-15", "how": "passed"}],
}


def record_problems_of(record: Any) -> list[tuple[str, str]]:
    """The (path, message) pairs ``audit`` rejects ``record`` with."""
    with pytest.raises(luk_rules.SubmissionError) as raised:
        bouwkunde().audit(record)
    return [(p.path, p.message) for p in raised.value.problems]


def test_a_number_of_more_than_4300_digits_is_a_located_problem() -> None:
    """A JSON number too long for a Python int is read as a number, reported where it is."""
    text = json.dumps(VALID).replace('"verified": true', '"verified": ' + "9" * 5000)
    with pytest.raises(luk_rules.SubmissionError) as raised:
        loads(text, "case.json")
    assert [(p.path, p.message) for p in raised.value.problems] == [
        ("$.evidence[0].verified", "expected true or false, got a number")]


def test_a_huge_python_int_through_the_api_is_a_located_problem() -> None:
    """An int with more digits than Python prints is described by its type, not printed."""
    assert problems_of(edited(_set(("form",), 10**5000))) == [
        ("$.form", "expected a string, got a number")]


NAME_FIELDS: list[tuple[str | int, ...]] = [
    ("id",),
    ("programme",),
    ("units", 0),
    ("assessment",),
    ("activities", 0),
    ("evidence", 1, "id"),
    ("evidence", 1, "type"),
    ("evidence", 1, "outcomes", 0),
    ("evidence", 0, "activity"),
    ("results", 0, "unit"),
    ("results", 0, "by"),
    ("results", 0, "grounds"),
    ("results", 0, "decision"),
]
HOSTILE_NAMES = [
    pytest.param("\ud800", "'\\ud800' contains U+D800, a lone surrogate: not Unicode text",
                 id="lone-surrogate"),
    pytest.param("e\n2", "'e\\n2' contains a line break (U+000A); write it on one line",
                 id="newline"),
    pytest.param("e\r2", "'e\\r2' contains a line break (U+000D); write it on one line",
                 id="carriage-return"),
    pytest.param("e\u20282", "'e\\u20282' contains a line break (U+2028); write it on one line",
                 id="line-separator"),
    pytest.param("e\x1b[31m2", "'e\\x1b[31m2' contains a control character (U+001B)",
                 id="escape"),
    pytest.param("e\x002", "'e\\x002' contains a control character (U+0000)", id="nul"),
    pytest.param("e\t2", "'e\\t2' contains a control character (U+0009)", id="tab"),
    pytest.param("e\x7f", "'e\\x7f' contains a control character (U+007F)", id="delete"),
    pytest.param("e\x9b2", "'e\\x9b2' contains a control character (U+009B)", id="c1-csi"),
    pytest.param("\u3000e2", "'\\u3000e2' has spaces around it", id="ideographic-space"),
    pytest.param("e2\ufeff", "'e2\\ufeff' has spaces around it", id="trailing-bom"),
]


@pytest.mark.parametrize("field", NAME_FIELDS, ids=lambda f: ".".join(map(str, f)))
@pytest.mark.parametrize(("value", "message"), HOSTILE_NAMES)
def test_a_name_the_schema_refuses_is_refused_at_its_path(
    field: tuple[str | int, ...], value: str, message: str
) -> None:
    """Control characters, line breaks, lone surrogates and edge spaces in any name are
    refused at its JSON path (from a dict and from JSON text), as the schema refuses them."""
    document = edited(_set(field, value))
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in field)
    assert (path, message) in problems_of(document)
    with pytest.raises(luk_rules.SubmissionError) as raised:
        loads(json.dumps(document), "case.json")
    assert (path, message) in [(p.path, p.message) for p in raised.value.problems]
    assert not SUBMISSION_VALIDATOR.is_valid(document)


@pytest.mark.parametrize(("value", "message"), HOSTILE_NAMES)
def test_a_record_name_the_schema_refuses_is_refused_at_its_path(value: str, message: str) -> None:
    """The same names are refused in a study record, as its schema refuses them."""
    record = copy.deepcopy(RECORD)
    record["results"][0]["decision"] = value
    assert ("$.results[0].decision", message) in record_problems_of(record)
    assert not RECORD_VALIDATOR.is_valid(record)


# Every character that is a control character, white space, a separator or a surrogate,
# and some that are none of these.
_CHARS = sorted({chr(c) for c in range(0x110000) if chr(c).isspace()}
                | {chr(c) for c in [*range(0x20), *range(0x7F, 0xA1)]}
                | set("\u2028\u2029\ufeff\ud800\udbff\udc00\udfff\u200b\u00e9\U0001f600a-.")
                | {"\ufffe", "\uffff"})


@pytest.mark.parametrize("char", _CHARS, ids=lambda c: f"U+{ord(c):04X}")
def test_reader_and_schema_agree_on_every_kind_of_character(char: str) -> None:
    """For a character alone, at either end and inside a name, the reader accepts exactly
    what the published schema accepts."""
    for value in (char, char + "x", "x" + char, "x" + char + "x"):
        document = edited(_set(("evidence", 1, "id"), value))
        try:
            structure(document)
            read = True
        except luk_rules.SubmissionError:
            read = False
        assert read == SUBMISSION_VALIDATOR.is_valid(document), repr(value)


def test_a_date_with_a_line_break_after_it_is_refused_by_reader_and_schema() -> None:
    """`2025-03-01\\n` is no date to the reader nor to the schema (Python's `$` would
    accept it)."""
    document = edited(_set(("date",), "2025-03-01\n"))
    assert problems_of(document) == [("$.date", "'2025-03-01\\n' is not a date (YYYY-MM-DD)")]
    assert not SUBMISSION_VALIDATOR.is_valid(document)


def test_a_long_value_is_shown_cut_short() -> None:
    """A megabyte-long wrong value is quoted in the message by its first characters only."""
    [(path, message)] = problems_of(edited(_set(("form",), "x" * 1_000_000)))
    assert path == "$.form"
    assert message == f"{'x' * 60!r}... (1,000,000 characters) is not one of voltijd, " \
        "deeltijd, duaal"


def test_keys_that_are_not_strings_are_located_problems() -> None:
    """A dict with non-string keys (possible only through the API) names the object."""
    def edit(sub: dict[str, Any]) -> None:
        loose: dict[Any, Any] = sub
        loose[1] = "x"
        sub["evidence"][0][(2, 3)] = "y"

    assert problems_of(edited(edit)) == [
        ("$", "a key is a number, not a string"),
        ("$.evidence[0]", "a key is tuple, not a string"),
    ]
    assert record_problems_of({**RECORD, None: 1}) == [("$", "a key is null, not a string")]


def test_an_unknown_key_with_odd_characters_is_quoted_in_its_path() -> None:
    """An unknown key that is no plain word is written `$["..."]`, escaped."""
    found = problems_of(edited(_set(("a b\n\x1b\ud800",), 1)))
    assert found == [('$["a b\\n\\u001b\\ud800"]', "unknown field")]


def _nested(depth: int) -> Any:
    value: Any = "x"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@pytest.mark.parametrize(
    "field",
    [("form",), ("id",), ("evidence",), ("evidence", 0, "outcomes"), ("results", 0, "how"),
     ("colour",)],
    ids=lambda f: ".".join(map(str, f)),
)
def test_deeply_nested_values_through_the_api_are_located_problems(
    field: tuple[str | int, ...]
) -> None:
    """Lists and objects nested 100,000 deep (only possible through the API) are refused
    at their path, never with a RecursionError."""
    found = problems_of(edited(_set(field, _nested(100_000))))
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in field)
    assert found and all(p.startswith(path) for p, _ in found), found
    assert all("recursion" not in m for _, m in found), found


def test_deeply_nested_records_through_the_api_are_located_problems() -> None:
    """The same for a study record."""
    assert record_problems_of({**RECORD, "form": _nested(100_000)}) == [
        ("$.form", "expected a string, got a list")]


def test_many_unknown_outcomes_each_get_a_suggestion() -> None:
    """Every unknown outcome among many gets its own located "did you mean"."""
    def edit(sub: dict[str, Any]) -> None:
        sub["evidence"][1]["outcomes"] = [f"BK-ONT.{n}" for n in range(4, 40)]

    found = dict(problems_of(edited(edit)))
    assert found["$.evidence[1].outcomes[0]"].startswith("unknown outcome 'BK-ONT.4'; did you mean")
    assert len([p for p in found if p.startswith("$.evidence[1].outcomes[")]) == 36


# ------------------------------------------------------------------ extensions of validity

EXTENSIONS = [
    pytest.param({"until": "2026-12-31"}, [("$.results[0].extended.decision",
                                            "required field missing")], True, id="no-decision"),
    pytest.param({"decision": "EC-1"}, [("$.results[0].extended.until",
                                         "required field missing")], True, id="no-until"),
    pytest.param({"until": "2026-12-31", "decision": ""},
                 [("$.results[0].extended.decision", "must not be empty")], True,
                 id="empty-decision"),
    pytest.param({"until": "2026-02-30", "decision": "EC-1"},
                 [("$.results[0].extended.until", "'2026-02-30' is not a date (YYYY-MM-DD)")],
                 True, id="impossible-until"),
    pytest.param({"until": "2026-12-31", "decision": "EC-1", "by": " ec"},
                 [("$.results[0].extended.by", "' ec' has spaces around it")], True,
                 id="by-padded"),
    pytest.param({"until": "2026-12-31", "decision": "EC-1", "grounds": "x"},
                 [("$.results[0].extended.grounds", "unknown field")], True, id="unknown-key"),
    pytest.param("2026-12-31", [("$.results[0].extended", "expected an object, got a string")],
                 True, id="not-an-object"),
    pytest.param({"until": "2024-01-14", "decision": "EC-1"},
                 [("$.results[0].extended.until",
                   "2024-01-14 is before the result's date 2024-01-15: an extension keeps a "
                   "result valid until a later date")], False, id="until-before-result"),
]


@pytest.mark.parametrize(("extension", "problems", "structural"), EXTENSIONS)
def test_an_extension_is_checked_at_its_path_in_records_and_submissions(
        extension: Any, problems: list[tuple[str, str]], structural: bool) -> None:
    """A result's `extended` needs `until` (a date not before the result's) and a non-empty
    `decision`, allows `by`, and nothing else: each fault at its JSON path, in a record and in
    a submission's `results` alike; the schemas refuse what they can see."""
    record = copy.deepcopy(RECORD)
    record["results"][0]["extended"] = extension
    assert record_problems_of(record) == problems
    assert RECORD_VALIDATOR.is_valid(record) is not structural
    submission = edited(_set(("results", 0, "extended"), extension))
    assert problems_of(submission) == problems
    assert SUBMISSION_VALIDATOR.is_valid(submission) is not structural


def test_a_valid_extension_is_read_and_the_schemas_accept_it() -> None:
    """`until` on the result's own date is not before it; `by` is optional (or null)."""
    for extended in ({"until": "2024-01-15", "decision": "EC-2024-12", "by": "examencommissie"},
                     {"until": "2027-01-15", "decision": "EC-2024-12", "by": None}):
        record = copy.deepcopy(RECORD)
        record["results"][0]["extended"] = extended
        assert bouwkunde().audit(record).results["BK-REC"].counts
        assert RECORD_VALIDATOR.is_valid(record)
        submission = edited(_set(("results", 0, "extended"), extended))
        bouwkunde().decide(submission)
        assert SUBMISSION_VALIDATOR.is_valid(submission)
    read = loads(json.dumps(record), kind=luk_rules.Record)
    assert read.results[0].extended is not None
    assert (read.results[0].extended.until.isoformat(), read.results[0].extended.by) == (
        "2027-01-15", None)
    again = unstructure(structure(submission))["results"]
    assert again == [{"unit": "BK-REC", "date": "2024-01-15", "how": "passed",
                      "extended": {"until": "2027-01-15", "decision": "EC-2024-12"}}]
