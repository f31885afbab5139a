"""Satisfaction in a real browser: the agent closes a demo ticket in the workspace, the customer
follows the bad-rating link of the closing e-mail without logging in, confirms it with a comment
and reaches the thank-you page; the agent then sees the rating in the workspace. The rating page
is also looked at in Portuguese. Screenshots go to /tmp/issue17-*.png."""

import re

import pytest
from playwright.sync_api import expect

from tickets.models import Rating, Ticket
from tickets.tests.browser import log_in
from tickets.tests.notifications import bodies

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("tasks_in_process")]

SCREENSHOTS = "/tmp/issue17-{name}.png"
LINK = re.compile(r"https?://[^\s]+/tickets/\d+/rate/[\w.:-]+/\?score=(\w+)")


def closing_links(mailoutbox, ticket):
    (mail,) = [m for m in mailoutbox if m.to == ["cliente@example.com"] and str(ticket.reference) in m.subject]
    text, _html = bodies(mail)
    return {match.group(1): match.group(0) for match in LINK.finditer(text)}


def test_from_the_e_mail_link_to_the_thank_you_page_and_the_rating_shown_to_staff(
    demo, page, browser, live_server, settings, mailoutbox
):
    settings.SITE_URL = live_server.url
    ticket = Ticket.objects.get(subject="Site fora do ar")
    log_in(page, "agente@example.com")
    page.goto(f"/staff/tickets/{ticket.reference}/")
    mailoutbox.clear()
    page.select_option("#details_status", "closed")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Ticket details saved.")).to_be_visible()

    links = closing_links(mailoutbox, ticket)
    assert set(links) == {"good", "bad"}
    html = [m for m in mailoutbox if m.to == ["cliente@example.com"]][0].alternatives[0][0]
    reader = browser.new_page()  # a blank page, as a mail client shows it (no site policy on inline styles)
    reader.set_content(html)
    reader.screenshot(path=SCREENSHOTS.format(name="closing-mail-en"), full_page=True)
    reader.close()
    mailoutbox.clear()

    customer = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    mail_reader = customer.new_page()
    mail_reader.goto(links["bad"])
    expect(mail_reader.get_by_role("heading", name="How did we do?")).to_be_visible()
    expect(mail_reader.get_by_label("Bad")).to_be_checked()
    expect(mail_reader.get_by_label("Good")).not_to_be_checked()
    assert not Rating.objects.exists()  # following the link recorded nothing
    mail_reader.screenshot(path=SCREENSHOTS.format(name="rate-en"), full_page=True)

    mail_reader.get_by_label("Comment (optional)").fill("Three days without an answer.")
    mail_reader.get_by_role("button", name="Send my rating").click()
    expect(mail_reader.get_by_role("heading", name="Thank you for your rating")).to_be_visible()
    expect(mail_reader.get_by_text("Three days without an answer.")).to_be_visible()
    mail_reader.screenshot(path=SCREENSHOTS.format(name="thanks-en"), full_page=True)
    customer.close()

    assert Rating.objects.get().score == "bad"
    assert [m.to for m in mailoutbox] == [["supervisor@example.com"]]

    page.reload()
    card = page.locator("section.hd-satisfaction")
    expect(card.get_by_text("Bad")).to_be_visible()
    expect(card.get_by_text("Three days without an answer.")).to_be_visible()
    expect(page.locator(".hd-event", has_text="The customer rated the service: Bad")).to_be_visible()
    page.screenshot(path=SCREENSHOTS.format(name="workspace-en"), full_page=True)

    supervisor = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900})
    dashboard = supervisor.new_page()
    log_in(dashboard, "supervisor@example.com")
    dashboard.goto("/staff/dashboard/")
    section = dashboard.locator("section", has=dashboard.get_by_role("heading", name="Customer satisfaction"))
    expect(section.locator(".hd-kpi", has_text="Dissatisfied").locator(".hd-kpi-value")).to_have_text("1")
    expect(section.get_by_text("Three days without an answer.")).to_be_visible()
    section.screenshot(path=SCREENSHOTS.format(name="dashboard-en"))
    section.get_by_role("link", name=re.compile("Dissatisfied")).click()
    expect(dashboard.locator("table.hd-queue tbody tr", has_text="Site fora do ar")).to_have_count(1)
    supervisor.close()


def test_the_rating_page_and_the_closed_ticket_ask_in_portuguese(demo, browser, live_server, settings, mailoutbox):
    settings.SITE_URL = live_server.url
    ticket = Ticket.objects.get(subject="Site fora do ar")
    mailoutbox.clear()
    ticket.close(by=ticket.assignee)
    links = closing_links(mailoutbox, ticket)

    context = browser.new_context(base_url=live_server.url, locale="pt-BR", viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.goto(links["good"])
    expect(tab.get_by_role("heading", name="Como nos saímos?")).to_be_visible()
    expect(tab.get_by_label("Bom")).to_be_checked()
    tab.screenshot(path=SCREENSHOTS.format(name="rate-pt-phone"), full_page=True)

    log_in_pt(tab)
    tab.goto(ticket.get_absolute_url())
    ask = tab.locator("section.hd-satisfaction")
    expect(ask.get_by_text("Como foi o nosso atendimento neste ticket?")).to_be_visible()
    ask.get_by_label("Bom").check()
    ask.get_by_role("button", name="Enviar minha avaliação").click()
    expect(tab.get_by_role("heading", name="Obrigado pela sua avaliação")).to_be_visible()
    tab.screenshot(path=SCREENSHOTS.format(name="thanks-pt-phone"), full_page=True)
    tab.get_by_role("link", name="Voltar ao ticket").click()
    expect(tab.locator("section.hd-satisfaction").get_by_text("Sua avaliação:")).to_be_visible()
    tab.screenshot(path=SCREENSHOTS.format(name="ticket-pt-phone"), full_page=True)
    context.close()


def log_in_pt(tab):
    tab.goto("/accounts/login/")
    tab.fill('input[name="login"]', "cliente@example.com")
    tab.fill('input[name="password"]', "demo12345")
    tab.click('form[action="/accounts/login/"] button[type="submit"]')
    expect(tab).not_to_have_url(re.compile(r"/accounts/login/"))
