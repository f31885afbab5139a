"""The customer's ticket page: the thread, replying, closing, and My tickets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets.models import Attachment, Status, Ticket
from tickets.tests.files import png_bytes, png_upload

pytestmark = pytest.mark.usefixtures("english")


def _url(ticket, name="tickets:detail"):
    return reverse(name, args=[ticket.reference])


# The page


def test_ticket_page_shows_the_thread_in_time_order_with_roles(login, customer, agent, ticket):
    ticket.reply(author=agent, body="Reiniciamos o servidor.")
    ticket.reply(author=agent, body="Segredo da equipe", internal=True)
    ticket.reply(author=customer, body="Voltou, obrigada!")
    page = login(customer).get(_url(ticket)).content.decode()
    first, staff, last = (page.index(t) for t in ("Meu site mostra erro 500.", "Reiniciamos", "Voltou, obrigada!"))
    assert first < staff < last
    assert "André Agente" in page and "Support team" in page
    assert "Segredo da equipe" not in page
    assert "Status changed from “Open” to “Answered” by André Agente (support team)" in page
    assert 'action="/tickets/' in page


def test_events_of_staff_are_shown_with_who_did_them(login, customer, agent, billing, ticket):
    ticket.transfer(billing, by=agent)
    ticket.close(by=agent)
    page = login(customer).get(_url(ticket)).content.decode()
    assert "Transferred from Suporte to Financeiro by André Agente (support team)" in page
    assert "Closed by André Agente (support team)" in page


def test_thumbnails_link_to_the_file(login, customer, make_ticket):
    ticket = make_ticket(uploads=[png_upload("tela.png")])
    attachment = Attachment.objects.get()
    page = login(customer).get(_url(ticket)).content.decode()
    assert f'src="{attachment.get_thumbnail_url()}"' in page
    assert f'href="{attachment.get_absolute_url()}"' in page
    # The link is named once, by the caption; the image's alt text does not repeat it.
    assert 'alt="" loading="lazy"' in page and 'alt="tela.png"' not in page
    assert '<span class="d-block small text-truncate">tela.png</span>' in page


def test_times_are_shown_in_the_customers_time_zone(login, customer, ticket):
    customer.time_zone = "Asia/Tokyo"
    customer.save()
    page = login(customer).get(_url(ticket)).content.decode()
    assert "+09:00" in page


def test_customer_who_is_also_an_agent_sees_no_internal_note_in_the_customer_panel(login, agent, make_ticket):
    ticket = make_ticket(customer=agent)
    ticket.reply(author=agent, body="Nota interna", internal=True, from_staff=True)
    page = login(agent).get(_url(ticket)).content.decode()
    assert "Nota interna" not in page


@pytest.mark.parametrize("who", ["other_customer", "other_agent"])
def test_someone_elses_ticket_is_404(request, login, ticket, who):
    client = login(request.getfixturevalue(who))
    assert client.get(_url(ticket)).status_code == 404
    assert client.post(_url(ticket), {"body": "oi"}).status_code == 404
    assert client.post(_url(ticket, "tickets:close")).status_code == 404
    assert ticket.messages.count() == 1


def test_agent_of_the_department_gets_404_in_the_customer_panel(login, agent, ticket):
    assert login(agent).get(_url(ticket)).status_code == 404


def test_unknown_reference_is_404(login, customer, ticket):
    assert login(customer).get(reverse("tickets:detail", args=[999999999])).status_code == 404


def test_anonymous_is_sent_to_login(client, ticket):
    for method in (client.get, client.post):
        response = method(_url(ticket))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    response = client.post(_url(ticket, "tickets:close"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert Ticket.objects.get().status == Status.OPEN


def test_ticket_page_refuses_other_methods(login, customer, ticket):
    assert login(customer).delete(_url(ticket)).status_code == 405


# Replying


def test_customer_reply_after_an_answer_sets_customer_reply(login, customer, agent, ticket):
    ticket.reply(author=agent, body="Pode testar?")
    response = login(customer).post(
        _url(ticket),
        {"body": "Ainda com erro.", "attachments": [SimpleUploadedFile("b.png", png_bytes(), "image/png")]},
        follow=True,
    )
    assert "Your reply was sent." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.CUSTOMER_REPLY
    message = ticket.messages.latest("created_at")
    assert message.body == "Ainda com erro." and message.author == customer
    assert message.attachments.get().original_name == "b.png"


def test_customer_reply_before_any_answer_keeps_it_open(login, customer, ticket):
    login(customer).post(_url(ticket), {"body": "Mais um detalhe."})
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.count() == 2


def test_reply_to_a_closed_ticket_reopens_it(login, customer, ticket):
    ticket.close(by=customer)
    response = login(customer).post(_url(ticket), {"body": "Voltou a falhar."}, follow=True)
    assert "the ticket is open again" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.closed_at is None
    assert "Reopened by you" in response.content.decode()


def test_posted_extra_fields_are_ignored_when_replying(login, customer, agent, ticket):
    login(customer).post(
        _url(ticket), {"body": "Oi", "internal": "on", "status": "closed", "assignee": agent.pk, "from_staff": "1"}
    )
    ticket.refresh_from_db()
    message = ticket.messages.latest("created_at")
    assert not message.internal and not message.from_staff
    assert ticket.status == Status.OPEN and ticket.assignee is None


def test_empty_reply_reshows_the_page_with_an_error(login, customer, ticket):
    response = login(customer).post(_url(ticket), {"body": ""})
    assert response.status_code == 200
    assert "Your reply was not sent." in response.content.decode()
    assert ticket.messages.count() == 1


def test_reply_with_a_bad_file_saves_nothing_and_keeps_the_text(login, customer, ticket):
    response = login(customer).post(
        _url(ticket),
        {
            "body": "Segue o print",
            "attachments": [SimpleUploadedFile("print.png", b"<svg onload=alert(1)>", "image/png")],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "“print.png” is not an accepted file." in page
    assert "Segue o print" in page
    assert ticket.messages.count() == 1
    assert not Attachment.objects.exists()


# Closing


def test_customer_closes_their_ticket(login, customer, ticket):
    page = login(customer).get(_url(ticket)).content.decode()
    assert f'action="{_url(ticket, "tickets:close")}"' in page
    response = login(customer).post(_url(ticket, "tickets:close"), follow=True)
    assert "Ticket closed." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.events.filter(kind="status", new_value="closed", actor=customer).exists()
    assert "Closed by you" in response.content.decode()
    assert f'action="{_url(ticket, "tickets:close")}"' not in response.content.decode()


def test_closing_twice_is_harmless(login, customer, ticket):
    client = login(customer)
    client.post(_url(ticket, "tickets:close"))
    response = client.post(_url(ticket, "tickets:close"), follow=True)
    assert "already closed" in response.content.decode()
    assert ticket.events.filter(kind="status").count() == 1


def test_close_is_post_only(login, customer, ticket):
    assert login(customer).get(_url(ticket, "tickets:close")).status_code == 405
    assert Ticket.objects.get().status == Status.OPEN


def test_forms_carry_csrf_protection(customer, ticket):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    assert client.post(_url(ticket, "tickets:close")).status_code == 403
    assert client.post(_url(ticket), {"body": "x"}).status_code == 403
    page = client.get(_url(ticket)).content.decode()
    assert page.count("csrfmiddlewaretoken") >= 3


# My tickets and home


def test_my_tickets_lists_active_tickets_by_default(login, customer, other_customer, agent, make_ticket):
    answered = make_ticket(subject="Respondido pela equipe")
    answered.reply(author=agent, body="Feito.")
    closed = make_ticket(subject="Já resolvido")
    closed.close(by=customer)
    make_ticket(subject="Chamado de outra pessoa", customer=other_customer)
    page = login(customer).get(reverse("tickets:list")).content.decode()
    assert "Respondido pela equipe" in page
    assert "Já resolvido" not in page
    assert "Chamado de outra pessoa" not in page
    assert "Waiting for you" in page and "hd-waiting" in page
    assert "Last reply: support team" in page
    assert "Suporte" in page


@pytest.mark.parametrize(("status", "shown"), [("closed", True), ("all", True), ("open", False), ("bogus", False)])
def test_my_tickets_filters_by_status(login, customer, make_ticket, status, shown):
    make_ticket(subject="Já resolvido").close(by=customer)
    page = login(customer).get(reverse("tickets:list"), {"status": status}).content.decode()
    assert ("Já resolvido" in page) is shown


def test_my_tickets_paginates(login, customer, make_ticket):
    for number in range(25):
        make_ticket(subject=f"Chamado {number:02d}")
    client = login(customer)
    first = client.get(reverse("tickets:list")).content.decode()
    second = client.get(reverse("tickets:list"), {"page": 2}).content.decode()
    assert "Chamado 24" in first and "Chamado 00" not in first
    assert "Chamado 00" in second and "Page 2 of 2" in second


def test_my_tickets_requires_login_and_get(client, login, customer):
    assert client.get(reverse("tickets:list"))["Location"].startswith(reverse("account_login"))
    assert login(customer).post(reverse("tickets:list")).status_code == 405


def test_agent_can_still_open_their_own_my_tickets(login, agent, make_ticket):
    make_ticket(customer=agent, subject="Meu próprio chamado")
    client = login(agent)
    assert client.get(reverse("tickets:home"))["Location"] == reverse("staff:queue")
    assert "Meu próprio chamado" in client.get(reverse("tickets:list")).content.decode()


def test_home_shows_open_tickets_and_the_new_ticket_button(login, customer, agent, make_ticket):
    make_ticket(subject="Aguardando").reply(author=agent, body="Feito.")
    page = login(customer).get(reverse("tickets:home")).content.decode()
    assert "Aguardando" in page
    assert reverse("tickets:new") in page
    assert "One ticket is waiting for your reply." in page


def test_home_for_anonymous_offers_login_and_sign_up(client):
    page = client.get(reverse("tickets:home")).content.decode()
    assert reverse("account_login") in page and reverse("account_signup") in page


def test_reply_of_an_additional_contact_by_email_is_marked_as_such(login, customer, ticket):
    ticket.reply(author=None, sender_email="socio@example.com", body="Sou o sócio.", source="email")
    page = login(customer).get(_url(ticket)).content.decode()
    assert "socio@example.com" in page and "Additional contact" in page and "by e-mail" in page
    assert page.count("Additional contact") == 1


def test_home_is_get_only(login, customer):
    assert login(customer).post(reverse("tickets:home")).status_code == 405


def test_replies_are_rate_limited_per_customer(login, customer, ticket, monkeypatch):
    from helpdesk import ratelimit

    monkeypatch.setitem(ratelimit.LIMITS, "ticket_reply", (2, 3600))
    client = login(customer)
    assert client.post(_url(ticket), {"body": "1"}).status_code == 302
    assert client.post(_url(ticket), {"body": "2"}).status_code == 302
    refused = client.post(_url(ticket), {"body": "Terceira resposta"})
    assert refused.status_code == 429
    assert "Terceira resposta</textarea>" in refused.content.decode()
    assert "already sent 2 replies within the last 60 minutes, the most we accept" in refused.content.decode()
    assert ticket.messages.count() == 3
    assert client.post(_url(ticket), {"body": ""}).status_code == 200  # a refused form is not counted, nor sent
    assert client.get(_url(ticket)).status_code == 200


@pytest.mark.parametrize(
    ("limit", "language", "said"),
    [
        (1, "en", "You have already sent 1 reply within the last 60 minutes"),
        (1, "pt-br", "Você já enviou 1 resposta em 60 minutos"),
        (3, "pt-br", "Você já enviou 3 respostas em 60 minutos"),
    ],
)
def test_the_reply_limit_is_said_in_the_singular_or_plural(login, customer, ticket, monkeypatch, limit, language, said):
    from helpdesk import ratelimit

    monkeypatch.setitem(ratelimit.LIMITS, "ticket_reply", (limit, 3600))
    customer.language = language
    customer.save()
    client = login(customer)
    for n in range(limit):
        assert client.post(_url(ticket), {"body": f"Resposta {n}"}).status_code == 302
    refused = client.post(_url(ticket), {"body": "Mais uma"})
    assert refused.status_code == 429
    assert said in refused.content.decode()
