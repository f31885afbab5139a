"""Serve the helpdesk with gunicorn (DEBUG off) on the `bench` database and measure pages with wrk.

    .venv/bin/python -m bench.run [--duration 15] [--connections 8] [--pages queue,workspace]

For each page: requests/s, p50 and p95 latency at N connections, queries per request (the
same page through Django's test client with CaptureQueriesContext), and the throughput as
a share of the baseline page (a bare 25-row table), which runs right before and after each
page. `--explain` prints EXPLAIN ANALYZE of each page's slowest queries, `--profile` a
pyinstrument profile of one request. Needs data from `manage.py seed_bench --settings bench.settings` (bench/README.md).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import COOKIE, ROOT, VAR, Server, session_key  # sets Django up: first

# isort: split
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from bench.management.commands.seed_bench import (
    AGENT_EMAIL,
    SUPERVISOR_EMAIL,
    bench_departments,
    thread_ticket,
)
from tickets.models import Ticket
from tickets.queue import QueueFilter

QUERY_LIMIT = 12
SEARCH_WORD = "certificado"  # in 3 % of the subjects and 40 % of the threads
DEEP_ROW = 50_000  # the first row of "page 2000" at 25 rows a page


@dataclass
class Page:
    name: str
    path: str
    user: User = field(repr=False)
    min_ratio: float | None = None
    max_p95_ms: float | None = None
    load: bool = True  # False: queries counted only
    result: dict = field(default_factory=dict)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15, help="Seconds of load per page (default 15).")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of unmeasured load first (default 3).")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--pages", help="Comma-separated page names to measure (default: all). The baseline always runs."
    )
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest queries.")
    parser.add_argument("--profile", action="store_true", help="Profile one request of each page (pyinstrument).")
    parser.add_argument("--no-load", action="store_true", help="Only queries (and --explain/--profile): no wrk.")
    parser.add_argument("--json", type=Path, default=VAR / "results.json", help="Where to write the figures.")
    args = parser.parse_args()

    wrk = None if args.no_load else find_wrk()
    call_command("migrate", interactive=False, verbosity=0)
    pages = pages_to_measure()
    if args.pages:
        wanted = {"baseline", *args.pages.split(",")}
        pages = [page for page in pages if page.name in wanted]

    print(f"Data: {Ticket.objects.count():,} tickets on {connection.vendor}.", flush=True)
    # DEBUG off: pages link the hashed static files of the manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    for page in pages:
        measure_queries(page, explain=args.explain, profile=args.profile)
    if wrk:
        with Server(args.port, args.workers):
            measure_under_load(wrk, args, pages)
    report(pages, args)


def measure_under_load(wrk, args, pages):
    """Each page between two runs of the baseline, and its ratio to their mean: a shared machine's
    speed drifts by 20 % or more within minutes, which a single baseline run at the start would
    put into the ratios of the pages measured late."""
    baseline, others = pages[0], [page for page in pages[1:] if page.load and not page.result.get("failed")]

    def run(page):
        result = load(wrk, args, page)
        settle()
        print(f"  {page.name}: {result['rps']:.0f} req/s", flush=True)
        return result

    before = run(baseline)
    runs = [before]
    for page in others:
        page.result.update(run(page))
        after = run(baseline)
        runs.append(after)
        page.result["baseline_rps"] = (before["rps"] + after["rps"]) / 2
        before = after
    # The baseline's own row: its median run.
    baseline.result.update(sorted(runs, key=lambda result: result["rps"])[len(runs) // 2])
    baseline.result["baseline_rps"] = baseline.result["rps"]
    baseline.result["runs"] = [round(result["rps"]) for result in runs]


def find_wrk():
    path = shutil.which("wrk")
    if path:
        return path
    print("wrk (the load tool) is not installed; on Debian/Ubuntu: apt-get install -y wrk", file=sys.stderr)
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing it now with apt-get...", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False)
        if shutil.which("wrk"):
            return shutil.which("wrk")
    sys.exit(2)


def pages_to_measure():
    agent = User.objects.filter(email=AGENT_EMAIL).first()
    thread = thread_ticket()
    if agent is None or thread is None:
        sys.exit(
            f"No bench data in {settings.DATABASES['default']['NAME']!r}: "
            "run `manage.py seed_bench --settings bench.settings --tickets 1000000` with the same DATABASE_URL first."
        )
    department = bench_departments().order_by("order").first()
    queue = reverse("staff:queue")
    pages = [
        Page("baseline", reverse("bench_baseline"), agent),
        Page("queue", queue, agent, 0.40, 30),
        Page("queue-filter", f"{queue}?status=open&department={department.pk}", agent, 0.40, 30),
        Page("queue-search", f"{queue}?q={SEARCH_WORD}", agent, 0.40, 30),
        Page("queue-search-rare", f"{queue}?q={rare_word(department)}", agent, 0.40, 30),
        Page("queue-deep", deep_page(agent, queue), agent, 0.40, 30),
        Page("workspace", thread.get_staff_url(), agent, 0.30),
        # The same page for a short thread: as many queries as for 200 messages, or there is a query per row.
        Page("workspace-short", short_thread(department).get_staff_url(), agent, load=False),
    ]
    try:
        supervisor = User.objects.get(email=SUPERVISOR_EMAIL)
        pages.append(Page("dashboard", reverse("staff:dashboard"), supervisor))
    except NoReverseMatch:
        print("No staff:dashboard URL yet: the dashboard is not measured.")
    return pages


def rare_word(department):
    """A customer's domain: what agents search for most, found in a handful of tickets."""
    return (
        Ticket.objects.filter(department=department).exclude(site="").order_by("pk").values_list("site", flat=True)[0]
    )


