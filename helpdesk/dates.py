"""Dates formatted in the active language, for the pages that write many of them in Python."""

import re
from functools import lru_cache

from django.utils.dateformat import DateFormat
from django.utils.formats import get_format


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
