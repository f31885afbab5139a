"""Sender authentication: a From header proves nothing; trusted Authentication-Results do."""

import pytest

from tickets.email.authentication import Result, judge
from tickets.email.inbound import Envelope, ingest
from tickets.models import AuthVerdict, InboundEmail, InboundState, Notification, Status
from tickets.tests.emls import eml, reply_to

pytestmark = pytest.mark.usefixtures("english")
LIST = "/staff/inbound/"


@pytest.fixture(autouse=True)
def _trusted_host(settings):
    settings.INBOUND_AUTHSERV_IDS = ["mx.example.com"]


def _answered(ticket, agent):
    ticket.reply(author=agent, body="Reiniciamos o PHP do seu plano. Pode verificar?")
    return Notification.objects.filter(ticket=ticket).latest("pk")


def test_a_forged_reply_whose_dmarc_fails_is_held_and_changes_nothing_on_the_ticket(ticket, agent):
    _answered(ticket, agent)
    status, messages, mails = ticket.status, ticket.messages.count(), Notification.objects.count()

    inbound = ingest(eml("forged-dmarc-fail-pt.eml", reference=ticket.reference))

    assert (inbound.state, inbound.reason, inbound.verdict) == (
        InboundState.HELD,
        "sender authentication failed",
        AuthVerdict.FAIL,
    )
    assert "dmarc=fail" in inbound.authentication and inbound.authentication.startswith("mx.example.com:")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.messages.count()) == (status, messages)
    assert Notification.objects.count() == mails  # nobody told: not the agents, not the (forged) sender


def test_a_forged_new_ticket_opens_nothing(customer, support):
    inbound = ingest(eml("forged-dmarc-fail-pt.eml", reference="000000"))
    assert inbound.state == InboundState.HELD and inbound.ticket is None
    assert not customer.tickets.exists()


def test_the_reason_and_the_results_are_shown_to_the_departments_staff_only(login, agent, other_agent, ticket):
    ingest(eml("forged-dmarc-fail-pt.eml", reference=ticket.reference))

    page = login(agent).get(LIST).content.decode()
    assert "sender authentication failed" in page
    assert "dmarc=fail" in page and "Failed" in page
    assert "pagamentos@atacante.example" in page  # staff read what was attempted

    assert "atacante" not in login(other_agent).get(LIST).content.decode()


def test_an_authenticated_reply_is_added_to_its_ticket(ticket, agent):
    notification = _answered(ticket, agent)
    inbound = ingest(reply_to(ticket, "authenticated-reply-en.eml", notification))

    assert (inbound.state, inbound.verdict) == (InboundState.ACCEPTED, AuthVerdict.PASS)
    assert (
        ticket.messages.latest("created_at").body
        == "The site is back, thanks. Only the contact page is still slow.\n\nCarla"
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.CUSTOMER_REPLY


def test_results_stamped_by_a_host_we_do_not_trust_are_ignored(settings, ticket, agent):
    settings.INBOUND_AUTHSERV_IDS = ["mx2.example.com"]
    notification = _answered(ticket, agent)
    inbound = ingest(reply_to(ticket, "authenticated-reply-en.eml", notification))
    assert (inbound.verdict, inbound.authentication) == (AuthVerdict.NONE, "")


def test_mail_nobody_checked_is_held_when_the_installation_says_so(settings, ticket, agent):
    settings.INBOUND_UNAUTHENTICATED = "hold"
    notification = _answered(ticket, agent)
    unchecked = ingest(reply_to(ticket, "gmail-reply-pt.eml", notification))
    checked = ingest(reply_to(ticket, "authenticated-reply-en.eml", notification))

    assert (unchecked.state, unchecked.reason, unchecked.verdict) == (
        InboundState.HELD,
        "sender not authenticated",
        AuthVerdict.NONE,
    )
    assert checked.state == InboundState.ACCEPTED


def test_by_default_mail_nobody_checked_is_accepted(ticket, agent):
    notification = _answered(ticket, agent)
    inbound = ingest(reply_to(ticket, "gmail-reply-pt.eml", notification))
    assert (inbound.state, inbound.verdict) == (InboundState.ACCEPTED, AuthVerdict.NONE)


TRUSTED = "mx.example.com"


@pytest.mark.parametrize(
    ("headers", "verdict"),
    [
        ([f"{TRUSTED}; spf=fail smtp.mailfrom=example.com; dkim=fail header.d=example.com"], AuthVerdict.FAIL),
        ([f"{TRUSTED}; spf=softfail smtp.mailfrom=example.com"], AuthVerdict.FAIL),
        ([f"{TRUSTED}; spf=fail smtp.mailfrom=example.com; dkim=pass header.d=example.com"], AuthVerdict.PASS),
        ([f"{TRUSTED}; dmarc=fail header.from=example.com; dkim=pass header.d=example.com"], AuthVerdict.FAIL),
        ([f"{TRUSTED}; dkim=pass header.d=example.com"], AuthVerdict.PASS),
        # A signature of the forger's own domain says nothing about ours.
        ([f"{TRUSTED}; dkim=pass header.d=atacante.example"], AuthVerdict.NONE),
        ([f"{TRUSTED}; spf=pass smtp.mailfrom=bounces.example.com"], AuthVerdict.PASS),
        ([f"{TRUSTED}; spf=temperror smtp.mailfrom=example.com"], AuthVerdict.NONE),
        ([f"{TRUSTED}; none"], AuthVerdict.NONE),
        # A "pass" the sender wrote under our authserv-id cannot hide the real "fail".
        (
            [f"{TRUSTED}; dmarc=fail header.from=example.com", f"{TRUSTED}; dmarc=pass header.from=example.com"],
            AuthVerdict.FAIL,
        ),
        (["atacante.example; dmarc=pass header.from=example.com"], AuthVerdict.NONE),
        (["this is not an Authentication-Results value"], AuthVerdict.NONE),
    ],
)
def test_the_verdict_follows_dmarc_then_spf_and_dkim(headers, verdict):
    assert judge(headers, "cliente@example.com").verdict == verdict


def test_a_providers_report_counts_like_a_trusted_header():
    failed = (Result("spf", "fail", "example.com"), Result("dkim", "fail"))
    assert judge([], "cliente@example.com", failed).verdict == AuthVerdict.FAIL
    assert judge([], "cliente@example.com", (Result("dmarc", "pass"),)).verdict == AuthVerdict.PASS


def test_an_envelope_from_the_provider_with_failing_results_holds_the_mail(customer, support):
    envelope = Envelope(recipient="suporte@example.com", results=(Result("dmarc", "fail"),))
    inbound = ingest(eml("gmail-new-ticket-pt.eml"), envelope=envelope)
    assert (inbound.state, inbound.verdict) == (InboundState.HELD, AuthVerdict.FAIL)
    assert not InboundEmail.objects.exclude(pk=inbound.pk).exists() and not customer.tickets.exists()
