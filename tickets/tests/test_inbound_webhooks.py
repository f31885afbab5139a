"""Providers' inbound webhooks (through django-anymail) feed the same ingestion as the pipe."""

import base64
import hashlib
import hmac
import json

import pytest

from tickets.models import InboundEmail, InboundState, Ticket
from tickets.tests.emls import eml

SECRET = "anymail:hook-s3cret"
MAILGUN_KEY = "mailgun-signing-key"


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    settings.MAIL_WEBHOOK_PROVIDERS = ["mailgun", "postmark", "sendgrid", "amazon_ses"]


def _auth(credentials=SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def _mailgun_form(raw, recipient, key=MAILGUN_KEY):
    """Mailgun's "forward" route with raw MIME: a form post with body-mime and a signature."""
    timestamp, token = "1715004300", "f1c8a02ee1b44c3d9b5a6e7f80a1b2c3d4e5f60718293a4b5c"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "body-mime": raw.decode("utf-8"),
        "recipient": recipient,
        "sender": "cliente@example.com",
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }


def test_mailgun_raw_mime_post_opens_a_ticket_in_the_envelope_recipients_department(client, customer, support, billing):
    form = _mailgun_form(eml("gmail-new-ticket-pt.eml"), "financeiro@example.com")
    response = client.post("/anymail/mailgun/inbound_mime/", form, **_auth())

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.department) == (customer, billing)
    assert ticket.subject == "Não consigo acessar meu site — erro 500"
    assert InboundEmail.objects.get().state == InboundState.ACCEPTED


@pytest.mark.parametrize(
    ("credentials", "key"),
    [("anymail:wrong", MAILGUN_KEY), (None, MAILGUN_KEY), (SECRET, "forged-key")],
    ids=["wrong password", "no credentials", "bad signature"],
)
def test_mailgun_posts_without_valid_credentials_and_signature_are_refused(client, customer, support, credentials, key):
    form = _mailgun_form(eml("gmail-new-ticket-pt.eml"), "suporte@example.com", key=key)
    headers = _auth(credentials) if credentials else {}
    response = client.post("/anymail/mailgun/inbound_mime/", form, **headers)
    assert response.status_code == 400
    assert not InboundEmail.objects.exists() and not Ticket.objects.exists()


def _postmark(raw=None):
    """Postmark's inbound JSON; with "Include raw email content" on, RawEmail carries the whole message."""
    payload = {
        "FromName": "Carla Cliente",
        "From": "cliente@example.com",
        "FromFull": {"Email": "cliente@example.com", "Name": "Carla Cliente", "MailboxHash": ""},
        "To": "suporte@example.com",
        "ToFull": [{"Email": "suporte@example.com", "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "OriginalRecipient": "suporte@example.com",
        "Subject": "Backup do banco de dados",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Tue, 7 May 2024 09:00:00 -0300",
        "TextBody": "Preciso restaurar o backup de ontem.\n\nCarla",
        "HtmlBody": "<p>Preciso restaurar o backup de ontem.</p><p>Carla</p>",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": "<cliente@example.com>"},
            {"Name": "Message-ID", "Value": "<CABkup-1@mail.gmail.com>"},
            {"Name": "MIME-Version", "Value": "1.0"},
        ],
        "Attachments": [],
    }
    if raw is not None:
        payload["RawEmail"] = raw.decode("utf-8")
    return json.dumps(payload)


def test_postmark_json_with_raw_email_opens_a_ticket(client, customer, support):
    response = client.post(
        "/anymail/postmark/inbound/", _postmark(eml("gmail-new-ticket-pt.eml")), "application/json", **_auth()
    )
    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Não consigo acessar meu site — erro 500"


def test_postmark_json_of_parsed_fields_opens_a_ticket(client, customer, support):
    response = client.post("/anymail/postmark/inbound/", _postmark(), "application/json", **_auth())
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.subject) == (customer, "Backup do banco de dados")
    assert ticket.messages.get().body == "Preciso restaurar o backup de ontem.\n\nCarla"
    assert InboundEmail.objects.get().message_id == "<CABkup-1@mail.gmail.com>"


