"""The retention policy on S3-compatible storage: moto's server mode is a real S3 HTTP API on localhost."""

from datetime import timedelta

import boto3
import pytest
import time_machine
from django.utils import timezone

from privacy.retention import apply_retention
from tickets.models import Attachment
from tickets.tests.files import png_upload
from tickets.tests.services import free_port

BUCKET = "helpdesk-attachments"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
                **CREDENTIALS,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client):
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_expired_files_are_deleted_from_the_bucket_and_newer_ones_stay(bucket, support, make_ticket, customer):
    support.attachment_retention_days = 30
    support.save()
    with time_machine.travel(timezone.now() - timedelta(days=45), tick=False):
        old = make_ticket(uploads=[png_upload("antigo.png")])
        old.close(by=customer)
    recent = make_ticket(uploads=[png_upload("recente.png")])
    recent.close(by=customer)
    old_file = Attachment.objects.get(message__ticket=old)
    recent_file = Attachment.objects.get(message__ticket=recent)
    assert set(_keys(bucket)) == {
        old_file.file.name,
        old_file.thumbnail.name,
        recent_file.file.name,
        recent_file.thumbnail.name,
    }

    assert apply_retention()["attachments"] == 1

    assert _keys(bucket) == sorted([recent_file.file.name, recent_file.thumbnail.name])
    old_file.refresh_from_db()
    assert old_file.is_removed and not old_file.file
