"""Periodic response-target work (Celery beat): mark overdue tickets, close Answered tickets left unanswered.

Both may run in several beat or worker instances at once: each ticket is claimed by its model
method (a conditional UPDATE, or a row lock and a re-check), so a breach or a closing is recorded
and notified exactly once. The plain functions are what the tests call.
"""

import logging

from celery import shared_task
from django.utils import timezone

from tickets.models import Ticket

logger = logging.getLogger(__name__)

# Tickets handled per run; a backlog drains over the next runs instead of one endless task.
BATCH = 1000


@shared_task(ignore_result=True)
def mark_overdue_tickets():
    mark_overdue()


@shared_task(ignore_result=True)
def auto_close_tickets():
    auto_close()


def _each(queryset, order):
    pks = list(queryset.order_by(order).values_list("pk", flat=True)[:BATCH])
    return Ticket.objects.filter(pk__in=pks).order_by(order)


def mark_overdue(now=None):
    """Record the breach of every ticket whose due time passed; returns how many this run recorded."""
    now = now or timezone.now()
    marked = sum(
        1
        for ticket in _each(Ticket.objects.overdue(now).filter(breached_at__isnull=True), "due_at")
        if ticket.mark_overdue(now)
    )
    if marked:
        logger.info("Marked %d tickets overdue", marked)
    return marked


def auto_close(now=None):
    """Close the Answered tickets whose customer did not reply in time; returns how many this run closed."""
    now = now or timezone.now()
    closed = sum(1 for ticket in _each(Ticket.objects.auto_closable(now), "updated_at") if ticket.auto_close(now))
    if closed:
        logger.info("Closed %d tickets automatically", closed)
    return closed
