"""The supervisors' dashboard: who may see it, and its figures on a known set of tickets."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from departments.models import Department, Membership, ResponseTarget, Service
from tickets import reports
from tickets.charts import compact_number, nice_ceiling, stacked_bars
from tickets.models import Priority, Problem, Status
from tickets.tasks.sla import mark_overdue

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=SAO_PAULO)
NOW = datetime(2026, 3, 4, 12, tzinfo=SAO_PAULO)
URL = reverse("staff:dashboard")


pytestmark = pytest.mark.usefixtures("english")


# Who may see it


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["customer", "agent", "other_agent"])
def test_customers_and_agents_who_supervise_nothing_get_a_404(request, login, who):
    assert login(request.getfixturevalue(who)).get(URL).status_code == 404


def test_a_supervisor_sees_only_the_departments_they_supervise(supervisor, billing, login):
    page = login(supervisor).get(URL)
    assert page.status_code == 200
    assert [department.name for department in page.context["report"].departments] == ["Suporte"]
    assert "Financeiro" not in page.content.decode()


def test_a_supervisor_of_one_department_and_agent_of_another_sees_only_the_supervised_one(
    supervisor, billing, make_ticket, customer, login
):
    Membership.objects.create(department=billing, user=supervisor)
    make_ticket(department=billing, subject="Boleto")
    report = login(supervisor).get(URL).context["report"]
    assert [department.name for department in report.departments] == ["Suporte"]
    assert report.totals.open == 0


def test_a_superuser_sees_every_department(admin_user, support, billing, login):
    report = login(admin_user).get(URL).context["report"]
    assert {department.name for department in report.departments} == {"Suporte", "Financeiro"}


def test_the_dashboard_only_answers_get(supervisor, login):
    assert login(supervisor).post(URL).status_code == 405


def test_the_menu_links_the_dashboard_for_supervisors_only(supervisor, agent, login, client):
    assert URL in login(supervisor).get(reverse("staff:queue")).content.decode()
    client.logout()
    assert URL not in login(agent).get(reverse("staff:queue")).content.decode()


def test_the_period_is_one_of_the_choices(supervisor, login):
    client = login(supervisor)
    assert client.get(URL, {"days": "7"}).context["days"] == 7
    assert client.get(URL, {"days": "90"}).context["days"] == 90
    assert client.get(URL, {"days": "100000"}).context["days"] == reports.DEFAULT_PERIOD
    assert client.get(URL, {"days": "x"}).context["days"] == reports.DEFAULT_PERIOD


# Figures on a known data set


@pytest.fixture
def known(time_machine, support, billing, customer, agent, supervisor, make_ticket):
    """Suporte (around the clock, medium: 1 h first response, 8 h resolution), tickets opened Monday 09:00.

    one:   answered after 30 min, closed at 10:00        first 30 min in time; solved in 1 h, in time
    two:   answered after 2 h, closed at 17:00           first 2 h late; solved in 8 h, clock 2 h: in time
    three: answered after 10 min, customer replied       first 10 min in time; open (Customer reply),
           at 60 min                                     overdue since its resolution was due at 17:50
    four:  never answered                                overdue; escalated by the customer
    five:  in Financeiro (not supervised), opened Tuesday
    Beat's mark-overdue has recorded the breaches of three and four.
    """
    ResponseTarget.objects.create(
        department=support, priority=Priority.MEDIUM, first_response_minutes=60, resolution_minutes=480
    )
    hosting, mail = Service.objects.create(name="Hospedagem"), Service.objects.create(name="E-mail")

    def at(minutes):
        time_machine.move_to(MONDAY_9 + timedelta(minutes=minutes), tick=False)

    at(0)
    one = make_ticket(subject="Site fora do ar", service=hosting)
    two = make_ticket(subject="  site FORA do ar ", service=hosting)
    three = make_ticket(subject="Erro no e-mail", service=mail)
    four = make_ticket(subject="Backup do banco", service=hosting)
    at(10)
    three.reply(author=agent, body="Verifique a senha.")
    at(30)
    one.reply(author=agent, body="Resolvido.")
    at(60)
    one.close(by=customer)
    three.reply(author=customer, body="Continua o erro.")
    three.assign(agent, by=agent)
    at(120)
    two.reply(author=agent, body="Desculpe a demora.")
    at(480)
    two.close(by=agent)
    four.escalate(by=customer, reason="Ninguém respondeu ainda.")
    at(24 * 60)
    make_ticket(department=billing, subject="Boleto", service=hosting)
    time_machine.move_to(NOW, tick=False)
    mark_overdue(NOW)
    return {"one": one, "two": two, "three": three, "four": four}


def near(value, exact):
    """A percentile read from the sketch: within its 2 % of the exact one."""
    return abs(value - exact) <= 0.02 * exact


def shown(report, name):
    """A section's figures as its template receives them."""
    return next(figures for section, figures in report.sections if section.name == name)


