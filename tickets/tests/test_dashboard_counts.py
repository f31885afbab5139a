"""The dashboard's running counts: kept right by every change, folded, reconciled, and equal to a
direct computation over the tickets on seeded data."""

import math
import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.db.models import Aggregate, Case, Count, DurationField, F, IntegerField, Q, Value, When
from django.db.models.functions import TruncDate
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from bench.management.commands.seed_bench import SUPERVISOR_EMAIL, Command
from departments.models import Department, ResponseTarget
from tickets import reports, rollups
from tickets.models import (
    WAITING_FOR_STAFF,
    NewTicketCount,
    OpenTicketCount,
    Priority,
    ResponseTimeCount,
    Status,
    Ticket,
)
from tickets.models.rollup import bucket, percentile
from tickets.tasks.sla import auto_close, mark_overdue

pytestmark = pytest.mark.usefixtures("english")
URL = reverse("staff:dashboard")


def counts():
    """Every rollup's sums, without the keys that sum to nothing."""
    return {
        model.__name__: {key: values for key, values in model.objects.sums().items() if any(values)}
        for model in (OpenTicketCount, NewTicketCount, ResponseTimeCount)
    }


# Kept by every change


@pytest.fixture
def targets(support, billing):
    for department in (support, billing):
        for priority in Priority:
            ResponseTarget.objects.create(
                department=department, priority=priority, first_response_minutes=60, resolution_minutes=480
            )


def test_every_change_of_a_ticket_keeps_the_counts_equal_to_a_recount(
    targets, make_ticket, customer, agent, other_agent, supervisor, billing, hosting, time_machine
):
    time_machine.move_to(datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("America/Sao_Paulo")), tick=False)
    one = make_ticket(subject="Site fora do ar", service=hosting)
    two = make_ticket(subject="Erro 500", priority=Priority.HIGH)
    three = make_ticket(subject="Boleto", department=billing)
    assert rollups.reconcile() == 0
    time_machine.shift(timedelta(minutes=20))
    one.assign(agent, by=agent)
    one.reply(author=agent, body="Olhando.")
    one.reply(author=customer, body="Ainda fora.")
    one.set_priority(Priority.HIGH, by=agent)
    one.set_service(None, by=agent)
    two.reply(author=agent, body="Nota.", internal=True)
    time_machine.shift(timedelta(hours=2))
    mark_overdue()
    two.escalate(by=customer, reason="Ninguém respondeu.")
    two.transfer(billing, by=supervisor)
    two.assign(other_agent, by=other_agent)
    assert rollups.reconcile() == 0
    one.reply_and_close(author=agent, body="Resolvido.")
    one.reply(author=customer, body="Voltou a cair.")  # reopens it
    three.reply(author=other_agent, body="Segue o boleto.")
    three.merge_into(two, by=other_agent)
    two.change_details(by=other_agent, status=Status.ON_HOLD, priority=Priority.LOW, service=hosting)
    time_machine.shift(timedelta(days=8))
    two.set_status(Status.ANSWERED, by=other_agent)
    time_machine.shift(timedelta(days=8))
    assert auto_close(timezone.now()) == 1
    # A plain save, as the admin does.
    one.refresh_from_db()
    one.status, one.assignee = Status.IN_PROGRESS, None
    one.save()
    assert rollups.reconcile() == 0
    make_ticket(subject="Apagado").delete()
    assert rollups.reconcile() == 0
    assert counts()["OpenTicketCount"] == {
        (one.department_id, Status.IN_PROGRESS, None, False, False): (1,),
    }


def test_a_save_that_changes_nothing_counted_appends_nothing(ticket):
    before = sum(model.objects.count() for model in (OpenTicketCount, NewTicketCount, ResponseTimeCount))
    ticket.save(update_fields=["updated_at"])
    ticket.subject = "Outro assunto"
    ticket.save()
    after = sum(model.objects.count() for model in (OpenTicketCount, NewTicketCount, ResponseTimeCount))
    assert after == before


def test_the_counts_carry_no_customer_so_erasing_one_changes_none(make_ticket, customer, agent):
    ticket = make_ticket()
    ticket.reply(author=agent, body="Resposta.")
    ticket.close(by=customer)
    before = counts()
    Ticket.objects.filter(customer=customer).update(customer=None, guest_email="removido@example.invalid")
    customer.email, customer.name, customer.is_active = "removed-1@example.invalid", "Removed customer #1", False
    customer.save()
    assert counts() == before
    assert rollups.reconcile() == 0


