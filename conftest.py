"""Shared fixtures: the permission matrix as named users, small ticket builders, and a browser."""

import os
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress

from accounts.models import User
from departments.models import Department, Membership, Service
from tickets.models import Ticket

PASSWORD = "s3cret-Passw0rd"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters (ours and allauth's) and the staff menus live in the cache: no test
    inherits another's, nor a Redis outage another test staged."""
    from django.core.cache import cache

    from helpdesk import outage
    from tickets import choices

    outage.reset_all()
    cache.clear()
    choices.forget()


@pytest.fixture(autouse=True)
def _no_committed_rate_limits(request, django_db_blocker):
    """The rate limits also count in the `ratelimit` cache, a table that the flush after a
    transactional test leaves alone, and where a mail piped into a subprocess commits its count:
    emptied after such a test, or once a run has piped in a sender's limit of sample mail, the next
    is held as too many (helpdesk/ratelimit.py)."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if {"transactional_db", "live_server"} & set(request.fixturenames) or (marker and marker.kwargs.get("transaction")):
        from django.core.cache import caches

        with django_db_blocker.unblock():
            caches["ratelimit"].clear()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads of each test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path / "uploads", "base_url": None}},
    }


@pytest.fixture
def english(settings):
    """Pages and mail in English: the project's default language is Portuguese and tests read English text.

    Users without a language of their own read the default, so this also sets the language of their mail.
    """
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def tasks_in_process():
    """Celery tasks run in the test's process, also when REDIS_URL is set (CI): mail reaches `mailoutbox`.

    Use it with `django_capture_on_commit_callbacks(execute=True)` or by calling `.delay()`. Not autouse:
    /healthz reads the same flag to know whether a broker is in use. Integration tests queue for real
    through their own Celery app (tickets.tests.services.producer_on).
    """
    from helpdesk.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


def _user(email, name, **extra):
    user = User.objects.create_user(email, PASSWORD, name=name, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def support(db):
    return Department.objects.create(
        name="Suporte", slug="suporte", email="suporte@example.com", description="Technical problems"
    )


@pytest.fixture
def billing(db):
    return Department.objects.create(
        name="Financeiro",
        slug="financeiro",
        email="financeiro@example.com",
        description="Invoices and payments",
        order=1,
    )


@pytest.fixture
def hosting(db):
    return Service.objects.create(name="Hospedagem")


@pytest.fixture
def customer(db):
    return _user("cliente@example.com", "Carla Cliente")


@pytest.fixture
def other_customer(db):
    return _user("outro@example.com", "Otto Outro")


@pytest.fixture
def agent(support):
    user = _user("agente@example.com", "André Agente")
    Membership.objects.create(department=support, user=user)
    return user


@pytest.fixture
def other_agent(billing):
    """An agent of another department: must not see Suporte's tickets."""
    user = _user("financeiro.agente@example.com", "Fábio Financeiro")
    Membership.objects.create(department=billing, user=user)
    return user


@pytest.fixture
def supervisor(support):
    user = _user("supervisor@example.com", "Sofia Supervisora")
    Membership.objects.create(department=support, user=user, is_supervisor=True)
    return user


@pytest.fixture
def admin_user(db):
    user = User.objects.create_superuser("admin@example.com", PASSWORD, name="Ana Admin")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def make_ticket(support, customer):
    def make(**fields):
        fields.setdefault("customer", customer)
        fields.setdefault("department", support)
        fields.setdefault("subject", "Site fora do ar")
        fields.setdefault("body", "Meu site mostra erro 500.")
        return Ticket.open(**fields)

    return make


@pytest.fixture
def ticket(make_ticket):
    return make_ticket()


@pytest.fixture
def login(client):
    """Log `client` in as a user, returning the client."""

    def as_user(user):
        client.force_login(user)
        return client

    return as_user


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium through Playwright, one per test session.

    Skipped when Chromium is missing, except under REQUIRE_SERVICES=1 (CI), where that fails.
    Use with pytest-django's `live_server` (which brings `transactional_db`), or the `page` fixture.
    """
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def demo(transactional_db, english):
    """The demo data (load_demo) where the live server sees it: the browser tests' world."""
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab (own cookies) whose relative URLs go to the live server, in English.

    Phone width: `page.set_viewport_size({"width": 390, "height": 844})`.
    """
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()
