"""Customer escalation: an overdue ticket, or an Answered one whose answer did not help, can be
escalated with a reason, at most once a day; the supervisors are told; staff answering lowers it."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse

from departments.models import ResponseTarget
from tickets.models import EscalationRefused, EventKind, Notification, NotificationKind, Priority, Status, Ticket

MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("America/Sao_Paulo"))
REASON = "Meu site continua fora do ar e ninguém respondeu."


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def targets(support):
    ResponseTarget.objects.create(
        department=support, priority=Priority.MEDIUM, first_response_minutes=60, resolution_minutes=480
    )


@pytest.fixture
def overdue(time_machine, targets, make_ticket):
    """A ticket opened Monday 09:00 whose first-response hour has passed (time frozen at 10:30)."""
    time_machine.move_to(MONDAY_9, tick=False)
    ticket = make_ticket()
    time_machine.move_to(MONDAY_9 + timedelta(minutes=90), tick=False)
    return ticket


def _url(ticket):
    return reverse("tickets:escalate", args=[ticket.reference])


def _escalations(ticket):
    return ticket.events.filter(kind=EventKind.ESCALATED)


def test_the_customer_escalates_an_overdue_ticket_and_the_supervisors_are_told(
    overdue, customer, supervisor, agent, login
):
    response = login(customer).post(_url(overdue), {"reason": REASON}, follow=True)
    assert response.redirect_chain == [(overdue.get_absolute_url(), 302)]
    assert "escalated" in response.content.decode()
    overdue.refresh_from_db()
    assert overdue.escalated_at == MONDAY_9 + timedelta(minutes=90)
    event = _escalations(overdue).get()
    assert (event.actor, event.note) == (customer, REASON)
    notices = Notification.objects.filter(ticket=overdue, kind=NotificationKind.ESCALATED)
    assert list(notices.values_list("recipient", flat=True)) == [supervisor.email]
    # The reason is in the thread, and the button is gone for the day.
    page = response.content.decode()
    assert REASON in page
    assert _url(overdue) not in page


def test_an_answer_that_did_not_help_can_be_escalated_and_the_ticket_waits_for_staff_again(
    time_machine, targets, make_ticket, agent, customer, supervisor, login
):
    time_machine.move_to(MONDAY_9, tick=False)
    ticket = make_ticket()
    ticket.reply(author=agent, body="Reinicie o servidor.")
    time_machine.move_to(MONDAY_9 + timedelta(days=1), tick=False)
    assert _url(ticket) in login(customer).get(ticket.get_absolute_url()).content.decode()
    login(customer).post(_url(ticket), {"reason": "Reiniciei e o erro continua igual."})
    ticket.refresh_from_db()
    assert ticket.status == Status.CUSTOMER_REPLY
    assert ticket.sla_clock_started_at == MONDAY_9 + timedelta(days=1)
    assert ticket.escalated_at is not None
    assert _escalations(ticket).count() == 1


def test_a_ticket_within_its_response_time_cannot_be_escalated(time_machine, targets, make_ticket, customer, login):
    time_machine.move_to(MONDAY_9, tick=False)
    ticket = make_ticket()
    client = login(customer)
    assert _url(ticket) not in client.get(ticket.get_absolute_url()).content.decode()
    response = client.post(_url(ticket), {"reason": REASON}, follow=True)
    assert "response time has passed" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.escalated_at is None
    assert not _escalations(ticket).exists()


def test_a_closed_or_on_hold_ticket_cannot_be_escalated(overdue, agent, customer, login):
    overdue.set_status(Status.ON_HOLD, by=agent)
    login(customer).post(_url(overdue), {"reason": REASON})
    assert not _escalations(overdue).exists()


def test_a_ticket_can_be_escalated_once_a_day(overdue, time_machine, customer, login):
    client = login(customer)
    client.post(_url(overdue), {"reason": REASON})
    time_machine.move_to(MONDAY_9 + timedelta(hours=20), tick=False)
    response = client.post(_url(overdue), {"reason": "De novo: ainda sem resposta!"}, follow=True)
    assert "less than a day ago" in response.content.decode()
    assert _escalations(overdue).count() == 1
    time_machine.move_to(MONDAY_9 + timedelta(minutes=90, hours=24, seconds=1), tick=False)
    client.post(_url(overdue), {"reason": "Um dia depois e nada."})
    assert _escalations(overdue).count() == 2


def test_the_refusal_says_when_the_ticket_can_be_escalated_again(overdue, time_machine, customer, login):
    client = login(customer)
    client.post(_url(overdue), {"reason": REASON})
    time_machine.move_to(MONDAY_9 + timedelta(hours=2), tick=False)
    page = client.post(_url(overdue), {"reason": "De novo: ainda sem resposta!"}, follow=True).content.decode()
    assert "From 03/03/2026 10:30 a.m. you can escalate it again." in page
    assert "a.m.." not in page


@pytest.mark.parametrize(
    ("reason", "error"),
    [("", "This field is required"), ("Ajuda!", "at least 10 characters"), ("x" * 2001, "at most 2000 characters")],
)
def test_a_missing_short_or_long_reason_is_refused_and_kept_in_the_form(overdue, customer, login, reason, error):
    response = login(customer).post(_url(overdue), {"reason": reason})
    assert response.status_code == 200
    page = response.content.decode()
    assert error in page
    assert '<details class="hd-confirm hd-escalate" open>' in page
    overdue.refresh_from_db()
    assert overdue.escalated_at is None


def test_another_customers_ticket_is_not_found(overdue, other_customer, login):
    assert login(other_customer).post(_url(overdue), {"reason": REASON}).status_code == 404
    assert not _escalations(overdue).exists()


def test_staff_cannot_escalate_through_the_customer_panel(overdue, agent, supervisor, login):
    assert login(agent).post(_url(overdue), {"reason": REASON}).status_code == 404
    assert login(supervisor).post(_url(overdue), {"reason": REASON}).status_code == 404
    assert not _escalations(overdue).exists()


def test_anonymous_visitors_are_sent_to_log_in(overdue, client):
    response = client.post(_url(overdue), {"reason": REASON})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not _escalations(overdue).exists()


def test_escalating_needs_a_post(overdue, customer, login):
    assert login(customer).get(_url(overdue)).status_code == 405


def test_a_staff_answer_lowers_the_escalation(overdue, customer, agent):
    overdue.escalate(by=customer, reason=REASON)
    overdue.reply(author=agent, body="Resolvido, desculpe a demora.")
    overdue.refresh_from_db()
    assert overdue.escalated_at is None
    assert _escalations(overdue).count() == 1  # the history keeps it


def test_an_internal_note_does_not_lower_the_escalation(overdue, customer, agent):
    overdue.escalate(by=customer, reason=REASON)
    overdue.reply(author=agent, body="Vou olhar.", internal=True)
    overdue.refresh_from_db()
    assert overdue.escalated_at is not None


def test_closing_lowers_the_escalation(overdue, customer):
    overdue.escalate(by=customer, reason=REASON)
    overdue.close(by=customer)
    overdue.refresh_from_db()
    assert overdue.escalated_at is None


def test_the_model_refuses_what_the_rules_refuse(time_machine, targets, make_ticket, customer):
    time_machine.move_to(MONDAY_9, tick=False)
    ticket = make_ticket()
    with pytest.raises(EscalationRefused):
        ticket.escalate(by=customer, reason=REASON)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_escalations_at_the_same_moment_count_once(targets, make_ticket, customer, supervisor):
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(due_at=ticket.created_at - timedelta(minutes=1))
    barrier = threading.Barrier(2)
    outcomes = []

    def escalate():
        barrier.wait()
        try:
            Ticket.objects.get(pk=ticket.pk).escalate(by=customer, reason=REASON)
            outcomes.append("escalated")
        except EscalationRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=escalate) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["escalated", "refused"]
    assert _escalations(ticket).count() == 1
    assert Notification.objects.filter(ticket=ticket, kind=NotificationKind.ESCALATED).count() == 1
