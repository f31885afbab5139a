"""Answering a problem's tickets at once: a reply of its own in every linked ticket, posted by a
task in batches that can run twice; solving posts the solution and sets each ticket Answered or Closed."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import User
from tickets.models import (
    BroadcastState,
    EventKind,
    Message,
    Notification,
    NotificationKind,
    Problem,
    ProblemStatus,
    Source,
    Status,
    Ticket,
)
from tickets.tasks.problems import BATCH, resume, run_broadcast
from tickets.tests.notifications import bodies, to

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def problem(support, hosting, agent):
    return Problem.open_from(by=agent, department=support, service=hosting, title="web01 fora do ar")


@pytest.fixture
def english_customer(db):
    user = User.objects.create_user("john@example.com", "x", name="John Smith", language="en")
    return user


@pytest.fixture
def brazilian_customer(db):
    return User.objects.create_user("joana@example.com", "x", name="Joana Silva", language="pt-br")


def _linked(problem, make_ticket, agent, *customers):
    tickets = [make_ticket(customer=customer, subject=f"Site fora {customer.pk}") for customer in customers]
    for ticket in tickets:
        problem.link(ticket, by=agent)
    return tickets


def test_a_reply_on_the_problem_is_a_staff_reply_in_each_ticket_in_each_customers_language(
    problem,
    make_ticket,
    agent,
    english_customer,
    brazilian_customer,
    mailoutbox,
    tasks_in_process,
    django_capture_on_commit_callbacks,
):
    john, joana = _linked(problem, make_ticket, agent, english_customer, brazilian_customer)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        broadcast = problem.reply_to_all(by=agent, body="Reiniciamos o servidor web01.")
    broadcast.refresh_from_db()
    assert broadcast.finished_at is not None
    assert broadcast.progress() == (2, 2)
    for ticket in (john, joana):
        ticket.refresh_from_db()
        reply = ticket.messages.get(from_staff=True)
        assert (reply.author, reply.body, reply.internal) == (agent, "Reiniciamos o servidor web01.", False)
        assert ticket.status == Status.ANSWERED
    john_mail, joana_mail = to(mailoutbox, "john@example.com"), to(mailoutbox, "joana@example.com")
    assert f"[{john.display_reference}]" in john_mail.subject
    assert f"[{joana.display_reference}]" in joana_mail.subject
    john_text, _html = bodies(john_mail)
    joana_text, joana_html = bodies(joana_mail)
    assert "Reiniciamos o servidor web01." in john_text and "Reiniciamos o servidor web01." in joana_html
    # Threaded in each customer's own ticket, each in their own language.
    assert john.messages.earliest("created_at").message_id in john_mail.extra_headers["References"]
    assert joana.messages.earliest("created_at").message_id in joana_mail.extra_headers["References"]
    assert joana.messages.earliest("created_at").message_id not in john_mail.extra_headers["References"]
    assert Notification.objects.get(recipient="john@example.com", kind=NotificationKind.STAFF_REPLY).language == "en"
    assert (
        Notification.objects.get(recipient="joana@example.com", kind=NotificationKind.STAFF_REPLY).language == "pt-br"
    )
    assert john_text != joana_text


def test_running_the_task_twice_posts_each_reply_once(problem, make_ticket, agent, customer, other_customer):
    tickets = _linked(problem, make_ticket, agent, customer, other_customer)
    broadcast = problem.reply_to_all(by=agent, body="Estamos trabalhando nisso.")  # on_commit not run: no task yet
    run_broadcast(broadcast.pk)
    run_broadcast(broadcast.pk)
    assert broadcast.post_to(broadcast.items.first().pk) is False
    for ticket in tickets:
        assert ticket.messages.filter(from_staff=True).count() == 1
    assert Notification.objects.filter(kind=NotificationKind.STAFF_REPLY).count() == 2


def test_tickets_unlinked_or_closed_after_the_reply_was_written_are_skipped(
    problem, make_ticket, agent, customer, other_customer
):
    kept, left = _linked(problem, make_ticket, agent, customer, other_customer)
    broadcast = problem.reply_to_all(by=agent, body="Atualização")
    problem.unlink(left, by=agent)
    run_broadcast(broadcast.pk)
    assert kept.messages.filter(from_staff=True).exists()
    assert not left.messages.filter(from_staff=True).exists()
    assert set(broadcast.items.values_list("state", flat=True)) == {BroadcastState.POSTED, BroadcastState.SKIPPED}


def test_closed_tickets_get_no_reply_to_all(problem, make_ticket, agent, customer, other_customer):
    open_ticket, closed = _linked(problem, make_ticket, agent, customer, other_customer)
    closed.close(by=other_customer)
    broadcast = problem.reply_to_all(by=agent, body="Atualização")
    assert broadcast.total == 1
    run_broadcast(broadcast.pk)
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED and not closed.messages.filter(from_staff=True).exists()


def test_solving_posts_the_solution_and_sets_the_tickets_answered(
    problem, make_ticket, agent, customer, other_customer
):
    tickets = _linked(problem, make_ticket, agent, customer, other_customer)
    broadcast = problem.solve(by=agent, body="Resolvido: disco trocado.")
    run_broadcast(broadcast.pk)
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.SOLVED
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.status == Status.ANSWERED
        assert ticket.messages.filter(from_staff=True, body="Resolvido: disco trocado.").count() == 1
        assert ticket.events.filter(kind=EventKind.PROBLEM_STATUS, new_value="solved").exists()


def test_solving_can_close_the_tickets(problem, make_ticket, agent, customer):
    (ticket,) = _linked(problem, make_ticket, agent, customer)
    run_broadcast(problem.solve(by=agent, body="Resolvido.", close=True).pk)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    # The reply is the customer's notice: no separate "closed" mail.
    assert not Notification.objects.filter(ticket=ticket, kind=NotificationKind.CLOSED).exists()
    assert Notification.objects.filter(ticket=ticket, kind=NotificationKind.STAFF_REPLY).count() == 1


def _many(problem, customers, count):
    """`count` linked open tickets, each with its first message, written in bulk (Ticket.open would take minutes)."""
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                reference=500000 + n,
                customer=customers[n % len(customers)],
                department=problem.department,
                service=problem.service,
                subject=f"Site fora do ar {n}",
                problem=problem,
            )
            for n in range(count)
        ]
    )
    Message.objects.bulk_create(
        [Message(ticket=t, author=t.customer, body="Erro 500", source=Source.WEB) for t in tickets]
    )
    return tickets


def test_five_hundred_linked_tickets_are_answered_in_batches_with_progress(problem, agent, customer, other_customer):
    _many(problem, [customer, other_customer], 500)
    broadcast = problem.reply_to_all(by=agent, body="Estamos cientes e trabalhando na correção.")
    assert broadcast.total == 500
    assert run_broadcast(broadcast.pk) is True  # one batch, more to come
    assert broadcast.progress() == (BATCH, 500)
    runs = 1
    while run_broadcast(broadcast.pk):
        runs += 1
    broadcast.refresh_from_db()
    assert runs == 500 // BATCH
    assert broadcast.finished_at is not None and broadcast.progress() == (500, 500)
    assert Message.objects.filter(from_staff=True, ticket__problem=problem).count() == 500
    assert Ticket.objects.filter(problem=problem, status=Status.ANSWERED).count() == 500
    assert Notification.objects.filter(kind=NotificationKind.STAFF_REPLY).count() == 500


def test_a_broadcast_whose_task_was_lost_is_queued_again(problem, make_ticket, agent, customer):
    import time_machine
    from django.utils import timezone

    _linked(problem, make_ticket, agent, customer)
    broadcast = problem.reply_to_all(by=agent, body="Atualização")
    assert resume() == []  # just written: its own task is on its way
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=5)):
        assert resume() == [broadcast.pk]


def test_the_problem_page_shows_the_progress(login, problem, agent, customer, other_customer):
    _many(problem, [customer, other_customer], 3)
    broadcast = problem.reply_to_all(by=agent, body="Atualização")
    broadcast.post_to(broadcast.items.order_by("pk").first().pk)
    page = login(agent).get(problem.get_absolute_url()).content.decode()
    assert "posting to the linked tickets, 1 of 3 done" in page
    assert 'http-equiv="refresh"' in page
    run_broadcast(broadcast.pk)
    page = login(agent).get(problem.get_absolute_url()).content.decode()
    assert "posted to 3 of 3 tickets" in page
    assert 'http-equiv="refresh"' not in page


def test_a_reply_finished_in_the_afternoon_reads_without_a_doubled_full_stop(
    login, problem, agent, customer, make_ticket, time_machine
):
    _linked(problem, make_ticket, agent, customer)
    time_machine.move_to(datetime(2026, 12, 4, 15, tzinfo=ZoneInfo("America/Sao_Paulo")), tick=False)
    run_broadcast(problem.reply_to_all(by=agent, body="Atualização").pk)
    page = login(agent).get(problem.get_absolute_url()).content.decode()
    assert "Reply to all, finished 12/04/2026 3 p.m.: posted to 1 of 1 tickets." in page
    assert "p.m.." not in page


def test_reply_and_solve_through_the_page(
    login, problem, agent, customer, make_ticket, tasks_in_process, django_capture_on_commit_callbacks
):
    (ticket,) = _linked(problem, make_ticket, agent, customer)
    client = login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff:problem_reply", args=[problem.pk]), {"body": "Olá a todos"}, follow=True)
    assert "The reply goes to 1 open tickets" in response.content.decode()
    assert ticket.messages.filter(body="Olá a todos", from_staff=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff:problem_solve", args=[problem.pk]), {"body": "Pronto", "close": "on"})
    ticket.refresh_from_db()
    problem.refresh_from_db()
    assert (problem.status, ticket.status) == (ProblemStatus.SOLVED, Status.CLOSED)


def test_an_empty_reply_to_all_is_refused_and_nothing_is_posted(login, problem, agent, customer, make_ticket):
    (ticket,) = _linked(problem, make_ticket, agent, customer)
    response = login(agent).post(reverse("staff:problem_reply", args=[problem.pk]), {"body": "   "})
    assert response.status_code == 200
    assert "Write the message first." in response.content.decode()
    assert not problem.broadcasts.exists()


@pytest.mark.parametrize("who", ["customer", "other_customer", "other_agent"])
def test_only_the_departments_staff_may_reply_to_all_or_solve(
    request, login, problem, agent, customer, make_ticket, who
):
    (ticket,) = _linked(problem, make_ticket, agent, customer)
    client = login(request.getfixturevalue(who))
    assert client.post(reverse("staff:problem_reply", args=[problem.pk]), {"body": "x"}).status_code == 404
    assert client.post(reverse("staff:problem_solve", args=[problem.pk]), {"body": "x"}).status_code == 404
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.INVESTIGATING and not problem.broadcasts.exists()
