"""How long requests wait on Redis when it is down: the first request of an outage, and the ones after.

    .venv/bin/python -m bench.redis_outage [--requests 30]

The staff workspace of a ticket is requested (and a reply posted) in this process through Django's
test client, in the production profile (DEBUG off, PostgreSQL: its own `bench_outage` database,
created and migrated if missing), with the cache and the broker on a private redis-server. Three
states: Redis up; Redis stopped (connection refused); Redis hung (a socket on its port that accepts
connections and never answers, as a frozen server or a dropped network does). For each: the first
request after the state begins, then the median and the slowest of the following requests, and a
reply posted (whose notification is queued on the broker, or left to the outbox sweep).
"""

import argparse
import os
import socket
import statistics
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_outage")
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("LOG_LEVEL", "ERROR")
os.environ.setdefault("VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "bench"))

from tickets.tests.services import PrivateRedis  # noqa: E402

REDIS = PrivateRedis()
REDIS.start()
os.environ["REDIS_URL"] = REDIS.url

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.database import ensure_database  # noqa: E402
from departments.models import Department, Membership  # noqa: E402
from tickets.models import Ticket  # noqa: E402


def world():
    department, _ = Department.objects.get_or_create(
        slug="bench-outage", defaults={"name": "Suporte", "email": "suporte-outage@example.com"}
    )
    agent = User.objects.filter(email="agent-outage@example.com").first() or User.objects.create_user(
        "agent-outage@example.com", "bench12345", name="Agent"
    )
    Membership.objects.get_or_create(department=department, user=agent)
    customer = User.objects.filter(email="customer-outage@example.com").first() or User.objects.create_user(
        "customer-outage@example.com", "bench12345", name="Customer"
    )
    ticket = Ticket.open(customer=customer, department=department, subject="Fora do ar", body="Erro 500.")
    return agent, ticket


class Hung:
    """A socket on Redis's port that accepts connections and never answers."""

    def __enter__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", REDIS.port))
        self.listener.listen(1024)
        return self

    def __exit__(self, *exc):
        self.listener.close()


def timed(call):
    started = time.perf_counter()
    response = call()
    assert response.status_code in (200, 302), response.status_code
    return (time.perf_counter() - started) * 1000


def measure(label, client, ticket, count):
    page = ticket.get_staff_url()
    first = timed(lambda: client.get(page))
    rest = [timed(lambda: client.get(page)) for _ in range(count)]
    newest = ticket.messages.order_by("-pk").values_list("pk", flat=True).first()
    reply = timed(lambda: client.post(page, {"action": "reply", "body": f"Resposta ({label}).", "seen": newest}))
    print(
        f"{label:<18} first {first:7.0f} ms   next {count}: median {statistics.median(rest):5.0f} ms,"
        f" slowest {max(rest):5.0f} ms   reply posted {reply:6.0f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    ensure_database()
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    agent, ticket = world()
    client = Client()
    client.force_login(agent)
    try:
        measure("Redis up", client, ticket, args.requests)
        REDIS.stop()
        measure("Redis stopped", client, ticket, args.requests)
        time.sleep(10.5)  # the breaker lets one call through again
        with Hung():
            measure("Redis hung", client, ticket, args.requests)
    finally:
        REDIS.stop()


if __name__ == "__main__":
    main()
