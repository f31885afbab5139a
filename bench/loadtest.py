"""Load test: customers open tickets and reply while agents work the queue, then nothing may be lost.

    .venv/bin/python -m bench.loadtest [--minutes 10] [--users 8]

Serves the app with gunicorn on the loopback (bench settings: DEBUG off, the `bench`
database, Redis) with a Celery worker sending the mail, and runs locust (bench/locustfile.py)
headless: half the users are customers drawn from a pool of seeded customers, half are
agents. Afterwards it checks that no request failed, that every accepted ticket and message
is in the database exactly once, on the right ticket, and that each produced its
notification rows. Exit status 1 if anything is off. Needs `manage.py seed_bench --settings bench.settings` data.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.harness import COOKIE, ROOT, VAR, Server, session_key  # sets Django up: first

# isort: split
from django.db.models import Count, Q

from accounts.models import User
from bench.management.commands.seed_bench import AGENT_EMAIL, DOMAIN, bench_departments
from departments.models import Membership
from tickets.models import DeliveryState, Message, Notification, NotificationKind, Ticket

# What each accepted post must have left in the outbox (internal notes are never mailed).
EXPECTED_KIND = {
    "open": NotificationKind.NEW_TICKET,
    "reply": NotificationKind.CUSTOMER_REPLY,
    "staff_reply": NotificationKind.STAFF_REPLY,
    "note": None,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10, help="How long to run (default 10).")
    parser.add_argument("--users", type=int, default=8, help="Concurrent users, half customers, half agents.")
    parser.add_argument("--customers", type=int, default=3000, help="Size of the customer pool (rate limits).")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers.")
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--no-worker", action="store_true", help="No Celery worker: mail stays queued.")
    args = parser.parse_args()

    run = time.strftime("lt%Y%m%d%H%M%S")
    started = time.time()
    files = {name: VAR / f"loadtest-{name}" for name in ("input.json", "records.json", "locust", "celery.log")}
    files["input.json"].write_text(json.dumps(prepare(run, args.customers)))
    print(f"Run {run}: {args.users} users for {args.minutes:g} min on http://127.0.0.1:{args.port}", flush=True)

    with Server(args.port, args.workers) as server, CeleryWorker(files["celery.log"], enabled=not args.no_worker):
        env = {
            **os.environ,
            "LOADTEST_INPUT": str(files["input.json"]),
            "LOADTEST_OUTPUT": str(files["records.json"]),
        }
        command = [
            sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
            "--users", str(args.users), "--spawn-rate", str(args.users), "--run-time", f"{round(args.minutes * 60)}s",
            "--host", server.url(), "--csv", str(files["locust"]), "--only-summary", "--stop-timeout", "30",
            "--loglevel", "WARNING",
        ]  # fmt: skip
        subprocess.run(command, cwd=ROOT, env=env, check=False)
        if not args.no_worker:
            drain(started)

    records = json.loads(files["records.json"].read_text())
    failures = print_requests(files["locust"])
    lost = verify(run, records)
    failed_mail = print_mail(started)
    ok = failures == lost == failed_mail == 0
    print(
        "\nRESULT:",
        "no errors, nothing lost"
        if ok
        else f"{failures} failed requests, {lost} lost or wrong messages, {failed_mail} failed notifications",
    )
    sys.exit(0 if ok else 1)


def prepare(run, pool_size):
    """Sessions for a pool of customers (with a few of their tickets to reply to) and for agents."""
    customers = list(
        User.objects.filter(email__endswith="@" + DOMAIN, memberships__isnull=True).order_by("?")[:pool_size]
    )
    references = {}
    for customer_id, reference in (
        Ticket.objects.filter(customer__in=customers).order_by("-updated_at").values_list("customer_id", "reference")
    ):
        references.setdefault(customer_id, [])
        if len(references[customer_id]) < 3:
            references[customer_id].append(str(reference))
    agents = list(
        User.objects.filter(
            Q(email=AGENT_EMAIL)
            | Q(pk__in=Membership.objects.filter(department__in=bench_departments()[:2]).values("user"))
        ).distinct()
    )
    return {
        "run": run,
        "cookie": COOKIE,
        "departments": [slug for slug in bench_departments().values_list("slug", flat=True)],
        "customers": [
            {"id": user.pk, "session": session_key(user), "references": references.get(user.pk, [])}
            for user in customers
        ],
        "agents": [{"id": user.pk, "session": session_key(user)} for user in agents],
    }


class CeleryWorker:
    """A Celery worker on the bench settings (it sends the notifications to .eml files)."""

    def __init__(self, log_path, enabled=True):
        self.log_path, self.enabled = log_path, enabled

    def __enter__(self):
        if self.enabled:
            self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
            command = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--concurrency", "1"]
            command += ["--loglevel", "WARNING", "--hostname", "bench-loadtest@%h"]
            env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.process.terminate()
            self.process.wait(timeout=60)
            self.log.close()


def drain(since, limit=120):
    """Give the worker up to `limit` seconds to send what is still queued."""
    deadline = time.monotonic() + limit
    pending = Notification.objects.filter(created_at__gte=_aware(since), state=DeliveryState.QUEUED)
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(2)


def print_requests(locust_prefix):
    """Locust's figures per request type; returns the number of failed requests."""
    with open(f"{locust_prefix}_stats.csv") as stats:
        rows = list(csv.DictReader(stats))
    print(f"\n{'request':<36}{'count':>8}{'failed':>8}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>9}")
    for row in rows:
        print(
            f"{(row['Type'] + ' ' + row['Name']).strip():<36}{row['Request Count']:>8}{row['Failure Count']:>8}"
            f"{float(row['Requests/s']):>8.1f}{row['50%']:>8}{row['95%']:>8}{float(row['Max Response Time']):>9.0f}"
        )
    with open(f"{locust_prefix}_failures.csv") as failures:
        for row in csv.DictReader(failures):
            print(f"  FAILED {row['Occurrences']}x {row['Method']} {row['Name']}: {row['Error']}")
    total = next((row for row in rows if row["Name"] == "Aggregated"), None)
    return int(total["Failure Count"]) if total else 0