def test_postmark_posts_with_wrong_credentials_are_refused(client, customer, support):
    response = client.post("/anymail/postmark/inbound/", _postmark(), "application/json", **_auth("anymail:nope"))
    assert response.status_code == 400
    assert not InboundEmail.objects.exists()


def test_sendgrid_raw_post_opens_a_ticket_with_the_attachment(client, customer, support):
    form = {
        "email": eml("apple-mail-png-pt.eml").decode("utf-8").replace("joao@cliente.example", "cliente@example.com"),
        "envelope": json.dumps({"to": ["suporte@example.com"], "from": "cliente@example.com"}),
        "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}),
        "spam_score": "0.1",
    }
    response = client.post("/anymail/sendgrid/inbound/", form, **_auth())

    assert response.status_code == 200
    message = Ticket.objects.get().messages.get()
    assert message.attachments.get().content_type == "image/png"


def test_the_same_message_posted_twice_by_the_provider_is_stored_once(client, customer, support):
    form = _mailgun_form(eml("gmail-new-ticket-pt.eml"), "suporte@example.com")
    codes = [client.post("/anymail/mailgun/inbound_mime/", form, **_auth()).status_code for _ in range(2)]
    assert codes == [200, 200]
    assert InboundEmail.objects.count() == 1 and Ticket.objects.count() == 1


def test_automatic_mail_posted_by_the_provider_is_dropped(client, customer, ticket):
    raw = eml("out-of-office-en.eml", reference=ticket.reference, in_reply_to="x@example.com")
    response = client.post("/anymail/mailgun/inbound_mime/", _mailgun_form(raw, "suporte@example.com"), **_auth())
    assert response.status_code == 200
    assert InboundEmail.objects.get().state == InboundState.DROPPED


# Closed by default: no credentials, no route; wrong credentials, 400 for every provider.

ROUTES = [
    "/anymail/mailgun/inbound_mime/",
    "/anymail/mailgun/tracking/",
    "/anymail/postmark/inbound/",
    "/anymail/postmark/tracking/",
    "/anymail/sendgrid/inbound/",
    "/anymail/sendgrid/tracking/",
    "/anymail/amazon_ses/inbound/",
    "/anymail/amazon_ses/tracking/",
]


@pytest.mark.parametrize("url", ROUTES)
def test_a_webhook_without_credentials_is_not_served(settings, client, customer, support, url):
    settings.ANYMAIL = {}
    response = client.post(url, _postmark(), "application/json")
    assert response.status_code == 404
    assert not InboundEmail.objects.exists()


@pytest.mark.parametrize("url", ROUTES)
def test_a_webhook_of_a_provider_we_do_not_use_is_not_served(settings, client, customer, support, url):
    settings.MAIL_WEBHOOK_PROVIDERS = ["postmark"]
    if "postmark" not in url:
        assert client.post(url, _postmark(), "application/json", **_auth()).status_code == 404


@pytest.mark.parametrize("url", ROUTES)
@pytest.mark.parametrize("credentials", ["anymail:wrong", None], ids=["wrong", "missing"])
def test_wrong_or_missing_credentials_are_refused_by_every_provider(client, customer, support, url, credentials):
    headers = _auth(credentials) if credentials else {}
    response = client.post(url, _postmark(), "application/json", **headers)
    # Amazon SNS sends its credentials only after a 401 asking for them; every other refusal is a 400.
    assert response.status_code == (401 if "amazon_ses" in url and credentials is None else 400)
    assert not InboundEmail.objects.exists() and not Ticket.objects.exists()


def test_mailgun_without_its_signing_key_is_not_served_even_with_the_basic_auth_secret(settings, client, support):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    form = _mailgun_form(eml("gmail-new-ticket-pt.eml"), "suporte@example.com")
    assert client.post("/anymail/mailgun/inbound_mime/", form, **_auth()).status_code == 404


