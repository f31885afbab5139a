"""How the thread words its events: status and priority names quoted mid-sentence, in both languages."""

import pytest

from accounts.models import Contact
from tickets.enums import Priority, Status
from tickets.models import Source

pytestmark = pytest.mark.django_db


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def worked(ticket, agent, customer):
    """Answered by the agent, priority raised, put on hold, closed by the customer."""
    ticket.reply(author=agent, body="Reiniciamos o servidor.")
    ticket.set_priority(Priority.HIGH, by=agent)
    ticket.set_status(Status.ON_HOLD, by=agent)
    ticket.close(by=customer)
    return ticket


def test_the_customer_reads_status_names_in_quotes_in_portuguese(login, customer, worked):
    customer.language = "pt-br"
    customer.save()
    page = _page(login(customer), worked.get_absolute_url())
    assert "Status alterado de “Aberto” para “Respondido” por André Agente (equipe de suporte)" in page
    assert "Status alterado de “Respondido” para “Em espera” por André Agente (equipe de suporte)" in page
    assert "Prioridade alterada de “Média” para “Alta” por André Agente (equipe de suporte)" in page
    assert "Fechado por você" in page
    assert "para Respondido" not in page and "para Em espera" not in page


def test_staff_read_them_the_same_way_in_english(login, agent, worked, settings):
    settings.LANGUAGE_CODE = "en"
    page = _page(login(agent), worked.get_staff_url())
    assert "Status changed from “Answered” to “On hold” by André Agente\n" in page
    assert "Priority changed from “Medium” to “High” by André Agente\n" in page
    assert "Closed by Carla Cliente (customer)" in page


def test_a_change_brought_by_a_contact_s_e_mail_names_nobody(login, agent, customer, ticket, settings):
    """The contact's message just above says who wrote; the event does not say "by automatically"."""
    settings.LANGUAGE_CODE = "en"
    contact = Contact.objects.create(user=customer, email="socio@example.com", verified_at=ticket.created_at)
    ticket.reply(author=agent, body="Reiniciamos o servidor.")
    ticket.close(by=agent)
    ticket.reply(author=None, sender_email=contact.email, body="Voltou a cair.", source=Source.EMAIL)
    ticket.set_status(Status.ANSWERED, by=agent)
    ticket.reply(author=None, sender_email=contact.email, body="Ainda fora.", source=Source.EMAIL)

    page = _page(login(agent), ticket.get_staff_url())
    assert "Reopened\n" in page
    assert "Status changed from “Answered” to “Customer reply”\n" in page
    assert "automatically" not in page and "by the system" not in page
    customer.language = "pt-br"
    customer.save()
    portuguese = _page(login(customer), ticket.get_absolute_url())
    assert "Reaberto\n" in portuguese and "Status alterado de “Respondido” para “Resposta do cliente”\n" in portuguese
    assert "sistema" not in portuguese


def test_a_changed_rating_quotes_both_answers(login, customer, ticket, agent):
    ticket.close(by=agent)
    closing = ticket.current_closing()
    ticket.rate(closing=closing, score="good", by=customer)
    ticket.rate(closing=closing, score="bad", comment="Voltou a cair.", by=customer)
    customer.language = "pt-br"
    customer.save()
    page = _page(login(customer), ticket.get_absolute_url())
    assert "Avaliação alterada de “Bom” para “Ruim”" in page
