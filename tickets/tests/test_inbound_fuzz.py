"""Broken MIME never breaks ingestion: whatever arrives is stored and ends in a final state."""

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tickets.email.inbound import ingest
from tickets.models import InboundEmail, InboundState
from tickets.tests.emls import EMAILS, eml

FINAL = {InboundState.ACCEPTED, InboundState.HELD, InboundState.DROPPED, InboundState.REJECTED}
CORPUS = sorted(path.name for path in EMAILS.glob("*.eml"))
BAD_CHARSETS = [b"utf-7", b"base64", b"rot13", b"x-unknown", b"", b"utf-16", b"\xff\xfe", b'"', b"utf-8; x=1"]
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture
def world(ticket, agent, billing):
    """Departments, a customer with a ticket and a notification, so that broken replies can match it."""
    ticket.reply(author=agent, body="Reiniciamos o PHP.")
    return ticket


def _corpus_message(draw, ticket):
    notification = ticket.notifications.first()
    return eml(
        draw(st.sampled_from(CORPUS)),
        reference=ticket.reference,
        in_reply_to=notification.message_id,
        first_id=notification.message_id,
    )


def _truncate(draw, raw):
    return raw[: draw(st.integers(0, len(raw)))]


def _flip_bytes(draw, raw):
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 30))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def _break_boundaries(draw, raw):
    boundary = draw(st.binary(max_size=80))
    raw = re.sub(rb'boundary="?[^"\r\n;]*"?', lambda _match: b'boundary="' + boundary + b'"', raw)
    if draw(st.booleans()):
        raw = re.sub(rb"(?m)^--[^\r\n]*--\r?$", b"", raw)  # no closing boundary
    return raw


def _break_charsets(draw, raw):
    charset = draw(st.sampled_from(BAD_CHARSETS))
    return re.sub(rb"charset=\"?[\w-]+\"?", lambda _match: b"charset=" + charset, raw)


def _break_base64(draw, raw):
    junk = draw(st.binary(min_size=1, max_size=200))
    return raw.replace(b"base64\n\n", b"base64\n\n" + junk, 1).replace(b"base64\r\n\r\n", b"base64\r\n\r\n" + junk, 1)


def _break_headers(draw, raw):
    name = draw(st.sampled_from([b"From", b"Subject", b"Content-Type", b"Message-ID", b"References", b"To"]))
    value = draw(st.binary(max_size=300))
    return raw.replace(b"\n", b"\n" + name + b": " + value + b"\n", 1)


def _nest(draw, raw):
    depth = draw(st.integers(1, 400))
    opening = b"".join(b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (n, n + 1) for n in range(depth))
    return b"From: cliente@example.com\nContent-Type: multipart/mixed; boundary=b0\n\n" + opening + raw


BREAKERS = [_truncate, _flip_bytes, _break_boundaries, _break_charsets, _break_base64, _break_headers, _nest]


@st.composite
def broken_mail(draw, ticket):
    raw = _corpus_message(draw, ticket)
    for breaker in draw(st.lists(st.sampled_from(BREAKERS), min_size=1, max_size=3)):
        raw = breaker(draw, raw) or raw
    return raw


def _ingested_to_a_final_state(raw):
    inbound = ingest(raw)
    assert inbound.pk is not None
    stored = InboundEmail.objects.get(pk=inbound.pk)
    assert stored.state in FINAL, (stored.state, stored.reason)
    return stored


@pytest.mark.django_db
@FUZZ
@given(raw=st.binary(max_size=4000))
def test_random_bytes_are_stored_and_end_in_a_final_state(support, raw):
    stored = _ingested_to_a_final_state(raw)
    # Kept whole, unless it repeated a stored Message-ID, or (without one) the same sender, subject and body.
    assert bytes(stored.raw) == raw or stored.message_id or stored.fingerprint


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_broken_real_mail_is_stored_and_ends_in_a_final_state(world, data):
    _ingested_to_a_final_state(data.draw(broken_mail(world)))


@pytest.mark.django_db
@FUZZ
@given(
    headers=st.lists(st.tuples(st.sampled_from(["From", "To", "Subject", "Content-Type", "Content-Transfer-Encoding",
                                                  "Content-Disposition", "In-Reply-To", "References", "Message-ID",
                                                  "Auto-Submitted", "Return-Path", "Delivered-To"]),
                               st.text(max_size=120)), max_size=12),
    body=st.text(max_size=500),
)  # fmt: skip
# Found on PostgreSQL, which refuses NUL in text: header values that end up in the stored reason.
@example(headers=[("Auto-Submitted", "\x00")], body="")
@example(headers=[("Precedence", "\x00bulk")], body="")
def test_arbitrary_header_values_never_break_ingestion(world, headers, body):
    raw = "".join(f"{name}: {value}\n" for name, value in headers) + "\n" + body
    _ingested_to_a_final_state(raw.encode("utf-8", "surrogateescape"))
