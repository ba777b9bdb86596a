"""Generators for the fuzz suite (tests/test_fuzz.py), on top of tests/submission_strategies.py.

Like those, each generator is written once against the small ``Choices`` interface and
driven by hypothesis (shrinkable strategies) or by a seeded ``random.Random``:

- :func:`project_from`: a ruleset *project*, valid under the checks, reaching what the plain
  ruleset generator does not: an examination programme (required units, elective groups,
  diploma credits, entry requirements, results valid for, exemption grounds), the
  institution's own law regimes (``extends``, ``proposal`` with ``as if``, in the ruleset,
  beside it or in ``../law``), ``replaces`` (chains of two), and includes (nested, repeated).
- :func:`submission_for`, :func:`record_from`: valid submissions whose ``results`` aim at the
  entry requirements (met and unmet: expired results, exemptions on grounds not allowed or
  without a decision, results on the day they expire), and valid study records.
- :func:`bad_record_from`: a valid record broken in one place, with the JSON path of the fault.
- :func:`mangled_from`: a valid document's JSON bytes mangled (truncated, not UTF-8, huge
  numbers, deep nesting, control characters, lone surrogates).
- :func:`hostile_path_from`: a path for ``include``/``replaces`` built from hostile pieces
  (absolute paths, ``..``, symlinks out of the folder, loops, FIFOs, folders, huge files,
  NUL bytes, odd unicode, very long paths), for the files of :func:`hostile_workspace`.

Settings: :func:`fuzz_settings` gives the bounded, derandomized default run, or, with
``LUK_FUZZ_EXAMPLES=N`` in the environment (``make fuzz``), a randomized run of about N
examples per property.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
import os
import re
import signal
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import luk_rules
from luk_rules import ir

try:  # tests/ is a package when run with `python -m pytest`, a folder on sys.path otherwise
    from tests import submission_strategies as gen
except ImportError:  # pragma: no cover - depends on how pytest was started
    import submission_strategies as gen  # type: ignore[import-not-found, no-redef]

Choices = gen.Choices
_chance = gen._chance
_pick = gen._pick

# ------------------------------------------------------------------ settings

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
           HealthCheck.function_scoped_fixture]


def nightly_examples() -> int:
    """``LUK_FUZZ_EXAMPLES`` (0 when unset: the bounded default run)."""
    value = os.environ.get("LUK_FUZZ_EXAMPLES", "").strip()
    return int(value) if value.isdigit() else 0


def fuzz_settings(default: int, share: float = 1.0) -> settings:
    """Settings for a fuzz property: ``default`` examples, derandomized and without the example
    database (CI cannot flake); nightly (``LUK_FUZZ_EXAMPLES=N``) about ``N * share`` random
    examples, failures saved to the database and printed with a reproduction blob."""
    nightly = nightly_examples()
    if nightly:
        return settings(max_examples=max(default, int(nightly * share)), deadline=None,
                        suppress_health_check=_HEALTH, print_blob=True)
    return settings(max_examples=default, deadline=None, suppress_health_check=_HEALTH,
                    derandomize=True, database=None)


def scaled(default: int, share: float = 1.0) -> int:
    """A count of runs for a loop that is not a hypothesis property, scaled like
    :func:`fuzz_settings`."""
    nightly = nightly_examples()
    return max(default, int(nightly * share)) if nightly else default


@contextmanager
def hang_guard(seconds: float, what: str) -> Iterator[None]:
    """Fail with TimeoutError instead of hanging (a blocking ``open`` of a FIFO is interrupted:
    the handler raises). Main thread only, as pytest runs tests."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"{what}: still running after {seconds} s (a hang?)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def drawn(build: Any, *args: Any) -> st.SearchStrategy[Any]:
    """A hypothesis strategy from a generator written against ``Choices``."""

    @st.composite
    def draw(draw_: Any) -> Any:
        return build(gen._Drawn(draw_), *args)

    return draw()


# ------------------------------------------------------------------ ruleset projects

GROUNDS = ("eerdere-opleiding", "ervaringscertificaat", "buitenland", "topsport")
_OTHER_GROUNDS = ("eigen-inzicht", "Eerdere-opleiding", "mantelzorg")
_SHIPPED = ("whw", "experiment-leeruitkomsten", "wet-leeruitkomsten", "voltijd-uitbreiding")
_KINDS = (gen.OE, gen.EVL)


@attrs.frozen
class Project:
    """A generated ruleset with the files it reads: ``files[0]`` is the ruleset itself.

    Paths are relative to the project's folder; the ruleset lives in ``programme/``, law
    regimes of its own may live in ``law/`` (the ``../law`` of the language reference).
    ``features`` names what the project reaches (``exam``, ``entry``, ``replaces``, ...).
    """

    files: tuple[tuple[str, str], ...]
    features: frozenset[str]

    def write(self) -> Path:
        """Write the files under a temporary folder (once per content); the ruleset's path."""
        digest = hashlib.sha256(repr(self.files).encode("utf-8", "surrogatepass")).hexdigest()
        folder = _projects_dir() / digest[:20]
        for name, text in self.files:
            path = folder / name
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        return folder / self.files[0][0]

    def shown(self) -> str:
        """Every file with its name, for failure messages."""
        return "\n\n".join(f"# ---- {name}\n{text}" for name, text in self.files)


@functools.cache
def _projects_dir() -> Path:
    folder = tempfile.TemporaryDirectory(prefix="luk-fuzz-projects-")
    _KEEP.append(folder)
    return Path(folder.name)


_KEEP: list[Any] = []


