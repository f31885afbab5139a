"""A ticket's thread: its messages and its events in one time-ordered list, for the templates."""

from dataclasses import dataclass
from functools import cached_property

from django.utils import timezone
from django.utils.formats import date_format


@dataclass
class Entry:
    kind: str  # "message" or "event"
    item: object

    @property
    def created_at(self):
        return self.item.created_at

    # The time of each entry, formatted here: the template's date filter cost as much as the
    # rest of a message's markup (a long thread shows dozens).

    @cached_property
    def local_time(self):
        return timezone.localtime(self.item.created_at)

    @property
    def iso_time(self):
        return self.local_time.isoformat()

    @property
    def time_label(self):
        """A message's full date and time; an event's shorter one."""
        return date_format(self.local_time, "DATETIME_FORMAT" if self.kind == "message" else "SHORT_DATETIME_FORMAT")


def build_thread(messages, events):
    """Messages and events merged by time; a message goes before an event of the same instant."""
    entries = [Entry("message", m) for m in messages] + [Entry("event", e) for e in events]
    entries.sort(key=lambda entry: (entry.created_at, entry.kind != "message", entry.item.pk))
    return entries