def test_the_figures_of_a_known_week(known, supervisor):
    report = reports.build(supervisor, 7)
    assert [department.name for department in report.departments] == ["Suporte"]
    totals = report.totals
    assert totals.by_status == {Status.OPEN: 1, Status.CUSTOMER_REPLY: 1}
    assert (totals.open, totals.waiting, totals.overdue, totals.escalated, totals.unassigned) == (2, 2, 2, 1, 1)
    assert [ticket.pk for ticket in report.overdue] == [known["four"].pk, known["three"].pk]
    assert [ticket.pk for ticket in report.escalated] == [known["four"].pk]

    times = report.times
    assert (times.answered, times.answered_with_target, times.answered_in_time) == (3, 3, 2)
    assert near(times.first_median, timedelta(minutes=30))
    # Interpolated like percentile_cont: 30 min + 0.8 × (120 − 30) min.
    assert near(times.first_p90, timedelta(minutes=102))
    assert times.first_compliance == 67
    assert (times.solved, times.solved_with_target, times.solved_in_time) == (2, 2, 2)
    assert near(times.resolution_median, timedelta(hours=4, minutes=30))
    assert near(times.resolution_p90, timedelta(hours=7, minutes=18))
    assert times.resolution_compliance == 100
    assert shown(report, "times")["rows"] == [("Suporte", times)]

    assert report.volume["created"] == 4 and report.volume["created_before"] == 0
    lists = shown(report, "recurring")
    assert lists["top_services"] == [
        {"name": "Hospedagem", "count": 3, "share": 75},
        {"name": "E-mail", "count": 1, "share": 25},
    ]
    assert lists["top_departments"] == [{"name": "Suporte", "count": 4, "share": 100}]
    assert lists["subjects"] == [{"normalized": "site fora do ar", "count": 2}]
    assert {"word": "site", "count": 2} in lists["words"]
    assert "do" not in {item["word"] for item in lists["words"]}  # too short
    load = {row["name"]: (row["open"], row["waiting"], row["overdue"]) for row in report.agents}
    assert load == {"André Agente": (1, 1, 1), "Sofia Supervisora": (0, 0, 0)}


def test_overdue_tickets_count_before_and_after_mark_overdue_records_their_breach(
    known, supervisor, make_ticket, time_machine, agent
):
    late = make_ticket(subject="Sem resposta")
    late.assign(agent, by=agent)
    time_machine.move_to(NOW + timedelta(hours=2), tick=False)
    report = reports.build(supervisor, 7)
    assert late in report.overdue and report.totals.overdue == 3 and report.rows[0].overdue == 3
    assert {row["name"]: row["overdue"] for row in report.agents}["André Agente"] == 2
    mark_overdue()
    report = reports.build(supervisor, 7)
    assert report.totals.overdue == 3
    assert {row["name"]: row["overdue"] for row in report.agents}["André Agente"] == 2


