"""The product's name and logo come from settings and appear in the pages, the e-mails and the admin."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _brand(settings):
    settings.HELPDESK_NAME = "Ajuda Hospedagem"
    settings.HELPDESK_LOGO = "https://cdn.example.com/logo.png"
    settings.SITE_URL = "https://help.example.com"


def test_pages_show_the_products_name_and_logo(client, db):
    page = client.get(reverse("tickets:home")).content.decode()
    assert "<title>" in page and "Ajuda Hospedagem</title>" in page
    assert '<img src="https://cdn.example.com/logo.png" alt="" width="32" height="32">Ajuda Hospedagem' in page
    assert ">Helpdesk<" not in page


def test_a_logo_among_the_static_files_is_absolute_in_mail(
    settings, make_ticket, customer, mailoutbox, django_capture_on_commit_callbacks, tasks_in_process
):
    settings.HELPDESK_LOGO = "img/logo.png"
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket()
    mail = next(m for m in mailoutbox if m.to == [customer.email])
    html = mail.alternatives[0][0]
    assert 'src="https://help.example.com/static/img/logo.png"' in html and "Ajuda Hospedagem" in html
    assert "Ajuda Hospedagem" in mail.body


def test_no_logo_when_none_is_configured(settings, client, db):
    settings.HELPDESK_LOGO = ""
    page = client.get(reverse("tickets:home")).content.decode()
    assert 'alt="" width="32"' not in page and "Ajuda Hospedagem" in page


def test_the_admin_carries_the_products_name_and_logo(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Ajuda Hospedagem administration" in page and "Django administration" not in page
    assert 'src="https://cdn.example.com/logo.png"' in page
    assert "| Ajuda Hospedagem</title>" in page
