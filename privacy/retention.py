"""The retention policy: each department says how long files of closed tickets and raw received
mail are kept (Department.attachment_retention_days, raw_mail_retention_days; 0 keeps forever).
Expired data exports go the same way.

Run hourly by Celery beat (privacy.tasks) and by `manage.py apply_retention [--dry-run]`.
"""

import logging
from dataclasses import dataclass, field

from django.utils import timezone

from privacy.models import DataExport
from tickets.models import Attachment, InboundEmail, RemovalReason

logger = logging.getLogger(__name__)

# Rows handled per run and kind; a backlog drains over the next runs instead of one endless task.
BATCH = 500


@dataclass
class Retention:
    """What the policy removes now: at most BATCH of each kind, oldest first."""

    now: object
    attachments: list = field(default_factory=list)
    raw_mails: list = field(default_factory=list)
    exports: list = field(default_factory=list)

    @classmethod
    def due(cls, now=None):
        now = now or timezone.now()
        return cls(
            now=now,
            attachments=list(
                Attachment.objects.expired(now)
                .select_related("message__ticket__department")
                .order_by("message__ticket__closed_at", "pk")[:BATCH]
            ),
            raw_mails=list(
                InboundEmail.objects.expired(now)
                .select_related("department")
                .defer("raw")
                .order_by("received_at", "pk")[:BATCH]
            ),
            exports=list(DataExport.objects.expired(now).order_by("expires_at")[:BATCH]),
        )

    def apply(self):
        """Delete what is due, from the storage and the database; returns the counts."""
        for attachment in self.attachments:
            attachment.remove(RemovalReason.RETENTION, self.now)
        deleted_mail = InboundEmail.objects.filter(pk__in=[mail.pk for mail in self.raw_mails]).delete()[1]
        for export in self.exports:
            export.delete_file()
        counts = {
            "attachments": len(self.attachments),
            "raw_mails": deleted_mail.get(InboundEmail._meta.label, 0),
            "exports": len(self.exports),
        }
        if any(counts.values()):
            logger.info("Retention removed %(attachments)d files, %(raw_mails)d raw mails, %(exports)d exports", counts)
        return counts


def apply_retention(now=None):
    return Retention.due(now).apply()
