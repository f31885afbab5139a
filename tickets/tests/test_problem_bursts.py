"""Bursts: many new tickets of one service within minutes tell the department's supervisors, once
per burst, with the tickets and a link that makes them a problem."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from departments.models import Membership
from tickets.models import Burst, BurstThreshold, Notification, NotificationKind, Problem
from tickets.problems import notice_bursts
from tickets.tests.notifications import bodies, to

pytestmark = pytest.mark.usefixtures("english")

START = datetime.datetime(2026, 12, 1, 13, 0, tzinfo=datetime.UTC)


def _arrive(make_ticket, service, count, minutes_apart=1, start=START, **fields):
    tickets = []
    for n in range(count):
        with time_machine.travel(start + datetime.timedelta(minutes=n * minutes_apart), tick=False):
            tickets.append(make_ticket(subject=f"Site fora do ar {n}", service=service, **fields))
    return tickets


def _burst_mail():
    return Notification.objects.filter(kind=NotificationKind.BURST)


def test_five_tickets_of_one_service_within_fifteen_minutes_tell_the_supervisors_once(
    make_ticket, hosting, supervisor, agent, mailoutbox, tasks_in_process, django_capture_on_commit_callbacks
):
    tickets = _arrive(make_ticket, hosting, 5, minutes_apart=3)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        (burst,) = notice_bursts(now=START + datetime.timedelta(minutes=13))
    assert set(burst.tickets.all()) == set(tickets)
    assert list(_burst_mail().values_list("recipient", flat=True)) == ["supervisor@example.com"]
    mail = to(mailoutbox, "supervisor@example.com")
    assert mail.subject.strip() == "5 new tickets about Hospedagem in Suporte"
    text, html = bodies(mail)
    for ticket in tickets:
        assert ticket.display_reference in text and ticket.display_reference in html
    assert f"/staff/problems/new/?burst={burst.pk}" in text
    assert mail.reply_to == ["suporte@example.com"]
    # The next runs, with more tickets of the same burst, tell nobody again.
    later = _arrive(make_ticket, hosting, 2, start=START + datetime.timedelta(minutes=14))
    assert notice_bursts(now=START + datetime.timedelta(minutes=16)) == []
    assert notice_bursts(now=START + datetime.timedelta(minutes=17)) == []
    assert _burst_mail().count() == 1
    assert set(later) <= set(Burst.objects.get().tickets.all())


def test_a_department_without_supervisors_tells_its_agents_and_says_so(
    make_ticket, hosting, agent, mailoutbox, tasks_in_process, django_capture_on_commit_callbacks
):
    """As escalations do: a burst must not go unheard where nobody supervises."""
    _arrive(make_ticket, hosting, 5, minutes_apart=3)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notice_bursts(now=START + datetime.timedelta(minutes=13))
    assert list(_burst_mail().values_list("recipient", flat=True)) == ["agente@example.com"]
    text, html = bodies(to(mailoutbox, "agente@example.com"))
    for body in (text, html):
        assert "You receive this as an agent of Suporte, which has no supervisor." in body


def test_fewer_tickets_or_spread_out_ones_are_no_burst(make_ticket, hosting, supervisor):
    _arrive(make_ticket, hosting, 4)
    assert notice_bursts(now=START + datetime.timedelta(minutes=5)) == []
    _arrive(make_ticket, hosting, 5, minutes_apart=10, start=START + datetime.timedelta(hours=2))
    assert notice_bursts(now=START + datetime.timedelta(hours=2, minutes=41)) == []
    assert not Burst.objects.exists()


def test_tickets_without_a_service_or_already_in_a_problem_do_not_count(make_ticket, hosting, agent, support):
    _arrive(make_ticket, None, 6)
    linked = _arrive(make_ticket, hosting, 5)
    Problem.open_from(by=agent, department=support, title="web01", tickets=linked)
    assert notice_bursts(now=START + datetime.timedelta(minutes=6)) == []


def test_a_new_burst_after_a_quiet_spell_is_told_again(make_ticket, hosting, supervisor):
    _arrive(make_ticket, hosting, 5)
    assert len(notice_bursts(now=START + datetime.timedelta(minutes=5))) == 1
    again = START + datetime.timedelta(hours=3)
    _arrive(make_ticket, hosting, 5, start=again)
    assert len(notice_bursts(now=again + datetime.timedelta(minutes=5))) == 1
    assert Burst.objects.count() == 2 and _burst_mail().count() == 2


def test_each_department_has_its_own_threshold_set_in_the_admin(make_ticket, hosting, support, billing, supervisor):
    BurstThreshold.objects.create(department=support, tickets=3, minutes=5)
    BurstThreshold.objects.create(department=billing, tickets=0, minutes=15)  # off
    _arrive(make_ticket, hosting, 3)
    _arrive(make_ticket, hosting, 8, department=billing)
    (burst,) = notice_bursts(now=START + datetime.timedelta(minutes=3))
    assert burst.department == support


def test_the_threshold_is_edited_in_the_departments_admin_page(client, admin_user, support):
    client.force_login(admin_user)
    page = client.get(reverse("admin:departments_department_change", args=[support.pk])).content.decode()
    assert "burst_threshold-0-tickets" in page or "burst_threshold-TOTAL_FORMS" in page
    assert client.get(reverse("admin:tickets_burstthreshold_changelist")).status_code == 200


def test_only_the_departments_supervisors_are_told(make_ticket, hosting, supervisor, other_agent, billing):
    Membership.objects.filter(department=billing, user=other_agent).update(is_supervisor=True)
    _arrive(make_ticket, hosting, 5)
    notice_bursts(now=START + datetime.timedelta(minutes=5))
    assert list(_burst_mail().values_list("recipient", flat=True)) == ["supervisor@example.com"]


def test_the_link_in_the_mail_makes_the_bursts_tickets_one_problem(login, make_ticket, hosting, supervisor, support):
    tickets = _arrive(make_ticket, hosting, 5)
    (burst,) = notice_bursts(now=START + datetime.timedelta(minutes=5))
    client = login(supervisor)
    form = client.get(burst.get_absolute_url()).content.decode()
    for ticket in tickets:
        assert ticket.display_reference in form
    response = client.post(
        reverse("staff:problem_new"),
        {"burst": burst.pk, "title": "Hospedagem instável", "department": support.pk, "service": hosting.pk},
    )
    problem = Problem.objects.get()
    assert response["Location"] == problem.get_absolute_url()
    assert set(problem.tickets.all()) == set(tickets)
    burst.refresh_from_db()
    assert burst.problem == problem


def test_another_departments_agent_cannot_use_the_bursts_link(
    login, make_ticket, hosting, supervisor, other_agent, billing
):
    _arrive(make_ticket, hosting, 5)
    (burst,) = notice_bursts(now=START + datetime.timedelta(minutes=5))
    client = login(other_agent)
    form = client.get(burst.get_absolute_url()).content.decode()
    assert "Site fora do ar" not in form
    client.post(reverse("staff:problem_new"), {"burst": burst.pk, "title": "x", "department": billing.pk})
    assert not Problem.objects.filter(tickets__isnull=False).exists()
    burst.refresh_from_db()
    assert burst.problem is None
