"""Django's cache on the Redis the machine runs (127.0.0.1:6379), for the tests that count or race on it."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from .concurrency.conftest import REDIS, reachable

DB = 13  # a database of its own on the shared Redis, and a key prefix of its own per test in it


@contextmanager
def redis_test_cache(settings: Any, backend: str = "django_redis.cache.RedisCache") -> Iterator[tuple[Any, str]]:
    """``settings.CACHES`` pointed at Redis database 13 under a fresh key prefix, whose keys are deleted
    afterwards; yields a plain redis client on that database and the prefix. Skips without Redis."""
    if not reachable(REDIS):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    import redis

    prefix = "authflows-test-" + uuid.uuid4().hex[:12]
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": f"redis://{REDIS[0]}:{REDIS[1]}/{DB}",
                                   "KEY_PREFIX": prefix}}
    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=DB)
    try:
        yield client, prefix
    finally:
        keys = list(client.scan_iter(match=prefix + ":*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
