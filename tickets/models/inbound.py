from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from tickets.models import rules
from tickets.models.message import Message
from tickets.models.ticket import Ticket


class InboundState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Added to a ticket")
    HELD = "held", _("Held for review")
    DISCARDED = "discarded", _("Discarded")
    DROPPED = "dropped", _("Dropped (automatic mail)")
    REJECTED = "rejected", _("Rejected")


class AuthVerdict(models.TextChoices):
    """What sender authentication (SPF, DKIM, DMARC from a trusted host) said of a received message."""

    PASS = "pass", _("Passed")
    FAIL = "fail", _("Failed")
    NONE = "none", _("Not checked")


class InboundEmailQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Received mail of the departments `user` works (all for superusers): the staff side of the ticket rule.

        Mail that reached no department is only for superusers.
        """
        return self.filter(rules.StaffAccess(user).condition())

    def held(self):
        return self.filter(state=InboundState.HELD)

    def expired(self, now):
        """Mail received longer ago than its department's raw-mail retention (0: forever).

        Mail that reached no department follows the longest window of any department, so it
        goes too, but never before mail of a department that keeps its mail longer."""
        windows = dict(Department.objects.values_list("pk", "raw_mail_retention_days"))
        expired = Q()
        for department_id, days in windows.items():
            if days:
                expired |= Q(department_id=department_id, received_at__lt=now - timedelta(days=days))
        if windows and all(windows.values()):
            expired |= Q(department__isnull=True, received_at__lt=now - timedelta(days=max(windows.values())))
        if not expired:
            return self.none()
        return self.filter(expired)


class InboundEmail(models.Model):
    """A message received by e-mail, kept raw before it is processed."""

    raw = models.BinaryField(_("raw message"))
    message_id = models.CharField(_("Message-ID"), max_length=255, null=True, blank=True)
    sender = models.EmailField(_("sender"), blank=True)
    recipient = models.EmailField(_("recipient"), blank=True)
    # The recipient the MTA or provider delivered this copy to ("" when it did not say): one message
    # to two departments is two deliveries, each stored and processed once.
    envelope_recipient = models.CharField(_("envelope recipient"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_emails",
        verbose_name=_("department"),
    )
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_emails",
        verbose_name=_("ticket"),
    )
    result_message = models.OneToOneField(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_email",
        verbose_name=_("message"),
    )
    verdict = models.CharField(
        _("sender authentication"), max_length=4, choices=AuthVerdict.choices, default=AuthVerdict.NONE
    )
    authentication = models.CharField(_("authentication results"), max_length=255, blank=True)
    # Of mail without a Message-ID: a digest of sender, recipients, subject, date and body, and the
    # time window it fell in, so that a second copy is stored once all the same.
    fingerprint = models.CharField(_("fingerprint"), max_length=80, null=True, blank=True, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=InboundState.choices, default=InboundState.RECEIVED)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    notice_sent_at = models.DateTimeField(_("notice sent"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )

    objects = InboundEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["-received_at", "-pk"]
        constraints = [
            # One message is delivered once per recipient: to two departments, it is two deliveries.
            models.UniqueConstraint(fields=["message_id", "envelope_recipient"], name="inbound_once_per_recipient"),
        ]
        indexes = [
            models.Index(fields=["department", "state", "-received_at"], name="inbound_dept_state"),
            models.Index(fields=["sender", "notice_sent_at"], name="inbound_sender_notice"),
        ]

    def __str__(self):
        return f"{self.sender} → {self.recipient}: {self.subject}"

    def save(self, *args, **kwargs):
        # Empty Message-IDs are stored as NULL so the unique constraint only covers real ones.
        self.message_id = self.message_id or None
        self.fingerprint = self.fingerprint or None
        # Whatever a hostile message put in a header, PostgreSQL refuses NUL in text: the last guard.
        for name in ("sender", "recipient", "envelope_recipient", "subject", "reason", "authentication"):
            setattr(self, name, getattr(self, name).replace("\x00", ""))
        super().save(*args, **kwargs)

    @property
    def is_held(self):
        return self.state == InboundState.HELD

    def discard(self, *, by):
        """Staff discard held mail. Returns False when it was no longer held."""
        with transaction.atomic():
            locked = self.lock_held()
            if locked is None:
                return False
            locked.finish(InboundState.DISCARDED, reviewed_by=by)
        self.refresh_from_db()
        return True

    def finish(self, state, *, reason=None, **fields):
        """Record how processing (or review) ended."""
        self.state = state
        self.processed_at = timezone.now()
        if reason is not None:
            self.reason = str(reason)[:255]
        for name, value in fields.items():
            setattr(self, name, value)
        # Never rewrite the raw message, which may be megabytes.
        self.save(update_fields=["state", "processed_at", "reason", *fields])

    def lock_held(self):
        """This mail locked for review (in the caller's transaction), or None when it is no longer held."""
        locked = InboundEmail.objects.select_for_update().get(pk=self.pk)
        return locked if locked.state == InboundState.HELD else None