def verify(run, records):
    """Every accepted post is one message with its marker, on its ticket, with its notification rows."""
    messages = {}
    for message in Message.objects.filter(body__contains=f"[{run}-").select_related("ticket"):
        marker = message.body[message.body.index(f"[{run}-") :].split("]", 1)[0] + "]"
        messages.setdefault(marker, []).append(message)
    problems = 0
    counts = {}
    recorded = set()
    for item in records:
        kind = item["kind"]
        if kind == "collision":
            counts["collision"] = counts.get("collision", 0) + 1
            continue
        counts[kind] = counts.get(kind, 0) + 1
        recorded.add(item["marker"])
        found = messages.get(item["marker"], [])
        if len(found) != 1 or str(found[0].ticket.reference) != item["reference"]:
            problems += 1
            print(f"  LOST or DUPLICATED: {item} -> {len(found)} messages")
            continue
        message = found[0]
        expected = EXPECTED_KIND[kind]
        notified = Notification.objects.filter(thread_message=message)
        if expected is None and notified.exists():
            problems += 1
            print(f"  an internal note was mailed: {item}")
        elif expected is not None and not notified.filter(kind=expected).exists():
            problems += 1
            print(f"  no {expected} notification for {item}")
    unrecorded = set(messages) - recorded
    if unrecorded:
        # Accepted by the server after the client gave up on the request (a timeout).
        problems += len(unrecorded)
        print(f"  {len(unrecorded)} messages in the database that no client saw accepted: {sorted(unrecorded)[:5]}")
    print(
        f"\nAccepted and found in the database exactly once, with their notification rows: "
        f"{counts.get('open', 0)} new tickets, {counts.get('reply', 0)} customer replies, "
        f"{counts.get('staff_reply', 0)} agent replies, {counts.get('note', 0)} internal notes "
        f"({counts.get('collision', 0)} collision warnings answered with 'send anyway'); problems: {problems}"
    )
    return problems


def print_mail(since):
    """Notifications of the run by delivery state; returns how many failed (the rest is sent or still queued)."""
    states = dict(
        Notification.objects.filter(created_at__gte=_aware(since)).values_list("state").annotate(n=Count("pk"))
    )
    print(
        "Notifications written during the run, by state: " + ", ".join(f"{s} {n}" for s, n in states.items()),
        "(queued ones stay in the outbox for the worker and its sweep)" if states.get(DeliveryState.QUEUED) else "",
    )
    return states.get(DeliveryState.FAILED, 0)


def _aware(timestamp):
    return datetime.fromtimestamp(timestamp, UTC)


if __name__ == "__main__":
    main()
