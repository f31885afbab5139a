import pytest
from django.contrib import admin
from django.urls import reverse

from tickets.tests.files import png_upload


@pytest.fixture
def populated(ticket, agent, supervisor, customer):
    ticket.reply(author=agent, body="reply", uploads=[png_upload()])
    customer.contacts.create(email="socio@example.com")
    return ticket


def test_every_changelist_and_change_page_loads_for_the_superuser(populated, admin_user, client):
    client.force_login(admin_user)
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert changelist.status_code == 200, info
        search = client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "site"})
        assert search.status_code == 200, info
        obj = model._default_manager.first()
        if obj is not None:
            change = client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            assert change.status_code == 200, info
        if model_admin.has_add_permission(type("R", (), {"user": admin_user})()):
            assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, info


def test_agents_and_customers_cannot_open_the_admin(populated, agent, customer, client):
    for user in (agent, customer):
        client.force_login(user)
        response = client.get(reverse("admin:tickets_ticket_changelist"))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_warns_about_a_department_without_supervisor(support, agent, admin_user, client, english):
    client.force_login(admin_user)
    change_url = reverse("admin:departments_department_change", args=[support.pk])

    page = client.get(change_url).content.decode()
    assert "Suporte has no supervisor" in page
    assert (
        "None: escalations go to its agents"
        in client.get(reverse("admin:departments_department_changelist")).content.decode()
    )

    support.memberships.filter(user=agent).update(is_supervisor=True)
    assert "has no supervisor" not in client.get(change_url).content.decode()
