"""Revocation, shared by /oauth/revoke, reuse detection, logout, consent and the admin.

Access tokens are JWTs that APIs validate without a query, so revoking one also puts its hash on a
deny-list in Django's cache (Redis in production) until it expires. APIs do not read the cache per
request: each process keeps the deny-list in memory (:data:`local_denylist`) and catches up at most once
per ``AUTHFLOWS["REVOCATION_PROPAGATION_SECONDS"]``. A revocation appends an entry to a log under numbered
keys and increments a generation counter (``cache.incr``, atomic in Redis); a process reads the generation
(one GET) and, when it moved, the new entries (one get_many, an MGET in Redis)."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .conf import authflows_settings

DENYLIST_PREFIX = "authflows:revoked:"
GENERATION_KEY = "authflows:revocations:generation"
LOG_PREFIX = "authflows:revocations:log:"
#: Seconds a deny-list entry outlives the token's ``exp``: the resource server's leeway.
LEEWAY = 60
#: A process further behind than this many log entries does not read them: it treats its state as unknown.
MAX_LOG_READ = 1000
#: A log starts at a random multiple of 2**LOG_BASE_BITS: a log started again after a flush does not take up
#: the numbers of the one before (processes see the jump), and a process that knew of no log finds the start.
LOG_BASE_BITS = 20  # below 2**53 in all: django-redis increments through Lua, whose numbers are doubles
#: Clocks of the servers that issue tokens and of the APIs may differ this much (seconds).
CLOCK_MARGIN = 30
#: How long a log entry that only says "the signing keys changed" is kept.
KEYS_ENTRY_TIMEOUT = 3600
#: Tokens found not revoked by a direct read while the log was in doubt (see :class:`LocalDenyList`).
MAX_CHECKED = 100_000


def token_checksum(token: str) -> str:
    """The same SHA-256 DOT stores as ``token_checksum``."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _append_log(entry: dict[str, Any], timeout: int) -> None:
    """Number ``entry`` with the next generation and store it. incr is atomic in Redis and Memcached; the
    entry is added, not set, so a cache whose incr is not atomic (files) never overwrites another's entry."""
    for _ in range(5):
        try:
            number = cache.incr(GENERATION_KEY)
        except ValueError:  # no log yet, or the cache was flushed: a new log starts at a random base
            cache.add(GENERATION_KEY, (secrets.randbelow(2**32) + 1) << LOG_BASE_BITS, timeout=None)
            number = cache.incr(GENERATION_KEY)
        if cache.add(LOG_PREFIX + str(number), entry, timeout=timeout):
            return


def denylist(rows: Iterable[Any]) -> None:
    """Deny-list access-token records (DOT AccessToken rows) until each expires."""
    now = timezone.now()
    values = {}
    tokens = []
    longest = 0
    for row in rows:
        ttl = int((row.expires - now).total_seconds()) + LEEWAY  # + the resource server's leeway
        if ttl > 0 and row.token_checksum:
            values[DENYLIST_PREFIX + row.token_checksum] = 1
            tokens.append((row.token_checksum, row.expires.timestamp()))
            longest = max(longest, ttl)
    if values:
        cache.set_many(values, timeout=longest)
        local_denylist.add(tokens)  # this process refuses them at once
        _append_log({"tokens": tokens}, longest)


def announce_key_change() -> None:
    """Signing keys were removed or retired: APIs that share the cache refetch their key set within the
    propagation bound, so tokens they remembered as verified with a removed key are refused."""
    local_denylist.keys_changed += 1
    _append_log({"keys": True}, KEYS_ENTRY_TIMEOUT)


def is_denied(token: str) -> bool:
    """Read the shared deny-list now (introspection). Protected requests use :data:`local_denylist`."""
    return cache.get(DENYLIST_PREFIX + token_checksum(token)) is not None


