"""Attachments are served only through the view that checks who may see the ticket."""

import pytest
from django.urls import reverse

from tickets.attachments import check_bytes
from tickets.models import Attachment
from tickets.tests.files import png_upload


@pytest.fixture
def image(make_ticket):
    ticket = make_ticket(uploads=[png_upload("tela.png")])
    return Attachment.objects.get(message__ticket=ticket)


@pytest.fixture
def pdf(ticket, customer):
    ticket.reply(author=customer, body="Segue a fatura", uploads=[check_bytes(b"%PDF-1.4\n%%EOF\n", "fatura.pdf")])
    return Attachment.objects.get(original_name="fatura.pdf")


def _get(client, attachment, thumbnail=False):
    name = "tickets:attachment_thumbnail" if thumbnail else "tickets:attachment"
    return client.get(reverse(name, args=[attachment.message.ticket.reference, attachment.pk]))


def test_image_is_served_inline_with_its_type_and_nosniff(login, customer, image):
    response = _get(login(customer), image)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline; filename*=UTF-8''tela.png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "sandbox" in response["Content-Security-Policy"]


def test_thumbnail_is_webp(login, customer, image):
    response = _get(login(customer), image, thumbnail=True)
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[8:12] == b"WEBP"


def test_pdf_is_a_download(login, customer, pdf):
    response = _get(login(customer), pdf)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''fatura.pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_text_log_is_a_download(login, customer, ticket):
    ticket.reply(author=customer, body="log", uploads=[check_bytes(b"<b>not html</b>\n", "erro.log")])
    response = _get(login(customer), Attachment.objects.get())
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")


def test_pdf_has_no_thumbnail(login, customer, pdf):
    assert _get(login(customer), pdf, thumbnail=True).status_code == 404


def test_agent_of_the_department_may_fetch_the_file(login, agent, image):
    assert _get(login(agent), image).status_code == 200


@pytest.mark.parametrize("who", ["other_customer", "other_agent"])
def test_file_of_someone_elses_ticket_is_404(request, login, image, who):
    client = login(request.getfixturevalue(who))
    assert _get(client, image).status_code == 404
    assert _get(client, image, thumbnail=True).status_code == 404


def test_anonymous_is_sent_to_login(client, image):
    response = _get(client, image)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_file_under_another_tickets_reference_is_404(login, customer, make_ticket, image):
    mine = make_ticket(subject="Outro")
    url = reverse("tickets:attachment", args=[mine.reference, image.pk])
    assert login(customer).get(url).status_code == 404


def test_file_of_an_internal_note_is_404_for_the_customer(login, customer, agent, ticket):
    ticket.reply(author=agent, body="print interno", internal=True, uploads=[png_upload("interno.png")])
    note_file = Attachment.objects.get()
    assert _get(login(customer), note_file).status_code == 404
    assert _get(login(agent), note_file).status_code == 200


def test_files_are_post_proof(login, customer, image):
    url = reverse("tickets:attachment", args=[image.message.ticket.reference, image.pk])
    assert login(customer).post(url).status_code == 405


def test_stored_file_is_not_reachable_by_its_path(login, customer, image):
    client = login(customer)
    for path in (image.file.name, image.thumbnail.name):
        assert client.get(f"/{path}").status_code == 404
        assert client.get(f"/media/{path}").status_code == 404
