from django.core.management.base import BaseCommand
from django.utils import timezone

from privacy.retention import Retention


class Command(BaseCommand):
    help = (
        "Delete the files of closed tickets and the raw e-mails that their department's retention policy no "
        "longer keeps, and expired data exports. With --dry-run, only list them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would be deleted; delete nothing.")

    def handle(self, *args, dry_run=False, **options):
        due = Retention.due()
        for attachment in due.attachments:
            ticket = attachment.message.ticket
            closed = timezone.localtime(ticket.closed_at)
            self.stdout.write(
                f"file {attachment.pk} {attachment.original_name!r} ({attachment.size} bytes) of ticket "
                f"{ticket.display_reference}, {ticket.department}, closed {closed:%Y-%m-%d}"
            )
        for mail in due.raw_mails:
            self.stdout.write(
                f"raw e-mail {mail.pk} from {mail.sender or '-'} to {mail.recipient or '-'}, "
                f"received {timezone.localtime(mail.received_at):%Y-%m-%d}"
            )
        for export in due.exports:
            self.stdout.write(f"data export {export.pk}, expired {timezone.localtime(export.expires_at):%Y-%m-%d}")
        totals = f"{len(due.attachments)} files, {len(due.raw_mails)} raw e-mails, {len(due.exports)} data exports"
        if dry_run:
            self.stdout.write(f"Dry run: would delete {totals}.")
            return
        due.apply()
        self.stdout.write(f"Deleted {totals}.")
