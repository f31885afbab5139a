"""What an unverified sender can make us do: nothing of their text goes back out, acknowledgements
are limited per address, unreadable content and repeated copies change nothing, bounces answer nobody."""

import pytest
from django.core.cache import caches
from django.db import connection

from departments.models import Department, Membership
from helpdesk import ratelimit
from tickets.email.inbound import Envelope, accept_held, ingest
from tickets.email.outbound import build_message
from tickets.models import DeliveryState, InboundEmail, InboundState, Notification, NotificationKind, Status, Ticket
from tickets.tests.emls import eml, reply_to
from tickets.tests.notifications import bodies

pytestmark = [pytest.mark.usefixtures("english")]


@pytest.fixture
def abuse(db):
    return Department.objects.create(name="Abusos", slug="abusos", email="abusos@example.com", accepts_anyone=True)


def _answered(ticket, agent):
    ticket.reply(author=agent, body="Reiniciamos o PHP do seu plano. Pode verificar?")
    notification = Notification.objects.filter(ticket=ticket, kind=NotificationKind.STAFF_REPLY).latest("pk")
    Notification.objects.filter(pk=notification.pk).update(state=DeliveryState.SENT)
    return notification


# Nothing reflected


@pytest.mark.usefixtures("tasks_in_process")
def test_the_acknowledgement_to_a_guest_repeats_nothing_of_their_message(
    abuse, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ingest(eml("abuse-report-en.eml")).ticket

    [ack] = [mail for mail in mailoutbox if mail.to == ["abuse@isp.example"]]
    text, html = bodies(ack)
    assert ticket.display_reference in ack.subject and ticket.display_reference in text
    assert "Abusos" in ack.subject
    for part in (ack.subject, text, html):
        assert "Phishing" not in part and "phishing" not in part and "loja-exemplo" not in part


@pytest.mark.usefixtures("tasks_in_process")
def test_a_staff_reply_to_a_guest_carries_the_reply_but_not_the_guests_subject(
    abuse, agent, mailoutbox, django_capture_on_commit_callbacks
):
    Membership.objects.create(department=abuse, user=agent)
    ticket = ingest(eml("abuse-report-en.eml")).ticket
    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(author=agent, body="We took the page down.")

    [reply] = [mail for mail in mailoutbox if "We took the page down." in mail.body]
    assert "Phishing" not in reply.subject and "Phishing" not in reply.body


def test_a_customer_still_reads_their_own_subject_and_message(make_ticket):
    make_ticket(subject="Site fora do ar", body="Erro 500 desde ontem.")
    message = build_message(Notification.objects.get(kind=NotificationKind.ACKNOWLEDGEMENT))
    assert "Site fora do ar" in message.subject and "Erro 500 desde ontem." in message.body


def test_acknowledgements_to_one_guest_address_are_limited_per_day(abuse):
    for number in range(7):
        ingest(eml("abuse-report-en.eml", message_id=f"<abuse-{number}@isp.example>"))

    assert Ticket.objects.count() == 7
    assert (
        Notification.objects.filter(kind=NotificationKind.ACKNOWLEDGEMENT, recipient="abuse@isp.example").count() == 5
    )


def test_the_limits_are_counted_in_a_store_every_process_shares(db):
    """With or without Redis, the database: a pipe run started by the MTA sees what the last one
    counted, and the count goes on while Redis is down."""
    assert type(caches["ratelimit"]).__name__ == "DatabaseCache"
    ratelimit.allow("guest_notice", "someone@example.org")
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM helpdesk_ratelimit")
        assert any("guest_notice:someone@example.org" in key for (key,) in cursor.fetchall())


# Content that cannot be decoded


def test_a_reply_with_a_broken_base64_part_is_held_and_changes_nothing(ticket, agent, login):
    _answered(ticket, agent)
    status, count, mails = ticket.status, ticket.messages.count(), Notification.objects.count()

    inbound = ingest(eml("broken-base64-pt.eml", reference=ticket.reference))

    assert (inbound.state, inbound.reason) == (InboundState.HELD, "content that cannot be decoded")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.messages.count(), Notification.objects.count()) == (status, count, mails)
    page = login(agent).get("/staff/inbound/").content.decode()
    assert "could not be decoded" in page
    assert "T3MgZS1tYWlscyBjb250aW51YW0" in page  # the raw form, for staff to judge


@pytest.mark.parametrize(
    ("content_type", "encoding", "body"),
    [
        (b"text/plain; charset=x-unknown", b"8bit", "Não abre".encode("cp1252")),
        (b"text/plain; charset=utf-8", b"quoted-printable", b"N=C3=A3o abre =ZZ=\n=Q"),
        (b"multipart/mixed; boundary=nunca", b"7bit", b"--outra\nContent-Type: text/plain\n\nOi\n--outra--\n"),
        (b"text/plain; charset=utf-8", b"8bit", b"\x00\x01\x02\x03 binary \x04\x05"),
    ],
    ids=["unknown charset", "broken quoted-printable", "broken boundary", "binary"],
)
def test_content_that_cannot_be_decoded_opens_no_ticket(customer, support, content_type, encoding, body):
    raw = (
        b"From: cliente@example.com\nTo: suporte@example.com\nSubject: Site\nMessage-ID: <x1@example.com>\n"
        b"MIME-Version: 1.0\nContent-Type: "
        + content_type
        + b"\nContent-Transfer-Encoding: "
        + encoding
        + b"\n\n"
        + body
    )
    inbound = ingest(raw)
    assert (inbound.state, inbound.reason) == (InboundState.HELD, "content that cannot be decoded")
    assert not Ticket.objects.exists() and inbound.notice_sent_at is None


