"""Rate limits in Django's cache (fixed windows): local memory by default, Redis across processes."""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from .conf import authflows_settings


@dataclass(frozen=True)
class Limit:
    """The state of one limit for one key."""

    count: int
    limit: int
    reset_at: float

    @property
    def exceeded(self) -> bool:
        return self.count >= self.limit

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))


def _window(name: str) -> tuple[int, int, int]:
    """(limit, window seconds, index of the current window): windows are aligned to the clock, so the
    reset time follows from the key and needs no second cache entry."""
    limit, window = authflows_settings.RATE_LIMITS[name]
    return int(limit), int(window), int(time.time() // window)


def _key(name: str, key: str, index: int) -> str:
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return "authflows:rl:%s:%s:%d" % (name, digest, index)


def peek_many(checks: list[tuple[str, str]]) -> list[Limit]:
    """The current count of each (limit name, key) in AUTHFLOWS['RATE_LIMITS'], in one cache read."""
    windows = [_window(name) for name, _key_ in checks]
    keys = [_key(name, key, index) for (name, key), (_l, _w, index) in zip(checks, windows)]
    values = cache.get_many(keys) if keys else {}
    return [Limit(int(values.get(k) or 0), limit, float((index + 1) * window))
            for k, (limit, window, index) in zip(keys, windows)]


def peek(name: str, key: str) -> Limit:
    """How many hits ``key`` has in the current window of limit ``name``."""
    return peek_many([(name, key)])[0]


def hit(name: str, key: str) -> Limit:
    """Count one hit (atomic: ``incr`` is atomic on Redis and in local memory); usually one cache call."""
    limit, window, index = _window(name)
    cache_key = _key(name, key, index)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the window's first hit (or its key was evicted)
        if cache.add(cache_key, 1, timeout=window + 1):
            count = 1
        else:  # another process added it in between
            count = cache.incr(cache_key)
    return Limit(count, limit, float((index + 1) * window))


def reset(name: str, key: str) -> None:
    _limit, _window_seconds, index = _window(name)
    cache.delete(_key(name, key, index))
