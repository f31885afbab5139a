"""Outages with the real services: Redis stopped and started again in the middle of a session (pages
answer, what was typed is stored, each recipient is mailed once when it is back), and PostgreSQL
unreachable and back (a 503 page, the pipe's exit 75, then normal service without a restart).

Redis: a redis-server of the test's own on a spare port, used as the cache and the broker by this
process and by a real Celery worker, stopped and started by the test.

PostgreSQL: the shared cluster cannot be stopped, and a private cluster needs initdb run as a
non-root user and the whole schema migrated again (slow, and CI runs as root). So the web process,
a real gunicorn with a persistent connection, and the pipe reach the test database through a TCP
proxy that the test closes (new connections refused, open ones cut) and opens again: the errors
the application meets are those of a database that went away.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Contact
from conftest import PASSWORD
from helpdesk import outage
from tickets.models import DeliveryState, InboundEmail, Notification, Status, Ticket
from tickets.tasks.mail import SWEEP_GRACE, sweep
from tickets.tests.emls import eml
from tickets.tests.services import (
    CeleryWorker,
    PrivateRedis,
    TcpProxy,
    database_url,
    free_port,
    producer_on,
    require_service,
    wait_for,
)

pytestmark = pytest.mark.integration

BASE_DIR = Path(django_settings.BASE_DIR)


def _require_postgresql():
    require_service(connection.vendor == "postgresql", "outage tests need PostgreSQL (DATABASE_URL)")


# Redis


@pytest.fixture(scope="module")
def redis_server():
    require_service(os.environ.get("REDIS_URL"), "REDIS_URL is not set: integration tests need Redis")
    server = PrivateRedis()
    require_service(server.binary, "redis-server is not installed")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def worker(redis_server, django_db_setup, tmp_path_factory):
    _require_postgresql()
    folder = tmp_path_factory.mktemp("worker")
    process = CeleryWorker(
        broker_url=redis_server.url, database=connection.settings_dict, mail_dir=folder / "mail", log=folder / "log"
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture
def redis_everywhere(redis_server, worker, transactional_db, settings):
    """This process's cache and broker on the private Redis too, as in production (one REDIS_URL)."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "helpdesk.cache.ResilientRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"FALLBACK": "ratelimit"},
        },
    }
    with producer_on(redis_server.url):
        yield
    outage.reset_all()


def _log_in(client, email):
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302, "logged in"
    return client


def _mails(worker):
    """(recipient, Message-ID) of every .eml the worker wrote, with repeats."""
    found = []
    for path in worker.mail_dir.glob("*.eml"):
        raw = path.read_bytes()
        found.append(
            (
                re.search(rb"^To: (.+)$", raw, re.MULTILINE).group(1).decode().strip(),
                re.search(rb"^Message-ID: (<[^>]+>)", raw, re.MULTILINE).group(1).decode(),
            )
        )
    return sorted(found)


def _all_sent():
    return not Notification.objects.exclude(state=DeliveryState.SENT).exists()


def test_redis_stopped_mid_session_then_started_again_loses_nothing_and_mails_each_recipient_once(
    redis_everywhere, redis_server, worker, client, make_ticket, agent, customer
):
    Contact.objects.create(user=customer, email="socia@example.com", verified_at=timezone.now())
    ticket = make_ticket()
    wait_for(lambda: Notification.objects.count() == 3 and _all_sent(), 30, "the opening's mail")
    staff = _log_in(client, agent.email)
    assert staff.get(ticket.get_staff_url()).status_code == 200

    redis_server.stop()

    assert staff.get(reverse("staff:queue")).status_code == 200
    assert staff.get(ticket.get_staff_url()).status_code == 200
    newest = ticket.messages.order_by("-pk").values_list("pk", flat=True).first()
    reply = {"action": "reply", "body": "Reiniciamos o servidor durante a queda.", "seen": newest}
    assert staff.post(ticket.get_staff_url(), reply).status_code == 302
    details = {"status": Status.ON_HOLD, "priority": "high"}
    assert staff.post(reverse("staff:details", args=[ticket.reference]), details).status_code == 302

    customer_client = _log_in(Client(), customer.email)
    assert customer_client.get(ticket.get_absolute_url()).status_code == 200
    new = {"subject": "E-mail parado", "summary": "Nada chega", "priority": "high", "service": "", "body": "Nada."}
    assert customer_client.post(reverse("tickets:new_department", args=["suporte"]), new).status_code == 302

    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD
    assert ticket.messages.filter(body="Reiniciamos o servidor durante a queda.").exists()
    waiting = Notification.objects.filter(state=DeliveryState.QUEUED)
    # The reply to the customer and the contact; the new ticket's acknowledgements and the agent's notice.
    assert waiting.count() == 5 and set(waiting.values_list("attempts", flat=True)) == {0}

    redis_server.start()
    # Beat's sweep, a minute later: by then this process's breaker lets calls to Redis through again.
    outage.reset_all()
    assert sweep(timezone.now() + SWEEP_GRACE) == 5
    wait_for(_all_sent, 30, "the worker, reconnected by itself, to send the swept mail")
    assert sweep(timezone.now() + SWEEP_GRACE * 60) == 0

    expected = sorted(Notification.objects.values_list("recipient", "message_id"))
    assert _mails(worker) == expected, "each notification mailed once to its recipient"
    reply_rows = Notification.objects.filter(thread_message__body="Reiniciamos o servidor durante a queda.")
    assert sorted(reply_rows.values_list("recipient", flat=True)) == ["cliente@example.com", "socia@example.com"]
    assert staff.get(ticket.get_staff_url()).status_code == 200


