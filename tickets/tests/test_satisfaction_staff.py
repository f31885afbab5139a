"""What staff see of the ratings: the workspace, the thread, the queue filter, the CSV column, the
dashboard, and the department's settings in the admin."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import User
from departments.models import Membership, Service
from tickets import reports
from tickets.models import Rating, RatingRefused, Scale, Status, Ticket

pytestmark = pytest.mark.usefixtures("english")

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 3, 18, 12, tzinfo=SAO_PAULO)


def rated(ticket, score, *, by, comment=""):
    """Close `ticket` (by the agent `by`) and rate that close."""
    ticket.close(by=by)
    return ticket.rate(closing=ticket.current_closing(), score=score, comment=comment, by=ticket.customer)


# The model's rules, without the web


def test_a_score_outside_the_department_s_scale_is_refused(ticket, agent):
    ticket.close(by=agent)
    with pytest.raises(RatingRefused):
        ticket.rate(closing=ticket.current_closing(), score="4")
    assert not Rating.objects.exists()


def test_the_five_point_scale_counts_1_and_2_as_bad_and_4_and_5_as_good(ticket, support, agent):
    support.satisfaction_scale = Scale.FIVE
    support.save()
    rating = rated(ticket, "2", by=agent)
    assert (rating.points, rating.is_bad, rating.is_good) == (2, True, False)


def test_an_open_ticket_cannot_be_rated(ticket, agent):
    ticket.close(by=agent)
    closing = ticket.current_closing()
    ticket.set_status("open", by=agent)
    with pytest.raises(RatingRefused):
        ticket.rate(closing=closing, score="good")


def test_the_rating_keeps_the_department_agent_and_service_of_the_close(ticket, agent, billing, hosting):
    ticket.assign(agent, by=agent)
    ticket.set_service(hosting, by=agent)
    rating = rated(ticket, "good", by=agent)
    ticket.transfer(billing, by=agent)
    rating.refresh_from_db()
    assert (rating.department.name, rating.agent, rating.service) == ("Suporte", agent, hosting)


# The workspace and the thread


def test_the_workspace_shows_the_rating_and_its_comment(ticket, agent, login):
    rated(ticket, "bad", by=agent, comment="Ninguém respondeu no fim de semana.")
    page = login(agent).get(ticket.get_staff_url()).content.decode()
    assert "Customer satisfaction" in page
    assert "Ninguém respondeu no fim de semana." in page
    assert "The customer rated the service: Bad" in page


def test_the_workspace_of_a_reopened_ticket_still_shows_its_earlier_rating(ticket, agent, customer, login):
    rated(ticket, "bad", by=agent, comment="Voltou a cair.")
    ticket.reply(author=customer, body="Caiu de novo.")
    ticket.refresh_from_db()
    assert not ticket.is_closed
    page = login(agent).get(ticket.get_staff_url()).content.decode()
    assert "Customer satisfaction" in page and "Voltou a cair." in page


def test_the_workspace_of_a_ticket_never_rated_has_no_satisfaction_card(ticket, agent, login):
    page = login(agent).get(ticket.get_staff_url()).content.decode()
    assert "Customer satisfaction" not in page


def test_the_workspace_says_when_the_latest_close_is_not_answered_yet(ticket, agent, login):
    ticket.close(by=agent)
    assert "Asked at the latest close: no answer yet." in login(agent).get(ticket.get_staff_url()).content.decode()


@pytest.mark.parametrize("who", ["other_agent", "customer", "other_customer"])
def test_nobody_outside_the_department_sees_the_workspace_s_rating(request, ticket, agent, login, who):
    rated(ticket, "bad", by=agent, comment="Segredo")
    assert login(request.getfixturevalue(who)).get(ticket.get_staff_url()).status_code == 404


def test_the_supervisor_and_the_admin_see_the_rating(ticket, agent, supervisor, admin_user, login, client):
    rated(ticket, "good", by=agent, comment="Ótimo")
    for user in (supervisor, admin_user):
        client.force_login(user)
        assert "Ótimo" in client.get(ticket.get_staff_url()).content.decode()


# The queue and the export


def test_the_queue_filters_by_rating(make_ticket, agent, login):
    good, bad, unrated = make_ticket(subject="Bom"), make_ticket(subject="Ruim"), make_ticket(subject="Nada")
    rated(good, "good", by=agent)
    rated(bad, "bad", by=agent)
    unrated.close(by=agent)
    client = login(agent)

    def subjects(query):
        return {row.subject for row in client.get(reverse("staff:queue") + query).context["page"].rows}

    assert subjects("?status=all&rating=bad") == {"Ruim"}
    assert subjects("?status=all&rating=good") == {"Bom"}
    assert subjects("?status=all&rating=rated") == {"Bom", "Ruim"}
    # Anything else is no filter.
    assert subjects("?status=all&rating=bogus") == {"Bom", "Ruim", "Nada"}


def test_the_queue_filter_never_shows_another_department_s_ratings(make_ticket, billing, agent, other_agent, login):
    rated(make_ticket(department=billing, subject="Boleto"), "bad", by=other_agent)
    rows = login(agent).get(reverse("staff:queue") + "?status=all&rating=bad").context["page"].rows
    assert rows == []


def test_the_csv_export_has_the_latest_rating(make_ticket, agent, customer, login):
    ticket = make_ticket(subject="Reaberto")
    rated(ticket, "good", by=agent)
    ticket.reply(author=customer, body="Voltou.")
    rated(ticket, "bad", by=agent)
    make_ticket(subject="Sem nota").close(by=agent)

    response = login(agent).get(reverse("staff:export_csv") + "?status=all")
    text = b"".join(response.streaming_content).decode().removeprefix("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text)))
    column = header.index("Rating")
    assert {row[1]: row[column] for row in rows} == {"Reaberto": "Bad", "Sem nota": ""}


# The dashboard

SECTION = next(section for section in reports.SECTIONS if section.name == "satisfaction")


def dashboard(user, days):
    """The satisfaction section as the dashboard shows it to `user` (its figures computed if none are cached)."""
    return reports.build(user, days).shown(SECTION)


@pytest.fixture
def rated_month(make_ticket, support, billing, agent, supervisor, customer, hosting):
    """Suporte: 3 good and 1 bad of 5 closes over two weeks; Financeiro: one bad."""
    second = User.objects.create_user("bia@example.com", "x", name="Bia Agente")
    Membership.objects.create(department=support, user=second)
    with time_machine.travel(NOW - timedelta(days=9), tick=False):
        for score in ("good", "good"):
            ticket = make_ticket(service=hosting)
            ticket.assign(agent, by=agent)
            rated(ticket, score, by=agent)
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        ticket = make_ticket()
        ticket.assign(second, by=second)
        rated(ticket, "bad", by=second, comment="Lento")
        rated(make_ticket(service=hosting), "good", by=agent)
        make_ticket().close(by=agent)
        other = User.objects.create_user("fin@example.com", "x", name="Fin")
        Membership.objects.create(department=billing, user=other)
        rated(make_ticket(department=billing), "bad", by=other)


def test_the_dashboard_shows_satisfaction_by_department_agent_and_service(rated_month, supervisor, login):
    with time_machine.travel(NOW, tick=False):
        response = login(supervisor).get(reverse("staff:dashboard") + "?days=30")
    figures = response.context["report"].shown(SECTION)
    assert (figures.totals.rated, figures.totals.good, figures.totals.bad) == (4, 3, 1)
    assert figures.totals.satisfied == 75
    assert (figures.closes, figures.answer_rate) == (5, 80)
    assert [(row.name, row.rated, row.satisfied) for row in figures.by_department] == [("Suporte", 4, 75)]
    assert {(row.name, row.rated, row.bad) for row in figures.by_agent} == {
        ("André Agente", 2, 0),
        ("Bia Agente", 1, 1),
        ("Nobody assigned", 1, 0),
    }
    assert {(row.name, row.rated) for row in figures.by_service} == {("Hospedagem", 3), ("No service", 1)}
    page = response.content.decode()
    assert "Customer satisfaction" in page
    assert "Lento" in page  # the latest bad ratings, to follow up
    assert "Financeiro" not in page


def test_the_weekly_trend_counts_each_week_s_closes(rated_month, supervisor):
    with time_machine.travel(NOW, tick=False):
        figures = dashboard(supervisor, 30)
    counted = [(week.key.isoformat(), week.rated, week.satisfied) for week in figures.weekly if week.rated]
    assert counted == [("2026-03-09", 2, 100), ("2026-03-16", 2, 50)]
    assert len(figures.weekly) == 5
    assert all(week.key.weekday() == 0 for week in figures.weekly)


def test_the_period_leaves_out_older_closes(rated_month, supervisor):
    with time_machine.travel(NOW, tick=False):
        figures = dashboard(supervisor, 7)
    assert (figures.totals.rated, figures.closes) == (2, 3)


def test_a_superuser_s_dashboard_counts_every_department(rated_month, admin_user):
    with time_machine.travel(NOW, tick=False):
        figures = dashboard(admin_user, 30)
    assert {row.name: row.bad for row in figures.by_department} == {"Suporte": 1, "Financeiro": 1}


def test_departments_that_do_not_ask_are_left_out_of_the_answer_rate(rated_month, supervisor, support):
    support.satisfaction_survey = False
    support.save()
    with time_machine.travel(NOW, tick=False):
        figures = dashboard(supervisor, 30)
    assert figures.closes == 0 and figures.answer_rate is None


def test_the_closes_of_the_answer_rate_are_the_tickets_closed_in_the_period(
    rated_month, supervisor, support, billing, agent, other_agent, make_ticket
):
    """Read from the running counts, they equal a count of the tickets by their latest close: a
    reopened ticket no longer counts, a ticket transferred after its close counts in its new
    department, a merged duplicate never."""
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        reopened = Ticket.objects.filter(department=support, status=Status.CLOSED).first()
        reopened.reply(author=reopened.customer, body="Voltou a falhar.")
        moved = make_ticket(department=billing)
        moved.close(by=other_agent)
        moved.transfer(support, by=other_agent)
        make_ticket().merge_into(make_ticket(), by=agent)
    with time_machine.travel(NOW, tick=False):
        figures = dashboard(supervisor, 30)
        period = reports.build(supervisor, 30).period
    tickets = Ticket.objects.filter(
        department=support, closed_at__gte=period.since, closed_at__lte=period.now, merged_into__isnull=True
    )
    assert figures.closes == tickets.count() == 5


# The admin


def test_the_admin_sets_the_survey_scale_and_question_of_a_department(admin_user, support, client):
    client.force_login(admin_user)
    url = reverse("admin:departments_department_change", args=[support.pk])
    page = client.get(url).content.decode()
    for field in ("satisfaction_survey", "satisfaction_scale", "satisfaction_question_pt", "satisfaction_question_en"):
        assert f'name="{field}"' in page


def test_the_department_s_question_follows_the_language(support):
    from django.utils import translation

    support.satisfaction_question_en = "Happy?"
    with translation.override("en"):
        assert support.satisfaction_question() == "Happy?"
    with translation.override("pt-br"):
        assert support.satisfaction_question() == "Como foi o nosso atendimento neste ticket?"


def test_a_service_deleted_later_does_not_break_the_report(ticket, agent, supervisor, hosting):
    ticket.set_service(hosting, by=agent)
    rated(ticket, "good", by=agent)
    ticket.set_service(None, by=agent)
    Service.objects.filter(pk=hosting.pk).delete()
    assert [row.name for row in dashboard(supervisor, 30).by_service] == ["No service"]


def test_the_dashboard_s_satisfaction_is_kept_until_beat_refreshes_the_period_figures(ticket, agent, supervisor):
    first = dashboard(supervisor, 30)
    rated(ticket, "bad", by=agent)
    assert dashboard(supervisor, 30).totals.rated == first.totals.rated == 0
    reports.refresh_all()
    assert dashboard(supervisor, 30).totals.rated == 1