@attrs.frozen
class _Shape:
    """What the plain generator wrote, read back from its text."""

    code: str
    units: tuple[tuple[str, int], ...]
    assessments: tuple[str, ...]
    types: tuple[str, ...]
    activities: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> _Shape:
        code = re.search(r"^programme (\S+)", text, re.M)
        assert code is not None, text
        units = tuple((m[1], int(m[2])) for m in re.finditer(
            r"^unit (\S+) .*\n  credits (\d+)", text, re.M))
        activities: set[str] = set()
        for m in re.finditer(r"recommended activity (.*)", text):
            activities.update(a.strip() for a in m[1].split(","))
        return cls(code[1], units, tuple(re.findall(r"^assessment (\S+)", text, re.M)),
                   tuple(re.findall(r"^evidence (?!field )(\S+)", text, re.M)),
                   tuple(sorted(activities)) or ("studio",))

    @property
    def decls(self) -> Any:
        return gen._Decls(tuple(u for u, _ in self.units), self.assessments, self.types,
                          self.activities)


def _age(c: Choices) -> str:
    """A validity: often short, so that results expire."""
    if _chance(c, 60):
        n = c.integer(1, 8)
        return f"{n} year{'s' if n != 1 else ''}"
    n = c.integer(1, 40)
    return f"{n} month{'s' if n != 1 else ''}"


def exam_text(c: Choices, shape: _Shape, features: set[str]) -> str:
    """An examination programme for these units that passes LUK036-LUK039."""
    codes = [u for u, _ in shape.units]
    credits = dict(shape.units)
    order = c.subset(codes, len(codes), len(codes))  # entry requirements follow this order
    lines, required, groups = gen.exam_head(c, codes, credits, 70)
    if groups:
        features.add("elective")
    diploma = None
    if _chance(c, 60):
        low = max(1, sum(credits[r] for r in required))
        diploma = c.integer(low, sum(credits.values()))
        lines.append(f"  diploma {diploma} credits")
        features.add("diploma")
    if len(order) >= 2 and _chance(c, 75):
        for _ in range(c.integer(1, 3)):
            i = c.integer(1, len(order) - 1)
            lines.append(f"  {order[i]} only after {', '.join(c.subset(order[:i], 1, 3))}")
            features.add("entry")
    if _chance(c, 65):
        lines.append(f"  results valid for {_age(c)}{_clause_basis(c, 3.2)}")
        features.add("validity")
    if _chance(c, 70):
        lines.append(f"  exemptions on grounds {', '.join(c.subset(GROUNDS, 1, 3))}"
                     f"{_clause_basis(c, 3.3)}")
        features.add("grounds")
        if _chance(c, 45):
            lines.append(f"  {gen.exemption_limit(c, diploma)}{_clause_basis(c, 3.4)}")
            features.add("exemption-limit")
    features.add("exam")
    return "\n".join(lines)


def _clause_basis(c: Choices, article: float) -> str:
    """Often a clause's own basis."""
    return f'\n    basis "OER art. {article}"' if _chance(c, 40) else ""


def _period(c: Choices) -> str:
    match c.integer(0, 3):
        case 0:
            return "in force always"
        case 1:
            return f"in force from {gen._rule_date(c)}"
        case 2:
            start = c.date(dt.date(2015, 1, 1), dt.date(2027, 6, 30))
            end = c.date(start, dt.date(2027, 12, 31))
            return f"in force from {start.isoformat()} until {end.isoformat()}"
        case _:
            return "proposal"


def regime_text(c: Choices, name: str, extends: str | None, shape: _Shape,
                forms: Sequence[str]) -> str:
    """An institution's own regime: a period, maybe ``extends``, permits and allows."""
    period = _period(c)
    lines = [f'regime {name} "Eigen regeling {name}"', f"  {period}"]
    if extends:
        lines.append(f"  extends {extends}")
    lines.append(f'  basis "Regeling {name}"')
    for i in range(c.integer(0, 2)):
        when = f"\n    when {gen.condition_text(c, shape.decls)}" if _chance(c, 60) else ""
        lines.append(f"  permit {_pick(c, _KINDS)}\n    for {', '.join(c.subset(forms, 1, 3))}"
                     f"{when}\n    basis \"Regeling {name} art. {i + 1}\"")
    for i in range(c.integer(0, 2)):
        when = f"\n    when {gen.condition_text(c, shape.decls)}" if _chance(c, 60) else ""
        combinations = ", ".join(c.subset(("A", "B", "C", "D"), 1, 4))
        kinds = ", ".join(c.subset(_KINDS, 1, 2))
        lines.append(f"  allow combination {combinations}\n    for {kinds}{when}\n"
                     f"    basis \"Regeling {name} art. {i + 3}\"")
    return "\n".join(lines)


def _extra_units(c: Choices, shape: _Shape, count: int) -> list[str]:
    """Course units (permitted by the whw in every form) with an assessment of their own."""
    units = [f"{shape.code}-X{i + 1}" for i in range(count)]
    blocks = [f'unit {u} "Extra eenheid {u}"\n  credits {c.integer(1, 30)}\n'
              f"  kind {gen.OE}\n  outcome 1 \"Leeruitkomst 1 van {u}\"\n"
              f"  accepts {', '.join(c.subset(shape.types, 1, 2))}" for u in units]
    blocks.append(f'assessment {shape.code}-TX "Toets extra"\n  {_pick(c, ("exam", "portfolio"))}'
                  f"\n  path-dependent\n  assesses {', '.join(units)}")
    return blocks


def _recode(text: str, code: str) -> str:
    old = _Shape.of(text).code
    return re.sub(rf"\b{re.escape(old)}\b", code, text)


