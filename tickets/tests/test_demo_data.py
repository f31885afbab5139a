from django.core.management import call_command

from accounts.models import User
from departments.models import Department, Membership, ResponseTarget
from tickets.models import Attachment, Message, Status, Ticket


def test_demo_data_loads_twice_without_duplicates(db):
    call_command("load_demo")
    counts = (User.objects.count(), Department.objects.count(), Ticket.objects.count(), Message.objects.count())
    call_command("load_demo")
    assert (User.objects.count(), Department.objects.count(), Ticket.objects.count(), Message.objects.count()) == counts
    assert counts[:3] == (4, 4, 12)


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
