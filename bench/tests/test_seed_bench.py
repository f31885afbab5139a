"""`manage.py seed_bench --settings bench.settings`: realistic benchmark data, built once, wiped on request."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.postgres.search import SearchQuery
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from accounts.models import User
from bench.management.commands.seed_bench import (
    AGENT_EMAIL,
    SUPERVISOR_EMAIL,
    THREAD_LENGTH,
    Command,
    bench_departments,
    bench_users,
    thread_ticket,
)
from tickets.models import Attachment, DeliveryState, Message, Notification, Speaker, Status, Ticket, TicketSearch

pytestmark = pytest.mark.django_db


def seed(*extra):
    call_command(Command(), "--tickets", "400", "--customers", "40", "--agents", "6", *extra)


def test_seeds_the_requested_tickets_with_unique_references_and_about_five_messages_each():
    seed()
    assert Ticket.objects.count() == 400
    assert Ticket.objects.values("reference").distinct().count() == 400
    assert 4 * 400 < Message.objects.count() < 6 * 400 + THREAD_LENGTH
    assert not Ticket.objects.filter(department__in=bench_departments()).exclude(messages__isnull=False).exists()


def test_most_tickets_are_closed_and_the_statuses_agree_with_the_thread():
    seed()
    by_status = dict(Ticket.objects.values_list("status").annotate(n=Count("pk")))
    assert by_status[Status.CLOSED] > 0.7 * 400
    assert not Ticket.objects.filter(status=Status.OPEN, first_response_at__isnull=False).exists()
    assert not Ticket.objects.filter(status=Status.ANSWERED).exclude(last_speaker=Speaker.STAFF).exists()
    assert not Ticket.objects.filter(closed_at__isnull=False).exclude(status=Status.CLOSED).exists()
    for ticket in Ticket.objects.all()[:50]:
        times = list(ticket.messages.values_list("created_at", flat=True))
        assert times[0] == ticket.created_at and max(times) == ticket.updated_at


def test_the_known_agent_works_two_departments_and_the_long_thread_is_in_one_of_them():
    seed()
    agent = User.objects.get(email=AGENT_EMAIL)
    assert len(agent.department_ids) == 2
    assert User.objects.get(email=SUPERVISOR_EMAIL).is_supervisor
    ticket = thread_ticket()
    assert ticket.messages.filter(internal=False).count() == THREAD_LENGTH
    assert ticket in Ticket.objects.staff_visible_to(agent)
    # Its staff replies carry their deliveries, as the workspace shows them under each reply.
    replies = ticket.messages.filter(from_staff=True, internal=False)
    assert Notification.objects.filter(thread_message__in=replies, recipient=ticket.customer.email).count() == (
        replies.count()
    )
    assert Notification.objects.filter(ticket=ticket, state=DeliveryState.QUEUED, attempts=2).count() == 1
    # And every fifth customer message a screenshot.
    assert Attachment.objects.filter(message__ticket=ticket, message__from_staff=False).count() == 20


def test_every_bench_user_has_a_verified_primary_address():
    seed()
    assert bench_users().count() == 40 + 6 + 2
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == bench_users().count()


def test_seeding_twice_is_refused_and_reset_starts_afresh():
    seed()
    with pytest.raises(CommandError, match="--reset"):
        seed()
    first = set(Ticket.objects.values_list("reference", flat=True))
    seed("--reset", "--seed", "2")
    assert Ticket.objects.count() == 400
    assert set(Ticket.objects.values_list("reference", flat=True)) != first
    assert bench_departments().count() == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search documents are PostgreSQL's")
def test_seeded_tickets_are_searchable_and_the_search_triggers_are_back_on():
    seed()
    ticket = thread_ticket()
    last_words = ticket.messages.order_by("-pk").values_list("body", flat=True)[0].split()
    assert TicketSearch.objects.count() == Ticket.objects.count()
    found = TicketSearch.objects.filter(document=SearchQuery(last_words[-1].strip(".,!?"), config="simple"))
    assert found.filter(pk=ticket.pk).exists()
    ticket.reply(author=ticket.customer, body="zzyzx")
    assert TicketSearch.objects.filter(pk=ticket.pk, document=SearchQuery("zzyzx", config="simple")).exists()