def test_the_deploy_check_names_a_provider_whose_webhook_would_be_open(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    settings.MAIL_WEBHOOK_PROVIDERS = ["mailgun", "postmark"]
    with pytest.raises(SystemCheckError) as error:
        call_command("check", "--deploy", "--tag", "security")
    assert "tickets.E001" in str(error.value) and "The postmark webhook" in str(error.value)
    assert "The mailgun webhook" not in str(error.value)

    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    call_command("check", "--deploy", "--tag", "security", "--fail-level", "ERROR")


# What the provider reports of the sender's authentication


def test_mailgun_reporting_failed_spf_and_dkim_holds_the_mail(client, customer, support):
    form = _mailgun_form(eml("gmail-new-ticket-pt.eml"), "suporte@example.com")
    form.update({"X-Mailgun-Spf": "Fail", "X-Mailgun-Dkim-Check-Result": "Fail"})
    assert client.post("/anymail/mailgun/inbound_mime/", form, **_auth()).status_code == 200
    inbound = InboundEmail.objects.get()
    assert (inbound.state, inbound.reason) == (InboundState.HELD, "sender authentication failed")
    assert "spf=fail" in inbound.authentication and not Ticket.objects.exists()


def test_sendgrid_reporting_a_passing_dkim_signature_of_the_senders_domain_passes(client, customer, support):
    form = {
        "email": eml("gmail-new-ticket-pt.eml").decode("utf-8"),
        "envelope": json.dumps({"to": ["suporte@example.com"], "from": "cliente@example.com"}),
        "SPF": "softfail",
        "dkim": "{@example.com : pass}",
    }
    assert client.post("/anymail/sendgrid/inbound/", form, **_auth()).status_code == 200
    inbound = InboundEmail.objects.get()
    assert (inbound.state, inbound.verdict) == (InboundState.ACCEPTED, "pass")


# Bounces and machine mail, however they arrive


def _postmark_bounce(notification):
    """A bounce as Postmark's parsed inbound JSON gives it: no Return-Path, no multipart/report left."""
    payload = json.loads(_postmark())
    payload.update(
        {
            "From": "MAILER-DAEMON@mx.cliente.example",
            "FromFull": {"Email": "MAILER-DAEMON@mx.cliente.example", "Name": "Mail Delivery System"},
            "Subject": "Undelivered Mail Returned to Sender",
            "TextBody": "This is the mail system at host mx.cliente.example.\n\n"
            "<cliente@example.com>: host mx.cliente.example said: 550 5.1.1 User unknown\n\n"
            "Reporting-MTA: dns; mx.cliente.example\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n\n"
            f"Subject: [#123456] Site fora do ar\nMessage-ID: {notification.message_id}\n",
            "HtmlBody": "",
            "Headers": [{"Name": "Message-ID", "Value": "<bounce-77@mx.cliente.example>"}],
        }
    )
    return json.dumps(payload)


def test_a_bounce_through_a_webhook_is_dropped_without_notice_and_marks_the_delivery_bounced(client, ticket, agent):
    from tickets.models import DeliveryState, Notification

    ticket.reply(author=agent, body="Reiniciamos o PHP.")
    notification = Notification.objects.filter(ticket=ticket).latest("pk")
    Notification.objects.filter(pk=notification.pk).update(state=DeliveryState.SENT)
    before = Notification.objects.count()

    response = client.post("/anymail/postmark/inbound/", _postmark_bounce(notification), "application/json", **_auth())

    assert response.status_code == 200
    inbound = InboundEmail.objects.get()
    assert inbound.state == InboundState.DROPPED and inbound.notice_sent_at is None
    assert Notification.objects.count() == before
    notification.refresh_from_db()
    assert notification.state == DeliveryState.BOUNCED and "550 5.1.1" in notification.last_error


def test_mail_whose_envelope_sender_is_empty_is_dropped(client, customer, support):
    form = _mailgun_form(eml("unknown-sender-en.eml"), "suporte@example.com")
    form["sender"] = ""
    assert client.post("/anymail/mailgun/inbound_mime/", form, **_auth()).status_code == 200
    inbound = InboundEmail.objects.get()
    assert inbound.state == InboundState.DROPPED and inbound.notice_sent_at is None
