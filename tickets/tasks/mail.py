"""Sending the outbox: claim a Notification row, hand it to the mail backend, record the outcome.

Delivery is at least once from the broker's side (a task may arrive twice, the sweep re-queues
rows) and exactly once from ours: a row is claimed with a conditional UPDATE before it is sent,
so only one worker ever sends it. Errors are retried with exponential backoff by the sweep,
which also picks up rows whose task never reached the broker (Redis down at commit time).
"""

import logging
import smtplib
from datetime import timedelta

from anymail.exceptions import (
    AnymailError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailSerializationError,
    AnymailUnsupportedFeature,
)
from celery import shared_task
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from helpdesk.outage import breaker_for
from tickets.email.outbound import build_message
from tickets.models import DeliveryState, Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Waits after the 1st..5th failed attempt: 1, 2, 4, 8, 16 minutes.
RETRY_BASE = timedelta(minutes=1)
# A claim older than this belongs to a worker that died mid-send: the row may be claimed again.
CLAIM_TIMEOUT = timedelta(minutes=5)
# The sweep leaves a row this long to the task queued at commit before queuing another.
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_BATCH = 500

# Errors that no retry can cure: the row fails at once.
PERMANENT_ERRORS = (
    AnymailRecipientsRefused,
    AnymailInvalidAddress,
    AnymailUnsupportedFeature,
    AnymailSerializationError,
    smtplib.SMTPRecipientsRefused,
)
# Provider, SMTP and network errors (requests' errors are OSErrors too): worth another attempt.
TRANSIENT_ERRORS = (AnymailError, smtplib.SMTPException, OSError)


@shared_task(ignore_result=True)
def send_notification(pk):
    deliver(pk)


@shared_task(ignore_result=True)
def sweep_outbox():
    sweep()


def queue_notifications(pks):
    """Queue one task per row; a broker outage is logged and left to the sweep, never raised.

    Called after commit, from the web request that caused the notifications. While the broker's
    breaker is open (Redis failed moments ago) nothing is tried: the request does not wait.
    """
    app = send_notification.app
    breaker = None if app.conf.task_always_eager else breaker_for(app.conf.broker_url)
    for pk in pks:
        if breaker is not None and not breaker.allows():
            logger.warning("Broker unreachable: notification %s stays queued for the outbox sweep", pk)
            return
        try:
            send_notification.delay(pk)
        except OperationalError as error:
            if breaker is not None:
                breaker.failed(error)
            logger.warning("Broker unreachable: notification %s stays queued for the outbox sweep", pk)
            return
        if breaker is not None:
            breaker.succeeded()


def send_again(notifications):
    """Give failed or bounced rows new attempts (after a long provider outage, or a fixed mailbox).

    Returns how many rows were queued again; the others (queued, sent, delivered) are left alone.
    """
    now = timezone.now()
    with transaction.atomic():
        pks = list(
            notifications.filter(state__in=[DeliveryState.FAILED, DeliveryState.BOUNCED])
            .select_for_update()
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=pks).update(
            state=DeliveryState.QUEUED, attempts=0, next_attempt_at=now, last_error="", state_changed_at=now
        )
        transaction.on_commit(lambda: queue_notifications(pks))
    return len(pks)


def claimable(now):
    return Q(state=DeliveryState.QUEUED, next_attempt_at__lte=now) | Q(
        state=DeliveryState.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT, attempts__lt=MAX_ATTEMPTS
    )


def deliver(pk):
    """Send notification `pk` if it is ours to send; returns whether this call sent it."""
    now = timezone.now()
    claimed = Notification.objects.filter(claimable(now), pk=pk).update(
        state=DeliveryState.SENDING, claimed_at=now, attempts=F("attempts") + 1, state_changed_at=now
    )
    if not claimed:
        return False
    # What every kind needs, joined; an event or inbound mail (some kinds only) loads when used.
    # Fewer joins keep PostgreSQL's planning time, the bulk of this query's cost, small.
    notification = Notification.objects.select_related(
        "ticket__department", "ticket__customer", "thread_message__author", "recipient_user"
    ).get(pk=pk)
    try:
        message = build_message(notification)
        message.send()
    except PERMANENT_ERRORS as error:
        _record_failure(notification, error, retry=False)
        return False
    except TRANSIENT_ERRORS as error:
        logger.warning("Sending notification %s failed (attempt %s): %r", pk, notification.attempts, error)
        _record_failure(notification, error, retry=True)
        return False
    except Exception as error:
        # A bug (a template, a backend): retrying cannot help; staff see the row failed with the error.
        logger.exception("Building or sending notification %s failed", pk)
        _record_failure(notification, error, retry=False)
        return False
    _mark(
        pk,
        state=DeliveryState.SENT,
        sent_at=timezone.now(),
        esp_message_id=_esp_message_id(message),
        last_error="",
    )
    return True


def sweep(now=None):
    """Re-queue rows left unsent: retries that are due, tasks lost with the broker, dead workers' claims."""
    now = now or timezone.now()
    # A row whose every attempt died with its worker (killed mid-send) is given up, not retried forever.
    Notification.objects.filter(
        state=DeliveryState.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT, attempts__gte=MAX_ATTEMPTS
    ).update(state=DeliveryState.FAILED, last_error="The worker stopped while sending.", state_changed_at=now)
    # A first attempt is left a moment to the task queued at commit; a retry is due on time.
    due = claimable(now) & (Q(attempts__gt=0) | Q(next_attempt_at__lte=now - SWEEP_GRACE))
    pks = list(Notification.objects.filter(due).order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    if pks:
        logger.info("Outbox sweep re-queues %s notifications", len(pks))
        queue_notifications(pks)
    return len(pks)


def _record_failure(notification, error, *, retry):
    now = timezone.now()
    error_text = f"{type(error).__name__}: {error}"[:2000]
    if retry and notification.attempts < MAX_ATTEMPTS:
        wait = RETRY_BASE * 2 ** (notification.attempts - 1)
        _mark(notification.pk, state=DeliveryState.QUEUED, next_attempt_at=now + wait, last_error=error_text)
    else:
        logger.error("Notification %s failed for good: %s", notification.pk, error_text)
        _mark(notification.pk, state=DeliveryState.FAILED, last_error=error_text)


def _mark(pk, **fields):
    """Record the outcome, unless the claim was lost meanwhile (another worker re-claimed a stale row)."""
    Notification.objects.filter(pk=pk, state=DeliveryState.SENDING).update(state_changed_at=timezone.now(), **fields)


def _esp_message_id(message):
    """The provider's id of the sent message (anymail backends only), to match tracking events."""
    status = getattr(message, "anymail_status", None)
    message_id = getattr(status, "message_id", None)
    if isinstance(message_id, set):
        message_id = next(iter(message_id)) if len(message_id) == 1 else None
    return "" if message_id is None else str(message_id)
