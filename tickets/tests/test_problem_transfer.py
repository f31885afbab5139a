"""A ticket transferred to another department leaves its problem: a problem's tickets are those its
department's staff see. The unlink is an event in the ticket's thread and in the problem's history,
written in the transfer's transaction, whichever way the ticket moves (the workspace, the queue's
bulk action, the admin)."""

import pytest
from django.urls import reverse

from tickets.enums import UnlinkReason
from tickets.models import EventKind, Problem, Ticket

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def problem(support, hosting, agent):
    return Problem.open_from(by=agent, department=support, service=hosting, title="Relay de e-mail recusando")


@pytest.fixture
def linked(problem, ticket, agent):
    problem.link(ticket, by=agent)
    return ticket


def _assert_unlinked_by_transfer(ticket, problem, by):
    ticket.refresh_from_db()
    assert ticket.problem is None
    assert not problem.tickets.exists()
    kinds = list(ticket.events.order_by("created_at", "pk").values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.DEPARTMENT, EventKind.PROBLEM_UNLINKED]
    unlinked = ticket.events.get(kind=EventKind.PROBLEM_UNLINKED)
    assert (unlinked.actor, unlinked.old_value, unlinked.new_value, unlinked.note) == (
        by,
        problem.title,
        UnlinkReason.TRANSFERRED,
        str(problem.pk),
    )
    assert unlinked in problem.history()


def test_a_transfer_to_another_department_unlinks_the_ticket_from_its_problem(linked, problem, billing, supervisor):
    before = Problem.objects.get(pk=problem.pk).updated_at
    linked.transfer(billing, by=supervisor)
    _assert_unlinked_by_transfer(linked, problem, supervisor)
    assert Problem.objects.get(pk=problem.pk).updated_at > before


def test_a_ticket_transferred_back_stays_out_of_the_problem(linked, problem, billing, support, agent):
    linked.transfer(billing, by=agent)
    linked.transfer(support, by=agent)
    linked.refresh_from_db()
    assert linked.problem is None
    assert linked.events.filter(kind=EventKind.PROBLEM_UNLINKED).count() == 1


def test_a_ticket_without_problem_is_transferred_as_before(ticket, billing, agent):
    ticket.transfer(billing, by=agent)
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED, EventKind.DEPARTMENT]


def test_the_unlink_is_in_the_transfers_transaction(linked, problem, billing, agent, support, monkeypatch):
    def refuse(self):
        raise RuntimeError("the problem's row cannot be written")

    monkeypatch.setattr(Problem, "_touch", refuse)
    with pytest.raises(RuntimeError):
        linked.transfer(billing, by=agent)
    fresh = Ticket.objects.get(pk=linked.pk)
    assert (fresh.department, fresh.problem) == (support, problem)
    assert not fresh.events.filter(kind__in=[EventKind.DEPARTMENT, EventKind.PROBLEM_UNLINKED]).exists()


def test_after_a_transfer_from_the_workspace_each_department_sees_a_consistent_picture(
    login, linked, problem, billing, agent, other_agent
):
    response = login(agent).post(reverse("staff:transfer", args=[linked.reference]), {"department": billing.pk})
    assert response.status_code == 302
    _assert_unlinked_by_transfer(linked, problem, agent)

    # The old department's problem no longer lists the ticket; its history says why it left.
    page = login(agent).get(problem.get_absolute_url()).content.decode()
    assert "0 tickets, 0 open" in page
    assert f"{linked.display_reference} unlinked by André Agente (transferred to another department)" in page

    # The new department's staff see the ticket without a problem they could not open.
    workspace = login(other_agent).get(linked.get_staff_url()).content.decode()
    assert problem.get_absolute_url() not in workspace
    assert "Unlinked from problem “Relay de e-mail recusando” by André Agente (transferred to another department)" in (
        workspace
    )
    assert login(other_agent).get(problem.get_absolute_url()).status_code == 404


