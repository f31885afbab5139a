"""Response targets: business-time arithmetic, each department's clock, and the ticket's response clock.

A department counts its targets around the clock, or only in its business hours (a weekly
schedule and a list of holidays in its own time zone). `add_business_time` and
`business_seconds_between` are pure functions of a `Calendar`; `update_clock` keeps a ticket's
clock fields in line with its status, department and priority (the Ticket's state changes call it).

All arithmetic is done on UTC instants; wall-clock times are turned into instants per day through
zoneinfo, so a day with a daylight-saving change has its real length.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext, ngettext

from departments.models import BusinessHours, Department, Holiday, ResponseTarget
from tickets.enums import WAITING_FOR_STAFF, Priority

# How far the arithmetic looks ahead: a deadline further away than this is no deadline, and a
# running period longer than this counts only up to it (every target has passed long before).
HORIZON_DAYS = 3 * 366

# A TimeField cannot say 24:00, so "until 23:59" means until midnight.
END_OF_DAY = time(23, 59)

POLICY_CACHE_SECONDS = 600


@dataclass(frozen=True)
class Calendar:
    """When a department's clock runs. `hours` is None around the clock, else one tuple of
    (start, end) wall-clock times per weekday (Monday first), sorted and without overlaps."""

    tz: ZoneInfo
    hours: tuple | None = None
    holidays: frozenset = field(default_factory=frozenset)

    @classmethod
    def weekly(cls, tz, periods, holidays=()):
        """A business-hours calendar from (weekday, start, end) rows; overlapping rows are merged."""
        days = [[] for _weekday in range(7)]
        for weekday, start, end in sorted(periods):
            merged = days[weekday]
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return cls(tz=tz, hours=tuple(tuple(day) for day in days), holidays=frozenset(holidays))

    @property
    def around_the_clock(self):
        return self.hours is None

    def periods(self, day):
        """The working periods of a local date as UTC instants."""
        if day in self.holidays:
            return []
        result = []
        for start, end in self.hours[day.weekday()]:
            begin = datetime.combine(day, start, tzinfo=self.tz)
            if end >= END_OF_DAY:
                finish = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
            else:
                finish = datetime.combine(day, end, tzinfo=self.tz)
            # Aware datetimes of one tzinfo subtract as wall times; convert so lengths are real.
            result.append((begin.astimezone(UTC), finish.astimezone(UTC)))
        return result


def add_business_time(start, seconds, calendar):
    """The instant at which `seconds` of the calendar's time have passed after `start`.

    None when that is beyond the horizon (a calendar without any working day).
    """
    start = start.astimezone(UTC)
    if seconds <= 0:
        return start
    if calendar.around_the_clock:
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    day = start.astimezone(calendar.tz).date()
    for _offset in range(HORIZON_DAYS):
        for begin, finish in calendar.periods(day):
            begin = max(begin, start)
            if finish <= begin:
                continue
            if finish - begin >= remaining:
                return begin + remaining
            remaining -= finish - begin
        day += timedelta(days=1)
    return None


def business_seconds_between(start, end, calendar):
    """Whole seconds of the calendar's time between two instants (0 if `end` is not after `start`)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    end = min(end, start + timedelta(days=HORIZON_DAYS))
    if end <= start:
        return 0
    if calendar.around_the_clock:
        return int((end - start).total_seconds())
    total = timedelta()
    day, last = start.astimezone(calendar.tz).date(), end.astimezone(calendar.tz).date()
    while day <= last:
        for begin, finish in calendar.periods(day):
            overlap = min(finish, end) - max(begin, start)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return int(total.total_seconds())


# A department's clock and targets, cached (shared by all processes through the cache).


@dataclass(frozen=True)
class Target:
    first_response: int  # seconds of the department's clock
    resolution: int


@dataclass(frozen=True)
class Policy:
    calendar: Calendar
    targets: dict  # Priority value -> Target


def _zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def load_policy(department_id):
    """Read a department's calendar and targets from the database (a few small queries).

    A department set to business hours without any hours configured counts around the clock:
    a misconfiguration must not stop every clock.
    """
    department = Department.objects.get(pk=department_id)
    hours = list(department.business_hours.values_list("weekday", "start", "end"))
    tz = _zone(department.timezone)
    if department.business_hours_only and hours:
        holidays = department.holidays.values_list("date", flat=True)
        calendar = Calendar.weekly(tz, hours, holidays)
    else:
        calendar = Calendar(tz=tz)
    targets = {
        priority: Target(first * 60, resolution * 60)
        for priority, first, resolution in department.targets.values_list(
            "priority", "first_response_minutes", "resolution_minutes"
        )
    }
    return Policy(calendar=calendar, targets=targets)


