"""Personal data under the LGPD: a customer's data export and the record of an account's erasure."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    BUILDING = "building", _("Being prepared")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Failed")


class DataExportQuerySet(models.QuerySet):
    def in_progress(self):
        return self.filter(state__in=[ExportState.QUEUED, ExportState.BUILDING])

    def expired(self, now):
        """Exports whose link has expired and still hold a file."""
        return self.filter(expires_at__lt=now).exclude(file="")


class DataExport(models.Model):
    """A customer's request for a copy of their data, and the zip built for it.

    The download address holds a random token and also requires the owner's login; it works until
    `expires_at`, after which the file is deleted (privacy.retention)."""

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports", verbose_name=_("customer")
    )
    state = models.CharField(_("state"), max_length=10, choices=ExportState.choices, default=ExportState.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to="exports/", max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)

    objects = DataExportQuerySet.as_manager()

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{self.user} · {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def in_progress(self):
        return self.state in (ExportState.QUEUED, ExportState.BUILDING)

    def is_downloadable(self, now=None):
        return (
            self.state == ExportState.READY
            and bool(self.file)
            and self.expires_at is not None
            and self.expires_at > (now or timezone.now())
        )

    def claim(self):
        """Take a queued export for building; False when another worker took it (or it is done)."""
        claimed = DataExport.objects.filter(pk=self.pk, state=ExportState.QUEUED).update(state=ExportState.BUILDING)
        if claimed:
            self.state = ExportState.BUILDING
        return bool(claimed)

    def set_progress(self, percent):
        self.progress = percent
        DataExport.objects.filter(pk=self.pk).update(progress=percent)

    def finish(self, content, name, now=None):
        """Store the built zip (a File) and open the link for settings.DATA_EXPORT_LINK_DAYS."""
        now = now or timezone.now()
        self.file.save(name, content, save=False)
        self.size = self.file.size
        self.state = ExportState.READY
        self.progress = 100
        self.finished_at = now
        self.expires_at = now + timedelta(days=settings.DATA_EXPORT_LINK_DAYS)
        self.save(update_fields=["file", "size", "state", "progress", "finished_at", "expires_at"])

    def fail(self):
        self.state = ExportState.FAILED
        self.finished_at = timezone.now()
        self.save(update_fields=["state", "finished_at"])

    def delete_file(self):
        if self.file:
            self.file.storage.delete(self.file.name)
            self.file = ""
            self.save(update_fields=["file"])


class Erasure(models.Model):
    """The record that an account was erased: which one, who asked, who did it, and when.

    The account row stays (anonymised) so its tickets keep counting on the dashboard; this record
    holds no personal data of the customer, only the account number."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="erasure",
        verbose_name=_("account"),
    )
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased"), default=timezone.now)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erased by"),
        help_text=_("The customer themself, or the admin who erased the account."),
    )
    by_customer = models.BooleanField(_("asked by the customer"), default=False)
    tickets_closed = models.PositiveIntegerField(_("open tickets closed"), default=0)
    messages_anonymised = models.PositiveIntegerField(_("messages anonymised"), default=0)
    files_removed = models.PositiveIntegerField(_("files removed"), default=0)
    raw_mails_deleted = models.PositiveIntegerField(_("raw e-mails deleted"), default=0)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-erased_at"]

    def __str__(self):
        return f"#{self.user_id} · {self.erased_at:%Y-%m-%d %H:%M}"
