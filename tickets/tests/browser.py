"""Helpers of the browser tests (the `page` and `demo` fixtures are in conftest.py)."""

import re

from playwright.sync_api import expect

# The password of every load_demo account.
DEMO_PASSWORD = "demo12345"


def log_in(page, email, password=DEMO_PASSWORD):
    """Log in through the real form and wait for the logged-in menu (folded away at phone width)."""
    page.goto("/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', password)
    page.click('form[action="/accounts/login/"] button[type="submit"]')
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("button", name="Log out", include_hidden=True)).to_be_attached()
