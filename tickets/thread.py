"""A ticket's thread: its messages and its events in one time-ordered list, for the templates.

Each message's card is written here, in Python, the way the queue writes its rows: through the
template engine a card cost ~90 µs, and the workspace shows thirty of them. The events, short
lines with most of the thread's wording, stay in tickets/_thread.html.
"""

from dataclasses import dataclass, field
from functools import cached_property
from html import escape

from django.template.defaultfilters import filesizeformat, truncatechars
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from helpdesk.dates import date_format
from tickets.models import DeliveryState


@dataclass
class Entry:
    kind: str  # "message" or "event"
    item: object
    card: str = field(default="", repr=False)  # a message's markup (SafeString)

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
            entry.card = cards.render(entry)
    return entries


CARD_HTML = (
    '<li class="card my-3 hd-message{classes}" id="message-{pk}">\n'
    '<div class="card-header d-flex flex-wrap justify-content-between gap-2 small">\n'
    "<span><strong>{sender}</strong>{badges}</span>\n"
    '<time class="text-muted" datetime="{iso_time}">{time_label}</time>\n'
    "</div>\n"
    '<div class="card-body">\n'
    '<div class="hd-body text-break">{body}</div>{original}{files}{deliveries}\n'
    "</div>\n"
    "</li>"
)
ORIGINAL_HTML = (
    '\n<details class="mt-2 small hd-original"><summary>{summary}</summary>'
    '<pre class="mt-2 mb-0 p-2 border rounded bg-body-tertiary text-wrap">{text}</pre></details>'
)
IMAGE_HTML = (
    '<li><a class="d-block hd-thumb" href="{url}" title="{name}">'
    # The caption below names the file: an alt text repeating it would be read twice.
    '<img src="{thumbnail}" alt="" loading="lazy" width="160" height="120" class="img-thumbnail">'
    '<span class="d-block small text-truncate">{name}</span></a></li>'
)
FILE_HTML = (
    '<li><a class="btn btn-sm btn-outline-secondary" href="{url}">{name}'
    ' <span class="text-muted">({size})</span></a></li>'
)
REMOVED_HTML = '<li class="small text-body-secondary fst-italic hd-removed-file">{notice}</li>'
DELIVERY_HTML = (
    '<li><span class="text-break">{recipient}</span> '
    '<span class="badge hd-delivery-{state}" title="{changed}">{state_label}</span>{retrying}{error}</li>'
)


class _Cards:
    """Writes message cards for one thread; the labels are translated once per thread.
    Every value from the database goes through escape()."""

    def __init__(self, ticket, staff, arrived):
        self.customer_id = ticket.customer_id
        self.staff = staff
        self.arrived = arrived
        # (gettext outside the f-strings: xgettext does not look inside them.)
        internal, hidden = gettext("Internal note"), gettext("not visible to the customer")
        support, contact, customer = gettext("Support team"), gettext("Additional contact"), gettext("Customer")
        by_email, new = gettext("by e-mail"), gettext("New")
        self.internal = f' <span class="badge text-bg-warning">{escape(internal)}</span>'
        if staff:
            self.internal += f' <span class="text-body-secondary">{escape(hidden)}</span>'
        self.support = f' <span class="badge text-bg-primary">{escape(support)}</span>'
        self.contact = f' <span class="badge text-bg-light">{escape(contact)}</span>'
        self.customer = f' <span class="badge text-bg-light">{escape(customer)}</span>' if staff else ""
        self.by_email = f' <span class="text-muted">· {escape(by_email)}</span>'
        self.new = f' <span class="badge text-bg-danger">{escape(new)}</span>'
        self.original = gettext("Show the original e-mail")
        self.attachments = gettext("Attachments")
        self.emailed_to, self.deliveries_label = gettext("E-mailed to"), gettext("E-mail deliveries")
        # get_state_display() rebuilds the choices' mapping on every call (60 µs a delivery).
        self.state_labels = {value: str(label) for value, label in DeliveryState.choices}

    def render(self, entry):
        message = entry.item
        arrived = message.pk in self.arrived
        classes = ""
        if message.from_staff:
            classes += " hd-message-staff"
        if message.internal:
            classes += " hd-message-internal"
        if arrived:
            classes += " hd-message-arrived"
        if message.internal:
            badges = self.internal
        elif message.from_staff:
            badges = self.support
        elif message.author_id != self.customer_id:
            badges = self.contact
        else:
            badges = self.customer
        if message.source == "email":
            badges += self.by_email
        if arrived:
            badges += self.new
        original = ""
        if self.staff and message.body_original:
            original = ORIGINAL_HTML.format(summary=escape(self.original), text=escape(message.body_original))
        deliveries = ""
        if self.staff and message.from_staff and not message.internal and message.deliveries:
            deliveries = self._deliveries(message.deliveries)
        return mark_safe(  # noqa: S308 - every value above is escaped
            CARD_HTML.format(
                classes=classes,
                pk=message.pk,
                sender=escape(message.sender_display),
                badges=badges,
                iso_time=entry.iso_time,
                time_label=escape(entry.time_label),
                body=linebreaks(message.body, autoescape=True),
                original=original,
                files=self._files(message.files) if message.files else "",
                deliveries=deliveries,
            )
        )

    def _files(self, files):
        items = []
        for file in files:
            name = escape(file.original_name)
            if file.is_removed:
                items.append(REMOVED_HTML.format(notice=escape(file.removal_notice)))
            elif file.is_image and file.thumbnail:
                items.append(
                    IMAGE_HTML.format(
                        url=escape(file.get_absolute_url()), name=name, thumbnail=escape(file.get_thumbnail_url())
                    )
                )
            else:
                size = escape(filesizeformat(file.size))
                items.append(FILE_HTML.format(url=escape(file.get_absolute_url()), name=name, size=size))
        label = escape(self.attachments)
        return (
            f'\n<ul class="list-unstyled d-flex flex-wrap gap-2 mb-0 mt-3" aria-label="{label}">{"".join(items)}</ul>'
        )

    def _deliveries(self, deliveries):
        items = []
        for delivery in deliveries:
            retrying = error = ""
            if delivery.state == DeliveryState.QUEUED and delivery.attempts:
                text = ngettext(
                    "retrying after %(attempts)s failed attempt",
                    "retrying after %(attempts)s failed attempts",
                    delivery.attempts,
                ) % {"attempts": delivery.attempts}
                retrying = f' <span class="text-body-secondary">{escape(text)}</span>'
            if delivery.last_error:
                error = (
                    f' <span class="d-block text-danger text-break" title="{escape(delivery.last_error)}">'
                    f"{escape(truncatechars(delivery.last_error, 90))}</span>"
                )
            changed = delivery.state_changed_at
            items.append(
                DELIVERY_HTML.format(
                    recipient=escape(delivery.recipient),
                    state=escape(delivery.state),
                    changed=escape(date_format(timezone.localtime(changed), "DATETIME_FORMAT")) if changed else "",
                    state_label=escape(self.state_labels.get(delivery.state, delivery.state)),
                    retrying=retrying,
                    error=error,
                )
            )
        return (
            f'\n<div class="small mt-2 hd-deliveries"><span class="text-body-secondary">'
            f"{escape(self.emailed_to)}</span>"
            f'<ul class="list-unstyled mb-0" aria-label="{escape(self.deliveries_label)}">'
            f"{''.join(items)}</ul></div>"
        )
