"""Dates in Brazilian Portuguese write month names in lowercase, as Brazilians do (helpdesk/months.py)."""

from datetime import UTC, datetime

from django.utils import formats, translation


def test_a_date_in_portuguese_names_its_month_in_lowercase():
    value = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    with translation.override("pt-br"):
        assert formats.date_format(value, r"j \d\e F \à\s H\hi") == "2 de março às 14h05"
        assert formats.date_format(value, "E") == "março"  # the alternative (genitive) form


def test_a_date_in_english_keeps_its_capital():
    value = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    with translation.override("en"):
        assert formats.date_format(value, "j F") == "2 March"
