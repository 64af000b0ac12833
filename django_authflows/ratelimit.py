"""Rate limits (fixed windows) in Django's cache: Redis across processes, or a store of their own per process.

Limit and lockout state must not be erasable by other traffic, and counting must be atomic. Django's
default local-memory cache keeps 300 entries and drops the least recently used, so 400 requests of any kind
would wipe a user's lockout; the file and database caches count with a read and a write. Unless the default
cache is Redis or Memcached, the limits therefore keep a local-memory store of their own, sized for them.
Redis is used as it is: configure it not to evict these keys (``noeviction``, or a ``volatile-*`` policy with
room to spare)."""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import BaseCache, cache, caches
from django.core.cache.backends.locmem import LocMemCache

from .conf import authflows_settings


@dataclass(frozen=True)
class Limit:
    """The state of one limit for one key. A window starts at the key's first hit and lasts the limit's
    window; its end is stored beside the counter and read only when a Retry-After is needed."""

    count: int
    limit: int
    window: int
    cache_key: str
    reset_at: float | None = None

    @property
    def exceeded(self) -> bool:
        return self.count >= self.limit

    @property
    def retry_after(self) -> int:
        reset_at = self.reset_at
        if reset_at is None:  # read once, when a Retry-After is needed
            reset_at = float(store().get(self.cache_key + ":t") or time.time() + self.window)
            object.__setattr__(self, "reset_at", reset_at)
        return max(1, math.ceil(reset_at - time.time()))


#: Entries of the per-process store: far more than the keys that the per-IP limits let one address create.
LOCAL_MAX_ENTRIES = 200_000
_local_store: BaseCache | None = None


#: Cache backends whose ``incr`` is one atomic step shared by every process (Redis, Memcached). Django's
#: file and database caches increment with a read and a write, so parallel guesses could all pass.
ATOMIC_BACKENDS = ("RedisCache", "PyMemcacheCache", "PyLibMCCache")


def store() -> BaseCache:
    """The default cache when every process shares it with atomic counters, else this process's own
    limiter store (limits then hold per process)."""
    global _local_store
    if type(caches["default"]).__name__ in ATOMIC_BACKENDS:
        return cache
    if _local_store is None:
        _local_store = ProcessStore("authflows-ratelimit", {"OPTIONS": {"MAX_ENTRIES": LOCAL_MAX_ENTRIES}})
    return _local_store


class ProcessStore(LocMemCache):
    """A store of this process's own, for keys our code makes (here by :func:`_key`: a prefix, a limit name
    and 32 hex digits; single_use's marks: a prefix and a SHA-256 in base64url), so the per-character check
    Django makes of every key for memcached's sake is skipped."""

    def validate_key(self, key: str) -> None:
        return None


def clear() -> None:
    """Forget every limit (tests; the shared cache's keys go with ``cache.clear()``)."""
    if _local_store is not None:
        _local_store.clear()


def _key(name: str, key: str) -> str:
    return f"authflows:rl:{name}:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"


def peek_many(checks: list[tuple[str, str]]) -> list[Limit]:
    """The current count of each (limit name, key) in AUTHFLOWS['RATE_LIMITS'], in one cache read (the window's
    end is read only for a Retry-After)."""
    return peek_with(checks)[0]


def peek_with(checks: list[tuple[str, str]], also: str | None = None) -> tuple[list[Limit], Any]:
    """:func:`peek_many`, and the value of the default cache's key ``also`` when the limits live in the
    default cache (one ``get_many``), else None."""
    keys = [_key(name, key) for name, key in checks]
    limits = store()
    extra = [also] if also is not None and limits is cache else []
    values = limits.get_many(keys + extra) if keys or extra else {}
    out = []
    for (name, _), cache_key in zip(checks, keys, strict=True):
        limit, window = authflows_settings.RATE_LIMITS[name]
        out.append(Limit(int(values.get(cache_key) or 0), int(limit), int(window), cache_key))
    return out, (values.get(also) if extra else None)


def peek(name: str, key: str) -> Limit:
    """How many hits ``key`` has in the current window of limit ``name``."""
    return peek_many([(name, key)])[0]


def hit(name: str, key: str) -> Limit:
    """Count one hit; one cache call (an atomic ``incr``) except for a window's first hit."""
    limit, window = authflows_settings.RATE_LIMITS[name]
    cache_key, limits = _key(name, key), store()
    try:
        count = limits.incr(cache_key)
    except ValueError:  # no window yet (or it just expired): open one
        if limits.add(cache_key, 1, timeout=window):
            limits.set(cache_key + ":t", time.time() + window, timeout=window)
            count = 1
        else:  # another request opened it in between
            try:
                count = limits.incr(cache_key)
            except ValueError:  # ... and it expired at once
                count = 1
    return Limit(count, int(limit), int(window), cache_key)


def give_back(name: str, key: str) -> None:
    """Undo one hit (an attempt that turned out to be legitimate)."""
    with contextlib.suppress(ValueError):  # the window ended in between
        store().decr(_key(name, key))


def reset(name: str, key: str) -> None:
    cache_key = _key(name, key)
    store().delete_many([cache_key, cache_key + ":t"])
