"""How many received e-mails one process ingests per second, on a realistic mix, on PostgreSQL.

    .venv/bin/python -m bench.inbound_throughput [--messages 2000]

Runs in the production profile (DEBUG off, persistent connections) against its own PostgreSQL
database `bench_inbound` (created and migrated if missing) and a private redis-server (the
rate limiter's cache and the broker the notifications are queued to; no worker drains it).
Attachments are written under a temporary folder.

The mix is built from the test corpus (tickets/tests/emails/, real clients' formats), each
message with its own Message-ID and a sender among 200 verified customers:

    new tickets (Gmail, Thunderbird with a refused SVG and a .txt log)   30%
    replies with quoted history (Gmail, Outlook, Apple Mail, Thunderbird) 35%
    new tickets from contacts with a PNG screenshot (Apple Mail)          10%
    automatic mail: out-of-office, bounces, lists (dropped)               10%
    unknown senders (held, notice at most once a day)                     10%
    abuse reports from anyone (guest tickets)                              5%

Each message goes through `ingest()` exactly as the pipe command and the webhooks call it:
stored raw, parsed, routed, ticket/reply written with its outbox rows and queued tasks.
Prints messages per second overall and the per-kind p50/p95 time per message.
"""

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_inbound")
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SITE_URL", "https://help.example.com")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="inbound-bench-media-"))

from tickets.tests.services import PrivateRedis  # noqa: E402

REDIS = PrivateRedis()
REDIS.start()
os.environ["REDIS_URL"] = REDIS.url

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import Contact, User  # noqa: E402
from bench.database import ensure_database  # noqa: E402
from departments.models import Department, Membership  # noqa: E402
from tickets.email.inbound import ingest  # noqa: E402
from tickets.models import InboundEmail, Notification, NotificationKind, Ticket  # noqa: E402
from tickets.tests.emls import eml  # noqa: E402

CUSTOMERS = 200
MIX = [
    ("new ticket", 30, ["gmail-new-ticket-pt.eml", "thunderbird-svg-en.eml"]),
    ("reply with quote", 35, ["gmail-reply-pt.eml", "outlook-reply-en.eml", "apple-mail-reply-en.eml",
                              "thunderbird-reply-pt.eml"]),
    ("contact + PNG", 10, ["apple-mail-png-pt.eml"]),
    ("automatic", 10, ["out-of-office-en.eml", "bounce-dsn.eml", "mailing-list.eml"]),
    ("unknown sender", 10, ["unknown-sender-en.eml"]),
    ("abuse report", 5, ["abuse-report-en.eml"]),
]  # fmt: skip


def setup():
    """Departments, customers with a contact each and a ticket answered by staff (what replies answer)."""
    InboundEmail.objects.all().delete()
    Notification.objects.all().delete()
    Ticket.objects.all().delete()
    support, _ = Department.objects.update_or_create(
        slug="suporte", defaults={"name": "Suporte", "email": "suporte@example.com"}
    )
    Department.objects.update_or_create(
        slug="abusos", defaults={"name": "Abusos", "email": "abusos@example.com", "accepts_anyone": True}
    )
    agent, _ = User.objects.get_or_create(email="agente@example.com", defaults={"name": "André"})
    Membership.objects.get_or_create(department=support, user=agent)
    people = []
    for number in range(CUSTOMERS):
        email = f"cliente{number}@example.com"
        customer, _ = User.objects.get_or_create(email=email, defaults={"name": f"Cliente {number}"})
        EmailAddress.objects.get_or_create(user=customer, email=email, defaults={"verified": True, "primary": True})
        contact, _ = Contact.objects.get_or_create(user=customer, email=f"contato{number}@cliente.example")
        contact.confirm()
        ticket = Ticket.open(customer=customer, department=support, subject="Site fora do ar", body="Erro 500.")
        ticket.reply(author=agent, body="Reiniciamos o PHP do seu plano. Pode verificar?")
        notification = Notification.objects.filter(ticket=ticket, kind=NotificationKind.STAFF_REPLY).latest("pk")
        people.append((customer, contact, ticket, notification))
    return people


def build_messages(count, people, rng):
    """(kind, raw bytes) in a shuffled realistic mix, every message with its own Message-ID."""
    kinds = [kind for kind, weight, _files in MIX for _ in range(weight)]
    files = {kind: names for kind, _weight, names in MIX}
    messages = []
    for number in range(count):
        kind = rng.choice(kinds)
        customer, contact, ticket, notification = rng.choice(people)
        raw = eml(
            rng.choice(files[kind]),
            message_id=f"<bench-{number}-{rng.random()}@mail.example>",
            reference=ticket.reference,
            in_reply_to=notification.message_id,
            first_id=notification.message_id,
        )
        raw = raw.replace(b"cliente@example.com", customer.email.encode())
        raw = raw.replace(b"joao@cliente.example", contact.email.encode())
        # A third of the unknown senders write again the same day (no second notice).
        raw = raw.replace(b"nina@novo-cliente.example", f"nina{number % max(1, count // 30)}@novo.example".encode())
        raw = raw.replace(b"abuse@isp.example", f"abuse{number}@isp.example".encode())
        messages.append((kind, raw))
    return messages


def percentile(values, share):
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--profile", action="store_true", help="print the cProfile of the ingestion")
    args = parser.parse_args()
    try:
        ensure_database()
        people = setup()
        messages = build_messages(args.messages, people, random.Random(args.seed))
        ingest(messages[0][1])  # warm-up: imports, first connection, template caches
        timings = defaultdict(list)
        states = defaultdict(int)
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        for kind, raw in messages[1:]:
            before = time.perf_counter()
            inbound = ingest(raw)
            timings[kind].append((time.perf_counter() - before) * 1000)
            states[inbound.state] += 1
        elapsed = time.perf_counter() - started
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        total = len(messages) - 1
        print(f"PostgreSQL {connection.pg_version // 10000}, one process, {total} messages in {elapsed:.1f}s:")
        print(f"  {total / elapsed:.0f} messages/s ingested")
        print("  outcomes: " + ", ".join(f"{state} {count}" for state, count in sorted(states.items())))
        for kind, _weight, _files in MIX:
            values = timings[kind]
            print(
                f"  {kind:<18} {len(values):>5} msgs  p50 {percentile(values, 50):6.1f} ms"
                f"  p95 {percentile(values, 95):6.1f} ms"
            )
    finally:
        REDIS.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
