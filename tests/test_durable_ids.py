"""durable_rules keeps one fact per 32-bit FNV-1a hash of its id: the durable backend's fact
ids never collide, whatever the evidence ids, and the engines decide alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import luk_rules

durable_engine = pytest.importorskip(
    "durable.engine", reason="durable-rules is not installed (it does not build on Python 3.13+)")

from luk_rules.engine import durable_backend  # noqa: E402 - after the skip
from luk_rules.submission import loads  # noqa: E402

try:  # tests/ is a package when run with `python -m pytest`, a folder on sys.path otherwise
    from tests import fuzz_strategies as fs
    from tests import submission_strategies as gen
except ImportError:  # pragma: no cover - depends on how pytest was started
    import fuzz_strategies as fs  # type: ignore[import-not-found, no-redef]
    import submission_strategies as gen  # type: ignore[import-not-found, no-redef]

ROOT = Path(__file__).resolve().parent.parent

_RULESET = """programme SW "Software"
  level hbo-bachelor
  form deeltijd
  institution "H"
  under whw, wet-leeruitkomsten
  opted in 2024-01-01
  units are eenheid-van-leeruitkomsten
  at least 2 items per outcome

evidence beroepsproduct "Beroepsproduct"

unit SW-GES "Gesprekken"
  credits 5
  outcome 1 "O1"
  outcome 2 "O2"
  accepts beroepsproduct
  recommended activity studio

assessment SW-T "Portfolio"
  portfolio
  path-independent
  assesses SW-GES
"""


def fnv1a(text: str) -> int:
    """32-bit FNV-1a over the UTF-8 bytes, each as C's signed char (as durable_rules does)."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8", "surrogatepass"):
        signed = byte | 0xFFFFFF00 if byte >= 0x80 else byte
        h = ((h ^ signed) * 16777619) & 0xFFFFFFFF
    return h


def old_id(pred: str, args: tuple[Any, ...]) -> str:
    """A derived fact's id as the durable backend used to write it, as durable_rules hashed
    it: the JSON text between the quotes (with its escapes)."""
    return json.dumps(pred + "|" + json.dumps(args), ensure_ascii=False)[1:-1]


# Pairs of evidence ids that collide under FNV-1a (found with fnv1a above; checked below):
# as plain strings, and after the prefix the old derived ids gave them (`counts|["`): since
# FNV-1a hashes byte by byte, a pair that collides after a prefix collides for every suffix.
PLAIN_PAIRS = [("ev539599", "ev722382"), ("ev539598", "ev722383"), ("ev539193", "ev722788")]
COUNTS_PAIRS = [("ev332789", "ev529192"), ("ev332788", "ev529193"), ("ev332383", "ev529598")]
# Among e0 ... e29999, derived facts of different kinds collided by accident.
ACCIDENTAL_PAIRS = [("e12518", "e15203"), ("e24488", "e16271"), ("e20782", "e23264")]
COLLIDING = PLAIN_PAIRS + COUNTS_PAIRS + ACCIDENTAL_PAIRS


@cache
def ruleset(tmp: Path, engine: str) -> luk_rules.Ruleset:
    path = tmp / "sw.luk"
    if not path.exists():
        path.write_text(_RULESET, encoding="utf-8")
    return luk_rules.load(path, engine=engine)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ids")


def submission(ids: list[str], outcomes: list[list[str]] | None = None) -> dict[str, Any]:
    outcomes = outcomes or [["SW-GES.1", "SW-GES.2"]] * len(ids)
    return {"id": "S1", "programme": "SW", "form": "deeltijd", "date": "2025-03-01",
            "units": ["SW-GES"], "assessment": "SW-T",
            "evidence": [{"id": i, "type": "beroepsproduct", "outcomes": o,
                          "date": "2024-06-01"} for i, o in zip(ids, outcomes, strict=True)]}


def test_the_pairs_collide() -> None:
    """The pairs used below are adversarial: they collide as durable_rules hashes ids."""
    for a, b in PLAIN_PAIRS:
        assert a != b and fnv1a(a) == fnv1a(b)
    for a, b in COUNTS_PAIRS:
        assert fnv1a(old_id("counts", (a, "SW-GES", "SW-GES.1"))) == fnv1a(
            old_id("counts", (b, "SW-GES", "SW-GES.1")))


def test_durable_rules_drops_a_fact_whose_id_hash_is_taken() -> None:
    """The model behind the fix, checked on durable_rules itself: in one state, a fact whose
    id has the FNV-1a hash of an earlier fact's id is refused as already seen (and dropped
    when an action asserts it), while an id with another hash is taken."""
    fired: list[str] = []

    base: Any = durable_engine.Host

    class Host(base):  # type: ignore[misc]
        def _run(self) -> None:
            """No dispatcher threads."""

        def get_action(self, action_name: str) -> Any:
            return lambda c: fired.append(c.m.id)

    host = Host()
    host.register_rulesets({"ids": {"r": {"all": [{"m": {"t": "x"}}], "run": "r"}}})
    a, b = PLAIN_PAIRS[0]
    host.assert_fact("ids", {"t": "x", "id": a, "sid": "1"})
    with pytest.raises(durable_engine.MessageObservedException):
        host.assert_fact("ids", {"t": "x", "id": b, "sid": "1"})
    host.assert_fact("ids", {"t": "x", "id": "ev0", "sid": "1"})
    assert fired == [a, "ev0"]
    host.delete_state("ids", "1")


