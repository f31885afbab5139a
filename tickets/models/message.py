from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from tickets.enums import Source, Status
from tickets.models import rules
from tickets.models.ticket import Ticket


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user, ticket=None):
        """Messages of tickets `user` may see (tickets.models.rules); internal notes only for the ticket's staff.

        Given a `ticket` (`ticket.messages.visible_to(user, ticket)`), the messages of that ticket
        only, the rule decided on the ticket in hand, with no subquery: the workspace and the
        customer page show one ticket's thread on every load.
        """
        staff, customer = rules.StaffAccess(user), rules.CustomerAccess(user)
        if ticket is not None:
            messages = self.filter(ticket=ticket)
            if staff.allows(ticket.department_id):
                return messages
            return messages.filter(internal=False) if customer.allows(ticket.customer_id) else self.none()
        if staff.everything:
            return self.all()
        staff_side = staff.condition("ticket__department_id")
        return self.filter(staff_side | (customer.condition("ticket__customer_id") & Q(internal=False)))

    def public(self):
        return self.filter(internal=False)

    def create_with_uploads(self, *, uploads=(), **fields):
        message = self.create(**fields)
        for upload in uploads:
            Attachment.objects.create_from_upload(message, upload)
        return message


class Message(models.Model):
    """One entry of a ticket's thread: a customer's or staff's reply, or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("author"),
    )
    sender_email = models.EmailField(
        _("sender address"), blank=True, help_text=_("For mail from an additional contact or a guest.")
    )
    from_staff = models.BooleanField(_("from staff"), default=False)
    internal = models.BooleanField(_("internal note"), default=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.WEB)
    body = models.TextField(_("message"))
    body_original = models.TextField(
        _("original text"), blank=True, help_text=_("The whole e-mail text, with the quoted history that was removed.")
    )
    message_id = models.CharField(_("e-mail Message-ID"), max_length=255, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_time")]

    def __str__(self):
        return f"{self.ticket.display_reference} · {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # Empty Message-IDs are stored as NULL so the unique constraint only covers real ones.
        self.message_id = self.message_id or None
        super().save(*args, **kwargs)

    @property
    def sender_display(self):
        if self.author_id:
            return self.author.get_full_name()
        return self.sender_email


def attachment_path(instance, filename):
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{filename}"


class RemovalReason(models.TextChoices):
    RETENTION = "retention", _("Retention policy")
    ERASURE = "erasure", _("Customer's account erased")


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(message__in=Message.objects.visible_to(user))

    def stored(self):
        """Files still kept (not yet removed by the retention policy or an erasure)."""
        return self.filter(removed_at__isnull=True)

    def expired(self, now):
        """Stored files of tickets closed longer ago than their department's attachment retention (0: forever)."""
        expired = Q()
        windows = Department.objects.filter(attachment_retention_days__gt=0)
        for department_id, days in windows.values_list("pk", "attachment_retention_days"):
            expired |= Q(
                message__ticket__department_id=department_id,
                message__ticket__closed_at__lt=now - timedelta(days=days),
            )
        if not expired:
            return self.none()
        return self.stored().filter(expired, message__ticket__status=Status.CLOSED)


class AttachmentManager(models.Manager.from_queryset(AttachmentQuerySet)):
    def create_from_upload(self, message, upload):
        """Store a CheckedUpload (tickets.attachments) under a generated name."""
        attachment = self.model(
            message=message,
            original_name=upload.name,
            content_type=upload.content_type,
            size=len(upload.content),
            width=upload.width,
            height=upload.height,
        )
        stored = upload.storage_name()
        attachment.file.save(stored, ContentFile(upload.content), save=False)
        if upload.thumbnail:
            attachment.thumbnail.save(
                stored.rsplit(".", 1)[0] + "-thumb.webp", ContentFile(upload.thumbnail), save=False
            )
        attachment.save()
        return attachment


class Attachment(models.Model):
    """A file sent with a message. Served only through a view that checks access."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    thumbnail = models.FileField(_("thumbnail"), upload_to=attachment_path, max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)
    # A removed file keeps its row, so the thread can say what was there and why it went.
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    removed_reason = models.CharField(_("removed because"), max_length=10, choices=RemovalReason.choices, blank=True)

    objects = AttachmentManager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.original_name

    @property
    def is_image(self):
        return self.content_type.startswith("image/")

    @property
    def is_removed(self):
        return self.removed_at is not None

    @property
    def removal_notice(self):
        """What the thread shows in place of a removed file, in the active language and time zone."""
        date = date_format(timezone.localtime(self.removed_at), "DATE_FORMAT")
        if self.removed_reason == RemovalReason.ERASURE:
            return gettext("A file was removed on %(date)s when the customer's account was erased.") % {"date": date}
        return gettext("%(name)s was removed on %(date)s under the retention policy.") % {
            "name": self.original_name,
            "date": date,
        }

    def remove(self, reason, now=None):
        """Delete the file and its thumbnail from the storage, keeping the row as a tombstone.

        The storage goes first: should it fail, the row still names the files and the next run
        tries again. Deleting a file that is already gone is no error, so two runs racing on one
        file are harmless."""
        for field in (self.file, self.thumbnail):
            if field.name:
                field.storage.delete(field.name)
        self.removed_at = now or timezone.now()
        self.removed_reason = reason
        self.file = self.thumbnail = ""
        fields = ["file", "thumbnail", "removed_at", "removed_reason"]
        if reason == RemovalReason.ERASURE:
            self.original_name = ""
            fields.append("original_name")
        self.save(update_fields=fields)

    def get_absolute_url(self):
        return reverse("tickets:attachment", args=[self.message.ticket.reference, self.pk])

    def get_thumbnail_url(self):
        return reverse("tickets:attachment_thumbnail", args=[self.message.ticket.reference, self.pk])
