"""Verification keys for bearer tokens: the local key table or a remote ``jwks_uri``, cached in process."""
from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

from django.db import DatabaseError

from ..conf import authflows_settings
from ..jws import PublicKey, public_key_from_jwk

#: Refetch the key set at most this often when a token names an unknown ``kid``.
REFRESH_INTERVAL = 30.0
#: Trust a fetched key set this long even if no unknown kid forces a refetch.
MAX_AGE = 300.0


class KeyCache:
    """kid -> (the JWK's ``alg`` or "", ``cryptography`` public key), refreshed on an unknown kid at most
    once per :data:`REFRESH_INTERVAL`. Keys are parsed once per fetch, not per token."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[str, PublicKey]] = {}
        self._fetched = 0.0
        self._source: str | None = None

    def _load(self, source: str | None) -> list[dict[str, Any]]:
        if source:
            with urllib.request.urlopen(source, timeout=5) as response:  # noqa: S310 (configured URL)
                return list(json.loads(response.read(1_000_000)).get("keys", []))
        from ..models import SigningKey  # RuntimeError when django_authflows is not installed

        return [k.public_jwk for k in SigningKey.trusted()]

    def get(self, kid: str) -> tuple[str, PublicKey] | None:
        """(alg, key) for ``kid``, or None."""
        source = authflows_settings.REMOTE_JWKS_URI
        now = time.monotonic()
        stale = now - self._fetched > MAX_AGE or source != self._source
        hit = self._keys.get(kid)
        if hit is not None and not stale:
            return hit
        if not stale and now - self._fetched < REFRESH_INTERVAL:
            return None  # an unknown kid does not buy a refetch more than once per interval
        with self._lock:
            if self._fetched == 0.0 or now - self._fetched >= REFRESH_INTERVAL or source != self._source:
                try:
                    keys = self._load(source)
                except (OSError, ValueError, RuntimeError, DatabaseError):
                    # unreachable jwks_uri, or no key table here: tokens fail validation, nothing crashes
                    keys = None
                if keys is not None:
                    parsed = {}
                    for data in keys:
                        try:  # keys of other types or uses are left out: no token can name them
                            parsed[data["kid"]] = (data.get("alg", ""), public_key_from_jwk(data))
                        except (KeyError, TypeError, ValueError, AttributeError):
                            continue
                    self._keys, self._source = parsed, source
                self._fetched = time.monotonic()
            return self._keys.get(kid)

    def clear(self) -> None:
        with self._lock:
            self._keys, self._fetched, self._source = {}, 0.0, None


key_cache = KeyCache()
