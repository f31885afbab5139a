"""A per-process circuit breaker for Redis: after one failure, stop asking for a short while.

Redis holds only what can be rebuilt (caches, the broker's queue), so while it is unreachable
the site carries on without it. What must not happen is that every request pays a connection
timeout: the first failure opens the breaker, and for `RETRY_AFTER` seconds the cache and the
task queue do not try Redis at all (the cache answers from its fallback, notifications wait in
the outbox for the sweep). The next call after that tries again and closes the breaker if Redis
answers. The cache and the broker share one breaker per Redis server (host and port).
"""

import logging
import threading
import time
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

RETRY_AFTER = 10.0


class Breaker:
    def __init__(self, name, retry_after=RETRY_AFTER):
        self.name = name
        self.retry_after = retry_after
        self._open_until = 0.0
        self._tripped = False
        self._on_recovery = []
        self._lock = threading.Lock()

    def allows(self):
        """Whether a call to the service may be tried now (closed, or open long enough to try again)."""
        return time.monotonic() >= self._open_until

    def is_open(self):
        return self._tripped

    def failed(self, error):
        with self._lock:
            if not self._tripped:
                logger.warning("%s unreachable (%r): skipped for %ss at a time", self.name, error, self.retry_after)
            self._tripped = True
            self._open_until = time.monotonic() + self.retry_after

    def succeeded(self):
        """Close after a successful call; the first success after an outage runs the recovery callbacks."""
        if not self._tripped:
            return
        with self._lock:
            if not self._tripped:
                return
            self._tripped = False
            self._open_until = 0.0
            callbacks = list(self._on_recovery)
        logger.warning("%s reachable again", self.name)
        for callback in callbacks:
            callback()

    def on_recovery(self, callback):
        self._on_recovery.append(callback)

    def reset(self):
        with self._lock:
            self._tripped = False
            self._open_until = 0.0


_breakers = {}
_breakers_lock = threading.Lock()


def breaker_for(url):
    """The breaker of the Redis server at `url` (one per host and port in this process)."""
    parts = urlsplit(url)
    name = f"Redis at {parts.hostname or 'localhost'}:{parts.port or 6379}"
    with _breakers_lock:
        return _breakers.setdefault(name, Breaker(name))


def reset_all():
    """Close every breaker (tests start with Redis believed up)."""
    for breaker in list(_breakers.values()):
        breaker.reset()