def test_overdue_tickets_not_recorded_yet_count_only_in_the_departments_one_supervises(
    supervisor, admin_user, billing, agent, make_ticket, time_machine
):
    """The supervisor also works in Financeiro: its late ticket is theirs to see, not to count."""
    Membership.objects.create(department=billing, user=supervisor)
    Membership.objects.create(department=billing, user=agent)
    ResponseTarget.objects.create(
        department=billing, priority=Priority.MEDIUM, first_response_minutes=60, resolution_minutes=480
    )
    time_machine.move_to(MONDAY_9, tick=False)
    late = make_ticket(department=billing, subject="Boleto vencido")
    late.assign(agent, by=agent)
    time_machine.move_to(MONDAY_9 + timedelta(hours=2), tick=False)
    mine = reports.build(supervisor, 7)
    assert mine.totals.overdue == 0 and [row.overdue for row in mine.rows] == [0]
    assert {row["name"]: row["overdue"] for row in mine.agents}["André Agente"] == 0
    everything = reports.build(admin_user, 7)
    assert everything.totals.overdue == 1
    assert {row.department.name: row.overdue for row in everything.rows}["Financeiro"] == 1


def test_the_overdue_and_escalated_lists_name_the_department_and_the_assignee(
    known, supervisor, make_ticket, time_machine, agent, admin_user, login
):
    late = make_ticket(subject="Sem resposta")
    late.assign(agent, by=agent)
    later = make_ticket(subject="Também sem resposta")
    later.assign(admin_user, by=admin_user)  # a superuser: not on the agents' menus
    time_machine.move_to(NOW + timedelta(hours=2), tick=False)
    report = reports.build(supervisor, 7)
    named = {ticket.pk: (ticket.department_name, ticket.assignee_name) for ticket in report.overdue}
    assert named[late.pk] == ("Suporte", "André Agente")
    assert named[later.pk] == ("Suporte", "Ana Admin")
    page = login(supervisor).get(reverse("staff:dashboard")).content.decode()
    overdue = page[page.index('id="overdue-heading"') : page.index('id="escalated-heading"')]
    assert "André Agente" in overdue and "Ana Admin" in overdue and "Suporte ·" in overdue


def test_the_week_charts_count_new_tickets_per_day(known, supervisor):
    report = reports.build(supervisor, 7)
    # Today and the six days before.
    assert report.period.daily and report.period.buckets == [NOW.date() - timedelta(days=n) for n in range(6, -1, -1)]
    monday = MONDAY_9.date()
    hosting = Service.objects.get(name="Hospedagem").pk
    assert report.volume["by_service"]["values"] == {
        (monday, hosting): 3,
        (monday, Service.objects.get(name="E-mail").pk): 1,
    }
    chart = shown(report, "volume")[0]
    assert chart.rows[4] == ("Mon 2", [3, 1], 4)


def test_a_superuser_sees_the_totals_of_every_department(known, admin_user):
    report = reports.build(admin_user, 7)
    assert report.volume["created"] == 5
    assert {row.department.name: row.open for row in report.rows} == {"Suporte": 2, "Financeiro": 1}
    # Financeiro has no target: its first response cannot be late or on time.
    assert report.times.answered_with_target == 3


def test_the_page_shows_the_figures_and_links_to_the_queue(known, supervisor, login):
    page = login(supervisor).get(URL, {"days": "7"}).content.decode()
    assert "30 min" in page and "4 h 30 min" in page and "67%" in page
    assert known["four"].get_staff_url() in page
    assert f"{reverse('staff:queue')}?overdue=1" in page
    assert '<title id="by-service-title">New tickets by service</title>' in page


def test_chart_coordinates_stay_numbers_in_portuguese(known, supervisor, login):
    client = login(supervisor)
    client.cookies["django_language"] = "pt-br"
    page = client.get(URL, {"days": "7"}).content.decode()
    coordinates = re.findall(r' (?:x|y|width|height)="([^"]*)"', page)
    assert coordinates and all("," not in value for value in coordinates)


