"""Extract, update, fill and compile luk's gettext catalogues with Babel; or check them.

    python tools/catalogues.py            update luk_rules/locale/luk.pot, the en and nl
                                          .po files, and compile the .mo files
    python tools/catalogues.py --check    report what is out of date or untranslated
                                          (exit 1), change nothing; tests/test_catalogues.py

Messages are the first argument of ``msg(...)`` and the first two of ``msgn(...)`` in
the package (luk_rules/i18n.py), and ``_``/``gettext``/``ngettext`` in the Jinja2
templates. English is the templates themselves: its catalogue is filled from them, so
that every message exists in both languages. Dutch is translated by hand in
``luk_rules/locale/nl/LC_MESSAGES/luk.po``; a new message gets an empty translation,
which the check reports until someone writes it.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "luk_rules"
LOCALE = PACKAGE / "locale"
DOMAIN = "luk"
LANGUAGES = ("en", "nl")
# Fixed dates in the headers, so that updating changes a file only when a message does.
_DATE = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}|%\(([A-Za-z_]+)\)s")

METHODS = [("**.py", "python"), ("templates/**.j2", "jinja2.ext:babel_extract")]
OPTIONS = {"templates/**.j2": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {**DEFAULT_KEYWORDS, "msg": None, "msgn": (1, 2)}


def extract() -> Catalog:
    """The template catalogue: every message marked in the package, sorted."""
    template = Catalog(project="luk-rules", domain=DOMAIN, creation_date=_DATE,
                       revision_date=_DATE, fuzzy=False)
    found = extract_from_dir(str(PACKAGE), METHODS, OPTIONS, KEYWORDS,
                             comment_tags=("Translators:",), strip_comment_tags=True)
    for filename, lineno, message, comments, context in found:
        template.add(message, None, [(f"luk_rules/{filename}", lineno)],
                     auto_comments=comments, context=context)
    return template


def _read(path: Path, locale: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=locale, project="luk-rules", domain=DOMAIN, creation_date=_DATE,
                       revision_date=_DATE, fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def _po(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, no_location=True, omit_header=False, sort_output=True,
             ignore_obsolete=True)
    return out.getvalue()


def _mo(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def updated(template: Catalog, lang: str) -> Catalog:
    """The catalogue of ``lang`` brought up to the template: new messages added (English
    filled in from the template), messages no longer in the code dropped."""
    catalog = _read(LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po", lang)
    # A copy: update() adds the template's own Message objects for new messages, and
    # filling the English ones in below must not fill them in for the next language.
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_creation_date=False)
    catalog.obsolete.clear()
    catalog.revision_date = _DATE
    catalog.fuzzy = False
    if lang == "en":
        for m in catalog:
            if m.id and not _translated(m):
                m.string = m.id
    return catalog


def _translated(m: Message) -> bool:
    strings = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
    return all(strings) and "fuzzy" not in m.flags


def _fields(text: str) -> set[str]:
    return {a or b for a, b in _FIELD.findall(text)}


def problems(template: Catalog, catalogs: dict[str, Catalog]) -> list[str]:
    """What is wrong with the catalogues as they are on disk."""
    found: list[str] = []
    pot = LOCALE / f"{DOMAIN}.pot"
    if not pot.exists() or _ids(_read(pot, "en")) != _ids(template):
        found.append(f"{pot.relative_to(ROOT)} is not what the code marks: run "
                     "`make catalogues`")
    for lang, catalog in catalogs.items():
        po = LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        on_disk = _read(po, lang)
        ids = {m.id for m in on_disk if m.id}
        for m in template:
            if m.id and m.id not in ids:
                found.append(f"{lang}: no entry for {_show(m.id)}: run `make catalogues`")
        for m in on_disk:
            if not m.id:
                continue
            if m.id not in template:
                found.append(f"{lang}: {_show(m.id)} is no longer in the code")
            elif not _translated(m):
                found.append(f"{lang}: {_show(m.id)} has no translation")
            else:
                ids_ = m.id if isinstance(m.id, (tuple, list)) else (m.id,)
                strings = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
                want = set().union(*(_fields(i) for i in ids_))
                for s in strings:
                    if _fields(s) != want:
                        found.append(f"{lang}: {_show(m.id)}: the translation names "
                                     f"{sorted(_fields(s))}, the message {sorted(want)}")
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != _mo(on_disk):
            found.append(f"{mo.relative_to(ROOT)} is not compiled from its .po: run "
                         "`make catalogues`")
        del catalog
    return found


def _ids(catalog: Catalog) -> list[str]:
    return sorted(str(m.id) for m in catalog if m.id)


def _show(msgid: str | Iterable[str]) -> str:
    text = msgid if isinstance(msgid, str) else " | ".join(msgid)
    return repr(text if len(text) <= 70 else text[:67] + "...")


def write(template: Catalog) -> None:
    """Write the template, the updated .po files and their compiled .mo files."""
    LOCALE.mkdir(exist_ok=True)
    (LOCALE / f"{DOMAIN}.pot").write_bytes(_po(template))
    for lang in LANGUAGES:
        folder = LOCALE / lang / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        catalog = updated(template, lang)
        (folder / f"{DOMAIN}.po").write_bytes(_po(catalog))
        (folder / f"{DOMAIN}.mo").write_bytes(_mo(catalog))


def main(argv: list[str]) -> int:
    template = extract()
    if argv == ["--check"]:
        found = problems(template, {lang: updated(template, lang) for lang in LANGUAGES})
        for line in found:
            print(line)
        print(f"{len(template)} messages; {len(found)} problems")
        return 1 if found else 0
    if argv:
        print(__doc__)
        return 2
    write(template)
    untranslated = problems(template, {lang: updated(template, lang) for lang in LANGUAGES})
    print(f"{len(template)} messages; {len(untranslated)} to translate")
    for line in untranslated[:50]:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
