"""Single-use marks in Django's default cache: the ``jti`` of a DPoP proof (RFC 9449 §11.1) or of a client
assertion (RFC 7523 §3), accepted once across every process that shares the cache.

``spend(key, timeout)`` is ``cache.add(key, 1, timeout)``: atomic on Redis and Memcached, one command. It
runs on every DPoP-protected request, so on Redis (django-redis or Django's own ``RedisCache``) the command
goes out on a connection of its own per thread, made from the cache's connection pool settings (host,
database, password, TLS, timeouts), as one prepared ``SET key 1 NX EX timeout``. The same key and value
``cache.add`` would write, without the pool checkout, the client's retry and metrics layers and the
serialiser, which cost about three times the round trip itself. Any error there falls back to ``cache.add``
(which then answers as the backend does when Redis is down).

When the default cache is this process's own (``LocMemCache``, Django's default) or keeps nothing
(``DummyCache``), the marks go to a store of their own in this process instead: ``LocMemCache`` culls a
third of its entries once it holds ``MAX_ENTRIES`` (300 by default), so a mark would be dropped long before
its window ends and a captured proof replayed a few hundred requests later would pass; ``DummyCache`` would
accept every replay. The store holds :data:`LOCAL_MAX_ENTRIES` marks, more than one process can verify
signatures for within a window. Marks then hold per process only (authflows.W007)."""

from __future__ import annotations

import os
import threading
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.base import BaseCache
from django.core.signals import setting_changed
from django.dispatch import receiver

from .ratelimit import ProcessStore
from .registry import PROCESS_LOCAL_CACHES

_local = threading.local()
_UNSET: Any = object()
_pool: Any = _UNSET  # the Redis connection pool to copy settings from, None for any other cache
#: Marks the per-process store keeps: a window is about 70 s, and a process verifies at most a few thousand
#: signatures a second, so no mark is culled before it expires.
LOCAL_MAX_ENTRIES = 200_000
_marks: BaseCache | None = None  # where marks go: the default cache, or this process's own store
_local_store: BaseCache | None = None


def _store() -> BaseCache:
    global _marks, _local_store
    if _marks is None:
        if type(caches[DEFAULT_CACHE_ALIAS]).__name__ in PROCESS_LOCAL_CACHES:
            if _local_store is None:
                _local_store = ProcessStore("authflows-single-use", {"OPTIONS": {"MAX_ENTRIES": LOCAL_MAX_ENTRIES}})
            _marks = _local_store
        else:
            _marks = cache
    return _marks


def clear() -> None:
    """Forget every mark of the per-process store (tests; the shared cache's marks go with ``cache.clear()``)."""
    if _local_store is not None:
        _local_store.clear()


def spend(key: str, timeout: int) -> bool:
    """Mark ``key`` used for ``timeout`` seconds; False when it was marked already (a replay)."""
    return Reservation(key, timeout).done()


class Reservation:
    """``spend`` in two steps, so that the Redis round trip overlaps other work (a DPoP proof's signature
    check): the ``SET NX`` is sent when the reservation is made, its answer read by :meth:`done`; when the
    work fails, :meth:`cancel` reads it and deletes the mark if this reservation made it, so a proof whose
    signature does not verify leaves its ``jti`` unspent. With any other cache nothing happens before
    :meth:`done`, which is ``cache.add``. Every reservation must end with ``done`` or ``cancel``."""

    __slots__ = ("_connection", "_key", "_timeout")

    def __init__(self, key: str, timeout: int) -> None:
        self._key, self._timeout = key, timeout
        self._connection = connection = _connection()
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
                _local.unread = True
            except Exception:  # noqa: BLE001 (any failure on this connection: drop it, the cache backend answers)
                self._drop()

    def _reply(self) -> bool | None:
        """True when this reservation set the mark, False when it existed, None when Redis did not answer."""
        connection = self._connection
        if connection is None:
            return None
        try:
            reply = connection.read_response()  # OK when set, a null reply when the key exists
        except Exception:  # noqa: BLE001
            self._drop()
            return None
        _local.unread = False
        return reply is not None

    def done(self) -> bool:
        """True when the mark is this request's, False for a replay."""
        reply = self._reply()
        return bool(_store().add(self._key, 1, timeout=self._timeout)) if reply is None else reply

    def cancel(self) -> None:
        if self._reply():
            cache.delete(self._key)  # only a Redis reservation sets a mark before done()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        _local.connection = None
        _local.unread = False
        if connection is not None:
            connection.disconnect()


def _connection() -> Any:
    global _pool
    if _pool is _UNSET:
        _pool = _redis_pool()
    if _pool is None:
        return None
    state = getattr(_local, "connection", None)
    if state is not None and getattr(_local, "unread", False):  # a reservation left unended: out of step
        state[2].disconnect()
        state = None
        _local.unread = False
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
    global _pool, _marks
    if setting == "CACHES":
        _pool = _UNSET
        _marks = None
        _local.connection = None
