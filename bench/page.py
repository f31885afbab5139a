"""One page timed in-process: median and p95 of `--requests` requests through Django's test client,
and the time spent waiting on the database, after a warm-up and gc.freeze() as a gunicorn worker
has them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.page /staff/
    DATABASE_PREPARE_THRESHOLD=0 DATABASE_URL=… .venv/bin/python -m bench.page /staff/   # without prepared statements

The path may name the seeded long thread as `workspace` (its reference changes with each seed).
"""

import argparse
import gc
import statistics
import time

from bench.harness import COOKIE, session_key  # sets Django up: first

# isort: split
from django.db import connection
from django.test import Client

from accounts.models import User
from bench.management.commands.seed_bench import AGENT_EMAIL, thread_ticket


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", help="A path, or `workspace` for the seeded 200-message thread.")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--email", default=AGENT_EMAIL, help="Whose session (default the seeded agent, as bench.run).")
    args = parser.parse_args()
    path = args.path
    if path == "workspace":
        path = thread_ticket().get_staff_url()
    client = Client()
    client.cookies[COOKIE] = session_key(User.objects.get(email=args.email))
    for _ in range(30):
        assert client.get(path).status_code == 200
    gc.freeze()
    waited = [0.0]

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            waited[0] += time.perf_counter() - started

    times = []
    with connection.execute_wrapper(timed):
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        f"{path}: median {statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95)]:.2f} ms, "
        f"database {waited[0] / len(times) * 1000:.2f} ms per request"
    )


if __name__ == "__main__":
    main()
