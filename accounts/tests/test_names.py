"""People have names: sign-up asks for it (company and phone optional), the profile edits them, greetings use them."""

import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.usefixtures("english")

SIGN_UP = {"email": "maria.souza@example.com", "password1": "Uma-senha-boa-2026", "password2": "Uma-senha-boa-2026"}


def test_sign_up_asks_the_full_name_first_then_company_and_phone_as_optional(db, client):
    page = client.get(reverse("account_signup")).content.decode()
    positions = [page.index(f'name="{field}"') for field in ("name", "company", "phone", "email", "password1")]
    assert positions == sorted(positions)
    assert 'autocomplete="name"' in page and 'type="tel"' in page
    assert "Company (optional)" in page and "Phone (optional)" in page


def test_sign_up_stores_name_company_and_phone(db, client):
    data = {**SIGN_UP, "name": "  Maria   Souza ", "company": "Loja da Maria", "phone": "+55 11 91234-5678"}
    assert client.post(reverse("account_signup"), data).status_code == 302
    user = User.objects.get(email="maria.souza@example.com")
    assert (user.name, user.company, user.phone) == ("Maria Souza", "Loja da Maria", "+55 11 91234-5678")


def test_sign_up_without_a_name_is_refused_and_creates_nothing(db, client, mailoutbox):
    response = client.post(reverse("account_signup"), {**SIGN_UP, "name": "   "})
    assert response.status_code == 200
    assert "Please tell us your name." in response.content.decode() or "This field is required." in (
        response.content.decode()
    )
    assert 'value="maria.souza@example.com"' in response.content.decode()
    assert not User.objects.exists() and mailoutbox == []


def test_sign_up_refuses_a_phone_that_is_not_one(db, client):
    response = client.post(reverse("account_signup"), {**SIGN_UP, "name": "Maria", "phone": "ligue amanhã"})
    assert "Enter a phone number with its area code" in response.content.decode()
    assert not User.objects.exists()


def test_the_profile_edits_name_company_and_phone(login, customer):
    client = login(customer)
    data = {
        "name": "Carla Cliente",
        "company": "Hospeda Já",
        "phone": "(11) 3456-7890",
        "language": "",
        "time_zone": "",
    }
    assert client.post(reverse("account_profile"), data).status_code == 302
    customer.refresh_from_db()
    assert (customer.company, customer.phone) == ("Hospeda Já", "(11) 3456-7890")

    refused = client.post(reverse("account_profile"), {**data, "name": "", "phone": "123"})
    assert "Enter a phone number with its area code" in refused.content.decode()
    customer.refresh_from_db()
    assert customer.name == "Carla Cliente" and customer.phone == "(11) 3456-7890"


def test_greetings_use_the_first_name_never_the_address(login, customer):
    assert "Hello, Carla" in login(customer).get(reverse("tickets:home")).content.decode()

    User.objects.filter(pk=customer.pk).update(name="")
    page = login(User.objects.get(pk=customer.pk)).get(reverse("tickets:home")).content.decode()
    assert "Hello, cliente@example.com" not in page
    assert "Add your name to your profile" in page


def test_mail_greets_the_recipient_by_first_name(
    make_ticket, customer, agent, mailoutbox, django_capture_on_commit_callbacks, tasks_in_process
):
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket()
    mail = next(m for m in mailoutbox if m.to == ["cliente@example.com"])
    assert mail.body.startswith("Hello Carla,")

    User.objects.filter(pk=customer.pk).update(name="")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=User.objects.get(pk=customer.pk))
    mail = next(m for m in mailoutbox if m.to == ["cliente@example.com"])
    assert "Hello cliente" not in mail.body and "Hello ," not in mail.body
