"""`manage.py ingest_email` as an MTA runs it: a separate process, the message on standard input."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tickets.models import InboundEmail, InboundState, Ticket
from tickets.tests.emls import eml
from tickets.tests.services import forget_rate_limits_in_the_database

BASE_DIR = Path(django_settings.BASE_DIR)


@pytest.fixture
def mta(transactional_db, tmp_path):
    """Runs the command in a child process on this test's database; returns (exit code, stderr).

    On PostgreSQL the child connects to the test database itself. SQLite's test database lives
    in memory, so it is copied to a file in tmp_path for the child and copied back afterwards.
    """
    forget_rate_limits_in_the_database()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_TEST_NAME", "REDIS_URL")}
    env.update(VAR_DIR=str(tmp_path), EMAIL_FILE_PATH=str(tmp_path / "mail"), MEDIA_ROOT=str(tmp_path / "uploads"))
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"

    def run(raw, *args, database_url=None):
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            with sqlite3.connect(tmp_path / "db.sqlite3") as copy:
                connection.connection.backup(copy)
        child_env = {**env, "DATABASE_URL": database_url} if database_url else env
        result = subprocess.run(
            [sys.executable, "manage.py", "ingest_email", *args],
            input=raw,
            capture_output=True,
            cwd=BASE_DIR,
            env=child_env,
            timeout=60,
        )
        if connection.vendor == "sqlite":
            with sqlite3.connect(tmp_path / "db.sqlite3") as copy:
                copy.backup(connection.connection)
        return result.returncode, result.stderr.decode()

    return run


def test_a_customers_mail_piped_in_opens_a_ticket_and_exits_0(mta, customer, support):
    code, _err = mta(eml("gmail-new-ticket-pt.eml"))
    assert code == 0
    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.department) == (customer, support)
    assert InboundEmail.objects.get().state == InboundState.ACCEPTED


def test_the_recipient_option_is_the_envelope_recipient(mta, customer, support, billing):
    assert mta(eml("gmail-new-ticket-pt.eml"), "--recipient", "financeiro@example.com")[0] == 0
    assert Ticket.objects.get().department == billing


def test_unknown_senders_mail_is_held_exits_0_and_the_notice_is_written(mta, support, tmp_path):
    assert mta(eml("unknown-sender-en.eml"))[0] == 0
    assert InboundEmail.objects.get().state == InboundState.HELD
    (notice,) = (tmp_path / "mail").glob("*.eml")
    assert b"To: nina@novo-cliente.example" in notice.read_bytes()


def test_a_bounce_is_dropped_and_exits_0(mta, support):
    assert mta(eml("bounce-dsn.eml", reference="123456", in_reply_to="x@example.com"))[0] == 0
    assert InboundEmail.objects.get().state == InboundState.DROPPED


def test_mail_with_an_ambiguous_sender_exits_65_and_is_kept(mta, customer, support):
    code, err = mta(eml("multiple-from.eml"))
    assert (code, err.splitlines()[-1]) == (65, "rejected: From must name exactly one address")
    assert InboundEmail.objects.get().state == InboundState.REJECTED
    assert not Ticket.objects.exists()


def test_garbage_exits_65(mta, support):
    assert mta(b"\x00\xff garbage without headers")[0] == 65
    assert InboundEmail.objects.get().reason == "no From header"


def test_the_same_message_piped_twice_is_stored_once(mta, customer, support):
    assert [mta(eml("gmail-new-ticket-pt.eml"))[0] for _ in range(2)] == [0, 0]
    assert InboundEmail.objects.count() == 1 and Ticket.objects.count() == 1


def test_an_unavailable_database_exits_75_so_the_mta_retries(mta, support):
    code, err = mta(eml("gmail-new-ticket-pt.eml"), database_url="postgres://nobody@127.0.0.1:1/helpdesk")
    assert code == 75
    assert "temporary failure: connection failed" in err


def test_the_per_sender_cap_holds_across_pipe_runs_with_the_default_settings(mta, settings, customer, support):
    """Each pipe run is a new process: without Redis the counters are in the database they all share."""
    from helpdesk import ratelimit

    # This process counts where a process without REDIS_URL does (the child has none).
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "helpdesk_ratelimit"},
    }
    limit, _period = ratelimit.LIMITS["inbound_sender"]
    for _hit in range(limit - 1):
        assert ratelimit.allow("inbound_sender", "cliente@example.com")

    assert mta(eml("gmail-new-ticket-pt.eml"))[0] == 0  # the last one allowed, counted by the child
    assert mta(eml("gmail-new-ticket-pt.eml", message_id="<second@mail.gmail.com>"))[0] == 0  # seen by the next

    first, second = InboundEmail.objects.order_by("pk")
    assert first.state == InboundState.ACCEPTED
    assert (second.state, second.reason) == (InboundState.HELD, "too many messages from this address")
