"""A post larger than a message's files may be is refused before it is read, and changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets.models import Ticket

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1024 * 1024


def _form(**extra):
    return {"subject": "Site fora do ar", "summary": "Erro 500", "priority": "high", "body": "Erro 500.", **extra}


def test_a_post_over_the_limit_is_refused_with_a_clear_page(login, customer, support):
    big = SimpleUploadedFile("enorme.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024), content_type="image/png")
    response = login(customer).post(reverse("tickets:new_department", args=["suporte"]), _form(attachments=[big]))
    assert response.status_code == 413
    page = response.content.decode()
    assert "What you sent is too large" in page and "at most 1.0\xa0MB" in page
    assert not Ticket.objects.exists()


def test_a_post_under_the_limit_goes_through(login, customer, support):
    response = login(customer).post(reverse("tickets:new_department", args=["suporte"]), _form())
    assert response.status_code == 302 and Ticket.objects.count() == 1


def test_mail_webhooks_are_not_limited_by_it(client, db, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "anymail:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": "key"}
    response = client.post("/anymail/postmark/inbound/", "x" * (2 * 1024 * 1024), "application/json")
    assert response.status_code != 413 and b"too large" not in response.content
