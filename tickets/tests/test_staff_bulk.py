"""Bulk actions on the queue: only the selected tickets the agent sees change, each through
its own method (with its event)."""

import pytest
from django.urls import reverse

from tickets.models import EventKind, Status, Ticket

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def three(make_ticket):
    return [make_ticket(subject=f"Chamado {index}") for index in range(3)]


def _bulk(client, tickets, action, **data):
    return client.post(
        reverse("staff:bulk"), {"action": action, "tickets": [t.reference for t in tickets], **data}, follow=True
    )


def _fresh(tickets):
    return list(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk"))


def test_assign_to_me(login, agent, three):
    response = _bulk(login(agent), three[:2], "assign_me")
    assert "2 tickets changed." in response.content.decode()
    assert [t.assignee for t in _fresh(three)] == [agent, agent, None]
    assert all(t.events.filter(kind=EventKind.ASSIGNEE, actor=agent).exists() for t in three[:2])


def test_assign_to_another_agent_and_unassign(login, agent, supervisor, three):
    client = login(agent)
    _bulk(client, three, "assign", agent=supervisor.pk)
    assert {t.assignee for t in _fresh(three)} == {supervisor}
    response = _bulk(client, three[:1], "unassign")
    assert "1 ticket changed." in response.content.decode()
    assert [t.assignee for t in _fresh(three)] == [None, supervisor, supervisor]


def test_set_status_and_close(login, agent, three):
    client = login(agent)
    _bulk(client, three[:2], "status", status=Status.ON_HOLD)
    assert [t.status for t in _fresh(three)] == [Status.ON_HOLD, Status.ON_HOLD, Status.OPEN]
    _bulk(client, three, "close")
    assert {t.status for t in _fresh(three)} == {Status.CLOSED}
    assert all(t.events.filter(kind=EventKind.STATUS, new_value=Status.CLOSED).count() == 1 for t in three)


def test_transfer(login, agent, billing, three):
    response = _bulk(login(agent), three[:1], "transfer", department=billing.pk)
    assert "1 ticket changed." in response.content.decode()
    assert [t.department for t in _fresh(three)][0] == billing
    assert three[0].events.filter(kind=EventKind.DEPARTMENT, new_value="Financeiro").exists()


def test_tickets_already_so_do_not_count_and_record_nothing(login, agent, three):
    client = login(agent)
    _bulk(client, three[:1], "assign_me")
    response = _bulk(client, three, "assign_me")
    assert "2 tickets changed." in response.content.decode()
    assert three[0].events.filter(kind=EventKind.ASSIGNEE).count() == 1


def test_a_ticket_of_another_department_smuggled_into_the_selection_is_untouched(
    login, agent, make_ticket, billing, three
):
    elsewhere = make_ticket(department=billing)
    events = elsewhere.events.count()
    response = _bulk(login(agent), [*three, elsewhere], "close")
    assert "3 tickets changed." in response.content.decode()
    elsewhere.refresh_from_db()
    assert elsewhere.status == Status.OPEN and elsewhere.events.count() == events


def test_an_agent_is_not_given_tickets_of_a_department_they_do_not_work(
    login, admin_user, agent, make_ticket, billing, three
):
    elsewhere = make_ticket(department=billing)
    response = _bulk(login(admin_user), [three[0], elsewhere], "assign", agent=agent.pk)
    page = response.content.decode()
    assert "1 ticket changed." in page and "the agent does not work in its department" in page
    elsewhere.refresh_from_db()
    assert elsewhere.assignee is None


def test_an_agent_of_another_department_is_not_offered_nor_accepted(login, agent, other_agent, three):
    client = login(agent)
    assert "Fábio Financeiro" not in client.get(reverse("staff:queue")).content.decode()
    response = _bulk(client, three, "assign", agent=other_agent.pk)
    assert "0 tickets changed. 3 tickets left as they were" in response.content.decode()
    assert {t.assignee for t in _fresh(three)} == {None}


@pytest.mark.parametrize(
    ("action", "data", "error"),
    [
        ("assign", {}, "Choose one for this action."),
        ("status", {"status": "deleted"}, "Select a valid choice."),
        ("transfer", {}, "Choose one for this action."),
        ("explode", {}, "Select a valid choice."),
    ],
)
def test_incomplete_or_bad_actions_change_nothing(login, agent, three, action, data, error):
    response = _bulk(login(agent), three, action, **data)
    page = response.content.decode()
    assert "Nothing was changed" in page and error in page
    assert [t.events.count() for t in _fresh(three)] == [1, 1, 1]


def test_nothing_selected_says_so(login, agent, three):
    response = _bulk(login(agent), [], "close")
    assert "Select at least one ticket." in response.content.decode()


def test_back_to_the_same_view_of_the_queue(login, agent, three, support):
    response = login(agent).post(
        reverse("staff:bulk"),
        {"action": "close", "tickets": [three[0].reference], "filters": "priority=medium&sort=due&evil=1"},
    )
    assert response["Location"] == reverse("staff:queue") + "?priority=medium&sort=due"


@pytest.mark.parametrize("filters", ["https://evil.example/", "//evil.example", "\r\nLocation: x"])
def test_the_way_back_never_leaves_the_queue(login, agent, three, filters):
    response = login(agent).post(reverse("staff:bulk"), {"action": "close", "filters": filters})
    assert response["Location"] == reverse("staff:queue")


def test_closed_tickets_in_the_selection_reopen_only_when_asked(login, agent, three):
    client = login(agent)
    _bulk(client, three, "close")
    _bulk(client, three[:1], "status", status=Status.OPEN)
    assert [t.status for t in _fresh(three)] == [Status.OPEN, Status.CLOSED, Status.CLOSED]