def _ruleset(c: Choices, files: dict[str, str], features: set[str], prefix: str,
             code: str | None, depth: int) -> str:
    """One ruleset of a project (its text); what it reads goes into ``files``."""
    text = gen.ruleset_text_from(c)
    if code is not None:
        text = _recode(text, code)
    shape = _Shape.of(text)
    # The base generator may write an exam programme too: this one writes its own.
    blocks = [b for b in text.split("\n\n")
              if b.strip() and not b.lstrip().startswith("examination programme")]
    if len(shape.units) < 3 and _chance(c, 70):  # room for entry requirements
        blocks += _extra_units(c, shape, 3 - len(shape.units))
        shape = _Shape.of("\n\n".join(blocks))
    programme = blocks[0].split("\n")
    forms = [f.strip() for f in programme[2].removeprefix("  form ").split(",")]
    under = next(i for i, line in enumerate(programme) if line.startswith("  under "))

    if _chance(c, 70):
        blocks.append(exam_text(c, shape, features))

    if _chance(c, 40):  # the institution's own regimes
        names = [f"{prefix}regeling", f"{prefix}basisregeling"][: 1 if _chance(c, 35) else 2]
        placed = 2
        for i, name in enumerate(names):
            base = names[i + 1] if i + 1 < len(names) and _chance(c, 70) else None
            extends = base or (_pick(c, _SHIPPED) if _chance(c, 80) else None)
            regime = regime_text(c, name, extends, shape, forms)
            features.add("own-regime")
            if extends:
                features.add("extends-own" if extends in names else "extends")
            if i == 0 or _chance(c, 60):  # the base of another needs no place in `under`
                programme[under] += f", {name}"
                if "proposal" in regime.split("\n")[1] and _chance(c, 70):
                    start = c.date(dt.date(2016, 1, 1), dt.date(2027, 12, 31)).isoformat()
                    programme.insert(under + 1, f"  as if {name} in force from {start}")
                    features.add("as-if-own")
            where = c.integer(0, 2)
            if i > 0 and placed == 0 and where == 1:  # a law file finds no base beside the
                where = 0                             # ruleset, only in the law folder
            placed = where
            if where == 0:
                files[f"law/{name}.luk"] = regime + "\n"
                features.add("regime-in-law")
            elif where == 1:
                files[f"programme/{name}.luk"] = regime + "\n"
                features.add("regime-beside")
            else:
                blocks.append(regime)
    if any(line.startswith("  as if voltijd-uitbreiding") for line in programme):
        features.add("as-if")

    if depth < 2 and _chance(c, 30 if depth == 0 else 25):
        earlier = f"{prefix}vorige.luk"
        files[f"programme/{earlier}"] = _ruleset(c, files, features, prefix + "v", shape.code,
                                                 depth + 1)
        date = c.date(dt.date(2016, 1, 1), dt.date(2027, 12, 31)).isoformat()
        programme.insert(under + 1, f'  replaces "{earlier}" from {date}')
        features.add("replaces" if depth == 0 else "replaces-chain")

    blocks[0] = "\n".join(programme)
    head: list[str] = []
    if len(blocks) > 2 and _chance(c, 30):  # some declarations from included files
        moved = c.subset(range(1, len(blocks)), 1, len(blocks) - 1)
        shared = f"{prefix}gedeeld.luk"
        inner = [blocks[i] for i in sorted(moved)]
        if len(inner) > 1 and _chance(c, 40):
            more = f"{prefix}meer.luk"
            files[f"programme/{more}"] = "\n\n".join(inner[1:]) + "\n"
            inner = [f'include "{_pick(c, (more, "./" + more))}"', inner[0]]
            features.add("nested-include")
        files[f"programme/{shared}"] = "\n\n".join(inner) + "\n"
        blocks = [b for i, b in enumerate(blocks) if i not in moved]
        head.append(f'include "{_pick(c, (shared, "./" + shared, "x/../" + shared))}"')
        if _chance(c, 20):
            head.append(f'include "{shared}"')  # read once
        features.add("include")
    return "\n\n".join([*head, *blocks]) + "\n"


def project_from(c: Choices) -> Project:
    """A generated ruleset project that passes the checks."""
    files: dict[str, str] = {}
    features: set[str] = set()
    main = _ruleset(c, files, features, "", None, 0)
    return Project((("programme/gegenereerd.luk", main), *sorted(files.items())),
                   frozenset(features))


def projects() -> st.SearchStrategy[Project]:
    """Generated ruleset projects (see :func:`project_from`)."""
    return drawn(project_from)


@functools.lru_cache(maxsize=64)
def _load(path: Path, engine: str) -> luk_rules.Ruleset:
    return luk_rules.load(path, engine=engine)


def load_project(project: Project, engine: str = "native") -> luk_rules.Ruleset:
    """Load a project; one that fails the checks is a generator bug, shown in full."""
    path = project.write()
    try:
        return _load(path, engine)
    except luk_rules.EngineUnavailable:
        raise
    except luk_rules.RulesetError as exc:
        from luk_rules.diagnostics import render_text

        shown = "\n\n".join(render_text(d, exc.sources) for d in exc.diagnostics)
        raise AssertionError(f"generated project does not load:\n{shown}\n\n"
                             f"{project.shown()}") from None


# ------------------------------------------------------------------ results, submissions, records


