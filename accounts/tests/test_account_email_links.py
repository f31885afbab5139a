"""Every link allauth mails (verification, reset, sign-up invitation) is built from SITE_URL, not the Host header."""

import re

from django.urls import reverse

LINK = re.compile(r"https?://[^\s\"<>]+/")


def _links(message):
    return LINK.findall(message.body)


def test_password_reset_link_comes_from_site_url(client, customer, mailoutbox, settings):
    settings.SITE_URL = "https://help.example.com"
    settings.HELPDESK_NAME = "Ajuda Hospedagem"
    client.post(reverse("account_reset_password"), {"email": customer.email})
    links = _links(mailoutbox[0])
    assert links and all(link.startswith("https://help.example.com/accounts/password/reset/key/") for link in links)
    assert "testserver" not in mailoutbox[0].body
    assert "Ajuda Hospedagem" in mailoutbox[0].body


def test_sign_up_invitation_to_an_unknown_address_comes_from_site_url(client, db, mailoutbox, settings):
    settings.SITE_URL = "https://help.example.com"
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert _links(mailoutbox[0]) == ["https://help.example.com/accounts/signup/"]


def test_verification_link_comes_from_site_url(client, db, mailoutbox, settings):
    settings.SITE_URL = "https://help.example.com"
    client.post(
        reverse("account_signup"),
        {"name": "Novo", "email": "novo@example.com", "password1": "Very-l0ng-pass", "password2": "Very-l0ng-pass"},
        HTTP_HOST="localhost",
    )
    links = _links(mailoutbox[0])
    assert links and all(link.startswith("https://help.example.com/accounts/confirm-email/") for link in links)
    key = links[0].rstrip("/").rsplit("/", 1)[-1]
    assert client.get(reverse("account_confirm_email", args=[key])).status_code == 200


def test_every_account_mail_is_marked_automatic_so_no_auto_responder_answers_it(client, login, customer, mailoutbox):
    """RFC 3834: password reset, sign-up verification, the sign-up invitation and a contact's confirmation."""
    client.post(reverse("account_reset_password"), {"email": customer.email})
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    client.post(
        reverse("account_signup"),
        {
            "name": "Novo Cliente",
            "email": "novo@example.com",
            "password1": "Very-l0ng-pass",
            "password2": "Very-l0ng-pass",
        },
    )
    login(customer).post(reverse("account_contacts"), {"email": "socio@example.com", "name": "Sócio"})

    assert len(mailoutbox) == 4
    assert [mail.message()["Auto-Submitted"] for mail in mailoutbox] == ["auto-generated"] * 4
