"""Keeping the dashboard's running counts (tickets.models.rollup) tidy and right.

`compact` folds the rows appended by ticket changes into one row per key (beat, every minute).
`reconcile` recomputes every count from the tickets with the same `contributions` the changes
use, and appends the difference as corrections (beat, nightly; and after seeding data that
bypassed the models). It reads window by window (open tickets, then the days in slices), each
slice in one snapshot of the tickets and the counts together, so changes committed meanwhile
are neither lost nor counted twice, and memory stays bounded whatever the number of tickets.
"""

import logging
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from departments.models import ResponseTarget
from tickets.models import NewTicketCount, OpenTicketCount, ResponseTimeCount, Ticket
from tickets.models.rollup import ROLLUPS, STATE_FIELDS, add_values, contributions, local_day

logger = logging.getLogger(__name__)

WINDOW_DAYS = 61
CHUNK = 5_000


def compact():
    """Fold the pending rows of every rollup; returns how many were folded."""
    return sum(model.compact() for model in ROLLUPS)


def reconcile(now=None):
    """Recompute every count from the tickets and append corrections; returns how many keys were wrong."""
    now = now or timezone.now()
    targets = {
        (department_id, priority): minutes * 60
        for department_id, priority, minutes in ResponseTarget.objects.values_list(
            "department_id", "priority", "resolution_minutes"
        )
    }

    def resolution_target(department_id, priority):
        return targets.get((department_id, priority))

    wrong = _reconcile(OpenTicketCount, Ticket.objects.open(), OpenTicketCount.objects.all(), resolution_target)
    first, last = _days(now)
    start = first
    while start <= last:
        end = start + timedelta(days=WINDOW_DAYS)
        since, until = _midnight(start), _midnight(end)
        wrong += _reconcile(
            NewTicketCount,
            Ticket.objects.filter(created_at__gte=since, created_at__lt=until),
            NewTicketCount.objects.filter(day__gte=start, day__lt=end),
            resolution_target,
            lambda key, start=start, end=end: start <= key[0] < end,
        )
        wrong += _reconcile(
            ResponseTimeCount,
            Ticket.objects.filter(
                Q(first_response_at__gte=since, first_response_at__lt=until)
                | Q(closed_at__gte=since, closed_at__lt=until)
            ),
            ResponseTimeCount.objects.filter(day__gte=start, day__lt=end),
            resolution_target,
            lambda key, start=start, end=end: start <= key[0] < end,
        )
        start = end
    if wrong:
        logger.warning("Reconciliation corrected %d dashboard counts", wrong)
    return wrong


def _days(now):
    """The first and last local day that any ticket or count mentions."""
    tickets = Ticket.objects.aggregate(
        first=Min("created_at"), last=Max("created_at"), closed=Max("closed_at"), answered=Max("first_response_at")
    )
    days = [local_day(now)]
    days += [local_day(moment) for moment in tickets.values() if moment is not None]
    for model in (NewTicketCount, ResponseTimeCount):
        days += [day for day in model.objects.aggregate(first=Min("day"), last=Max("day")).values() if day is not None]
    return min(days), max(days)


def _midnight(day):
    return datetime.combine(day, time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _reconcile(model, tickets, counted, resolution_target, wanted=None):
    with _snapshot():
        expected = {}
        for row in tickets.values(*STATE_FIELDS).order_by().iterator(chunk_size=CHUNK):
            found = contributions(SimpleNamespace(**row), resolution_target)
            add_values(expected, ((key, values) for (kind, key), values in found.items() if kind is model and
                            (wanted is None or wanted(key))))  # fmt: skip
        actual = counted.sums()
        corrections = []
        for key in expected.keys() | actual.keys():
            want = expected.get(key, (0,) * len(model.VALUES))
            have = actual.get(key, (0,) * len(model.VALUES))
            if want != have:
                corrections.append(model.row(key, tuple(a - b for a, b in zip(want, have, strict=True))))
        model.objects.bulk_create(corrections, batch_size=CHUNK)
        return len(corrections)


@contextmanager
def _snapshot():
    """A transaction that sees the tickets and the counts as of one moment (REPEATABLE READ on
    PostgreSQL when it starts the transaction; inside one, as in tests, the surrounding one)."""
    repeatable = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if repeatable:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