# Folded and reconciled


def test_compaction_folds_pending_rows_into_one_row_per_key_and_keeps_every_sum(make_ticket, agent, customer):
    tickets = [make_ticket(subject=f"Problema {n}") for n in range(3)]
    for ticket in tickets:
        ticket.reply(author=agent, body="Resposta.")
    tickets[0].close(by=customer)
    before = counts()
    assert OpenTicketCount.objects.filter(pending=True).count() > 2
    folded = rollups.compact()
    assert folded > 0 and not any(model.objects.filter(pending=True).exists() for model in (OpenTicketCount,))
    assert counts() == before
    keys = OpenTicketCount.objects.values_list(*OpenTicketCount.KEY)
    assert len(keys) == len(set(keys))
    # The Open row went to zero when every ticket was answered: folded away.
    assert not OpenTicketCount.objects.filter(status=Status.OPEN).exists()
    tickets[1].close(by=customer)
    rollups.compact()
    assert counts()["OpenTicketCount"] == {(tickets[2].department_id, Status.ANSWERED, None, False, False): (1,)}
    assert rollups.compact() == 0


def test_the_reconciliation_corrects_changes_that_bypassed_the_models(make_ticket, billing, agent):
    tickets = [make_ticket(subject=f"Problema {n}") for n in range(4)]
    tickets[0].reply(author=agent, body="Resposta.")
    rollups.compact()
    Ticket.objects.filter(pk__in=[tickets[0].pk, tickets[1].pk]).update(department=billing, status=Status.ON_HOLD)
    assert rollups.reconcile() > 0
    assert counts()["OpenTicketCount"][billing.pk, Status.ON_HOLD, None, False, False] == (2,)
    assert rollups.reconcile() == 0
    rollups.compact()
    assert rollups.reconcile() == 0


# The sketch


def percentile_cont(values, fraction):
    values = sorted(values)
    position = fraction * (len(values) - 1)
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


@pytest.mark.parametrize("seed", range(5))
def test_a_percentile_read_from_the_sketch_is_within_two_percent_of_the_exact_one(seed):
    rng = random.Random(seed)
    durations = [round(rng.lognormvariate(math.log(3600), 1.5)) for _ in range(rng.randint(1, 3000))]
    sketch = {}
    for seconds in durations:
        count, total = sketch.get(bucket(seconds), (0, 0))
        sketch[bucket(seconds)] = (count + 1, total + seconds)
    for fraction in (0.1, 0.5, 0.9, 0.99):
        exact = percentile_cont(durations, fraction)
        assert abs(percentile(sketch, fraction).total_seconds() - exact) <= 0.02 * exact + 0.5


def test_a_bucket_holding_one_time_gives_it_back_exactly():
    sketch = {bucket(1800): (1, 1800), bucket(7200): (1, 7200)}
    assert percentile(sketch, 0.5) == timedelta(minutes=75)
    assert percentile({}, 0.5) is None


# The cache


def test_a_request_reads_the_period_figures_beat_refreshed_and_computes_none(supervisor, make_ticket, login):
    make_ticket()
    client = login(supervisor)
    reports.refresh_all()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    sql = " ".join(query["sql"] for query in queries).lower()
    assert "tickets_newticketcount" not in sql and "tickets_responsetimecount" not in sql
    assert "split" not in sql  # the recurring words
    assert "tickets_openticketcount" in sql  # the state now is always read


def test_the_refresh_keeps_the_figures_longer_than_until_the_next_one(supervisor, make_ticket, settings):
    make_ticket()
    reports.refresh_all()
    period = reports.Period((supervisor.memberships.get().department_id,), 30, timezone.now())
    cache = caches["default"]
    if hasattr(cache, "ttl"):
        assert cache.ttl(period.cache_key) > settings.DASHBOARD_REFRESH_SECONDS
    assert cache.get(period.cache_key)["sections"]["volume"]["created"] == 1


def test_the_dashboard_answers_from_the_counts_when_the_cache_keeps_nothing(supervisor, make_ticket, login):
    make_ticket(subject="Site fora do ar")
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
        page = login(supervisor).get(URL, {"days": "7"})
    assert page.status_code == 200
    assert page.context["report"].totals.open == 1 and page.context["report"].volume["created"] == 1


