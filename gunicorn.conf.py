"""gunicorn settings, read from the environment: `gunicorn helpdesk.wsgi` picks this file up."""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never takes a node down.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """The worker loads the templates and translations its first requests would (helpdesk.warmup),
    then moves everything loaded by now out of the garbage collector's reach: it lives as long as
    the worker, and a full collection, which otherwise walks all of it in the middle of some
    request, stays short (bench/README.md has the figures)."""
    # Imported here: gunicorn reads this file before the application, and so Django, is loaded.
    from helpdesk.warmup import warm  # noqa: PLC0415

    warm()
    gc.freeze()
