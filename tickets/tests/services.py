"""Real services for integration tests and the mail benchmark: a private Redis, a Celery worker process."""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import Celery, current_app
from django.conf import settings
from django.core.cache.backends.db import DatabaseCache


def require_service(available, message):
    """Skip without the service, except under REQUIRE_SERVICES=1 (CI), where that is a failure."""
    if available:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


class PrivateRedis:
    """A redis-server of our own on a spare port, without persistence: stopping it loses its queue."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, "redis-server to start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def _answers(self):
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.ConnectionError:
            return False


def database_url(settings_dict):
    """A DATABASE_URL naming the database this process uses (the test database during tests)."""
    credentials = quote(settings_dict["USER"] or "")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"])
    host = f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(settings_dict['NAME'])}"


class CeleryWorker:
    """`celery -A helpdesk worker --pool solo` on the given database and broker, writing mail as .eml files."""

    def __init__(self, *, broker_url, database, mail_dir, log, extra_env=None):
        self.mail_dir = Path(mail_dir)
        self.log = Path(log)
        self.env = {
            **{key: value for key, value in os.environ.items() if key != "DATABASE_TEST_NAME"},
            "DATABASE_URL": database_url(database),
            "REDIS_URL": broker_url,
            "EMAIL_BACKEND": "helpdesk.mail.EmlFileBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "SITE_URL": settings.SITE_URL,
            **(extra_env or {}),
        }
        self.process = None

    def start(self):
        celery = Path(sys.executable).with_name("celery")
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [str(celery), "-A", "helpdesk", "worker", "--pool", "solo", "--loglevel", "INFO"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: b" ready." in self.log.read_bytes() or self.process.poll() is not None, 60, "the worker")
        if self.process.poll() is not None:
            raise RuntimeError(f"the worker exited:\n{self.log.read_text()}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log_file.close()

    def tasks_done(self):
        """How many send_notification tasks the worker finished (from its log)."""
        return len(re.findall(rb"send_notification\[[^]]+\] succeeded", self.log.read_bytes()))


@contextlib.contextmanager
def producer_on(broker_url):
    """Make this process queue tasks on `broker_url` for real, whatever its settings say.

    The tasks are shared tasks: they resolve to the current Celery app at call time.
    """
    app = Celery("helpdesk", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=broker_url, task_always_eager=False)
    previous = current_app._get_current_object()
    app.set_current()
    try:
        yield app
    finally:
        previous.set_current()
        app.close()


class TcpProxy:
    """A TCP proxy in front of a real server (PostgreSQL): `stop()` refuses new connections and cuts
    the open ones, as a database that went away; `start()` lets them through again.

    The shared PostgreSQL cluster cannot be stopped for a test; what the application meets is the same
    (connection refused, server closed the connection).
    """

    def __init__(self, target_host, target_port):
        self.target = (target_host, int(target_port))
        self.port = free_port()
        self._listener = None
        self._sockets = set()
        self._lock = threading.Lock()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self):
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would leave it listening.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, source, destination):
        try:
            while data := source.recv(65536):
                destination.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, destination):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def forget_rate_limits_in_the_database():
    """Empty the table where processes without REDIS_URL (the MTA pipe's) count rate limits: it is
    not a model's, so a transactional test's flush leaves earlier tests' counts in it."""
    DatabaseCache("helpdesk_ratelimit", {}).clear()
