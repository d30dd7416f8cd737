"""Django's Redis cache backend, made to fail soft: a cache outage costs speed, not pages.

Django's own `RedisCache` raises whatever the client raises, so a stopped, refused or hung
Redis turned every request into a 500 (or, without socket timeouts, a hang). This subclass
keeps Django's backend and client and changes only what happens when Redis fails:

- every operation answers as if the cache were empty: `get` gives the default, `get_many`
  nothing, `add` and `incr` report failure, writes are dropped;
- after a failure, the cache is skipped for `RETRY_SECONDS` (a circuit breaker), so a hung
  Redis costs one socket timeout per worker per interval instead of one per operation;
- the next operation after the interval tries Redis again; redis-py reconnects on its
  own, so the cache comes back without a restart.

Connect and socket timeouts come from OPTIONS (`socket_connect_timeout`, `socket_timeout`;
see settings.py), so "slow" is bounded too. `ping()` asks Redis directly, past the breaker,
for the health check.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _fail_soft(name: str, fallback):
    """RedisCache.<name>, answering fallback(*args, **kwargs) while Redis is failing."""
    parent = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        if not self.available:
            return fallback(*args, **kwargs)
        try:
            return parent(self, *args, **kwargs)
        except RedisError as exc:
            self.failed(name, exc)
            return fallback(*args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = parent.__doc__
    return method


def _nothing(*args, **kwargs):
    return None


def _false(*args, **kwargs):
    return False


class ReusedClient(RedisCacheClient):
    """Django's client, keeping one redis-py client per connection pool.

    Django builds a new `redis.Redis` object on every cache call (its `get_client()`), which
    cost about a quarter of a cache hit in the benchmark's profiles; the pool underneath is
    shared either way, and a redis-py client is safe to share between threads.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_seconds = float(options.pop("RETRY_SECONDS", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedClient
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """False while the breaker is open after a failure (no round trip is made)."""
        return time.monotonic() >= self._down_until

    def failed(self, operation: str, exc: Exception) -> None:
        """Open the breaker for retry_seconds; log once per outage per process."""
        with self._lock:
            was_up = self.available
            self._down_until = time.monotonic() + self.retry_seconds
        if was_up:
            logger.warning(
                "Cache unavailable (%s during %s): serving uncached, trying again in %s s.",
                exc.__class__.__name__,
                operation,
                self.retry_seconds,
            )

    def ping(self) -> bool:
        """Ask Redis directly, past the breaker; True when it answers in time."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except RedisError:
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """Django's set(), returning False when the value was not stored (Django's returns
        None), so a caller that must know, such as the content-version bump, can retry."""
        if not self.available:
            return False
        try:
            super().set(key, value, timeout, version)
        except RedisError as exc:
            self.failed("set", exc)
            return False
        return True

    get = _fail_soft("get", lambda key, default=None, version=None: default)
    get_many = _fail_soft("get_many", lambda *args, **kwargs: {})
    has_key = _fail_soft("has_key", _false)
    add = _fail_soft("add", _false)
    touch = _fail_soft("touch", _false)
    delete = _fail_soft("delete", _false)
    # None, not an exception: django-ratelimit reads a missing count as a cache failure and,
    # with RATELIMIT_FAIL_OPEN, lets the request through.
    incr = _fail_soft("incr", _nothing)
    set_many = _fail_soft("set_many", lambda data, *args, **kwargs: list(data))
    delete_many = _fail_soft("delete_many", _nothing)
    clear = _fail_soft("clear", _false)
