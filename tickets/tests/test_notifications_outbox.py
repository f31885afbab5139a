"""The outbox: claim before sending, retries with backoff, the sweep, provider ids and tracking webhooks."""

import base64
import datetime

import pytest
import time_machine
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from tickets.models import DeliveryState, Notification, NotificationKind
from tickets.tasks import send_notification, sweep_outbox
from tickets.tasks.mail import MAX_ATTEMPTS, deliver, sweep

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

START = datetime.datetime(2026, 5, 4, 12, 0, tzinfo=datetime.UTC)


class ProviderDownBackend(LocmemBackend):
    """A provider answering 503: what a transient failure looks like through anymail."""

    def send_messages(self, messages):
        raise AnymailAPIError("Service Unavailable (503) from the provider")


class RecipientRefusedBackend(LocmemBackend):
    def send_messages(self, messages):
        raise AnymailRecipientsRefused("The recipient address is on the provider's suppression list")


class BrokenTemplateBackend(LocmemBackend):
    def send_messages(self, messages):
        raise KeyError("a bug, not a provider problem")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def reply(ticket, agent, clock, django_capture_on_commit_callbacks):
    """A staff reply whose notification is written but whose task never ran (as if Redis were down)."""
    Notification.objects.all().delete()  # the opening's rows: not what these tests count
    with django_capture_on_commit_callbacks(execute=False):
        message = ticket.reply(author=agent, body="Reiniciamos o servidor.")
    return message.notifications.get()


def test_a_task_delivered_twice_sends_once(reply, mailoutbox):
    send_notification.delay(reply.pk)
    send_notification.delay(reply.pk)

    assert len(mailoutbox) == 1
    reply.refresh_from_db()
    assert (reply.state, reply.attempts, reply.sent_at) == (DeliveryState.SENT, 1, START)


def test_a_row_another_worker_is_sending_is_left_alone(reply, clock, mailoutbox):
    Notification.objects.filter(pk=reply.pk).update(state=DeliveryState.SENDING, claimed_at=START, attempts=1)
    clock.shift(datetime.timedelta(minutes=4))

    assert deliver(reply.pk) is False
    assert sweep() == 0
    assert mailoutbox == []


def test_the_claim_of_a_worker_that_died_mid_send_is_taken_over(reply, clock, mailoutbox):
    Notification.objects.filter(pk=reply.pk).update(state=DeliveryState.SENDING, claimed_at=START, attempts=1)
    clock.shift(datetime.timedelta(minutes=6))

    assert sweep() == 1
    assert len(mailoutbox) == 1
    reply.refresh_from_db()
    assert (reply.state, reply.attempts) == (DeliveryState.SENT, 2)


def test_a_row_whose_worker_died_on_every_attempt_is_given_up(reply, clock, mailoutbox):
    Notification.objects.filter(pk=reply.pk).update(
        state=DeliveryState.SENDING, claimed_at=START, attempts=MAX_ATTEMPTS
    )
    clock.shift(datetime.timedelta(minutes=6))

    assert sweep() == 0
    reply.refresh_from_db()
    assert reply.state == DeliveryState.FAILED
    assert reply.last_error == "The worker stopped while sending."
    assert mailoutbox == []