def test_fact_ids_of_a_run_never_share_a_hash() -> None:
    """The ids a run gives its facts (the first n of one sequence, for any n) are distinct
    under durable_rules' hash: 200,000 of them, enough for the 30,000-item case below
    (about 100,000 facts)."""
    ids = [durable_backend._IDS[i] for i in range(200_000)]
    assert len({fnv1a(i) for i in ids}) == len(ids)
    assert all(i.isascii() and i.isalnum() for i in ids)  # hashed as written: no escapes


def test_e0_to_e29999_used_to_collide(folder: Path) -> None:
    """With evidence ids e0 ... e29999, the derived facts' old ids collide by accident (so
    durable_rules dropped facts); the pairs involved are the ACCIDENTAL_PAIRS."""
    rs = ruleset(folder, "native")
    sub = submission([f"e{i}" for i in range(30_000)])
    compiled = rs._compiled
    facts = compiled.facts(loads(json.dumps(sub)))
    derived = rs._runner.run(facts)
    known = {(p, tuple(a)) for p, rows in facts.items() for a in rows} | set(
        compiled.program.static)
    seen: dict[int, tuple[str, tuple[Any, ...]]] = {}
    collisions = []
    for pred, rows in derived.facts.items():
        for args in rows:
            if (pred, args) not in known:
                h = fnv1a(old_id(pred, args))
                if h in seen:
                    collisions.append({seen[h][1][0], args[0]})
                seen[h] = (pred, args)
    assert sorted(map(sorted, collisions)) == sorted(map(sorted, ACCIDENTAL_PAIRS))


@pytest.mark.parametrize(("a", "b"), COLLIDING)
def test_colliding_evidence_ids_decide_alike(folder: Path, a: str, b: str) -> None:
    """Two items whose ids collide each count: two items per outcome make the submission
    admissible on both engines, with the same explanation (durable once said incomplete)."""
    sub = submission([a, b])
    native = ruleset(folder, "native").decide(sub, explain=True).to_dict()
    durable = ruleset(folder, "durable").decide(sub, explain=True).to_dict()
    assert native["status"] == "admissible"
    assert durable == native


# -- adversarial ids, generated

_TRICKY = ["ab", "ab!", "ab c", "a b", "a\"b", "a\\b", "a\\\"b", "ab\u00e9", "\u00e9", "\U0001f600",
           "\uffff", "0", "1", "true", "s1", "s01", "-1", "x" * 65_536 + "a",
           "x" * 65_536 + "b", "x" * 65_537]


@st.composite
def adversarial_ids(draw: st.DrawFn) -> list[str]:
    """Evidence ids: colliding pairs, strings durable_rules compares wrongly (its JSON text,
    lengths cut to 16 bits, a quote ending the shorter one), and random printable text."""
    ids: list[str] = []
    for pair in draw(st.lists(st.sampled_from(COLLIDING), max_size=3)):
        ids.extend(pair)
    ids.extend(draw(st.lists(st.sampled_from(_TRICKY), max_size=4)))
    text = st.text(st.characters(codec="utf-8", exclude_categories=("C", "Z")), min_size=1,
                   max_size=8)
    ids.extend(draw(st.lists(text, max_size=3)))
    return list(dict.fromkeys(ids)) or ["e1"]


@fs.fuzz_settings(60, share=0.5)
@given(ids=adversarial_ids(), data=st.data())
def test_engines_agree_on_adversarial_evidence_ids(tmp_path_factory: pytest.TempPathFactory,
                                                   ids: list[str], data: st.DataObject) -> None:
    """Whatever the evidence ids (colliding under FNV-1a, quotes, escapes, long, non-ASCII),
    both engines give the same decision and explanation."""
    folder = tmp_path_factory.getbasetemp()
    outcomes = [data.draw(st.lists(st.sampled_from(["SW-GES.1", "SW-GES.2"]), min_size=1,
                                   max_size=2, unique=True)) for _ in ids]
    sub = submission(ids, outcomes)
    native = ruleset(folder, "native").decide(sub, explain=True).to_dict()
    durable = ruleset(folder, "durable").decide(sub, explain=True).to_dict()
    assert durable == native


# -- many generated submissions with adversarial ids on the example rulesets

FUZZ = fs.scaled(400, share=10)  # 2,000 take about 7 s; `make fuzz` runs 20,000
_EXAMPLES = ("bouwkunde-deeltijd", "bouwkunde-voltijd", "bouwkunde-voltijd-evl",
             "hbo-ict-deeltijd")


def _renamed(sub: dict[str, Any], names: Iterator[str]) -> dict[str, Any]:
    for item in sub["evidence"]:
        item["id"] = next(names)
    return sub


def _names(seed: int) -> Iterator[str]:
    """Colliding pairs first, then tricky strings, then colliding pairs again, ..."""
    pool = [x for pair in COLLIDING for x in pair] + _TRICKY
    start = seed % len(pool)
    yield from pool[start:] + pool[:start]
    n = 0
    while True:
        n += 1
        yield f"ev{n}"


def test_generated_submissions_with_adversarial_ids() -> None:
    """400 generated submissions (`make fuzz`: 20,000) over the example rulesets, their
    evidence renamed to colliding and tricky ids, decide the same on both engines,
    explanations included."""
    for n, name in enumerate(_EXAMPLES):
        path = ROOT / "rulesets" / "examples" / f"{name}.luk"
        native, durable = luk_rules.load(path), luk_rules.load(path, engine="durable")
        count = FUZZ // len(_EXAMPLES) + (n < FUZZ % len(_EXAMPLES))
        for i, sub in enumerate(gen.random_submissions(native.ir, count, seed=n)):
            sub = _renamed(sub, _names(i))
            assert durable.decide(sub, explain=True).to_dict() == native.decide(
                sub, explain=True).to_dict(), (name, i)
