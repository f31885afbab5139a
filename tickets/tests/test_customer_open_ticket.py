"""Opening a ticket from the customer panel: choose the department, then the form."""

import io

import pytest
from django.urls import reverse

from departments.models import Department
from tickets.models import Attachment, EventKind, Message, Priority, Status, Ticket
from tickets.tests.files import jpeg_bytes, png_bytes

pytestmark = pytest.mark.usefixtures("english")


def _file(data, name, content_type="image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def _form(**extra):
    data = {
        "subject": "Site fora do ar",
        "summary": "Erro 500 na página inicial",
        "priority": "high",
        "service": "",
        "site": "exemplo.com.br",
        "body": "Desde hoje cedo o site mostra erro 500.",
    }
    data.update(extra)
    return data


def test_department_choice_lists_active_departments_with_their_description(login, customer, support, billing):
    Department.objects.create(name="Antigo", slug="antigo", email="antigo@example.com", active=False)
    response = login(customer).get(reverse("tickets:new"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Suporte" in page and "Technical problems" in page
    assert "Financeiro" in page and "Invoices and payments" in page
    assert reverse("tickets:new_department", args=["suporte"]) in page
    assert "Antigo" not in page


def test_department_choice_requires_login(client, support):
    response = client.get(reverse("tickets:new"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_department_choice_refuses_post(login, customer, support):
    assert login(customer).post(reverse("tickets:new")).status_code == 405


def test_form_page_names_the_department(login, customer, support, hosting):
    response = login(customer).get(reverse("tickets:new_department", args=["suporte"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Suporte" in page
    assert "Hospedagem" in page
    assert 'enctype="multipart/form-data"' in page


def test_form_of_an_unknown_or_inactive_department_is_404(login, customer, support):
    support.active = False
    support.save()
    assert login(customer).get(reverse("tickets:new_department", args=["suporte"])).status_code == 404
    assert login(customer).get(reverse("tickets:new_department", args=["nada"])).status_code == 404


def test_anonymous_cannot_post_a_ticket(client, support):
    response = client.post(reverse("tickets:new_department", args=["suporte"]), _form())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Ticket.objects.exists()


def test_form_refuses_put(login, customer, support):
    assert login(customer).put(reverse("tickets:new_department", args=["suporte"])).status_code == 405


def test_customer_opens_a_ticket_with_screenshots(login, customer, support, hosting):
    client = login(customer)
    response = client.post(
        reverse("tickets:new_department", args=["suporte"]),
        _form(
            service=hosting.pk,
            attachments=[_file(png_bytes(), "tela.png"), _file(jpeg_bytes(), "erro.jpg", "image/jpeg")],
        ),
        follow=True,
    )
    ticket = Ticket.objects.get()
    assert response.redirect_chain[-1][0] == ticket.get_absolute_url()
    page = response.content.decode()
    assert ticket.display_reference in page
    assert f"Ticket {ticket.display_reference} is open" in page
    assert (ticket.customer, ticket.department, ticket.service) == (customer, support, hosting)
    assert (ticket.subject, ticket.summary) == ("Site fora do ar", "Erro 500 na página inicial")
    assert ticket.priority == Priority.HIGH
    assert ticket.site == "exemplo.com.br"
    assert ticket.status == Status.OPEN
    message = ticket.messages.get()
    assert message.author == customer and not message.from_staff and not message.internal
    names = sorted(a.original_name for a in message.attachments.all())
    assert names == ["erro.jpg", "tela.png"]
    assert all(a.thumbnail for a in message.attachments.all())
    assert ticket.events.filter(kind=EventKind.CREATED, actor=customer).exists()


def test_posted_extra_fields_are_ignored_when_opening(login, customer, other_customer, agent, support):
    login(customer).post(
        reverse("tickets:new_department", args=["suporte"]),
        _form(status="closed", customer=other_customer.pk, assignee=agent.pk, internal="on", department=999),
    )
    ticket = Ticket.objects.get()
    assert ticket.customer == customer
    assert ticket.status == Status.OPEN
    assert ticket.assignee is None
    assert ticket.department == support
    assert not ticket.messages.get().internal


@pytest.mark.parametrize(
    ("site", "stored"),
    [
        ("exemplo.com.br", "exemplo.com.br"),
        ("https://www.exemplo.com.br/loja/", "https://www.exemplo.com.br/loja"),
        ("  loja.exemplo.com  ", "loja.exemplo.com"),
        ("", ""),
    ],
)
def test_site_address_is_normalised(login, customer, support, site, stored):
    login(customer).post(reverse("tickets:new_department", args=["suporte"]), _form(site=site))
    assert Ticket.objects.get().site == stored


@pytest.mark.parametrize("site", ["not a domain", "localhost", "javascript:alert(1)", "ftp://exemplo.com"])
def test_invalid_site_address_reshows_the_form_with_what_was_typed(login, customer, support, site):
    response = login(customer).post(reverse("tickets:new_department", args=["suporte"]), _form(site=site))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a site address or domain" in page
    assert "Desde hoje cedo o site mostra erro 500." in page
    assert not Ticket.objects.exists()


def test_missing_fields_are_reported(login, customer, support):
    response = login(customer).post(reverse("tickets:new_department", args=["suporte"]), _form(subject="", body=""))
    assert response.status_code == 200
    assert response.content.decode().count("This field is required.") == 2
    assert not Ticket.objects.exists()


def test_unknown_priority_is_refused(login, customer, support):
    response = login(customer).post(reverse("tickets:new_department", args=["suporte"]), _form(priority="urgent"))
    assert response.status_code == 200
    assert not Ticket.objects.exists()


def test_errors_are_shown_in_portuguese_for_a_portuguese_customer(login, customer, support):
    customer.language = "pt-br"
    customer.save()
    response = login(customer).post(
        reverse("tickets:new_department", args=["suporte"]),
        _form(body="", attachments=[_file(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.png")]),
    )
    assert response.status_code == 200
    assert "Este campo é obrigatório." in response.content.decode()


def test_priority_starts_at_medium(login, customer, support):
    response = login(customer).get(reverse("tickets:new_department", args=["suporte"]))
    assert f'value="{Priority.MEDIUM}" selected' in response.content.decode()


def test_a_bad_file_saves_nothing(login, customer, support):
    response = login(customer).post(
        reverse("tickets:new_department", args=["suporte"]),
        _form(attachments=[_file(png_bytes(), "ok.png"), _file(b"<html><script>x</script></html>", "page.png")]),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "“page.png” is not an accepted file." in page
    assert "Site fora do ar" in page
    assert "please choose them again" in page
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()


def test_plain_text_log_is_accepted_as_download(login, customer, support):
    login(customer).post(
        reverse("tickets:new_department", args=["suporte"]),
        _form(attachments=[_file(b"error 500 at line 3\n", "php-error.log", "text/plain")]),
    )
    attachment = Attachment.objects.get()
    assert attachment.content_type.startswith("text/plain")
    assert not attachment.is_image


def test_uploaded_file_keeps_its_original_name(login, customer, support):
    data = io.BytesIO(png_bytes())
    data.name = "a.png"
    login(customer).post(reverse("tickets:new_department", args=["suporte"]), _form(attachments=[data]))
    assert Attachment.objects.get().original_name == "a.png"


def test_opening_tickets_is_rate_limited_per_customer_keeping_the_text(login, customer, support, monkeypatch):
    from helpdesk import ratelimit

    monkeypatch.setitem(ratelimit.LIMITS, "ticket_open", (1, 3600))
    client = login(customer)
    assert client.post(reverse("tickets:new_department", args=["suporte"]), _form()).status_code == 302
    refused = client.post(reverse("tickets:new_department", args=["suporte"]), _form(subject="Outro problema"))
    assert refused.status_code == 429
    page = refused.content.decode()
    assert 'value="Outro problema"' in page and "Desde hoje cedo o site mostra erro 500." in page
    assert "already opened 1 ticket within the last 60 minutes, the most we accept" in page
    assert "1 tickets" not in page and "a few minutes" not in page
    assert Ticket.objects.count() == 1


def test_refused_submissions_do_not_count_against_the_limit(login, customer, support, monkeypatch):
    from helpdesk import ratelimit

    monkeypatch.setitem(ratelimit.LIMITS, "ticket_open", (1, 3600))
    client = login(customer)
    for _attempt in range(3):
        assert client.post(reverse("tickets:new_department", args=["suporte"]), _form(subject="")).status_code == 200
    assert client.post(reverse("tickets:new_department", args=["suporte"]), _form()).status_code == 302
    assert Ticket.objects.count() == 1
