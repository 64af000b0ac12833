"""An application's public keys at the server (RFC 7591 §2 ``jwks`` / ``jwks_uri``) and compact JWS checked with
them (RFC 7515, RFC 8725 §3.1).

Used for private_key_jwt assertions (RFC 7523 §2.2) and signed request objects (RFC 9101 §6.2). Only asymmetric
algorithms are accepted; ``none`` and HS* never, whatever the header says, and the key's type must fit the alg."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.cache import cache

from .. import client_jwks, jws

#: Accepted signature algorithms, strongest first (RFC 7518 §3.3-3.5, RFC 8037 §3.1).
ALGS = ("PS256", "ES256", "EdDSA", "RS256")
MAX_JWS_LENGTH = 8192
#: jwks_uri: fetched with this timeout (seconds), kept this long, and refetched for an unknown kid at most
#: once per REFRESH_FLOOR, so an attacker sending made-up kids cannot make us fetch in a loop.
FETCH_TIMEOUT = 5
CACHE_TTL = 300
REFRESH_FLOOR = 30
# RFC 7518 §3.5: PS256 is RSASSA-PSS with SHA-256, MGF1 with SHA-256, and a salt as long as the hash.
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


class JWSError(ValueError):
    """A JWS that is malformed, signed with an algorithm or key we do not accept, or whose signature fails."""


def decode(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signing input, signature) of a compact JWS whose payload is a JSON object; nothing
    is verified here."""
    if not isinstance(token, str) or len(token) > MAX_JWS_LENGTH or token.count(".") != 2:
        raise JWSError("Not a compact JWS.")
    head, body, sig = token.split(".")
    try:
        header, claims = json.loads(jws.b64url_decode(head)), json.loads(jws.b64url_decode(body))
        signature = jws.b64url_decode(sig)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise JWSError("The JWS is not base64url-encoded JSON.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JWSError("The JWS header and payload must be JSON objects.")
    if "crit" in header:  # RFC 7515 §4.1.11: we understand no extension
        raise JWSError("Unsupported critical header parameters.")
    return header, claims, f"{head}.{body}".encode("ascii"), signature


def _verify_signature(alg: str, key: jws.PublicKey, signature: bytes, data: bytes) -> None:
    if alg == "PS256":  # jws.py serves the algorithms of our own tokens; PS256 is checked here
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size < jws.MIN_RSA_BITS:
            raise InvalidSignature
        key.verify(signature, data, _PSS, hashes.SHA256())
    else:
        jws.verify(alg, key, signature, data)


def _fetch(url: str) -> dict[str, Any]:
    """The key set at ``url``: no redirects, a timeout, at most 64 KB, public keys only."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    accept = {"Accept": "application/jwk-set+json, application/json"}
    request = urllib.request.Request(url, headers=accept)  # noqa: S310 (validate_jwks_uri: http(s) only)
    with opener.open(request, timeout=FETCH_TIMEOUT) as response:
        if response.status != 200:
            raise ValueError(f"HTTP {response.status}")
        body = response.read(client_jwks.MAX_JWKS_BYTES + 1)
    if len(body) > client_jwks.MAX_JWKS_BYTES:
        raise ValueError("The key set is larger than 64 KB.")
    return client_jwks.parse_public_jwks(body.decode("utf-8"))


def _remote_keys(url: str, *, refresh: bool) -> list[dict[str, Any]]:
    key = "authflows:client_jwks:" + hashlib.sha256(url.encode()).hexdigest()
    keys = None if refresh else cache.get(key)
    if keys is None:
        if refresh and not cache.add(key + ":refreshed", 1, REFRESH_FLOOR):
            return cache.get(key) or []
        try:
            keys = _fetch(url)["keys"]
        except (OSError, ValueError, urllib.error.URLError):
            return [] if refresh else (cache.get(key) or [])
        cache.set(key, keys, CACHE_TTL)
    return keys


def application_keys(app: Any, *, refresh: bool = False) -> list[dict[str, Any]]:
    """The application's registered public JWKs: inline, or from its jwks_uri (cached; ``refresh``
    refetches, at most once per :data:`REFRESH_FLOOR`)."""
    if app.jwks:
        return list(app.jwks.get("keys", []))
    if app.jwks_uri:
        return _remote_keys(app.jwks_uri, refresh=refresh)
    return []


def _candidates(keys: list[dict[str, Any]], header: dict[str, Any]) -> list[jws.PublicKey]:
    kid, alg = header.get("kid"), header["alg"]
    found = []
    for data in keys:
        if kid is not None and data.get("kid") != kid:
            continue
        if data.get("alg", alg) != alg:  # RFC 7517 §4.4: a key registered for one alg serves only that one
            continue
        try:
            found.append(jws.public_key_from_jwk(data))
        except (ValueError, KeyError, TypeError):
            continue
    return found


def verify(app: Any, token: str, algs: tuple[str, ...] = ALGS) -> dict[str, Any]:
    """The claims of ``token`` once its signature verifies with one of ``app``'s keys under one of ``algs``;
    JWSError otherwise. An unknown ``kid`` refetches a jwks_uri once (the client may have rotated)."""
    header, claims, data, signature = decode(token)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algs:  # RFC 8725 §3.1: none and HS* are never accepted
        raise JWSError(f"The JWS alg must be one of {', '.join(algs)}.")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise JWSError("kid must be a string.")
    candidates = _candidates(application_keys(app), header)
    if not candidates and kid is not None and app.jwks_uri:
        candidates = _candidates(application_keys(app, refresh=True), header)
    for key in candidates:
        try:
            _verify_signature(alg, key, signature, data)
            return claims
        except InvalidSignature:
            continue
    raise JWSError("The JWS signature does not verify with the application's registered keys.")
