"""How fast one Celery worker hands notifications to the mail backend, and how long a reply's mail waits.

    .venv/bin/python -m bench.mail_throughput [--notifications 2000] [--latency-samples 300]

Runs against PostgreSQL (its own `bench_mail` database, created and migrated if missing), a
private redis-server on a spare port, and one real worker process (`celery -A helpdesk worker
--pool solo`), in the production profile (DEBUG off, persistent database connections). The
mail backend is bench.mail_backend.TimingBackend: it renders each message to bytes, as any
backend must, and notes when it received it.

1. Throughput: N staff replies (one notification each) are committed while the worker is
   stopped, then the worker starts and drains the queue: notifications per second between the
   first and the last hand-over.
2. Latency: with the worker idle, replies are committed one at a time (paced); for each, the
   time from the commit to the backend receiving its mail, p50 and p95.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_mail")
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SITE_URL", "https://help.example.com")
os.environ.setdefault("LOG_LEVEL", "WARNING")

# Everything Redis (broker and cache) goes to a private redis-server, started before Django reads REDIS_URL.
from tickets.tests.services import CeleryWorker, PrivateRedis, wait_for  # noqa: E402

REDIS = PrivateRedis()
REDIS.start()
os.environ["REDIS_URL"] = REDIS.url

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.database import ensure_database  # noqa: E402
from departments.models import Department, Membership  # noqa: E402
from tickets.models import Notification, Ticket  # noqa: E402

# Replies per ticket in the throughput run: threads of a realistic length (each mail cites the earlier ones).
REPLIES_PER_TICKET = 5


def fresh_tickets(count):
    """Tickets of Suporte whose staff replies go to one customer (no contacts): one notification per reply."""
    department, _created = Department.objects.get_or_create(
        slug="bench-mail", defaults={"name": "Suporte", "email": "suporte-bench@example.com"}
    )
    customer, _created = User.objects.get_or_create(email="cliente-bench@example.com", defaults={"name": "Carla"})
    agent, _created = User.objects.get_or_create(email="agente-bench@example.com", defaults={"name": "André"})
    Membership.objects.get_or_create(department=department, user=agent)
    Ticket.objects.filter(department=department).delete()
    tickets = [
        Ticket.open(customer=customer, department=department, subject=f"Site {number} fora do ar", body="Erro 500.")
        for number in range(count)
    ]
    Notification.objects.filter(ticket__department=department).delete()  # the opening's mail is not measured
    return tickets, agent


def reply(ticket, agent, body, on_commit=None):
    with transaction.atomic():
        if on_commit:
            transaction.on_commit(on_commit)  # first in line: runs at the commit, before the queuing
        message = ticket.reply(author=agent, body=body)
    return message.notifications.get().message_id


def handovers(log):
    """Message-ID → time the backend received it."""
    if not log.exists():
        return {}
    lines = (line.split("\t") for line in log.read_text().splitlines())
    return {message_id: float(stamp) for message_id, stamp in lines}


def cpu_seconds(pid):
    """User and system CPU a process has used so far (Linux /proc): what it cost, whatever the machine's load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, share):
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notifications", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=300)
    parser.add_argument("--pace", type=float, default=0.05, help="seconds between replies in the latency run")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="mail-bench-"))
    log = folder / "handover.log"
    worker = CeleryWorker(
        broker_url=REDIS.url,
        database=connection.settings_dict,
        mail_dir=folder,
        log=folder / "worker.log",
        extra_env={"EMAIL_BACKEND": "bench.mail_backend.TimingBackend", "BENCH_HANDOVER_LOG": str(log)},
    )
    try:
        ensure_database()
        tickets, agent = fresh_tickets(max(1, args.notifications // REPLIES_PER_TICKET))
        started = time.monotonic()
        for number in range(args.notifications):
            ticket = tickets[number % len(tickets)]
            reply(ticket, agent, f"Resposta número {number}.\nReiniciamos o servidor.")
        produced = time.monotonic() - started
        print(f"committed {args.notifications} replies in {produced:.1f}s ({args.notifications / produced:.0f}/s)")

        worker.start()
        cpu_before = cpu_seconds(worker.process.pid)
        wait_for(lambda: len(handovers(log)) >= args.notifications, 1800, "the worker to drain the queue")
        cpu = cpu_seconds(worker.process.pid) - cpu_before
        stamps = sorted(handovers(log).values())
        drained = stamps[-1] - stamps[0]
        print(
            f"throughput: {args.notifications} notifications handed to the backend in {drained:.1f}s"
            f" by one worker = {(args.notifications - 1) / drained:.0f} notifications/s;"
            f" worker CPU {cpu * 1000 / args.notifications:.1f} ms per notification"
            f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
        )

        committed = {}
        for number in range(args.latency_samples):
            at = {}
            ticket = tickets[number % len(tickets)]
            message_id = reply(ticket, agent, f"Latência {number}.", on_commit=lambda at=at: at.update(t=time.time()))
            committed[message_id] = at["t"]
            time.sleep(args.pace)
        wait_for(lambda: committed.keys() <= handovers(log).keys(), 120, "the latency samples")
        received = handovers(log)
        waits = [(received[message_id] - at) * 1000 for message_id, at in committed.items()]
        print(
            f"commit → hand-over, {len(waits)} replies one every {args.pace * 1000:.0f} ms:"
            f" p50 {percentile(waits, 50):.1f} ms, p95 {percentile(waits, 95):.1f} ms, max {max(waits):.1f} ms"
        )
    finally:
        if worker.process is not None:
            worker.stop()
        REDIS.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
