"""The retention policy: files of long-closed tickets and old raw mail go, from storage and database."""

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from privacy.retention import apply_retention
from tickets.models import Attachment, InboundEmail, RemovalReason
from tickets.tests.files import png_upload

pytestmark = pytest.mark.usefixtures("english")

LONG_AGO = timezone.now() - timedelta(days=40)


@pytest.fixture
def policy(support):
    support.attachment_retention_days = 30
    support.raw_mail_retention_days = 60
    support.save()
    return support


def _closed_ticket_with_file(make_ticket, customer, closed_at, name="tela.png"):
    with time_machine.travel(closed_at, tick=False):
        ticket = make_ticket(uploads=[png_upload(name)])
        ticket.close(by=customer)
    return ticket, ticket.messages.get().attachments.get()


def _mail(department, received_at, sender="cliente@example.com"):
    return InboundEmail.objects.create(
        raw=b"From: x\r\n\r\nbody", sender=sender, subject="Oi", department=department, received_at=received_at
    )


def test_files_of_tickets_closed_longer_ago_than_the_policy_are_deleted_from_storage(make_ticket, customer, policy):
    ticket, file = _closed_ticket_with_file(make_ticket, customer, LONG_AGO)
    paths = [file.file.path, file.thumbnail.path]

    assert apply_retention()["attachments"] == 1

    file.refresh_from_db()
    assert file.is_removed and file.removed_reason == RemovalReason.RETENTION
    assert not file.file and not file.thumbnail
    assert file.original_name == "tela.png"
    assert not any(os.path.exists(path) for path in paths)


def test_recent_files_open_tickets_and_departments_keeping_forever_stay(make_ticket, customer, billing, policy):
    _recent, recent = _closed_ticket_with_file(make_ticket, customer, timezone.now() - timedelta(days=10))
    with time_machine.travel(LONG_AGO, tick=False):
        still_open = make_ticket(uploads=[png_upload("aberto.png")]).messages.get().attachments.get()
    _forever, forever = _closed_ticket_with_file(
        lambda **f: make_ticket(department=billing, **f), customer, LONG_AGO - timedelta(days=3000)
    )

    assert apply_retention()["attachments"] == 0
    assert not Attachment.objects.filter(removed_at__isnull=False).exists()
    for file in (recent, still_open, forever):
        with file.file.open("rb") as content:
            assert content.read(4) == b"\x89PNG"


def test_raw_mail_older_than_the_policy_is_deleted_and_newer_mail_stays(policy, billing):
    old = _mail(policy, timezone.now() - timedelta(days=61))
    new = _mail(policy, timezone.now() - timedelta(days=59))
    kept_forever = _mail(billing, timezone.now() - timedelta(days=5000))

    assert apply_retention()["raw_mails"] == 1

    assert set(InboundEmail.objects.values_list("pk", flat=True)) == {new.pk, kept_forever.pk}
    assert not InboundEmail.objects.filter(pk=old.pk).exists()


def test_mail_of_no_department_follows_the_longest_window_and_is_kept_while_any_department_keeps_forever(
    policy, billing
):
    orphan = _mail(None, timezone.now() - timedelta(days=5000))
    apply_retention()
    assert InboundEmail.objects.filter(pk=orphan.pk).exists()  # Financeiro keeps forever

    billing.raw_mail_retention_days = 90
    billing.save()
    apply_retention()
    assert not InboundEmail.objects.filter(pk=orphan.pk).exists()


def test_the_thread_says_when_the_file_was_removed_under_the_policy(login, make_ticket, customer, agent, policy):
    ticket, file = _closed_ticket_with_file(make_ticket, customer, datetime(2026, 1, 5, 15, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 3, 9, 15, tzinfo=UTC), tick=False):
        assert apply_retention()["attachments"] == 1

    for user, url in ((customer, ticket.get_absolute_url()), (agent, ticket.get_staff_url())):
        page = login(user).get(url).content.decode()
        assert "tela.png was removed on March 9, 2026 under the retention policy." in page
        assert f"/attachments/{file.pk}/" not in page

    assert login(customer).get(f"/tickets/{ticket.reference}/attachments/{file.pk}/").status_code == 404


def test_the_dry_run_lists_what_would_go_and_deletes_nothing(make_ticket, customer, policy):
    ticket, file = _closed_ticket_with_file(make_ticket, customer, LONG_AGO)
    mail = _mail(policy, timezone.now() - timedelta(days=61), sender="velho@example.com")
    out = io.StringIO()

    call_command("apply_retention", "--dry-run", stdout=out)

    listing = out.getvalue()
    assert f"file {file.pk} 'tela.png'" in listing and ticket.display_reference in listing
    assert f"raw e-mail {mail.pk} from velho@example.com" in listing
    assert "Dry run: would delete 1 files, 1 raw e-mails, 0 data exports." in listing
    file.refresh_from_db()
    assert not file.is_removed and file.file.storage.exists(file.file.name)
    assert InboundEmail.objects.filter(pk=mail.pk).exists()

    call_command("apply_retention", stdout=io.StringIO())
    file.refresh_from_db()
    assert file.is_removed
    assert not InboundEmail.objects.filter(pk=mail.pk).exists()


def test_a_second_run_finds_nothing_more(make_ticket, customer, policy):
    _closed_ticket_with_file(make_ticket, customer, LONG_AGO)
    assert apply_retention()["attachments"] == 1
    assert apply_retention() == {"attachments": 0, "raw_mails": 0, "exports": 0}


def test_the_policy_is_edited_per_department_in_the_admin(login, admin_user, support):
    page = login(admin_user).get(f"/admin/departments/department/{support.pk}/change/").content.decode()
    for field in ("attachment_retention_days", "raw_mail_retention_days", "erasure_keeps_text"):
        assert f'name="{field}"' in page


def test_the_beat_schedule_runs_the_policy():
    from django.conf import settings

    from helpdesk.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["retention"]
    assert entry["task"] in app.tasks
