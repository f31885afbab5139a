"""The supervisors' dashboard figures.

Every figure is an aggregate computed by the database, in a fixed number of queries whatever the
number of tickets, departments or agents: counts with FILTER clauses, percentiles with
PostgreSQL's `percentile_cont` (on SQLite, the development database, the same SQL runs with an
equivalent aggregate registered on the connection), subject words split and counted in SQL.
"""

import json
import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Aggregate, Case, Count, DurationField, F, IntegerField, Q, Value, When
from django.db.models.functions import TruncDay, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from departments.models import Department, Membership, ResponseTarget, Service
from tickets.models import WAITING_FOR_STAFF, Ticket, rules
from tickets.models.rules import ACTIVE_STATUSES

PERIODS = (7, 30, 90)
# The period's figures read hundreds of thousands of rows at a million tickets: computed once per
# department set, period and time zone, then served from the cache this long. The counts of what
# is open, overdue and escalated are always live.
PERIOD_CACHE_SECONDS = 300
# Recurring subjects and words are looked for in the period's latest tickets only (by id, which
# follows the order of creation: the primary key index finds them without sorting the period).
SUBJECT_SAMPLE = 20_000
REPORT_WORK_MEM = "64MB"
DEFAULT_PERIOD = 30
LIST_SIZE = 10
TOP_SIZE = 8
# Periods up to this many days are charted per day, longer ones per week.
DAILY_UP_TO = 14

# Words that say nothing about the problem (Portuguese and English), left out of recurring words.
STOPWORDS = frozenset(
    """
    ajuda algo após apos ate até bom boa com como dia das dos ele ela esta está estão estou favor
    isso meu minha meus minhas mais muito não nao nas nos num numa olá ola para pela pelo por porque
    preciso problema problemas quando qual que quero sem ser seu sua são tarde tem tenho uma urgente
    and are can cannot does for from have help how issue not please problem the this what when with
    you your
    agora cedo desde hoje novamente ontem sempre again now since today yesterday
    """.split()
)
MIN_WORD_LENGTH = 3
OPEN_STATUSES = list(ACTIVE_STATUSES)


class Percentile(Aggregate):
    """The continuous percentile (interpolated, like PostgreSQL's percentile_cont) of an expression."""

    function = "percentile_cont"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction, **extra):
        # A float literal in the SQL: PostgreSQL wants a constant here, and it is never user input.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        connection.ensure_connection()
        connection.connection.create_aggregate("percentile_cont", 2, _SqlitePercentile)
        clone = self.copy()
        clone.template = "%(function)s(%(expressions)s, %(fraction)s)"
        return clone.as_sql(compiler, connection, **extra_context)


class _SqlitePercentile:
    """percentile_cont for SQLite: the same interpolation as PostgreSQL's."""

    def __init__(self):
        self.values = []
        self.fraction = 0.5

    def step(self, value, fraction):
        if value is not None:
            self.values.append(value)
            self.fraction = fraction

    def finalize(self):
        if not self.values:
            return None
        values = sorted(self.values)
        position = self.fraction * (len(values) - 1)
        low, high = math.floor(position), math.ceil(position)
        return values[low] + (values[high] - values[low]) * (position - low)


def scope(user):
    """The departments whose figures `user` sees: the ones they supervise, every one for superusers."""
    departments = Department.objects.all()
    if not user.is_superuser:
        departments = departments.filter(pk__in=user.supervised_department_ids)
    return departments


def format_duration(value):
    """'45 min', '3 h 20 min', '2 d 4 h' — two units at most, for tables of times."""
    if value is None:
        return "—"
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return (_("%(hours)d h %(minutes)d min") if minutes else _("%(hours)d h")) % {
            "hours": hours,
            "minutes": minutes,
        }
    days, hours = divmod(hours, 24)
    return (_("%(days)d d %(hours)d h") if hours else _("%(days)d d")) % {"days": days, "hours": hours}


def percent(part, whole):
    return None if not whole else round(100 * part / whole)


@dataclass
class Times:
    """First response and resolution over the period, for one department or all of them."""

    answered: int = 0
    answered_with_target: int = 0
    answered_in_time: int = 0
    first_median: timedelta | None = None
    first_p90: timedelta | None = None
    solved: int = 0
    solved_with_target: int = 0
    solved_in_time: int = 0
    resolution_median: timedelta | None = None
    resolution_p90: timedelta | None = None

    @property
    def first_compliance(self):
        return percent(self.answered_in_time, self.answered_with_target)

    @property
    def resolution_compliance(self):
        return percent(self.solved_in_time, self.solved_with_target)

    @property
    def display(self):
        return {
            name: format_duration(getattr(self, name))
            for name in ("first_median", "first_p90", "resolution_median", "resolution_p90")
        }


