"""The periodic tasks: overdue tickets are marked (and supervisors told) once per breach; Answered
tickets without a customer reply close automatically, once, with a notice to the customer."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from departments.models import ResponseTarget
from tickets.models import EventKind, Notification, NotificationKind, Priority, Status, Ticket
from tickets.tasks import sla as tasks

MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("America/Sao_Paulo"))
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and concurrent writers need PostgreSQL"
)


@pytest.fixture
def targets(support):
    ResponseTarget.objects.create(
        department=support, priority=Priority.MEDIUM, first_response_minutes=60, resolution_minutes=480
    )


def _overdue_notices(ticket):
    return list(Notification.objects.filter(ticket=ticket, kind=NotificationKind.OVERDUE).values_list("recipient"))


def test_a_ticket_past_its_due_time_is_marked_once_and_the_supervisors_told_once(
    time_machine, targets, make_ticket, supervisor, agent
):
    time_machine.move_to(MONDAY_9, tick=False)
    ticket = make_ticket()
    time_machine.move_to(MONDAY_9 + timedelta(minutes=61), tick=False)
    assert tasks.mark_overdue() == 1
    assert tasks.mark_overdue() == 0
    ticket.refresh_from_db()
    assert ticket.breached_at == MONDAY_9 + timedelta(minutes=61)
    event = ticket.events.get(kind=EventKind.OVERDUE)
    assert (event.actor, event.new_value) == (None, "first_response")
    assert _overdue_notices(ticket) == [(supervisor.email,)]  # the supervisors, not the agents


def test_a_ticket_within_its_time_or_waiting_for_the_customer_is_not_overdue(
    time_machine, targets, make_ticket, supervisor, agent
):
    time_machine.move_to(MONDAY_9, tick=False)
    on_time = make_ticket()
    answered = make_ticket(subject="Respondido")
    answered.reply(author=agent, body="Feito.")
    time_machine.move_to(MONDAY_9 + timedelta(minutes=59), tick=False)
    assert tasks.mark_overdue() == 0
    time_machine.move_to(MONDAY_9 + timedelta(days=3), tick=False)
    assert tasks.mark_overdue() == 1
    assert not answered.events.filter(kind=EventKind.OVERDUE).exists()
    assert on_time.events.filter(kind=EventKind.OVERDUE).exists()


def test_the_resolution_breach_after_a_late_first_response_is_a_new_breach(
    time_machine, targets, make_ticket, supervisor, agent, customer
):
    time_machine.move_to(MONDAY_9, tick=False)
    ticket = make_ticket()
    time_machine.move_to(MONDAY_9 + timedelta(minutes=90), tick=False)
    tasks.mark_overdue()
    ticket.reply(author=agent, body="Desculpe a demora.")
    ticket.reply(author=customer, body="Ainda com erro.")
    time_machine.move_to(MONDAY_9 + timedelta(hours=9), tick=False)
    assert tasks.mark_overdue() == 1
    assert list(ticket.events.filter(kind=EventKind.OVERDUE).values_list("new_value", flat=True)) == [
        "first_response",
        "resolution",
    ]
    assert len(_overdue_notices(ticket)) == 2


def test_pausing_and_resuming_an_overdue_ticket_does_not_notify_again(
    time_machine, targets, make_ticket, supervisor, agent
):
    time_machine.move_to(MONDAY_9, tick=False)
    ticket = make_ticket()
    ticket.set_status(Status.IN_PROGRESS, by=agent)
    time_machine.move_to(MONDAY_9 + timedelta(hours=9), tick=False)
    tasks.mark_overdue()
    ticket.set_status(Status.ON_HOLD, by=agent)
    ticket.set_status(Status.IN_PROGRESS, by=agent)
    time_machine.move_to(MONDAY_9 + timedelta(hours=10), tick=False)
    assert tasks.mark_overdue() == 0
    assert len(_overdue_notices(ticket)) == 1


def _race(function, workers=2):
    """Run `function` in `workers` threads released at the same instant; each has its own connection."""
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(function())
        except Exception as error:  # noqa: BLE001 - re-raised by the assert in the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _worker in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_marking_at_once_record_one_breach_and_one_notice_per_ticket(targets, make_ticket, supervisor):
    tickets = [make_ticket(subject=f"Fora do ar {n}") for n in range(20)]
    Ticket.objects.update(due_at=tickets[0].created_at, first_response_due_at=tickets[0].created_at)
    assert sum(_race(tasks.mark_overdue, workers=3)) == 20
    for ticket in tickets:
        assert ticket.events.filter(kind=EventKind.OVERDUE).count() == 1
        assert len(_overdue_notices(ticket)) == 1


# Auto-close


def _answered(make_ticket, agent, time_machine, **fields):
    time_machine.move_to(MONDAY_9, tick=False)
    ticket = make_ticket(**fields)
    ticket.reply(author=agent, body="Resolvido, pode confirmar?")
    return ticket


def test_an_answered_ticket_closes_after_the_departments_days_with_a_notice(time_machine, make_ticket, agent, customer):
    ticket = _answered(make_ticket, agent, time_machine)
    time_machine.move_to(MONDAY_9 + timedelta(days=7, minutes=1), tick=False)
    assert tasks.auto_close() == 1
    assert tasks.auto_close() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at == MONDAY_9 + timedelta(days=7, minutes=1)
    closing = ticket.events.get(kind=EventKind.AUTO_CLOSED)
    assert (closing.actor, closing.old_value, closing.new_value) == (None, Status.ANSWERED, Status.CLOSED)
    # One event for the closing, not a second "status changed" beside it.
    assert not ticket.events.filter(kind=EventKind.STATUS, new_value=Status.CLOSED).exists()
    notices = Notification.objects.filter(ticket=ticket, kind=NotificationKind.AUTO_CLOSED)
    assert list(notices.values_list("recipient", flat=True)) == [customer.email]


def test_an_answered_ticket_stays_open_before_its_time(time_machine, make_ticket, agent):
    ticket = _answered(make_ticket, agent, time_machine)
    time_machine.move_to(MONDAY_9 + timedelta(days=6, hours=23), tick=False)
    assert tasks.auto_close() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.ANSWERED


def test_a_department_with_zero_days_never_closes_automatically(time_machine, make_ticket, agent, support):
    support.auto_close_days = 0
    support.save()
    _answered(make_ticket, agent, time_machine)
    time_machine.move_to(MONDAY_9 + timedelta(days=365), tick=False)
    assert tasks.auto_close() == 0


def test_each_department_counts_its_own_days(time_machine, make_ticket, agent, other_agent, billing):
    billing.auto_close_days = 2
    billing.save()
    suporte = _answered(make_ticket, agent, time_machine)
    financeiro = _answered(make_ticket, other_agent, time_machine, department=billing)
    time_machine.move_to(MONDAY_9 + timedelta(days=3), tick=False)
    assert tasks.auto_close() == 1
    assert Ticket.objects.get(pk=financeiro.pk).status == Status.CLOSED
    assert Ticket.objects.get(pk=suporte.pk).status == Status.ANSWERED


def test_the_wait_counts_from_the_last_staff_answer_not_from_other_changes(time_machine, make_ticket, agent):
    ticket = _answered(make_ticket, agent, time_machine)
    time_machine.move_to(MONDAY_9 + timedelta(days=6), tick=False)
    ticket.assign(agent, by=agent)
    ticket.reply(author=agent, body="Nota interna.", internal=True)
    time_machine.move_to(MONDAY_9 + timedelta(days=7, minutes=1), tick=False)
    assert tasks.auto_close() == 1


def test_a_second_answer_restarts_the_wait(time_machine, make_ticket, agent):
    ticket = _answered(make_ticket, agent, time_machine)
    time_machine.move_to(MONDAY_9 + timedelta(days=6), tick=False)
    ticket.reply(author=agent, body="Mais uma informação.")
    time_machine.move_to(MONDAY_9 + timedelta(days=7, minutes=1), tick=False)
    assert tasks.auto_close() == 0


def test_a_customer_reply_keeps_the_ticket_open(time_machine, make_ticket, agent, customer):
    ticket = _answered(make_ticket, agent, time_machine)
    time_machine.move_to(MONDAY_9 + timedelta(days=1), tick=False)
    ticket.reply(author=customer, body="Não resolveu.")
    time_machine.move_to(MONDAY_9 + timedelta(days=30), tick=False)
    assert tasks.auto_close() == 0


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_closing_at_once_close_once_and_notify_once(make_ticket, agent, customer):
    ticket = make_ticket()
    ticket.reply(author=agent, body="Resolvido.")
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.created_at - timedelta(days=30))
    ticket.messages.update(created_at=ticket.created_at - timedelta(days=30))
    assert sorted(_race(tasks.auto_close)) == [0, 1]
    assert ticket.events.filter(kind=EventKind.AUTO_CLOSED).count() == 1
    assert Notification.objects.filter(ticket=ticket, kind=NotificationKind.AUTO_CLOSED).count() == 1
