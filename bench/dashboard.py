"""The supervisors' dashboard on one seeded database, as a supervisor and as a superuser.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.dashboard

Three measurements per user (bench/README.md has the targets and the figures):
- alone: one request at a time through Django's test client, in-process (`--alone` requests
  after a warm-up; median, fastest and slowest);
- at 2 connections: gunicorn (2 workers, DEBUG off) loaded by wrk for `--duration` seconds; p50,
  p95, p99 and the slowest request;
- a long run: `--long` seconds at 2 connections while the figures are refreshed in this process
  every `--refresh-every` seconds, as beat's refresh-dashboard does in a worker (a refresh
  recomputes every period of every set of departments), with the rows appended meanwhile
  folded; the slowest request of the run shows whether any request paid for a refresh.
The bare baseline page (bench/urls.py) is measured the same way at 2 connections, for scale, and
with `--control` in a long run too: the slowest request of a page that does nothing shows what the
machine itself adds (the load generator, PostgreSQL, Redis and the refresh share its cores).
With `--stalls` (as root), bench.stall watches every core during the long runs, and each request
over 100 ms (from bench/trace.py's log, turned on with it) is shown beside the time the machine
itself stopped a core while it ran.
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import threading
import time
from pathlib import Path

from bench.harness import COOKIE, ROOT, VAR, Server, session_key  # sets Django up: first

# isort: split
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from bench import stall
from bench.management.commands.seed_bench import SUPERVISOR_EMAIL
from bench.run import find_wrk
from tickets import reports, rollups
from tickets.models import Ticket

ADMIN_EMAIL = "bench-admin@example.com"
TARGETS = {"alone_ms": 25, "p95_ms": 40, "long_max_ms": 100}
# bench.stall's sleepers log every wake-up this late (ms), so that many short stops add up to what
# a request lost; the summary counts the stops over STALL_MS.
LATE_MS = 2
STALL_MS = 10


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alone", type=int, default=30, help="Requests measured one at a time (default 30).")
    parser.add_argument("--duration", type=int, default=15, help="Seconds at 2 connections (default 15).")
    parser.add_argument("--long", type=int, default=120, help="Seconds of the long run (default 120).")
    parser.add_argument("--refresh-every", type=int, default=30, help="Seconds between refreshes in the long run.")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--days", type=int, default=reports.DEFAULT_PERIOD, choices=reports.PERIODS)
    parser.add_argument("--users", default="supervisor,superuser", help="Who to measure (default both).")
    parser.add_argument("--no-load", action="store_true", help="Only the requests alone.")
    parser.add_argument(
        "--control",
        action="store_true",
        help="Also a long run of the bare baseline page, refreshes included: the slowest request the machine "
        "itself gives.",
    )
    parser.add_argument(
        "--stalls",
        action="store_true",
        help="Watch every core with bench.stall during the long runs (as root): the moments the machine itself "
        "stopped a core, set beside the slow requests of bench/trace.py when BENCH_TRACE is set.",
    )
    args = parser.parse_args()
    if args.stalls:  # the slow requests' times, for the gunicorn this starts (bench/trace.py)
        os.environ.setdefault("BENCH_TRACE", str(Path(VAR) / "slow.jsonl"))
        os.environ.setdefault("BENCH_TRACE_MS", "50")

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    tickets = Ticket.objects.count()
    database = settings.DATABASES["default"]["NAME"]
    print(f"Data: {tickets:,} tickets in {database!r}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    users = {"supervisor": User.objects.get(email=SUPERVISOR_EMAIL), "superuser": superuser()}
    users = {name: users[name] for name in args.users.split(",")}
    path = f"{reverse('staff:dashboard')}?days={args.days}"
    started = time.monotonic()
    scopes = reports.refresh_all()
    print(
        f"Figures refreshed as beat does ({scopes} periods and sets of departments): {time.monotonic() - started:.2f} s"
    )

    results = {"database": database, "tickets": tickets, "path": path, "users": {}}
    for name, user in users.items():
        results["users"][name] = alone(user, path, args.alone)
        figures = results["users"][name]
        print(
            f"{name}: alone {figures['median_ms']:.1f} ms median ({figures['min_ms']:.1f}–{figures['max_ms']:.1f}), "
            f"{figures['queries']} queries",
            flush=True,
        )
    if not args.no_load:
        wrk = find_wrk()
        with Server(args.port, workers=2):
            baseline = load(wrk, args, reverse("bench_baseline"), next(iter(users.values())), args.duration)
            results["baseline"] = baseline
            print(f"baseline: p95 {baseline['p95_ms']:.1f} ms at {args.connections} connections", flush=True)
            for name, user in users.items():
                figures = results["users"][name]
                figures["load"] = load(wrk, args, path, user, args.duration)
                print(f"{name}: {describe(figures['load'])}", flush=True)
            for name, user in users.items():
                figures = results["users"][name]
                figures["long"] = long_run(wrk, args, path, user)
                print(f"{name}: long run, {describe(figures['long'])}", flush=True)
            if args.control:
                first = next(iter(users.values()))
                results["baseline_long"] = long_run(wrk, args, reverse("bench_baseline"), first)
                print(f"baseline: long run, {describe(results['baseline_long'])}", flush=True)
    report(results, args)


def superuser():
    """The benchmark's superuser (the seed makes none): created on first use."""
    user = User.objects.filter(email=ADMIN_EMAIL).first()
    if user is None:
        user = User.objects.create_superuser(ADMIN_EMAIL, "bench12345", name="Bench Admin")
        EmailAddress.objects.create(user=user, email=ADMIN_EMAIL, verified=True, primary=True)
    return user


