"""Fill Dutch translations into luk_rules/locale/nl/LC_MESSAGES/luk.po from Python dicts
(``{msgid: msgstr}``, plurals as tuples), then recompile: a helper for translating many
messages at once. Entries already translated are kept unless ``--force``.

    python tools/fill_nl.py FILE.py [FILE.py ...] [--force]
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catalogues


def main(argv: list[str]) -> int:
    force = "--force" in argv
    table: dict[object, object] = {}
    for name in (a for a in argv if a != "--force"):
        table.update(runpy.run_path(name)["T"])
    po = catalogues.LOCALE / "nl" / "LC_MESSAGES" / f"{catalogues.DOMAIN}.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale="nl", domain=catalogues.DOMAIN)
    filled = 0
    for m in catalog:
        if m.id and m.id in table and (force or not catalogues._translated(m)):
            value = table[m.id]
            m.string = list(value) if isinstance(value, tuple) else value
            filled += 1
    po.write_bytes(catalogues._po(catalog))
    (po.with_suffix(".mo")).write_bytes(catalogues._mo(catalog))
    print(f"{filled} filled")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
