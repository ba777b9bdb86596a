"""The static checks speak Dutch: their diagnostics rendered with ``lang="nl"`` (text and
JSON) are translated from the catalogue, with the same codes and places as in English;
and every diagnostic the checks' own passes give is a :class:`Message` (not a plain str)
that the Dutch catalogue translates.

(The rule passes of :mod:`luk_rules.scoping`, LUK070-LUK075, are left out of the second
part: they are translated with that module.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from luk_rules.checks import PASSES, check
from luk_rules.checks.rules import check_scoped_rules
from luk_rules.diagnostics import Diagnostic, render_json, render_text, sort_key
from luk_rules.i18n import Lang, Message, say
from luk_rules.sources import Workspace, load_workspace

REPO = Path(__file__).resolve().parent.parent
CHECKS = REPO / "tests" / "checks"
BAD = CHECKS / "bad"
# Every ruleset in the repository: the golden files of the checks and the parser, the
# shipped examples and law, and the rulesets of the other tests.
RULESETS = sorted(p for folder in ("tests", "rulesets") for p in (REPO / folder).rglob("*.luk"))
OWN_PASSES = tuple(p for p in PASSES if p is not check_scoped_rules)


_HEAD = re.compile(r"^(\S+:\d+:\d+): (\w+)\[(LUK\d{3})\]: ", re.MULTILINE)


def _load(path: Path) -> tuple[Workspace, list[Diagnostic]]:
    """A ruleset loaded (as test_checks does: the golden files' common folder is a root)."""
    return load_workspace(path, roots=[CHECKS] if (REPO / path).is_relative_to(CHECKS)
                          else ())


def diagnose(name: str) -> tuple[Workspace, list[Diagnostic]]:
    """The workspace of ``tests/checks/bad/<name>`` and every diagnostic, as ``luk check``
    gives them."""
    workspace, loading = _load(BAD.relative_to(REPO) / name)
    return workspace, sorted(set(loading) | set(check(workspace)), key=sort_key)


def rendered(workspace: Workspace, diagnostics: list[Diagnostic], lang: Lang) -> str:
    shown, texts = workspace.for_person(diagnostics)
    return "".join(render_text(d, texts, lang) + "\n" for d in shown)


@pytest.fixture(autouse=True)
def at_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in the repository root, so shown paths are relative to it."""
    monkeypatch.chdir(REPO)
    return REPO


def _without_text(d: Diagnostic, lang: Lang) -> dict[str, object]:
    data = d.to_dict(lang)
    labels = data.pop("labels")
    data.pop("message")
    data.pop("hint")
    assert isinstance(labels, list)
    data["labels"] = [{k: v for k, v in lb.items() if k != "message"} for lb in labels]
    return data


@pytest.mark.parametrize(("name", "dutch"), [
    ("luk010-undefined-names.luk", ["fout[LUK010]", "is niet gedeclareerd", "= tip: "]),
    ("luk011-duplicate-declarations.luk",
     ["is meer dan eens gedeclareerd", "opmerking: hier voor het eerst gedeclareerd in"]),
    ("luk020-wrong-kind.luk", ["fout[LUK020]", ", niet een"]),
    ("luk025-unknown-kind.luk", ["onbekende soort eenheid"]),
    ("luk029-missing-clauses.luk", ["heeft geen"]),
    ("luk030-repeated-clauses.luk", ["komt meer dan eens voor in"]),
    ("luk034-at-most-too-many.luk", ["waarschuwing[LUK034]", "tegelijk"]),
    ("luk039-elective-never-satisfied.luk", ["daaraan kan nooit worden voldaan"]),
    ("luk041-voltijd-evl.luk", ["geen enkel regime waaronder deze opleiding valt"]),
    ("luk043-never-opted-in.luk", ["waarschuwing[LUK043]", "alleen toegestaan"]),
    ("luk046-base-regime-not-listed.luk",
     ["voor een casus gedateerd", "is geen wet van kracht"]),
    ("luk052-empty-file.luk", ["dit bestand declareert niets"]),
])
def test_bad_rulesets_render_in_dutch(name: str, dutch: list[str]) -> None:
    """The golden bad rulesets, rendered in Dutch: translated text, same codes and places."""
    workspace, diagnostics = diagnose(name)
    assert diagnostics
    english = rendered(workspace, diagnostics, "en")
    text = rendered(workspace, diagnostics, "nl")
    assert english == (BAD / name).with_suffix(".out").read_text(encoding="utf-8")
    for words in dutch:
        assert words in text, f"{words!r} not in:\n{text}"
    assert text != english
    # The same diagnostics in the same order, at the same places: only the words differ.
    assert [_without_text(d, "nl") for d in diagnostics] == [
        _without_text(d, "en") for d in diagnostics]
    heads_en, heads_nl = _HEAD.findall(english), _HEAD.findall(text)
    assert len(heads_en) == len(diagnostics) == len(heads_nl)
    assert [(place, code) for place, _, code in heads_nl] == [
        (place, code) for place, _, code in heads_en]
    assert {severity for _, severity, _ in heads_nl} <= {"fout", "waarschuwing", "opmerking"}


def test_json_in_dutch_keeps_keys_codes_and_severities() -> None:
    """``render_json(..., "nl")``: Dutch message and hint, English keys and enum values."""
    _, diagnostics = diagnose("luk044-exemption-limit-credits.luk")
    english, dutch = render_json(diagnostics, "en"), render_json(diagnostics, "nl")
    assert '"severity": "error"' in dutch and '"code": "LUK044"' in dutch
    assert "studiepunten" in dutch and "studiepunten" not in english
    assert english.count('"code"') == dutch.count('"code"')


def test_a_misspelt_name_in_dutch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LUK010 with its "did you mean" hint, in both languages."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.luk").write_text(
        'evidence beroepsproduct "Beroepsproduct"\n'
        'unit BK-ONT "Bouwkundig ontwerpen"\n  credits 15\n  outcome 1 "Ontwerpt"\n'
        "  accepts beroepsprodukt\n  outcome 2 accepts beroepsproduct\n",
        encoding="utf-8")
    workspace, _ = load_workspace(Path("r.luk"))
    found = {d.code: d for d in check(workspace)}
    undefined = found["LUK010"]
    assert undefined.message == "undefined evidence type `beroepsprodukt`"
    assert say(undefined.message, "nl") == "soort bewijs `beroepsprodukt` is niet gedeclareerd"
    assert undefined.hint is not None
    assert say(undefined.hint, "nl") == "bedoelt u `beroepsproduct`?"
    no_outcome = found["LUK076"]
    assert say(no_outcome.message, "nl") == "eenheid `BK-ONT` heeft geen leeruitkomst `2`"
    assert no_outcome.hint is not None
    assert say(no_outcome.hint, "nl") == ('declareer haar eerst: `outcome 2 "..."`; de '
                                          "leeruitkomsten van de eenheid zijn `1`")


def test_a_number_of_items_is_singular_or_plural_in_dutch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LUK077 counts items: "1 item" / "1 bewijsstuk", "2 items" / "2 bewijsstukken"."""
    monkeypatch.chdir(tmp_path)
    for n in (1, 2):
        (tmp_path / "r.luk").write_text(
            'evidence beroepsproduct "Beroepsproduct"\n'
            'unit U "U"\n  credits 15\n  outcome 1 "Een"\n  accepts beroepsproduct\n'
            f"  at least 3 items per outcome\n  outcome 1 needs at least {n} items\n",
            encoding="utf-8")
        workspace, _ = load_workspace(Path("r.luk"))
        (d,) = (d for d in check(workspace) if d.code == "LUK077")
        word = "item" if n == 1 else "items"
        assert f"at least {n} {word}, fewer than the 3" in d.message
        dutch = say(d.message, "nl")
        assert f"ten minste {n} {'bewijsstuk' if n == 1 else 'bewijsstukken'}," in dutch


def _own_diagnostics() -> Iterator[tuple[Path, Diagnostic]]:
    for path in RULESETS:
        workspace, _ = _load(path.relative_to(REPO))
        for d in sorted(check(workspace, OWN_PASSES), key=sort_key):
            yield path, d


def test_every_diagnostic_of_the_checks_is_a_translated_message() -> None:
    """Over every ruleset in the repository, what the checks' passes say is a Message
    (message, hint and labels), and the Dutch catalogue translates it."""
    seen: set[str] = set()
    for path, d in _own_diagnostics():
        where = f"{path.relative_to(REPO)}: {d.code} {d.message!r}"
        texts = [d.message, *(lb.message for lb in d.labels)]
        if d.hint is not None:
            texts.append(d.hint)
        for text in texts:
            assert isinstance(text, Message), where
            assert say(text, "nl") != str(text), f"{where}: {text!r} is not translated"
        seen.add(d.code)
    # The rulesets give every code the checks' passes can give at least once.
    codes = {code for module in (REPO / "luk_rules" / "checks").glob("*.py")
             for code in re.findall(r'"(LUK\d{3})"', module.read_text(encoding="utf-8"))}
    assert len(codes) > 30
    assert codes <= seen, sorted(codes - seen)
