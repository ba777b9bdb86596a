"""Where the shipped grammar and law rulesets live, installed or in a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _find(packaged: str, checkout: Path) -> Path:
    try:
        candidate = Path(str(resources.files("luk_rules") / packaged))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - unusual loaders
        candidate = checkout
    if candidate.exists():
        return candidate
    return checkout


def grammar_path() -> Path:
    """The lark grammar of the language (``grammar/luk.lark``)."""
    return _find("grammar", _CHECKOUT / "grammar") / "luk.lark"


def law_dir() -> Path:
    """The folder of shipped law regimes (``rulesets/law``), one ``<regime>.luk`` each."""
    return _find("law", _CHECKOUT / "rulesets" / "law")
