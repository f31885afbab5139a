"""The workspace's similar tickets on the seeded million: what tickets.problems.similar_tickets costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.similar
    .venv/bin/python -m bench.similar --samples 300 --explain

Takes open tickets of the last seven days (the ones agents open in the workspace) from every
department, and for each one, as the bench agent would see it, times similar_tickets() and, right
before it, a baseline: the primary-key lookup of one ticket (the cheapest query the workspace
makes), so the figures can be read against how loaded the machine was. Reports the median, 95th
percentile and maximum in milliseconds, and the number of queries. Target: at most 50 ms.
"""

import argparse
import os
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from departments.models import Department  # noqa: E402
from tickets import problems  # noqa: E402
from tickets.models import Ticket  # noqa: E402

AGENT = "bench-agent@example.com"


def _sample(size, seed):
    since = timezone.now() - timezone.timedelta(days=problems.SIMILAR_DAYS)
    pks = []
    for department in Department.objects.all():
        pks += list(
            Ticket.objects.open()
            .filter(department=department, created_at__gte=since)
            .order_by("-created_at")
            .values_list("pk", flat=True)[: size * 4]
        )
    random.Random(seed).shuffle(pks)
    return pks


def _ms(seconds):
    return round(seconds * 1000, 1)


def _summary(values):
    values = sorted(values)
    return {
        "p50": _ms(statistics.median(values)),
        "p95": _ms(values[int(len(values) * 0.95) - 1]),
        "max": _ms(values[-1]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the ranking query of one ticket")
    args = parser.parse_args()

    agent = User.objects.get(email=AGENT)
    # Tickets the agent works, as the workspace has them (department, service and customer joined).
    visible = Ticket.objects.staff_visible_to(agent).select_related("department", "service", "customer")
    pks = [pk for pk in _sample(args.samples, args.seed) if visible.filter(pk=pk).exists()][: args.samples]
    print(f"{Ticket.objects.count():,} tickets; {len(pks)} open tickets of the last 7 days as {AGENT}")

    # Warm-up: caches and connection, as a running server has them.
    for pk in pks[:10]:
        problems.similar_tickets(visible.get(pk=pk), agent)

    baseline, similar, found, queries = [], [], [], []
    for pk in pks:
        ticket = visible.get(pk=pk)
        started = time.perf_counter()
        Ticket.objects.filter(pk=pk).values_list("reference", flat=True).get()
        baseline.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = problems.similar_tickets(ticket, agent)
            similar.append(time.perf_counter() - started)
        found.append(len(result))
        queries.append(len(captured))

    print(f"baseline (one ticket by primary key): {_summary(baseline)} ms")
    print(
        f"similar_tickets: {_summary(similar)} ms; queries {min(queries)}-{max(queries)}; "
        f"suggestions per ticket: mean {statistics.mean(found):.1f}, none for {found.count(0)}"
    )
    if args.explain:
        ticket = visible.get(pk=pks[0])
        with CaptureQueriesContext(connection) as captured:
            problems.similar_tickets(ticket, agent)
        ranking = next(query["sql"] for query in captured if "ts_rank" in query["sql"])
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {ranking}")
            print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
