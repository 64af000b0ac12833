"""Single-use marks in Django's default cache: the ``jti`` of a DPoP proof (RFC 9449 §11.1) or of a client
assertion (RFC 7523 §3), accepted once across every process that shares the cache.

``spend(key, timeout)`` is ``cache.add(key, 1, timeout)``: atomic on Redis and Memcached, one command. It
runs on every DPoP-protected request, so on Redis (django-redis or Django's own ``RedisCache``) the command
goes out on a connection of its own per thread, made from the cache's connection pool settings (host,
database, password, TLS, timeouts), as one prepared ``SET key 1 NX EX timeout``. The same key and value
``cache.add`` would write, without the pool checkout, the client's retry and metrics layers and the
serialiser, which cost about three times the round trip itself. Any error there falls back to ``cache.add``
(which then answers as the backend does when Redis is down)."""

from __future__ import annotations

import os
import threading
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.signals import setting_changed
from django.dispatch import receiver

_local = threading.local()
_UNSET: Any = object()
_pool: Any = _UNSET  # the Redis connection pool to copy settings from, None for any other cache


def spend(key: str, timeout: int) -> bool:
    """Mark ``key`` used for ``timeout`` seconds; False when it was marked already (a replay)."""
    connection = _connection()
    if connection is not None:
        name = cache.make_key(key).encode()
        seconds = str(max(int(timeout), 1)).encode()
        try:
            connection.send_packed_command(
                [
                    b"*6\r\n$3\r\nSET\r\n$%d\r\n%b\r\n$1\r\n1\r\n$2\r\nNX\r\n$2\r\nEX\r\n$%d\r\n%b\r\n"
                    % (len(name), name, len(seconds), seconds)
                ],
                check_health=False,
            )
            return connection.read_response() is not None  # OK when set, a null reply when the key exists
        except Exception:  # noqa: BLE001 (any failure on this connection: drop it, let the cache backend answer)
            _local.connection = None
            connection.disconnect()
    return bool(cache.add(key, 1, timeout=timeout))


def _connection() -> Any:
    global _pool
    if _pool is _UNSET:
        _pool = _redis_pool()
    if _pool is None:
        return None
    state = getattr(_local, "connection", None)
    if state is None or state[0] != os.getpid() or state[1] is not _pool:  # a forked worker makes its own
        state = (os.getpid(), _pool, _pool.connection_class(**_pool.connection_kwargs))
        _local.connection = state
    return state[2]


def _redis_pool() -> Any:
    """The write pool of the default cache when it is a single-server Redis cache whose keys this module
    can compute (``make_key``), else None."""
    try:
        import redis
    except ImportError:
        return None
    from django.core.cache.backends.redis import RedisCache

    backend = caches[DEFAULT_CACHE_ALIAS]  # this thread's backend: only its pool's settings are used
    pool = None

    if isinstance(backend, RedisCache):
        pool = backend._cache._get_connection_pool(True)  # type: ignore[attr-defined]  # private, stable since 4.0
    else:
        try:
            from django_redis.cache import RedisCache as DjangoRedisCache
            from django_redis.client import DefaultClient
        except ImportError:
            return None
        if isinstance(backend, DjangoRedisCache) and type(backend.client) is DefaultClient:
            pool = backend.client.get_client(write=True).connection_pool
    if type(pool) not in (redis.ConnectionPool, redis.BlockingConnectionPool):
        return None  # Sentinel, cluster: through cache.add
    if getattr(pool, "cache", None) is not None:
        return None  # client-side caching: through cache.add
    return pool


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    global _pool
    if setting == "CACHES":
        _pool = _UNSET
        _local.connection = None
