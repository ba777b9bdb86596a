"""The benchmark's baseline is a correct oracle: for 500 generated HBO-ICT deeltijd
submissions the engine and the hand-written check (benchmarks/hbo_ict_handwritten.py)
agree on status, combination, law, missing outcomes and finding codes.

Cases where the engine is wrong per docs/semantics.md are listed in ``ENGINE_WRONG`` and
marked ``xfail(strict=True)`` with the reason, so a fix in the engine shows up.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import luk_rules

ROOT = Path(__file__).resolve().parent.parent
RULESET = ROOT / "rulesets" / "examples" / "hbo-ict-deeltijd.luk"
SEED = 20250301
COUNT = 500

# case id -> why the engine's decision is wrong (none known).
ENGINE_WRONG: dict[str, str] = {}


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"_luk_benchmarks_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _module("generate")
handwritten = _module("hbo_ict_handwritten")
CASES = generate.generate(COUNT, SEED)


@functools.cache
def _ruleset() -> luk_rules.Ruleset:
    return luk_rules.load(RULESET)


def engine_view(decision: dict[str, Any]) -> dict[str, Any]:
    """The part of a decision the hand-written check also computes."""
    return {
        "status": decision["status"],
        "combination": decision["combination"],
        "law": decision["law"],
        "missing": sorted(m["outcome"] for m in decision["missing"]),
        "findings": sorted(f["code"] for f in decision["findings"]),
    }


def _params() -> list[Any]:
    return [
        pytest.param(case, id=case["id"], marks=pytest.mark.xfail(
            strict=True, reason=ENGINE_WRONG[case["id"]]))
        if case["id"] in ENGINE_WRONG else pytest.param(case, id=case["id"])
        for case in CASES
    ]


@pytest.mark.parametrize("case", _params())
def test_engine_agrees_with_handwritten_check(case: dict[str, Any]) -> None:
    engine = engine_view(_ruleset().decide(case).to_dict())
    assert engine == handwritten.check(case)


def test_generated_cases_reach_every_branch() -> None:
    """The 500 cases are varied enough to be a meaningful comparison."""
    results = [handwritten.check(case) for case in CASES]
    assert {r["status"] for r in results} == {"admissible", "incomplete", "inadmissible"}
    assert {r["combination"] for r in results} == {"A", "B", "C", "D"}
    assert {r["law"] for r in results} == {"experiment-leeruitkomsten", "wet-leeruitkomsten"}
    codes = {code for r in results for code in r["findings"]}
    assert codes >= {
        "evidence-type-not-accepted", "evidence-too-old", "evidence-after-submission",
        "evidence-not-verified", "outcome-not-claimed", "unit-kind-not-permitted",
        "unit-not-assessed", "too-many-units", "niet-alleen-certificaten"}


def test_generate_is_deterministic() -> None:
    assert generate.generate(50, SEED) == CASES[:50]
    assert generate.generate(50, SEED + 1) != CASES[:50]
