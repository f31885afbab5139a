"""Brazilian Portuguese as Brazilians write it: lowercase months, one date format per page, one language at a time."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import formats, translation

from tickets.models import Ticket

MOMENT = datetime.datetime(2026, 12, 4, 15, 30, tzinfo=datetime.UTC)


def test_month_names_are_lowercase_in_portuguese_and_capitalised_in_english():
    with translation.override("pt-br"):
        assert formats.date_format(MOMENT, "DATE_FORMAT") == "4 de dezembro de 2026"
        assert "dezembro" in formats.date_format(MOMENT, "DATETIME_FORMAT")
    with translation.override("en"):
        assert formats.date_format(MOMENT, "DATE_FORMAT") == "Dec. 4, 2026"


@pytest.fixture
def answered(make_ticket, agent):
    with time_machine.travel(MOMENT, tick=False):
        ticket = make_ticket()
        ticket.reply(author=agent, body="Verificamos o servidor.")
        ticket.set_status("on_hold", by=agent)
    return ticket


@pytest.mark.parametrize("who, url", [("customer", "tickets:detail"), ("agent", "staff:ticket")])
def test_a_ticket_page_writes_every_time_in_one_format(request, login, answered, who, url):
    page = login(request.getfixturevalue(who)).get(
        reverse(url, args=[answered.reference]), HTTP_ACCEPT_LANGUAGE="pt-br"
    )
    visible = re.sub(r'<[^>]+>|title="[^"]*"', " ", page.content.decode())
    assert re.findall(r"\d\d/\d\d/\d{4} \d\d:\d\d", visible)
    assert not re.findall(r"\d+ de [a-zA-Zç]+ de \d{4}", visible)


def test_department_descriptions_are_shown_in_the_readers_language_only(login, customer, support):
    support.description, support.description_en = "Problemas técnicos.", "Technical problems."
    support.save()
    client = login(customer)

    portuguese = client.get(reverse("tickets:new"), HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "Problemas técnicos." in portuguese and "Technical problems." not in portuguese
    customer.language = "en"
    customer.save()
    english = client.get(reverse("tickets:new_department", args=["suporte"])).content.decode()
    assert "Technical problems." in english and "Problemas técnicos." not in english


def test_a_department_described_in_one_language_shows_that_one_to_everyone(login, customer, support):
    support.description, support.description_en = "", "Technical problems."
    support.save()
    page = login(customer).get(reverse("tickets:new"), HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "Technical problems." in page


def test_mail_facts_write_values_after_a_colon_in_lowercase(
    make_ticket, agent, mailoutbox, django_capture_on_commit_callbacks, tasks_in_process
):
    agent.language = "pt-br"
    agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(priority="high")
    mail = next(m for m in mailoutbox if m.to == [agent.email])
    assert "Prioridade: alta" in mail.body
    assert not re.search(r": [A-ZÁÉÍÓÚ][a-zà-ú]+ ·", mail.body)
    assert Ticket.objects.count() == 1
