"""The supervisors' dashboard figures, read from the running counts (tickets.models.rollup).

Two kinds of figures, neither of which reads the tickets table per request:
- the state now (open tickets by department and status, overdue, escalated, unassigned, each
  agent's load) from the open-ticket counts, a table of a few hundred rows at most whatever the
  number of tickets, read on every request, plus the overdue tickets whose breach mark-overdue
  has not recorded yet (an index holds only those); and the ten most overdue and the ten
  longest escalated tickets, read through their indexes;
- the period's figures (its problems, new tickets, response and resolution times, recurring
  subjects, satisfaction: the SECTIONS), per set of departments and period, computed by beat's
  `refresh-dashboard` every DASHBOARD_REFRESH_SECONDS and kept in the cache for three times as
  long, so a request finds them there and only puts them in the reader's language. A request
  that does not (an empty or unreachable cache) computes them itself.

Days are the installation's local days (settings.TIME_ZONE): "the last 7 days" is today and the
six days before.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from accounts.models import User
from departments.models import Department, Membership, Service
from tickets import choices
from tickets.charts import stacked_bars
from tickets.models import (
    WAITING_FOR_STAFF,
    Measure,
    NewTicketCount,
    OpenTicketCount,
    ResponseTimeCount,
    Ticket,
)
from tickets.models.rollup import local_day, percentile
from tickets.models.rules import ACTIVE_STATUSES

logger = logging.getLogger(__name__)

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
# Beat refreshes the period's figures every settings.DASHBOARD_REFRESH_SECONDS; the cache keeps
# them three times as long, so two missed refreshes still leave every request its figures.
CACHE_REFRESHES = 3
# Bump when the cached figures change shape: entries of the old shape are then never read.
CACHE_VERSION = 2
# Recurring subjects and words are looked for in the period's latest tickets only (by id, which
# follows the order of creation: the primary key index finds them without sorting the period).
SUBJECT_SAMPLE = 20_000
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


@dataclass(frozen=True)
class Desk:
    """A department as the dashboard names it."""

    pk: int
    name: str


def scope(user):
    """The departments whose figures `user` sees, in the admin's order: the ones they supervise,
    every one for superusers (from the cached staff menus: no query)."""
    wanted = None if user.is_superuser else user.supervised_department_ids
    return [Desk(pk, name) for pk, name, _active in choices.departments() if wanted is None or pk in wanted]


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


# The period


@dataclass(frozen=True)
class Period:
    """The last `days` local days up to `now`, for a set of departments: what a section computes for."""

    department_ids: tuple
    days: int
    now: datetime

    @property
    def last(self):
        return local_day(self.now)

    @property
    def first(self):
        return self.last - timedelta(days=self.days - 1)

    @property
    def previous_first(self):
        """The first day of the period of the same length just before this one."""
        return self.first - timedelta(days=self.days)

    @property
    def since(self):
        """The beginning of the first day."""
        return datetime.combine(self.first, time(), tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def daily(self):
        return self.days <= DAILY_UP_TO

    def bucket(self, day):
        """The day itself, or the Monday of its week, as the charts group them."""
        return day if self.daily else day - timedelta(days=day.weekday())

    @property
    def buckets(self):
        """The days (or the Mondays of the weeks) the charts show, oldest first."""
        first, step = self.bucket(self.first), 1 if self.daily else 7
        return [first + timedelta(days=step * n) for n in range((self.last - first).days // step + 1)]

    @property
    def cache_key(self):
        return f"dashboard:{CACHE_VERSION}:{','.join(map(str, self.department_ids))}:{self.days}"


@dataclass(frozen=True)
class Section:
    """A card of the dashboard that shows the period's figures.

    `compute` (a dotted path) is called with a Period and returns plain data (numbers, strings,
    dates, lists, dicts, dataclasses of those): it runs in beat's refresh, so it may aggregate
    more than a request could, and its result is cached with the period's other figures.
    `template` draws the card from `figures` (that data) and `report`. `present` (optional,
    a dotted path) turns the figures into what the template shows, once per request and in the
    reader's language: f(figures, report) -> figures for the template.
    """

    name: str
    template: str
    compute: str
    present: str | None = None


# The cards after the state of the departments, in page order. A feature adds its own here.
SECTIONS = (
    Section(
        "problems",
        "staff/_dashboard_problems.html",
        "tickets.problems.dashboard_problems",
        present="tickets.problems.dashboard_rows",
    ),
    Section(
        "times", "staff/_dashboard_times.html", "tickets.reports.response_times", present="tickets.reports.times_rows"
    ),
    Section(
        "volume", "staff/_dashboard_volume.html", "tickets.reports.new_tickets", present="tickets.reports.volume_charts"
    ),
    Section(
        "recurring",
        "staff/_dashboard_recurring.html",
        "tickets.reports.recurring",
        present="tickets.reports.recurring_lists",
    ),
    Section(
        "satisfaction",
        "tickets/satisfaction/_dashboard.html",
        "tickets.satisfaction.dashboard_figures",
        present="tickets.satisfaction.dashboard_section",
    ),
)


# The state now


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

    @property
    def status_cells(self):
        """(status, count) for each open status, in the order of the table's columns."""
        return [(status, self.by_status.get(status, 0)) for status in OPEN_STATUSES]


