"""Background work of recurring problems (tickets.models.problem): posting a problem's reply to
each linked ticket, in batches, and noticing bursts of new tickets (Celery beat).

A broadcast's rows are claimed one by one in the transaction of their reply, so the task may run
twice, or die halfway and be sent again by the sweep, and every ticket still gets one reply.
The plain functions are what the tests call.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from kombu.exceptions import OperationalError

from tickets import problems, signals
from tickets.models import BroadcastState, ProblemBroadcast

logger = logging.getLogger(__name__)

# Tickets posted per task; the task queues itself again for the rest, so a 500-ticket problem
# is a few short tasks rather than one long one, and the page shows progress in between.
BATCH = 100
# A broadcast whose rows are still pending this long after the last one was handled lost its task.
STALLED = timedelta(minutes=2)


@shared_task(ignore_result=True)
def post_broadcast(pk):
    if run_broadcast(pk):
        queue_broadcast(pk)


@shared_task(ignore_result=True)
def notice_bursts():
    problems.notice_bursts()


@shared_task(ignore_result=True)
def resume_broadcasts():
    resume()


@receiver(signals.broadcast_started, dispatch_uid="tickets.tasks.problems.broadcast_started")
def _on_broadcast_started(sender, *, broadcast, **kwargs):
    """A problem's reply was written (tickets.models.problem): its posting starts once that commits."""
    transaction.on_commit(lambda: queue_broadcast(broadcast.pk))


def queue_broadcast(pk):
    """Queue the next batch; a broker outage is left to the periodic resume (never raised)."""
    try:
        post_broadcast.delay(pk)
    except OperationalError:
        logger.warning("Broker unreachable: problem broadcast %s waits for the resume", pk)


def run_broadcast(pk, batch=BATCH):
    """Post one batch of broadcast `pk`; returns whether rows are left for another batch."""
    broadcast = ProblemBroadcast.objects.select_related("author").filter(pk=pk).first()
    if broadcast is None or broadcast.finished_at is not None:
        return False
    items = list(
        broadcast.items.filter(state=BroadcastState.PENDING).order_by("pk").values_list("pk", flat=True)[:batch]
    )
    posted = sum(1 for item in items if broadcast.post_to(item))
    logger.info("Problem broadcast %s: posted %s of a batch of %s", pk, posted, len(items))
    if len(items) < batch:
        broadcast.finish_if_done()
        return False
    return True


def resume(now=None):
    """Queue again the broadcasts whose task was lost (a broker outage, a worker killed mid-batch)."""
    now = now or timezone.now()
    # A row claimed by a worker that died before its transaction committed is pending again by rollback.
    stalled = (
        ProblemBroadcast.objects.filter(finished_at__isnull=True, created_at__lt=now - STALLED)
        .exclude(items__handled_at__gt=now - STALLED)
        .values_list("pk", flat=True)
        .distinct()
    )
    pks = list(stalled)
    for pk in pks:
        transaction.on_commit(lambda pk=pk: queue_broadcast(pk))
    return pks
