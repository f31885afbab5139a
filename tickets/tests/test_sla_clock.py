"""The ticket's response clock: it runs while the ticket waits for staff, and the due times follow it."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from departments.models import BusinessHours, Holiday, ResponseTarget
from tickets.models import Priority, Status

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=SAO_PAULO)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def targets(support):
    """Suporte, around the clock: medium 1 h / 8 h, high 30 min / 4 h; nothing for low."""
    ResponseTarget.objects.create(
        department=support, priority=Priority.MEDIUM, first_response_minutes=60, resolution_minutes=480
    )
    ResponseTarget.objects.create(
        department=support, priority=Priority.HIGH, first_response_minutes=30, resolution_minutes=240
    )


@pytest.fixture
def clock(time_machine):
    """Frozen time, starting Monday 2 March 2026 09:00 in São Paulo; `clock(minutes)` moves it on."""
    time_machine.move_to(MONDAY_9, tick=False)
    now = [MONDAY_9]

    def advance(minutes):
        now[0] += minutes * MINUTE
        time_machine.move_to(now[0], tick=False)
        return now[0]

    return advance


def _fresh(ticket):
    ticket.refresh_from_db()
    return ticket


def test_opening_starts_the_clock_and_sets_the_due_times(clock, targets, make_ticket):
    ticket = _fresh(make_ticket())
    assert ticket.sla_clock_started_at == MONDAY_9
    assert ticket.sla_elapsed == 0
    assert ticket.first_response_due_at == MONDAY_9 + 60 * MINUTE
    assert ticket.resolution_due_at == MONDAY_9 + 480 * MINUTE
    assert ticket.due_at == ticket.first_response_due_at
    assert ticket.breached_at is None


def test_the_staff_answer_stops_the_clock(clock, targets, make_ticket, agent):
    ticket = make_ticket()
    clock(40)
    ticket.reply(author=agent, body="Estamos verificando.")
    ticket = _fresh(ticket)
    assert ticket.status == Status.ANSWERED
    assert ticket.sla_clock_started_at is None
    assert ticket.sla_elapsed == 40 * 60
    assert ticket.due_at is None
    # The first-response deadline stays as it was when the answer came: compliance is measured on it.
    assert ticket.first_response_due_at == MONDAY_9 + 60 * MINUTE


def test_the_customer_reply_resumes_the_clock_with_the_time_left(clock, targets, make_ticket, agent, customer):
    ticket = make_ticket()
    clock(40)
    ticket.reply(author=agent, body="Pode testar?")
    resumed = clock(300)
    ticket.reply(author=customer, body="Continua com erro.")
    ticket = _fresh(ticket)
    assert ticket.status == Status.CUSTOMER_REPLY
    assert ticket.sla_clock_started_at == resumed
    assert ticket.resolution_due_at == resumed + (480 - 40) * MINUTE
    assert ticket.due_at == ticket.resolution_due_at
    assert ticket.first_response_due_at == MONDAY_9 + 60 * MINUTE


def test_on_hold_and_closed_stop_the_clock_and_reopening_resumes_it(clock, targets, make_ticket, agent, customer):
    ticket = make_ticket()
    clock(10)
    ticket.set_status(Status.IN_PROGRESS, by=agent)
    assert _fresh(ticket).sla_clock_started_at == MONDAY_9  # still running: In progress waits for staff
    clock(20)
    ticket.set_status(Status.ON_HOLD, by=agent)
    ticket = _fresh(ticket)
    assert (ticket.sla_elapsed, ticket.sla_clock_started_at, ticket.due_at) == (30 * 60, None, None)
    back = clock(600)
    ticket.set_status(Status.OPEN, by=agent)
    ticket = _fresh(ticket)
    assert ticket.due_at == back + 30 * MINUTE  # the 30 minutes left of the first-response hour
    clock(5)
    ticket.close(by=customer)
    ticket = _fresh(ticket)
    assert (ticket.sla_elapsed, ticket.sla_clock_started_at, ticket.due_at) == (35 * 60, None, None)
    again = clock(60 * 24)
    ticket.reply(author=customer, body="Voltou o erro.")
    ticket = _fresh(ticket)
    assert ticket.status == Status.OPEN
    assert ticket.due_at == again + 25 * MINUTE


def test_a_business_hours_department_counts_only_its_hours(time_machine, support, targets, make_ticket):
    support.business_hours_only = True
    support.save()
    for weekday in range(5):
        BusinessHours.objects.create(department=support, weekday=weekday, start=time(8), end=time(12))
        BusinessHours.objects.create(department=support, weekday=weekday, start=time(13), end=time(18))
    Holiday.objects.create(department=support, date=datetime(2026, 3, 9).date(), name="Feriado")
    friday_evening = datetime(2026, 3, 6, 17, 30, tzinfo=SAO_PAULO)
    time_machine.move_to(friday_evening, tick=False)
    ticket = _fresh(make_ticket())
    # 30 minutes on Friday, the weekend and Monday's holiday off, 30 minutes on Tuesday.
    assert ticket.first_response_due_at == datetime(2026, 3, 10, 8, 30, tzinfo=SAO_PAULO)
    # 8 hours: 0.5 on Friday, then Tuesday 08:00-12:00 and 13:00-16:30.
    assert ticket.resolution_due_at == datetime(2026, 3, 10, 16, 30, tzinfo=SAO_PAULO)


def test_the_stopped_clock_adds_only_business_time(time_machine, support, targets, make_ticket, agent):
    support.business_hours_only = True
    support.save()
    for weekday in range(5):
        BusinessHours.objects.create(department=support, weekday=weekday, start=time(8), end=time(18))
    time_machine.move_to(datetime(2026, 3, 6, 17, 50, tzinfo=SAO_PAULO), tick=False)
    ticket = make_ticket()
    time_machine.move_to(datetime(2026, 3, 9, 8, 15, tzinfo=SAO_PAULO), tick=False)
    ticket.reply(author=agent, body="Bom dia!")
    assert _fresh(ticket).sla_elapsed == 25 * 60


def test_a_priority_without_target_has_no_due_times(clock, targets, make_ticket):
    ticket = _fresh(make_ticket(priority=Priority.LOW))
    assert ticket.sla_clock_started_at == MONDAY_9  # the clock runs; there is just nothing to be late for
    assert (ticket.first_response_due_at, ticket.resolution_due_at, ticket.due_at) == (None, None, None)


def test_a_priority_change_recomputes_the_due_times(clock, targets, make_ticket, agent):
    ticket = make_ticket()
    clock(10)
    ticket.set_priority(Priority.HIGH, by=agent)
    ticket = _fresh(ticket)
    assert ticket.first_response_due_at == MONDAY_9 + 30 * MINUTE
    assert ticket.resolution_due_at == MONDAY_9 + 240 * MINUTE
    ticket.set_priority(Priority.LOW, by=agent)
    assert _fresh(ticket).due_at is None


def test_a_transfer_applies_the_other_departments_targets(clock, targets, make_ticket, billing, agent):
    ResponseTarget.objects.create(
        department=billing, priority=Priority.MEDIUM, first_response_minutes=120, resolution_minutes=960
    )
    ticket = make_ticket()
    clock(10)
    ticket.transfer(billing, by=agent)
    ticket = _fresh(ticket)
    assert ticket.first_response_due_at == MONDAY_9 + 120 * MINUTE
    assert ticket.due_at == ticket.first_response_due_at


def test_a_transfer_to_a_department_without_targets_clears_the_due_times(clock, targets, make_ticket, billing, agent):
    ticket = make_ticket()
    ticket.transfer(billing, by=agent)
    ticket = _fresh(ticket)
    assert (ticket.first_response_due_at, ticket.resolution_due_at, ticket.due_at) == (None, None, None)


def test_target_edits_in_the_admin_reach_new_tickets_at_once(clock, targets, support, make_ticket):
    make_ticket()  # caches Suporte's policy
    ResponseTarget.objects.filter(department=support, priority=Priority.MEDIUM).get().delete()
    ResponseTarget.objects.create(
        department=support, priority=Priority.MEDIUM, first_response_minutes=15, resolution_minutes=60
    )
    assert _fresh(make_ticket()).due_at == MONDAY_9 + 15 * MINUTE


# When the breach mark is lowered, so that the supervisors hear of the next breach.


def _breach(ticket, at):
    type(ticket).objects.filter(pk=ticket.pk).update(breached_at=at)


def test_the_first_response_clears_a_first_response_breach(clock, targets, make_ticket, agent):
    ticket = make_ticket()
    _breach(ticket, clock(61))
    ticket.reply(author=agent, body="Desculpe a demora.")
    assert _fresh(ticket).breached_at is None


def test_a_breach_stays_while_the_clock_pauses_and_resumes_on_the_same_target(
    clock, targets, make_ticket, agent, customer
):
    ticket = make_ticket()
    clock(10)
    ticket.reply(author=agent, body="Pode testar?")
    ticket.reply(author=customer, body="Não resolveu.")
    _breach(ticket, clock(480))  # the resolution time is used up
    ticket.set_status(Status.ON_HOLD, by=agent)
    ticket.set_status(Status.IN_PROGRESS, by=agent)
    ticket = _fresh(ticket)
    assert ticket.breached_at is not None
    assert ticket.is_overdue(clock(1))


def test_a_due_time_moved_into_the_future_clears_the_breach(clock, targets, make_ticket, agent):
    ticket = make_ticket(priority=Priority.HIGH)
    _breach(ticket, clock(31))
    ticket.set_priority(Priority.MEDIUM, by=agent)  # first response now due at 10:00
    ticket = _fresh(ticket)
    assert ticket.breached_at is None
    assert ticket.due_at == MONDAY_9 + 60 * MINUTE


def test_a_transfer_clears_the_breach(clock, targets, make_ticket, billing, agent):
    ticket = make_ticket()
    _breach(ticket, clock(61))
    ticket.transfer(billing, by=agent)
    assert _fresh(ticket).breached_at is None
