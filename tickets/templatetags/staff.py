"""Template filters of the staff pages."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.html import avoid_wrapping
from django.utils.timesince import TIME_STRINGS, timesince, timeuntil
from django.utils.translation import gettext as _

register = template.Library()

# The fixed-length units of timesince, largest first: below four weeks no calendar is needed.
_UNITS = ((7 * 24 * 3600, "week"), (24 * 3600, "day"), (3600, "hour"), (60, "minute"))
_CALENDAR_FROM = 28 * 24 * 3600


@register.filter
def relative(value, now=None):
    """A time as one unit from now, such as "5 days ago" or "in 2 hours": short enough for a dense
    table (the exact time goes in a title). Humanize's naturaltime would say "1 week, 4 days ago"."""
    if not value:
        return ""
    now = now or timezone.now()
    if abs(now - value) < timedelta(minutes=1):
        return _("now")
    if value < now:
        return _("%(delta)s ago") % {"delta": _span(value, now) or timesince(value, now, depth=1)}
    return _("in %(delta)s") % {"delta": _span(now, value) or timeuntil(value, now, depth=1)}


def _span(earlier, later):
    """timesince(earlier, later, depth=1) for spans under four weeks, without its calendar work
    (the queue shows two of these per row); None for longer spans, where months count."""
    delta = later - earlier
    seconds = delta.days * 24 * 3600 + delta.seconds
    if seconds >= _CALENDAR_FROM:
        return None
    for length, unit in _UNITS:
        if seconds >= length:
            return avoid_wrapping(TIME_STRINGS[unit] % {"num": seconds // length})
    return None
