"""Replying to a problem's 500 tickets through a real Celery worker, Redis and PostgreSQL: the
batches chain through the broker, each customer is mailed once, and a second run posts nothing.

Uses the private Redis and worker of the notification integration tests (their fixtures)."""

import re

import pytest
from django.db import transaction

from tickets.models import DeliveryState, Message, Notification, NotificationKind, Problem, Status, Ticket
from tickets.tasks.problems import post_broadcast
from tickets.tests import test_notifications_integration as integration
from tickets.tests.test_problem_broadcast import _many

# The private Redis and worker of the notification integration tests.
redis_server, worker, broker, wait_until = (
    integration.redis_server,
    integration.worker,
    integration.broker,
    integration.wait_until,
)

pytestmark = pytest.mark.integration


def _broadcast_runs(worker):
    return len(re.findall(rb"post_broadcast\[[^]]+\] succeeded", worker.log.read_bytes()))


def test_five_hundred_tickets_get_one_reply_each_through_the_worker(
    broker,
    worker,
    support,
    hosting,
    agent,
    customer,
    other_customer,  # noqa: F811
):
    problem = Problem.open_from(by=agent, department=support, service=hosting, title="web01 fora do ar")
    _many(problem, [customer, other_customer], 500)
    with transaction.atomic():
        broadcast = problem.reply_to_all(by=agent, body="Estamos cientes e trabalhando na correção.")

    def finished():
        broadcast.refresh_from_db()
        return broadcast.finished_at is not None

    wait_until(finished, timeout=240, what="the broadcast to finish")
    assert broadcast.progress() == (500, 500)
    assert Message.objects.filter(ticket__problem=problem, from_staff=True).count() == 500
    assert Ticket.objects.filter(problem=problem, status=Status.ANSWERED).count() == 500

    replies = Notification.objects.filter(kind=NotificationKind.STAFF_REPLY)
    wait_until(lambda: not replies.exclude(state=DeliveryState.SENT).exists(), timeout=240, what="the mail")
    assert replies.count() == 500
    assert len(list(worker.mail_dir.glob("*.eml"))) == 500

    # The task arriving again (a redelivery, the periodic resume) posts nothing more.
    runs = _broadcast_runs(worker)
    post_broadcast.delay(broadcast.pk)
    wait_until(lambda: _broadcast_runs(worker) > runs, what="the second run")
    assert Message.objects.filter(ticket__problem=problem, from_staff=True).count() == 500
