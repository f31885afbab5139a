"""Recurring problems as a model: tying tickets to one problem, its status, and what each thread records."""

import pytest
from django.core.exceptions import ValidationError

from departments.models import Membership
from tickets.models import EventKind, Problem, ProblemStatus, Ticket
from tickets.thread import build_thread

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def problem(support, hosting, agent):
    return Problem.open_from(by=agent, department=support, service=hosting, title="Servidor web01 fora do ar")


def test_a_problem_opened_from_tickets_links_each_with_an_event(support, agent, make_ticket):
    first, second = make_ticket(), make_ticket(subject="Erro 500")
    problem = Problem.open_from(by=agent, department=support, title="web01", tickets=[first, second])
    assert set(problem.tickets.all()) == {first, second}
    for ticket in (first, second):
        event = ticket.events.get(kind=EventKind.PROBLEM_LINKED)
        assert (event.actor, event.new_value, event.note) == (agent, "web01", str(problem.pk))


def test_a_ticket_belongs_to_at_most_one_problem(support, agent, problem, ticket):
    problem.link(ticket, by=agent)
    other = Problem.open_from(by=agent, department=support, title="Outro")
    with pytest.raises(ValidationError) as refused:
        other.link(ticket, by=agent)
    assert "already belongs to problem" in refused.value.messages[0]
    ticket.refresh_from_db()
    assert ticket.problem == problem
    assert not ticket.events.filter(kind=EventKind.PROBLEM_LINKED, note=str(other.pk)).exists()


def test_linking_twice_changes_nothing_the_second_time(agent, problem, ticket):
    assert problem.link(ticket, by=agent) is True
    assert problem.link(ticket, by=agent) is False
    assert ticket.events.filter(kind=EventKind.PROBLEM_LINKED).count() == 1


def test_a_ticket_of_another_department_cannot_join(problem, billing, other_agent, make_ticket, agent):
    invoice = make_ticket(department=billing)
    with pytest.raises(ValidationError):
        problem.link(invoice, by=agent)
    invoice.refresh_from_db()
    assert invoice.problem is None


def test_unlinking_records_an_event_and_frees_the_ticket(agent, problem, ticket):
    problem.link(ticket, by=agent)
    assert problem.unlink(ticket, by=agent) is True
    ticket.refresh_from_db()
    assert ticket.problem is None
    assert ticket.events.filter(kind=EventKind.PROBLEM_UNLINKED, old_value=problem.title).exists()
    assert problem.unlink(ticket, by=agent) is False


def test_every_status_change_is_an_event_in_each_linked_ticket(agent, problem, make_ticket):
    tickets = [make_ticket(subject=f"Fora {n}") for n in range(3)]
    for ticket in tickets:
        problem.link(ticket, by=agent)
    problem.set_status(ProblemStatus.KNOWN, by=agent)
    problem.set_status(ProblemStatus.KNOWN, by=agent)  # no change, no event
    problem.set_status(ProblemStatus.SOLVED, by=agent)
    problem.refresh_from_db()
    assert problem.solved_at is not None
    for ticket in tickets:
        changes = list(ticket.events.filter(kind=EventKind.PROBLEM_STATUS).values_list("old_value", "new_value"))
        assert changes == [("investigating", "known"), ("known", "solved")]


def test_staff_read_the_problem_in_the_thread_and_customers_a_generic_line(agent, customer, problem, ticket):
    problem.link(ticket, by=agent)
    problem.set_status(ProblemStatus.KNOWN, by=agent)
    from django.template.loader import render_to_string

    events = ticket.events.exclude(kind=EventKind.CREATED)
    staff_html = render_to_string(
        "tickets/_thread.html",
        {"thread": build_thread([], events, ticket=ticket, staff=True), "ticket": ticket, "staff": True},
    )
    customer_html = render_to_string(
        "tickets/_thread.html", {"thread": build_thread([], events, ticket=ticket), "ticket": ticket}
    )
    assert "Linked to problem “Servidor web01 fora do ar” by André Agente" in staff_html
    assert "Problem status changed from “Investigating” to “Known” by André Agente" in staff_html
    assert "Servidor web01" not in customer_html
    assert "Our team linked this ticket to a known issue" in customer_html
    assert "The known issue is now: Known" in customer_html


def test_problems_are_visible_to_staff_of_their_department_as_its_tickets_are(
    problem, ticket, customer, other_customer, agent, other_agent, supervisor, admin_user
):
    for user in (customer, other_customer, agent, other_agent, supervisor, admin_user):
        sees_tickets = Ticket.objects.staff_visible_to(user).filter(department=problem.department).exists()
        assert Problem.objects.staff_visible_to(user).filter(pk=problem.pk).exists() == sees_tickets, user
    assert not Problem.objects.staff_visible_to(other_agent).exists()
    assert Problem.objects.staff_visible_to(admin_user).get() == problem


def test_an_inactive_agent_sees_no_problem(problem, agent):
    agent.is_active = False
    agent.save()
    assert not Problem.objects.staff_visible_to(agent).exists()


def test_a_new_member_of_the_department_sees_its_problems(problem, other_agent, support):
    Membership.objects.create(department=support, user=other_agent)
    other_agent.refresh_from_db()
    fresh = type(other_agent).objects.get(pk=other_agent.pk)
    assert Problem.objects.staff_visible_to(fresh).filter(pk=problem.pk).exists()


def test_the_history_shows_each_link_and_each_status_change_once(agent, problem, make_ticket):
    tickets = [make_ticket(subject=f"Fora {n}") for n in range(3)]
    for ticket in tickets:
        problem.link(ticket, by=agent)
    problem.unlink(tickets[0], by=agent)
    problem.set_status(ProblemStatus.KNOWN, by=agent)
    kinds = [event.kind for event in problem.history()]
    assert kinds == [EventKind.PROBLEM_STATUS, EventKind.PROBLEM_UNLINKED] + [EventKind.PROBLEM_LINKED] * 3
