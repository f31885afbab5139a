from django.core.management import call_command

from accounts.models import User
from departments.models import Department, Membership, ResponseTarget
from tickets.models import (
    Attachment,
    BroadcastState,
    EventKind,
    Message,
    Problem,
    ProblemBroadcast,
    ProblemStatus,
    Status,
    Ticket,
)


def test_demo_data_loads_twice_without_duplicates(db):
    call_command("load_demo")
    counts = (User.objects.count(), Department.objects.count(), Ticket.objects.count(), Message.objects.count())
    call_command("load_demo")
    assert (User.objects.count(), Department.objects.count(), Ticket.objects.count(), Message.objects.count()) == counts
    assert counts[:3] == (6, 4, 15)


def test_demo_data_covers_every_status_and_role(db, client):
    call_command("load_demo")
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert Message.objects.filter(internal=True).exists()
    assert Attachment.objects.filter(content_type="image/png").exists()
    for department in Department.objects.all():
        assert department.supervisors().exists(), department
    assert set(
        Membership.objects.filter(user__email="agente@example.com").values_list("department__slug", flat=True)
    ) == {"suporte", "financeiro"}
    for email in ("cliente@example.com", "agente@example.com", "supervisor@example.com", "admin@example.com"):
        assert client.login(username=email, password="demo12345"), email


def test_demo_departments_have_targets_and_the_open_tickets_due_times(db):
    call_command("load_demo")
    call_command("load_demo")
    assert ResponseTarget.objects.count() == 12
    financeiro = Department.objects.get(slug="financeiro")
    assert financeiro.business_hours_only and financeiro.business_hours.count() == 10
    assert not Department.objects.get(slug="suporte").business_hours_only
    waiting = Ticket.objects.waiting_for_staff()
    assert waiting.exists() and not waiting.filter(due_at__isnull=True).exists()
    assert Ticket.objects.overdue().exists()
    assert not Ticket.objects.filter(status=Status.ANSWERED, due_at__isnull=False).exists()


def test_the_demo_has_a_known_problem_of_several_customers_answered_at_once(db, client):
    call_command("load_demo")
    call_command("load_demo")
    problem = Problem.objects.get()
    assert (problem.department.slug, problem.service.name, problem.status) == ("suporte", "E-mail", ProblemStatus.KNOWN)
    assert problem.public_note and problem.description
    tickets = list(problem.tickets.select_related("customer"))
    assert len(tickets) == 3 and len({ticket.customer for ticket in tickets}) == 3
    assert all(ticket.created_at < problem.created_at for ticket in tickets)
    (broadcast,) = ProblemBroadcast.objects.filter(problem=problem)
    assert broadcast.finished_at is not None
    assert set(broadcast.items.values_list("state", flat=True)) == {BroadcastState.POSTED}
    for ticket in tickets:
        assert ticket.status == Status.ANSWERED
        reply = ticket.messages.get(from_staff=True)
        assert reply.body == broadcast.body and reply.created_at > problem.created_at
    assert len(problem.history()) == 4  # three links and the status change
    assert Ticket.objects.filter(events__kind=EventKind.PROBLEM_LINKED).count() == 3

    assert client.login(username="agente@example.com", password="demo12345")
    page = client.get(problem.get_absolute_url()).content.decode()
    assert problem.title in page and "3 tickets" in page
    assert client.login(username="bruno@example.com", password="demo12345")
    (own,) = [ticket for ticket in tickets if ticket.customer.email == "bruno@example.com"]
    assert "O servidor de e-mail mail02 está fora do ar" in client.get(own.get_absolute_url()).content.decode()
