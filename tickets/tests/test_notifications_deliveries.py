"""Staff see, under each reply in the workspace, to whom it was mailed and what became of it."""

import pytest

from tickets.models import DeliveryState
from tickets.tests.notifications import add_contact

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


@pytest.fixture
def mailed_reply(ticket, customer, agent, django_capture_on_commit_callbacks):
    agent.language = "en"
    agent.save()
    add_contact(customer, "socio@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket.reply(author=agent, body="Reiniciamos o servidor.")
    return reply


def test_the_workspace_shows_each_recipient_of_a_reply_with_its_state(mailed_reply, ticket, agent, login):
    mailed_reply.notifications.filter(recipient="socio@example.com").update(
        state=DeliveryState.BOUNCED,
        last_error="smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    )

    page = login(agent).get(f"/staff/tickets/{ticket.reference}/").content.decode()

    assert "E-mailed to" in page
    assert '<span class="text-break">cliente@example.com</span>' in page
    assert '<span class="badge hd-delivery-sent"' in page
    assert '<span class="text-break">socio@example.com</span>' in page
    assert '<span class="badge hd-delivery-bounced"' in page
    assert "smtp;550 5.1.1 The email account that you tried to reach does not exist." in page


def test_a_reply_waiting_for_a_retry_says_so_with_the_providers_error(mailed_reply, ticket, agent, login):
    mailed_reply.notifications.filter(recipient="cliente@example.com").update(
        state=DeliveryState.QUEUED, attempts=2, last_error="AnymailAPIError: Service Unavailable (503)"
    )

    page = login(agent).get(f"/staff/tickets/{ticket.reference}/").content.decode()

    assert '<span class="badge hd-delivery-queued"' in page
    assert "retrying after 2 failed attempts" in page
    assert "AnymailAPIError: Service Unavailable (503)" in page


def test_customers_never_see_the_deliveries(mailed_reply, ticket, customer, login):
    page = login(customer).get(f"/tickets/{ticket.reference}/").content.decode()

    assert "Reiniciamos o servidor." in page
    assert "hd-delivery" not in page
    assert "socio@example.com" not in page


def test_an_agent_of_another_department_cannot_see_the_ticket_or_its_deliveries(
    mailed_reply, ticket, other_agent, login
):
    assert login(other_agent).get(f"/staff/tickets/{ticket.reference}/").status_code == 404