@dataclass
class Report:
    period: Period
    departments: list
    rows: list
    totals: DepartmentRow
    overdue: list
    escalated: list
    agents: list
    figures: dict  # section name -> its figures for the period
    figures_at: datetime  # when they were computed
    open_statuses: list = field(default_factory=lambda: OPEN_STATUSES)

    @property
    def days(self):
        return self.period.days

    @property
    def now(self):
        return self.period.now

    @property
    def times(self):
        return self.figures["times"]["overall"]

    @property
    def volume(self):
        return self.figures["volume"]

    @property
    def created_change(self):
        """Percentage change of new tickets against the period before, or None without a base."""
        volume = self.volume
        if not volume["created_before"]:
            return None
        return round(100 * (volume["created"] - volume["created_before"]) / volume["created_before"])

    @property
    def cache_seconds(self):
        return CACHE_REFRESHES * settings.DASHBOARD_REFRESH_SECONDS

    def shown(self, section):
        """The section's figures as its template shows them."""
        figures = self.figures.get(section.name)
        return import_string(section.present)(figures, self) if section.present else figures

    @property
    def sections(self):
        """(section, its figures as the template shows them) for each card, in order."""
        return [(section, self.shown(section)) for section in SECTIONS]


def build(user, days, now=None):
    """All the dashboard's figures for `user` over the last `days` days."""
    now = now or timezone.now()
    departments = scope(user)
    period = Period(tuple(sorted(department.pk for department in departments)), days, now)
    rows = {department.pk: DepartmentRow(department) for department in departments}
    totals = DepartmentRow(department=None)
    tickets = Ticket.objects.staff_visible_to(user)
    if not user.is_superuser:
        # (Not for superusers: without the filter, the lists below read their indexes in order.)
        tickets = tickets.filter(department_id__in=period.department_ids)
    counts = OpenTicketCount.objects.filter(department_id__in=period.department_ids).sums()
    unmarked = _unmarked_overdue(period.department_ids, now)
    _open_matrix(counts, unmarked, rows, totals)
    figures = cached_figures(period)
    return Report(
        period=period,
        departments=departments,
        rows=list(rows.values()),
        totals=totals,
        overdue=_named(tickets.overdue(now).order_by("due_at")[:LIST_SIZE], departments),
        escalated=_named(tickets.escalated().order_by("escalated_at")[:LIST_SIZE], departments),
        agents=_agents_load(counts, unmarked, period.department_ids),
        figures=figures["sections"],
        figures_at=figures["at"],
    )


def _named(tickets, departments):
    """The tickets of a list with `department_name` and `assignee_name`, from the departments at
    hand and the cached menus: joined in the query instead, the planner, which cannot tell how
    many open tickets are past due or escalated, joined and sorted all of them before taking ten
    (bench/README.md)."""
    tickets = list(tickets)
    names = {department.pk: department.name for department in departments}
    agents = _agent_names({ticket.assignee_id for ticket in tickets} - {None})
    for ticket in tickets:
        ticket.department_name = names.get(ticket.department_id, "")
        ticket.assignee_name = agents.get(ticket.assignee_id, "")
    return tickets


def _agent_names(wanted, department_ids=None):
    """{pk: full name} of the active agents of the departments (of all when None), from the cached
    menus, and of whoever else in `wanted` (a superuser, say: looked up only then)."""
    names = dict(choices.agents(department_ids))
    others = set(wanted) - set(names)
    if others:
        names.update((user.pk, user.get_full_name()) for user in User.objects.filter(pk__in=others))
    return names