class LocalDenyList:
    """This process's copy of the deny-list: checksum -> ``exp``, caught up with the cache's log at most
    once per ``REVOCATION_PROPAGATION_SECONDS``, so a protected request reads no cache in steady state.

    When the log cannot be trusted (the first sync of a process, a generation that went back or vanished: a
    flushed cache; a log entry missing: evicted; a process far behind), the revocations made before that
    moment are unknown here: tokens issued before it are then checked once each with a direct read of their
    deny-list key, and the signing keys are refetched. Entries are dropped once their token expired."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._denied: dict[str, float] = {}
        self._generation: int | None = None  # None: never synced
        self._next_sync = float("-inf")  # time.monotonic()
        self._purge_at = 0.0  # time.time()
        self._epoch = 0
        self._doubt_before = 0.0  # tokens issued before this (time.time()) are checked directly once
        self._checked: dict[str, tuple[int, float]] = {}  # checksum -> (epoch, exp), not revoked then
        #: Incremented when the signing keys changed (or may have): resource.bearer refetches its key set.
        self.keys_changed = 0

    def add(self, tokens: Iterable[tuple[str, float]]) -> None:
        for checksum, exp in tokens:
            self._denied[checksum] = exp

    def denies(self, checksum: str, claims: dict[str, Any]) -> bool:
        """Whether the token with this checksum (and these verified claims) is revoked, as known since the
        last :meth:`sync_if_due`."""
        if checksum in self._denied:
            return True
        iat = claims.get("iat")
        if isinstance(iat, (int, float)) and iat >= self._doubt_before:
            return False
        checked = self._checked.get(checksum)
        if checked is not None and checked[0] == self._epoch:
            return False
        exp = claims.get("exp")
        exp = float(exp) if isinstance(exp, (int, float)) else time.time()
        epoch = self._epoch
        if cache.get(DENYLIST_PREFIX + checksum) is not None:
            self._denied[checksum] = exp
            return True
        if len(self._checked) >= MAX_CHECKED:
            self._checked.clear()  # they are read again: never a token accepted that should not be
        self._checked[checksum] = (epoch, exp)
        return False

    def sync_if_due(self) -> None:
        """Catch up with the shared log if the last look is ``REVOCATION_PROPAGATION_SECONDS`` old."""
        if time.monotonic() >= self._next_sync:
            with self._lock:
                if time.monotonic() >= self._next_sync:
                    self._sync()

    def _doubt(self, generation: int, *, keys: bool = True) -> None:
        """Revocations (and key removals) before now may be unknown here: start again from ``generation``."""
        self._generation = generation
        self._epoch += 1
        self._doubt_before = time.time() + CLOCK_MARGIN
        if keys:
            self.keys_changed += 1

    def _sync(self) -> None:
        generation = cache.get(GENERATION_KEY)
        if not isinstance(generation, int):
            generation = None
        known = self._generation
        if known is None:  # this process's first look: what was revoked before is read token by token
            self._doubt(generation or 0, keys=False)
        elif generation is None:
            if known:  # the log vanished: the cache was flushed, or the counter evicted
                self._doubt(0)
        elif not known:  # no log until now: read the new one from its start
            base = generation >> LOG_BASE_BITS << LOG_BASE_BITS
            if generation - base > MAX_LOG_READ:
                self._doubt(generation)
            else:
                self._read_log(base, generation)
        elif generation < known or generation - known > MAX_LOG_READ:
            self._doubt(generation)  # another log (the cache was flushed), or this process is far behind
        elif generation > known:
            self._read_log(known, generation)
        self._next_sync = time.monotonic() + authflows_settings.REVOCATION_PROPAGATION_SECONDS
        now = time.time()
        if now >= self._purge_at:
            self._purge(now)

    def _read_log(self, known: int, generation: int) -> None:
        keys = [LOG_PREFIX + str(n) for n in range(known + 1, generation + 1)]
        found = cache.get_many(keys)
        missing = [key for key in keys if key not in found]
        if missing:  # a revoker between its incr and its add, or an entry evicted: look once more
            found.update(cache.get_many(missing))
        for key in keys:
            entry = found.get(key)
            if isinstance(entry, dict):
                self.add((str(c), float(e)) for c, e in entry.get("tokens", ()))
                if entry.get("keys"):
                    self.keys_changed += 1
        if all(isinstance(found.get(key), dict) for key in keys):
            self._generation = generation
        else:
            self._doubt(generation)

    def _purge(self, now: float) -> None:
        horizon = now - LEEWAY
        self._denied = {c: e for c, e in self._denied.items() if e >= horizon}
        self._checked = {c: v for c, v in self._checked.items() if v[1] >= horizon}
        self._purge_at = now + 60

    def clear(self) -> None:
        """Forget everything (tests): the next request syncs as a new process does."""
        with self._lock:
            self.__init__()  # type: ignore[misc]


local_denylist = LocalDenyList()


def revoke_access_tokens(queryset: Any) -> int:
    """Deny-list and delete access-token records (DOT revokes by deleting)."""
    rows = list(queryset.only("pk", "expires", "token_checksum"))
    denylist(rows)
    if rows:
        type(rows[0]).objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)


def revoke_family(family: uuid.UUID | None) -> None:
    """Revoke every refresh token of a family and every access token issued from it."""
    if not family:
        return
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model

    from .models import TokenFamily

    access_token_model, refresh_token_model = get_access_token_model(), get_refresh_token_model()
    with transaction.atomic():
        now = timezone.now()
        TokenFamily.objects.filter(family=family, revoked__isnull=True).update(revoked=now)
        members = refresh_token_model.objects.filter(token_family=family)
        revoke_access_tokens(
            access_token_model.objects.filter(pk__in=members.exclude(access_token_id=None).values("access_token_id"))
        )
        revoke_access_tokens(access_token_model.objects.filter(source_refresh_token__token_family=family))
        refresh_token_model.revoke_family(family)


def revoke_application_for_user(application: Any, user: Any) -> int:
    """Revoke what a user gave an application: consent, refresh-token families and access tokens."""
    from oauth2_provider.models import get_access_token_model

    from .models import Consent, TokenFamily

    families = list(
        TokenFamily.objects.filter(application=application, user=user, revoked__isnull=True).values_list(
            "family", flat=True
        )
    )
    for family in families:
        revoke_family(family)
    revoke_access_tokens(get_access_token_model().objects.filter(application=application, user=user))
    Consent.objects.filter(application=application, user=user).delete()
    return len(families)
