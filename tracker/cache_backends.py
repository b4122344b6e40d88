"""Django's cache backends, counting hits and misses for the metrics page (#22).

django-prometheus ships counting backends too, but its Redis one needs django-redis
(which we do not use) and its LocMem one reads a kept empty value as a miss. These
count under the same metric names (``django_cache_get_total``,
``django_cache_get_hits_total``, ``django_cache_get_misses_total``), so the hit rate is
``hits / get`` whichever backend runs.
"""

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django_prometheus.cache.metrics import django_cache_get_total, django_cache_hits_total, django_cache_misses_total

_MISSING = object()


def _counted_get(backend_label: str, get, key, default, version):
    django_cache_get_total.labels(backend=backend_label).inc()
    value = get(key, _MISSING, version)
    if value is _MISSING:
        django_cache_misses_total.labels(backend=backend_label).inc()
        return default
    django_cache_hits_total.labels(backend=backend_label).inc()
    return value


class CountedLocMemCache(LocMemCache):
    def get(self, key, default=None, version=None):
        return _counted_get("locmem", super().get, key, default, version)


class CountedRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        return _counted_get("redis", super().get, key, default, version)