def _cache_key(department_id):
    return f"sla:policy:{department_id}"


def policy_for(department_id):
    """The department's calendar and targets, from the cache when it has them."""
    key = _cache_key(department_id)
    policy = cache.get(key)
    if policy is None:
        policy = load_policy(department_id)
        cache.set(key, policy, POLICY_CACHE_SECONDS)
    return policy


def forget_policy(sender, instance, **kwargs):
    """Signal receiver: an edit of a department, its hours, holidays or targets drops its cached policy."""
    department_id = instance.pk if sender._meta.model_name == "department" else instance.department_id
    cache.delete(_cache_key(department_id))


def connect_signals():
    for model in (Department, BusinessHours, Holiday, ResponseTarget):
        for signal in (post_save, post_delete):
            signal.connect(forget_policy, sender=model, dispatch_uid=f"sla.forget.{model.__name__}.{signal}")


# The ticket's response clock.

CLOCK_FIELDS = (
    "sla_elapsed",
    "sla_clock_started_at",
    "first_response_due_at",
    "resolution_due_at",
    "due_at",
    "breached_at",
)


def _deadline(ticket, target_seconds, calendar):
    """When the running clock reaches the target; a target already used up is due since the clock resumed."""
    remaining = target_seconds - ticket.sla_elapsed
    return add_business_time(ticket.sla_clock_started_at, remaining, calendar)


def update_clock(ticket, now, *, new_target=False):
    """Bring the ticket's clock in line with its status, department and priority (in memory).

    The clock runs while the ticket waits for staff; stopping it adds the period's time (on the
    department's clock) to `sla_elapsed`. While it runs, the due times are the targets minus the
    time used, and `due_at` is the nearest pending one; while it is stopped `due_at` is empty and
    the other due times keep the deadlines the clock was heading for (the first-response one
    stays as it was at the first response, which is what compliance is measured against).

    `breached_at` is cleared when the breach it recorded no longer stands: the target changed
    (`new_target`, e.g. a transfer), the first response answered a first-response breach, or the
    due time moved into the future. Returns the names of the fields that changed.
    """
    before = [getattr(ticket, name) for name in CLOCK_FIELDS]
    policy = policy_for(ticket.department_id)
    running = ticket.status in WAITING_FOR_STAFF
    if ticket.sla_clock_started_at and not running:
        ticket.sla_elapsed += business_seconds_between(ticket.sla_clock_started_at, now, policy.calendar)
        ticket.sla_clock_started_at = None
    elif running and not ticket.sla_clock_started_at:
        ticket.sla_clock_started_at = now

    target = policy.targets.get(ticket.priority)
    if target is None:
        ticket.first_response_due_at = ticket.resolution_due_at = ticket.due_at = None
    elif running:
        if ticket.first_response_at is None:
            ticket.first_response_due_at = _deadline(ticket, target.first_response, policy.calendar)
        ticket.resolution_due_at = _deadline(ticket, target.resolution, policy.calendar)
        pending = [ticket.resolution_due_at]
        if ticket.first_response_at is None:
            pending.append(ticket.first_response_due_at)
        ticket.due_at = min((due for due in pending if due is not None), default=None)
    else:
        ticket.due_at = None

    answered_breach = (
        ticket.breached_at is not None
        and ticket.first_response_at is not None
        and ticket.breached_at <= ticket.first_response_at
    )
    if new_target or target is None or answered_breach or (ticket.due_at is not None and ticket.due_at > now):
        ticket.breached_at = None
    return [name for name, old in zip(CLOCK_FIELDS, before, strict=True) if getattr(ticket, name) != old]


# What the customer is told on the new-ticket page.


def describe_duration(minutes, business):
    """'45 minutes', '4 business hours', '2 days'... rounded up to the unit shown."""
    if minutes < 90:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = math.ceil(minutes / 60)
    if business:
        return ngettext("%(count)d business hour", "%(count)d business hours", hours) % {"count": hours}
    if hours < 48:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = math.ceil(hours / 24)
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def usual_response(department):
    """The department's usual first-response time (its medium-priority target) as a sentence, or ''."""
    policy = policy_for(department.pk)
    target = policy.targets.get(Priority.MEDIUM)
    if target is None:
        return ""
    business = not policy.calendar.around_the_clock
    duration = describe_duration(math.ceil(target.first_response / 60), business)
    if business:
        return gettext("Usually answers within %(duration)s.") % {"duration": duration}
    return gettext("Usually answers within %(duration)s, around the clock.") % {"duration": duration}