def _minus(on: dt.date, years: int, months: int) -> dt.date:
    """``on`` moved back by years and months (the day clamped to the month's last)."""
    month = on.year * 12 + on.month - 1 - years * 12 - months
    year, month = divmod(month, 12)
    for day in (on.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def result_date(c: Choices, on: dt.date, validity: ir.MaxAge | None, features: set[str]
                ) -> dt.date:
    """A result's date on or before ``on``: recent, expired, or right at the expiry."""
    earliest = dt.date(2005, 1, 1)
    if validity is not None and _chance(c, 55):
        cutoff = _minus(on, validity.years, validity.months)
        pick = c.integer(0, 3)
        if pick == 0:  # on the boundary: still counts, or a day too old
            date = cutoff + dt.timedelta(days=c.integer(-1, 1))
            features.add("result-at-expiry")
        elif pick == 1:
            date = c.date(max(earliest, min(on, cutoff - dt.timedelta(days=3000))),
                          max(earliest, min(on, cutoff - dt.timedelta(days=2))))
            features.add("result-expired")
        else:
            date = c.date(max(earliest, min(on, cutoff + dt.timedelta(days=2))), on)
        return min(max(date, earliest), on)
    return c.date(max(earliest, min(on, on - dt.timedelta(days=9 * 366))), on)


def result_for(c: Choices, unit: str, on: dt.date, exam: ir.ExamProgramme | None,
               features: set[str]) -> dict[str, Any]:
    """A valid result for ``unit`` (passed or exempted) dated on or before ``on``; sometimes
    with its validity extended (see :func:`extension_for`)."""
    result = _plain_result(c, unit, on, exam, features)
    if _chance(c, 20):
        result["extended"] = extension_for(c, dt.date.fromisoformat(result["date"]), on,
                                           features)
    return result


def extension_for(c: Choices, date: dt.date, on: dt.date, features: set[str]
                  ) -> dict[str, Any]:
    """The exam committee's extension of a result of ``date``, judged on ``on``: until that
    very day, later, or run out before it (never before the result's date)."""
    pick = c.integer(0, 2)
    if pick == 0 or date >= on:
        until = on
        features.add("extended-to-the-date")
    elif pick == 1:
        until = on + dt.timedelta(days=c.integer(1, 800))
    else:
        until = c.date(date, on - dt.timedelta(days=1))
        features.add("extension-ran-out")
    extension: dict[str, Any] = {"until": until.isoformat(),
                                 "decision": f"EC-{c.integer(2015, 2027)}-{c.integer(1, 999)}"}
    if _chance(c, 60):
        extension["by"] = _pick(c, ("examencommissie", "EC Bouwkunde"))
    return extension


def _plain_result(c: Choices, unit: str, on: dt.date, exam: ir.ExamProgramme | None,
                  features: set[str]) -> dict[str, Any]:
    validity = exam.validity if exam is not None else None
    result: dict[str, Any] = {"unit": unit,
                              "date": result_date(c, on, validity, features).isoformat()}
    how = c.integer(0, 5)  # 0, 3: passed; 1: no decision; 2, 5: grounds not allowed, none
    if how in (0, 3):
        if how == 3:
            result["how"] = "passed"
        return result
    result["how"] = "exempted"
    allowed = exam.grounds if exam is not None and exam.grounds else GROUNDS
    if how == 2:
        result["grounds"] = _pick(c, _OTHER_GROUNDS)
        features.add("grounds-not-allowed")
    elif how == 5:
        features.add("grounds-missing")
    else:
        result["grounds"] = _pick(c, allowed)
    if _chance(c, 80):
        result["by"] = _pick(c, ("examencommissie", "EC Bouwkunde"))
    elif _chance(c, 30):
        result["by"] = None
    if how != 1:
        result["decision"] = f"EC-{c.integer(2015, 2027)}-{c.integer(1, 999)}"
    else:
        features.add("exemption-without-decision")
    return result


def counting_result(c: Choices, unit: str, on: dt.date, exam: ir.ExamProgramme | None
                    ) -> dict[str, Any]:
    """A result that counts on ``on``: a recent pass, or an allowed exemption with a
    decision."""
    earliest = on - dt.timedelta(days=150)
    result: dict[str, Any] = {"unit": unit, "date": c.date(earliest, on).isoformat()}
    if exam is not None and exam.grounds and _chance(c, 30):
        result.update(how="exempted", by="examencommissie", grounds=_pick(c, exam.grounds),
                      decision="EC-2025-1")
    return result


def submission_for(c: Choices, ruleset: luk_rules.Ruleset, v: gen.Vocabulary,
                   features: set[str]) -> dict[str, Any]:
    """A valid submission; when the ruleset deciding it has entry requirements, it often
    claims the unit they guard, with results for the units it waits for."""
    sub = gen.submission_from(c, v)
    on = dt.date.fromisoformat(sub["date"])
    chosen = ruleset.for_date(on)
    if chosen is not ruleset:
        features.add("decided-by-predecessor")
    exam = chosen.ir.exam
    if exam is not None and exam.entry and _chance(c, 70):
        entry = _pick(c, exam.entry)
        others = [u for u in sub["units"] if u != entry.unit]
        sub["units"] = [entry.unit, *others[: c.integer(0, len(others))]]
        covering = [a.name for a in chosen.ir.assessments if entry.unit in a.units]
        if covering and _chance(c, 85):
            sub["assessment"] = _pick(c, covering)
        if _chance(c, 35):  # every unit it waits for completed
            sub["results"] = [counting_result(c, u, on, exam) for u in entry.after]
        else:
            targets = [u for u in entry.after if _chance(c, 85)]
            extra = [u.code for u in chosen.ir.units if u.code not in targets
                     and _chance(c, 10)]
            sub["results"] = [result_for(c, u, on, exam, features)
                              for u in [*targets, *extra]]
        features.add("claims-entry-unit")
    elif exam is not None and _chance(c, 25):
        units = c.subset([u.code for u in chosen.ir.units], 0, 3)
        sub["results"] = [result_for(c, u, on, exam, features) for u in units]
    return sub


def submissions_for(ruleset: luk_rules.Ruleset, features: set[str] | None = None
                    ) -> st.SearchStrategy[dict[str, Any]]:
    """Valid submissions for a loaded ruleset (see :func:`submission_for`)."""
    vocabulary = gen.Vocabulary.of(ruleset.ir)
    return drawn(submission_for, ruleset, vocabulary, set() if features is None else features)


def record_from(c: Choices, ruleset: luk_rules.Ruleset, v: gen.Vocabulary,
                features: set[str]) -> dict[str, Any]:
    """A valid study record for the ruleset that audits it on its date: results of its units,
    none dated after the record, passed or exempted (by, grounds, decision)."""
    on = gen._submission_date(c, v)
    here = v.on(on)
    chosen = ruleset.for_date(on)
    exam = chosen.ir.exam
    codes = [u.code for u in chosen.ir.units]
    if _chance(c, 25):  # everything completed: complete unless an elective or credits fall short
        results = [counting_result(c, u, on, exam) for u in codes]
    else:
        units = c.subset(codes, 0 if _chance(c, 10) else 1, len(codes))
        results = [result_for(c, u, on, exam, features) for u in units]
    return {
        "id": _pick(c, ("R1", "ICT-2026-0042", "dossier_7")),
        "programme": here.programme,
        "form": _pick(c, here.forms),
        "date": on.isoformat(),
        "results": results,
    }


def records_for(ruleset: luk_rules.Ruleset, features: set[str] | None = None
                ) -> st.SearchStrategy[dict[str, Any]]:
    """Valid study records for a loaded ruleset (see :func:`record_from`)."""
    vocabulary = gen.Vocabulary.of(ruleset.ir)
    return drawn(record_from, ruleset, vocabulary, set() if features is None else features)


# ------------------------------------------------------------------ bad records

Broken = gen.Broken
_BAD_NAMES = ("", " ", "x ", " x", "a\nb", "a\u2028b", "\x1b[2J", "a\x00b", "\ud800", "x\udfff",
              "\u0085", "\x7f")


def _record_places(rec: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    places: list[tuple[tuple[str | int, ...], str]] = [
        (("id",), "str"), (("programme",), "str"), (("form",), "form"), (("date",), "date"),
        (("results",), "list")]
    for i, result in enumerate(rec["results"]):
        places += [(("results", i), "object"), (("results", i, "unit"), "str"),
                   (("results", i, "date"), "date")]
        if "how" in result:
            places.append((("results", i, "how"), "how"))
        places += [(("results", i, k), "optstr") for k in ("by", "grounds", "decision")
                   if k in result]
        if "extended" in result:
            places += [(("results", i, "extended"), "optobject"),
                       (("results", i, "extended", "until"), "date"),
                       (("results", i, "extended", "decision"), "str")]
            if "by" in result["extended"]:
                places.append((("results", i, "extended", "by"), "optstr"))
    return places


def _not_a(c: Choices, kind: str) -> Any:
    wrong: dict[str, tuple[Any, ...]] = {
        "str": (7, None, [], {}, True, 2.5, ["x"]),
        "optstr": (7, [], {}, False, -1e300, ["x"]),
        "form": (7, None, [], True, "Deeltijd", "part-time"),
        "date": (20250301, None, [], True, "2025-02-30", "2025-3-1", "2025-03-01T00:00"),
        "how": (True, None, 1, "Passed", "exempt", "vrijgesteld", ""),
        "list": ("x", 7, None, {}, True, {"0": {}}),
        "object": ("x", 7, None, [], True, [["unit"]]),
        "optobject": ("x", 7, [], True, [["unit"]]),
    }
    return copy.deepcopy(_pick(c, wrong[kind]))


def bad_record_from(c: Choices, ruleset: luk_rules.Ruleset, v: gen.Vocabulary) -> Broken:
    """A valid record broken in one place, with the JSON path where a problem must be."""
    rec = record_from(c, ruleset, v, set())
    on = dt.date.fromisoformat(rec["date"])
    chosen = ruleset.for_date(on).ir
    if not rec["results"]:
        rec["results"].append(result_for(c, chosen.units[0].code, on, chosen.exam, set()))
    results = rec["results"]
    i = c.integer(0, len(results) - 1)
    render = gen.render_path
    extended = [j for j, r in enumerate(results) if "extended" in r]
    match c.integer(0, 15):
        case 0:  # a required field dropped
            path = _pick(c, [("id",), ("programme",), ("form",), ("date",), ("results",),
                             ("results", i, "unit"), ("results", i, "date"),
                             *(("results", j, "extended", k) for j in extended
                                for k in ("until", "decision"))])
            del gen._get(rec, path[:-1])[path[-1]]
            return Broken(rec, render(path), "a required field dropped")
        case 1:  # an unknown field
            where: tuple[str | int, ...] = _pick(c, [(), ("results", i)])
            key = _pick(c, ("colour", "Unit", "grade", "results_", "a b", "\x00"))
            gen._get(rec, where)[key] = gen._junk(c, c.integer(0, 3))
            shown = render((*where, key)) if re.fullmatch(r"[A-Za-z_][\w-]*", key) else \
                render(where)
            return Broken(rec, shown, "an unknown field")
        case 2 | 3:  # a value of the wrong JSON type (or an enum value it does not know)
            path, kind = _pick(c, _record_places(rec))
            gen._set(rec, path, _not_a(c, kind))
            return Broken(rec, render(path), f"not a {kind}")
        case 4:  # a name the schema refuses (spaces, control characters, lone surrogates)
            path, _ = _pick(c, [p for p in _record_places(rec) if p[1] in ("str", "optstr")])
            gen._set(rec, path, _pick(c, _BAD_NAMES))
            return Broken(rec, render(path), "a name the schema refuses")
        case 5:  # a string that is no date
            path, _ = _pick(c, [p for p in _record_places(rec) if p[1] == "date"])
            gen._set(rec, path, _pick(c, gen._BAD_DATES))
            return Broken(rec, render(path), "no date")
        case 6:  # an unknown unit
            results[i]["unit"] += _pick(c, ("X", "-9", "zz"))
            return Broken(rec, f"$.results[{i}].unit", "an unknown unit", structural=False)
        case 7:  # another programme
            rec["programme"] += "X"
            return Broken(rec, "$.programme", "another programme", structural=False)
        case 8 if len(v.on(on).forms) < len(gen.FORMS):  # a form not offered
            rec["form"] = _pick(c, [f for f in gen.FORMS if f not in v.on(on).forms])
            return Broken(rec, "$.form", "a form not offered", structural=False)
        case 9:  # a unit with two results
            results.append(copy.deepcopy(results[i]))
            return Broken(rec, f"$.results[{len(results) - 1}].unit", "a unit twice",
                          structural=False)
        case 10:  # a result after the record's date
            later = on + dt.timedelta(days=c.integer(1, 4000))
            if later.year > 9999:  # pragma: no cover - record dates end in 2027
                later = dt.date(9999, 12, 31)
            results[i]["date"] = later.isoformat()
            return Broken(rec, f"$.results[{i}].date", "a result after the record date",
                          structural=False)
        case 11:  # a pass with exemption fields
            results[i] = {"unit": results[i]["unit"], "date": results[i]["date"],
                          _pick(c, ("grounds", "by", "decision")): "eerdere-opleiding"}
            if _chance(c, 50):
                results[i]["how"] = "passed"
            return Broken(rec, f"$.results[{i}].how", "a pass with exemption fields",
                          structural=False)
        case 12:  # the document is no object
            document = copy.deepcopy(_pick(c, ([], [rec], "R1", None, 3, True, 1.5)))
            return Broken(document, "$", "no object")
        case 13:  # deeply nested junk in place of a value
            path, _ = _pick(c, _record_places(rec))
            gen._set(rec, path, gen._junk(c, c.integer(5, 80)))
            return Broken(rec, render(path), "deeply nested junk")
        case 14 if extended:  # an extension until before the result's date
            j = _pick(c, extended)
            date = dt.date.fromisoformat(results[j]["date"])
            before = date - dt.timedelta(days=c.integer(1, 400))
            results[j]["extended"]["until"] = before.isoformat()
            return Broken(rec, f"$.results[{j}].extended.until",
                          "an extension until before the result", structural=False)
        case _:  # results as an object or a key that is no string
            if _chance(c, 50):
                rec["results"] = {str(k): r for k, r in enumerate(results)}
                return Broken(rec, "$.results", "results as an object")
            rec[_pick(c, (1, None, 2.5, ("t",)))] = "x"  # only through the API
            return Broken(rec, "$", "a key that is no string")


def bad_records(ruleset: luk_rules.Ruleset) -> st.SearchStrategy[Broken]:
    """Invalid records for a loaded ruleset, each with the JSON path of its fault."""
    return drawn(bad_record_from, ruleset, gen.Vocabulary.of(ruleset.ir))


# ------------------------------------------------------------------ mangled bytes


@attrs.frozen
class Mangled:
    """A valid document's JSON bytes mangled: how (``kind``, in detail ``what``), and whether
    no valid document can result (``must_fail``)."""

    data: bytes
    what: str
    must_fail: bool
    kind: str = ""


_SENTINEL = "\u0001LUK-FUZZ-SENTINEL\u0001"
_RAW_VALUES: tuple[tuple[bytes, str, bool], ...] = (  # (token, what, must fail)
    (b"1" * 5000, "a number of 5,000 digits", True),
    (b"-" + b"9" * 400, "a long negative number", True),
    (b"1e999999", "a number out of range", True),
    (b"1" * 20 + b"." + b"5" * 20 + b"e-99999", "a tiny fraction", True),
    (b"NaN", "NaN", True),
    (b"-Infinity", "-Infinity", True),
    (b"[" * 50_000 + b"]" * 50_000, "lists nested 50,000 deep", True),
    (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "objects nested 20,000 deep", True),
    (b'"\\ud800"', "an escaped lone surrogate", True),
    (b'"x\\udfffy"', "an escaped lone low surrogate", True),
    (b'"a\\u0000b"', "an escaped NUL", True),
    (b'"\\u001b[2J"', "an escaped escape sequence", True),
    (b'"a\x01b"', "a raw control character in a string", True),
    (b'"a\nb"', "a raw line break in a string", True),
    (b'"\xed\xa0\x80"', "a UTF-8 encoded surrogate", True),
    (b'"\xc0\xaf"', "an overlong UTF-8 sequence", True),
    (b'"' + b"x" * 100_000 + b'"', "a string of 100,000 characters", False),
    (b"true", "true", False),
    (b"null", "null", False),
)
_BAD_BYTES = (b"\xff", b"\xfe", b"\x80", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf",
              b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\xf4\x90\x80\x80")


def _value_paths(doc: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place below the document (not the document itself)."""
    found: list[tuple[str | int, ...]] = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(
        doc, list) else ()
    for key, value in items:
        found.append((*path, key))
        found += _value_paths(value, (*path, key))
    return found


def mangled_from(c: Choices, document: dict[str, Any], case: int | None = None,
                 raw: int | None = None) -> Mangled:
    """The JSON bytes of a valid ``document`` (a submission or record), mangled; ``case``
    (0-8) and ``raw`` (an index of the raw tokens) choose how, when given."""
    data = json.dumps(document, ensure_ascii=_chance(c, 50)).encode("utf-8")
    match c.integer(0, 8) if case is None else case:
        case 0:  # cut short (by one byte when drawn simplest)
            n = len(data) - 1 - c.integer(0, len(data) - 1)
            return Mangled(data[:n], f"truncated to {n} bytes", True, "truncated")
        case 1:  # not UTF-8
            at = c.integer(0, len(data))
            bad = _pick(c, _BAD_BYTES)
            return Mangled(data[:at] + bad + data[at:], f"{bad!r} inserted at {at}", True,
                           "not UTF-8")
        case 2 | 3:  # a raw token in place of a value
            doc = copy.deepcopy(document)
            path = _pick(c, _value_paths(doc))
            token, what, must_fail = _pick(c, _RAW_VALUES) if raw is None else _RAW_VALUES[raw]
            gen._set(doc, path, _SENTINEL)
            text = json.dumps(doc).encode("utf-8")
            sentinel = json.dumps(_SENTINEL).encode("utf-8")
            return Mangled(text.replace(sentinel, token), f"{what} at {gen.render_path(path)}",
                           must_fail, what)
        case 4:  # a raw control character somewhere
            at = c.integer(0, len(data))
            char = bytes([_pick(c, (0, 1, 8, 9, 10, 13, 27, 31, 127))])
            return Mangled(data[:at] + char + data[at:], f"byte {char!r} at {at}",
                           char not in (b"\t", b"\n", b"\r"), "a raw control byte")
        case 5:  # nested in lists
            depth = _pick(c, (1, 2, 999, 100_000))
            return Mangled(b"[" * depth + data + b"]" * depth, f"inside {depth} lists", True,
                           "the document inside lists")
        case 6:  # another encoding, a byte order mark, or nothing
            variant = c.integer(0, 3)
            if variant == 0:
                return Mangled(data.decode("utf-8").encode("utf-16"), "UTF-16", True, "UTF-16")
            if variant == 1:
                return Mangled(b"\xef\xbb\xbf" + data, "a byte order mark first", False,
                               "a byte order mark")
            if variant == 2:
                return Mangled(_pick(c, (b"", b" \n\t", b"\xef\xbb\xbf")), "empty", True, "empty")
            return Mangled(data + b"\x00", "a NUL after the document", True, "a NUL after it")
        case 7:  # flip bytes (may still be valid)
            out = bytearray(data)
            for _ in range(c.integer(1, 3)):
                out[c.integer(0, len(out) - 1)] = c.integer(0, 255)
            return Mangled(bytes(out), "bytes flipped", False, "bytes flipped")
        case _:  # two documents, or trailing junk
            junk = _pick(c, (b"{}", b",", b"]", b"}", b" x", data))
            return Mangled(data + junk, f"{junk[:10]!r} after the document", True,
                           "junk after it")


def mangled(document: dict[str, Any]) -> st.SearchStrategy[Mangled]:
    """Mangled JSON bytes of a valid document."""
    return drawn(mangled_from, document)


# ------------------------------------------------------------------ hostile paths

SECRET = "LUK-FUZZ-SECRET-7f3a9c"
"""Written into every file outside the ruleset's folder (and into the refused inside ones):
it must never appear in a diagnostic, a message or ``RulesetError.sources``."""

_MINI = """\
programme VP "Voorbeeld"
  level hbo-bachelor
  form deeltijd
  institution "Hogeschool Voorbeeld"
  under {under}
{replaces}  opted in 2025-01-01
  units are eenheid-van-leeruitkomsten

evidence beroepsproduct "Beroepsproduct"

unit VP-A "Eenheid A"
  credits 5
  outcome 1 "Doet iets"
  accepts beroepsproduct
  recommended activity a-lijn

assessment VP-A-CGI "Criteriumgericht interview"
  portfolio
  path-independent
  assesses VP-A
"""


def mini_ruleset(*, includes: Sequence[str] = (), replaces: str | None = None,
                 regimes: Sequence[str] = ()) -> tuple[str, list[tuple[int, int]]]:
    """A small valid ruleset with these include paths, ``replaces`` path and extra regimes
    (paths as written in a quoted text, i.e. escaped); and where each of them stands (line,
    column), includes first, then ``replaces``, then the regimes."""
    head = "".join(f'include "{p}"\n' for p in includes)
    under = ", ".join(("whw", "wet-leeruitkomsten", *regimes))
    clause = f'  replaces "{replaces}" from 2025-06-01\n' if replaces is not None else ""
    text = head + _MINI.format(under=under, replaces=clause)
    sites = [(i + 1, 9) for i in range(len(includes))]
    lines = text.split("\n")
    if replaces is not None:
        line = next(i for i, t in enumerate(lines) if t.startswith("  replaces "))
        sites.append((line + 1, 12))
    under_line = next(i for i, t in enumerate(lines) if t.startswith("  under "))
    column = 9 + len("whw, wet-leeruitkomsten, ")
    for name in regimes:
        sites.append((under_line + 1, column))
        column += len(name) + 2
    return text, sites


@attrs.frozen
class HostileWorkspace:
    """Folders for hostile paths: ``programme/`` (where the ruleset goes) holds symlinks out,
    loops, a FIFO, a folder, a huge file, a file that is not UTF-8; ``secret/`` beside it
    (outside) holds files with :data:`SECRET`."""

    base: Path

    @property
    def programme(self) -> Path:
        return self.base / "programme"

    @property
    def secret_file(self) -> Path:
        return self.base / "secret" / "units.luk"


@functools.cache
def hostile_workspace() -> HostileWorkspace:
    """The hostile folders, made once per test process."""
    folder = tempfile.TemporaryDirectory(prefix="luk-fuzz-hostile-")
    _KEEP.append(folder)
    base = Path(folder.name)
    secret = base / "secret"
    secret.mkdir()
    for name in ("units.luk", "passwd", "whw.luk", "link-out.luk"):
        (secret / name).write_text(_SECRET_TEXT, encoding="utf-8")
    (base / "units.luk").write_text(_SECRET_TEXT, encoding="utf-8")
    populate(base / "programme", secret)
    return HostileWorkspace(base)


_SECRET_TEXT = f'evidence geheim "{SECRET}"\n# {SECRET}\n'


def populate(programme: Path, secret: Path) -> None:
    """Make the hostile files of a ruleset's folder ``programme`` (see :data:`_TARGETS`)."""
    programme.mkdir()
    (programme / "link-out.luk").symlink_to(secret / "units.luk")
    (programme / "link-rel.luk").symlink_to(Path("..") / "secret" / "units.luk")
    (programme / "link-dir").symlink_to(secret)
    (programme / "link-abs.luk").symlink_to("/etc/passwd")
    (programme / "link-proc.luk").symlink_to("/proc/self/environ")
    (programme / "loop-a.luk").symlink_to(programme / "loop-b.luk")
    (programme / "loop-b.luk").symlink_to(programme / "loop-a.luk")
    (programme / "self-loop.luk").symlink_to("self-loop.luk")
    (programme / "dangling.luk").symlink_to(programme / "nowhere.luk")
    os.mkfifo(programme / "fifo.luk")
    (programme / "link-fifo.luk").symlink_to("fifo.luk")
    (programme / "folder.luk").mkdir()
    (programme / "huge.luk").write_text(_SECRET_TEXT + "# " + "x" * (1 << 20) + "\n",
                                        encoding="utf-8")
    (programme / "latin1.luk").write_bytes(_SECRET_TEXT.encode() + b"# caf\xe9\n")


@attrs.frozen
class HostilePath:
    """A path as written in a ruleset (``value``), and what makes it hostile (``kinds``)."""

    value: str
    kinds: frozenset[str]

    @property
    def written(self) -> str:
        """The path escaped for a quoted text."""
        return (self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                .replace("\t", "\\t"))

    @property
    def in_a_file(self) -> bool:
        """Whether it can be written to a UTF-8 file (no lone surrogate)."""
        try:
            self.value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True


_TARGETS = {  # hostile files in programme/, by what makes them hostile
    "link-out.luk": "symlink-out", "link-rel.luk": "symlink-out",
    "link-dir/units.luk": "symlink-dir-out", "link-dir/passwd": "symlink-dir-out",
    "link-abs.luk": "symlink-out", "link-proc.luk": "symlink-out",
    "loop-a.luk": "symlink-loop", "self-loop.luk": "symlink-loop",
    "dangling.luk": "dangling-symlink", "fifo.luk": "fifo", "link-fifo.luk": "fifo",
    "folder.luk": "directory", ".": "directory", "": "directory", "link-dir": "directory",
    "huge.luk": "too-large", "latin1.luk": "not-utf8", "missing.luk": "missing",
}
_ABSOLUTE = {
    "/etc/passwd": "absolute", "/etc/shadow": "absolute", "/etc": "absolute",
    "/": "absolute", "/dev/zero": "device", "/dev/stdin": "device", "/dev/tty": "device",
    "/dev/urandom": "device", "/proc/self/environ": "proc", "/proc/self/fd/0": "proc",
    "/proc/self/mem": "proc", "/sys/kernel/notes": "proc",
}
_OUTSIDE = ("secret/units.luk", "secret/passwd", "units.luk", "etc/passwd", "secret",
            "secret/whw.luk")
_ODD = {"\x00": "nul", "\u202e": "unicode", "\ufeff": "unicode", "e\u0301": "unicode",
        "\U0001f600": "unicode", "\u2028": "unicode", chr(0xD800): "surrogate",
        chr(0xDCFF): "surrogate", "\x1b[2J": "control", "\r": "control", "\n": "control",
        "\t": "control", "%2e%2e": "encoded", "~": "encoded", "$HOME": "encoded",
        '"': "quote", "\\": "backslash", " ": "space"}


def hostile_path_from(c: Choices, workspace: HostileWorkspace) -> HostilePath:
    """A path that must be refused when written in ``workspace.programme``: it leads outside
    the folder, to something that is no regular UTF-8 file of bounded size, or nowhere."""
    kinds: set[str] = set()
    match c.integer(0, 5):
        case 0 | 1:  # a hostile file in the folder, maybe through a detour
            target = _pick(c, sorted(_TARGETS))
            kinds.add(_TARGETS[target])
            detour = _pick(c, ("", "", "./", "folder.luk/../", ".//", "link-dir/../",
                               "x/../", "../programme/"))
            if detour:
                kinds.add("detour")
            value = detour + target
        case 2:  # an absolute path
            target = _pick(c, sorted(_ABSOLUTE))
            kinds.add(_ABSOLUTE[target])
            value = target.replace("/", _pick(c, ("/", "//", "/./")), c.integer(0, 2))
            if _chance(c, 30):
                value = "/" + "../" * c.integer(1, 5) + value.lstrip("/")
        case 3:  # .. out of the folder
            value = "../" * c.integer(1, 12) + _pick(c, _OUTSIDE)
            kinds.add("dot-dot")
        case 4:  # the outside file by its absolute path
            value = str(workspace.secret_file)
            kinds.add("absolute-secret")
        case _:  # very long
            if _chance(c, 50):
                value = "a" * c.integer(256, 5000) + ".luk"
                kinds.add("long-name")
            else:
                value = "../" * c.integer(1400, 3000) + "etc/passwd"
                kinds.add("long-path")
    for _ in range(c.integer(0, 2) if _chance(c, 40) else 0):
        odd = _pick(c, sorted(_ODD))
        at = c.integer(0, len(value))
        value = value[:at] + odd + value[at:]
        kinds.add(_ODD[odd])
    return HostilePath(value, frozenset(kinds))


def hostile_paths() -> st.SearchStrategy[HostilePath]:
    """Hostile paths for the files of :func:`hostile_workspace`."""
    return drawn(hostile_path_from, hostile_workspace())


HOSTILE_REGIMES = {  # regime names whose NAME.luk in programme/ is hostile
    "link-out": "symlink-out", "link-abs": "symlink-out", "link-proc": "symlink-out",
    "fifo": "fifo", "link-fifo": "fifo", "folder": "directory", "huge": "too-large",
    "latin1": "not-utf8", "loop-a": "symlink-loop", "self-loop": "symlink-loop",
    "dangling": "dangling-symlink",
}