def test_the_period_figures_are_computed_when_the_cache_is_unreachable(supervisor, make_ticket):
    make_ticket()
    period = reports.Period((supervisor.memberships.get().department_id,), 7, timezone.now())
    redis = "django.core.cache.backends.redis.RedisCache"
    with override_settings(CACHES={"default": {"BACKEND": redis, "LOCATION": "redis://127.0.0.1:1/0"}}):
        figures = reports.cached_figures(period)
    assert figures["sections"]["volume"]["created"] == 1


def test_installations_sharing_a_cache_never_read_each_others_figures(supervisor, make_ticket):
    make_ticket()
    period = reports.Period((supervisor.memberships.get().department_id,), 7, timezone.now())

    def shared(prefix):
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "shared",
                "KEY_PREFIX": prefix,
            }
        }

    with override_settings(CACHES=shared("helpdesk-one")):
        reports.refresh(period)
        assert caches["default"].get(period.cache_key) is not None
    with override_settings(CACHES=shared("helpdesk-two")):
        assert caches["default"].get(period.cache_key) is None


def test_every_cache_key_carries_the_installations_prefix():
    assert settings.CACHES["default"]["KEY_PREFIX"] == settings.CACHE_KEY_PREFIX
    assert settings.CACHE_KEY_PREFIX


# Equal to a direct computation over the tickets, on seeded data