@pytest.mark.parametrize("body", [b"Caf\xe9 fora do ar =3D urgente", b"Caf\xc3\xa9 fora do ar =3D urgente"])
def test_quoted_printable_with_raw_8bit_bytes_is_read_not_crashed_on(customer, support, body):
    """Clients that write 8-bit bytes into a quoted-printable part (found by the fuzz test): the
    check for broken quoted-printable reads them as bytes instead of failing."""
    raw = (
        b"From: cliente@example.com\nTo: suporte@example.com\nSubject: Site\nMessage-ID: <qp8@example.com>\n"
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" + body + b"\n"
    )
    inbound = ingest(raw)
    assert inbound.state == InboundState.ACCEPTED
    assert "fora do ar = urgente" in Ticket.objects.get().messages.get().body


def test_accepting_undecodable_mail_stores_a_placeholder_not_garbage(customer, support, agent):
    inbound = ingest(eml("broken-base64-pt.eml", reference="000000"))
    ticket = accept_held(inbound, by=agent)
    body = ticket.messages.get().body
    assert "could not be decoded" in body and "\x00" not in body


# Copies without a Message-ID


def test_two_copies_of_a_message_without_message_id_are_stored_once(customer, support):
    first = ingest(eml("no-message-id-en.eml", queue_id="4VZ3a1"))
    second = ingest(eml("no-message-id-en.eml", queue_id="4VZ9z8"))  # another relay, another Received

    assert second.pk == first.pk and InboundEmail.objects.count() == 1
    assert Ticket.objects.count() == 1 and first.message_id is None


def test_a_different_message_without_message_id_is_stored_as_new(customer, support):
    ingest(eml("no-message-id-en.eml", queue_id="4VZ3a1"))
    ingest(eml("no-message-id-en.eml", queue_id="4VZ3a2").replace(b'"loja"', b'"blog"'))
    assert InboundEmail.objects.count() == 2 and Ticket.objects.count() == 2


def test_the_same_text_again_after_the_window_is_a_new_message(customer, support, settings):
    import time_machine

    with time_machine.travel("2024-05-07 12:00:00+00:00", tick=False):
        ingest(eml("no-message-id-en.eml", queue_id="1"))
    with time_machine.travel("2024-05-08 13:00:00+00:00", tick=False):
        ingest(eml("no-message-id-en.eml", queue_id="2"))
    assert InboundEmail.objects.count() == 2


# Bounces


def test_a_bounce_through_the_pipe_marks_the_delivery_bounced_and_answers_nobody(ticket, agent):
    notification = _answered(ticket, agent)
    before = Notification.objects.count()

    inbound = ingest(eml("bounce-of-notification.eml", reference=ticket.reference, bounced_id=notification.message_id))

    assert inbound.state == InboundState.DROPPED and inbound.notice_sent_at is None
    assert Notification.objects.count() == before
    notification.refresh_from_db()
    assert notification.state == DeliveryState.BOUNCED
    assert "Recipient address rejected" in notification.last_error


def test_an_auto_reply_citing_our_message_marks_nothing_bounced(ticket, agent):
    notification = _answered(ticket, agent)
    inbound = ingest(eml("out-of-office-en.eml", reference=ticket.reference, in_reply_to=notification.message_id))
    assert inbound.state == InboundState.DROPPED
    notification.refresh_from_db()
    assert notification.state == DeliveryState.SENT


@pytest.mark.parametrize("sender", ["", "MAILER-DAEMON", "<>"])
def test_mail_from_the_null_envelope_sender_is_dropped_however_it_looks(customer, support, sender):
    inbound = ingest(eml("unknown-sender-en.eml"), envelope=Envelope(sender=sender))
    assert inbound.state == InboundState.DROPPED and inbound.notice_sent_at is None


# Outlook for Windows in Portuguese, as it really arrives


def test_an_outlook_reply_in_portuguese_keeps_only_the_new_text(ticket, agent):
    notification = _answered(ticket, agent)
    inbound = ingest(reply_to(ticket, "outlook-windows-reply-pt.eml", notification))
    assert inbound.state == InboundState.ACCEPTED
    message = inbound.result_message
    assert message.body == "Bom dia,\n\nLimpei o cache do navegador e o site abriu. Obrigada pela ajuda!\n\nCarla"
    assert "Enviada em:" in message.body_original
    ticket.refresh_from_db()
    assert ticket.status == Status.CUSTOMER_REPLY
