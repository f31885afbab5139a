"""A ticket's thread: its messages and its events in one time-ordered list, for the templates."""

from dataclasses import dataclass


@dataclass
class Entry:
    kind: str  # "message" or "event"
    item: object

    @property
    def created_at(self):
        return self.item.created_at


def build_thread(messages, events):
    """Messages and events merged by time; a message goes before an event of the same instant."""
    entries = [Entry("message", m) for m in messages] + [Entry("event", e) for e in events]
    entries.sort(key=lambda entry: (entry.created_at, entry.kind != "message", entry.item.pk))
    return entries
