"""A second factor (TOTP with recovery codes, django-allauth's MFA): required for staff by a setting,
optional for customers; the Django admin logs in through the same login."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from accounts.tests.totp import SECRET, totp_code
from conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


@pytest.fixture
def login(client):
    """Log in through allauth's form, as a person does (force_login records no recent authentication,
    which allauth asks for before the second factor is changed)."""

    def as_user(user):
        response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.content
        return client

    return as_user


def reauthenticate(client):
    """allauth asks for the password again before the second factor is changed."""
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.content


@pytest.mark.parametrize("who", ["agent", "supervisor", "admin_user"])
def test_staff_without_a_second_factor_are_sent_to_set_one_up(request, login, required, who):
    client = login(request.getfixturevalue(who))
    for path in ("/staff/", "/", "/accounts/profile/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/", path
    # The way through stays open: allauth first asks for the password again, then shows the form.
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    reauthenticate(client)
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200


def test_customers_are_not_required_to_have_one(login, customer, required):
    assert login(customer).get("/tickets/").status_code == 200


def test_without_the_setting_staff_work_with_a_password_alone(login, agent):
    assert login(agent).get("/staff/").status_code == 200


def test_setting_up_the_authenticator_app_opens_the_staff_pages(login, agent, required):
    client = login(agent)
    reauthenticate(client)
    page = client.get("/accounts/2fa/totp/activate/").content.decode()
    secret = re.search(r'value="([A-Z2-7]{32})"', page).group(1)
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert client.get("/staff/").status_code == 200


def test_a_wrong_code_sets_up_nothing(login, agent, required):
    client = login(agent)
    reauthenticate(client)
    client.get("/accounts/2fa/totp/activate/")
    response = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert response.status_code == 200 and "Incorrect code" in response.content.decode()
    assert not Authenticator.objects.filter(user=agent).exists()


def test_staff_who_must_have_it_cannot_remove_it(login, agent, required):
    client = login(agent)
    TOTP.activate(agent, SECRET)
    reauthenticate(client)
    client.post("/accounts/2fa/totp/deactivate/")
    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()


def test_a_customer_may_turn_it_on_and_off(login, customer):
    client = login(customer)
    TOTP.activate(customer, SECRET)
    assert client.get("/accounts/2fa/").status_code == 200
    reauthenticate(client)
    client.post("/accounts/2fa/totp/deactivate/")
    assert not Authenticator.objects.filter(user=customer, type=Authenticator.Type.TOTP).exists()


def test_logging_in_with_a_password_then_asks_for_the_code(client, agent, required):
    TOTP.activate(agent, SECRET)
    response = client.post("/accounts/login/", {"login": agent.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/staff/").status_code == 302  # not logged in yet
    assert "/accounts/login/" in client.get("/staff/")["Location"]

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert wrong.status_code == 200 and client.get("/staff/").status_code == 302

    client.post("/accounts/2fa/authenticate/", {"code": totp_code(SECRET)})
    assert client.get("/staff/").status_code == 200


def test_the_admin_login_is_the_same_login(client, admin_user):
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/accounts/user/"
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_the_admin_login_form_cannot_be_posted_to_skip_the_code(client, admin_user, required):
    TOTP.activate(admin_user, SECRET)
    client.post("/admin/login/", {"username": admin_user.email, "password": PASSWORD, "next": "/admin/"})
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
