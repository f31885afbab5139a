"""Staff review of held mail at /staff/inbound/: accept it as a ticket or discard it."""

import pytest
from django.urls import reverse

from tickets.email.inbound import accept_held, ingest
from tickets.models import InboundEmail, InboundState, Notification, NotificationKind, Ticket
from tickets.tests.emls import eml
from tickets.tests.notifications import add_contact

LIST = "/staff/inbound/"


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def held(support):
    """Mail from an unknown address to Suporte."""
    return ingest(eml("unknown-sender-en.eml"))


@pytest.fixture
def held_for_billing(billing):
    return ingest(
        eml("unknown-sender-en.eml", message_id="<billing@mail.gmail.com>").replace(b"suporte@", b"financeiro@")
    )


def _accept(pk):
    return reverse("staff:inbound_accept", args=[pk])


def _discard(pk):
    return reverse("staff:inbound_discard", args=[pk])


# The list


def test_agents_see_the_held_mail_of_their_departments_with_its_text(login, agent, held, held_for_billing):
    page = login(agent).get(LIST).content.decode()
    assert "nina@novo-cliente.example" in page and "Cannot log in – help" in page
    assert "I cannot log in to my hosting panel." in page
    assert _accept(held.pk) in page and _discard(held.pk) in page
    assert _accept(held_for_billing.pk) not in page
    assert "Open a guest ticket" in page


def test_superusers_see_the_held_mail_of_every_department(login, admin_user, held, held_for_billing):
    page = login(admin_user).get(LIST).content.decode()
    assert _accept(held.pk) in page and _accept(held_for_billing.pk) in page


def test_the_button_names_the_customer_an_address_belongs_to(login, agent, customer, support):
    mail = ingest(eml("apple-mail-png-pt.eml"))  # a contact not yet confirmed: held
    add_contact(customer, "joao@cliente.example")  # confirmed since
    page = login(agent).get(LIST).content.decode()
    assert mail.state == InboundState.HELD
    assert "Open a ticket for Carla Cliente" in page
    assert "Captura_de_Tela" not in page and "Captura de Tela 2024-05-06.png" in page


def test_dropped_and_rejected_mail_have_their_own_lists_without_actions(login, agent, support, customer):
    dropped = ingest(eml("mailing-list.eml"))
    rejected = ingest(eml("multiple-from.eml"))
    client = login(agent)
    dropped_page = client.get(LIST, {"state": "dropped"}).content.decode()
    rejected_page = client.get(LIST, {"state": "rejected"}).content.decode()
    assert "Precedence: list" in dropped_page and _accept(dropped.pk) not in dropped_page
    assert "From must name exactly one address" in rejected_page and _discard(rejected.pk) not in rejected_page


def test_an_unknown_state_shows_the_held_list(login, agent, held):
    assert _accept(held.pk) in login(agent).get(LIST, {"state": "accepted"}).content.decode()


def test_the_staff_navigation_links_to_held_mail(login, agent, customer):
    assert f'href="{LIST}"' in login(agent).get("/staff/").content.decode()
    assert f'href="{LIST}"' not in login(customer).get("/tickets/").content.decode()


# Accepting and discarding


def test_accepting_unknown_mail_opens_a_guest_ticket_and_records_who_reviewed_it(login, agent, support, held):
    response = login(agent).post(_accept(held.pk), follow=True)

    held.refresh_from_db()
    ticket = Ticket.objects.get()
    assert (held.state, held.reviewed_by, held.ticket) == (InboundState.ACCEPTED, agent, ticket)
    assert (ticket.customer, ticket.guest_email, ticket.department) == (None, "nina@novo-cliente.example", support)
    assert ticket.subject == "Cannot log in – help"
    message = ticket.messages.get()
    assert held.result_message == message
    assert message.body.startswith("Hi,\n\nI cannot log in to my hosting panel.")
    assert message.author is None and message.sender_email == "nina@novo-cliente.example"
    assert f"Ticket {ticket.display_reference} was opened from the message of nina@novo-cliente.example." in (
        response.content.decode()
    )
    ack = Notification.objects.get(ticket=ticket, kind=NotificationKind.ACKNOWLEDGEMENT)
    assert ack.recipient == "nina@novo-cliente.example"


def test_accepting_mail_of_an_address_that_belongs_to_a_customer_opens_their_ticket(login, agent, customer, support):
    mail = ingest(eml("apple-mail-png-pt.eml"))
    add_contact(customer, "joao@cliente.example")

    login(agent).post(_accept(mail.pk))

    ticket = Ticket.objects.get()
    assert ticket.customer == customer
    assert ticket.messages.get().attachments.count() == 1


def test_discarding_opens_nothing(login, agent, held):
    response = login(agent).post(_discard(held.pk), follow=True)
    held.refresh_from_db()
    assert (held.state, held.reviewed_by) == (InboundState.DISCARDED, agent)
    assert not Ticket.objects.exists()
    assert "The message of nina@novo-cliente.example was discarded." in response.content.decode()


@pytest.mark.parametrize("second", [_accept, _discard])
def test_mail_reviewed_already_is_not_reviewed_again(login, agent, supervisor, held, second):
    login(agent).post(_accept(held.pk))
    response = login(supervisor).post(second(held.pk), follow=True)
    assert "This message was already reviewed." in response.content.decode()
    held.refresh_from_db()
    assert (held.state, held.reviewed_by, Ticket.objects.count()) == (InboundState.ACCEPTED, agent, 1)


def test_model_methods_refuse_mail_that_is_not_held(customer, support, agent):
    accepted = ingest(eml("gmail-new-ticket-pt.eml"))
    assert accept_held(accepted, by=agent) is None
    assert accepted.discard(by=agent) is False
    assert Ticket.objects.count() == 1


# Who may not


def test_anonymous_visitors_are_sent_to_log_in(client, held):
    for response in (client.get(LIST), client.post(_accept(held.pk)), client.post(_discard(held.pk))):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    held.refresh_from_db()
    assert held.state == InboundState.HELD


@pytest.mark.parametrize("who", ["customer", "other_customer"])
def test_customers_get_a_404(request, login, held, who):
    client = login(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 404
    assert client.post(_accept(held.pk)).status_code == 404
    assert client.post(_discard(held.pk)).status_code == 404
    held.refresh_from_db()
    assert held.state == InboundState.HELD and not Ticket.objects.exists()


def test_an_agent_of_another_department_neither_sees_nor_reviews_it(login, other_agent, held):
    client = login(other_agent)
    assert _accept(held.pk) not in client.get(LIST).content.decode()
    assert client.post(_accept(held.pk)).status_code == 404
    assert client.post(_discard(held.pk)).status_code == 404
    held.refresh_from_db()
    assert held.state == InboundState.HELD and not Ticket.objects.exists()


def test_actions_take_only_post_and_the_list_only_get(login, agent, held):
    client = login(agent)
    assert client.get(_accept(held.pk)).status_code == 405
    assert client.get(_discard(held.pk)).status_code == 405
    assert client.post(LIST).status_code == 405
    held.refresh_from_db()
    assert held.state == InboundState.HELD


def test_actions_need_the_csrf_token(agent, held):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.post(_accept(held.pk)).status_code == 403
    held.refresh_from_db()
    assert held.state == InboundState.HELD


def test_a_deactivated_agent_sees_nothing(agent, held):
    agent.is_active = False
    agent.save()
    assert not InboundEmail.objects.visible_to(agent).exists()
    assert not InboundEmail.objects.visible_to(None).exists()