def _unmarked_overdue(department_ids, now):
    """{(department, assignee): count} of the overdue tickets of `department_ids` whose breach
    mark-overdue has not recorded yet (it runs every minute: usually none); the counts hold the
    recorded ones.

    Read for every department and kept for the reader's here: with the departments in the query,
    PostgreSQL, which cannot tell that almost every past-due ticket has its breach recorded,
    intersected the few entries of the index of unrecorded ones with all the department's open
    tickets (bench/README.md, 5,000,000 tickets). A few rows per department and agent come back."""
    counts = (
        Ticket.objects.overdue(now)
        .filter(breached_at__isnull=True)
        .values_list("department_id", "assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    wanted = set(department_ids)
    return {(department_id, assignee_id): n for department_id, assignee_id, n in counts if department_id in wanted}


def _open_matrix(counts, unmarked, rows, totals):
    for (department_id, status, assignee_id, escalated, breached), (count,) in counts.items():
        if not count:
            continue
        for row in (rows[department_id], totals):
            row.by_status[status] = row.by_status.get(status, 0) + count
            row.open += count
            row.waiting += count if status in WAITING_FOR_STAFF else 0
            row.overdue += count if breached else 0
            row.escalated += count if escalated else 0
            row.unassigned += count if assignee_id is None else 0
    for (department_id, _assignee_id), count in unmarked.items():
        rows[department_id].overdue += count
        totals.overdue += count


def _agents_load(counts, unmarked, ids):
    """Every active agent of the departments with the open tickets assigned to them there, busiest first."""
    load = {}

    def agent(assignee_id):
        return load.setdefault(assignee_id, {"open": 0, "waiting": 0, "overdue": 0})

    for (_department_id, status, assignee_id, _escalated, breached), (count,) in counts.items():
        if assignee_id is None or not count:
            continue
        agent(assignee_id)["open"] += count
        agent(assignee_id)["waiting"] += count if status in WAITING_FOR_STAFF else 0
        agent(assignee_id)["overdue"] += count if breached else 0
    for (_department_id, assignee_id), count in unmarked.items():
        if assignee_id is not None:
            agent(assignee_id)["overdue"] += count
    # Active agents of the departments, and whoever else holds some of their tickets.
    names = _agent_names(load, ids)
    empty = {"open": 0, "waiting": 0, "overdue": 0}
    rows = [{"pk": pk, "name": name, **load.get(pk, empty)} for pk, name in names.items()]
    return sorted(rows, key=lambda row: (-row["open"], -row["overdue"], row["name"].lower()))


# The period's figures: cached, refreshed in the background


def cached_figures(period):
    """The period's figures from the cache, or computed (and cached) when the cache has none or is unreachable."""
    try:
        figures = cache.get(period.cache_key)
    except (RedisError, OSError):
        logger.warning("Dashboard figures computed without the cache (unreachable)", exc_info=True)
        return compute_figures(period)
    if figures is None:
        figures = refresh(period)
    return figures


def compute_figures(period):
    return {
        "at": period.now,
        "sections": {section.name: import_string(section.compute)(period) for section in SECTIONS},
    }


def refresh(period):
    """Compute the period's figures and put them in the cache; returns them."""
    figures = compute_figures(period)
    try:
        cache.set(period.cache_key, figures, CACHE_REFRESHES * settings.DASHBOARD_REFRESH_SECONDS)
    except (RedisError, OSError):
        logger.warning("Dashboard figures not cached (cache unreachable)", exc_info=True)
    return figures


def scopes_in_use():
    """The sets of departments someone sees the dashboard of: each supervisor's, and all (superusers)."""
    supervised = {}
    for user_id, department_id in Membership.objects.filter(is_supervisor=True, user__is_active=True).values_list(
        "user_id", "department_id"
    ):
        supervised.setdefault(user_id, set()).add(department_id)
    scopes = {tuple(sorted(ids)) for ids in supervised.values()}
    scopes.add(tuple(Department.objects.order_by("pk").values_list("pk", flat=True)))
    return sorted(scopes)


def refresh_all(now=None):
    """Beat's refresh: every period of every set of departments in use, recomputed and cached."""
    now = now or timezone.now()
    scopes = scopes_in_use()
    for ids in scopes:
        for days in PERIODS:
            refresh(Period(ids, days, now))
    return len(scopes) * len(PERIODS)


# The built-in sections' figures


def response_times(period):
    """First responses given and tickets solved in the period: counts, compliance and percentiles,
    per department and for all of them.

    A first response is in time when it came before the first-response due time (the deadline as
    the clock stood at that moment). A resolution is in time when the clock time the ticket spent
    waiting for staff stayed within the resolution target. Merged duplicates are not solved, nor
    tickets closed because their customer's account was erased.
    """
    counts = (
        ResponseTimeCount.objects.filter(
            department_id__in=period.department_ids, day__gte=period.first, day__lte=period.last
        )
        .values("department_id", "measure", "bucket")
        .annotate(n=Sum("count"), seconds=Sum("seconds"), with_target=Sum("with_target"), in_time=Sum("in_time"))
        .order_by()
    )
    # (department, or None for all of them; measure) -> [count, with a target, in time, {bucket: (count, seconds)}]
    sketches = {}
    for item in counts:
        if not item["n"]:
            continue
        for department_id in (item["department_id"], None):
            sketch = sketches.setdefault((department_id, item["measure"]), [0, 0, 0, {}])
            sketch[0] += item["n"]
            sketch[1] += item["with_target"]
            sketch[2] += item["in_time"]
            count, seconds = sketch[3].get(item["bucket"], (0, 0))
            sketch[3][item["bucket"]] = (count + item["n"], seconds + item["seconds"])

    def times(department_id):
        first = sketches.get((department_id, Measure.FIRST_RESPONSE), [0, 0, 0, {}])
        solved = sketches.get((department_id, Measure.RESOLUTION), [0, 0, 0, {}])
        return Times(
            answered=first[0],
            answered_with_target=first[1],
            answered_in_time=first[2],
            first_median=percentile(first[3], 0.5),
            first_p90=percentile(first[3], 0.9),
            solved=solved[0],
            solved_with_target=solved[1],
            solved_in_time=solved[2],
            resolution_median=percentile(solved[3], 0.5),
            resolution_p90=percentile(solved[3], 0.9),
        )

    return {
        "by_department": {department_id: times(department_id) for department_id in period.department_ids},
        "overall": times(None),
    }


def times_rows(figures, report):
    """The times table: (department name, its times) per department, and the times of all of them."""
    by_department = figures["by_department"]
    rows = [(department.name, by_department.get(department.pk, Times())) for department in report.departments]
    return {"rows": rows, "overall": figures["overall"]}


def new_tickets(period):
    """New tickets per day or week, by service and by department, and how many came in the period before."""
    counts = (
        NewTicketCount.objects.filter(
            department_id__in=period.department_ids, day__gte=period.previous_first, day__lte=period.last
        )
        .values("day", "department_id", "service_id")
        .annotate(n=Sum("count"))
        .order_by()
    )
    by_service, by_department = _series(), _series()
    created = created_before = 0
    for item in counts:
        if item["day"] < period.first:
            created_before += item["n"]
            continue
        created += item["n"]
        bucket = period.bucket(item["day"])
        for series, key in ((by_service, item["service_id"]), (by_department, item["department_id"])):
            series["values"][bucket, key] = series["values"].get((bucket, key), 0) + item["n"]
            series["totals"][key] = series["totals"].get(key, 0) + item["n"]
    for series in (by_service, by_department):
        series["series"] = sorted(series["totals"], key=lambda key, totals=series["totals"]: (-totals[key], key or 0))
    services = dict(Service.objects.filter(pk__in=by_service["series"]).values_list("pk", "name"))
    by_service["names"] = {pk: services.get(pk) for pk in by_service["series"]}
    return {
        "created": created,
        "created_before": created_before,
        "by_service": by_service,
        "by_department": by_department,
    }


def _series():
    return {"series": [], "values": {}, "totals": {}}


def volume_charts(figures, report):
    """The charts of new tickets by service and by department, in the reader's language."""
    names = _series_names(figures, report)
    period = report.period
    return [
        stacked_bars(
            chart_id,
            title,
            period.buckets,
            figures[name]["series"],
            names[name],
            figures[name]["values"],
            daily=period.daily,
        )
        for chart_id, title, name in (
            ("by-service", _("New tickets by service"), "by_service"),
            ("by-department", _("New tickets by department"), "by_department"),
        )
    ]


def _series_names(volume, report):
    """The name of each service and department of the volume's series ("No service" in the reader's language)."""
    departments = {department.pk: department.name for department in report.departments}
    return {
        "by_service": {pk: name or _("No service") for pk, name in volume["by_service"]["names"].items()},
        "by_department": {pk: departments.get(pk, "") for pk in volume["by_department"]["series"]},
    }


def _ranking(volume, names):
    total = sum(volume["totals"].values())
    return [
        {"name": names[pk], "count": volume["totals"][pk], "share": percent(volume["totals"][pk], total)}
        for pk in volume["series"][:TOP_SIZE]
    ]


def recurring_lists(figures, report):
    """The period's busiest services and departments beside the recurring subjects and words."""
    volume = report.volume
    names = _series_names(volume, report)
    return {
        **figures,
        "top_services": _ranking(volume["by_service"], names["by_service"]),
        "top_departments": _ranking(volume["by_department"], names["by_department"]),
    }


def recurring(period):
    """Subjects and subject words that came back in the period's latest SUBJECT_SAMPLE tickets."""
    sample = (
        Ticket.objects.filter(department_id__in=period.department_ids, created_at__gte=period.since)
        .order_by("-pk")
        .values("subject")[:SUBJECT_SAMPLE]
    )
    return {"subjects": _recurring_subjects(sample), "words": _recurring_words(sample)}


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
