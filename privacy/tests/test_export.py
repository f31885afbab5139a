"""A customer's copy of their data: requested on the "Your data" page, built by a task, mailed as a link."""

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from privacy import export as builder
from privacy.models import DataExport, ExportState
from privacy.tasks import build_export
from tickets.tests.files import png_upload

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def thread(make_ticket, customer, agent, make_other_ticket):
    ticket = make_ticket(subject="Site fora do ar", uploads=[png_upload("tela.png")])
    ticket.reply(author=agent, body="Reiniciamos o servidor.")
    ticket.reply(author=agent, body="NOTA INTERNA: inadimplente", internal=True, uploads=[png_upload("int.png")])
    customer.contacts.create(email="socio@example.com", name="Sócio")
    return ticket


@pytest.fixture
def make_other_ticket(make_ticket, other_customer):
    return make_ticket(customer=other_customer, subject="Segredo do outro", body="dados do outro")


def _request_export(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/data/export/")
    assert response.status_code == 302
    return DataExport.objects.latest("requested_at")


def _ready_export(user):
    """An export built in this process, without the task's mail."""
    export = DataExport.objects.create(user=user)
    export.claim()
    builder.build(export)
    return export


def _link(mail):
    return re.search(r"http://[^\s]+/accounts/data/export/[0-9a-f-]+/", mail.body).group(0)


def test_the_customer_gets_a_link_by_mail_to_a_zip_of_what_they_may_see(
    login, customer, thread, mailoutbox, tasks_in_process, django_capture_on_commit_callbacks
):
    client = login(customer)
    export = _request_export(client, django_capture_on_commit_callbacks)

    export.refresh_from_db()
    assert export.state == ExportState.READY and export.progress == 100
    (mail,) = mailoutbox
    assert mail.to == [customer.email]
    assert "is ready" in mail.subject
    link = _link(mail)
    assert link in mail.alternatives[0][0]
    response = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("data.json"))

    assert data["account"]["email"] == "cliente@example.com"
    assert data["contacts"][0]["email"] == "socio@example.com"
    assert [ticket["subject"] for ticket in data["tickets"]] == ["Site fora do ar"]
    texts = [message["text"] for message in data["tickets"][0]["messages"]]
    assert texts == ["Meu site mostra erro 500.", "Reiniciamos o servidor."]
    everything = json.dumps(data)
    assert "NOTA INTERNA" not in everything and "Segredo do outro" not in everything
    files = [name for name in archive.namelist() if name.startswith("files/")]
    assert len(files) == 1 and files[0].endswith("tela.png")
    assert archive.read(files[0]).startswith(b"\x89PNG")
    assert data["tickets"][0]["messages"][0]["files"] == files


@pytest.mark.parametrize("who", ["other_customer", "agent", "other_agent", "supervisor", "admin_user"])
def test_nobody_else_may_download_the_copy(request, login, customer, thread, who):
    export = _ready_export(customer)
    response = login(request.getfixturevalue(who)).get(f"/accounts/data/export/{export.token}/")
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, customer, thread):
    export = _ready_export(customer)
    response = client.get(f"/accounts/data/export/{export.token}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_link_expires(login, customer, thread):
    export = _ready_export(customer)
    client = login(customer)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.get(f"/accounts/data/export/{export.token}/")
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


def test_expired_copies_are_deleted_by_the_retention_task(customer, thread):
    from privacy.retention import apply_retention

    export = _ready_export(customer)
    name = export.file.name
    assert export.file.storage.exists(name)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert apply_retention()["exports"] == 1
    export.refresh_from_db()
    assert not export.file and not export.file.storage.exists(name)


def test_the_page_shows_the_progress_and_refreshes_while_the_copy_is_prepared(login, customer):
    export = DataExport.objects.create(user=customer)
    export.claim()
    export.set_progress(40)
    page = login(customer).get("/accounts/data/").content.decode()
    assert "Preparing your copy: 40% done." in page
    assert '<progress class="w-100 mb-2" max="100" value="40"' in page
    assert '<meta http-equiv="refresh" content="5">' in page
    assert "Prepare a copy of my data" not in page


def test_a_second_request_while_one_is_prepared_starts_nothing(login, customer):
    DataExport.objects.create(user=customer)
    response = login(customer).post("/accounts/data/export/", follow=True)
    assert "Your copy is already being prepared." in response.content.decode()
    assert DataExport.objects.count() == 1


def test_the_page_offers_the_download_when_ready(login, customer, thread):
    export = _ready_export(customer)
    page = login(customer).get("/accounts/data/").content.decode()
    assert f'href="/accounts/data/export/{export.token}/"' in page
    assert "Your copy is ready" in page


def test_a_task_delivered_twice_builds_and_mails_once(customer, thread, mailoutbox):
    export = DataExport.objects.create(user=customer)
    build_export(export.pk)
    build_export(export.pk)
    assert len(mailoutbox) == 1


def test_the_mail_is_in_the_customers_language(customer, thread, mailoutbox):
    customer.language = "pt-br"
    customer.save()
    export = DataExport.objects.create(user=customer)
    build_export(export.pk)
    assert mailoutbox[0].subject == "Seus dados em Helpdesk estão prontos"


def test_the_data_page_needs_a_login(client):
    response = client.get("/accounts/data/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_get_does_not_start_an_export(login, customer):
    assert login(customer).get("/accounts/data/export/").status_code == 405
    assert not DataExport.objects.exists()
