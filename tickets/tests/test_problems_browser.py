"""Recurring problems in a real browser.

The agent ties two customers' tickets to one problem from the workspace and the problem's page,
replies once, and both customers read the reply in their own threads and mailboxes. A customer
sees the known-issue note on the new-ticket form and on the ticket page. Screenshots of the pages
in English and Portuguese go to /tmp."""

import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from accounts.models import User
from departments.models import Department, Service
from tickets.models import Problem, Status, Ticket
from tickets.tests.browser import DEMO_PASSWORD, log_in
from tickets.tests.notifications import bodies, to

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("tasks_in_process")]

SCREENSHOTS = "/tmp/issue16-{name}.png"
NOTE = "Our server web01 is down since 13:00; we expect it back by 15:00."


@pytest.fixture
def second_customer(demo):
    user = User.objects.create_user("maria@example.com", DEMO_PASSWORD, name="Maria Souza", language="pt-br")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _outage(customer, subject):
    return Ticket.open(
        customer=customer,
        department=Department.objects.get(slug="suporte"),
        service=Service.objects.get(name="Hospedagem"),
        subject=subject,
        body="My site shows error 500 since 13:00.",
    )


def test_agent_links_two_tickets_replies_once_and_both_customers_read_it(
    demo, second_customer, page, browser, live_server, mailoutbox
):
    carla = User.objects.get(email="cliente@example.com")
    first = _outage(carla, "Site down with error 500")
    second = _outage(second_customer, "Error 500 on my site")
    mailoutbox.clear()

    log_in(page, "agente@example.com")
    page.goto(first.get_staff_url())
    panel = page.locator(".hd-problem-panel")
    expect(panel.locator(".hd-similar")).to_contain_text(second.subject)
    page.screenshot(path=SCREENSHOTS.format(name="workspace-en"), full_page=True)
    panel.get_by_role("link", name="New problem from this ticket").click()
    page.fill("#id_title", "web01 down")
    page.fill("#id_public_note", NOTE)
    page.get_by_role("button", name="Open the problem").click()
    problem = Problem.objects.get(title="web01 down")
    expect(page).to_have_url(re.compile(rf"/staff/problems/{problem.pk}/$"))

    page.fill("#id_reference", f"#{second.reference}")
    page.get_by_role("button", name="Link", exact=True).click()
    expect(page.locator(".hd-problem-tickets")).to_contain_text(second.subject)
    expect(page.locator(".hd-problem-tickets")).to_contain_text(first.subject)

    page.locator("form[action$='/reply/'] textarea").fill("We replaced the failed disk; sites are coming back.")
    page.get_by_role("button", name="Send to every linked ticket").click()
    expect(page.get_by_text("The reply goes to 2 open tickets")).to_be_visible()
    expect(page.locator(".hd-broadcast-progress")).to_contain_text("posted to 2 of 2 tickets")
    page.screenshot(path=SCREENSHOTS.format(name="problem-en"), full_page=True)

    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.status == Status.ANSWERED
    # Each customer got the reply by e-mail, about their own ticket.
    for address, ticket in (("cliente@example.com", first), ("maria@example.com", second)):
        mail = to(mailoutbox, address)
        assert f"[{ticket.display_reference}]" in mail.subject
        assert "We replaced the failed disk" in bodies(mail)[0]

    for email, ticket in (("cliente@example.com", first), ("maria@example.com", second)):
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        customer_page = context.new_page()
        log_in_pt(customer_page, email)  # Maria reads in Portuguese, her own choice
        customer_page.goto(ticket.get_absolute_url())
        expect(customer_page.locator(".hd-message-staff")).to_contain_text("We replaced the failed disk")
        expect(customer_page.locator(".hd-known-problem")).to_contain_text(NOTE)
        context.close()

    # In Portuguese, the same pages.
    pt = browser.new_context(base_url=live_server.url, locale="pt-BR", viewport={"width": 1280, "height": 900})
    pt_page = pt.new_page()
    log_in_pt(pt_page, "agente@example.com")
    pt_page.goto(problem.get_absolute_url())
    expect(pt_page.get_by_role("heading", name="Responder a todos os tickets vinculados")).to_be_visible()
    pt_page.screenshot(path=SCREENSHOTS.format(name="problem-pt"), full_page=True)
    pt_page.goto(first.get_staff_url())
    pt_page.screenshot(path=SCREENSHOTS.format(name="workspace-pt"), full_page=True)
    pt_page.goto("/staff/problems/")
    pt_page.screenshot(path=SCREENSHOTS.format(name="list-pt"), full_page=True)
    pt.close()


def log_in_pt(page, email):
    """Log in through the form, whatever the page's language."""
    page.goto("/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.click('form[action="/accounts/login/"] button[type="submit"]')
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_customer_sees_the_known_issue_on_the_new_ticket_form_and_on_the_ticket_page(demo, page, browser, live_server):
    agent = User.objects.get(email="agente@example.com")
    carla = User.objects.get(email="cliente@example.com")
    problem = Problem.open_from(
        by=agent,
        department=Department.objects.get(slug="suporte"),
        service=Service.objects.get(name="Hospedagem"),
        title="web01 disk full (internal)",
        public_note=NOTE,
    )
    log_in(page, "cliente@example.com")
    page.goto("/tickets/new/")
    page.get_by_role("link", name="Open a ticket with Suporte").click()
    known = page.locator(".hd-known-issues")
    expect(known).to_contain_text("Known issues")
    expect(known).to_contain_text(NOTE)
    expect(known).not_to_contain_text("internal")
    page.screenshot(path=SCREENSHOTS.format(name="new-ticket-en"), full_page=True)

    # They may still open a ticket; once staff link it, its page shows the note.
    page.fill("#id_subject", "My site is down")
    page.fill("#id_summary", "Error 500")
    page.select_option("#id_service", label="Hospedagem")
    page.fill("#id_body", "Since 13:00.")
    page.get_by_role("button", name="Open ticket").click()
    ticket = Ticket.objects.get(subject="My site is down", customer=carla)
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.reference}/$"))
    expect(page.locator(".hd-known-problem")).to_have_count(0)
    problem.link(ticket, by=agent)
    page.reload()
    expect(page.locator(".hd-known-problem")).to_contain_text("This is a known issue: our team is working on it")
    expect(page.locator(".hd-known-problem")).to_contain_text(NOTE)
    expect(page.get_by_text("Our team linked this ticket to a known issue")).to_be_visible()
    page.screenshot(path=SCREENSHOTS.format(name="ticket-en"), full_page=True)

    pt = browser.new_context(base_url=live_server.url, locale="pt-BR")
    pt_page = pt.new_page()
    log_in_pt(pt_page, "cliente@example.com")
    pt_page.goto("/tickets/new/suporte/")
    expect(pt_page.locator(".hd-known-issues")).to_contain_text("Problemas conhecidos")
    pt_page.screenshot(path=SCREENSHOTS.format(name="new-ticket-pt"), full_page=True)
    pt_page.goto(ticket.get_absolute_url())
    expect(pt_page.locator(".hd-known-problem")).to_contain_text(NOTE)
    pt_page.screenshot(path=SCREENSHOTS.format(name="ticket-pt"), full_page=True)
    pt.close()
