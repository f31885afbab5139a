"""Settings of the benchmark: the production profile (DEBUG off) on the `bench` database, plus a baseline page.

Every value comes from the same environment variables as production; these defaults only
make `python -m bench.run` work on a development machine. The baseline page lives in
bench/urls.py and never in the production URLs.
"""

import os
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
# Persistent connections, as a production deployment would keep them.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8765")
# Plain HTTP on the loopback: no redirect to HTTPS.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("VAR_DIR", str(BENCH_DIR.parent / "var" / "bench"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

from helpdesk.settings import *  # noqa: E402, F403
from helpdesk.settings import DATABASES, TEMPLATES  # noqa: E402

# The benchmark's own commands (seed_bench) live in bench/management, outside the product's apps.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
# Plain HTTP on the loopback, where production has TLS in front: clients would not send
# Secure cookies back, and every form post would fail its CSRF check.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = False
# A page whose query runs for minutes on a million rows fails (and is reported) instead of
# keeping the database busy after gunicorn gave up on the request (its timeout is 30 s).
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    timeout_ms = int(os.environ.get("BENCH_STATEMENT_TIMEOUT_MS", "30000"))
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c statement_timeout={timeout_ms}"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BENCH_DIR / "templates"]
# bench/trace.py: where the slow requests' time went, for the benchmark's server only.
if os.environ.get("BENCH_TRACE"):
    MIDDLEWARE = ["bench.trace.SlowRequestTrace", *MIDDLEWARE]  # noqa: F405