def test_provider_errors_are_retried_with_growing_waits_then_the_row_fails(reply, clock, settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.ProviderDownBackend"
    waits = []
    deliver(reply.pk)
    for _attempt in range(MAX_ATTEMPTS - 1):
        reply.refresh_from_db()
        assert reply.state == DeliveryState.QUEUED
        waits.append((reply.next_attempt_at - timezone.now()).total_seconds() / 60)
        clock.shift(reply.next_attempt_at - timezone.now() - datetime.timedelta(seconds=1))
        assert sweep() == 0, "not before its time"
        clock.shift(datetime.timedelta(seconds=1))
        assert sweep() == 1

    reply.refresh_from_db()
    assert waits == [1, 2, 4, 8, 16]
    assert (reply.state, reply.attempts) == (DeliveryState.FAILED, MAX_ATTEMPTS)
    assert reply.last_error == "AnymailAPIError: Service Unavailable (503) from the provider"
    clock.shift(datetime.timedelta(days=1))
    assert sweep() == 0
    assert mailoutbox == []


def test_a_retry_that_succeeds_sends_the_mail_once(reply, clock, settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.ProviderDownBackend"
    deliver(reply.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.shift(datetime.timedelta(minutes=1))
    sweep()
    sweep()

    assert len(mailoutbox) == 1
    reply.refresh_from_db()
    assert (reply.state, reply.attempts, reply.last_error) == (DeliveryState.SENT, 2, "")


@pytest.mark.parametrize(
    ("backend", "error"),
    [
        ("RecipientRefusedBackend", "AnymailRecipientsRefused: The recipient address is on the provider's"),
        ("BrokenTemplateBackend", "KeyError: 'a bug, not a provider problem'"),
    ],
)
def test_errors_no_retry_can_cure_fail_the_row_at_once(reply, clock, settings, backend, error):
    settings.EMAIL_BACKEND = f"{__name__}.{backend}"
    deliver(reply.pk)

    reply.refresh_from_db()
    assert (reply.state, reply.attempts) == (DeliveryState.FAILED, 1)
    assert reply.last_error.startswith(error)


def test_the_sweep_sends_rows_whose_task_never_reached_the_broker_once(reply, clock, mailoutbox):
    assert sweep_outbox.delay() is not None
    assert mailoutbox == [], "a fresh row is left to the task queued at commit"

    clock.shift(datetime.timedelta(minutes=1))
    sweep_outbox.delay()
    sweep_outbox.delay()

    assert [message.to for message in mailoutbox] == [["cliente@example.com"]]
    reply.refresh_from_db()
    assert reply.state == DeliveryState.SENT


def test_the_providers_message_id_is_kept_to_match_its_delivery_reports(reply, settings, mailoutbox):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    deliver(reply.pk)

    reply.refresh_from_db()
    assert reply.state == DeliveryState.SENT
    assert reply.esp_message_id == "0"  # anymail's test backend numbers the messages it "sends"


@pytest.fixture
def sent_reply(reply):
    Notification.objects.filter(pk=reply.pk).update(
        state=DeliveryState.SENT, esp_message_id="883953f4-6105-42a2-a16a-77a8eac79483"
    )
    return reply


def _postmark(client, payload, secret="anymail:hook-s3cret"):
    token = base64.b64encode(secret.encode()).decode()
    return client.post(
        "/anymail/postmark/tracking/", payload, content_type="application/json", HTTP_AUTHORIZATION=f"Basic {token}"
    )


DELIVERY = {
    "RecordType": "Delivery",
    "ServerID": 23,
    "MessageStream": "outbound",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Recipient": "cliente@example.com",
    "Tag": "",
    "DeliveredAt": "2026-05-04T12:00:05Z",
    "Details": "Test delivery webhook details",
    "Metadata": {},
}
BOUNCE = {
    "RecordType": "Bounce",
    "ID": 4323372036854775807,
    "Type": "HardBounce",
    "TypeCode": 1,
    "Name": "Hard bounce",
    "Tag": "",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "ServerID": 23,
    "MessageStream": "outbound",
    "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "Email": "cliente@example.com",
    "From": "suporte@example.com",
    "BouncedAt": "2026-05-04T12:00:07Z",
    "DumpAvailable": True,
    "Inactive": True,
    "CanActivate": True,
    "Subject": "[#123456] Site fora do ar",
    "Metadata": {},
}


@pytest.fixture
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "anymail:hook-s3cret"}
    settings.MAIL_WEBHOOK_PROVIDERS = ["postmark"]


def test_a_postmark_delivery_report_marks_the_row_delivered(sent_reply, webhook_secret, client):
    assert _postmark(client, DELIVERY).status_code == 200

    sent_reply.refresh_from_db()
    assert sent_reply.state == DeliveryState.DELIVERED


def test_a_postmark_bounce_marks_the_row_bounced_with_the_reason_even_after_delivery(
    sent_reply, webhook_secret, client
):
    _postmark(client, DELIVERY)
    assert _postmark(client, BOUNCE).status_code == 200
    _postmark(client, DELIVERY)  # a late or repeated report does not hide the bounce

    sent_reply.refresh_from_db()
    assert sent_reply.state == DeliveryState.BOUNCED
    assert "unable to deliver your message" in sent_reply.last_error
    assert "550 5.1.1" in sent_reply.last_error


def test_a_report_without_the_webhook_secret_changes_nothing(sent_reply, webhook_secret, client):
    assert _postmark(client, BOUNCE, secret="anymail:guessed").status_code == 400

    sent_reply.refresh_from_db()
    assert sent_reply.state == DeliveryState.SENT


def test_a_report_about_someone_elses_message_changes_nothing(sent_reply, webhook_secret, client):
    assert _postmark(client, {**BOUNCE, "MessageID": "00000000-0000-0000-0000-000000000000"}).status_code == 200

    sent_reply.refresh_from_db()
    assert sent_reply.state == DeliveryState.SENT
    assert Notification.objects.filter(kind=NotificationKind.STAFF_REPLY).count() == 1


def test_an_admin_sends_failed_and_bounced_mail_again_and_nothing_else(
    reply, ticket, agent, admin_user, login, mailoutbox, django_capture_on_commit_callbacks
):
    admin_user.language = "en"
    admin_user.save()
    Notification.objects.filter(pk=reply.pk).update(state=DeliveryState.FAILED, attempts=MAX_ATTEMPTS, last_error="x")
    with django_capture_on_commit_callbacks(execute=False):
        sent = ticket.reply(author=agent, body="Outra resposta.").notifications.get()
    Notification.objects.filter(pk=sent.pk).update(state=DeliveryState.SENT)

    with django_capture_on_commit_callbacks(execute=True):
        response = login(admin_user).post(
            "/admin/tickets/notification/",
            {"action": "send_again", "_selected_action": [reply.pk, sent.pk]},
            follow=True,
        )

    assert "1 e-mail queued again." in response.content.decode()
    assert [message.to for message in mailoutbox] == [["cliente@example.com"]]
    reply.refresh_from_db()
    assert (reply.state, reply.attempts, reply.last_error) == (DeliveryState.SENT, 1, "")


def test_only_admins_can_send_mail_again(reply, agent, login):
    Notification.objects.filter(pk=reply.pk).update(state=DeliveryState.FAILED)

    response = login(agent).post(
        "/admin/tickets/notification/", {"action": "send_again", "_selected_action": [reply.pk]}
    )

    assert response.status_code == 302 and "/admin/login/" in response.url
    reply.refresh_from_db()
    assert reply.state == DeliveryState.FAILED