class Percentile(Aggregate):
    """percentile_cont: PostgreSQL's own; on SQLite an equivalent aggregate registered on the connection."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction, **extra):
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        connection.ensure_connection()
        connection.connection.create_aggregate("percentile_cont", 2, _SqlitePercentile)
        clone = self.copy()
        clone.template = "%(function)s(%(expressions)s, %(fraction)s)"
        return clone.as_sql(compiler, connection, **extra_context)


class _SqlitePercentile:
    def __init__(self):
        self.values, self.fraction = [], 0.5

    def step(self, value, fraction):
        if value is not None:
            self.values.append(value)
            self.fraction = fraction

    def finalize(self):
        return percentile_cont(self.values, self.fraction) if self.values else None


def direct(department_ids, days, now):
    """The dashboard's figures computed straight from the tickets, with SQL aggregates."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = now.astimezone(zone).date()
    since = datetime.combine(today - timedelta(days=days - 1), time(), tzinfo=zone)
    before = datetime.combine(today - timedelta(days=2 * days - 1), time(), tzinfo=zone)
    tickets = Ticket.objects.filter(department_id__in=department_ids)
    overdue = Q(status__in=WAITING_FOR_STAFF, due_at__lt=now)
    state = {
        (item.pop("department_id"), item.pop("status")): item
        for item in tickets.open()
        .values("department_id", "status")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=overdue),
            escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        )
        .order_by()
    }
    agents = {
        item.pop("assignee_id"): item
        for item in tickets.open()
        .filter(assignee__isnull=False)
        .values("assignee_id")
        .annotate(
            open=Count("pk"),
            waiting=Count("pk", filter=Q(status__in=WAITING_FOR_STAFF)),
            overdue=Count("pk", filter=overdue),
        )
        .order_by()
    }
    answered = Q(first_response_at__gte=since, first_response_at__lte=now)
    solved = Q(closed_at__gte=since, closed_at__lte=now, merged_into__isnull=True, closed_on_erasure=False)
    targets = ResponseTarget.objects.values_list("department_id", "priority", "resolution_minutes")
    target = Case(
        *[When(department_id=d, priority=p, then=Value(m * 60)) for d, p, m in targets],
        default=None,
        output_field=IntegerField(),
    )
    first, resolution = F("first_response_at") - F("created_at"), F("closed_at") - F("created_at")
    aggregates = {
        "answered": Count("pk", filter=answered),
        "answered_with_target": Count("pk", filter=answered & Q(first_response_due_at__isnull=False)),
        "answered_in_time": Count("pk", filter=answered & Q(first_response_at__lte=F("first_response_due_at"))),
        "first_median": Percentile(first, 0.5, filter=answered, output_field=DurationField()),
        "first_p90": Percentile(first, 0.9, filter=answered, output_field=DurationField()),
        "solved": Count("pk", filter=solved),
        "solved_with_target": Count("pk", filter=solved & Q(target__isnull=False)),
        "solved_in_time": Count("pk", filter=solved & Q(sla_elapsed__lte=F("target"))),
        "resolution_median": Percentile(resolution, 0.5, filter=solved, output_field=DurationField()),
        "resolution_p90": Percentile(resolution, 0.9, filter=solved, output_field=DurationField()),
    }
    period = tickets.filter(answered | solved).annotate(target=target)
    times = {
        item.pop("department_id"): item for item in period.values("department_id").annotate(**aggregates).order_by()
    }
    times[None] = period.aggregate(**aggregates)
    new = {
        (item["day"], item["department_id"], item["service_id"]): item["n"]
        for item in tickets.filter(created_at__gte=since, created_at__lte=now)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "department_id", "service_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    created_before = tickets.filter(created_at__gte=before, created_at__lt=since).count()
    return {"state": state, "agents": agents, "times": times, "new": new, "created_before": created_before}


def assert_agree(report, exact):
    """The report's figures equal the direct ones (percentiles within the sketch's 2 %)."""
    for row in report.rows:
        for status in reports.OPEN_STATUSES:
            assert row.by_status.get(status, 0) == exact["state"].get((row.department.pk, status), {}).get("n", 0)
        for name in ("overdue", "escalated", "unassigned"):
            expected = sum(
                item[name] for (department_id, _s), item in exact["state"].items() if department_id == row.department.pk
            )
            assert getattr(row, name) == expected, (row.department, name)
    load = {row["pk"]: row for row in report.agents}
    for assignee_id, item in exact["agents"].items():
        assert {key: load[assignee_id][key] for key in ("open", "waiting", "overdue")} == item
    by_department = report.figures["times"]["by_department"]
    for department_id, exact_times in exact["times"].items():
        times = report.times if department_id is None else by_department[department_id]
        for name, value in exact_times.items():
            if name.endswith(("median", "p90")):
                if value is None:
                    assert getattr(times, name) is None
                else:
                    assert abs(getattr(times, name) - value) <= 0.02 * value + timedelta(seconds=1), name
            else:
                assert getattr(times, name) == value, (department_id, name)
    volume = report.volume
    assert volume["created"] == sum(exact["new"].values())
    assert volume["created_before"] == exact["created_before"]
    by_service = {}
    for (day, _department_id, service_id), n in exact["new"].items():
        key = (report.period.bucket(day), service_id)
        by_service[key] = by_service.get(key, 0) + n
    assert volume["by_service"]["values"] == by_service


@pytest.mark.parametrize("days", reports.PERIODS)
def test_the_figures_agree_with_a_direct_computation_on_seeded_tickets(days, admin_user):
    call_command(Command(), "--tickets", "1500", "--customers", "150", "--agents", "8", stdout=open("/dev/null", "w"))
    supervisor = type(admin_user).objects.get(email=SUPERVISOR_EMAIL)
    now = timezone.now()
    for user in (supervisor, admin_user):
        report = reports.build(user, days, now)
        assert report.totals.open > 0 and report.times.solved > 0
        assert_agree(report, direct(report.period.department_ids, days, now))
    # Then a morning's work through the models, and beat's folding: still equal.
    tickets = list(Ticket.objects.open().order_by("-pk")[:40])
    staff = {department.pk: department.memberships.first().user for department in Department.objects.all()}
    for n, ticket in enumerate(tickets):
        agent = staff[ticket.department_id]
        if n % 4 == 0:
            ticket.reply_and_close(author=agent, body="Resolvido.")
        elif n % 4 == 1:
            ticket.reply(author=agent, body="Verificando.")
        elif n % 4 == 2:
            ticket.assign(agent, by=agent)
        else:
            ticket.transfer(Department.objects.exclude(pk=ticket.department_id).first(), by=agent)
    Ticket.open(customer=tickets[0].customer, department=tickets[0].department, subject="Novo", body="Texto.")
    mark_overdue()
    rollups.compact()
    caches["default"].clear()
    now = timezone.now()
    for user in (supervisor, admin_user):
        report = reports.build(user, days, now)
        assert_agree(report, direct(report.period.department_ids, days, now))
    assert rollups.reconcile() == 0
