"""What the benchmark and the load test share: Django on the bench settings, logged-in
sessions, and gunicorn serving the app on the loopback."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402

VAR = Path(settings.VAR_DIR)
COOKIE = settings.SESSION_COOKIE_NAME
_sessions = {}


def session_key(user):
    """A logged-in session for `user`, made directly in the session store (one per user and run)."""
    if user.pk not in _sessions:
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        _sessions[user.pk] = session.session_key
    return _sessions[user.pk]


class Server:
    """gunicorn with the project's configuration on 127.0.0.1, for the duration of a `with`."""

    def __init__(self, port, workers, ready_path="/healthz"):
        self.port, self.workers, self.ready_path = port, workers, ready_path

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                sys.exit(f"Port {self.port} is taken by another server: choose another with --port.")
        VAR.mkdir(parents=True, exist_ok=True)
        self.log = open(VAR / "gunicorn.log", "w")  # noqa: SIM115 - closed in __exit__
        command = [
            sys.executable, "-m", "gunicorn", "helpdesk.wsgi:application",
            "--config", str(ROOT / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
            # Recycling a worker mid-run would show up as a latency spike that is not the page's.
            "--max-requests", "0", "--access-logfile", "/dev/null",
        ]  # fmt: skip
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                urllib.request.urlopen(self.url(self.ready_path), timeout=5).read()
            except OSError:
                time.sleep(0.5)
                continue
            if self.process.poll() is None:
                return self
        self.__exit__()
        sys.exit(f"gunicorn did not come up; see {VAR / 'gunicorn.log'}")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