@dataclass
class DepartmentRow:
    department: Department
    by_status: dict = field(default_factory=dict)
    open: int = 0
    waiting: int = 0
    overdue: int = 0
    escalated: int = 0
    unassigned: int = 0
    times: Times = field(default_factory=Times)

    @property
    def status_cells(self):
        """(status, count) for each open status, in the order of the table's columns."""
        return [(status, self.by_status.get(status, 0)) for status in OPEN_STATUSES]


@dataclass
class Report:
    days: int
    since: object
    now: object
    departments: list
    rows: list
    totals: DepartmentRow
    open_statuses: list
    overdue: list
    escalated: list
    times: Times
    created: int
    created_before: int
    volume_by_service: dict
    volume_by_department: dict
    top_services: list
    top_departments: list
    recurring_subjects: list
    recurring_words: list
    agents: list
    period_at: object  # when the period's figures were computed

    @property
    def created_change(self):
        """Percentage change of new tickets against the period before, or None without a base."""
        if not self.created_before:
            return None
        return round(100 * (self.created - self.created_before) / self.created_before)


def build(user, days, now=None, *, cached=True):
    """All the dashboard's figures for `user` over the last `days` days."""
    now = now or timezone.now()
    departments = list(scope(user))
    ids = [department.pk for department in departments]
    tickets = Ticket.objects.staff_visible_to(user).filter(department_id__in=ids)
    overdue_now = rules.overdue(now)

    rows = {department.pk: DepartmentRow(department) for department in departments}
    totals = DepartmentRow(department=None)
    _open_matrix(tickets, overdue_now, rows, totals)
    period = _cached_period(tickets, ids, days, now) if cached else _period(tickets, ids, days, now)
    for department_id, times in period["times_by_department"].items():
        rows[department_id].times = times
    names = {department.pk: department.name for department in departments}
    period["by_department"]["names"] = {pk: names[pk] for pk in period["by_department"]["series"]}
    period["by_service"]["names"] = {pk: name or _("No service") for pk, name in period["by_service"]["names"].items()}
    return Report(
        days=days,
        since=now - timedelta(days=days),
        now=now,
        departments=departments,
        rows=list(rows.values()),
        totals=totals,
        open_statuses=OPEN_STATUSES,
        overdue=list(
            tickets.filter(overdue_now).select_related("department", "assignee").order_by("due_at")[:LIST_SIZE]
        ),
        escalated=list(
            tickets.escalated().select_related("department", "assignee").order_by("escalated_at")[:LIST_SIZE]
        ),
        times=period["times"],
        created=period["created"],
        created_before=period["created_before"],
        volume_by_service=period["by_service"],
        volume_by_department=period["by_department"],
        top_services=_ranking(period["by_service"]),
        top_departments=_ranking(period["by_department"]),
        recurring_subjects=period["subjects"],
        recurring_words=period["words"],
        agents=_agents_load(tickets, ids, overdue_now),
        period_at=period["at"],
    )


def _cached_period(tickets, ids, days, now):
    """The period's figures from the cache; the same departments give the same figures to everyone."""
    key = f"dashboard:{','.join(map(str, sorted(ids)))}:{days}:{timezone.get_current_timezone_name()}"
    period = cache.get(key)
    if period is None:
        period = _period(tickets, ids, days, now)
        cache.set(key, period, PERIOD_CACHE_SECONDS)
    return period


def _period(tickets, ids, days, now):
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Percentiles sort the period's rows: in memory rather than in temporary files.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = %s", [REPORT_WORK_MEM])
        return _period_figures(tickets, ids, days, now)


def _period_figures(tickets, ids, days, now):
    since = now - timedelta(days=days)
    times_by_department, overall = _times(tickets, since, now, ids)
    by_service, by_department, created_before = _new_tickets(tickets, since, now, days)
    services = dict(Service.objects.filter(pk__in=by_service["series"]).values_list("pk", "name"))
    by_service["names"] = {pk: services.get(pk) for pk in by_service["series"]}
    sample = tickets.filter(created_at__gte=since).order_by("-pk").values("subject")[:SUBJECT_SAMPLE]
    return {
        "at": now,
        "times_by_department": times_by_department,
        "times": overall,
        "created": sum(by_department["totals"].values()),
        "created_before": created_before,
        "by_service": by_service,
        "by_department": by_department,
        "subjects": _recurring_subjects(sample),
        "words": _recurring_words(sample),
    }


