"""Verification keys for bearer tokens: the local key table or a remote ``jwks_uri``, cached in process."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

from django.core.signals import setting_changed
from django.db import DatabaseError

from ..conf import authflows_settings
from ..jws import PublicKey, public_key_from_jwk

#: Refetch the key set at most this often when a token names an unknown ``kid``.
REFRESH_INTERVAL = 30.0
#: Trust a fetched key set this long even if no unknown kid forces a refetch.
MAX_AGE = 300.0


class KeyCache:
    """kid -> (the JWK's ``alg`` or "", ``cryptography`` public key), refreshed on an unknown kid at most
    once per :data:`REFRESH_INTERVAL`. Keys are parsed once per fetch, not per token.

    A key deleted at the server (compromised) stops being trusted within ``AUTHFLOWS["JWKS_MAX_STALE"]``
    seconds: the set is refetched after half that time (or :data:`MAX_AGE`), and when the refetches fail
    the keys of the last good fetch are dropped once it is that old (RFC 7517 publishes no expiry, so the
    bound is ours)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[str, PublicKey]] = {}
        self._jwks: dict[str, Any] = {}  # kid -> the JWK it was parsed from
        self._loaded: float | None = None  # when the last fetch succeeded
        self._attempted = float("-inf")
        self._attempted_source: str | None = None
        self._source: str | None = None
        self._stale = False  # set by expire(): refetch before trusting any key again
        self._fresh_until = float("-inf")  # until then (time.monotonic()) a known kid needs no other check

    def _load(self, source: str | None) -> list[dict[str, Any]]:
        if source:
            with urllib.request.urlopen(source, timeout=5) as response:  # noqa: S310 (configured URL)
                return list(json.loads(response.read(1_000_000)).get("keys", []))
        from ..models import SigningKey  # RuntimeError when django_authflows is not installed

        return [k.public_jwk for k in SigningKey.trusted()]

    def get(self, kid: str) -> tuple[str, PublicKey] | None:
        """(alg, key) for ``kid``, or None."""
        # The path of every request. _fresh_until is set by a fetch from the configured source, and reset
        # when AUTHFLOWS changes (REMOTE_JWKS_URI may have): the setting need not be read here.
        if time.monotonic() < self._fresh_until:
            hit = self._keys.get(kid)
            if hit is not None:
                return hit
        return self._get(kid, authflows_settings.REMOTE_JWKS_URI)

    def _get(self, kid: str, source: str | None) -> tuple[str, PublicKey] | None:
        max_stale = float(authflows_settings.JWKS_MAX_STALE)
        fresh_for = min(MAX_AGE, max_stale / 2)
        now = time.monotonic()
        current = self._loaded is not None and source == self._source
        age = now - self._loaded if current else float("inf")  # type: ignore[operator]
        hit = self._keys.get(kid) if current else None
        if hit is not None and age < fresh_for and not self._stale:
            return hit
        # A stale set, an unknown kid or another source: refetch, at most once per retry interval.
        retry = min(REFRESH_INTERVAL, fresh_for)
        if self._stale or source != self._attempted_source or now - self._attempted >= retry:
            with self._lock:  # one fetch at a time; the others use what it found
                if self._stale or source != self._attempted_source or time.monotonic() - self._attempted >= retry:
                    self._fetch(source)
        if self._source != source or self._loaded is None or time.monotonic() - self._loaded >= max_stale:
            return None  # never fetched, or the last good fetch is too old to trust a key that may be deleted
        return self._keys.get(kid)

    def _fetch(self, source: str | None) -> None:
        self._attempted, self._attempted_source = time.monotonic(), source
        self._stale = False
        try:
            keys = self._load(source)
        except (OSError, ValueError, RuntimeError, DatabaseError):
            return  # unreachable jwks_uri, or no key table here: the last good set ages out, nothing crashes
        parsed, jwks = {}, {}
        for data in keys:
            try:  # keys of other types or uses are left out: no token can name them
                kid = data["kid"]
                if self._source == source and self._jwks.get(kid) == data:  # the same key: the same object, so
                    parsed[kid] = self._keys[kid]  # tokens remembered as verified with it stay so (bearer.py)
                else:
                    parsed[kid] = (data.get("alg", ""), public_key_from_jwk(data))
                jwks[kid] = data
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        self._keys, self._jwks, self._source, self._loaded = parsed, jwks, source, time.monotonic()
        if source == authflows_settings.REMOTE_JWKS_URI:  # not if the setting changed during the fetch
            self._fresh_until = self._loaded + min(MAX_AGE, float(authflows_settings.JWKS_MAX_STALE) / 2)

    def expire(self) -> None:
        """Refetch the key set before the next key is trusted (a key was removed at the server). If that
        fetch fails, the last good set is used as when it ages (``JWKS_MAX_STALE``)."""
        self._stale, self._fresh_until = True, float("-inf")

    def clear(self) -> None:
        with self._lock:
            self._stale, self._fresh_until = False, float("-inf")
            self._keys, self._jwks, self._loaded, self._source = {}, {}, None, None
            self._attempted, self._attempted_source = float("-inf"), None


key_cache = KeyCache()


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "AUTHFLOWS":  # JWKS_MAX_STALE may have changed: the next request takes the full path
        key_cache._fresh_until = float("-inf")


setting_changed.connect(_settings_changed)
