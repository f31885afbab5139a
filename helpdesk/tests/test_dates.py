"""helpdesk.dates.date_format writes what Django's date_format writes, in every language and format."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, translation

from helpdesk.dates import date_format

FORMATS = ["DATETIME_FORMAT", "SHORT_DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATE_FORMAT", "TIME_FORMAT"]


@pytest.mark.parametrize("language", ["en", "pt-br"])
@pytest.mark.parametrize("format_name", FORMATS)
def test_the_same_text_as_djangos_date_format(language, format_name):
    zone = ZoneInfo("America/Sao_Paulo")
    start = datetime(2026, 1, 1, 0, 0, 7, tzinfo=UTC)
    # Every month, both halves of the day, noon and midnight, single and double digits.
    values = [
        (start + timedelta(days=31 * month, hours=hour)).astimezone(zone)
        for month in range(12)
        for hour in range(0, 24, 5)
    ]
    with translation.override(language):
        for value in values:
            assert date_format(value, format_name) == formats.date_format(value, format_name), value


def test_escaped_letters_and_a_custom_format_stay_text():
    value = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    with translation.override("pt-br"):
        assert date_format(value, r"j \d\e F \à\s H\hi") == formats.date_format(value, r"j \d\e F \à\s H\hi")
        assert date_format(value, r"j \d\e F \à\s H\hi") == "2 de março às 14h05"
