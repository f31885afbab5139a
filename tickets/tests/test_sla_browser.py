"""Response targets in a real browser: the supervisor's dashboard, and a customer escalating a ticket."""

import re

import pytest
from playwright.sync_api import expect

from tickets.models import EventKind, Ticket
from tickets.tests.browser import log_in

pytestmark = pytest.mark.browser


def _csp_violations(page):
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    return violations


def test_the_supervisor_reads_the_dashboard_on_a_desktop_and_a_phone(demo, page):
    violations = _csp_violations(page)
    log_in(page, "supervisor@example.com")
    page.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/staff/dashboard/$"))
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("New tickets by service"))).to_be_visible()
    page.get_by_role("link", name="Last 90 days").click()
    expect(page.get_by_role("link", name="Last 90 days")).to_have_attribute("aria-current", "page")
    page.get_by_text("Show the figures as a table").first.click()
    expect(page.get_by_role("table", name="New tickets by service")).to_be_visible()
    page.screenshot(path="/tmp/sla-dashboard.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    # Wide tables scroll inside their box; the page itself does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="/tmp/sla-dashboard-phone.png", full_page=True)
    assert violations == []


def test_the_customer_escalates_an_answer_that_did_not_help(demo, page):
    violations = _csp_violations(page)
    ticket = Ticket.objects.get(subject="Erro ao enviar e-mails")
    log_in(page, "cliente@example.com")
    page.goto(ticket.get_absolute_url())
    page.get_by_text("Escalate to a supervisor").first.click()
    page.get_by_label("Why are you escalating?").fill("Testei de novo e os e-mails continuam voltando com erro 550.")
    page.get_by_role("button", name="Escalate to a supervisor").click()
    expect(page.get_by_role("status").first).to_contain_text("Ticket escalated")
    expect(page.get_by_text("continuam voltando com erro 550")).to_be_visible()
    expect(page.get_by_role("button", name="Escalate to a supervisor")).to_have_count(0)
    page.screenshot(path="/tmp/sla-escalated.png", full_page=True)
    assert ticket.events.filter(kind=EventKind.ESCALATED).count() == 1
    assert violations == []
