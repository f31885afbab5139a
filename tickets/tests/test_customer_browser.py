"""The customer panel in a real browser: the demo customer opens, finds, answers and closes a ticket."""

import re

import pytest
from playwright.sync_api import expect

from tickets.models import Status, Ticket
from tickets.tests.browser import log_in
from tickets.tests.files import png_bytes

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/issue3-{name}.png"

# The image's width once the browser has fetched it (0 when it failed to load). A visible
# <img> may still be loading, all the more so with loading="lazy", so read it only after
# its load or error event.
LOADED_WIDTH = """img => img.complete ? img.naturalWidth : new Promise(done => {
    img.addEventListener("load", () => done(img.naturalWidth), {once: true});
    img.addEventListener("error", () => done(0), {once: true});
})"""


def test_demo_customer_opens_finds_replies_to_and_closes_a_ticket(demo, page, tmp_path):
    screenshot = tmp_path / "erro-500.png"
    screenshot.write_bytes(png_bytes(size=(800, 500), color="#cc3333"))
    log_in(page, "cliente@example.com")

    page.get_by_role("link", name="Open a new ticket").click()
    expect(page).to_have_url(re.compile(r"/tickets/new/$"))
    page.get_by_role("link", name="Open a ticket with Suporte").click()
    page.fill("#id_subject", "Loja virtual fora do ar")
    page.fill("#id_summary", "Página inicial com erro 500")
    page.select_option("#id_priority", "high")
    page.select_option("#id_service", label="Hospedagem")
    page.fill("#id_site", "loja.exemplo.com.br")
    page.fill("#id_body", "Desde as 10h a loja mostra erro 500. Segue o print.")
    page.set_input_files("#id_attachments", str(screenshot))
    page.get_by_role("button", name="Open ticket").click()

    ticket = Ticket.objects.get(subject="Loja virtual fora do ar")
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.reference}/$"))
    expect(page.get_by_role("status").first).to_contain_text(f"Ticket #{ticket.reference} is open")
    # The link is named by the file's caption; the image inside it is not announced again.
    thumbnail = page.get_by_role("link", name="erro-500.png").locator("img")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate(LOADED_WIDTH) > 0

    page.get_by_role("link", name="My tickets").first.click()
    row = page.get_by_role("link", name=re.compile(f"#{ticket.reference}"))
    expect(row).to_contain_text("Loja virtual fora do ar")
    row.click()

    page.fill("#id_body", "Esqueci de dizer: o painel também está lento.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()
    expect(page.get_by_text("Esqueci de dizer: o painel também está lento.")).to_be_visible()

    page.get_by_text("Close this ticket").click()
    page.get_by_role("button", name="Yes, close the ticket").click()
    expect(page.get_by_text("Ticket closed.")).to_be_visible()
    expect(page.get_by_text("Closed by you")).to_be_visible()

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert [m.body for m in ticket.messages.all()][-1] == "Esqueci de dizer: o painel também está lento."
    assert ticket.messages.first().attachments.get().original_name == "erro-500.png"


def test_pages_fit_a_phone_screen_and_break_no_content_security_rule(demo, page):
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    page.screenshot(path=SCREENSHOTS.format(name="anonymous-home"), full_page=True)
    page.goto("/accounts/login/")
    page.screenshot(path=SCREENSHOTS.format(name="login"), full_page=True)
    log_in(page, "cliente@example.com")
    ticket = Ticket.objects.filter(messages__attachments__isnull=False).first()
    pages = {
        "home": "/",
        "list": "/tickets/",
        "new": "/tickets/new/",
        "form": "/tickets/new/suporte/",
        "detail": ticket.get_absolute_url(),
        "answered": Ticket.objects.filter(status=Status.ANSWERED).first().get_absolute_url(),
        "profile": "/accounts/profile/",
        "contacts": "/accounts/contacts/",
        "email": "/accounts/email/",
        "password": "/accounts/password/change/",
    }
    for name, url in pages.items():
        page.goto(url)
        page.screenshot(path=SCREENSHOTS.format(name=name), full_page=True)
        # Nothing may stick out sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    # An inline style or script would be blocked by the Content-Security-Policy and reported here.
    assert violations == []
