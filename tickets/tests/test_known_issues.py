"""Customers and known problems: a linked ticket shows the problem's public note, and the new-ticket
form of a department lists its problems being worked on ("known issues"), never staff-only text."""

import pytest
from django.urls import reverse

from tickets.models import Problem, ProblemStatus, Ticket

pytestmark = pytest.mark.usefixtures("english")

NOTE = "O servidor web01 está fora do ar; previsão de volta às 15h."


@pytest.fixture
def problem(support, hosting, agent):
    return Problem.open_from(
        by=agent,
        department=support,
        service=hosting,
        title="web01 disco cheio (interno)",
        description="Culpa do backup noturno",
        public_note=NOTE,
    )


def test_a_linked_ticket_shows_the_public_note_and_no_staff_text(login, customer, agent, problem, ticket):
    problem.link(ticket, by=agent)
    page = login(customer).get(ticket.get_absolute_url()).content.decode()
    assert "This is a known issue: our team is working on it" in page
    assert NOTE in page
    assert "disco cheio" not in page and "backup noturno" not in page
    assert "Our team linked this ticket to a known issue" in page


def test_a_solved_problem_says_so_on_the_ticket(login, customer, agent, problem, ticket):
    problem.link(ticket, by=agent)
    problem.set_status(ProblemStatus.SOLVED, by=agent)
    page = login(customer).get(ticket.get_absolute_url()).content.decode()
    assert "This was a known issue, now solved" in page


def test_an_unlinked_ticket_shows_no_note(login, customer, problem, ticket):
    assert NOTE not in login(customer).get(ticket.get_absolute_url()).content.decode()


def test_another_customer_cannot_reach_the_linked_ticket(login, other_customer, agent, problem, ticket):
    problem.link(ticket, by=agent)
    assert login(other_customer).get(ticket.get_absolute_url()).status_code == 404


def test_the_new_ticket_form_lists_the_departments_known_issues(login, customer, problem, support):
    page = login(customer).get(reverse("tickets:new_department", args=[support.slug])).content.decode()
    assert "Known issues" in page
    assert NOTE in page and "Hospedagem" in page
    assert "disco cheio" not in page and "backup noturno" not in page


def test_solved_problems_and_those_without_a_public_note_are_not_listed(login, customer, agent, problem, support):
    problem.set_status(ProblemStatus.SOLVED, by=agent)
    Problem.open_from(by=agent, department=support, title="Só interno")
    page = login(customer).get(reverse("tickets:new_department", args=[support.slug])).content.decode()
    assert "Known issues" not in page and NOTE not in page


def test_another_departments_form_does_not_list_the_problem(login, customer, problem, billing):
    page = login(customer).get(reverse("tickets:new_department", args=[billing.slug])).content.decode()
    assert NOTE not in page


def test_customers_can_still_open_a_ticket_under_a_known_issue(login, customer, problem, support, hosting):
    login(customer).post(
        reverse("tickets:new_department", args=[support.slug]),
        {
            "subject": "Meu site caiu",
            "summary": "Fora do ar",
            "priority": "high",
            "service": hosting.pk,
            "body": "Desde às 13h",
        },
    )
    assert Ticket.objects.filter(subject="Meu site caiu", customer=customer).exists()
