"""Running counts behind the supervisors' dashboard, kept as tickets change.

Every save of a ticket that changes what the dashboard counts appends, in the same transaction,
rows holding the difference it makes (−1 for the old state, +1 for the new one). Nothing is
updated in place, so two requests never wait for each other on a busy counter, nor deadlock.
Beat's `compact-rollups` folds those rows into one row per key every minute; readers sum the
rows of a key whether or not they were folded yet, so a figure is right at any moment. A nightly
reconciliation recomputes every count from the tickets and appends the corrections.

What a ticket contributes is decided in one place, `contributions`, for both the incremental
path and the reconciliation. The counts carry no customer: erasing one changes none of them but
the open tickets it closes, which leave the open counts and, not being solved, add no resolution.

Days are local days of the installation's time zone (settings.TIME_ZONE). Response and
resolution times are kept as a sketch per day: in buckets whose bounds grow by 2 % (GAMMA), the
count and the summed seconds of the times that fell in each. A percentile is read as the mean of
its bucket, so it lies within 2 % of the exact one however many tickets there are (and is exact
when the bucket holds one time); days, departments and periods merge by adding.
"""

import math
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from tickets import sla
from tickets.enums import WAITING_FOR_STAFF, Status
from tickets.models import rules

# The sketches' buckets: the upper bound of each is GAMMA times the one before, so any two times
# in one bucket are within GAMMA - 1 (2 %) of each other.
GAMMA = 1.02
_LOG_GAMMA = math.log(GAMMA)

# What a ticket's counts depend on: a save that writes none of these changes no count.
STATE_FIELDS = (
    "department_id",
    "service_id",
    "status",
    "priority",
    "assignee_id",
    "merged_into_id",
    "created_at",
    "first_response_at",
    "first_response_due_at",
    "closed_at",
    "closed_on_erasure",
    "escalated_at",
    "breached_at",
    "sla_elapsed",
)
COUNTED_FIELDS = frozenset(STATE_FIELDS) | {name.removesuffix("_id") for name in STATE_FIELDS}

# Pending rows folded per model in one compaction; a backlog drains over the next runs.
COMPACT_BATCH = 20_000


def local_day(moment):
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def bucket(seconds):
    """The sketch bucket of a duration: bucket i holds (GAMMA**(i-1), GAMMA**i] seconds; 0 holds under a second."""
    return 0 if seconds < 1 else max(1, math.ceil(math.log(seconds) / _LOG_GAMMA - 1e-9))


def percentile(sketch, fraction):
    """The continuous percentile (interpolated, like PostgreSQL's percentile_cont) of a sketch.

    `sketch` maps buckets to (count, summed seconds). Each order statistic is read as the mean of
    its bucket, so the result is within 2 % of the exact percentile. Returns a timedelta, or None
    for an empty sketch.
    """
    total = sum(count for count, _seconds in sketch.values())
    if total <= 0:
        return None
    position = fraction * (total - 1)
    low = math.floor(position)
    wanted = (low, min(low + 1, total - 1))
    values, seen = [], 0
    for index in sorted(sketch):
        count, seconds = sketch[index]
        seen += count
        while len(values) < 2 and wanted[len(values)] < seen:
            values.append(seconds / count)
    seconds = values[0] + (values[1] - values[0]) * (position - low)
    return timedelta(seconds=round(seconds))


class RollupQuerySet(models.QuerySet):
    def sums(self):
        """{key: (summed values...)} over every row of each key, folded or still pending."""
        model = self.model
        rows = self.values(*model.KEY).annotate(**{f"total_{name}": Sum(name) for name in model.VALUES}).order_by()
        return {
            tuple(row[name] for name in model.KEY): tuple(row[f"total_{name}"] for name in model.VALUES) for row in rows
        }


class Rollup(models.Model):
    """Rows of running counts: `KEY` names what a row counts, `VALUES` the counts it adds."""

    KEY = ()
    VALUES = ("count",)

    count = models.IntegerField(_("count"), default=0)
    # Appended by a ticket's change and not yet folded into the key's row by the compaction.
    pending = models.BooleanField(_("pending"), default=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{' · '.join(map(str, self.key))}: {', '.join(map(str, self.values))}"

    @classmethod
    def row(cls, key, values, *, pending=True):
        fields = {**dict(zip(cls.KEY, key, strict=True)), **dict(zip(cls.VALUES, values, strict=True))}
        return cls(pending=pending, **fields)

    @property
    def key(self):
        return tuple(getattr(self, name) for name in self.KEY)

    @property
    def values(self):
        return tuple(getattr(self, name) for name in self.VALUES)

    @classmethod
    def folded_rows(cls, keys):
        """The folded rows that may hold some of `keys` (a superset; matched by key afterwards)."""
        return cls.objects.filter(pending=False)

    @classmethod
    def compact(cls, batch=COMPACT_BATCH):
        """Fold up to `batch` pending rows into one row per key; returns how many were folded.

        One compaction at a time (an advisory lock on PostgreSQL; SQLite writes one transaction
        at a time anyway); new rows appended meanwhile wait for the next run.
        """
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"rollup:{cls._meta.db_table}"])
            pending = list(cls.objects.filter(pending=True).order_by("pk")[:batch])
            if not pending:
                return 0
            sums = add_values({}, ((row.key, row.values) for row in pending))
            folded = {}
            for row in cls.folded_rows(sums):
                if row.key in sums:
                    folded.setdefault(row.key, []).append(row)
            changed, created, emptied = [], [], []
            for key, values in sums.items():
                rows = folded.get(key)
                if not rows:
                    if any(values):
                        created.append(cls.row(key, values, pending=False))
                    continue
                keep, *extra = rows
                emptied += extra
                total = tuple(map(sum, zip(values, *(row.values for row in rows), strict=True)))
                if any(total):
                    for name, value in zip(cls.VALUES, total, strict=True):
                        setattr(keep, name, value)
                    changed.append(keep)
                else:
                    emptied.append(keep)
            cls.objects.filter(pk__in=[row.pk for row in pending] + [row.pk for row in emptied]).delete()
            cls.objects.bulk_update(changed, cls.VALUES)
            cls.objects.bulk_create(created)
            return len(pending)


