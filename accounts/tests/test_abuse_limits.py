"""Login failures, password resets and sign-ups are rate-limited; none of them tells who has an account."""

import pytest
from django.urls import reverse

from conftest import PASSWORD


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password}, HTTP_ACCEPT_LANGUAGE="en")


def test_login_is_blocked_after_five_failures_even_with_the_right_password(client, customer):
    for _attempt in range(5):
        response = _login(client, customer.email, "wrong-password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    response = _login(client, customer.email, PASSWORD)
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)
    assert b"Too many failed login attempts" in response.content


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(client, customer):
    known = _login(client, customer.email, "wrong-password")
    unknown = _login(client, "nobody@example.com", "wrong-password")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


def test_password_reset_does_not_reveal_whether_an_account_exists(client, customer, mailoutbox):
    known = client.post(reverse("account_reset_password"), {"email": customer.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mailoutbox] == [[customer.email], ["nobody@example.com"]]
    # The owner gets a reset link; a stranger's address only an invitation to sign up.
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
    assert "/accounts/password/reset/key/" not in mailoutbox[1].body
    assert "/accounts/signup/" in mailoutbox[1].body


def test_password_reset_requests_are_limited_per_address(client, customer, mailoutbox):
    for _attempt in range(3):
        client.post(reverse("account_reset_password"), {"email": customer.email})
    response = client.post(reverse("account_reset_password"), {"email": customer.email})
    assert len(mailoutbox) == 3
    assert response.status_code in (200, 429)


def test_sign_up_with_a_taken_address_looks_like_any_sign_up(client, customer, mailoutbox):
    data = {
        "name": "Nova Pessoa",
        "email": customer.email,
        "password1": "An0ther-long-pass",
        "password2": "An0ther-long-pass",
    }
    taken = client.post(reverse("account_signup"), data)
    fresh = client.post(reverse("account_signup"), {**data, "email": "novo@example.com"}, REMOTE_ADDR="10.0.0.2")
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    # The owner of the taken address is told by e-mail; the page says nothing.
    assert {tuple(m.to) for m in mailoutbox} == {(customer.email,), ("novo@example.com",)}


@pytest.mark.django_db
def test_sign_ups_are_limited_per_address_of_origin(client):
    for number in range(10):
        email = f"pessoa{number}@example.com"
        client.post(
            reverse("account_signup"),
            {"name": "Pessoa", "email": email, "password1": "Very-l0ng-pass", "password2": "Very-l0ng-pass"},
        )
        client.logout()
    response = client.post(
        reverse("account_signup"),
        {"name": "Mais", "email": "mais@example.com", "password1": "Very-l0ng-pass", "password2": "Very-l0ng-pass"},
    )
    assert response.status_code == 429
