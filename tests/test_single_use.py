"""django_authflows.single_use: a mark set once across every process sharing Django's cache, on Django's
own RedisCache, django-redis (each through the fast path on a connection of its own) and the local cache."""
from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.core.cache import cache

from django_authflows import single_use

from .redis_cache import redis_test_cache

BACKENDS = {
    "django-redis": "django_redis.cache.RedisCache",
    "django": "django.core.cache.backends.redis.RedisCache",
}


@pytest.fixture(params=list(BACKENDS))
def redis_cache(request: Any, settings: Any) -> Any:
    with redis_test_cache(settings, BACKENDS[request.param]) as (client, _prefix):
        yield client


def test_the_redis_fast_path_is_taken(redis_cache):
    assert single_use._connection() is not None


def test_once_then_refused_with_the_key_and_expiry_cache_add_would_write(redis_cache):
    assert single_use.spend("authflows:test:one", 30) is True
    assert single_use.spend("authflows:test:one", 30) is False
    assert cache.get("authflows:test:one") == 1  # the same key and value as cache.add(key, 1, 30)
    assert cache.add("authflows:test:one", 1, 30) is False
    assert 0 < redis_cache.ttl(cache.make_key("authflows:test:one")) <= 30


def test_one_winner_among_threads_each_on_its_own_connection(redis_cache):
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def spend() -> None:
        barrier.wait()
        results.append(single_use.spend("authflows:test:race", 30))

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [False] * 7 + [True]


def test_a_connection_killed_by_redis_falls_back_then_reconnects(redis_cache):
    assert single_use.spend("authflows:test:before", 30) is True
    name = "authflows-single-use-" + uuid.uuid4().hex[:8]
    single_use._connection().send_command("CLIENT", "SETNAME", name)
    single_use._connection().read_response()
    assert redis_cache.client_kill_filter(_type="normal", skipme=True) >= 1  # every other client, ours included
    assert single_use.spend("authflows:test:after", 30) is True  # the dead connection: answered by cache.add
    assert single_use.spend("authflows:test:after", 30) is False  # a new connection of its own again
    assert single_use.spend("authflows:test:before", 30) is False


def test_other_shared_caches_use_cache_add(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path / "cache")}}
    assert single_use._connection() is None
    assert single_use.spend("authflows:test:shared", 30) is True
    assert single_use.spend("authflows:test:shared", 30) is False
    assert cache.get("authflows:test:shared") == 1  # in the cache every process shares


def test_a_per_process_cache_keeps_its_marks_apart(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "single-use-" + uuid.uuid4().hex}}
    assert single_use._connection() is None
    assert single_use.spend("authflows:test:local", 30) is True
    assert single_use.spend("authflows:test:local", 30) is False
    assert cache.get("authflows:test:local") is None  # not among the entries LocMemCache culls


def test_a_cancelled_reservation_releases_only_its_own_mark(redis_cache):
    """A DPoP proof whose signature fails: the jti reserved while the signature was checked is free again;
    a jti another request holds stays held."""
    single_use.Reservation("authflows:test:cancel", 30).cancel()
    assert single_use.spend("authflows:test:cancel", 30) is True
    single_use.Reservation("authflows:test:cancel", 30).cancel()  # not this reservation's mark: kept
    assert single_use.spend("authflows:test:cancel", 30) is False


def test_a_reservation_left_unended_does_not_put_the_connection_out_of_step(redis_cache):
    single_use.Reservation("authflows:test:orphan", 30)  # its answer is never read
    assert single_use.spend("authflows:test:next", 30) is True  # not the orphan's OK read as this answer
    assert single_use.spend("authflows:test:next", 30) is False
    assert single_use.spend("authflows:test:orphan", 30) is False  # the orphan's SET did reach Redis


@pytest.mark.parametrize("backend", ["django.core.cache.backends.locmem.LocMemCache",
                                     "django.core.cache.backends.dummy.DummyCache"])
def test_a_mark_outlives_the_culling_of_a_per_process_cache(settings, backend):
    settings.CACHES = {"default": {"BACKEND": backend}}  # LocMemCache: MAX_ENTRIES 300, a third culled at once
    assert single_use.spend("authflows:test:first", 30) is True
    for n in range(2000):
        assert single_use.spend(f"authflows:test:{n}", 30) is True
        cache.set(f"other-{n}", n)
    assert single_use.spend("authflows:test:first", 30) is False
    single_use.clear()
    assert single_use.spend("authflows:test:first", 30) is True
