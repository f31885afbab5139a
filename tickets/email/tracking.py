"""Delivery reports update the outbox rows: the provider's (django-anymail's tracking webhooks)
and the bounces that come back as mail (through the pipe or an inbound webhook).

Each provider's webhook is at `/anymail/<provider>/tracking/`, served only with its credentials
(tickets/email/webhooks.py); anymail normalises its payload into an AnymailTrackingEvent.
"""

import re

from anymail.signals import EventType
from django.utils import timezone

from tickets.models import DeliveryState, Notification

# Provider event → our state, and the states it may replace: a late "delivered" must not hide a
# bounce, while a bounce may follow an accepted delivery (asynchronous bounces do).
TRANSITIONS = {
    EventType.DELIVERED: (DeliveryState.DELIVERED, [DeliveryState.SENT]),
    EventType.BOUNCED: (DeliveryState.BOUNCED, [DeliveryState.SENT, DeliveryState.DELIVERED]),
    EventType.REJECTED: (DeliveryState.BOUNCED, [DeliveryState.SENT, DeliveryState.DELIVERED]),
    EventType.FAILED: (DeliveryState.FAILED, [DeliveryState.SENT]),
}


def record_tracking_event(sender, event, esp_name, **kwargs):
    """Receiver of anymail's `tracking` signal."""
    if event.event_type not in TRANSITIONS or not event.message_id:
        return
    state, replaces = TRANSITIONS[event.event_type]
    fields = {"state": state, "state_changed_at": timezone.now()}
    if state != DeliveryState.DELIVERED:
        fields["last_error"] = " ".join(filter(None, [event.description, event.mta_response]))[:2000]
    Notification.objects.filter(esp_message_id=str(event.message_id), state__in=replaces).update(**fields)


# In a bounce's body (the returned message or its headers), the Message-ID of what bounced.
_RETURNED_ID = re.compile(rb"^Message-ID:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,250}>)", re.IGNORECASE | re.MULTILINE)
_DIAGNOSTIC = re.compile(rb"^(?:Diagnostic-Code|Status):[ \t]*([^\r\n]{1,500})", re.IGNORECASE | re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def record_bounce(raw, decoded=()):
    """A bounce received as mail: the notifications whose Message-ID its body names are marked bounced.

    Only the body is read (`raw` after its headers, and the `decoded` texts and files of its parts,
    as a provider may have re-encoded it): a bounce's own In-Reply-To or References name what it
    answers, and an auto-reply's do too, without anything having bounced.
    """
    match = _HEADER_END.search(raw)
    chunks = [raw[match.end() :] if match else b"", *decoded]
    ids = {value.decode("ascii", "replace") for chunk in chunks for value in _RETURNED_ID.findall(chunk)}
    if not ids:
        return 0
    errors = dict.fromkeys(
        value.decode("utf-8", "replace").strip() for chunk in chunks for value in _DIAGNOSTIC.findall(chunk)
    )
    state, replaces = TRANSITIONS[EventType.BOUNCED]
    return Notification.objects.filter(message_id__in=ids, state__in=replaces).update(
        state=state, state_changed_at=timezone.now(), last_error=" ".join(errors)[:2000]
    )
