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
        if reset_at is None:
            reset_at = float(cache.get(self.cache_key + ":t") or time.time() + self.window)
        return max(1, math.ceil(reset_at - time.time()))


def _key(name: str, key: str) -> str:
    return "authflows:rl:%s:%s" % (name, hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32])


def peek_many(checks: list[tuple[str, str]]) -> list[Limit]:
    """The current count of each (limit name, key) in AUTHFLOWS['RATE_LIMITS'], in one cache read."""
    keys = [_key(name, key) for name, key in checks]
    values = cache.get_many(keys + [k + ":t" for k in keys]) if keys else {}
    out = []
    for (name, _key_), cache_key in zip(checks, keys):
        limit, window = authflows_settings.RATE_LIMITS[name]
        stored = values.get(cache_key + ":t")
        out.append(Limit(int(values.get(cache_key) or 0), int(limit), int(window), cache_key,
                         float(stored) if stored is not None else time.time() + window))
    return out


def peek(name: str, key: str) -> Limit:
    """How many hits ``key`` has in the current window of limit ``name``."""
    return peek_many([(name, key)])[0]


def hit(name: str, key: str) -> Limit:
    """Count one hit; one cache call (an atomic ``incr``) except for a window's first hit."""
    limit, window = authflows_settings.RATE_LIMITS[name]
    cache_key = _key(name, key)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # no window yet (or it just expired): open one
        if cache.add(cache_key, 1, timeout=window):
            cache.set(cache_key + ":t", time.time() + window, timeout=window)
            count = 1
        else:  # another request opened it in between
            try:
                count = cache.incr(cache_key)
            except ValueError:  # ... and it expired at once
                count = 1
    return Limit(count, int(limit), int(window), cache_key)


def reset(name: str, key: str) -> None:
    cache_key = _key(name, key)
    cache.delete_many([cache_key, cache_key + ":t"])