def _open_matrix(tickets, overdue_now, rows, totals):
    counts = (
        tickets.open()
        .values("department_id", "status")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=overdue_now),
            escalated=Count("pk", filter=rules.escalated()),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        )
        .order_by()
    )
    for item in counts:
        for row in (rows[item["department_id"]], totals):
            row.by_status[item["status"]] = row.by_status.get(item["status"], 0) + item["n"]
            row.open += item["n"]
            row.waiting += item["n"] if item["status"] in WAITING_FOR_STAFF else 0
            row.overdue += item["overdue"]
            row.escalated += item["escalated"]
            row.unassigned += item["unassigned"]


def _resolution_target(ids):
    """The resolution target (seconds of the department's clock) of each ticket, as a CASE over the few targets."""
    targets = ResponseTarget.objects.filter(department_id__in=ids).values_list(
        "department_id", "priority", "resolution_minutes"
    )
    whens = [
        When(department_id=department_id, priority=priority, then=Value(minutes * 60))
        for department_id, priority, minutes in targets
    ]
    return Case(*whens, default=None, output_field=IntegerField()) if whens else Value(None, IntegerField())


def _times(tickets, since, now, ids):
    """First responses given and tickets solved in the period: counts, compliance and percentiles.

    A first response is in time when it came before the first-response due time (the deadline
    as the clock stood at that moment). A resolution is in time when the clock time the ticket
    spent waiting for staff stayed within the resolution target. Merged duplicates are not solved.
    Returns the figures per department, and for all of them (the same when there is only one).
    """
    answered = Q(first_response_at__gte=since, first_response_at__lte=now)
    solved = Q(closed_at__gte=since, closed_at__lte=now, merged_into__isnull=True)
    first_response = F("first_response_at") - F("created_at")
    resolution = F("closed_at") - F("created_at")
    aggregates = {
        "answered": Count("pk", filter=answered),
        "answered_with_target": Count("pk", filter=answered & Q(first_response_due_at__isnull=False)),
        "answered_in_time": Count("pk", filter=answered & Q(first_response_at__lte=F("first_response_due_at"))),
        "first_median": Percentile(first_response, 0.5, filter=answered, output_field=DurationField()),
        "first_p90": Percentile(first_response, 0.9, filter=answered, output_field=DurationField()),
        "solved": Count("pk", filter=solved),
        "solved_with_target": Count("pk", filter=solved & Q(resolution_target__isnull=False)),
        "solved_in_time": Count("pk", filter=solved & Q(sla_elapsed__lte=F("resolution_target"))),
        "resolution_median": Percentile(resolution, 0.5, filter=solved, output_field=DurationField()),
        "resolution_p90": Percentile(resolution, 0.9, filter=solved, output_field=DurationField()),
    }
    period = tickets.filter(answered | solved).annotate(resolution_target=_resolution_target(ids))
    by_department = {}
    for item in period.values("department_id").annotate(**aggregates).order_by():
        department_id = item.pop("department_id")
        by_department[department_id] = Times(**item)
    if len(ids) == 1:
        return by_department, by_department.get(ids[0], Times())
    return by_department, Times(**period.aggregate(**aggregates))


def _buckets(since, now, days):
    """The local days (or the Mondays of the weeks) the charts show, oldest first."""
    first, last = timezone.localdate(since), timezone.localdate(now)
    if days > DAILY_UP_TO:
        first -= timedelta(days=first.weekday())
        step = 7
    else:
        step = 1
    count = (last - first).days // step + 1
    return [first + timedelta(days=step * n) for n in range(count)]


