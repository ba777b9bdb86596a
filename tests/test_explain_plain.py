"""`--explain` in plain words for people (the README's demo case in at most about 40 lines,
no fact notation), `--explain proof` the proof trees, without a line nested under an
identical one."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from test_cli import luk

REPO = Path(__file__).resolve().parent.parent
DEMO = (REPO / "rulesets" / "examples" / "bouwkunde-deeltijd.luk",
        REPO / "rulesets" / "examples" / "cases" / "bouwkunde-selficient.json")
FACT = re.compile(r"[a-z]\((?!s\))")  # `claimed-item(e1, ...`; not "item(s)"


def test_the_demo_case_is_explained_in_plain_words() -> None:
    """At most 40 lines, no fact tuples; the law, the route and what counts, each with
    its basis; what is missing with what to add."""
    done = luk("decide", "--explain", *DEMO)
    assert done.returncode == 1
    lines = done.stdout.rstrip("\n").splitlines()
    assert len(lines) <= 40, len(lines)
    why = "\n".join(lines[lines.index("Why"):])
    assert not FACT.search(why), FACT.search(why)
    assert "Law: wet-leeruitkomsten is in force since 2025-01-01" in why
    assert "[enacted law]" in why and "[interpretation]" in why
    assert "e1 (beroepsproduct, 2024-06-01, verified, activity selficient): counts for " \
        "BK-INS.2, BK-ONT.1" in why
    assert "BK-COM.1 is missing: add one more item" in why


def test_explain_proof_gives_the_trees_without_nested_duplicates() -> None:
    """`--explain proof` (before or after the operands) prints the proof trees; in JSON a
    node's child never repeats the node's own fact and source."""
    for args in (("--explain", "proof", *DEMO), (*DEMO, "--explain", "proof")):
        text = luk("decide", *args).stdout
        assert "Explanation" in text and "(given by the submission)" in text
    tree = json.loads(luk("decide", "--format", "json", "--explain", "proof", *DEMO).stdout)

    def check(node: Any) -> None:
        for child in node.get("because", []):
            assert (child.get("fact"), child.get("source")) != (node["fact"], node["source"])
            check(child)

    explanation = tree["explanation"]
    for node in [explanation["law"], explanation["combination"], *explanation["scope"],
                 *explanation["outcomes"].values()]:
        check(node)


def test_a_bad_explain_word_is_a_usage_error() -> None:
    """`--explain=bogus` ends in exit 2 with the choices, no traceback."""
    done = luk("decide", *DEMO, "--explain=bogus")
    assert done.returncode == 2 and "plain" in done.stderr and "proof" in done.stderr
