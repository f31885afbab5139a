"""A customer's copy of their data (LGPD art. 18, access and portability): one zip with data.json
and their files.

What goes in is what the customer panel shows them, derived from the one access rule: their
tickets among Ticket.objects.visible_to(user), those tickets' public messages (never an internal
note, also for a customer who happens to be an agent) and events, and the files of those messages.
"""

import json
import tempfile
import zipfile

from django.conf import settings
from django.core.files import File
from django.utils import timezone

from tickets.models import Attachment, EventKind, Message, Ticket, TicketEvent

# How often (in tickets) the progress shown on the page is written.
PROGRESS_EVERY = 20


def _time(value):
    return value.isoformat() if value else None


def customer_tickets(user):
    """The tickets of the customer panel: the access rule narrowed to the user's own."""
    return Ticket.objects.visible_to(user).filter(customer=user)


def build_zip(export, out):
    """Write `export.user`'s data as a zip into the binary file `out`, updating the export's progress."""
    user = export.user
    tickets = list(customer_tickets(user).select_related("department", "service").order_by("created_at", "pk"))
    messages = Message.objects.visible_to(user).public().filter(ticket__in=[t.pk for t in tickets])
    by_ticket = {ticket.pk: [] for ticket in tickets}
    files_of = {}
    for file in Attachment.objects.visible_to(user).stored().filter(message__in=messages).order_by("pk"):
        files_of.setdefault(file.message_id, []).append(file)
    events = {ticket.pk: [] for ticket in tickets}
    for event in (
        TicketEvent.objects.filter(ticket__in=[t.pk for t in tickets])
        .exclude(kind=EventKind.CREATED)
        .select_related("actor")
    ):
        events[event.ticket_id].append(
            {
                "time": _time(event.created_at),
                "kind": event.kind,
                "description": str(event.get_kind_display()),
                "from": str(event.old_label),
                "to": str(event.new_label),
                "by": event.actor.get_full_name() if event.actor_id else None,
                "note": event.note,
            }
        )
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for message in messages.select_related("author").order_by("created_at", "pk"):
            entry = {
                "time": _time(message.created_at),
                "from": message.sender_display,
                "from_support_team": message.from_staff,
                "source": message.source,
                "text": message.body,
                "files": [],
            }
            for file in files_of.get(message.pk, []):
                path = f"files/{message.ticket_id}-{file.pk}-{file.original_name}"
                with file.file.open("rb") as content:
                    archive.writestr(path, content.read())
                entry["files"].append(path)
            by_ticket[message.ticket_id].append(entry)
        data_tickets = []
        for index, ticket in enumerate(tickets, start=1):
            data_tickets.append(
                {
                    "reference": ticket.display_reference,
                    "subject": ticket.subject,
                    "summary": ticket.summary,
                    "department": ticket.department.name,
                    "service": ticket.service.name if ticket.service_id else None,
                    "priority": ticket.priority,
                    "status": ticket.status,
                    "site": ticket.site,
                    "created_at": _time(ticket.created_at),
                    "closed_at": _time(ticket.closed_at),
                    "messages": by_ticket[ticket.pk],
                    "events": events[ticket.pk],
                }
            )
            if index % PROGRESS_EVERY == 0:
                export.set_progress(min(95, 10 + 85 * index // len(tickets)))
        data = {
            "exported_at": _time(timezone.now()),
            "helpdesk": settings.HELPDESK_NAME,
            "account": {
                "email": user.email,
                "name": user.name,
                "language": user.language,
                "time_zone": user.time_zone,
                "date_joined": _time(user.date_joined),
                "last_login": _time(user.last_login),
            },
            "contacts": [
                {
                    "email": contact.email,
                    "name": contact.name,
                    "added": _time(contact.created_at),
                    "confirmed": _time(contact.verified_at),
                }
                for contact in user.contacts.all()
            ],
            "tickets": data_tickets,
        }
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))


def build(export):
    """Build and store the zip of a claimed export."""
    export.set_progress(5)
    with tempfile.TemporaryFile() as out:
        build_zip(export, out)
        out.seek(0)
        export.finish(File(out), f"{export.token}.zip")
