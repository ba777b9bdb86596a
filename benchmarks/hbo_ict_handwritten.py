"""A hand-written check of the HBO-ICT deeltijd programme, the benchmark's baseline.

Written directly from docs/semantics.md and ``rulesets/examples/hbo-ict-deeltijd.luk``
(with the law regimes in ``rulesets/law/``), as a one-off checker: the programme's
data is hard-coded and the rules are plain Python. It does not import luk_rules,
and it assumes the submission is valid (the engine validates it; this does not).

``check(submission_dict)`` returns what the oracle test compares with the engine::

    {"status": ..., "combination": ..., "law": ..., "missing": [outcome refs],
     "findings": [finding codes, sorted, duplicates kept]}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# ------------------------------------------------------------------ the programme

OPTED_IN = dt.date(2024, 10, 1)
INSTITUTION_PARTICIPATES = False  # Hogeschool Voorbeeld is no experiment participant
MIN_ITEMS = 2  # "at least 2 items per outcome"

OUTCOMES = {
    "ICT-SE": ["ICT-SE.1", "ICT-SE.2", "ICT-SE.3"],
    "ICT-ARCH": ["ICT-ARCH.1", "ICT-ARCH.2"],
    "ICT-PM": ["ICT-PM.1", "ICT-PM.2"],
    "ICT-ONZ": ["ICT-ONZ.1", "ICT-ONZ.2"],
    "ICT-DATA": ["ICT-DATA.1", "ICT-DATA.2"],
    "ICT-AFS": ["ICT-AFS.1", "ICT-AFS.2", "ICT-AFS.3"],
}
ACCEPTS = {
    "ICT-SE": {"werkplekproduct", "beroepsproduct", "certificaat", "ervaringscertificaat"},
    "ICT-ARCH": {"werkplekproduct", "beroepsproduct", "certificaat"},
    "ICT-PM": {"werkplekproduct", "reflectieverslag", "certificaat"},
    "ICT-ONZ": {"beroepsproduct", "reflectieverslag"},
    "ICT-DATA": {"werkplekproduct", "beroepsproduct", "certificaat"},
    "ICT-AFS": {"beroepsproduct", "reflectieverslag"},
}
RECOMMENDED = {
    "ICT-SE": {"se-leerlijn"},
    "ICT-ARCH": {"arch-leerlijn"},
    "ICT-PM": {"pm-leerlijn"},
    "ICT-ONZ": {"onderzoekslijn"},
    "ICT-DATA": {"data-leerlijn"},
    "ICT-AFS": {"afstudeertraject"},
}
# Every ICT unit is an eenheid van leeruitkomsten ("units are eenheid-van-leeruitkomsten").
UNIT_KIND = {unit: "eenheid-van-leeruitkomsten" for unit in OUTCOMES}

MAX_AGE_YEARS = {"certificaat": 3, "ervaringscertificaat": 2}
DEFAULT_MAX_AGE_YEARS = 5
NEEDS_VERIFICATION = {"werkplekproduct"}

# assessment -> (units it assesses, at most this many at once or None); all are portfolio
ASSESSMENTS = {
    "ICT-INT": ({"ICT-SE", "ICT-ARCH", "ICT-PM"}, 3),
    "ICT-ONZ-CGI": ({"ICT-ONZ"}, None),
    "ICT-DATA-CGI": ({"ICT-DATA"}, None),
    "ICT-AFS-CGI": ({"ICT-AFS"}, None),
}
PORTFOLIO = {"ICT-INT", "ICT-ONZ-CGI", "ICT-DATA-CGI", "ICT-AFS-CGI"}
PATH_INDEPENDENT = {"ICT-INT", "ICT-ONZ-CGI", "ICT-DATA-CGI", "ICT-AFS-CGI"}

# ------------------------------------------------------------------ the law

# (name, first day, last day or None): the programme stands under these three.
REGIMES = [
    ("whw", None, None),
    ("experiment-leeruitkomsten", dt.date(2016, 7, 1), dt.date(2024, 12, 31)),
    ("wet-leeruitkomsten", dt.date(2025, 1, 1), None),
]


RESULTS_VALID_YEARS = 6
EXEMPTION_GROUNDS = {"ervaringscertificaat", "eerdere-opleiding"}


def law_in_force(on: dt.date) -> str:
    """Of the regimes in force on the date, the one that started last."""
    in_force = []
    for name, start, end in REGIMES:
        if (start is None or start <= on) and (end is None or on <= end):
            in_force.append((start or dt.date.min, name))
    return max(in_force)[1]


def kind_permitted(law: str, kind: str, form: str, on: dt.date) -> bool:
    """May a programme of this form use units of this kind under the law?"""
    if kind == "onderwijseenheid":  # whw, and every regime extending it
        return form in {"voltijd", "deeltijd", "duaal"}
    if law == "experiment-leeruitkomsten":
        return form in {"deeltijd", "duaal"} and INSTITUTION_PARTICIPATES  # level is hbo
    if law == "wet-leeruitkomsten":
        # opted in on a date, used from that date; every unit has a recommended activity
        return form in {"deeltijd", "duaal"} and on >= OPTED_IN
    return False


def combination_allowed(law: str, kind: str, combination: str, assessment: str) -> bool:
    """Is the route allowed for units of this kind under the law?"""
    if kind == "onderwijseenheid":
        if combination == "A":
            return True
        return combination in {"B", "C"} and assessment in PATH_INDEPENDENT
    # experiment and Wet leeruitkomsten allow A-D for EVL units; whw has no EVL rule
    return law in {"experiment-leeruitkomsten", "wet-leeruitkomsten"}


# ------------------------------------------------------------------ evidence


def years_before(on: dt.date, years: int) -> dt.date:
    """The same month and day ``years`` earlier; 29 February becomes the 28th."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def unit_of(outcome: str) -> str:
    return outcome.rsplit(".", 1)[0]


