from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.enums import EventKind, Priority, ProblemStatus, Score, Status, UnlinkReason


class TicketEvent(models.Model):
    """One change in a ticket's life, shown in the thread in time order."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    old_value = models.CharField(_("from"), max_length=255, blank=True)
    new_value = models.CharField(_("to"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_time"),
            models.Index(fields=["kind", "created_at"], name="event_kind_time"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.old_value} → {self.new_value}"

    def _label(self, value):
        choices = {
            EventKind.STATUS: Status,
            EventKind.PRIORITY: Priority,
            EventKind.RATED: Score,
            EventKind.PROBLEM_STATUS: ProblemStatus,
            EventKind.PROBLEM_UNLINKED: UnlinkReason,
        }.get(self.kind)
        if choices and value in choices.values:
            return choices(value).label
        return value

    @property
    def old_label(self):
        return self._label(self.old_value)

    @property
    def new_label(self):
        return self._label(self.new_value)
