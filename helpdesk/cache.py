"""The default cache: Redis, and a fallback store while Redis is unreachable.

Everything the project keeps in the default cache can be rebuilt (menus, response-target
policies, dashboard figures) except the counters of the rate limits, ours and allauth's (login,
password reset), which must keep counting. So while Redis does not answer, every call goes to
the fallback cache (OPTIONS["FALLBACK"], an alias: the database cache `ratelimit`), where the
counters go on counting and the caches keep working, more slowly. Redis is asked with short
timeouts and through the per-process breaker of helpdesk.outage, so an outage costs one request
one timeout, not every request.

An outage must not leave stale entries behind. When Redis answers again, the keys this process
deleted during the outage are deleted in Redis too (a menu edited meanwhile), and what it wrote
to the fallback is removed from it (the next outage starts from an empty fallback, not from
values that went stale while Redis was back).
"""

import logging
import threading

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from helpdesk.outage import breaker_for

logger = logging.getLogger(__name__)

# Seconds to wait for Redis to accept a connection and to answer a command.
TIMEOUT = 0.25
# Keys remembered per process during an outage for the clean-up at recovery; beyond that the
# entries' own timeouts clean up.
MAX_REMEMBERED = 10_000

_KEY_OPERATIONS = {"add", "get", "set", "touch", "delete", "has_key", "incr"}
_MANY_OPERATIONS = {"get_many", "set_many", "delete_many"}
_WRITES = {"add", "set", "touch", "incr", "set_many"}
_DELETES = {"delete", "delete_many"}


class _Outage:
    """What this process did to one Redis cache while it was unreachable, to undo at recovery."""

    def __init__(self, redis_cache, fallback):
        self.redis_cache = redis_cache
        self.fallback = fallback
        self.written = set()  # (key, version) in the fallback
        self.deleted = set()  # (key, version) to delete in Redis
        self.lock = threading.Lock()

    def remember(self, operation, keys, version):
        target = self.written if operation in _WRITES else self.deleted if operation in _DELETES else None
        if target is None:
            return
        with self.lock:
            for key in keys:
                if len(target) < MAX_REMEMBERED:
                    target.add((key, version))

    def recovered(self):
        with self.lock:
            written, self.written = self.written, set()
            deleted, self.deleted = self.deleted, set()
        try:
            for key, version in deleted:
                RedisCache.delete(self.redis_cache, key, version=version)
        except RedisError as error:
            # Gone again at once: the deletes wait for the next recovery.
            with self.lock:
                self.deleted |= deleted
            self.redis_cache.breaker.failed(error)
        for key, version in written:
            self.fallback.delete(key, version=version)
        if written or deleted:
            logger.info(
                "Cache outage cleaned up: %s keys deleted in Redis, %s left the fallback", len(deleted), len(written)
            )


_outages = {}
_outages_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    """Django's RedisCache with short timeouts that answers from a fallback cache while Redis is down.

    OPTIONS: FALLBACK (a cache alias; none: reads miss and writes are dropped), and the redis-py
    connection options (socket_connect_timeout and socket_timeout default to TIMEOUT).
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self._fallback_alias = options.pop("FALLBACK", None)
        options.setdefault("socket_connect_timeout", TIMEOUT)
        options.setdefault("socket_timeout", TIMEOUT)
        super().__init__(server, {**params, "OPTIONS": options})
        self.breaker = breaker_for(self._servers[0])
        self._location = server

    @property
    def fallback(self):
        return caches[self._fallback_alias] if self._fallback_alias else DummyCache("", {})

    def _outage(self):
        """The process-wide record of this cache's outage (cache instances are per thread)."""
        with _outages_lock:
            outage = _outages.get(self._location)
            if outage is None:
                outage = _outages[self._location] = _Outage(self, self.fallback)
                self.breaker.on_recovery(outage.recovered)
            return outage

    def _call(self, operation, *args, **kwargs):
        if self.breaker.allows():
            try:
                result = getattr(super(), operation)(*args, **kwargs)
            except RedisError as error:
                self.breaker.failed(error)
            else:
                self.breaker.succeeded()
                return result
        if operation in _KEY_OPERATIONS:
            keys = [args[0]]
        elif operation in _MANY_OPERATIONS:
            keys = list(args[0])
        else:
            keys = []
        self._outage().remember(operation, keys, kwargs.get("version"))
        return getattr(self.fallback, operation)(*args, **kwargs)

    def ping(self):
        """Ask Redis itself (for the status page), whatever the breaker says; raises RedisError."""
        try:
            self._cache.get_client(write=True).ping()
        except RedisError as error:
            self.breaker.failed(error)
            raise
        self.breaker.succeeded()

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        return self._call("clear")
