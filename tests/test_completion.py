"""What `luk lsp` offers at the cursor, by context (luk_rules.completion): the grammar says
what may follow the text before the cursor, the words before it which kind of name.
tests/test_lsp.py asks the server itself through the protocol."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luk_rules import pipeline
from luk_rules.checks.resolve import SymbolTable
from luk_rules.completion import complete, everything

RULESET = """\
evidence beroepsproduct "Beroepsproduct"
evidence cv "Curriculum vitae"
evidence field uren "Studielast in uren" number

unit U1 "Ontwerpen"
  credits 5
  outcome 1 "Ontwerpt een woning"
  outcome kern "Verantwoordt het ontwerp"
  accepts beroepsproduct, cv
  recommended activity ontwerpstudio

unit U2 "Installaties"
  credits 10
  outcome 1 "Rekent een installatie door"
  accepts beroepsproduct

assessment A1 "Integrale beoordeling"
  portfolio
  path-independent
  assesses U1, U2

regime eigen "Eigen regeling"
  in force always
  basis "Regeling art. 1"
"""

UNITS = {"U1", "U2"}
EVIDENCE = {"beroepsproduct", "cv"}
FORMS = {"voltijd", "deeltijd", "duaal"}
KINDS = {"onderwijseenheid", "eenheid-van-leeruitkomsten"}


@pytest.fixture(scope="module")
def table() -> SymbolTable:
    return pipeline.analyse_text(RULESET, "ruleset.luk").resolution.table


def labels(before: str, table: SymbolTable, kind: str | None = None) -> set[str]:
    found = complete(before, table, ("whw", "wet-leeruitkomsten"))
    assert found is not None, before
    assert len({c.label for c in found}) == len(found)
    return {c.label for c in found if kind is None or c.kind == kind}


@pytest.mark.parametrize(("before", "expected"), [
    ('programme P "x"\n  level ', {"hbo-associate-degree", "hbo-bachelor", "hbo-master",
                                   "wo-bachelor", "wo-master"}),
    ('programme P "x"\n  form deeltijd, ', FORMS),
    ('programme P "x"\n  under whw, ', {"whw", "wet-leeruitkomsten", "eigen"}),
    ('programme P "x"\n  as if ', {"whw", "wet-leeruitkomsten", "eigen"}),
    ('programme P "x"\n  units are ', KINDS),
    ('unit U3 "x"\n  kind ', KINDS),
    ('unit U3 "x"\n  accepts ', EVIDENCE),
    ('unit U3 "x"\n  outcome 1 accepts cv, ', EVIDENCE),
    ('unit U3 "x"\n  recommended activity ', {"ontwerpstudio"}),
    ('assessment A2 "x"\n  assesses U1, ', UNITS),
    ('examination programme "x"\n  required ', UNITS),
    ('examination programme "x"\n  choose at least 1 unit of ', UNITS),
    ('examination programme "x"\n  choose at least 10 credits of U1, ', UNITS),
    ('examination programme "x"\n  U2 only after ', UNITS),
    ('regime r "x"\n  extends ', {"whw", "wet-leeruitkomsten", "eigen"}),
    ('regime r "x"\n  permit ', KINDS),
    ('regime r "x"\n  permit onderwijseenheid for voltijd, ', FORMS),
    ('regime r "x"\n  allow combination ', {"A", "B", "C", "D"}),
    ('regime r "x"\n  allow combination A, B for ', KINDS),
    ('rule r "m"\n  deny when unit ', UNITS),
    ('rule r "m"\n  deny when assessment is ', {"A1"}),
    ('rule r "m"\n  deny when no evidence is one of cv, ', EVIDENCE),
    ('rule r "m"\n  deny when number of evidence of type ', EVIDENCE),
    ('rule r "m"\n  deny when form is ', FORMS),
    ('rule r "m"\n  deny when level is ', {"hbo-associate-degree", "hbo-bachelor",
                                            "hbo-master", "wo-bachelor", "wo-master",
                                            "hbo", "wo"}),
    ('rule r "m"\n  deny when combination is ', {"A", "B", "C", "D"}),
    ('rule r "m"\n  deny when activity ', {"ontwerpstudio"}),
    ('rule r "m"\n  for each outcome of ', UNITS),
])
def test_the_names_of_the_kind_the_grammar_places_there(
        table: SymbolTable, before: str, expected: set[str]) -> None:
    found = complete(before, table, ("whw", "wet-leeruitkomsten"))
    assert found is not None
    names = {c.label for c in found if c.kind != "keyword"}
    assert names == expected


def test_a_declarations_own_name_and_free_names_get_no_names(table: SymbolTable) -> None:
    for before in ('unit ', 'evidence field ', 'rule r "m"\n  for each item called ',
                   'rule r "m"\n  where ', 'examination programme "x"\n  exemptions on grounds '):
        assert labels(before, table) == set(), before


def test_a_condition_offers_the_rules_binders_and_fields(table: SymbolTable) -> None:
    rule = ('rule r "m"\n  for each outcome\n  for each item called stuk covering outcome\n'
            '  where n is number of items covering outcome\n  deny when ')
    atom = labels(rule, table)
    assert {"outcome", "stuk", "n", "uren"} <= atom
    assert {"number", "every", "unit", "not", "assessment"} <= atom
    assert not (UNITS | EVIDENCE) & atom
    value = labels(rule + "stuk is ", table)
    assert {"stuk", "n", "verified", "older", "not"} | UNITS | EVIDENCE <= value
    assert labels(rule + "n > ", table, "binder") == {"outcome", "stuk", "n"}
    assert labels(rule + "some item covering ", table, "unit") == UNITS


def test_outcome_ids_of_the_unit(table: SymbolTable) -> None:
    found = complete('unit U1 "x"\n  outcome 1 "Eerste"\n  outcome ', table)
    assert found is not None
    assert {(c.label, c.detail) for c in found} >= {("1", ("Eerste",)),
                                                     ("kern", ("Verantwoordt het ontwerp",))}


def test_keywords_at_the_start_of_a_line(table: SymbolTable) -> None:
    assert labels('unit U3 "x"\n  credits 5\n', table) == {
        "include", "programme", "examination", "evidence", "unit", "assessment", "regime",
        "rule"}
    assert labels('assessment A2 "x"\n  portfolio\n  ', table) == {
        "portfolio", "exam", "path-independent", "path-dependent", "assesses", "at"}
    # In an exam programme a line may start with a unit (`UNIT only after ...`).
    assert labels('examination programme "x"\n  diploma 60 credits\n  ', table) >= UNITS
    # After a complete rule: its `basis` may take a translation, or the `advice` follow.
    assert labels('rule r "m"\n  deny when opted in\n  basis "x"\n  ', table) == {"en", "nl",
                                                                               "advice"}


def test_a_word_being_typed_is_left_to_the_editor(table: SymbolTable) -> None:
    assert labels('unit U3 "x"\n  accepts beroeps', table) == EVIDENCE
    assert labels('unit U3 "x"\n  acc', table) >= {"accepts", "credits"}


def test_nothing_inside_a_text_or_a_comment(table: SymbolTable) -> None:
    assert complete('unit U3 "Ontwerpen en ', table) == ()
    assert complete('unit U3 "x"  # accepts ', table) == ()


def test_what_cannot_be_followed_gets_none_and_everything_offers_all(
        table: SymbolTable) -> None:
    assert complete('unit U3 "x"\n  accepts ,, ', table) is None
    every = {c.label for c in everything(table, ("whw",))}
    assert UNITS | EVIDENCE | {"A1", "eigen", "whw", "uren", "U1.kern", "accepts"} <= every
    assert {c.label for c in everything(None)} >= {"accepts", "unit"}


def test_without_an_analysis_the_words_of_the_language_are_still_offered() -> None:
    found = complete('programme P "x"\n  form ', None)
    assert found is not None and {c.label for c in found} == FORMS


# -- any text before the cursor: an answer (or None), never an exception


_SHIPPED = sorted((Path(__file__).resolve().parent.parent / "rulesets").rglob("*.luk"))
_TEXTS = [p.read_text(encoding="utf-8") for p in _SHIPPED]
_SEEN: dict[str, int] = {}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(_TEXTS) - 1), cut=st.floats(0, 1),
       tail=st.one_of(st.just(""), st.text(max_size=12),
                      st.sampled_from([" ", "\n", "\n  ", ", ", " and ", ' "x', " # c", "("])))
def test_any_text_before_the_cursor_gets_an_answer(which: int, cut: float, tail: str) -> None:
    """A prefix of any shipped ruleset, cut anywhere, with anything typed after it: the
    completion is None (offer everything) or candidates with labels, never an error."""
    text = _TEXTS[which]
    before = text[:int(len(text) * cut)] + tail
    found = complete(before, None, ("whw", "wet-leeruitkomsten"))
    kind = "none" if found is None else "empty" if not found else "candidates"
    _SEEN[kind] = _SEEN.get(kind, 0) + 1
    if found is not None:
        assert all(c.label and c.kind for c in found)
        assert len({(c.label, c.kind) for c in found}) == len(found)  # no duplicates


def test_the_prefixes_reach_every_kind_of_answer() -> None:
    """Measured reach of the property above (file order): all three kinds of answer."""
    if not _SEEN:
        pytest.skip("run with the property test above")
    assert all(_SEEN.get(kind, 0) >= 10 for kind in ("none", "empty", "candidates")), _SEEN