# ------------------------------------------------------------------ the check


def check(sub: dict[str, Any]) -> dict[str, Any]:
    """Decide a (valid) HBO-ICT deeltijd submission; see the module docstring."""
    on = dt.date.fromisoformat(sub["date"])
    form = sub["form"]
    units = set(sub["units"])
    assessment = sub["assessment"]
    evidence = sub["evidence"]
    activities = sub.get("activities", [])
    findings: list[str] = []

    # 1. valid evidence: which items count for which outcome, and warnings for the rest
    counting: dict[str, int] = {}
    for item in evidence:
        item_type = item["type"]
        item_date = dt.date.fromisoformat(item["date"])
        verified = item.get("verified", False)
        years = MAX_AGE_YEARS.get(item_type, DEFAULT_MAX_AGE_YEARS)
        oldest = years_before(on, years)
        for outcome in item["outcomes"]:
            unit = unit_of(outcome)
            if unit not in units:
                findings.append("outcome-not-claimed")
                continue
            counts = True
            if item_type not in ACCEPTS[unit]:
                findings.append("evidence-type-not-accepted")
                counts = False
            elif item_date < oldest:
                findings.append("evidence-too-old")
                counts = False
            if item_date > on:
                findings.append("evidence-after-submission")
                counts = False
            if item_type in ACCEPTS[unit] and item_type in NEEDS_VERIFICATION and not verified:
                findings.append("evidence-not-verified")
                counts = False
            if counts:
                counting[outcome] = counting.get(outcome, 0) + 1

    # 2. coverage: a portfolio needs MIN_ITEMS counting items for every outcome
    missing = []
    if assessment in PORTFOLIO:
        for unit in sorted(units):
            for outcome in OUTCOMES[unit]:
                if counting.get(outcome, 0) < MIN_ITEMS:
                    missing.append(outcome)

    # 3. combination
    multi_unit_item = any(
        len({unit_of(o) for o in item["outcomes"]} & units) >= 2 for item in evidence)
    recommended = set()
    for unit in units:
        recommended |= RECOMMENDED[unit]
    followed = set(activities) | {item["activity"] for item in evidence if item.get("activity")}
    if multi_unit_item or len(units) >= 2:
        combination = "D"
    elif not evidence and not activities:
        combination = "C"
    elif followed - recommended or any(not item.get("activity") for item in evidence):
        combination = "B"
    else:
        combination = "A"

    # 4. scope: the law in force on the date
    law = law_in_force(on)
    for unit in units:  # one finding per unit
        kind = UNIT_KIND[unit]
        if not kind_permitted(law, kind, form, on):
            findings.append("unit-kind-not-permitted")
        if not combination_allowed(law, kind, combination, assessment):
            findings.append("combination-not-allowed")

    # 5. institution rules
    assessed_units, max_units = ASSESSMENTS[assessment]
    for unit in units:
        if unit not in assessed_units:
            findings.append("unit-not-assessed")
    if max_units is not None and len(units) > max_units:
        findings.append("too-many-units")
    types = [item["type"] for item in evidence]
    if "certificaat" in types and all(t == "certificaat" for t in types):
        findings.append("niet-alleen-certificaten")

    # 6. entry requirement: ICT-AFS only after ICT-SE, ICT-ARCH and ICT-ONZ are completed
    if "ICT-AFS" in units:
        oldest_result = years_before(on, RESULTS_VALID_YEARS)
        completed = {
            r["unit"] for r in sub.get("results", [])
            if oldest_result <= dt.date.fromisoformat(r["date"]) <= on
            and (r.get("how", "passed") == "passed"
                 or (r.get("grounds") in EXEMPTION_GROUNDS and r.get("decision")))}
        results = sub.get("results", [])
        for earlier in {"ICT-SE", "ICT-ARCH", "ICT-ONZ"} - completed:
            # one finding for each reason a result of the earlier unit does not count
            mine = [r for r in results if r["unit"] == earlier]
            reasons = 0 if mine else 1
            for r in mine:
                date = dt.date.fromisoformat(r["date"])
                exempted = r.get("how", "passed") == "exempted"
                reasons += date < oldest_result
                reasons += date > on
                reasons += exempted and r.get("grounds") not in EXEMPTION_GROUNDS
                reasons += exempted and not r.get("decision")
            findings.extend(["entry-requirement-not-met"] * reasons)

    deny = {"unit-kind-not-permitted", "combination-not-allowed", "unit-not-assessed",
            "too-many-units", "entry-requirement-not-met"}
    if any(code in deny for code in findings):
        status = "inadmissible"
    elif missing:
        status = "incomplete"
    else:
        status = "admissible"
    return {"status": status, "combination": combination, "law": law,
            "missing": sorted(missing), "findings": sorted(findings)}
