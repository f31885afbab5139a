"""The customer's account pages: profile, additional contacts, and allauth's pages in the product's look."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import Contact

pytestmark = pytest.mark.usefixtures("english")


# Profile


def test_profile_shows_the_current_values(login, customer):
    customer.time_zone = "America/Manaus"
    customer.save()
    page = login(customer).get(reverse("account_profile")).content.decode()
    assert 'value="Carla Cliente"' in page
    assert '<option value="America/Manaus" selected>' in page
    assert "cliente@example.com" in page


def test_profile_saves_name_language_and_time_zone(login, customer):
    client = login(customer)
    response = client.post(
        reverse("account_profile"), {"name": "Carla C.", "language": "pt-br", "time_zone": "America/Manaus"}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.language, customer.time_zone) == ("Carla C.", "pt-br", "America/Manaus")
    page = client.get(reverse("account_profile")).content.decode()
    assert '<html lang="pt-br">' in page
    assert "America/Manaus" in page


def test_profile_refuses_an_unknown_time_zone_and_keeps_what_was_typed(login, customer):
    response = login(customer).post(
        reverse("account_profile"), {"name": "Nome novo", "language": "en", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice." in page
    assert 'value="Nome novo"' in page
    customer.refresh_from_db()
    assert customer.name == "Carla Cliente"


def test_profile_ignores_posted_extra_fields(login, customer):
    login(customer).post(
        reverse("account_profile"),
        {"name": "X", "language": "en", "time_zone": "", "email": "evil@example.com", "is_superuser": "on"},
    )
    customer.refresh_from_db()
    assert customer.email == "cliente@example.com" and not customer.is_superuser and not customer.is_staff


def test_profile_requires_login_and_refuses_other_methods(client, login, customer):
    assert client.get(reverse("account_profile"))["Location"].startswith(reverse("account_login"))
    assert login(customer).delete(reverse("account_profile")).status_code == 405


# Additional contacts


def _confirm_link(mail):
    return re.search(r"https?://\S+/accounts/contacts/confirm/\S+/", mail.body).group(0)


def test_adding_a_contact_sends_a_confirmation_link_only(login, customer, mailoutbox, settings):
    settings.SITE_URL = "https://help.example.com"
    response = login(customer).post(reverse("account_contacts"), {"email": "Socio@Example.com", "name": "Sócio"})
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.user, contact.email, contact.name, contact.verified) == (
        customer,
        "socio@example.com",
        "Sócio",
        False,
    )
    assert Contact.objects.verified().count() == 0
    [mail] = mailoutbox
    assert mail.to == ["socio@example.com"]
    assert "Carla Cliente" in mail.subject
    assert _confirm_link(mail).startswith("https://help.example.com/accounts/contacts/confirm/")
    html = mail.alternatives[0][0]
    assert _confirm_link(mail).removeprefix("https://help.example.com") in html


def test_contact_confirms_with_a_post_without_logging_in(client, login, customer, mailoutbox):
    login(customer).post(reverse("account_contacts"), {"email": "socio@example.com"})
    path = re.search(r"/accounts/contacts/confirm/\S+/", mailoutbox[0].body).group(0)
    client.logout()
    page = client.get(path)
    assert page.status_code == 200
    assert "Carla Cliente added socio@example.com" in page.content.decode()
    assert not Contact.objects.get().verified
    response = client.post(path)
    assert "is confirmed" in response.content.decode()
    assert Contact.objects.get().verified


def test_tampered_or_stale_confirmation_link_is_refused(client, customer):
    contact = Contact.objects.create(user=customer, email="socio@example.com")
    token = contact.make_token()
    assert client.post(reverse("account_contact_confirm", args=[token + "x"])).status_code == 404
    contact.email = "outro@example.com"
    contact.save()
    assert client.post(reverse("account_contact_confirm", args=[token])).status_code == 404
    assert not Contact.objects.get().verified


def test_confirmation_link_expires_after_a_week(client, customer):
    import time_machine
    from django.utils import timezone

    contact = Contact.objects.create(user=customer, email="socio@example.com")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = contact.make_token()
        traveller.shift(8 * 24 * 3600)
        assert client.post(reverse("account_contact_confirm", args=[token])).status_code == 404
    assert not Contact.objects.get().verified


def test_confirmation_link_of_a_removed_contact_is_refused(client, customer):
    contact = Contact.objects.create(user=customer, email="socio@example.com")
    token = contact.make_token()
    contact.delete()
    assert client.get(reverse("account_contact_confirm", args=[token])).status_code == 404


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("cliente@example.com", "This is already your own address."),
        ("socio@example.com", "This address is already one of your contacts."),
        ("não é e-mail", "Enter a valid email address."),
    ],
)
def test_contact_form_errors(login, customer, mailoutbox, email, error):
    Contact.objects.create(user=customer, email="socio@example.com")
    response = login(customer).post(reverse("account_contacts"), {"email": email, "name": "Digitado"})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert 'value="Digitado"' in response.content.decode()
    assert Contact.objects.count() == 1
    assert not mailoutbox


def test_at_most_ten_contacts(login, customer):
    for n in range(10):
        Contact.objects.create(user=customer, email=f"c{n}@example.com")
    response = login(customer).post(reverse("account_contacts"), {"email": "c10@example.com"})
    assert "at most 10 additional contacts" in response.content.decode()
    assert Contact.objects.count() == 10


def test_contacts_page_lists_only_my_contacts(login, customer, other_customer):
    Contact.objects.create(user=customer, email="meu@example.com")
    Contact.objects.create(user=other_customer, email="dele@example.com")
    page = login(customer).get(reverse("account_contacts")).content.decode()
    assert "meu@example.com" in page and "dele@example.com" not in page
    assert "Waiting for confirmation" in page


def test_customer_removes_a_contact(login, customer):
    contact = Contact.objects.create(user=customer, email="socio@example.com")
    response = login(customer).post(reverse("account_contact_remove", args=[contact.pk]))
    assert response.status_code == 302
    assert not Contact.objects.exists()


def test_another_customer_cannot_remove_or_resend_my_contact(login, customer, other_customer, mailoutbox):
    contact = Contact.objects.create(user=customer, email="socio@example.com")
    client = login(other_customer)
    assert client.post(reverse("account_contact_remove", args=[contact.pk])).status_code == 404
    assert client.post(reverse("account_contact_resend", args=[contact.pk])).status_code == 404
    assert Contact.objects.exists() and not mailoutbox


def test_remove_and_resend_are_post_only_and_need_login(client, login, customer):
    contact = Contact.objects.create(user=customer, email="socio@example.com")
    urls = [reverse(name, args=[contact.pk]) for name in ("account_contact_remove", "account_contact_resend")]
    for url in urls:
        assert client.post(url)["Location"].startswith(reverse("account_login"))
    assert client.get(reverse("account_contacts"))["Location"].startswith(reverse("account_login"))
    for url in urls:
        assert login(customer).get(url).status_code == 405
    assert Contact.objects.exists()


def test_resend_sends_the_link_again_to_an_unconfirmed_contact_only(login, customer, mailoutbox):
    waiting = Contact.objects.create(user=customer, email="socio@example.com")
    confirmed = Contact.objects.create(user=customer, email="ok@example.com")
    confirmed.confirm()
    client = login(customer)
    client.post(reverse("account_contact_resend", args=[waiting.pk]))
    assert client.post(reverse("account_contact_resend", args=[confirmed.pk])).status_code == 404
    assert [mail.to for mail in mailoutbox] == [["socio@example.com"]]


# allauth's pages in the product's layout


@pytest.mark.parametrize(
    "name", ["account_login", "account_signup", "account_reset_password", "account_email_verification_sent"]
)
def test_entrance_pages_use_the_product_layout(db, client, name):
    page = client.get(reverse(name)).content.decode()
    assert "hd-navbar" in page and "bootstrap.min.css" in page and "entrance.css" in page
    assert "<script>" not in page and "style=" not in page


def test_login_form_is_bootstrap(db, client):
    page = client.get(reverse("account_login")).content.decode()
    assert "form-control" in page and 'class="btn btn-primary w-100"' in page


@pytest.mark.parametrize("name", ["account_email", "account_change_password"])
def test_manage_pages_use_the_product_layout_and_account_menu(login, customer, name):
    page = login(customer).get(reverse(name)).content.decode()
    assert "hd-navbar" in page and "hd-account-nav" in page
    assert 'aria-current="page"' in page
    assert "<script>" not in page.split("bootstrap.bundle.min.js")[0].split("</nav>", 1)[1]
    assert "style=" not in page


def test_email_change_asks_for_verification_of_the_new_address(login, customer, mailoutbox):
    client = login(customer)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "nova@example.com"}, follow=True)
    assert response.status_code == 200
    new = EmailAddress.objects.get(email="nova@example.com")
    assert not new.verified
    customer.refresh_from_db()
    assert customer.email == "cliente@example.com"
    assert mailoutbox and mailoutbox[-1].to == ["nova@example.com"]
    assert "Changing to" in client.get(reverse("account_email")).content.decode()


def test_password_change_works(login, customer):
    from conftest import PASSWORD

    client = login(customer)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "Nova-senha-2026", "password2": "Nova-senha-2026"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password("Nova-senha-2026")


def test_password_change_errors_are_shown(login, customer):
    response = login(customer).post(
        reverse("account_change_password"), {"oldpassword": "errada", "password1": "a", "password2": "b"}
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()


def _link(mail):
    return re.search(r"https?://[^/\s]+(/\S+)", mail.body).group(1)


def test_sign_up_sends_a_verification_mail_and_confirming_logs_in(db, client, mailoutbox):
    response = client.post(
        reverse("account_signup"),
        {
            "name": "Nova Pessoa",
            "email": "nova@example.com",
            "password1": "Uma-senha-boa-2026",
            "password2": "Uma-senha-boa-2026",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "hd-navbar" in page and "Verify Your Email Address" in page
    confirm_url = _link(mailoutbox[0])
    page = client.get(confirm_url).content.decode()
    assert "hd-navbar" in page and 'class="btn btn-primary' in page
    response = client.post(confirm_url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("tickets:home")
    assert EmailAddress.objects.get(email="nova@example.com").verified


def test_password_reset_pages_use_the_product_layout(client, customer, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": customer.email}, follow=True)
    assert "hd-navbar" in response.content.decode()
    response = client.get(_link(mailoutbox[0]), follow=True)
    page = response.content.decode()
    assert "hd-navbar" in page and 'name="password1"' in page and "form-control" in page


def test_logout_confirmation_page_uses_the_product_layout(login, customer):
    page = login(customer).get(reverse("account_logout")).content.decode()
    assert "hd-navbar" in page and "btn btn-primary" in page


def test_adding_and_resending_contacts_is_rate_limited(login, customer, mailoutbox, monkeypatch):
    from helpdesk import ratelimit

    monkeypatch.setitem(ratelimit.LIMITS, "contact_add", (2, 3600))
    client = login(customer)
    assert client.post(reverse("account_contacts"), {"email": "a@example.com"}).status_code == 302
    contact = Contact.objects.get()
    assert client.post(reverse("account_contact_resend", args=[contact.pk])).status_code == 302
    assert client.post(reverse("account_contact_resend", args=[contact.pk])).status_code == 429
    assert client.post(reverse("account_contacts"), {"email": "b@example.com"}).status_code == 429
    assert len(mailoutbox) == 2 and Contact.objects.count() == 1


def test_a_new_contact_cannot_be_posted_as_confirmed_or_for_someone_else(login, customer, other_customer):
    login(customer).post(
        reverse("account_contacts"),
        {"email": "socio@example.com", "verified_at": "2026-01-01 00:00", "user": other_customer.pk},
    )
    contact = Contact.objects.get()
    assert contact.user == customer and not contact.verified


def test_confirmation_page_refuses_other_methods(client, customer):
    contact = Contact.objects.create(user=customer, email="socio@example.com")
    assert client.put(reverse("account_contact_confirm", args=[contact.make_token()])).status_code == 405
    assert not Contact.objects.get().verified