def test_the_number_of_queries_does_not_grow_with_the_data(known, admin_user, make_ticket, customer):
    def count():
        with CaptureQueriesContext(connection) as built:
            reports.build(admin_user, 30)
        period = reports.Period(tuple(Department.objects.values_list("pk", flat=True)), 30, NOW)
        with CaptureQueriesContext(connection) as computed:
            reports.compute_figures(period)
        return len(built), len(computed)

    small = count()
    for n in range(3):
        department = Department.objects.create(name=f"Extra {n}", slug=f"extra-{n}", email=f"extra{n}@example.com")
        user = User.objects.create_user(f"agent{n}@example.com", "x")
        Membership.objects.create(department=department, user=user, is_supervisor=True)
        for m in range(5):
            ticket = make_ticket(department=department, subject=f"Problema {m}")
            ticket.assign(user, by=user)
            ticket.reply(author=user, body="Olhando.")
        ticket.close(by=user)
        ticket.rate(closing=ticket.current_closing(), score="bad", comment="Lento", by=ticket.customer)
        Problem.open_from(by=user, department=department, title=f"Falha {n}", tickets=[ticket])
    assert count() == small


def test_the_period_figures_come_from_the_cache_and_the_open_counts_stay_live(known, supervisor, make_ticket):
    first = reports.build(supervisor, 7)
    make_ticket(subject="Novo problema")
    with CaptureQueriesContext(connection) as queries:
        second = reports.build(supervisor, 7)
    assert second.totals.open == first.totals.open + 1
    assert second.volume["created"] == first.volume["created"]  # the period's figures, until the next refresh
    assert second.figures_at == first.figures_at
    # Open counts, overdue not yet recorded, the two lists (departments and agents come from the
    # cached menus): nothing of the period's.
    assert len(queries) == 4
    assert reports.refresh_all() == 2 * len(reports.PERIODS)  # Suporte's supervisor, and all departments
    assert reports.build(supervisor, 7).volume["created"] == first.volume["created"] + 1


def test_subject_words_keep_hyphens_and_leave_out_little_words(make_ticket, supervisor):
    for subject in ("E-mail não envia", "Meu e-mail foi bloqueado", "Site e e-mail fora do ar", "Site lento"):
        make_ticket(subject=subject)
    words = reports.build(supervisor, 7).figures["recurring"]["words"]
    assert words[0] == {"word": "e-mail", "count": 3}
    assert {"word": "site", "count": 2} in words
    assert not {"e", "do", "meu", "mail"} & {item["word"] for item in words}


# Charts


def test_axis_maxima_are_round_numbers_and_their_labels_short():
    assert [nice_ceiling(n) for n in (0, 3, 4, 7, 37, 180, 999)] == [4, 4, 4, 8, 40, 200, 1000]
    assert [compact_number(n) for n in (0, 2.5, 800, 2500, 10000)] == ["0", "2.5", "800", "2.5k", "10k"]


def test_a_stacked_bar_chart_sums_extra_series_into_other():
    day = MONDAY_9.date()
    series = list(range(8))
    values = {(day, key): key + 1 for key in series}
    chart = stacked_bars("x", "Chart", [day], series, {key: f"S{key}" for key in series}, values, daily=True)
    assert chart.columns[-1] == "Other"
    assert [total for _colour, _name, total in chart.legend] == [1, 2, 3, 4, 5, 6, 7 + 8]
    assert chart.rows == [(chart.rows[0][0], [1, 2, 3, 4, 5, 6, 15], 36)]
    # The stack fills the plot up to its share of the axis maximum (40).
    assert round(sum(bar.height for bar in chart.bars), 1) == round((220 - 12 - 30) * 36 / 40, 1)
