"""Cache backends that export their timings and hit ratio to Prometheus, and a Redis
backend that keeps working while Redis does not.

The hit and miss counters are django-prometheus' own (`django_cache_get_total`,
`django_cache_hits_total`, ...), so its dashboards work; each operation's time goes to
`marketplace_cache_operation_duration_seconds`. django-prometheus' own locmem backend
is not used: it answers the default for any cached falsy value (0, "", []).

Redis is a cache here, never a dependency: when a call to it fails (down, refusing, or
silent past REDIS_SOCKET_TIMEOUT), this process stops asking it for
REDIS_RETRY_AFTER_SECONDS and serves every cache call from its own memory meanwhile
(throttles count per process, cached reads are cached per process); then one call tries
Redis again. One warning when an outage starts, one info line when it ends.
"""

import logging
import threading
from time import monotonic, perf_counter

from django.core.cache.backends.locmem import LocMemCache as DjangoLocMemCache
from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)
from django_redis.cache import RedisCache as DjangoRedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from core.metrics import CACHE_OPERATION_SECONDS

logger = logging.getLogger(__name__)

_MISSING = object()
# What a failing Redis raises through django-redis: refused or reset connections and
# timeouts (redis-py's errors, or the socket's own), and Redis refusing to work (loading,
# out of memory, read-only replica).
REDIS_FAILURES = (RedisError, ConnectionInterrupted, OSError)
# The Django cache API; everything else (get_or_set, decr_version, the async methods) is
# built on these. django-redis' own extras (ttl, lock, keys...) have no local equivalent.
_GUARDED_OPERATIONS = (
    "get",
    "set",
    "add",
    "delete",
    "touch",
    "incr",
    "decr",
    "has_key",
    "get_many",
    "set_many",
    "delete_many",
    "incr_version",
    "clear",
)
# Entries the per-process stand-in keeps (LocMem's default of 300 would cull the
# throttle counters of a busy process every few seconds).
_FALLBACK_MAX_ENTRIES = 5000


def _timed(operation: str):
    def method(self, *args, **kwargs):
        start = perf_counter()
        try:
            return getattr(super(_MeasuredCache, self), operation)(*args, **kwargs)
        finally:
            self._observe(operation, start)

    method.__name__ = operation
    return method


class _MeasuredCache:
    metrics_label = ""

    def _observe(self, operation: str, start: float) -> None:
        CACHE_OPERATION_SECONDS.labels(backend=self.metrics_label, operation=operation).observe(
            perf_counter() - start
        )

    def get(self, key, default=None, version=None, **kwargs):
        start = perf_counter()
        try:
            value = super().get(key, _MISSING, version=version, **kwargs)
        except Exception:
            django_cache_get_fail_total.labels(backend=self.metrics_label).inc()
            raise
        finally:
            self._observe("get", start)
        django_cache_get_total.labels(backend=self.metrics_label).inc()
        if value is _MISSING:
            django_cache_misses_total.labels(backend=self.metrics_label).inc()
            return default
        django_cache_hits_total.labels(backend=self.metrics_label).inc()
        return value

    set = _timed("set")
    add = _timed("add")
    delete = _timed("delete")
    touch = _timed("touch")
    incr = _timed("incr")
    get_many = _timed("get_many")
    set_many = _timed("set_many")
    delete_many = _timed("delete_many")


class LocMemCache(_MeasuredCache, DjangoLocMemCache):
    metrics_label = "locmem"
    # Process memory never fails over to anything.
    degraded = False


class _FallbackCache(LocMemCache):
    metrics_label = "redis_fallback"


class CircuitBreaker:
    """Whether this process should call Redis now. Closed: every call goes to Redis.
    Open (after a failure): none does until `retry_after` seconds have passed; then exactly
    one call (the probe) tries, while the others still go to the stand-in, and its outcome
    closes the breaker or opens it for another `retry_after`. Thread-safe."""

    def __init__(self, name: str, retry_after: float):
        self.name = name
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._open = False
        self._retry_at = 0.0
        self._probing = False
        self._opened_at = 0.0

    @property
    def is_open(self) -> bool:
        return self._open

    def allow(self) -> bool:
        if not self._open:
            return True
        with self._lock:
            if not self._open:
                return True
            if self._probing or monotonic() < self._retry_at:
                return False
            self._probing = True
            return True

    def record_failure(self, error: BaseException) -> None:
        with self._lock:
            self._probing = False
            self._retry_at = monotonic() + self.retry_after
            if self._open:
                return
            self._open = True
            self._opened_at = monotonic()
        logger.warning(
            "Redis cache %s unavailable (%s: %s): this process uses its own memory for the "
            "cache and throttles, and tries Redis again every %s s",
            self.name,
            type(error).__name__,
            error,
            self.retry_after,
        )

    def record_success(self) -> None:
        if not self._open:
            return
        with self._lock:
            if not self._open:
                return
            self._open = False
            self._probing = False
            down_for = monotonic() - self._opened_at
        logger.info("Redis cache %s is back after %.1f s", self.name, down_for)


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def circuit_breaker_for(name: str, retry_after: float) -> CircuitBreaker:
    """The process's one breaker for a Redis location: Django builds a cache object per
    thread (and per ASGI request), and all of them must agree that Redis is down."""
    with _breakers_lock:
        breaker = _breakers.get(name)
        if breaker is None:
            breaker = _breakers[name] = CircuitBreaker(name, retry_after)
        breaker.retry_after = retry_after
        return breaker


def _guarded(operation: str):
    def method(self, *args, **kwargs):
        breaker = self.circuit_breaker
        if breaker.allow():
            try:
                result = getattr(super(RedisCache, self), operation)(*args, **kwargs)
            except REDIS_FAILURES as error:
                breaker.record_failure(error)
            except BaseException:
                # Redis answered; the error is the caller's (incr of a missing key).
                breaker.record_success()
                raise
            else:
                breaker.record_success()
                return result
        return getattr(self.fallback, operation)(*args, **kwargs)

    method.__name__ = operation
    return method


class _MeasuredRedisCache(_MeasuredCache, DjangoRedisCache):
    metrics_label = "redis"


class RedisCache(_MeasuredRedisCache):
    """django-redis, measured, behind a per-process circuit breaker with process memory as
    the stand-in. OPTIONS["RETRY_AFTER_SECONDS"] (default 5) is how long the process leaves
    a failed Redis alone; IGNORE_EXCEPTIONS must stay off, as the breaker needs to see the
    failures (django-redis would answer None for a throttle's history, a 500)."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        retry_after = float(options.pop("RETRY_AFTER_SECONDS", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self.circuit_breaker = circuit_breaker_for(str(server), retry_after)
        # LocMem keeps its entries per location, shared by every object of this process.
        self.fallback = _FallbackCache(
            f"redis-fallback:{server}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "OPTIONS": {"MAX_ENTRIES": _FALLBACK_MAX_ENTRIES},
            },
        )

    @property
    def degraded(self) -> bool:
        """True while this process is not using Redis."""
        return self.circuit_breaker.is_open


for _operation in _GUARDED_OPERATIONS:
    setattr(RedisCache, _operation, _guarded(_operation))
