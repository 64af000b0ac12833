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


def _key(name: str, key: str) -> str:
    return "authflows:rl:%s:%s" % (name, hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32])


def peek(name: str, key: str) -> Limit:
    """How many failures ``key`` has in the current window of limit ``name`` (AUTHFLOWS['RATE_LIMITS'])."""
    limit, window = authflows_settings.RATE_LIMITS[name]
    cache_key = _key(name, key)
    values = cache.get_many([cache_key, cache_key + ":t"])
    return Limit(int(values.get(cache_key) or 0), int(limit), float(values.get(cache_key + ":t") or time.time() + window))


def hit(name: str, key: str) -> Limit:
    """Count one failure (atomic: ``incr`` is atomic on Redis and in local memory)."""
    limit, window = authflows_settings.RATE_LIMITS[name]
    cache_key = _key(name, key)
    reset_at = time.time() + window
    if cache.add(cache_key, 0, timeout=window):
        cache.set(cache_key + ":t", reset_at, timeout=window)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window)
        count = 1
    stored = cache.get(cache_key + ":t")
    return Limit(count, int(limit), float(stored or reset_at))


def reset(name: str, key: str) -> None:
    cache_key = _key(name, key)
    cache.delete_many([cache_key, cache_key + ":t"])