def _new_tickets(tickets, since, now, days):
    """New tickets per day or week, service and department (one query), and how many came in the
    period before, for the trend (a count the created-at index answers alone).
    Returns (by service, by department, count before)."""
    trunc = TruncWeek if days > DAILY_UP_TO else TruncDay
    counts = (
        tickets.filter(created_at__gte=since)
        .annotate(bucket=trunc("created_at", tzinfo=timezone.get_current_timezone()))
        .values("bucket", "service_id", "department_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    buckets = _buckets(since, now, days)
    by_service, by_department = _series(buckets, days), _series(buckets, days)
    for item in counts:
        day = timezone.localdate(item["bucket"])
        for series, key in ((by_service, item["service_id"]), (by_department, item["department_id"])):
            series["values"][day, key] = series["values"].get((day, key), 0) + item["n"]
            series["totals"][key] = series["totals"].get(key, 0) + item["n"]
    for series in (by_service, by_department):
        series["series"] = sorted(series["totals"], key=lambda key, totals=series["totals"]: -totals[key])
    before = tickets.filter(created_at__gte=since - timedelta(days=days), created_at__lt=since).count()
    return by_service, by_department, before


def _series(buckets, days):
    return {"buckets": buckets, "series": [], "values": {}, "totals": {}, "daily": days <= DAILY_UP_TO}


def _ranking(volume):
    total = sum(volume["totals"].values())
    return [
        {"name": volume["names"][pk], "count": volume["totals"][pk], "share": percent(volume["totals"][pk], total)}
        for pk in volume["series"][:TOP_SIZE]
    ]


def _recurring_subjects(sample):
    """Subjects that came back (same words, any case or spacing), most frequent first."""
    subjects, params = sample.query.sql_with_params()
    sql = f"""
        SELECT lower(trim(t.subject)) AS normalized, COUNT(*) AS n FROM ({subjects}) AS t
        GROUP BY lower(trim(t.subject)) HAVING COUNT(*) >= 2 ORDER BY n DESC, normalized LIMIT %s
    """  # noqa: S608 - the ORM's SQL, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, TOP_SIZE])
        return [{"normalized": subject, "count": count} for subject, count in cursor.fetchall()]


# One subject word per row, counted (hyphenated words such as "e-mail" kept whole); PostgreSQL
# splits with a regular expression, SQLite (the development database) with a recursive query on
# spaces after turning punctuation into spaces.
_WORDS_SQL = {
    "postgresql": """
        SELECT word, COUNT(*) AS n
        FROM ({subjects}) AS t,
            LATERAL (SELECT trim(BOTH '-' FROM piece) AS word
                     FROM regexp_split_to_table(lower(t.subject), '[^[:alnum:]-]+') AS piece) AS words
        WHERE length(word) >= %s AND NOT (word = ANY(%s))
        GROUP BY word HAVING COUNT(*) >= 2 ORDER BY n DESC, word LIMIT %s
    """,
    "sqlite": """
        WITH RECURSIVE split(word, rest) AS (
            SELECT '', {clean} || ' ' FROM ({subjects}) AS t
            UNION ALL
            SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1)
            FROM split WHERE rest <> ''
        )
        SELECT word, COUNT(*) AS n FROM split
        WHERE length(word) >= %s AND word NOT IN (SELECT value FROM json_each(%s))
        GROUP BY word HAVING COUNT(*) >= 2 ORDER BY n DESC, word LIMIT %s
    """,
}


def _sqlite_clean(column):
    expression = f"lower({column})"
    for mark in ".,;:!?()[]\"'/":
        expression = f"replace({expression}, '{mark * (2 if mark == chr(39) else 1)}', ' ')"
    return expression


def _recurring_words(sample):
    """The words that come back most in the sample's subjects (stop words left out)."""
    subjects, params = sample.query.sql_with_params()
    stopwords = sorted(STOPWORDS)
    if connection.vendor == "postgresql":
        sql = _WORDS_SQL["postgresql"].format(subjects=subjects)
    else:
        sql = _WORDS_SQL["sqlite"].format(subjects=subjects, clean=_sqlite_clean("t.subject"))
        stopwords = json.dumps(stopwords)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, MIN_WORD_LENGTH, stopwords, TOP_SIZE * 2])
        return [{"word": word, "count": count} for word, count in cursor.fetchall()]


def _agents_load(tickets, ids, overdue_now):
    """Every active agent of the departments with the open tickets assigned to them there, busiest first."""
    load = {
        item["assignee_id"]: item
        for item in tickets.open()
        .filter(assignee__isnull=False)
        .values("assignee_id")
        .annotate(
            open=Count("pk"),
            waiting=Count("pk", filter=Q(status__in=WAITING_FOR_STAFF)),
            overdue=Count("pk", filter=overdue_now),
        )
        .order_by()
    }
    # Agents of the departments, and whoever else holds some of their tickets (a superuser, say).
    # The members as a subquery, not a join: OR-ed with a join, PostgreSQL would walk every user.
    members = Membership.objects.filter(department_id__in=ids, user__is_active=True).values("user_id")
    agents = User.objects.filter(Q(pk__in=members) | Q(pk__in=list(load)))
    rows = [
        {"agent": agent, **{key: load.get(agent.pk, {}).get(key, 0) for key in ("open", "waiting", "overdue")}}
        for agent in agents
    ]
    return sorted(rows, key=lambda row: (-row["open"], -row["overdue"], str(row["agent"]).lower()))
