"""Generate realistic, varied HBO-ICT deeltijd submissions (docs/contracts.md#submission).

The cases are the benchmark's workload and the oracle test's input, so they are
meant to reach every branch of the programme's rules: dates from 2023 to 2027
(the experiment, the Wet leeruitkomsten before and after the programme's opt-in
on 2024-10-01), one to four units, mostly but not always an assessment that
assesses them, 0-12 items of every evidence type, items that are too old, dated
after the submission, unverified, for outcomes of units not claimed, with a
recommended, an own or no activity, and sometimes a list of ``activities``.

The output is deterministic for a seed::

    python benchmarks/generate.py --count 20000 --seed 1 out.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

PROGRAMME = "ICT"
FORM = "deeltijd"

OUTCOMES: dict[str, tuple[str, ...]] = {
    "ICT-SE": ("ICT-SE.1", "ICT-SE.2", "ICT-SE.3"),
    "ICT-ARCH": ("ICT-ARCH.1", "ICT-ARCH.2"),
    "ICT-PM": ("ICT-PM.1", "ICT-PM.2"),
    "ICT-ONZ": ("ICT-ONZ.1", "ICT-ONZ.2"),
    "ICT-DATA": ("ICT-DATA.1", "ICT-DATA.2"),
    "ICT-AFS": ("ICT-AFS.1", "ICT-AFS.2", "ICT-AFS.3"),
}
UNITS = tuple(OUTCOMES)
ACCEPTS: dict[str, tuple[str, ...]] = {
    "ICT-SE": ("werkplekproduct", "beroepsproduct", "certificaat", "ervaringscertificaat"),
    "ICT-ARCH": ("werkplekproduct", "beroepsproduct", "certificaat"),
    "ICT-PM": ("werkplekproduct", "reflectieverslag", "certificaat"),
    "ICT-ONZ": ("beroepsproduct", "reflectieverslag"),
    "ICT-DATA": ("werkplekproduct", "beroepsproduct", "certificaat"),
    "ICT-AFS": ("beroepsproduct", "reflectieverslag"),
}
RECOMMENDED: dict[str, str] = {
    "ICT-SE": "se-leerlijn",
    "ICT-ARCH": "arch-leerlijn",
    "ICT-PM": "pm-leerlijn",
    "ICT-ONZ": "onderzoekslijn",
    "ICT-DATA": "data-leerlijn",
    "ICT-AFS": "afstudeertraject",
}
TYPES = ("werkplekproduct", "beroepsproduct", "certificaat", "ervaringscertificaat",
         "reflectieverslag")
MAX_AGE_YEARS = {"certificaat": 3, "ervaringscertificaat": 2}  # everything else: 5
INTEGRAL_CLUSTER = ("ICT-SE", "ICT-ARCH", "ICT-PM")
CGI = {"ICT-ONZ": "ICT-ONZ-CGI", "ICT-DATA": "ICT-DATA-CGI", "ICT-AFS": "ICT-AFS-CGI"}
ASSESSMENTS = ("ICT-INT", "ICT-ONZ-CGI", "ICT-DATA-CGI", "ICT-AFS-CGI")
OWN_ACTIVITIES = ("stage-bij-werkgever", "hackathon", "mooc-cloud-architectuur",
                  "eigen-project", "scrum-training", "open-source-bijdrage")

FIRST_DATE = dt.date(2023, 1, 1)
LAST_DATE = dt.date(2027, 12, 31)
# Dates where something changes: the opt-in, the end of the experiment, the law, leap days.
EDGE_DATES = (dt.date(2024, 2, 29), dt.date(2024, 9, 30), dt.date(2024, 10, 1),
              dt.date(2024, 12, 31), dt.date(2025, 1, 1), dt.date(2025, 3, 1),
              dt.date(2026, 2, 28), dt.date(2027, 2, 28))


def _years_back(on: dt.date, years: int) -> dt.date:
    """The same month and day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def _submission_date(rng: random.Random) -> dt.date:
    if rng.random() < 0.08:
        return rng.choice(EDGE_DATES)
    span = (LAST_DATE - FIRST_DATE).days
    return FIRST_DATE + dt.timedelta(days=rng.randint(0, span))


def _units_and_assessment(rng: random.Random) -> tuple[list[str], str]:
    roll = rng.random()
    if roll < 0.62:  # the integral assessment for part of its cluster
        k = rng.choices((1, 2, 3), weights=(3, 3, 2))[0]
        return rng.sample(INTEGRAL_CLUSTER, k), "ICT-INT"
    if roll < 0.85:  # a criterion-based interview for its own unit
        unit = rng.choice(tuple(CGI))
        return [unit], CGI[unit]
    if roll < 0.90:  # four units: too many for ICT-INT
        units = [*INTEGRAL_CLUSTER, rng.choice(tuple(CGI))]
        rng.shuffle(units)
        return units, "ICT-INT"
    # Anything else: units the assessment does not (all) assess.
    k = rng.choices((1, 2, 3, 4), weights=(4, 3, 2, 1))[0]
    return rng.sample(UNITS, k), rng.choice(ASSESSMENTS)


