"""A data export through a real Celery worker, a real Redis and PostgreSQL: the page's request
queues the task, the worker builds the zip on the shared storage and mails the link.

Runs when REDIS_URL is set and the database is PostgreSQL; under REQUIRE_SERVICES=1 a missing
service fails the test instead of skipping it."""

import io
import json
import os
import re
import time
import zipfile

import pytest
from django.db import connection

from privacy.models import DataExport, ExportState
from tickets.tests.files import png_upload
from tickets.tests.services import CeleryWorker, PrivateRedis, producer_on, require_service, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("english")]


@pytest.fixture(scope="module")
def redis_server():
    require_service(os.environ.get("REDIS_URL"), "REDIS_URL is not set: integration tests need Redis")
    server = PrivateRedis()
    require_service(server.binary, "redis-server is not installed")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def worker(redis_server, django_db_setup, tmp_path_factory, media):
    require_service(connection.vendor == "postgresql", "the worker needs the test database on PostgreSQL")
    folder = tmp_path_factory.mktemp("export-worker")
    process = CeleryWorker(
        broker_url=redis_server.url,
        database=connection.settings_dict,
        mail_dir=folder / "mail",
        log=folder / "log",
        extra_env={"MEDIA_ROOT": str(media)},
    )
    process.start()
    yield process
    process.stop()


def test_the_worker_builds_the_zip_and_mails_the_link(
    worker,
    redis_server,
    transactional_db,
    settings,
    media,
    make_ticket,
    customer,
    login,
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": media}},
    }
    make_ticket(uploads=[png_upload("tela.png")])
    client = login(customer)

    with producer_on(redis_server.url):
        assert client.post("/accounts/data/export/").status_code == 302

    export = DataExport.objects.get()
    deadline = time.monotonic() + 60
    while export.state != ExportState.READY and time.monotonic() < deadline:
        time.sleep(0.2)
        export.refresh_from_db()
    assert export.state == ExportState.READY, worker.log.read_text()
    wait_for(lambda: list(worker.mail_dir.glob("*.eml")), 20, "the mail")
    (mail,) = list(worker.mail_dir.glob("*.eml"))
    path = re.search(rb"https?://[^/\s]+(/accounts/data/export/[0-9a-f-]+/)", mail.read_bytes()).group(1).decode()
    assert path == f"/accounts/data/export/{export.token}/"
    response = client.get(path)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert json.loads(archive.read("data.json"))["account"]["email"] == customer.email
    assert any(name.endswith("tela.png") for name in archive.namelist())
