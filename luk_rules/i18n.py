"""What the tool writes, in English or Dutch.

Every text luk writes for a person is a :class:`Message`: made by :func:`msg` (or
:func:`msgn` when it depends on a number) from an English template with ``{name}``
placeholders. A message *is* its English text (a ``str``), so code that only needs
English uses it as it is; :func:`say` (or :meth:`Message.in_language`) renders it in
another language from the gettext catalogues shipped in ``luk_rules/locale``
(``<lang>/LC_MESSAGES/luk.mo``, compiled by Babel from the ``.po`` files: ``make
catalogues``). Values that are messages themselves are rendered in the same language.

Nothing here is global state: a catalogue, once read, never changes, and the language
is an argument wherever text is produced.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal, cast

Lang = Literal["en", "nl"]
#: The languages luk speaks, English first (the language of the templates).
LANGUAGES: Final[tuple[Lang, ...]] = ("en", "nl")
#: The gettext domain of luk's catalogues.
DOMAIN: Final = "luk"

_CHECKOUT = Path(__file__).resolve().parent / "locale"


class Message(str):
    """A text the tool writes: its English rendering, which knows how to say itself in
    another language.

    Example:
        >>> m = msg("{n} items", n=3)
        >>> m, m.in_language("nl")
        ('3 items', '3 items')
    """

    msgid: str
    plural: str | None
    params: Mapping[str, object]

    def __new__(cls, msgid: str, params: Mapping[str, object] | None = None,
                plural: str | None = None) -> Message:
        values = dict(params or {})
        self = super().__new__(cls, _render(msgid, plural, values, "en"))
        self.msgid = msgid
        self.plural = plural
        self.params = values
        return self

    def in_language(self, lang: Lang) -> str:
        """This message in ``lang`` (English when the catalogue lacks it)."""
        if lang == "en":
            return str(self)
        return _render(self.msgid, self.plural, self.params, lang)

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self.msgid, self.params, self.plural)

    def __repr__(self) -> str:
        return f"msg({str(self)!r})"


class Localized(Message):
    """A text a ruleset wrote, with its own translations (``basis "..." nl "..."``):
    itself in English and any language it has no text for, else its text for that
    language. Not from the catalogue: the ruleset is the source of its words."""

    translations: Mapping[str, str]

    def __new__(cls, text: str, translations: Mapping[str, str] | None = None) -> Localized:
        self = str.__new__(cls, text)
        self.msgid, self.plural, self.params = text, None, {}
        self.translations = dict(translations or {})
        return self

    def in_language(self, lang: Lang) -> str:
        """Its own text for ``lang``, else the text as written."""
        return self.translations.get(lang, self.msgid)

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self.msgid, self.translations)


def msg(msgid: str, /, **params: object) -> Message:
    """A message from an English template naming ``params`` in braces.

    Babel extracts the template (keyword ``msg``) into the catalogues."""
    return Message(msgid, params)


def msgn(singular: str, plural: str, n: int, /, **params: object) -> Message:
    """A message that depends on the number ``n`` (also a parameter: ``{n}``)."""
    return Message(singular, {**params, "n": n}, plural)


def say(text: str, lang: Lang) -> str:
    """``text`` in ``lang``: a :class:`Message` translated, any other text as it is
    (names, and what a ruleset or submission wrote)."""
    return text.in_language(lang) if isinstance(text, Message) else text


def _render(msgid: str, plural: str | None, params: Mapping[str, object], lang: Lang) -> str:
    catalogue = translations(lang)
    if plural is None:
        template = catalogue.gettext(msgid)
    else:
        template = catalogue.ngettext(msgid, plural, cast(int, params["n"]))
    if not params:
        return template
    values = _Kept({k: say(v, lang) if isinstance(v, str) else v for k, v in params.items()})
    return template.format_map(values)


class _Kept(dict[str, object]):
    """Values for a template: a placeholder without one stays as written, so that a
    message can fix some values and leave the rest to be filled later (a finding's
    template names the facts it will report)."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


@functools.cache
def translations(lang: Lang) -> gettext.NullTranslations:
    """The catalogue of ``lang``, read once (it never changes); English is the templates
    themselves, with the English catalogue for completeness."""
    path = locale_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as f:
            return gettext.GNUTranslations(f)
    except OSError:
        if lang == "en":
            return gettext.NullTranslations()
        raise


def locale_dir() -> Path:
    """The folder of the compiled catalogues (``luk_rules/locale``)."""
    try:
        packaged = Path(str(resources.files("luk_rules") / "locale"))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - unusual loaders
        return _CHECKOUT
    return packaged if packaged.exists() else _CHECKOUT


def language(value: str) -> Lang | None:
    """The language a locale name or a ``--lang`` value means: ``nl``, ``nl_NL.UTF-8``,
    ``nl-BE``, ``dutch`` → ``nl``; ``en``, ``en_GB``, ``C``, ``POSIX`` → ``en``;
    anything else → None."""
    v = value.strip().lower()
    if v in {"c", "posix"} or v.startswith(("c.", "en", "english")):
        return "en"
    if v.startswith(("nl", "dutch", "nederlands")):
        return "nl"
    return None


def default_language(environ: Mapping[str, str]) -> Lang:
    """The language of the locale in ``environ``, as gettext chooses it: the first of
    ``LANGUAGE`` (a list), ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set; a
    language luk does not speak gives English."""
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(key, "")
        if not value:
            continue
        for part in value.split(":") if key == "LANGUAGE" else [value]:
            chosen = language(part)
            if chosen is not None:
                return chosen
        if key != "LANGUAGE":
            return "en"
    return "en"
