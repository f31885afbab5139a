"""The admin's "Invite agent": a verified account in its departments and an expiring link to choose a password."""

import datetime
import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.usefixtures("english")

LINK = re.compile(r"https://help\.example\.com(/accounts/password/reset/key/[^\s\"<>]+/)")
INVITE = {"email": "Nova.Agente@example.com", "name": "Nina Nova", "language": "pt-br", "supervisor": "on"}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://help.example.com"
    settings.HELPDESK_NAME = "Ajuda Hospedagem"


def _invite(client, admin_user, department, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_user_invite"), {**INVITE, "departments": [department.pk]})
    client.logout()
    return response


def test_an_invited_agent_sets_a_password_from_the_mail_and_logs_in_without_verifying(
    client, admin_user, support, mailoutbox, django_capture_on_commit_callbacks
):
    response = _invite(client, admin_user, support, django_capture_on_commit_callbacks)

    user = User.objects.get(email="nova.agente@example.com")
    assert response.status_code == 302
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert list(support.supervisors()) == [user]
    (mail,) = mailoutbox
    assert mail.to == ["nova.agente@example.com"]
    assert "Ajuda Hospedagem" in mail.subject and "Olá Nina" in mail.body  # in the agent's language
    path = LINK.search(mail.body).group(1)
    assert LINK.search(mail.alternatives[0][0]).group(1) == path

    client.get(path)  # allauth moves the key into the session and redirects to the form
    done = client.post(client.get(path).url, {"password1": "Nova-senha-l0nga", "password2": "Nova-senha-l0nga"})
    assert done.status_code == 302

    assert client.login(username="nova.agente@example.com", password="Nova-senha-l0nga")
    assert client.get(reverse("staff:queue")).status_code == 200


def test_the_invitation_link_works_once(client, admin_user, support, mailoutbox, django_capture_on_commit_callbacks):
    _invite(client, admin_user, support, django_capture_on_commit_callbacks)
    path = LINK.search(mailoutbox[0].body).group(1)
    form_url = client.get(path).url
    client.post(form_url, {"password1": "Nova-senha-l0nga", "password2": "Nova-senha-l0nga"})
    client.logout()

    again = client.get(path, follow=True)
    assert "bad token" in again.content.decode().lower() or "invalid" in again.content.decode().lower()
    assert client.login(username="nova.agente@example.com", password="Nova-senha-l0nga")


def test_the_invitation_link_expires(
    client, admin_user, support, mailoutbox, django_capture_on_commit_callbacks, settings
):
    start = datetime.datetime(2026, 5, 4, 12, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        _invite(client, admin_user, support, django_capture_on_commit_callbacks)
    path = LINK.search(mailoutbox[0].body).group(1)
    later = start + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with time_machine.travel(later, tick=False):
        page = client.get(path, follow=True).content.decode().lower()
    assert "bad token" in page or "invalid" in page
    assert not User.objects.get(email="nova.agente@example.com").has_usable_password()


def test_inviting_an_existing_address_changes_nothing(client, admin_user, agent, support, mailoutbox):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_user_invite"), {**INVITE, "email": "AGENTE@example.com", "departments": [support.pk]}
    )
    assert response.status_code == 200
    assert "An account with this address already exists." in response.content.decode()
    assert User.objects.count() == 2 and mailoutbox == []


@pytest.mark.parametrize("who", ["agent", "supervisor", "customer"])
def test_only_admins_may_invite(client, who, request, support, mailoutbox):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("admin:accounts_user_invite"), {**INVITE, "departments": [support.pk]})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not User.objects.filter(email="nova.agente@example.com").exists() and mailoutbox == []


def test_an_agent_added_through_the_admin_form_is_verified(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "outra@example.com",
            "name": "Outra",
            "password1": "Very-l0ng-pass",
            "password2": "Very-l0ng-pass",
            **{
                f"{inline}-{key}": value
                for inline in ("memberships", "contacts")
                for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))
            },
        },
    )
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="outra@example.com").verified


def test_the_user_list_offers_the_invitation(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert f'href="{reverse("admin:accounts_user_invite")}"' in page and "Invite agent" in page
