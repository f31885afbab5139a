"""Who is mailed for each event of a ticket's life (tickets.notify), through the real model methods."""

import datetime

import pytest
import time_machine
from django.db import transaction

from departments.models import Membership
from tickets import notify
from tickets.models import DeliveryState, InboundEmail, Notification, NotificationKind, Ticket
from tickets.tests.notifications import add_contact, bodies, recipients, to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process", "english")]

START = datetime.datetime(2026, 5, 4, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://help.example.com"


@pytest.fixture
def contacts(customer):
    add_contact(customer, "socio@example.com")
    add_contact(customer, "nao.confirmado@example.com", verified=False)


def test_new_ticket_acknowledges_the_customer_and_verified_contacts_and_tells_the_departments_agents(
    make_ticket, customer, contacts, agent, supervisor, other_agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()

    assert recipients(mailoutbox) == sorted(
        ["cliente@example.com", "socio@example.com", "agente@example.com", "supervisor@example.com"]
    )
    kinds = dict(Notification.objects.filter(ticket=ticket).values_list("recipient", "kind"))
    assert kinds == {
        "cliente@example.com": NotificationKind.ACKNOWLEDGEMENT,
        "socio@example.com": NotificationKind.ACKNOWLEDGEMENT,
        "agente@example.com": NotificationKind.NEW_TICKET,
        "supervisor@example.com": NotificationKind.NEW_TICKET,
    }
    assert set(Notification.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_unverified_contacts_are_never_mailed(
    ticket, contacts, agent, customer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(author=agent, body="Resolvido.")
        ticket.close(by=agent)

    assert "nao.confirmado@example.com" not in recipients(mailoutbox)
    assert not Notification.objects.filter(recipient="nao.confirmado@example.com").exists()


def test_an_agent_opening_a_ticket_for_a_customer_is_not_told_about_it(
    make_ticket, agent, supervisor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(by=agent)

    assert recipients(mailoutbox) == ["cliente@example.com", "supervisor@example.com"]


def test_a_guest_ticket_is_acknowledged_to_the_guest_address(
    make_ticket, support, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=None, guest_email="denuncia@example.org")

    assert recipients(mailoutbox) == ["agente@example.com", "denuncia@example.org"]
    assert to(mailoutbox, "denuncia@example.org").to == ["denuncia@example.org"]


def test_a_staff_reply_goes_to_the_customer_and_verified_contacts_only(
    ticket, contacts, agent, supervisor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket.reply(author=agent, body="Reiniciamos o servidor.")

    assert recipients(mailoutbox) == ["cliente@example.com", "socio@example.com"]
    assert set(message.notifications.values_list("kind", flat=True)) == {NotificationKind.STAFF_REPLY}


def test_an_internal_note_is_never_mailed_to_anyone(
    ticket, contacts, agent, supervisor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = ticket.reply(author=agent, body="Cliente devedor, cuidado.", internal=True)

    assert mailoutbox == []
    assert not note.notifications.exists()


def test_a_customer_reply_goes_to_every_active_agent_of_the_department_when_unassigned(
    ticket, customer, agent, supervisor, other_agent, mailoutbox, django_capture_on_commit_callbacks
):
    gone = Membership.objects.create(department=ticket.department, user=other_agent).user
    gone.is_active = False
    gone.save()

    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(author=customer, body="Continua fora do ar.")

    assert recipients(mailoutbox) == ["agente@example.com", "supervisor@example.com"]


def test_a_customer_reply_goes_only_to_the_assignee_once_assigned(
    ticket, customer, agent, supervisor, mailoutbox, django_capture_on_commit_callbacks
):
    ticket.assign(agent, by=supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(author=customer, body="Alguma novidade?")

    assert recipients(mailoutbox) == ["agente@example.com"]
    assert to(mailoutbox, "agente@example.com").extra_headers["Message-ID"] == (
        Notification.objects.get(kind=NotificationKind.CUSTOMER_REPLY).message_id
    )


def test_a_contacts_reply_by_email_goes_to_the_agents(
    ticket, contacts, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(author=None, sender_email="socio@example.com", body="Sou o sócio, ainda fora.", from_staff=False)

    assert recipients(mailoutbox) == ["agente@example.com"]


def test_closing_by_the_customer_tells_the_contacts_but_not_the_customer(
    ticket, customer, contacts, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket.close(by=customer)

    assert recipients(mailoutbox) == ["socio@example.com"]


def test_closing_by_staff_tells_the_customer_and_contacts_once(
    ticket, contacts, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket.close(by=agent)
        ticket.close(by=agent)

    assert recipients(mailoutbox) == ["cliente@example.com", "socio@example.com"]
    assert Notification.objects.get(recipient="cliente@example.com", kind=NotificationKind.CLOSED).event.new_value == (
        "closed"
    )


def test_other_status_changes_mail_nobody(ticket, agent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket.set_status("on_hold", by=agent)
        ticket.set_priority("high", by=agent)

    assert mailoutbox == []


def test_an_automatic_close_tells_the_requesters_why(
    make_ticket, agent, contacts, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False):
        ticket = make_ticket()
        ticket.reply(author=agent, body="Tente limpar o cache.")
    with time_machine.travel(START + datetime.timedelta(days=8), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert ticket.auto_close() is not None

    assert recipients(mailoutbox) == ["cliente@example.com", "socio@example.com"]
    text, html = bodies(to(mailoutbox, "cliente@example.com"))
    assert "because we answered it and did not hear back from you" in text
    assert "because we answered it and did not hear back from you" in html


def test_an_escalation_goes_to_the_departments_supervisors_only(
    ticket, customer, agent, supervisor, other_agent, mailoutbox, django_capture_on_commit_callbacks
):
    ticket.reply(author=agent, body="Tente limpar o cache.")  # an answer that did not help: may be escalated
    with django_capture_on_commit_callbacks(execute=True):
        ticket.escalate(by=customer, reason="Dois dias sem resposta & site parado")

    assert recipients(mailoutbox) == ["supervisor@example.com"]
    text, html = bodies(mailoutbox[0])
    assert "Dois dias sem resposta & site parado" in text
    assert "Dois dias sem resposta &amp; site parado" in html
    assert f"Carla Cliente escalated ticket #{ticket.reference} of Suporte." in text
    for body in (text, html):
        assert "You receive this as a supervisor of Suporte." in body


def test_an_overdue_ticket_is_reported_to_the_supervisors(
    ticket, agent, supervisor, mailoutbox, django_capture_on_commit_callbacks
):
    Ticket.objects.filter(pk=ticket.pk).update(
        due_at=START, first_response_due_at=START, resolution_due_at=START + datetime.timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert ticket.mark_overdue(START + datetime.timedelta(minutes=1)) is not None

    assert recipients(mailoutbox) == ["supervisor@example.com"]
    text, html = bodies(mailoutbox[0])
    assert f"Ticket #{ticket.reference} of Suporte passed its first-response target without an answer." in text
    assert "passed its first-response target without an answer." in html
    assert "You receive this as a supervisor of Suporte." in text


def test_a_merge_tells_the_requesters_the_new_reference(
    make_ticket, contacts, agent, mailoutbox, django_capture_on_commit_callbacks
):
    old, into = make_ticket(subject="Erro 500"), make_ticket(subject="Site lento")
    with django_capture_on_commit_callbacks(execute=True):
        old.merge_into(into, by=agent)

    assert recipients(mailoutbox) == ["cliente@example.com", "socio@example.com"]
    message = to(mailoutbox, "cliente@example.com")
    assert message.subject == f"[#{old.reference}] Continues as #{into.reference}: Erro 500"
    text, html = bodies(message)
    assert f"merged into ticket #{into.reference} (Site lento)" in text
    assert f"https://help.example.com/tickets/{into.reference}/" in text
    assert f'href="https://help.example.com/tickets/{into.reference}/"' in html


def test_an_unknown_sender_gets_a_short_notice_without_their_message(
    support, mailoutbox, django_capture_on_commit_callbacks
):
    inbound = InboundEmail.objects.create(
        raw=b"Subject: segredo\r\n\r\nconteudo privado",
        sender="estranho@example.org",
        recipient="suporte@example.com",
        subject="segredo",
        department=support,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notify.unknown_sender(inbound)

    message = to(mailoutbox, "estranho@example.org")
    text, html = bodies(message)
    assert "registered address" in text
    assert "https://help.example.com/tickets/new/" in text
    for part in (message.subject, text, html):
        assert "segredo" not in part
        assert "conteudo privado" not in part
    assert message.from_email == "Suporte <suporte@example.com>"
    assert Notification.objects.get().inbound == inbound


def test_nothing_is_mailed_when_the_change_is_rolled_back(
    ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            ticket.reply(author=agent, body="Nunca enviado")
            raise RuntimeError("the request failed after the reply")

    assert mailoutbox == []
    assert not Notification.objects.filter(kind=NotificationKind.STAFF_REPLY).exists()


def test_a_reply_that_closes_the_ticket_is_the_customers_only_notice_and_says_so(
    ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply_and_close(author=agent, body="Resolvido: o certificado foi renovado.")

    assert recipients(mailoutbox) == ["cliente@example.com"]
    text, html = bodies(mailoutbox[0])
    assert "Resolvido: o certificado foi renovado." in text
    assert "With this answer we closed the ticket." in text
    assert "With this answer we closed the ticket." in html


def test_an_escalation_in_a_department_without_supervisor_goes_to_its_agents(
    ticket, customer, agent, other_agent, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    ticket.reply(author=agent, body="Tente limpar o cache.")
    with django_capture_on_commit_callbacks(execute=True):
        ticket.escalate(by=customer, reason="Continua fora do ar")

    assert recipients(mailoutbox) == ["agente@example.com"]
    text, html = bodies(mailoutbox[0])
    for body in (text, html):
        assert "supervisors" not in body
        assert "You receive this as an agent of Suporte, which has no supervisor." in body
    assert f"Carla Cliente escalated ticket #{ticket.reference} of Suporte." in text


def test_a_breach_in_a_department_without_members_goes_to_the_superusers(
    ticket, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    Ticket.objects.filter(pk=ticket.pk).update(
        due_at=START, first_response_due_at=START, resolution_due_at=START + datetime.timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert ticket.mark_overdue(START + datetime.timedelta(minutes=1)) is not None

    assert recipients(mailoutbox) == ["admin@example.com"]
    text, html = bodies(mailoutbox[0])
    for body in (text, html):
        assert "supervisor of" not in body
        assert "You receive this as an administrator: Suporte has no supervisor and no agent." in body


def test_the_fallback_is_explained_in_the_reader_s_language(
    ticket, customer, agent, mailoutbox, django_capture_on_commit_callbacks
):
    agent.language = "pt-br"
    agent.save()
    ticket.reply(author=agent, body="Tente limpar o cache.")
    with django_capture_on_commit_callbacks(execute=True):
        ticket.escalate(by=customer, reason="Continua fora do ar")

    text, html = bodies(to(mailoutbox, "agente@example.com"))
    for body in (text, html):
        assert "supervisores" not in body
        assert "Você recebe isto como agente de Suporte, que não tem supervisor." in body
    assert f"Carla Cliente escalou o ticket #{ticket.reference} do departamento Suporte." in text
