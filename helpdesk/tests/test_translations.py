"""The pt-BR and English catalogues are complete, compiled, and cover every marked string."""

import gettext
import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.BASE_DIR) / "locale"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}", re.IGNORECASE)


def _catalogue(language):
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", ["pt_BR", "en"])
def test_every_string_is_translated(language):
    po = _catalogue(language)
    missing = [entry.msgid for entry in po.untranslated_entries() + po.fuzzy_entries() if not entry.obsolete]
    assert missing == []


@pytest.mark.parametrize("language", ["pt_BR", "en"])
def test_translations_keep_the_placeholders(language):
    for entry in _catalogue(language).translated_entries():
        forms = [entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural)] if entry.msgid_plural else [entry.msgstr]
        expected = set(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        # A singular form may spell out "one" instead of using the count; the last form uses them all.
        assert all(set(PLACEHOLDER.findall(form)) <= expected for form in forms), entry.msgid
        assert set(PLACEHOLDER.findall(forms[-1])) == expected, entry.msgid


@pytest.mark.parametrize("language", ["pt_BR", "en"])
def test_the_compiled_catalogue_matches_the_source(language):
    po = _catalogue(language)
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    for entry in po.translated_entries():
        if not entry.msgid_plural and not entry.msgctxt:
            assert translations.gettext(entry.msgid) == entry.msgstr, f"run `make messages`: {entry.msgid!r}"


def test_every_marked_string_is_in_the_catalogue(tmp_path, settings):
    """makemessages on a copy of the code finds no string the committed catalogue lacks."""
    if not shutil.which("xgettext"):
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("xgettext (Debian's gettext) is missing")
        pytest.skip("xgettext (Debian's gettext) is missing")
    base = Path(settings.BASE_DIR)
    work = tmp_path / "src"
    ignore = shutil.ignore_patterns(".venv", "var", ".git", "node_modules", "__pycache__", "locale", "bench")
    shutil.copytree(base, work, ignore=ignore)
    (work / "locale" / "pt_BR" / "LC_MESSAGES").mkdir(parents=True)
    cwd = os.getcwd()
    os.chdir(work)
    try:
        call_command("makemessages", locale=["pt_BR"], verbosity=0)
    finally:
        os.chdir(cwd)
    found = {entry.msgid for entry in polib.pofile(str(work / "locale/pt_BR/LC_MESSAGES/django.po"))}
    committed = {entry.msgid for entry in _catalogue("pt_BR") if not entry.obsolete}
    assert sorted(found - committed) == [], "run `make messages` and translate the new strings"


BLOCK = re.compile(r"{%\s*blocktranslate\b(?P<tag>[^%]*)%}(?P<body>.*?){%\s*endblocktranslate\s*%}", re.DOTALL)
DATE_VARIABLE = re.compile(r"\b([a-z_]+)=[\w.]+\|(?:date|time)\b")


def test_no_sentence_ends_right_after_a_formatted_time():
    """English times end in "a.m."/"p.m." ("12/04/2026 3 p.m."): a full stop after one doubles it."""
    doubled = []
    for path in sorted((Path(settings.BASE_DIR) / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        for block in BLOCK.finditer(path.read_text()):
            for name in DATE_VARIABLE.findall(block["tag"]):
                if re.search(r"{{\s*" + name + r"\s*}}\.", block["body"]):
                    doubled.append(f"{path.relative_to(settings.BASE_DIR)}: {block['body'].strip()}")
    assert doubled == []
