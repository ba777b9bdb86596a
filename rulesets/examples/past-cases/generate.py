"""Generate the past cases of Bouwkunde voltijd used by docs/what-if.md.

Fictional but realistic requests of full-time students, 2023-09 to 2026-07:
mostly the recommended route (A), some own work (B), some who go straight to
the assessment (C), some who bring one project for two units (D), with the
usual share of incomplete portfolios and old or misfiled evidence. The same seed
always gives the same file:

    python rulesets/examples/past-cases/generate.py            # writes bouwkunde-voltijd.jsonl
    python rulesets/examples/past-cases/generate.py --count 2000 --seed 7 out.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

UNITS = {
    "BK-ONT": {"outcomes": 3, "accepts": ["beroepsproduct", "projectverslag",
                                          "ervaringscertificaat"],
               "activity": "ontwerpstudio", "assessment": "BK-ONT-T", "exam": False},
    "BK-INS": {"outcomes": 2, "accepts": ["beroepsproduct", "projectverslag"],
               "activity": "practicum-installaties", "assessment": "BK-INS-T", "exam": False},
    "BK-REC": {"outcomes": 2, "accepts": ["toetsuitslag", "projectverslag"],
               "activity": "college-bouwrecht", "assessment": "BK-REC-T", "exam": True},
    "BK-COM": {"outcomes": 1, "accepts": ["projectverslag", "reflectieverslag"],
               "activity": "projectonderwijs", "assessment": "BK-COM-T", "exam": True},
}
OWN_WORK = ["bijbaan-architectenbureau", "eigen-verbouwing", "stage-aannemer",
            "minor-buitenland", "studentenproject"]
START, END = dt.date(2023, 9, 1), dt.date(2026, 7, 15)


def _date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _items(rng: random.Random, unit: str, on: dt.date, activity: str | None,
           complete: bool, first: int) -> list[dict[str, Any]]:
    spec = UNITS[unit]
    refs = [f"{unit}.{i}" for i in range(1, spec["outcomes"] + 1)]
    if not complete and len(refs) > 1:
        refs = refs[:-1]
    items = []
    for n, ref in enumerate(refs):
        kind = rng.choice(spec["accepts"])
        age_days = rng.randrange(20, 900)
        if kind == "ervaringscertificaat" and rng.random() < 0.5:
            age_days = rng.randrange(800, 1200)  # some are older than the 2 years allowed
        if rng.random() < 0.04:
            kind = "reflectieverslag" if unit != "BK-COM" else "toetsuitslag"  # misfiled
        item: dict[str, Any] = {"id": f"e{first + n}", "type": kind, "outcomes": [ref],
                                "date": (on - dt.timedelta(days=age_days)).isoformat()}
        if activity:
            item["activity"] = activity
        if rng.random() < 0.3:
            item["verified"] = True
        items.append(item)
    return items


def case(rng: random.Random, number: int) -> dict[str, Any]:
    """One past case."""
    on = _date(rng, START, END)
    unit = rng.choice(list(UNITS))
    spec = UNITS[unit]
    route = rng.choices("ABCD", weights=[55, 20, 12, 13])[0]
    complete = rng.random() < 0.8
    sub: dict[str, Any] = {"id": f"BKV-{number:04d}", "programme": "BK", "form": "voltijd",
                           "date": on.isoformat(), "units": [unit],
                           "assessment": spec["assessment"], "evidence": []}
    if route == "A":
        sub["activities"] = [spec["activity"]]
        if not spec["exam"]:
            sub["evidence"] = _items(rng, unit, on, spec["activity"], complete, 1)
    elif route == "B":
        own = rng.choice(OWN_WORK)
        sub["activities"] = [own]
        sub["evidence"] = _items(rng, unit, on, own if rng.random() < 0.6 else None,
                                 complete, 1)
    elif route == "C":
        if not spec["exam"]:
            sub["evidence"] = _items(rng, unit, on, None, complete, 1)
            sub["activities"] = []
    else:
        other = rng.choice([u for u in UNITS if u != unit and not UNITS[u]["exam"]]
                           or ["BK-INS"])
        project = rng.choice(OWN_WORK)
        items = _items(rng, unit, on, project, complete, 1)
        items += _items(rng, other, on, project, True, len(items) + 1)
        if rng.random() < 0.5:  # one report covering an outcome of each unit
            items[0]["outcomes"].append(f"{other}.1")
        sub["units"] = sorted({unit, other})
        sub["evidence"] = items
    return sub


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2025)
    here = Path(__file__).resolve().parent
    parser.add_argument("out", nargs="?", default=str(here / "bouwkunde-voltijd.jsonl"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as handle:
        for n in range(1, args.count + 1):
            handle.write(json.dumps(case(rng, n), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
