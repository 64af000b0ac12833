"""An application's registered public keys (RFC 7517 §5, RFC 7591 §2 ``jwks`` / ``jwks_uri``): public only, checked."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from . import jws

#: Members that only a private (or symmetric) JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MAX_KEYS = 10
MAX_JWKS_BYTES = 64 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
NO_PRIVATE_KEYS = (
    "This is a private key. Register the PUBLIC key only: the server never needs, and never "
    "asks for, an application's private key."
)


def parse_public_jwks(value: str | dict[str, Any]) -> dict[str, Any]:
    """A JWK Set of public signature keys (RSA of 2048 bits or more, EC P-256, Ed25519) from JSON text or
    data; a lone JWK becomes a one-key set. ValueError says what is wrong; a private key is refused."""
    if isinstance(value, str):
        if len(value.encode()) > MAX_JWKS_BYTES:
            raise ValueError("The key set is larger than 64 KB.")
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise ValueError("The key set is not valid JSON.") from None
    if isinstance(value, dict) and "keys" not in value and "kty" in value:
        value = {"keys": [value]}
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise ValueError('A key set is a JSON object {"keys": [...]} (RFC 7517 §5).')
    keys = value["keys"]
    if not keys:
        raise ValueError("The key set has no keys.")
    if len(keys) > MAX_KEYS:
        raise ValueError(f"At most {MAX_KEYS} keys.")
    kids: set[str | None] = set()
    for key in keys:
        if not isinstance(key, dict):
            raise ValueError("Each key must be a JSON object.")
        if PRIVATE_MEMBERS & key.keys() or key.get("kty") == "oct":
            raise ValueError(NO_PRIVATE_KEYS)
        try:
            public = jws.public_key_from_jwk(key)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"Unusable key: {exc}") from None
        if isinstance(public, rsa.RSAPublicKey) and public.key_size < jws.MIN_RSA_BITS:
            raise ValueError("RSA keys must be 2048 bits or larger (RFC 7518 §3.3).")
        kid = key.get("kid")
        if kid is not None and (not isinstance(kid, str) or kid in kids):
            raise ValueError("Each kid must be a distinct string.")
        kids.add(kid)
    return {"keys": keys}


def validate_jwks_uri(url: str) -> str:
    """An absolute https URL (http for loopback only) where the application publishes its key set."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.fragment or len(url) > 2048:
        raise ValueError(f"jwks_uri {url!r} must be an absolute https URL.")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"jwks_uri {url!r} must use https (http is for loopback only).")
    return url
