"""Two staff actions on one problem at the same moment, on PostgreSQL's row locks: neither waits
for the other in a circle (a deadlock, which PostgreSQL would break by cancelling one)."""

import threading
import time

import pytest
from django.db import connection

from tickets.models import Problem, ProblemBroadcast, Ticket

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_unlinking_a_ticket_while_the_problem_replies_to_all_does_not_deadlock(
    agent, support, make_ticket, monkeypatch
):
    """The unlink holds the ticket's row and is about to touch the problem's; the reply to all holds
    the problem's and records the ticket among its targets (a row that refers to the ticket)."""
    ticket = make_ticket(subject="Site fora do ar")
    problem = Problem.open_from(by=agent, department=support, title="web01 caiu", tickets=[ticket])
    ticket_locked = threading.Event()
    touch = Problem._touch

    def slow_touch(self):
        if threading.current_thread().name == "unlink":
            ticket_locked.set()
            time.sleep(1)  # the reply to all takes the problem's row meanwhile, then reaches the ticket
        touch(self)

    monkeypatch.setattr(Problem, "_touch", slow_touch)
    errors = []

    def run(action):
        try:
            action()
        except Exception as error:  # noqa: BLE001 - the test reports whatever either side raised
            errors.append(error)
        finally:
            connection.close()

    def unlink():
        Problem.objects.get(pk=problem.pk).unlink(Ticket.objects.get(pk=ticket.pk), by=agent)

    def reply_to_all():
        ticket_locked.wait(10)
        Problem.objects.get(pk=problem.pk).reply_to_all(by=agent, body="Trocamos o disco.")

    threads = [
        threading.Thread(target=run, args=(unlink,), name="unlink"),
        threading.Thread(target=run, args=(reply_to_all,), name="reply"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    ticket.refresh_from_db()
    assert ticket.problem_id is None and ProblemBroadcast.objects.filter(problem=problem).count() == 1
