"""Cache backends that export their timings and hit ratio to Prometheus.

The hit and miss counters are django-prometheus' own (`django_cache_get_total`,
`django_cache_hits_total`, ...), so its dashboards work; each operation's time goes to
`marketplace_cache_operation_duration_seconds`. django-prometheus' own locmem backend
is not used: it answers the default for any cached falsy value (0, "", []).
"""

from time import perf_counter

from django.core.cache.backends.locmem import LocMemCache as DjangoLocMemCache
from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)
from django_redis.cache import RedisCache as DjangoRedisCache

from core.metrics import CACHE_OPERATION_SECONDS

_MISSING = object()


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


class RedisCache(_MeasuredCache, DjangoRedisCache):
    """django-redis, measured. When Redis is down it still raises as django-redis does."""

    metrics_label = "redis"
