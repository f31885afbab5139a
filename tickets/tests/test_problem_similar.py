"""Similar tickets in the workspace: open tickets of the same department or service from the last
7 days, ranked by the words of the subject and first message (full-text on PostgreSQL, shared words elsewhere)."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from departments.models import Service
from tickets.models import Problem
from tickets.problems import similar_tickets, words

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def outage(make_ticket, hosting):
    return make_ticket(
        subject="Site fora do ar com erro 500",
        body="Meu site exemplo.com.br mostra erro 500 desde cedo.",
        service=hosting,
    )


def test_words_leave_out_stop_words_short_words_and_repeats():
    assert words("Meu site está FORA do ar, site fora!") == ["site", "fora"]


def test_the_most_similar_open_tickets_come_first(agent, outage, make_ticket, hosting):
    close_match = make_ticket(subject="Erro 500 no site", body="O site exemplo.net dá erro 500", service=hosting)
    loose_match = make_ticket(subject="Dúvida sobre o site", body="Como mudo o tema?")
    unrelated = make_ticket(subject="Boleto", body="Quero a segunda via")
    found = similar_tickets(outage, agent)
    assert found[0] == close_match
    assert loose_match in found
    assert unrelated not in found and outage not in found


def test_closed_old_and_other_departments_tickets_are_not_suggested(
    agent, outage, make_ticket, billing, other_customer
):
    closed = make_ticket(subject="Site fora do ar erro 500")
    closed.close(by=agent)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=8)):
        old = make_ticket(subject="Site fora do ar erro 500")
    elsewhere = make_ticket(subject="Site fora do ar erro 500", department=billing)
    found = similar_tickets(outage, agent)
    assert not {closed, old, elsewhere} & set(found)


def test_a_ticket_of_another_department_on_the_same_service_is_suggested_only_to_its_staff(
    agent, admin_user, outage, make_ticket, billing, hosting
):
    same_service = make_ticket(subject="Site fora do ar erro 500", department=billing, service=hosting)
    assert same_service not in similar_tickets(outage, agent)
    assert same_service in similar_tickets(outage, admin_user)


def test_a_ticket_of_the_same_department_on_another_service_is_suggested(agent, outage, make_ticket):
    email = Service.objects.create(name="E-mail")
    other_service = make_ticket(subject="Erro 500 no webmail", service=email)
    assert other_service in similar_tickets(outage, agent)


def test_the_workspace_shows_similar_tickets_with_their_problem(login, agent, outage, make_ticket, support):
    linked = make_ticket(subject="Erro 500 no site inteiro")
    problem = Problem.open_from(by=agent, department=support, title="web01 caiu", tickets=[linked])
    client = login(agent)
    # The workspace's card asks for them once the page is shown; its link opens them without the script.
    page = client.get(outage.get_staff_url()).content.decode()
    url = reverse("staff:ticket_similar", args=[outage.reference])
    assert f'data-url="{url}"' in page and f'href="{url}"' in page
    card = page[page.index("Similar open tickets") : page.index("</section>", page.index("Similar open tickets"))]
    assert linked.display_reference not in card
    fragment = client.get(url, headers={"X-Requested-With": "fetch"})
    assert "X-Requested-With" in fragment["Vary"] and "<html" not in fragment.content.decode()
    whole = client.get(url).content.decode()
    assert "<html" in whole
    for html in (fragment.content.decode(), whole):
        assert linked.display_reference in html and f"{problem.display_reference} web01 caiu" in html


@pytest.mark.parametrize("who", ["other_agent", "customer", "other_customer"])
def test_nobody_outside_the_department_gets_the_similar_tickets(request, login, outage, make_ticket, who):
    make_ticket(subject="Erro 500 no site inteiro")
    url = reverse("staff:ticket_similar", args=[outage.reference])
    response = login(request.getfixturevalue(who)).get(url, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 404 and b"Erro 500 no site inteiro" not in response.content


def test_anonymous_visitors_asking_for_similar_tickets_are_sent_to_log_in(client, outage):
    response = client.get(reverse("staff:ticket_similar", args=[outage.reference]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_ticket_with_no_distinctive_word_has_no_suggestion(agent, make_ticket):
    ticket = make_ticket(subject="Ajuda", body="por favor")
    make_ticket(subject="Ajuda", body="por favor")
    assert similar_tickets(ticket, agent) == []
