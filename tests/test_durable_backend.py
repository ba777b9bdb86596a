"""The durable_rules backend keeps rulesets apart that share their rules."""

from __future__ import annotations

from pathlib import Path

import pytest

import luk_rules

pytest.importorskip("durable.engine", reason="durable-rules is not installed "
                    "(it does not build on Python 3.13+)")

_RULESET = """programme GP "P"
  level hbo-bachelor
  form deeltijd
  institution "H"
  under whw, wet-leeruitkomsten
  opted in 2024-01-01

evidence bp "B"

unit GP-U1 "U"
  credits 5
  kind {kind}
  outcome 1 "O"
  accepts bp
  recommended activity studio

unit GP-U2 "V"
  credits 5
  kind {kind}
  outcome 1 "O"
  accepts bp
  recommended activity studio

assessment GP-T1 "T"
  portfolio
  path-independent
  assesses GP-U1, GP-U2
"""
_CASE = {"id": "S1", "programme": "GP", "form": "deeltijd", "date": "2025-03-01",
         "units": ["GP-U1", "GP-U2"], "assessment": "GP-T1",
         "evidence": [{"id": "e1", "type": "bp", "outcomes": ["GP-U1.1", "GP-U2.1"],
                       "date": "2025-01-01", "activity": "studio"}]}


def test_rulesets_with_the_same_rules_keep_their_own_facts(tmp_path: Path) -> None:
    """Two programmes whose rules compile alike but whose units differ in kind are each
    decided with their own units, on durable as on native (they share one registered
    durable_rules ruleset): one project for two units (route D) is refused for course
    units and allowed for units of learning outcomes."""
    decisions = {}
    for kind in ("onderwijseenheid", "eenheid-van-leeruitkomsten"):
        path = tmp_path / f"{kind}.luk"
        path.write_text(_RULESET.format(kind=kind), encoding="utf-8")
        native = luk_rules.load(path).decide(_CASE).to_dict()
        durable = luk_rules.load(path, engine="durable").decide(_CASE).to_dict()
        assert durable == native
        decisions[kind] = native
    assert decisions["onderwijseenheid"]["status"] == "inadmissible"
    assert decisions["eenheid-van-leeruitkomsten"]["status"] == "admissible"
