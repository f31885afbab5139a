"""The staff side in a real browser: the demo agent filters the queue, opens a ticket, answers
it with a canned reply, and the customer then reads the answer; and the same work without
JavaScript. Screenshots of both pages at desktop and phone width go to /tmp."""

import re

import pytest
from playwright.sync_api import expect

from tickets.models import CannedReply, Status, Ticket
from tickets.tests.browser import log_in

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/issue4-{name}.png"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(demo):
    """The demo data with a canned reply of every department."""
    CannedReply.objects.create(
        title="Servidor reiniciado",
        body="Olá {customer_name}, reiniciamos o servidor do ticket {reference}. {agent_name}",
    )


@pytest.fixture
def csp_violations(page):
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    return violations


def test_agent_filters_opens_and_answers_and_the_customer_reads_the_answer(
    demo, page, browser, live_server, csp_violations
):
    ticket = Ticket.objects.get(subject="Site fora do ar")
    log_in(page, "agente@example.com")
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", name="Staff queue")).to_be_visible()

    page.select_option("#filter_priority", "high")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"priority=high"))
    rows = page.locator("table.hd-queue tbody tr")
    expect(rows.filter(has_text="Site fora do ar")).to_have_count(1)
    expect(rows.filter(has_text="Erro ao enviar e-mails")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS.format(name="queue-desktop"), full_page=True)

    page.get_by_role("link", name=re.compile("Site fora do ar")).click()
    expect(page).to_have_url(re.compile(rf"/staff/tickets/{ticket.reference}/$"))
    page.select_option("#id_canned", label="Servidor reiniciado")
    page.get_by_role("button", name="Insert").click()  # the script inserts it, no round trip
    expect(page.locator("#id_body")).to_have_value(
        f"Olá Carla Cliente, reiniciamos o servidor do ticket #{ticket.reference}. André Agente"
    )
    page.locator("#id_body").press("End")
    page.locator("#id_body").type("\nPode verificar?")
    page.screenshot(path=SCREENSHOTS.format(name="ticket-desktop"), full_page=True)
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent.")).to_be_visible()
    expect(page.locator(".hd-message-staff").last).to_contain_text("Pode verificar?")

    ticket.refresh_from_db()
    assert ticket.status == Status.ANSWERED

    page.set_viewport_size(PHONE)
    page.screenshot(path=SCREENSHOTS.format(name="ticket-phone"), full_page=True)
    page.goto("/staff/")
    page.screenshot(path=SCREENSHOTS.format(name="queue-phone"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert csp_violations == []

    customer = browser.new_context(base_url=live_server.url, locale="en-US")
    customer_page = customer.new_page()
    log_in(customer_page, "cliente@example.com")
    customer_page.goto(ticket.get_absolute_url())
    expect(customer_page.get_by_text("reiniciamos o servidor do ticket")).to_be_visible()
    expect(customer_page.get_by_text("Pode verificar?")).to_be_visible()
    customer.close()


def test_without_javascript_the_agent_inserts_a_canned_reply_and_closes_tickets_in_bulk(demo, browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    log_in(page, "agente@example.com")
    page.goto("/staff/")
    expect(page.locator("#select-all")).to_be_hidden()

    ticket = Ticket.objects.get(subject="Lentidão no painel")
    page.get_by_role("link", name=re.compile("Lentidão no painel")).click()
    page.select_option("#id_canned", label="Servidor reiniciado")
    page.get_by_role("button", name="Insert").click()
    expect(page.locator("#id_body")).to_have_value(re.compile("^Olá Carla Cliente, reiniciamos"))
    page.get_by_role("button", name="Add internal note").click()
    expect(page.get_by_text("Internal note added.")).to_be_visible()
    assert ticket.messages.last().internal

    page.goto("/staff/")
    others = Ticket.objects.filter(subject__in=["Lentidão no painel", "Backup do banco de dados"])
    for other in others:
        page.get_by_label(f"Select #{other.reference}").check()
    page.get_by_role("button", name="Close", exact=True).click()
    expect(page.get_by_text("2 tickets changed.")).to_be_visible()
    assert {t.status for t in others.all()} == {Status.CLOSED}
    context.close()
