"""The shipped law library (rulesets/law/) says what each clause is, and cites only
articles that public sources support (docs/law.md lists the sources)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from luk_rules import ast
from luk_rules.parse import parse
from luk_rules.resources import law_dir

LAW = sorted(law_dir().glob("*.luk"))

# Articles the shipped law may cite, each checked against public sources (docs/law.md):
# WHW art. 7.3 (programmes of course units and their tentamens), art. 7.13 (the OER),
# art. 1.7a (the basis of the experiment decree, in its preamble). The amended WHW's
# article numbers for units of learning outcomes are not verified and so not cited.
SUPPORTED_ARTICLES = frozenset({"7.3", "7.13", "1.7a"})
_ARTICLE = re.compile(r"\bart(?:ikel|\.)\s+(\d+\.\d+[a-z]?)", re.IGNORECASE)


def _regimes() -> list[tuple[Path, ast.Regime]]:
    out = []
    for path in LAW:
        module = parse(path.read_text(encoding="utf-8"), str(path))
        out += [(path, d) for d in module.declarations if isinstance(d, ast.Regime)]
    return out


def _clauses(regime: ast.Regime) -> list[ast.Permit | ast.Allow]:
    return [c for c in regime.clauses if isinstance(c, ast.Permit | ast.Allow)]


def _own_status(regime: ast.Regime) -> str | None:
    period = next(c for c in regime.clauses if isinstance(c, ast.Period))
    if period.kind == "proposal":
        return "proposal"
    status = next((c for c in regime.clauses if isinstance(c, ast.Provenance)), None)
    return status.status if status else None


def test_the_law_library_is_there() -> None:
    """Four regimes: the WHW, the experiment, the Wet leeruitkomsten, a proposal."""
    assert {r.name.value for _, r in _regimes()} >= {
        "whw", "experiment-leeruitkomsten", "wet-leeruitkomsten", "voltijd-uitbreiding"}


@pytest.mark.parametrize("regime", [r for _, r in _regimes()], ids=lambda r: r.name.value)
def test_every_regime_and_clause_states_its_status(regime: ast.Regime) -> None:
    """A regime is enacted, an interpretation or a proposal; so is each permit and allow,
    written on the clause itself (the language lets a clause take its regime's; the shipped
    law says it every time); a proposal regime's clauses are proposals."""
    own = _own_status(regime)
    assert own in ("enacted", "interpretation", "proposal"), regime.name.value
    for clause in _clauses(regime):
        assert clause.provenance is not None, f"{clause.span}: no status"
        status = clause.provenance.status
        assert status in ("enacted", "interpretation", "proposal"), clause.basis.text.value
        if own == "proposal":
            assert status == "proposal", f"{regime.name.value}: a proposal enacts nothing"
        if clause.provenance and clause.provenance.status == "interpretation":
            reading = clause.provenance.reading
            assert reading is not None and len(reading.value) > 40, "say whose reading, why"


@pytest.mark.parametrize("regime", [r for _, r in _regimes()], ids=lambda r: r.name.value)
def test_enacted_clauses_cite_something_that_exists(regime: ast.Regime) -> None:
    """An enacted clause cites an act or decree; every article any clause cites is one the
    sources support (no `art. 7.4c`, no `art. 7.13 lid 2 sub l` for routes)."""
    basis = next(c for c in regime.clauses if isinstance(c, ast.Basis))
    texts = [basis.text.value, *(c.basis.text.value for c in _clauses(regime))]
    for text in texts:
        cited = set(_ARTICLE.findall(text)) | set(re.findall(r"\b(\d+\.\d+[a-z]?)\b", text))
        assert cited <= SUPPORTED_ARTICLES, f"{text}: unsupported {cited - SUPPORTED_ARTICLES}"
        assert "sub l" not in text and "7.4c" not in text
    for clause in _clauses(regime):
        status = clause.provenance.status if clause.provenance else _own_status(regime)
        if status == "enacted":
            assert re.search(r"\b(WHW|Besluit|Wet)\b", clause.basis.text.value), (
                f"{regime.name.value}: an enacted clause names the act it cites")
