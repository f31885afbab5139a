"""Mail received: who may open a ticket, which ticket a reply belongs to, and what never gets in."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from departments.models import Department, Membership
from helpdesk import ratelimit
from tickets.email import inbound as inbound_module
from tickets.email.inbound import ingest
from tickets.models import (
    InboundEmail,
    InboundState,
    Message,
    Notification,
    NotificationKind,
    Source,
    Status,
    Ticket,
)
from tickets.tests.emls import eml, reply_to
from tickets.tests.notifications import add_contact

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def abuse(db):
    return Department.objects.create(name="Abusos", slug="abusos", email="abusos@example.com", accepts_anyone=True)


@pytest.fixture
def contact(customer):
    return add_contact(customer, "joao@cliente.example")


def _answer(ticket, agent, body="Reiniciamos o PHP do seu plano. Pode verificar?"):
    """A staff reply; returns the notification the customer got (the mail a reply would answer)."""
    ticket.reply(author=agent, body=body)
    return Notification.objects.filter(ticket=ticket, kind=NotificationKind.STAFF_REPLY).latest("pk")


@pytest.fixture
def answered(ticket, agent):
    return _answer(ticket, agent)


# New tickets


def test_mail_from_a_verified_customer_opens_a_ticket_in_the_department_of_the_address(customer, support):
    inbound = ingest(eml("gmail-new-ticket-pt.eml"))

    ticket = Ticket.objects.get()
    assert (inbound.state, inbound.ticket, inbound.department) == (InboundState.ACCEPTED, ticket, support)
    assert (ticket.customer, ticket.department, ticket.status) == (customer, support, Status.OPEN)
    assert ticket.subject == "Não consigo acessar meu site — erro 500"
    message = ticket.messages.get()
    assert inbound.result_message == message
    assert message.author == customer and message.source == Source.EMAIL
    assert message.body.startswith('Olá,\n\nMeu site exemplo.com.br está mostrando "Erro 500" desde ontem à noite.')
    assert message.message_id == "<CAH7x3K2p+QjU1=ZxV0aT1nL0-gm4iL8vS4qT5w@mail.gmail.com>"
    assert inbound.sender == "cliente@example.com" and inbound.recipient == "suporte@example.com"
    assert Notification.objects.filter(ticket=ticket, kind=NotificationKind.ACKNOWLEDGEMENT).exists()


def test_the_envelope_recipient_picks_the_department_over_the_headers(customer, support, billing):
    inbound = ingest(eml("gmail-new-ticket-pt.eml"), recipient="Financeiro@Example.com")
    assert inbound.department == billing
    assert Ticket.objects.get().department == billing


def test_an_unknown_envelope_recipient_falls_back_to_the_header_addresses(customer, support):
    inbound = ingest(eml("gmail-new-ticket-pt.eml"), recipient="helpdesk-pipe@mx.example.com")
    assert inbound.department == support


def test_mail_to_no_department_is_rejected(customer, support):
    inbound = ingest(eml("gmail-new-ticket-pt.eml").replace(b"To: suporte@", b"To: vendas@"))
    assert (inbound.state, inbound.reason) == (InboundState.REJECTED, "not addressed to a department")
    assert not Ticket.objects.exists()


def test_mail_to_an_inactive_department_is_rejected(customer, support):
    Department.objects.filter(pk=support.pk).update(active=False)
    assert ingest(eml("gmail-new-ticket-pt.eml")).state == InboundState.REJECTED


def test_a_verified_contact_opens_a_ticket_for_the_customer_with_the_screenshot(customer, support, contact):
    inbound = ingest(eml("apple-mail-png-pt.eml"))

    ticket = inbound.ticket
    assert (ticket.customer, ticket.subject) == (customer, "Erro no painel de e-mail (print anexo)")
    message = ticket.messages.get()
    assert (message.author, message.sender_email) == (None, "joao@cliente.example")
    assert (
        message.body == "Boa tarde,\n\nAo abrir o webmail aparece a mensagem da imagem anexa. Podem verificar?\n\nJoão"
    )
    assert "Enviado do meu iPhone" in message.body_original
    attachment = message.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("Captura_de_Tela_2024-05-06.png", "image/png")
    assert (attachment.width, attachment.height) == (120, 80) and attachment.thumbnail


def test_an_unconfirmed_contact_is_an_unknown_sender(customer, support):
    add_contact(customer, "joao@cliente.example", verified=False)
    assert ingest(eml("apple-mail-png-pt.eml")).state == InboundState.HELD
    assert not Ticket.objects.exists()


def test_a_contact_of_two_customers_cannot_tell_whose_ticket_to_open(customer, other_customer, support):
    add_contact(customer, "joao@cliente.example")
    add_contact(other_customer, "joao@cliente.example")
    assert ingest(eml("apple-mail-png-pt.eml")).state == InboundState.HELD


def test_an_unverified_account_address_is_an_unknown_sender(customer, support):
    customer.emailaddress_set.update(verified=False)
    assert ingest(eml("gmail-new-ticket-pt.eml")).state == InboundState.HELD


def test_a_deactivated_customer_is_an_unknown_sender(customer, support):
    customer.is_active = False
    customer.save()
    assert ingest(eml("gmail-new-ticket-pt.eml")).state == InboundState.HELD


def test_an_svg_is_refused_without_losing_the_message_and_the_log_is_kept(customer, support):
    inbound = ingest(eml("thunderbird-svg-en.eml"))

    message = inbound.result_message
    assert message.body.endswith("Regards,\nCarla\n\n[Attachments not accepted: logo.svg]")
    assert [a.original_name for a in message.attachments.all()] == ["php-error.log"]
    assert b"Allowed memory size" in message.attachments.get().file.read()


def test_the_ticket_subject_drops_reply_prefixes_and_an_empty_one_gets_a_placeholder(customer, support):
    raw = eml("gmail-new-ticket-pt.eml")
    raw = raw.replace(b"Subject: =?UTF-8?Q?N=C3=A3o_consigo_acessar_meu_site_=E2=80=94_erro_500?=", b"Subject: RE: Re:")
    assert ingest(raw).ticket.subject == "(no subject)"


# Replies


def test_a_reply_threaded_to_our_notification_is_added_to_its_ticket_without_the_quote(customer, ticket, answered):
    inbound = ingest(reply_to(ticket, "gmail-reply-pt.eml", answered))

    ticket.refresh_from_db()
    assert (inbound.state, inbound.ticket, Ticket.objects.count()) == (InboundState.ACCEPTED, ticket, 1)
    assert ticket.status == Status.CUSTOMER_REPLY
    message = ticket.messages.last()
    assert inbound.result_message == message
    assert (message.author, message.source, message.from_staff) == (customer, Source.EMAIL, False)
    assert message.body == "O site voltou, obrigada! Só a página de contato ainda demora."
    assert "> Reiniciamos o PHP do seu plano." in message.body_original
    assert "escreveu:" in message.body_original


def test_a_reply_to_a_message_id_of_the_thread_is_matched(customer, ticket, agent):
    _answer(ticket, agent)
    staff_message = ticket.messages.get(from_staff=True)
    raw = eml("apple-mail-reply-en.eml", reference="000000", in_reply_to=staff_message.message_id)

    inbound = ingest(raw)

    assert inbound.ticket == ticket
    assert ticket.messages.last().body == "It works now, thank you!"


def test_a_reply_is_matched_by_the_reference_in_the_subject_without_threading_headers(customer, billing, make_ticket):
    ticket = make_ticket(department=billing, subject="Cobrança em aberto")
    inbound = ingest(eml("outlook-html-only-pt.eml", reference=ticket.reference))

    assert inbound.ticket == ticket
    body = ticket.messages.last().body
    assert body == (
        "Bom dia,\n\nSegue o comprovante do pagamento da fatura de maio. Por favor confirmem a baixa.\n\nAtt.,\nCarla"
    )
    assert "alert" not in ticket.messages.last().body_original
    assert "De: Financeiro" in ticket.messages.last().body_original


def test_outlook_keeps_only_the_new_text_of_the_reply(customer, ticket, answered):
    ingest(reply_to(ticket, "outlook-reply-en.eml", answered))
    message = ticket.messages.last()
    assert message.body == "Thanks – that fixed it. I’ll let you know if the error comes back.\n\nCarla"
    assert "From: Suporte" in message.body_original


def test_a_reply_to_a_closed_ticket_reopens_it(customer, ticket, agent):
    notification = _answer(ticket, agent)
    ticket.close(by=agent)

    ingest(reply_to(ticket, "thunderbird-reply-pt.eml", notification))

    ticket.refresh_from_db()
    assert ticket.status == Status.CUSTOMER_REPLY
    assert ticket.messages.last().body == (
        "Verifiquei agora: a página inicial abre, mas o formulário de contato\nainda dá erro ao enviar."
    )


def test_a_verified_contact_may_reply_to_the_customers_ticket(customer, ticket, answered, contact):
    raw = reply_to(ticket, "gmail-reply-pt.eml", answered).replace(
        b"From: Carla Cliente <cliente@example.com>", b"From: Joao <JOAO@cliente.example>"
    )
    inbound = ingest(raw)
    message = inbound.result_message
    assert message.ticket == ticket
    assert (message.author, message.sender_email) == (None, "joao@cliente.example")


def test_a_reply_to_a_merged_ticket_goes_to_the_ticket_it_was_merged_into(customer, ticket, answered, make_ticket):
    target = make_ticket(subject="O mesmo problema")
    Ticket.objects.filter(pk=ticket.pk).update(merged_into=target, status=Status.CLOSED)

    inbound = ingest(reply_to(ticket, "gmail-reply-pt.eml", answered))

    assert inbound.ticket == target
    assert target.messages.last().body.startswith("O site voltou")


def test_a_guest_may_reply_to_their_guest_ticket(abuse, agent):
    Membership.objects.create(department=abuse, user=agent)
    guest_ticket = ingest(eml("abuse-report-en.eml")).ticket
    notification = _answer(guest_ticket, agent, body="Removed, thank you.")
    raw = reply_to(guest_ticket, "stranger-reply-en.eml", notification).replace(
        b"Stranger <estranho@webmail.example>", b"<abuse@isp.example>"
    )

    inbound = ingest(raw)

    assert inbound.ticket == guest_ticket
    assert (inbound.result_message.author, inbound.result_message.sender_email) == (None, "abuse@isp.example")


# Unknown senders, strangers, forgeries


def test_mail_from_an_unknown_address_is_held_and_the_sender_told_once_a_day(support):
    with time_machine.travel("2024-05-07 13:00:00Z", tick=False):
        first = ingest(eml("unknown-sender-en.eml"))
    with time_machine.travel("2024-05-08 12:59:00Z", tick=False):
        second = ingest(eml("unknown-sender-en.eml", message_id="<second@mail.gmail.com>"))
    with time_machine.travel("2024-05-08 13:01:00Z", tick=False):
        third = ingest(eml("unknown-sender-en.eml", message_id="<third@mail.gmail.com>"))

    assert [m.state for m in (first, second, third)] == [InboundState.HELD] * 3
    assert (first.department, first.reason, first.subject) == (support, "unknown sender", "Cannot log in – help")
    assert not Ticket.objects.exists()
    notices = Notification.objects.filter(kind=NotificationKind.UNKNOWN_SENDER)
    assert [(n.inbound, n.recipient) for n in notices] == [
        (first, "nina@novo-cliente.example"),
        (third, "nina@novo-cliente.example"),
    ]
    assert (first.notice_sent_at is not None, second.notice_sent_at, third.notice_sent_at is not None) == (
        True,
        None,
        True,
    )


def test_a_department_that_accepts_anyone_opens_a_guest_ticket_that_only_staff_see(abuse, customer, agent):
    inbound = ingest(eml("abuse-report-en.eml"))

    ticket = inbound.ticket
    assert (inbound.state, inbound.reason) == (InboundState.ACCEPTED, "guest ticket")
    assert (ticket.customer, ticket.guest_email, ticket.department) == (None, "abuse@isp.example", abuse)
    assert ticket.messages.get().sender_email == "abuse@isp.example"
    assert not Ticket.objects.visible_to(customer).exists()
    assert not Ticket.objects.visible_to(agent).exists()  # an agent of Suporte, not of Abusos
    ack = Notification.objects.get(ticket=ticket, kind=NotificationKind.ACKNOWLEDGEMENT)
    assert ack.recipient == "abuse@isp.example"


def test_a_stranger_replying_to_a_customers_ticket_changes_nothing_there(ticket, answered):
    before = (ticket.messages.count(), Ticket.objects.get(pk=ticket.pk).status)

    inbound = ingest(reply_to(ticket, "stranger-reply-en.eml", answered))

    assert (inbound.state, inbound.reason, inbound.ticket) == (InboundState.HELD, "unknown sender", None)
    assert (ticket.messages.count(), Ticket.objects.get(pk=ticket.pk).status) == before
    assert Ticket.objects.count() == 1


def test_another_customers_reference_in_the_subject_opens_their_own_ticket(ticket, other_customer):
    inbound = ingest(eml("other-customer-reference-pt.eml", reference=ticket.reference))

    assert inbound.ticket != ticket
    assert (inbound.ticket.customer, inbound.ticket.subject) == (other_customer, "Site fora do ar")
    assert ticket.messages.count() == 1


def test_a_forged_display_name_is_not_the_sender(ticket, answered):
    inbound = ingest(reply_to(ticket, "forged-display-name.eml", answered))
    assert (inbound.state, inbound.sender) == (InboundState.HELD, "intruso@evil.example")
    assert ticket.messages.count() == 2


@pytest.mark.parametrize(
    ("name", "reason"),
    [("forged-unquoted.eml", "ambiguous From header"), ("multiple-from.eml", "From must name exactly one address")],
)
def test_an_ambiguous_from_is_rejected(customer, support, name, reason):
    inbound = ingest(eml(name))
    assert (inbound.state, inbound.reason, inbound.sender) == (InboundState.REJECTED, reason, "")
    assert not Ticket.objects.exists()


def test_a_second_from_header_is_rejected(customer, support):
    raw = eml("gmail-new-ticket-pt.eml").replace(b"MIME-Version", b"From: intruso@evil.example\nMIME-Version")
    assert ingest(raw).reason == "several From headers"


def test_staff_mail_about_a_ticket_is_held_not_added_to_it(ticket, answered, agent):
    raw = reply_to(ticket, "stranger-reply-en.eml", answered).replace(
        b"Stranger <estranho@webmail.example>", b"<agente@example.com>"
    )
    inbound = ingest(raw)
    assert inbound.state == InboundState.HELD
    assert inbound.reason.startswith(f"staff mail about {ticket.display_reference}")
    assert ticket.messages.count() == 2 and Ticket.objects.count() == 1


# Duplicates


def test_the_same_message_delivered_twice_is_stored_once(customer, support):
    first = ingest(eml("gmail-new-ticket-pt.eml"))
    second = ingest(eml("gmail-new-ticket-pt.eml"))

    assert second.pk == first.pk
    assert InboundEmail.objects.count() == 1 and Ticket.objects.count() == 1 and Message.objects.count() == 1


def test_a_message_left_unprocessed_is_resumed_by_its_redelivery(customer, support):
    raw = eml("gmail-new-ticket-pt.eml")
    interrupted = InboundEmail.objects.create(
        raw=raw, message_id="<CAH7x3K2p+QjU1=ZxV0aT1nL0-gm4iL8vS4qT5w@mail.gmail.com>"
    )

    inbound = ingest(raw)

    assert inbound.pk == interrupted.pk
    assert inbound.state == InboundState.ACCEPTED and Ticket.objects.count() == 1


# No mail loops


def _loop_cases():
    reply = "gmail-reply-pt.eml"
    return [
        ("bounce-dsn.eml", None, "Auto-Submitted: auto-replied"),
        ("out-of-office-en.eml", None, "Auto-Submitted: auto-replied"),
        ("mailing-list.eml", None, "Precedence: list"),
        (reply, (b"MIME-Version", b"Auto-Submitted: auto-generated\nMIME-Version"), "Auto-Submitted: auto-generated"),
        (reply, (b"MIME-Version", b"Precedence: bulk\nMIME-Version"), "Precedence: bulk"),
        (reply, (b"MIME-Version", b"Precedence: junk\nMIME-Version"), "Precedence: junk"),
        (reply, (b"MIME-Version", b"List-Id: <clientes.lists.example>\nMIME-Version"), "mailing list (List-Id)"),
        (reply, (b"Received:", b"Return-Path: <>\nReceived:"), "empty return path"),
        (reply, (b"MIME-Version", b"X-Autoreply: yes\nMIME-Version"), "auto-reply (X-Autoreply)"),
        (
            reply,
            (b"Content-Type: multipart/alternative", b"Content-Type: multipart/report; report-type=delivery-status"),
            "delivery or read report",
        ),
        (reply, (b"CAH7x3K0q8Lz=Ub2_fL9sWq7D1nR3pX-oY2mV6a@mail.gmail.com", b"echo@127.0.0.1"), "our own Message-ID"),
        (
            reply,
            (b"From: Carla Cliente <cliente@example.com>", b"From: Suporte <suporte@example.com>"),
            "sent from our own address",
        ),
    ]


@pytest.mark.parametrize(("name", "change", "reason"), _loop_cases())
def test_automatic_mail_is_dropped_opens_nothing_reopens_nothing_and_answers_nobody(
    settings, customer, ticket, agent, name, change, reason
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    notification = _answer(ticket, agent)
    ticket.close(by=agent)
    raw = reply_to(ticket, name, notification)
    if change:
        raw = raw.replace(*change)
    mails_before = Notification.objects.count()

    inbound = ingest(raw)

    assert (inbound.state, inbound.reason) == (InboundState.DROPPED, reason)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.messages.count() == 2
    assert Ticket.objects.count() == 1
    assert Notification.objects.count() == mails_before


def test_our_own_notification_coming_back_is_dropped(customer, ticket, answered):
    raw = eml("gmail-new-ticket-pt.eml", message_id=answered.message_id)
    assert ingest(raw).reason in ("our own Message-ID", "our own notification")
    assert Ticket.objects.count() == 1


def test_auto_submitted_no_is_a_persons_mail(customer, support):
    raw = eml("gmail-new-ticket-pt.eml").replace(b"MIME-Version", b"Auto-Submitted: no\nMIME-Version")
    assert ingest(raw).state == InboundState.ACCEPTED


# Limits


def test_a_message_over_the_size_limit_is_rejected_and_only_its_headers_kept(settings, customer, support):
    settings.INBOUND_MAX_BYTES = 2048
    raw = eml("apple-mail-png-pt.eml") + b"x" * 4096

    inbound = ingest(raw)

    assert inbound.state == InboundState.REJECTED
    assert inbound.reason.startswith(f"message too large ({len(raw)} bytes")
    stored = bytes(InboundEmail.objects.get().raw)
    assert stored.startswith(b"From: =?utf-8?Q?Jo=C3=A3o_Contato?=") and b"base64" not in stored
    assert not Ticket.objects.exists()


def test_a_message_with_too_many_parts_is_rejected(settings, customer, support):
    settings.INBOUND_MAX_PARTS = 3
    inbound = ingest(eml("thunderbird-svg-en.eml"))
    assert (inbound.state, inbound.reason) == (InboundState.REJECTED, "malformed message: 4 parts; the limit is 3")
    assert not Ticket.objects.exists()


def test_a_sender_over_the_rate_limit_is_held_without_a_notice(monkeypatch, customer, support):
    monkeypatch.setitem(ratelimit.LIMITS, "inbound_sender", (2, 3600))
    states = [
        ingest(eml("gmail-new-ticket-pt.eml", message_id=f"<flood-{number}@mail.gmail.com>")).state
        for number in range(3)
    ]
    assert states == [InboundState.ACCEPTED, InboundState.ACCEPTED, InboundState.HELD]
    held = InboundEmail.objects.get(state=InboundState.HELD)
    assert (held.reason, held.department, held.notice_sent_at) == ("too many messages from this address", support, None)
    assert Ticket.objects.count() == 2


def test_the_time_processing_ended_is_recorded(support):
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        inbound = ingest(eml("unknown-sender-en.eml"))
        assert inbound.processed_at == timezone.now()


def test_control_characters_in_a_recipient_address_never_reach_the_database(customer, support):
    raw = (
        b"From: cliente@example.com\r\nTo: fin\x00nceiro@example.com, suporte@example.com\r\n"
        b"Subject: Teste\r\nMessage-ID: <nul-to@mail.example.com>\r\n\r\nOi\r\n"
    )
    inbound = ingest(raw, recipient="su\x00porte@example.com")
    assert inbound.state == InboundState.ACCEPTED
    assert inbound.department == support


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_mails_from_an_unknown_sender_processed_at_once_send_one_notice(support, monkeypatch):
    mails = [eml("unknown-sender-en.eml", message_id=f"<race{n}@mail.gmail.com>") for n in range(4)]
    # Slow between the "told today?" check and the commit, so every worker checks before any commits.
    told = inbound_module.notify.unknown_sender

    def slowly(inbound):
        time.sleep(0.3)
        told(inbound)

    monkeypatch.setattr(inbound_module.notify, "unknown_sender", slowly)
    barrier = threading.Barrier(len(mails))
    errors = []

    def run(raw):
        try:
            barrier.wait()
            ingest(raw)
        except Exception as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(raw,)) for raw in mails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert InboundEmail.objects.filter(state=InboundState.HELD).count() == 4
    assert Notification.objects.filter(kind=NotificationKind.UNKNOWN_SENDER).count() == 1
