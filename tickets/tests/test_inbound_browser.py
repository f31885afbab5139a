"""Mail in a real browser: a reply piped in shows in the customer's thread; an agent reviews held mail."""

import pytest
from playwright.sync_api import expect

from tickets.email.inbound import ingest
from tickets.models import InboundState, Notification, NotificationKind, Ticket
from tickets.tests.browser import log_in
from tickets.tests.emls import eml, reply_to

pytestmark = pytest.mark.browser


def test_a_reply_by_email_shows_in_the_customers_thread_without_the_quote(demo, page):
    notification = Notification.objects.filter(
        kind=NotificationKind.STAFF_REPLY, recipient="cliente@example.com", ticket__status="answered"
    ).first()
    ticket = notification.ticket
    ingest(reply_to(ticket, "gmail-reply-pt.eml", notification))

    log_in(page, "cliente@example.com")
    page.goto(f"/tickets/{ticket.reference}/")
    last = page.locator(".hd-message").last
    expect(last).to_contain_text("O site voltou, obrigada!")
    expect(last).to_contain_text("by e-mail")
    expect(last).not_to_contain_text("Reiniciamos o PHP")
    page.screenshot(path="/tmp/mailin-browser-reply.png", full_page=True)


def test_an_agent_accepts_held_mail_as_a_guest_ticket_at_phone_width(demo, page):
    held = ingest(eml("unknown-sender-en.eml"))
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "agente@example.com")

    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("link", name="Held mail").click()
    expect(page.get_by_role("heading", name="Cannot log in – help")).to_be_visible()
    page.screenshot(path="/tmp/mailin-browser-held.png", full_page=True)
    page.get_by_role("button", name="Open a guest ticket").click()

    ticket = Ticket.objects.get(guest_email="nina@novo-cliente.example")
    expect(page.get_by_role("status").first).to_contain_text(f"Ticket {ticket.display_reference} was opened")
    expect(page.get_by_text("Nothing here.")).to_be_visible()
    held.refresh_from_db()
    assert held.state == InboundState.ACCEPTED
    assert violations == []
