"""The dashboard's satisfaction figures and the queue's rating filter on the seeded bench database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.satisfaction [--rounds 3]

seed_bench writes no ratings: the first run rates the latest close of about a third of the closed
tickets (one in eight of those bad), as a survey's answers would be, then ANALYZEs. Each round
times, interleaved so that the machine's other work weighs on all alike, what beat's refresh
computes for the supervisor's departments over 30 days (every section of the dashboard), the
satisfaction section alone for 30 and 90 days, and the first queue page of all statuses with
and without `rating=bad`.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from tickets import reports, satisfaction  # noqa: E402
from tickets.models import Rating  # noqa: E402
from tickets.queue import QueueFilter  # noqa: E402

RATE = """
INSERT INTO tickets_rating (ticket_id, closing_id, closed_at, department_id, agent_id, service_id,
                            score, points, comment, created_at, updated_at)
SELECT t.id, e.id, e.created_at, t.department_id, t.assignee_id, t.service_id,
       CASE WHEN e.id % 8 = 0 THEN 'bad' ELSE 'good' END, CASE WHEN e.id % 8 = 0 THEN 1 ELSE 5 END, '',
       e.created_at + interval '1 hour', e.created_at + interval '1 hour'
FROM tickets_ticketevent e JOIN tickets_ticket t ON t.id = e.ticket_id
WHERE e.kind = 'status' AND e.new_value = 'closed' AND t.id % 3 = 0
  AND e.id = (SELECT max(e2.id) FROM tickets_ticketevent e2
              WHERE e2.ticket_id = e.ticket_id AND e2.kind = 'status' AND e2.new_value = 'closed')
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3, help="Runs of each case per round.")
    args = parser.parse_args()
    if not Rating.objects.exists():
        with connection.cursor() as cursor:
            cursor.execute(RATE)
            cursor.execute("ANALYZE tickets_rating")
    supervisor = User.objects.get(email="bench-supervisor@example.com")
    agent = User.objects.get(email="bench-agent@example.com")
    now = timezone.now()
    departments = tuple(sorted(desk.pk for desk in reports.scope(supervisor)))
    month, quarter = reports.Period(departments, 30, now), reports.Period(departments, 90, now)
    cases = {
        "dashboard period figures, 30 d": lambda: reports.compute_figures(month),
        "satisfaction figures, 30 d": lambda: satisfaction.dashboard_figures(month),
        "satisfaction figures, 90 d": lambda: satisfaction.dashboard_figures(quarter),
        "queue, all statuses": lambda: QueueFilter(agent, QueryDict("status=all")).page(QueryDict()),
        "queue, all statuses, rating=bad": lambda: QueueFilter(agent, QueryDict("status=all&rating=bad")).page(
            QueryDict()
        ),
    }
    times = {name: [] for name in cases}
    for _round in range(args.rounds):
        for name, case in cases.items():
            for _run in range(args.runs):
                start = time.perf_counter()
                case()
                times[name].append((time.perf_counter() - start) * 1000)
    print(f"{Rating.objects.count():,} ratings; ms per call, median (min–max) of {args.rounds * args.runs} runs")
    for name, case in cases.items():
        with CaptureQueriesContext(connection) as queries:
            case()
        values = times[name]
        print(
            f"{name:40} {statistics.median(values):6.0f} ({min(values):.0f}–{max(values):.0f}), {len(queries)} queries"
        )


if __name__ == "__main__":
    main()
