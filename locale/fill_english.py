"""The source strings are English: the English catalogue repeats each one (`make messages` runs this)."""

from pathlib import Path

import polib

catalogue = polib.pofile(str(Path(__file__).parent / "en" / "LC_MESSAGES" / "django.po"), wrapwidth=0)
for entry in catalogue:
    if entry.msgid_plural:
        entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
    else:
        entry.msgstr = entry.msgid
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
    entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
catalogue.save()
