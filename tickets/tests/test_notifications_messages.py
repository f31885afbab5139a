"""What a notification looks like in the recipient's mail client: subject, headers, both bodies, language."""

import datetime

import pytest
from django.db import transaction

from tickets import notify
from tickets.models import Message, Notification, NotificationKind, Source, Ticket
from tickets.tests.files import png_upload
from tickets.tests.notifications import add_contact, bodies, parsed, to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process", "english")]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://help.example.com"


def test_a_staff_reply_has_the_reference_in_the_subject_and_the_department_as_sender(
    ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(author=agent, body="Reiniciamos o servidor.")

    mime = parsed(to(mailoutbox, "cliente@example.com"))
    notification = Notification.objects.get(kind=NotificationKind.STAFF_REPLY)
    assert mime["Subject"] == f"[#{ticket.reference}] Site fora do ar"
    assert mime["From"] == "Suporte <suporte@example.com>"
    assert mime["Reply-To"] == "suporte@example.com"
    assert mime["To"] == "cliente@example.com"
    assert mime["Message-ID"] == notification.message_id
    assert notification.message_id.endswith("@help.example.com>")
    assert mime["Auto-Submitted"] == "auto-generated"


def test_the_subject_prefix_is_configurable(ticket, agent, settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.EMAIL_SUBJECT_PREFIX_TICKET = "ACME Hosting"
    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(author=agent, body="Pronto.")

    assert mailoutbox[0].subject == f"ACME Hosting [#{ticket.reference}] Site fora do ar"


def test_each_mail_of_a_ticket_cites_the_earlier_ones_so_clients_thread_them(
    make_ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
        first_reply = ticket.reply(author=agent, body="Primeira resposta.")
        ticket.reply(author=agent, body="Segunda resposta.")

    ack, reply1, reply2 = [parsed(m) for m in mailoutbox if m.to == ["cliente@example.com"]]
    opening = ticket.messages.first()
    assert ack["In-Reply-To"] is None
    assert ack["References"] is None
    # Every mailed message of the thread gets its own canonical Message-ID, cited by later mail.
    first_reply.refresh_from_db()
    assert opening.message_id and first_reply.message_id
    assert reply1["References"].split() == [opening.message_id, ack["Message-ID"]]
    assert reply1["In-Reply-To"] == ack["Message-ID"]
    assert reply2["References"].split() == [
        opening.message_id,
        ack["Message-ID"],
        first_reply.message_id,
        reply1["Message-ID"],
    ]
    assert reply2["In-Reply-To"] == reply1["Message-ID"]


def test_the_acknowledgement_of_a_ticket_opened_by_mail_answers_the_senders_message(
    make_ticket, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(source=Source.EMAIL, message_id="<abc.123@cliente.example.org>")

    ack = parsed(to(mailoutbox, "cliente@example.com"))
    assert ack["In-Reply-To"] == "<abc.123@cliente.example.org>"
    assert ack["References"] == "<abc.123@cliente.example.org>"
    assert Message.objects.get().message_id == "<abc.123@cliente.example.org>"


def test_both_bodies_carry_the_reply_the_attachment_names_and_the_customer_link(
    ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(
            author=agent,
            body="Veja o print do painel.\nDepois reinicie.",
            uploads=[png_upload("painel.png"), png_upload("erro.png")],
        )

    text, html = bodies(to(mailoutbox, "cliente@example.com"))
    link = f"https://help.example.com/tickets/{ticket.reference}/"
    assert "André Agente (support team) replied to your ticket" in text
    assert "Veja o print do painel.\nDepois reinicie." in text
    assert "- painel.png" in text and "- erro.png" in text
    assert link in text
    assert "<p>Veja o print do painel.<br>Depois reinicie.</p>" in html
    assert "<li>painel.png</li>" in html and "<li>erro.png</li>" in html
    assert f'<a href="{link}"' in html


def test_agents_are_linked_to_the_staff_workspace(
    ticket, customer, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(author=customer, body="Ainda com erro.")

    text, html = bodies(to(mailoutbox, "agente@example.com"))
    link = f"https://help.example.com/staff/tickets/{ticket.reference}/"
    assert f"Carla Cliente replied to ticket #{ticket.reference} (now “Open”):" in text
    assert "Ainda com erro." in text
    assert link in text
    assert f'href="{link}"' in html


def test_a_new_ticket_mail_tells_agents_the_facts_of_the_ticket(
    make_ticket, agent, hosting, mailoutbox, django_capture_on_commit_callbacks
):
    agent.language = "en"
    agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(priority="high", service=hosting, site="loja.example.com", summary="Erro 500 na loja")

    text, html = bodies(to(mailoutbox, "agente@example.com"))
    assert f"Carla Cliente opened ticket #{ticket.reference} in Suporte." in text
    assert "Priority: high · Service: Hospedagem · Site: loja.example.com" in text
    assert "Summary: Erro 500 na loja" in text
    assert "Meu site mostra erro 500." in text
    assert f"https://help.example.com/staff/tickets/{ticket.reference}/" in html


def test_markup_in_a_reply_is_escaped_in_html_and_kept_verbatim_in_text(
    make_ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = make_ticket(subject="Fatura & boleto <urgente>")
    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(author=agent, body='<script>alert("x")</script> & <b>negrito</b>')

    message = to(mailoutbox, "cliente@example.com")
    text, html = bodies(message)
    assert message.subject.endswith("] Fatura & boleto <urgente>")
    assert '<script>alert("x")</script> & <b>negrito</b>' in text
    assert "<script>" not in html and "<b>negrito" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;negrito&lt;/b&gt;" in html
    assert "<title>Fatura &amp; boleto &lt;urgente&gt;</title>" in html


def test_no_header_can_be_injected_through_a_subject_or_a_name(
    make_ticket, support, agent, mailoutbox, django_capture_on_commit_callbacks
):
    support.name = "Suporte\r\nBcc: ladrao@example.org"
    support.save()
    ticket = make_ticket(subject="Oi\r\nBcc: ladrao@example.org\r\n\r\ncorpo falso")
    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(author=agent, body="Resposta.")

    message = to(mailoutbox, "cliente@example.com")
    mime = parsed(message)
    assert message.recipients() == ["cliente@example.com"]
    assert mime["Bcc"] is None
    assert mime.get_all("Subject") == [f"[#{ticket.reference}] Oi Bcc: ladrao@example.org corpo falso"]
    assert mime["From"].addresses[0].addr_spec == "suporte@example.com"
    assert mime["From"].addresses[0].display_name == "Suporte Bcc: ladrao@example.org"
    headers = message.message().as_bytes().split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers


@pytest.fixture
def due_ticket(make_ticket, customer, other_customer, agent, supervisor):
    """A ticket whose first answer is due 2026-03-10 15:00 UTC, and people of both languages."""
    customer.language, customer.time_zone = "en", "Europe/Lisbon"
    customer.save()
    agent.language = "en"
    agent.save()
    supervisor.language = "pt-br"
    supervisor.save()
    add_contact(customer, "socio@example.com")
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due_at=datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
    )
    ticket.refresh_from_db()
    return ticket


def _opened(ticket, captured):
    with captured(execute=True), transaction.atomic():
        notify.ticket_opened(ticket, ticket.messages.first())


def test_the_acknowledgement_gives_the_expected_answer_time_in_the_customers_language_and_zone(
    due_ticket, mailoutbox, django_capture_on_commit_callbacks
):
    _opened(due_ticket, django_capture_on_commit_callbacks)

    for address in ("cliente@example.com", "socio@example.com"):
        text, html = bodies(to(mailoutbox, address))
        assert f"We received your ticket #{due_ticket.reference} for Suporte." in text
        assert "first answer by March 10, 2026, 3 p.m. (Europe/Lisbon)" in text
        assert "March 10, 2026, 3 p.m. (Europe/Lisbon)" in html
        assert '<html lang="en">' in html


def test_a_portuguese_customer_reads_the_time_in_portuguese_and_their_zone(
    due_ticket, customer, mailoutbox, django_capture_on_commit_callbacks
):
    customer.language, customer.time_zone = "pt-br", ""
    customer.save()
    _opened(due_ticket, django_capture_on_commit_callbacks)

    text, html = bodies(to(mailoutbox, "cliente@example.com"))
    assert "10 de março de 2026 às 12:00 (America/Sao_Paulo)" in text
    assert '<html lang="pt-br">' in html
    assert Notification.objects.filter(recipient="socio@example.com").last().language == "pt-br"


def test_each_agent_reads_in_their_own_language(due_ticket, mailoutbox, django_capture_on_commit_callbacks):
    _opened(due_ticket, django_capture_on_commit_callbacks)

    assert '<html lang="en">' in bodies(to(mailoutbox, "agente@example.com"))[1]
    assert '<html lang="pt-br">' in bodies(to(mailoutbox, "supervisor@example.com"))[1]


def test_without_a_target_the_acknowledgement_promises_no_time(ticket, mailoutbox, django_capture_on_commit_callbacks):
    _opened(ticket, django_capture_on_commit_callbacks)

    text, _html = bodies(to(mailoutbox, "cliente@example.com"))
    assert "We will answer as soon as we can." in text
    assert "first answer by" not in text
