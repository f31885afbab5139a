"""Who may use the staff pages and actions: the whole permission matrix, and wrong methods."""

import pytest
from django.urls import reverse

from tickets.models import Status, Ticket

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def duplicate(make_ticket):
    return make_ticket(subject="Site fora do ar (de novo)")


def _actions(ticket, duplicate, billing):
    """Every staff POST on a ticket, with data that would succeed for an agent of its department."""
    return {
        "reply": (reverse("staff:ticket", args=[ticket.reference]), {"action": "reply", "body": "Oi", "seen": 10**9}),
        "note": (reverse("staff:ticket", args=[ticket.reference]), {"action": "note", "body": "Nota", "seen": 10**9}),
        "details": (reverse("staff:details", args=[ticket.reference]), {"status": "on_hold", "priority": "high"}),
        "assign": (reverse("staff:assign", args=[ticket.reference]), {"action": "me"}),
        "transfer": (reverse("staff:transfer", args=[ticket.reference]), {"department": billing.pk}),
        "merge": (reverse("staff:merge", args=[ticket.reference]), {"target": duplicate.reference}),
        "bulk": (reverse("staff:bulk"), {"action": "close", "tickets": [ticket.reference]}),
    }


def _snapshot(*tickets):
    return [
        (t.status, t.priority, t.assignee_id, t.department_id, t.merged_into_id, t.messages.count(), t.events.count())
        for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk")
    ]


FORBIDDEN = ["customer", "other_customer", "other_agent"]
ALLOWED = ["agent", "supervisor", "admin_user"]


def test_anonymous_visitors_are_sent_to_the_login_page_everywhere(client, ticket, duplicate, billing):
    login = reverse("account_login")
    for url in (reverse("staff:queue"), ticket.get_staff_url()):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login)
    before = _snapshot(ticket, duplicate)
    for url, data in _actions(ticket, duplicate, billing).values():
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(login)
    assert _snapshot(ticket, duplicate) == before


@pytest.mark.parametrize("who", ["customer", "other_customer"])
def test_customers_get_404_on_every_staff_page(request, login, ticket, who):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("staff:queue")).status_code == 404
    assert client.get(ticket.get_staff_url()).status_code == 404


@pytest.mark.parametrize("who", FORBIDDEN)
def test_who_does_not_work_the_department_gets_404_for_the_ticket_and_changes_nothing(
    request, login, ticket, duplicate, billing, who
):
    client = login(request.getfixturevalue(who))
    assert client.get(ticket.get_staff_url()).status_code == 404
    before = _snapshot(ticket, duplicate)
    for name, (url, data) in _actions(ticket, duplicate, billing).items():
        response = client.post(url, data)
        if name == "bulk" and who == "other_agent":
            # The queue is theirs; the smuggled ticket is simply not among what they may touch.
            assert response.status_code == 302
        else:
            assert response.status_code == 404, name
    assert _snapshot(ticket, duplicate) == before


def test_agent_of_another_department_does_not_see_the_ticket_in_the_queue(login, other_agent, ticket):
    page = login(other_agent).get(reverse("staff:queue")).content.decode()
    assert ticket.display_reference not in page


@pytest.mark.parametrize("who", ALLOWED)
def test_agents_supervisors_and_superusers_see_the_queue_and_the_workspace(request, login, ticket, who):
    client = login(request.getfixturevalue(who))
    assert ticket.display_reference in client.get(reverse("staff:queue")).content.decode()
    assert client.get(ticket.get_staff_url()).status_code == 200


@pytest.mark.parametrize("who", ALLOWED)
@pytest.mark.parametrize("action", ["reply", "note", "details", "assign", "transfer", "merge", "bulk"])
def test_staff_of_the_department_may_use_every_action(request, login, ticket, duplicate, billing, who, action):
    client = login(request.getfixturevalue(who))
    url, data = _actions(ticket, duplicate, billing)[action]
    before = _snapshot(ticket, duplicate)
    response = client.post(url, data)
    assert response.status_code == 302
    assert _snapshot(ticket, duplicate) != before


def test_superuser_sees_every_department(login, admin_user, make_ticket, billing):
    billing_ticket = make_ticket(department=billing)
    client = login(admin_user)
    assert billing_ticket.display_reference in client.get(reverse("staff:queue")).content.decode()
    assert client.get(billing_ticket.get_staff_url()).status_code == 200


def test_supervisor_sees_the_supervised_department_only(login, supervisor, make_ticket, billing, ticket):
    billing_ticket = make_ticket(department=billing)
    client = login(supervisor)
    assert client.get(ticket.get_staff_url()).status_code == 200
    assert client.get(billing_ticket.get_staff_url()).status_code == 404


def test_agent_who_is_the_customer_of_a_ticket_elsewhere_does_not_reach_it_as_staff(login, agent, make_ticket, billing):
    own = make_ticket(customer=agent, department=billing)
    assert login(agent).get(own.get_staff_url()).status_code == 404


def test_inactive_agent_is_logged_out_of_the_staff_pages(login, agent, ticket):
    client = login(agent)
    agent.is_active = False
    agent.save()
    assert client.get(reverse("staff:queue")).status_code == 302


def test_wrong_methods_are_refused(login, agent, ticket, duplicate, billing):
    client = login(agent)
    assert client.post(reverse("staff:queue")).status_code == 405
    assert client.put(ticket.get_staff_url()).status_code == 405
    assert client.delete(ticket.get_staff_url()).status_code == 405
    for name, (url, _data) in _actions(ticket, duplicate, billing).items():
        if name not in ("reply", "note"):
            assert client.get(url).status_code == 405, name
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


def test_unknown_reference_is_404(login, agent, ticket):
    assert login(agent).get(reverse("staff:ticket", args=[999999999])).status_code == 404
