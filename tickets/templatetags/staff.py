"""Template filters of the staff pages."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

register = template.Library()


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
        return _("%(delta)s ago") % {"delta": timesince(value, now, depth=1)}
    return _("in %(delta)s") % {"delta": timeuntil(value, now, depth=1)}