def short_thread(department):
    return (
        Ticket.objects.filter(department=department, merged_into=None)
        .exclude(pk=thread_ticket().pk)
        .order_by("-pk")
        .first()
    )


def deep_page(user, queue):
    """The queue of all statuses from row 50,000 on (what page 2000 would show), as its own link gives it."""

    queue_filter = QueueFilter(user, {"status": "all"})
    ticket = queue_filter.queryset[DEEP_ROW : DEEP_ROW + 1].get()
    return f"{queue}?{queue_filter.querystring()}&after={queue_filter.cursor(ticket)}"


def measure_queries(page, explain=False, profile=False):
    client = Client()
    client.cookies[COOKIE] = session_key(page.user)
    client.raise_request_exception = False
    client.get(page.path)  # warm caches (content types, translations) as a running worker has them
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(page.path)
        elapsed = time.perf_counter() - started
    if response.status_code != 200:
        # Not measured under load: a failing page would only measure the error page.
        page.result.update(queries=len(captured.captured_queries), failed=response.status_code)
        print(f"{page.name}: {page.path} answered {response.status_code} after {elapsed:.1f} s", flush=True)
        return
    queries = captured.captured_queries
    page.result.update(queries=len(queries), single_ms=elapsed * 1000, bytes=len(response.content))
    print(
        f"{page.name}: {len(queries)} queries, {elapsed * 1000:.1f} ms in-process, {len(response.content):,} bytes",
        flush=True,
    )
    if explain:
        explain_queries(queries)
    if profile:
        profile_request(client, page.path)


def explain_queries(queries, slower_than_ms=1.0):
    with connection.cursor() as cursor:
        for query in sorted(queries, key=lambda q: -float(q["time"])):
            if float(query["time"]) * 1000 < slower_than_ms or not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            print(f"\n-- {float(query['time']) * 1000:.1f} ms\n{query['sql']}")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()))


