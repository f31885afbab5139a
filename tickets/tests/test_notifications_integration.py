"""Notifications through a real Celery worker, a real Redis and PostgreSQL: mailed once, even across a Redis outage.

The test starts its own redis-server on a spare port (so stopping it harms nobody else's tests)
and a worker process (`celery -A helpdesk worker --pool solo`) on the test database, writing
.eml files to a temporary folder. Runs when REDIS_URL is set; under REQUIRE_SERVICES=1 a missing
service fails the test instead of skipping it.
"""

import datetime
import os
import re
import time

import pytest
from django.db import connection
from django.utils import timezone

from helpdesk import outage
from tickets.models import DeliveryState, Notification, NotificationKind
from tickets.tasks import send_notification
from tickets.tasks.mail import SWEEP_GRACE, sweep
from tickets.tests.services import CeleryWorker, PrivateRedis, producer_on, require_service

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    require_service(os.environ.get("REDIS_URL"), "REDIS_URL is not set: integration tests need Redis")
    server = PrivateRedis()
    require_service(server.binary, "redis-server is not installed")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def worker(redis_server, django_db_setup, tmp_path_factory):
    require_service(
        connection.vendor == "postgresql", "the worker needs the test database on PostgreSQL (DATABASE_URL)"
    )
    folder = tmp_path_factory.mktemp("worker")
    process = CeleryWorker(
        broker_url=redis_server.url, database=connection.settings_dict, mail_dir=folder / "mail", log=folder / "log"
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture
def broker(redis_server, worker, transactional_db):
    """This process queues its tasks on the private Redis too, for real (not eagerly); each test's mail apart."""
    for path in worker.mail_dir.glob("*.eml"):
        path.unlink()
    with producer_on(redis_server.url):
        yield


def wait_until(condition, timeout=30, what="the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def all_sent():
    return not Notification.objects.exclude(state=DeliveryState.SENT).exists()


def message_ids(worker):
    """Message-ID of every .eml the worker wrote, with repeats."""
    found = []
    for path in worker.mail_dir.glob("*.eml"):
        match = re.search(rb"^Message-ID: (<[^>]+>)", path.read_bytes(), re.MULTILINE)
        found.append(match.group(1).decode())
    return sorted(found)


def expected_ids():
    return sorted(Notification.objects.values_list("message_id", flat=True))


def test_a_reply_is_mailed_once_by_the_worker_even_if_its_task_arrives_twice(
    worker, broker, make_ticket, agent, customer
):
    ticket = make_ticket()
    ticket.reply(author=agent, body="Reiniciamos o servidor.")
    wait_until(lambda: Notification.objects.count() == 3 and all_sent(), what="the worker to send")

    reply = Notification.objects.get(kind=NotificationKind.STAFF_REPLY)
    done = worker.tasks_done()
    send_notification.delay(reply.pk)
    wait_until(lambda: worker.tasks_done() == done + 1, what="the duplicate task")

    assert message_ids(worker) == expected_ids()
    eml = next(
        path.read_bytes() for path in worker.mail_dir.glob("*.eml") if reply.message_id.encode() in path.read_bytes()
    )
    assert f"Subject: [#{ticket.reference}] Site fora do ar".encode() in eml
    assert b"To: cliente@example.com" in eml
    assert b"Reiniciamos o servidor." in eml


def test_a_reply_made_while_redis_is_down_is_mailed_once_when_it_is_back(
    worker, broker, redis_server, make_ticket, agent, customer, client
):
    ticket = make_ticket()
    wait_until(lambda: Notification.objects.count() == 2 and all_sent(), what="the opening's mail")
    redis_server.stop()

    client.force_login(customer)
    started = time.monotonic()
    response = client.post(f"/tickets/{ticket.reference}/", {"body": "Continua fora do ar."})
    elapsed = time.monotonic() - started

    assert response.status_code == 302, "the reply is saved although its mail cannot be queued"
    assert elapsed < 10
    row = Notification.objects.get(kind=NotificationKind.CUSTOMER_REPLY)
    assert (row.state, row.attempts) == (DeliveryState.QUEUED, 0)

    redis_server.start()
    # What beat does a minute later (the sweep leaves fresh rows that long to their own task), when
    # this process's breaker has long let calls to Redis through again.
    outage.reset_all()
    assert sweep(timezone.now() + SWEEP_GRACE) == 1
    wait_until(all_sent, what="the swept reply to be sent")
    assert sweep(timezone.now() + datetime.timedelta(hours=1)) == 0

    assert message_ids(worker) == expected_ids()
    assert len(expected_ids()) == 3
    row.refresh_from_db()
    assert (row.recipient, row.attempts) == ("agente@example.com", 1)
