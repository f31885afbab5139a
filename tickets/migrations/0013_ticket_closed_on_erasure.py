"""Tickets closed because their customer's account was erased are no resolution.

Marks the tickets an erasure closed before this field existed (closed, and their latest close was
the erasure's). Their resolutions leave the dashboard's counts at the next nightly reconciliation,
which logs how many counts it corrected. A database migrated from before 0010 with tickets gets
its counts built here (0010 could not: the reconciliation reads this new field).
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

STATUS_EVENTS = ("status", "auto_closed", "erased")


def mark_tickets_closed_on_erasure(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    latest = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), kind__in=STATUS_EVENTS)
        .order_by("-created_at", "-pk")
        .values("kind")[:1]
    )
    erased = Ticket.objects.filter(status="closed", events__kind="erased").distinct()
    Ticket.objects.filter(pk__in=erased.annotate(last=Subquery(latest)).filter(last="erased").values("pk")).update(
        closed_on_erasure=True
    )


def count_existing_tickets(apps, schema_editor):
    from tickets.rollups import reconcile

    counted = apps.get_model("tickets", "NewTicketCount").objects.exists()
    if not counted and apps.get_model("tickets", "Ticket").objects.exists():
        reconcile()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0012_event_and_notification_kinds_merged"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="closed_on_erasure",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Closed because the customer's account was erased: nobody solved it, so it counts in no "
                "resolution figure and asks for no rating.",
                verbose_name="closed on erasure",
            ),
        ),
        migrations.RunPython(mark_tickets_closed_on_erasure, migrations.RunPython.noop),
        migrations.RunPython(count_existing_tickets, migrations.RunPython.noop),
    ]
