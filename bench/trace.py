"""Where a slow request's time went: a middleware of the benchmark's server only (bench/settings.py
adds it when BENCH_TRACE names a file).

For every request slower than BENCH_TRACE_MS (default 50) it appends one JSON line to that file:
when it started, its wall time, the CPU time of its thread, the time spent waiting on the database
(how many queries, and the slowest) and on the Redis cache, and the garbage collections that ran
during it. Wall time far above CPU + database + cache time means the worker waited for a core; a
collection shows as such.

    BENCH_TRACE=var/bench/slow.jsonl .venv/bin/python -m bench.dashboard ...
"""

import gc
import json
import os
import time

from django.db import connection

from helpdesk.cache import ResilientRedisCache

_collections = []  # (generation, seconds) of the collections of the current request
_started = [0.0]


def _on_gc(phase, info):
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        _collections.append((info["generation"], time.perf_counter() - _started[0]))


_cache_calls = []  # (seconds, operation) of the current request's calls to the Redis cache


def _timed_cache_call(call):
    def timed(self, operation, *args, **kwargs):
        started = time.perf_counter()
        try:
            return call(self, operation, *args, **kwargs)
        finally:
            _cache_calls.append((time.perf_counter() - started, operation))

    return timed


class SlowRequestTrace:
    def __init__(self, get_response):
        self.get_response = get_response
        self.path = os.environ["BENCH_TRACE"]
        self.threshold = float(os.environ.get("BENCH_TRACE_MS", "50")) / 1000
        gc.callbacks.append(_on_gc)
        ResilientRedisCache._call = _timed_cache_call(ResilientRedisCache._call)

    def __call__(self, request):
        queries = []  # (seconds, sql)

        def timed(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                queries.append((time.perf_counter() - started, sql))

        _collections.clear()
        _cache_calls.clear()
        wall, cpu = time.time(), time.thread_time()
        started = time.perf_counter()
        with connection.execute_wrapper(timed):
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        if elapsed >= self.threshold:
            line = {
                "at": wall,
                "pid": os.getpid(),
                "path": request.path,
                "ms": round(elapsed * 1000, 1),
                "cpu_ms": round((time.thread_time() - cpu) * 1000, 1),
                "db_ms": round(sum(seconds for seconds, _sql in queries) * 1000, 1),
                "queries": len(queries),
                "slowest_query": max(((round(seconds * 1000, 1), sql[:160]) for seconds, sql in queries), default=None),
                "cache_ms": round(sum(seconds for seconds, _operation in _cache_calls) * 1000, 1),
                "cache_calls": [operation for _seconds, operation in _cache_calls],
                "gc": [(generation, round(seconds * 1000, 1)) for generation, seconds in _collections],
            }
            with open(self.path, "a") as out:
                out.write(json.dumps(line) + "\n")
        return response
