"""Attachments in a real browser: checked before upload, good files kept after a refusal, screenshots
pasted or dropped into the forms under the Content-Security-Policy, and the forms without JavaScript."""

import base64

import pytest
from playwright.sync_api import expect

from tickets.models import Attachment, Ticket
from tickets.tests.browser import log_in
from tickets.tests.files import png_bytes

pytestmark = pytest.mark.browser

# A screenshot on the clipboard or dragged from another window, handed to the form as the browser would.
GIVE_FILE = """([kind, selector, data]) => {
    const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], "image.png", {type: "image/png"}));
    const target = document.querySelector(selector);
    if (kind === "paste") {
        target.dispatchEvent(new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true, cancelable: true}));
    } else {
        target.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        target.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }
}"""


@pytest.fixture
def csp_errors(page):
    errors = []
    page.on("console", lambda message: "Content Security Policy" in message.text and errors.append(message.text))
    return errors


def _files(tmp_path):
    good = tmp_path / "erro.png"
    good.write_bytes(png_bytes(size=(300, 200)))
    other = tmp_path / "log.txt"
    other.write_text("500 Internal Server Error\n")
    program = tmp_path / "programa.exe"
    program.write_bytes(b"MZ" + b"\0" * 100)
    huge = tmp_path / "enorme.png"
    huge.write_bytes(png_bytes() + b"\0" * (30 * 1024 * 1024))
    return good, other, program, huge


def test_a_refused_file_keeps_the_good_ones_and_screenshots_can_be_pasted_and_dropped(demo, page, tmp_path, csp_errors):
    good, other, program, huge = _files(tmp_path)
    log_in(page, "cliente@example.com")
    page.goto("/tickets/new/suporte/")
    expect(page.get_by_text("You can also paste or drop screenshots into this form.")).to_be_visible()

    page.set_input_files("#id_attachments", [str(good), str(program), str(huge)])
    refused = page.locator(".hd-refused-files")
    expect(refused).to_contain_text("“programa.exe” was left out: only screenshots")
    expect(refused).to_contain_text("“enorme.png” was left out: it has 30.0 MB, the limit is 5 MB per file.")
    page.set_input_files("#id_attachments", [str(other)])  # a second choice adds to the first
    chosen = page.locator(".hd-chosen-files")
    expect(chosen).to_contain_text("erro.png")
    expect(chosen).to_contain_text("log.txt")

    screenshot = base64.b64encode(png_bytes(size=(200, 100))).decode()
    page.fill("#id_body", "Segue o print do erro.")
    page.evaluate(GIVE_FILE, ["paste", "#id_body", screenshot])
    page.evaluate(GIVE_FILE, ["drop", "form[enctype]", screenshot])
    expect(chosen.locator("li")).to_have_count(4)
    assert page.evaluate("document.querySelector('#id_attachments').files.length") == 4
    page.screenshot(path=str(tmp_path / "attachments.png"), full_page=True)

    page.fill("#id_subject", "Erro 500 com prints")
    page.fill("#id_summary", "Erro 500")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_text("is open. We will answer here and by e-mail.")).to_be_visible()

    ticket = Ticket.objects.get(subject="Erro 500 com prints")
    names = sorted(Attachment.objects.filter(message__ticket=ticket).values_list("original_name", flat=True))
    # The pasted screenshot is named after the moment; a dropped file keeps its name.
    assert names[:3] == ["erro.png", "image.png", "log.txt"] and len(names) == 4
    assert names[3].startswith("screenshot-") and names[3].endswith(".png")
    assert csp_errors == []


def test_a_reply_takes_a_pasted_screenshot(demo, page, csp_errors):
    page.on("pageerror", lambda error: csp_errors.append(str(error)))
    ticket = Ticket.objects.get(subject="Erro ao enviar e-mails")
    log_in(page, "cliente@example.com")
    page.goto(ticket.get_absolute_url())
    page.fill("#id_body", "Olhem este print.")
    page.evaluate(GIVE_FILE, ["paste", "#id_body", base64.b64encode(png_bytes()).decode()])
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()
    assert ticket.messages.last().attachments.get().original_name.startswith("screenshot-")
    assert csp_errors == []


def test_the_forms_work_without_javascript(demo, browser, live_server, tmp_path):
    good = _files(tmp_path)[0]
    context = browser.new_context(base_url=live_server.url, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    log_in(page, "cliente@example.com")
    page.goto("/tickets/new/suporte/")
    expect(page.get_by_text("You can also paste or drop screenshots")).to_have_count(0)
    page.fill("#id_subject", "Sem JavaScript")
    page.fill("#id_summary", "Erro 500")
    page.fill("#id_body", "Enviado sem JavaScript.")
    page.set_input_files("#id_attachments", [str(good)])
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_text("is open. We will answer here and by e-mail.")).to_be_visible()
    assert Attachment.objects.filter(message__ticket__subject="Sem JavaScript", original_name="erro.png").exists()
    context.close()
