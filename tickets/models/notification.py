from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.event import TicketEvent
from tickets.models.message import Message
from tickets.models.ticket import Ticket


class NotificationKind(models.TextChoices):
    ACKNOWLEDGEMENT = "ack", _("New ticket acknowledgement")
    NEW_TICKET = "new_ticket", _("New ticket (to agents)")
    STAFF_REPLY = "staff_reply", _("Staff reply")
    CUSTOMER_REPLY = "customer_reply", _("Customer reply (to agents)")
    CLOSED = "closed", _("Ticket closed")
    AUTO_CLOSED = "auto_closed", _("Ticket closed automatically")
    MERGED = "merged", _("Ticket merged")
    ESCALATED = "escalated", _("Escalation (to supervisors)")
    OVERDUE = "overdue", _("Overdue (to supervisors)")
    BAD_RATING = "bad_rating", _("Bad rating (to supervisors)")
    UNKNOWN_SENDER = "unknown_sender", _("Notice to an unknown sender")
    BURST = "burst", _("Burst of similar tickets (to supervisors)")


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")


class Notification(models.Model):
    """One e-mail to one recipient: the outbox row written in the same transaction as its cause.

    A Celery task sends it after commit; a periodic sweep re-queues rows left unsent.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications", verbose_name=_("ticket")
    )
    # The message of the thread this e-mail carries (a reply, the first message), if any.
    thread_message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("message"),
    )
    event = models.ForeignKey(
        TicketEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("event")
    )
    inbound = models.ForeignKey(
        "tickets.InboundEmail",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("inbound e-mail"),
    )
    burst = models.ForeignKey(
        "tickets.Burst",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("burst"),
    )
    recipient = models.EmailField(_("recipient"))
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient user"),
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    esp_message_id = models.CharField(_("provider message id"), max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("state changed"), default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notification_pending",
                condition=models.Q(state__in=["queued", "sending"]),
            ),
            models.Index(fields=["thread_message"], name="notification_message"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"