def profile_request(client, path):
    try:
        from pyinstrument import Profiler
    except ImportError:
        sys.exit("--profile needs pyinstrument: .venv/bin/pip install -r bench/requirements.txt")
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(20):
            client.get(path)
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def load(wrk, args, page):
    url = f"http://127.0.0.1:{args.port}{page.path}"
    cookie = f"Cookie: {COOKIE}={session_key(page.user)}"
    # Give up on a request after 30 s like gunicorn, not after wrk's default 2 s: a slow page
    # then shows in the percentiles instead of vanishing into a timeout count.
    command = [wrk, f"-t{args.threads}", f"-c{args.connections}", "--timeout", "30s", "-H", cookie]
    command += ["-s", str(ROOT / "bench" / "report.lua")]
    if args.warmup:
        subprocess.run([*command, f"-d{args.warmup}s", url], check=True, capture_output=True)
    load_average = os.getloadavg()[0]
    output = subprocess.run([*command, f"-d{args.duration}s", url], check=True, capture_output=True, text=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / figures["seconds"]
    figures["errors"] = sum(figures[key] for key in ("connect_errors", "read_errors", "write_errors", "status_errors"))
    figures["errors"] += figures["timeouts"] + figures["redirects"]
    figures["load_average_before"] = load_average
    return figures


def settle(limit=60):
    """Wait until the requests still running from the last page are done: a slow page's
    leftovers would otherwise be measured as part of the next one."""
    deadline = time.monotonic() + limit
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.5)


def report(pages, args):
    rows = []
    for page in pages:
        result = page.result
        baseline = result.get("baseline_rps")
        ratio = result["rps"] / baseline if baseline and "rps" in result else None
        result["ratio"] = ratio
        misses = []
        if result["queries"] > QUERY_LIMIT:
            misses.append(f"queries > {QUERY_LIMIT}")
        if ratio is not None and page.min_ratio and ratio < page.min_ratio:
            misses.append(f"throughput < {page.min_ratio:.0%}")
        if "p95_ms" in result and page.max_p95_ms and result["p95_ms"] > page.max_p95_ms:
            misses.append(f"p95 > {page.max_p95_ms:.0f} ms")
        if result.get("requests") == 0:
            misses.append(f"no response within {args.duration} s")
        if result.get("failed"):
            misses.append(f"answered {result['failed']}")
        if result.get("errors"):
            misses.append(f"{result['errors']} errors")
        result["misses"] = misses
        target = ", ".join(
            part
            for part in (
                page.min_ratio and f"≥{page.min_ratio:.0%}",
                page.max_p95_ms and f"p95≤{page.max_p95_ms:.0f}",
            )
            if part
        )
        rows.append(
            [
                page.name,
                f"{result['rps']:.0f}" if "rps" in result else "-",
                f"{result['p50_ms']:.1f}" if "p50_ms" in result else "-",
                f"{result['p95_ms']:.1f}" if "p95_ms" in result else "-",
                str(result["queries"]),
                f"{ratio:.0%}" if ratio is not None else "-",
                target or "-",
                "MISS: " + "; ".join(misses) if misses else "ok",
            ]
        )
    header = ["page", "req/s", "p50 ms", "p95 ms", "queries", "vs baseline", "target", "verdict"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print()
    print(f"{args.connections} connections, {args.duration} s per page, {args.workers} gunicorn workers, "
          f"{os.cpu_count()} CPU cores (load average now {os.getloadavg()[0]:.1f})")  # fmt: skip
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(width) if i in (0, 6, 7) else cell.rjust(width) for i, (cell, width) in
                        enumerate(zip(row, widths, strict=True))))  # fmt: skip
    if pages[0].result.get("runs"):
        print(f"  baseline runs (one before and after each page), req/s: {pages[0].result['runs']}")
    for page in pages:
        print(f"  {page.name}: {page.path}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "commit": subprocess.run(
                    ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
                ).stdout.strip(),
                "tickets": Ticket.objects.count(),
                "connections": args.connections,
                "duration": args.duration,
                "workers": args.workers,
                "cpus": os.cpu_count(),
                "pages": [{"name": p.name, "path": p.path, **p.result} for p in pages],
            },
            indent=2,
            default=str,
        )
    )
    print(f"Figures written to {args.json}")


if __name__ == "__main__":
    main()
