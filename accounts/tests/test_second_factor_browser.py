"""The second factor in a real browser: the demo admin opens /admin/, lands on the one login,
gives the password and then the authenticator app's code (computed here from the secret, as the
app would), and reaches the admin; a wrong code gets them nowhere. Screenshots go to /tmp."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect

from accounts.models import User
from accounts.tests.totp import SECRET, totp_code
from tickets.tests.browser import DEMO_PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/issue18-{name}.png"


def test_the_admin_logs_in_with_password_and_authenticator_code(demo, page, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    TOTP.activate(User.objects.get(email="admin@example.com"), SECRET)

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/admin/$"))
    page.fill('input[name="login"]', "admin@example.com")
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.click('form[action^="/accounts/login/"] button[type="submit"]')

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.fill('input[name="code"]', "000000" if totp_code(SECRET) != "000000" else "111111")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    page.screenshot(path=SCREENSHOTS.format(name="totp-code"), full_page=True)

    page.fill('input[name="code"]', totp_code(SECRET))
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def test_an_agent_without_a_second_factor_is_sent_to_set_one_up(demo, page, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    page.goto("/accounts/login/")
    page.fill('input[name="login"]', "agente@example.com")
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.click('form[action="/accounts/login/"] button[type="submit"]')

    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.click('main form button[type="submit"]')
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    secret = page.locator("#authenticator_secret").input_value()
    page.screenshot(path=SCREENSHOTS.format(name="totp-activate"), full_page=True)
    page.fill('input[name="code"]', totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page).not_to_have_url(re.compile(r"/totp/activate/"))
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/staff/$"))