def test_the_customer_reads_a_generic_line(login, linked, billing, agent, customer):
    linked.transfer(billing, by=agent)
    page = login(customer).get(linked.get_absolute_url()).content.decode()
    assert "This ticket is no longer linked to a known issue" in page
    assert "Relay de e-mail" not in page


def test_the_reason_is_translated(login, linked, problem, billing, agent):
    linked.transfer(billing, by=agent)
    client = login(agent)
    client.cookies["django_language"] = "pt-br"
    page = client.get(problem.get_absolute_url()).content.decode()
    assert f"{linked.display_reference} desvinculado por André Agente (transferido para outro setor)" in page


def test_a_bulk_transfer_from_the_queue_unlinks_each_ticket(login, problem, make_ticket, billing, agent):
    tickets = [make_ticket(subject=f"Sem e-mail {n}") for n in range(2)]
    for ticket in tickets:
        problem.link(ticket, by=agent)
    response = login(agent).post(
        reverse("staff:bulk"),
        {"action": "transfer", "tickets": [t.reference for t in tickets], "department": billing.pk},
        follow=True,
    )
    assert "2 tickets changed." in response.content.decode()
    for ticket in tickets:
        _assert_unlinked_by_transfer(ticket, problem, agent)


def _admin_change(client, ticket, **fields):
    data = {
        "subject": ticket.subject,
        "summary": ticket.summary,
        "site": ticket.site,
        "customer": ticket.customer_id,
        "guest_email": ticket.guest_email,
        "department": ticket.department_id,
        "service": ticket.service_id or "",
        "priority": ticket.priority,
        "status": ticket.status,
        "assignee": ticket.assignee_id or "",
        "merged_into": "",
    }
    for prefix, rows in (("messages", ticket.messages.all()), ("events", ticket.events.all())):
        ids = list(rows.values_list("pk", flat=True))
        data.update({f"{prefix}-TOTAL_FORMS": len(ids), f"{prefix}-INITIAL_FORMS": len(ids)})
        for index, pk in enumerate(ids):
            data.update({f"{prefix}-{index}-id": pk, f"{prefix}-{index}-ticket": ticket.pk})
    data.update(fields)
    return client.post(reverse("admin:tickets_ticket_change", args=[ticket.pk]), data)


def test_a_department_changed_in_the_admin_is_a_transfer_that_unlinks_the_problem(
    client, admin_user, linked, problem, billing
):
    client.force_login(admin_user)
    response = _admin_change(client, linked, department=billing.pk, subject="Relay recusando (Financeiro?)")
    assert response.status_code == 302, response.content.decode()[:3000]
    linked.refresh_from_db()
    assert (linked.department, linked.subject) == (billing, "Relay recusando (Financeiro?)")
    transfer = linked.events.get(kind=EventKind.DEPARTMENT)
    assert (transfer.actor, transfer.old_value, transfer.new_value) == (admin_user, "Suporte", "Financeiro")
    _assert_unlinked_by_transfer(linked, problem, admin_user)


def test_other_changes_in_the_admin_leave_the_problem_alone(client, admin_user, linked, problem):
    client.force_login(admin_user)
    response = _admin_change(client, linked, subject="Relay recusando")
    assert response.status_code == 302, response.content.decode()[:3000]
    linked.refresh_from_db()
    assert (linked.subject, linked.problem) == ("Relay recusando", problem)
    assert not linked.events.filter(kind__in=[EventKind.DEPARTMENT, EventKind.PROBLEM_UNLINKED]).exists()


def test_the_admin_cannot_move_a_problem_with_tickets_to_another_department(
    client, admin_user, linked, problem, billing
):
    client.force_login(admin_user)
    change = reverse("admin:tickets_problem_change", args=[problem.pk])
    response = client.post(
        change,
        {
            "title": problem.title,
            "department": billing.pk,
            "status": problem.status,
            "tickets-TOTAL_FORMS": "1",
            "tickets-INITIAL_FORMS": "1",
            "tickets-0-id": linked.pk,
            "tickets-0-problem": problem.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    problem.refresh_from_db()
    assert problem.department.name == "Suporte"
