"""Delivery reports from the provider (django-anymail's tracking webhooks) update the outbox rows.

Each provider's webhook is at `/anymail/<provider>/tracking/`, protected by the basic-auth
`ANYMAIL_WEBHOOK_SECRET`; anymail normalises its payload into an AnymailTrackingEvent.
"""

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
