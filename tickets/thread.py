"""A ticket's thread: its messages and its events in one time-ordered list, for the templates.

Each message comes with its Card: every value its card shows, computed once here and drawn by
the Jinja2 partial tickets/_message.html. The events are drawn by tickets/_thread.html.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Prefetch
from django.template.defaultfilters import filesizeformat, linebreaks_filter, truncatechars
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import ngettext

from tickets.models import Attachment, DeliveryState, Notification

# What the cards show of a message's files and deliveries: a field left out here would cost a
# query per file or delivery (the tests count the queries of a thread with both).
FILE_FIELDS = ("message_id", "original_name", "content_type", "size", "thumbnail", "removed_at", "removed_reason")
DELIVERY_FIELDS = ("thread_message_id", "recipient", "state", "attempts", "last_error", "state_changed_at")


def thread_messages(messages, *, deliveries=False):
    """The messages of a queryset as a list, with what their cards show: the author, the `files`
    and, for staff (`deliveries`), the `deliveries` (the notifications sent of each)."""
    lookups = [Prefetch("attachments", Attachment.objects.only(*FILE_FIELDS), to_attr="files")]
    if deliveries:
        lookups.append(Prefetch("notifications", Notification.objects.only(*DELIVERY_FIELDS), to_attr="deliveries"))
    return list(messages.select_related("author").prefetch_related(*lookups))


@dataclass
class Entry:
    kind: str  # "message" or "event"
    item: object
    card: object = field(default=None, repr=False)  # a message's Card

    @property
    def created_at(self):
        return self.item.created_at

    # The time of each entry, formatted once here for the card or the event line.

    @cached_property
    def local_time(self):
        return timezone.localtime(self.item.created_at)

    @property
    def iso_time(self):
        return self.local_time.isoformat()

    @property
    def time_label(self):
        """Every time of a page in one format, the short one of the facts above the thread."""
        return date_format(self.local_time, "SHORT_DATETIME_FORMAT")


def build_thread(messages, events, *, ticket, staff=False, arrived=()):
    """Messages and events merged by time; a message goes before an event of the same instant.

    `staff` adds what only staff see (internal-note wording, the original e-mail, deliveries);
    the messages whose pk is in `arrived` came in while the agent was writing and are marked New.
    """
    entries = [Entry("message", m) for m in messages] + [Entry("event", e) for e in events]
    entries.sort(key=lambda entry: (entry.created_at, entry.kind != "message", entry.item.pk))
    cards = _Cards(ticket, staff, frozenset(arrived))
    for entry in entries:
        if entry.kind == "message":
            entry.card = cards.card(entry)
    return entries


@dataclass(slots=True)
class File:
    name: str
    url: str
    thumbnail_url: str  # empty for a file shown as a link with its size
    size: str
    removal_notice: str  # for a file removed by the retention policy or an erasure: what it says instead


@dataclass(slots=True)
class Delivery:
    recipient: str
    state: str
    state_label: str
    changed: str
    retrying: str
    error: str
    error_short: str


@dataclass(slots=True)
class Card:
    """What one message's card shows (templates/jinja2/tickets/_message.html draws it)."""

    pk: int
    sender: str
    from_staff: bool
    internal: bool
    contact: bool  # written by an additional contact, not the customer
    by_email: bool
    arrived: bool
    iso_time: str
    time_label: str
    body: str  # paragraphs, escaped (SafeString)
    original: str
    files: list
    deliveries: list


class _Cards:
    """Makes the cards of one thread; the delivery states' labels are translated once per thread."""

    def __init__(self, ticket, staff, arrived):
        self.customer_id = ticket.customer_id
        self.staff = staff
        self.arrived = arrived
        self.state_labels = {value: str(label) for value, label in DeliveryState.choices}

    def card(self, entry):
        message = entry.item
        shows_deliveries = self.staff and message.from_staff and not message.internal
        return Card(
            pk=message.pk,
            sender=message.sender_display,
            from_staff=message.from_staff,
            internal=message.internal,
            contact=not message.from_staff and message.author_id != self.customer_id,
            by_email=message.source == "email",
            arrived=message.pk in self.arrived,
            iso_time=entry.iso_time,
            time_label=entry.time_label,
            body=linebreaks_filter(message.body, autoescape=True),
            original=message.body_original if self.staff else "",
            files=[self._file(file) for file in message.files],
            deliveries=[self._delivery(delivery) for delivery in message.deliveries] if shows_deliveries else [],
        )

    def _file(self, file):
        if file.is_removed:
            return File(name="", url="", thumbnail_url="", size="", removal_notice=file.removal_notice)
        image = file.is_image and file.thumbnail
        return File(
            name=file.original_name,
            url=file.get_absolute_url(),
            thumbnail_url=file.get_thumbnail_url() if image else "",
            size="" if image else filesizeformat(file.size),
            removal_notice="",
        )

    def _delivery(self, delivery):
        retrying = ""
        if delivery.state == DeliveryState.QUEUED and delivery.attempts:
            retrying = ngettext(
                "retrying after %(attempts)s failed attempt",
                "retrying after %(attempts)s failed attempts",
                delivery.attempts,
            ) % {"attempts": delivery.attempts}
        changed = delivery.state_changed_at
        return Delivery(
            recipient=delivery.recipient,
            state=delivery.state,
            state_label=self.state_labels.get(delivery.state, delivery.state),
            changed=date_format(timezone.localtime(changed), "DATETIME_FORMAT") if changed else "",
            retrying=retrying,
            error=delivery.last_error,
            error_short=truncatechars(delivery.last_error, 90),
        )