class DailyRollup(Rollup):
    day = models.DateField(_("day"))

    class Meta:
        abstract = True

    @classmethod
    def folded_rows(cls, keys):
        return cls.objects.filter(pending=False, day__in={key[0] for key in keys})


class OpenTicketCount(Rollup):
    """Open tickets now, by department, status, assignee, whether escalated and whether overdue
    (waiting for staff with a breach that mark-overdue recorded)."""

    KEY = ("department_id", "status", "assignee_id", "escalated", "breached")

    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="+", verbose_name=_("department")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    escalated = models.BooleanField(_("escalated"))
    breached = models.BooleanField(_("overdue"))

    class Meta:
        verbose_name = _("open tickets count")
        verbose_name_plural = _("open tickets counts")
        indexes = [models.Index(fields=["id"], name="open_count_pending", condition=Q(pending=True))]


class NewTicketCount(DailyRollup):
    """Tickets opened per day, by department and service (as the tickets stand now)."""

    KEY = ("day", "department_id", "service_id")

    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="+", verbose_name=_("department")
    )
    service = models.ForeignKey(
        "departments.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )

    class Meta:
        verbose_name = _("new tickets count")
        verbose_name_plural = _("new tickets counts")
        indexes = [
            models.Index(fields=["day", "department"], name="new_count_day"),
            models.Index(fields=["id"], name="new_count_pending", condition=Q(pending=True)),
        ]


class Measure(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class ResponseTimeCount(DailyRollup):
    """First responses given and tickets solved per day and department, with how many had a
    target and met it, in one row per sketch bucket of the time they took (from the opening)
    with those times' sum."""

    KEY = ("day", "department_id", "measure", "bucket")
    VALUES = ("count", "seconds", "with_target", "in_time")

    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="+", verbose_name=_("department")
    )
    measure = models.CharField(_("measure"), max_length=20, choices=Measure.choices)
    bucket = models.SmallIntegerField(_("time bucket"))
    seconds = models.BigIntegerField(_("seconds"), default=0)
    with_target = models.IntegerField(_("with a target"), default=0)
    in_time = models.IntegerField(_("within the target"), default=0)

    class Meta:
        verbose_name = _("response time count")
        verbose_name_plural = _("response time counts")
        indexes = [
            models.Index(fields=["day", "department"], name="time_count_day"),
            models.Index(fields=["id"], name="time_count_pending", condition=Q(pending=True)),
        ]


ROLLUPS = (OpenTicketCount, NewTicketCount, ResponseTimeCount)


def contributions(ticket, resolution_target):
    """What one ticket (a Ticket, or any object with STATE_FIELDS) adds to the counts:
    {(rollup model, key): values}. `resolution_target(department_id, priority)` gives the
    resolution target in seconds of the department's clock, or None."""
    found = {}
    if rules.is_active(ticket.status):
        key = (
            ticket.department_id,
            ticket.status,
            ticket.assignee_id,
            rules.is_escalated(ticket.status, ticket.escalated_at),
            ticket.status in WAITING_FOR_STAFF and ticket.breached_at is not None,
        )
        found[OpenTicketCount, key] = (1,)
    found[NewTicketCount, (local_day(ticket.created_at), ticket.department_id, ticket.service_id)] = (1,)
    if ticket.first_response_at is not None:
        due = ticket.first_response_due_at
        in_time = due is not None and ticket.first_response_at <= due
        found.update(_time(ticket, ticket.first_response_at, Measure.FIRST_RESPONSE, due is not None, in_time))
    if ticket.closed_at is not None and ticket.merged_into_id is None and not ticket.closed_on_erasure:
        target = resolution_target(ticket.department_id, ticket.priority)
        in_time = target is not None and ticket.sla_elapsed <= target
        found.update(_time(ticket, ticket.closed_at, Measure.RESOLUTION, target is not None, in_time))
    return found


def _time(ticket, moment, measure, with_target, in_time):
    seconds = max(0, round((moment - ticket.created_at).total_seconds()))
    key = (local_day(moment), ticket.department_id, measure, bucket(seconds))
    return {(ResponseTimeCount, key): (1, seconds, int(with_target), int(in_time))}


def current_resolution_target(department_id, priority):
    target = sla.policy_for(department_id).targets.get(priority)
    return None if target is None else target.resolution


def record(before, after):
    """Append what changed between two states of one ticket (None: no ticket) to the counts."""
    changes = add_values({}, [] if after is None else contributions(after, current_resolution_target).items())
    if before is not None:
        negated = ((key, tuple(-value for value in values)) for key, values in
                   contributions(before, current_resolution_target).items())  # fmt: skip
        changes = add_values(changes, negated)
    rows = defaultdict(list)
    for (model, key), values in changes.items():
        if any(values):
            rows[model].append(model.row(key, values))
    for model, new in rows.items():
        model.objects.bulk_create(new)


def forget_deleted_ticket(sender, instance, **kwargs):
    """pre_delete receiver: a deleted ticket's counts go with it (in the deleting transaction)."""
    record(instance, None)


def add_values(totals, items):
    """Add (key, values) pairs into `totals`, value by value; returns `totals`."""
    for key, values in items:
        if key in totals:
            totals[key] = tuple(a + b for a, b in zip(totals[key], values, strict=True))
        else:
            totals[key] = tuple(values)
    return totals