# PostgreSQL


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """Static files collected as in production (DEBUG off serves them from the manifest)."""
    var = tmp_path_factory.mktemp("var")
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "collect", "ALLOWED_HOSTS": "127.0.0.1", "VAR_DIR": str(var)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True
    )
    return var


@pytest.fixture
def database_proxy(transactional_db):
    _require_postgresql()
    settings_dict = connection.settings_dict
    proxy = TcpProxy(settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432)
    proxy.start()
    proxy.url = database_url({**settings_dict, "HOST": "127.0.0.1", "PORT": proxy.port})
    yield proxy
    proxy.stop()


@pytest.fixture
def gunicorn(database_proxy, static_root, tmp_path):
    """The production profile: gunicorn, one sync worker keeping its database connection open."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_TEST_NAME", "REDIS_URL")}
    env.update(
        DEBUG="0",
        SECRET_KEY=django_settings.SECRET_KEY,  # the sessions the test logs in with are signed with it
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        VAR_DIR=str(static_root),
        MEDIA_ROOT=str(tmp_path / "uploads"),
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        DATABASE_URL=database_proxy.url,
        DATABASE_CONN_MAX_AGE="600",
        WEB_CONCURRENCY="1",
    )
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "helpdesk.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return requests.get(base + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return process.poll() is not None

    try:
        wait_for(answers, 60, "gunicorn")
        assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
        yield base
    finally:
        process.terminate()
        process.wait(20)
        log.close()


def _pipe(raw, database_url_, tmp_path, redis_url=None):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_TEST_NAME", "REDIS_URL")}
    env.update(DATABASE_URL=database_url_, VAR_DIR=str(tmp_path), EMAIL_FILE_PATH=str(tmp_path / "mail"))
    if redis_url:
        env["REDIS_URL"] = redis_url
    result = subprocess.run(
        [sys.executable, "manage.py", "ingest_email"], input=raw, capture_output=True, cwd=BASE_DIR, env=env, timeout=60
    )
    return result.returncode


def test_postgresql_unreachable_answers_503_in_the_users_language_then_serves_again_without_a_restart(
    gunicorn, database_proxy, client, customer, ticket, tmp_path
):
    client.force_login(customer)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    page = gunicorn + ticket.get_absolute_url()
    https = {"X-Forwarded-Proto": "https"}
    before = requests.get(page, cookies=cookies, headers=https, timeout=10, allow_redirects=False)
    assert before.status_code == 200 and ticket.subject in before.text

    database_proxy.stop()

    started = time.monotonic()
    portuguese = requests.get(page, cookies=cookies, headers={**https, "Accept-Language": "pt-BR"}, timeout=10)
    assert time.monotonic() - started < 10
    assert portuguese.status_code == 503 and portuguese.headers["Retry-After"] == "30"
    assert "Voltamos em instantes" in portuguese.text and "Traceback" not in portuguese.text
    english = requests.get(page, cookies=cookies, headers={**https, "Accept-Language": "en"}, timeout=10)
    assert english.status_code == 503 and "Back in a moment" in english.text
    health = requests.get(gunicorn + "/healthz", timeout=10)
    assert health.status_code == 503 and health.json()["database"].startswith("error")
    assert _pipe(eml("gmail-new-ticket-pt.eml"), database_proxy.url, tmp_path) == 75, "the MTA keeps the mail"

    database_proxy.start()

    again = requests.get(page, cookies=cookies, headers=https, timeout=10, allow_redirects=False)
    assert again.status_code == 200 and ticket.subject in again.text, "still logged in, the same process"
    assert requests.get(gunicorn + "/healthz", timeout=10).status_code == 200
    assert _pipe(eml("gmail-new-ticket-pt.eml"), database_proxy.url, tmp_path) == 0, "the MTA's retry is stored"
    assert InboundEmail.objects.count() == 1 and Ticket.objects.count() == 2


def test_mail_piped_in_while_redis_is_down_is_stored_and_its_acknowledgement_waits_in_the_outbox(
    transactional_db, customer, support, tmp_path
):
    _require_postgresql()
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    assert _pipe(eml("gmail-new-ticket-pt.eml"), database_url(connection.settings_dict), tmp_path, nowhere) == 0
    ticket = Ticket.objects.get()
    assert ticket.customer == customer
    assert set(Notification.objects.values_list("state", flat=True)) == {DeliveryState.QUEUED}