def _item_date(rng: random.Random, on: dt.date, type_: str) -> dt.date:
    roll = rng.random()
    if roll < 0.05:  # after the submission
        return on + dt.timedelta(days=rng.randint(1, 120))
    if roll < 0.12:  # right at the maximum age, or a day past it
        cutoff = _years_back(on, MAX_AGE_YEARS.get(type_, 5))
        return cutoff - dt.timedelta(days=rng.choice((0, 0, 1)))
    days = int(rng.triangular(0, 7 * 365.25, 1.2 * 365))
    return on - dt.timedelta(days=days)


def _item(rng: random.Random, n: int, on: dt.date, units: list[str]) -> dict[str, Any]:
    home = rng.choice(units)
    # mostly a type the unit accepts, sometimes any type
    type_ = rng.choice(ACCEPTS[home]) if rng.random() < 0.8 else rng.choice(TYPES)
    own = list(OUTCOMES[home])
    k = rng.choices((1, 2, 3), weights=(5, 3, 1))[0]
    outcomes = rng.sample(own, min(k, len(own)))
    if len(units) > 1 and rng.random() < 0.3:  # one product for several units (route D)
        other = rng.choice([u for u in units if u != home])
        outcomes += rng.sample(OUTCOMES[other], rng.randint(1, len(OUTCOMES[other])))
    if rng.random() < 0.07:  # an outcome of a unit that is not claimed
        stranger = rng.choice([u for u in UNITS if u not in units])
        outcomes.append(rng.choice(OUTCOMES[stranger]))
    rng.shuffle(outcomes)
    item: dict[str, Any] = {
        "id": f"e{n}",
        "type": type_,
        "outcomes": outcomes,
        "date": _item_date(rng, on, type_).isoformat(),
    }
    roll = rng.random()
    if roll < 0.65:
        item["activity"] = RECOMMENDED[home]
    elif roll < 0.72:
        item["activity"] = RECOMMENDED[rng.choice(UNITS)]
    elif roll < 0.82:
        item["activity"] = rng.choice(OWN_ACTIVITIES)
    # else: no activity (own or prior learning)
    verified_share = 0.85 if type_ == "werkplekproduct" else 0.4
    if rng.random() < 0.9:
        item["verified"] = rng.random() < verified_share
    return item


def _activities(rng: random.Random, units: list[str]) -> list[str] | None:
    roll = rng.random()
    if roll < 0.55:
        return None
    if roll < 0.62:
        return []
    chosen: list[str] = []
    for unit in units:
        if rng.random() < 0.8:
            chosen.append(RECOMMENDED[unit])
    if rng.random() < 0.25:
        chosen.append(rng.choice(OWN_ACTIVITIES))
    chosen = sorted(set(chosen))
    rng.shuffle(chosen)
    return chosen


def submission(rng: random.Random, case_id: str) -> dict[str, Any]:
    """One submission as a JSON-ready dict (docs/contracts.md#submission)."""
    on = _submission_date(rng)
    units, assessment = _units_and_assessment(rng)
    roll = rng.random()
    if roll < 0.07:
        count = 0
    elif roll < 0.12:  # a portfolio of certificates only (rule niet-alleen-certificaten)
        count = -rng.randint(1, 4)
    else:
        count = rng.randint(1, 12)
    evidence = [_item(rng, n, on, units) for n in range(1, abs(count) + 1)]
    if count < 0:
        for item in evidence:
            item["type"] = "certificaat"
    rng.shuffle(evidence)
    sub: dict[str, Any] = {
        "id": case_id,
        "programme": PROGRAMME,
        "form": FORM,
        "date": on.isoformat(),
        "units": units,
        "assessment": assessment,
        "evidence": evidence,
    }
    activities = _activities(rng, units)
    if activities is not None:
        sub["activities"] = activities
    return sub


def generate(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` submissions, the same ones for the same ``seed``."""
    rng = random.Random(seed)
    return [submission(rng, f"G{seed}-{i:05d}") for i in range(1, n + 1)]


def main(argv: list[str] | None = None) -> int:
    """Write generated submissions as JSON Lines (one submission a line)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="how many (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("out", type=Path, nargs="?",
                        help="output .jsonl file (default: standard output)")
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must not be negative")
    lines = (json.dumps(s, ensure_ascii=False) + "\n" for s in generate(args.count, args.seed))
    if args.out is None:
        sys.stdout.writelines(lines)
    else:
        with args.out.open("w", encoding="utf-8") as handle:
            handle.writelines(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
