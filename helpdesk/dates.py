"""Dates formatted in the active language, for the pages that write many of them in Python."""

import re
from functools import lru_cache

from django.utils.dateformat import DateFormat
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy, pgettext_lazy


@lru_cache(maxsize=128)
def _pieces(format_string):
    """A format string as (is a format character, text) pairs, the way DateFormat reads it."""
    pieces = []
    for index, piece in enumerate(re.split(r"(?<!\\)([a-zA-Z])", format_string)):
        if index % 2:
            pieces.append((True, piece))
        elif piece:
            pieces.append((False, re.sub(r"\\(.)", r"\1", piece)))
    return tuple(pieces)


def date_format(value, format_name):
    """django.utils.formats.date_format for a datetime, with the format read once per format and
    not for every value: a thread or a queue page writes dozens of dates, at 17 µs each."""
    formatter = DateFormat(value)
    return "".join(str(getattr(formatter, text)()) if code else text for code, text in _pieces(get_format(format_name)))


# Brazilian Portuguese writes month names in lowercase ("4 de dezembro"); Django's own catalogue
# capitalises them. Naming them here puts them in our catalogue, which Django reads first.
MONTH_NAMES = (
    gettext_lazy("January"),
    gettext_lazy("February"),
    gettext_lazy("March"),
    gettext_lazy("April"),
    gettext_lazy("May"),
    gettext_lazy("June"),
    gettext_lazy("July"),
    gettext_lazy("August"),
    gettext_lazy("September"),
    gettext_lazy("October"),
    gettext_lazy("November"),
    gettext_lazy("December"),
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
)
