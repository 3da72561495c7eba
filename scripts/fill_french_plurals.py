"""Give every plural message of the French catalog its own French forms.

Our source strings are French. Singular strings need no French translation,
but plural ones do: without a French entry, gettext falls back to the English
rule (n != 1) and writes « 0 contributions » where French writes « 0 contribution ».
Run by `make messages` after makemessages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib


def fill(path: Path) -> int:
    catalog = polib.pofile(str(path))
    filled = 0
    for entry in catalog:
        if entry.msgid_plural and not any(entry.msgstr_plural.values()):
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            filled += 1
    catalog.metadata["Plural-Forms"] = "nplurals=2; plural=(n > 1);"
    catalog.metadata["Language"] = "fr"
    catalog.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    catalog.save()
    return filled


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    count = fill(root / "locale" / "fr" / "LC_MESSAGES" / "django.po")
    print(f"{count} plural message(s) filled in the French catalog", file=sys.stderr)
