"""Every main page, as each role, in both languages, on a laptop (1366x800) and a phone (390x844):
nothing scrolls sideways, and axe-core (from the npm registry: `npm ci`) finds no serious or
critical accessibility violation."""

import os

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from tickets.models import Ticket

pytestmark = pytest.mark.browser

AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"laptop": (1366, 800), "phone": (390, 844)}
LANGUAGES = ["pt-BR", "en-US"]

RUN_AXE = """async () => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations
        .filter(violation => violation.impact === "serious" || violation.impact === "critical")
        .map(violation => `${violation.id}: ${violation.nodes.map(node => node.target.join(" ")).join(", ")}`);
}"""
# How far the page reaches past the window's right edge, and what sticks out.
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const wider = [...document.body.querySelectorAll("*")]
        .filter(element => element.getBoundingClientRect().right > width + 1)
        .filter(element => !element.closest(".table-responsive, .overflow-auto"))
        .slice(0, 3)
        .map(element => `${element.tagName.toLowerCase()}.${element.className}`);
    return [document.documentElement.scrollWidth - width, wider];
}"""


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        message = f"{AXE} is missing: run `npm ci`"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


def _main_pages():
    """{user e-mail or None: [paths]}: what each role of the demo works with."""
    ticket = Ticket.objects.get(subject="Site fora do ar")  # a screenshot, an internal note, overdue
    answered = Ticket.objects.get(subject="Backup do banco de dados")  # replies and events
    anonymous = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
    customer = [
        "/",
        "/tickets/",
        "/tickets/new/",
        "/tickets/new/suporte/",
        f"/tickets/{ticket.reference}/",
        f"/tickets/{answered.reference}/",
        "/accounts/profile/",
        "/accounts/contacts/",
        "/accounts/email/",
        "/accounts/password/change/",
    ]
    staff = ["/staff/", "/staff/?status=all", f"/staff/tickets/{ticket.reference}/", "/staff/inbound/"]
    return {
        None: anonymous,
        "cliente@example.com": customer,
        "agente@example.com": staff,
        "supervisor@example.com": [
            "/staff/dashboard/",
            "/staff/dashboard/?days=90",
            f"/staff/tickets/{answered.reference}/",
        ],
        "admin@example.com": ["/staff/", "/staff/dashboard/"],
    }


def _session_cookie(live_server, email):
    client = Client()
    client.force_login(User.objects.get(email=email))
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_main_page_fits_the_screen_and_has_no_serious_accessibility_violation(
    demo, browser, live_server, axe_source, language
):
    problems = []
    for email, paths in _main_pages().items():
        context = browser.new_context(base_url=live_server.url, locale=language)
        if email:
            context.add_cookies([_session_cookie(live_server, email)])
        page = context.new_page()
        for path in paths:
            where = f"{email or 'anonymous'} {path}"
            for size, (width, height) in SIZES.items():
                # Loaded at each size: some pages lay themselves out once, on load.
                page.set_viewport_size({"width": width, "height": height})
                response = page.goto(path)
                assert response.status == 200, where
                overflow, wider = page.evaluate(OVERFLOW)
                if overflow > 0:
                    problems.append(f"{where} ({size}): scrolls sideways by {overflow}px ({', '.join(wider)})")
                # Evaluated, not added as a <script>: the Content-Security-Policy forbids inline scripts.
                page.evaluate(axe_source)
                problems += [f"{where} ({size}): {violation}" for violation in page.evaluate(RUN_AXE)]
        context.close()
    assert problems == []
