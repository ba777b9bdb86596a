"""luk_rules: exam regulations as rules; decide whether a combination of evidence
for units of learning outcomes is admissible, and explain why.

    >>> import luk_rules
    >>> rs = luk_rules.load("rulesets/examples/bouwkunde-deeltijd.luk")  # doctest: +SKIP
    >>> decision = rs.decide(submission, explain=True)  # doctest: +SKIP
"""

from luk_rules.api import Ruleset, load, loads
from luk_rules.audit import Audit
from luk_rules.decide import Decision, Finding, Missing
from luk_rules.errors import (
    EngineUnavailable,
    LukError,
    Problem,
    RulesetError,
    RulesetUnreadable,
    SubmissionError,
)
from luk_rules.impact import Impact, compare
from luk_rules.submission import EvidenceItem, Record, Submission

__all__ = [
    "Audit",
    "Decision",
    "EngineUnavailable",
    "EvidenceItem",
    "Finding",
    "Impact",
    "LukError",
    "Missing",
    "Problem",
    "Record",
    "Ruleset",
    "RulesetError",
    "RulesetUnreadable",
    "Submission",
    "SubmissionError",
    "compare",
    "load",
    "loads",
]
__version__ = "0.1.0"
