"""tickets.models.rules: each rule's queryset and its Python check select the same tickets."""

from datetime import timedelta
from itertools import product

import pytest
from django.utils import timezone

from tickets.models import EventKind, Message, Notification, NotificationKind, Status, Ticket, TicketEvent
from tickets.models.rules import ACTIVE, ACTIVE_STATUSES, ALL, STATUS_FILTERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_case(make_ticket):
    """One ticket for each status, due time (none, passed, ahead) and escalation flag."""
    now = timezone.now()
    tickets = []
    for status, due, escalated in product(Status.values, (None, -1, 1), (False, True)):
        ticket = make_ticket(subject=f"{status} {due} {escalated}")
        Ticket.objects.filter(pk=ticket.pk).update(
            status=status,
            due_at=None if due is None else now + timedelta(hours=due),
            escalated_at=now - timedelta(hours=2) if escalated else None,
        )
        tickets.append(Ticket.objects.get(pk=ticket.pk))
    return now, tickets


def test_the_overdue_query_and_the_overdue_check_agree_on_every_case(every_case):
    now, tickets = every_case
    queried = set(Ticket.objects.overdue(now).values_list("pk", flat=True))
    checked = {ticket.pk for ticket in tickets if ticket.is_overdue(now)}
    assert queried == checked
    assert 0 < len(checked) < len(tickets)


def test_the_escalated_query_and_the_escalated_check_agree_and_leave_closed_tickets_out(every_case):
    _now, tickets = every_case
    queried = set(Ticket.objects.escalated().values_list("pk", flat=True))
    assert queried == {ticket.pk for ticket in tickets if ticket.is_escalated}
    assert not Ticket.objects.escalated().filter(status=Status.CLOSED).exists()
    assert Ticket.objects.filter(status=Status.CLOSED, escalated_at__isnull=False).exists()


def test_each_status_filter_selects_its_statuses(every_case):
    _now, tickets = every_case
    assert [value for value, _label in STATUS_FILTERS] == [ACTIVE, *Status.values, ALL]
    for value, _label in STATUS_FILTERS:
        selected = set(Ticket.objects.with_status_filter(value).values_list("status", flat=True))
        expected = {ACTIVE: set(ACTIVE_STATUSES), ALL: set(Status.values)}.get(value, {value})
        assert selected == expected, value


def test_the_access_querysets_and_the_access_checks_agree_for_every_role(
    make_ticket, billing, customer, other_customer, agent, other_agent, supervisor, admin_user
):
    tickets = [make_ticket(), make_ticket(department=billing), make_ticket(customer=other_customer)]
    for user in (customer, other_customer, agent, other_agent, supervisor, admin_user):
        staff = set(Ticket.objects.staff_visible_to(user).values_list("pk", flat=True))
        assert staff == {ticket.pk for ticket in tickets if ticket.is_staff_member(user)}, user
        mine = set(Ticket.objects.customer_visible_to(user).values_list("pk", flat=True))
        assert mine == {ticket.pk for ticket in tickets if ticket.is_customer(user)}, user
        assert set(Ticket.objects.visible_to(user).values_list("pk", flat=True)) == staff | mine, user
        for ticket in tickets:
            visible = set(Message.objects.visible_to(user).filter(ticket=ticket).values_list("pk", flat=True))
            assert visible == set(ticket.messages.visible_to(user, ticket).values_list("pk", flat=True)), user
    assert Ticket.objects.staff_visible_to(agent).count() == 2  # Suporte's two, not Financeiro's
    assert Ticket.objects.staff_visible_to(admin_user).count() == 3
    assert Ticket.objects.customer_visible_to(customer).count() == 2


def test_a_deactivated_agent_sees_nothing(ticket, agent):
    agent.is_active = False
    agent.save()
    assert not Ticket.objects.visible_to(agent).exists()
    assert not ticket.is_staff_member(agent)


def test_internal_notes_are_for_the_tickets_staff_only(ticket, customer, agent, other_agent):
    note = ticket.reply(author=agent, body="Nota", internal=True, from_staff=True)
    assert note in Message.objects.visible_to(agent) and note in ticket.messages.visible_to(agent, ticket)
    assert note not in Message.objects.visible_to(customer) and note not in ticket.messages.visible_to(customer, ticket)
    assert not ticket.messages.visible_to(other_agent, ticket).exists()


def test_a_state_change_returns_the_event_it_records(ticket, agent, billing):
    closed = ticket.close(by=agent)
    assert closed == TicketEvent.objects.get(ticket=ticket, kind=EventKind.STATUS, new_value=Status.CLOSED)
    assert ticket.close(by=agent) is None  # already closed: nothing recorded
    assert ticket.set_priority("high", by=agent).kind == EventKind.PRIORITY
    assert ticket.transfer(billing, by=agent).kind == EventKind.DEPARTMENT


def test_the_closing_notice_carries_the_event_the_close_returned(ticket, agent):
    ticket.reply(author=agent, body="Resolvido.", from_staff=True)
    event = ticket.close(by=agent)
    notice = Notification.objects.get(ticket=ticket, kind=NotificationKind.CLOSED)
    assert notice.event == event and event.new_value == Status.CLOSED