def alone(user, path, count):
    client = Client()
    client.cookies[COOKIE] = session_key(user)
    for _ in range(3):  # warm caches (templates, translations, menus) as a running worker has them
        assert client.get(path).status_code == 200
    gc.freeze()  # as gunicorn.conf.py's workers do: no full collection walks what is loaded by now
    queries = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        client.get(path)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "max_ms": max(times),
        "queries": len(queries),
        "bytes": len(response.content),
    }


def wrk_command(wrk, args, path, user, seconds):
    url = f"http://127.0.0.1:{args.port}{path}"
    return [
        wrk, "-t2", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "30s",
        "-H", f"Cookie: {COOKIE}={session_key(user)}", "-s", str(ROOT / "bench" / "report.lua"), url,
    ]  # fmt: skip


def figures_of(output):
    figures = json.loads(output.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / figures["seconds"]
    errors = ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts", "redirects")
    figures["errors"] = sum(figures[key] for key in errors)
    return figures


def load(wrk, args, path, user, seconds):
    subprocess.run(wrk_command(wrk, args, path, user, 3), check=True, capture_output=True)  # warm-up
    output = subprocess.run(wrk_command(wrk, args, path, user, seconds), check=True, capture_output=True, text=True)
    return figures_of(output.stdout)


def long_run(wrk, args, path, user):
    """`--long` seconds of load while the figures are refreshed (and the counts folded) every `--refresh-every` s."""
    refreshes = []
    done = threading.Event()

    def refresh():
        while not done.wait(args.refresh_every):
            started, at = time.monotonic(), time.time()
            rollups.compact()
            reports.refresh_all()
            refreshes.append(time.monotonic() - started)
            if os.environ.get("BENCH_TRACE"):  # bench/trace.py: to tell whether a slow request met a refresh
                with open(os.environ["BENCH_TRACE"], "a") as out:
                    out.write(json.dumps({"refresh_at": at, "seconds": refreshes[-1]}) + "\n")
        connection.close()

    worker = threading.Thread(target=refresh)
    worker.start()
    watcher, stalls = None, {}
    if args.stalls:  # the sleepers are processes of their own; this thread only waits for them
        watcher = threading.Thread(target=watch_stalls, args=(args.long, stalls))
        watcher.start()
    run_started = time.time()
    try:
        output = subprocess.run(
            wrk_command(wrk, args, path, user, args.long), check=True, capture_output=True, text=True
        )
    finally:
        done.set()
        worker.join()
        if watcher:
            watcher.join()
    figures = figures_of(output.stdout)
    figures["refreshes"] = len(refreshes)
    figures["refresh_s"] = max(refreshes, default=0)
    if watcher:
        figures["stalls"] = stalls["late"]
        figures["steal_ms"] = stalls["steal_ms"]
        figures["slow"] = slow_requests(run_started, time.time(), stalls["late"])
    return figures


def watch_stalls(seconds, out):
    late, steal_ms = stall.watch(seconds, LATE_MS, str(Path(VAR) / "stalls.jsonl"))
    out["late"], out["steal_ms"] = late, steal_ms


def slow_requests(start, end, late):
    """The requests of bench/trace.py's log over the target between `start` and `end`, each with how
    long the machine stopped a core while it ran (bench.stall: the most, over the cores) and its
    time without that."""
    slow = []
    for line in open(os.environ["BENCH_TRACE"]):
        entry = json.loads(line)
        if "ms" not in entry or not start <= entry["at"] <= end or entry["ms"] < TARGETS["long_max_ms"]:
            continue
        stalled_ms = stall.stopped_during(entry["at"], entry["at"] + entry["ms"] / 1000, late)
        slow.append({**entry, "stalled_ms": round(stalled_ms, 1), "net_ms": round(entry["ms"] - stalled_ms, 1)})
    return slow


def describe(figures):
    text = (
        f"{figures['rps']:.0f} req/s, p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms, slowest {figures['max_ms']:.1f} ms"
    )
    if "refreshes" in figures:
        text += f" ({figures['refreshes']} refreshes, the longest {figures['refresh_s']:.2f} s)"
    if "stalls" in figures:
        worst = max((stalled["late_ms"] for stalled in figures["stalls"]), default=0)
        long_stops = sum(stalled["late_ms"] > STALL_MS for stalled in figures["stalls"])
        text += (
            f"; the machine stopped a core {long_stops} times over {STALL_MS} ms (the longest "
            f"{worst:.1f} ms), steal {figures['steal_ms']} ms"
        )
        for entry in figures["slow"]:
            text += (
                f"\n    {entry['ms']:.1f} ms request at {entry['at']:.3f}: a core stopped {entry['stalled_ms']:.1f} ms "
                f"meanwhile, {entry['net_ms']:.1f} ms without it"
            )
    if figures["errors"]:
        text += f", {figures['errors']} ERRORS"
    return text


def report(results, args):
    misses = []
    for name, figures in results["users"].items():
        if figures["median_ms"] > TARGETS["alone_ms"]:
            misses.append(f"{name}: alone {figures['median_ms']:.1f} ms > {TARGETS['alone_ms']} ms")
        if "load" in figures and figures["load"]["p95_ms"] > TARGETS["p95_ms"]:
            misses.append(f"{name}: p95 {figures['load']['p95_ms']:.1f} ms > {TARGETS['p95_ms']} ms")
        if "long" in figures and figures["long"]["max_ms"] > TARGETS["long_max_ms"]:
            misses.append(f"{name}: slowest {figures['long']['max_ms']:.1f} ms > {TARGETS['long_max_ms']} ms")
            own = [entry for entry in figures["long"].get("slow", []) if entry["net_ms"] > TARGETS["long_max_ms"]]
            if "slow" in figures["long"] and not own:
                misses[-1] += ", only while the machine stopped a core (net of that, none over the target)"
    results["misses"] = misses
    results["when"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results["commit"] = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    results["load_average"] = os.getloadavg()[0]
    out = Path(VAR) / f"dashboard-{results['database']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print("\n".join(["Targets met." if not misses else "MISSES:", *misses]))
    print(f"Figures written to {out}")


if __name__ == "__main__":
    main()
