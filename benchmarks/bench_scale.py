"""Benchmark: how deciding and loading grow with the size of a submission and a ruleset.

Two measurements on a generated programme (its ruleset text is written here):

  (a) **decide**: submissions with 10, 100 and 1,000 evidence items claiming 1, 5 and 20
      units of a 20-unit programme (10 outcomes each), decided with the native engine and
      every finding rendered (``Ruleset.decide(case).to_dict()``); printed as
      milliseconds per decision, microseconds per item and per claimed unit. The cost
      should grow linearly: the time per item about the same from 100 to 1,000 items
      (at 10 items the fixed cost of a decision dominates), and with the units.
  (b) **load**: ``luk_rules.loads`` (parse, checks, lowering, compile and the engine's
      code) and ``luk_rules.load`` of a ruleset with 200 units and 2,000 outcomes,
      and the stages apart; the target is under a second.

Besides the units, outcomes and assessments, the programme has the exam committee's
rules of the language's scoped kind (``for each outcome / for each item covering
outcome``, item sets, counts, shares, fields; as in rulesets/examples/ds-master-deeltijd.luk)
and an examination programme, so the joins they compile to are part of what is timed.
Run from the repository root::

    .venv/bin/python benchmarks/bench_scale.py [--repeat 3] [--seed 1] [--profile]
        [--items 10,100,1000] [--units 1,5,20] [--load-units 200] [--outcomes 10]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import luk_rules
from luk_rules import pipeline

TYPES = ("werkplekproduct", "beroepsproduct", "certificaat", "reflectieverslag")
ORGANISATIONS = ("acme", "globex", "initech", "umbrella", "hooli")
PROGRAMME_UNITS = 20  # the programme the decisions are timed on
TARGET_LOAD_SECONDS = 1.0
LINEAR_SLACK = 1.5  # µs/item at the most items within this factor of the fewest (≥ 100)


def unit_code(n: int) -> str:
    return f"U{n:03d}"


def accepted(n: int) -> tuple[str, ...]:
    """The types unit ``n`` accepts: three of the four, varying by unit."""
    return TYPES[:3] if n % 3 else TYPES[1:]


def ruleset_text(units: int, outcomes: int) -> str:
    """A part-time programme of ``units`` units with ``outcomes`` outcomes each, one
    assessment for all of them, one per unit, scoped rules and an examination programme."""
    codes = [unit_code(n) for n in range(1, units + 1)]
    lines = [
        'programme GEN "Generated programme"',
        "  level hbo-bachelor",
        "  form deeltijd",
        '  institution "Hogeschool Voorbeeld"',
        "  under whw, experiment-leeruitkomsten, wet-leeruitkomsten",
        "  opted in 2024-10-01",
        "  units are eenheid-van-leeruitkomsten",
        "  max evidence age 5 years",
        "  at least 2 items per outcome",
        "",
        'evidence werkplekproduct "Werkplekproduct"',
        "  needs verification",
        'evidence beroepsproduct "Beroepsproduct"',
        'evidence certificaat "Certificaat"',
        "  max age 3 years",
        'evidence reflectieverslag "Reflectieverslag"',
        "",
        'evidence field uren "Studielast in uren" number',
        "",
    ]
    for n, code in enumerate(codes, 1):
        lines += [f'unit {code} "Unit {n}"', "  credits 5"]
        lines += [f'  outcome {o} "Outcome {o} of unit {n}"' for o in range(1, outcomes + 1)]
        lines += [f"  accepts {', '.join(accepted(n))}",
                  f"  recommended activity leerlijn-{n}", ""]
    lines += ['assessment INT "Integral assessment"', "  portfolio", "  path-independent",
              f"  assesses {', '.join(codes)}", ""]
    for n, code in enumerate(codes, 1):
        lines += [f'assessment {code}-CGI "Interview {n}"', "  portfolio", "  path-independent",
                  f"  assesses {code}", ""]
    lines += [
        'rule niet-alleen-certificaten "Certificaten alleen tonen het handelen niet aan"',
        "  warn when some evidence is certificaat and every evidence is certificaat",
        '  basis "OER art. 5.3"',
        "",
        'rule certificaat-nooit-alleen "{item} is het enige bewijs voor {outcome}"',
        "  for each outcome",
        "  for each item covering outcome",
        "  deny when item is certificaat and number of items covering outcome = 1",
        '  basis "OER art. 5.1"',
        "",
        'rule hooguit-twee-certificaten "{unit}: {n} certificaten ({certificaten})"',
        "  for each unit",
        "  where certificaten are items of type certificaat covering unit",
        "  where n is number of certificaten",
        "  warn when n > 2",
        '  basis "OER art. 5.2"',
        "",
        'rule een-organisatie "{n} van de {totaal} items komen van {organisation}"',
        "  for each organisation",
        "  where n is number of items from organisation",
        "  where totaal is number of items",
        "  warn when n > 50% of totaal",
        '  basis "OER art. 5.4"',
        "",
        'rule oud-bewijs-met-reflectie "{item} is oud en telt voor {outcome} alleen met een '
        'recent reflectieverslag"',
        "  for each outcome",
        "  for each item covering outcome",
        "  warn when item is older than 2 years and no item of type reflectieverslag "
        "covering outcome is younger than 12 months",
        '  basis "OER art. 5.5"',
        "",
        'rule werkplekproduct-uren "{item} vertegenwoordigt {u} uren"',
        "  for each item of type werkplekproduct",
        "  where u is uren of item",
        "  warn when u < 40",
        '  basis "OER art. 5.6"',
        "",
        'examination programme "Examenprogramma"',
        '  basis "OER art. 3.1"',
        f"  required {', '.join(codes[:max(1, units // 2)])}",
    ]
    if units > 1:
        lines.append(f"  choose at least 1 unit of {', '.join(codes[max(1, units // 2):])}")
    lines += [f"  diploma {5 * units} credits", "  results valid for 6 years", ""]
    return "\n".join(lines)


def submission(items: int, units: int, outcomes: int, seed: int) -> dict[str, Any]:
    """A submission of ``items`` evidence items claiming the first ``units`` units, for
    the integral assessment; varied types, dates, verification, organisations and hours,
    some items covering two units and some an outcome of a unit not claimed."""
    rng = random.Random(seed * 1_000_003 + items * 101 + units)
    claimed = [unit_code(n) for n in range(1, units + 1)]
    evidence = []
    for i in range(1, items + 1):
        home = rng.randrange(1, units + 1)
        refs = [f"{unit_code(home)}.{o}"
                for o in rng.sample(range(1, outcomes + 1), min(outcomes, rng.randint(1, 3)))]
        if units > 1 and rng.random() < 0.2:
            other = rng.choice([n for n in range(1, units + 1) if n != home])
            refs.append(f"{unit_code(other)}.{rng.randint(1, outcomes)}")
        if units < PROGRAMME_UNITS and rng.random() < 0.03:  # a unit not claimed
            refs.append(f"{unit_code(rng.randint(units + 1, PROGRAMME_UNITS))}.1")
        type_ = rng.choice(accepted(home)) if rng.random() < 0.9 else rng.choice(TYPES)
        item: dict[str, Any] = {
            "id": f"e{i}",
            "type": type_,
            "outcomes": list(dict.fromkeys(refs)),
            "date": f"{rng.randint(2020, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "verified": rng.random() < 0.85,
            "organisation": rng.choice(ORGANISATIONS),
        }
        if rng.random() < 0.8:
            item["activity"] = f"leerlijn-{home}"
        if type_ == "werkplekproduct":
            item["uren"] = rng.randint(10, 200)
        evidence.append(item)
    return {"id": f"S{units}-{items}", "programme": "GEN", "form": "deeltijd",
            "date": "2025-11-03", "units": claimed, "assessment": "INT",
            "evidence": evidence, "activities": [f"leerlijn-{n}" for n in range(1, units + 1)]}


def best_time(fn: Callable[[], object], repeat: int, at_least: float = 0.2,
              clock: Callable[[], float] = time.process_time) -> float:
    """The best time of one call, over ``repeat`` rounds of enough calls to take
    ``at_least`` seconds (a round's mean). By default the process's CPU time: on a
    shared machine the time other processes take the CPU is not counted."""
    gc.collect()
    started = clock()
    fn()
    once = clock() - started
    calls = max(1, int(at_least / max(once, 1e-4)))
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = clock()
        for _ in range(calls):
            fn()
        best = min(best, (clock() - started) / calls)
    return best


def machine() -> list[str]:
    cpus = os.cpu_count() or 1
    lines = [f"python   {platform.python_implementation()} {platform.python_version()}",
             f"platform {platform.platform()} {platform.machine()}, {cpus} cpus"]
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()
        shared = "  -- the machine is shared/busy" if load[0] > 0.5 * cpus else ""
        lines.append(f"load     {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min){shared}")
    return lines


def bench_decide(items: list[int], units: list[int], outcomes: int, repeat: int,
                 seed: int) -> bool:
    """Print the decide table; True when the time per item stays about constant."""
    ruleset = luk_rules.loads(ruleset_text(PROGRAMME_UNITS, outcomes), name="generated.luk")
    print(f"\ndecide: a programme of {PROGRAMME_UNITS} units x {outcomes} outcomes and "
          f"{len(ruleset.ir.rules)} rules of its own; Ruleset.decide(case).to_dict() (every "
          f"finding rendered), CPU time, best of {repeat}")
    print(f"{'units':>5} {'items':>6} {'status':>12} {'findings':>8} {'ms/decision':>12} "
          f"{'µs/item':>8} {'µs/unit':>8}")
    linear = True
    per_item: dict[tuple[int, int], float] = {}
    for n_units in units:
        for n_items in items:
            case = submission(n_items, n_units, outcomes, seed)
            decision = ruleset.decide(case)
            seconds = best_time(lambda case=case: ruleset.decide(case).to_dict(), repeat)
            per_item[(n_units, n_items)] = seconds / n_items * 1e6
            print(f"{n_units:>5} {n_items:>6} {decision.status:>12} {len(decision.findings):>8} "
                  f"{seconds * 1e3:>12.2f} {seconds / n_items * 1e6:>8.1f} "
                  f"{seconds / n_units * 1e6:>8.0f}")
        sized = [n for n in items if n >= 100]
        if len(sized) >= 2:
            growth = per_item[(n_units, sized[-1])] / per_item[(n_units, sized[0])]
            ok = growth <= LINEAR_SLACK
            linear = linear and ok
            print(f"{'':>5} µs/item, {sized[-1]} items / {sized[0]} items: {growth:.2f}x "
                  f"({'linear' if ok else 'GROWS faster than the items'})")
    if len(units) >= 2:
        most = items[-1]
        growth = per_item[(units[-1], most)] / per_item[(units[0], most)]
        print(f"µs/item at {most} items, {units[-1]} units / {units[0]} unit(s): {growth:.2f}x")
    return linear


def bench_load(units: int, outcomes: int, repeat: int) -> bool:
    """Print the load times; True when loading takes under a second."""
    text = ruleset_text(units, outcomes)
    print(f"\nload: a ruleset of {units} units x {outcomes} outcomes = {units * outcomes} "
          f"outcomes, {units + 1} assessments, {len(text.splitlines())} lines; best of {repeat}")
    wall = time.perf_counter
    loads_wall = best_time(lambda: luk_rules.loads(text, name="generated.luk"), repeat, 0, wall)
    loads = best_time(lambda: luk_rules.loads(text, name="generated.luk"), repeat, 0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.luk"
        path.write_text(text, encoding="utf-8")
        load_wall = best_time(lambda: luk_rules.load(path), repeat, 0, wall)
        load = best_time(lambda: luk_rules.load(path), repeat, 0)
    analysis = pipeline.analyse_text(text, "generated.luk")
    analyse = best_time(lambda: pipeline.analyse_text(text, "generated.luk"), repeat, 0)
    compiled = pipeline.build(analysis)
    build = best_time(lambda: pipeline.build(analysis), repeat, 0)
    prepare = best_time(lambda: pipeline.prepare(compiled, "native"), repeat, 0)
    print(f"{'':<45}{'wall s':>8}{'CPU s':>8}")
    print(f"  luk_rules.loads(text){'':<22}{loads_wall:>8.3f}{loads:>8.3f}")
    print(f"  luk_rules.load(path){'':<23}{load_wall:>8.3f}{load:>8.3f}")
    print(f"    parse and checks (pipeline.analyse_text){'':<9}{analyse:>8.3f}")
    print(f"    lowering and compile (pipeline.build){'':<12}{build:>8.3f}")
    print(f"    engine code (pipeline.prepare){'':<19}{prepare:>8.3f}")
    ok = max(loads_wall, load_wall) < TARGET_LOAD_SECONDS
    print(f"  target under {TARGET_LOAD_SECONDS:g} s: {'met' if ok else 'MISSED'}")
    return ok


def profile(outcomes: int, items: int, units: int, seed: int) -> None:
    ruleset = luk_rules.loads(ruleset_text(PROGRAMME_UNITS, outcomes), name="generated.luk")
    case = submission(items, units, outcomes, seed)
    print(f"\ncProfile of one decision ({units} units, {items} items), top 20 by own time:")
    profiler = cProfile.Profile()
    profiler.enable()
    ruleset.decide(case).to_dict()
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats("tottime").print_stats(20)


def numbers(text: str) -> list[int]:
    return sorted(int(part) for part in text.split(","))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=numbers, default=[10, 100, 1000],
                        help="evidence items per submission (10,100,1000)")
    parser.add_argument("--units", type=numbers, default=[1, 5, 20],
                        help=f"claimed units, at most {PROGRAMME_UNITS} (1,5,20)")
    parser.add_argument("--outcomes", type=int, default=10, help="outcomes per unit (10)")
    parser.add_argument("--load-units", type=int, default=200,
                        help="units of the ruleset whose load is timed (200)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per timing, best kept (3)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (1)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one decision with the most items and units")
    args = parser.parse_args(argv)
    if (min(args.items) < 1 or min(args.units) < 1 or max(args.units) > PROGRAMME_UNITS
            or args.outcomes < 3 or args.load_units < 1 or args.repeat < 1):
        parser.error(f"--items, --units (at most {PROGRAMME_UNITS}), --load-units and "
                     "--repeat must be at least 1, --outcomes at least 3")
    print("luk_rules benchmark: decide and load as the submission and the ruleset grow")
    for line in machine():
        print(line)
    bench_decide(args.items, args.units, args.outcomes, args.repeat, args.seed)
    bench_load(args.load_units, args.outcomes, args.repeat)
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()
        print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.profile:
        profile(args.outcomes, max(args.items), max(args.units), args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
