"""Pushed authorization requests (RFC 9126): stored single use, bound to their client, and their trip through the
browser.

A pushed request is kept in Django's cache (shared across processes in production) under a random
``request_uri`` for :data:`LIFETIME` seconds. /authorize takes it once (RFC 9126 §4: one-time use) and goes on
with exactly those parameters. While the user logs in and consents, the request travels in the URL as its
parameters plus a signed stamp (:data:`STAMP`) over them, so that the login and consent round trips work and a
client that must use PAR (:attr:`require_pushed_authorization_requests`) is still known to have used it.
"""

from __future__ import annotations

import hashlib
import json
import secrets

from django.core import signing
from django.core.cache import cache

from .oidc_request import LOGIN_STAMP, LOGIN_WINDOW

URN_PREFIX = "urn:ietf:params:oauth:request_uri:"
#: RFC 9126 §2.2: short-lived; 60 s is what Auth0 and node-oidc-provider use.
LIFETIME = 60
#: The parameter that carries the stamp of a request that was pushed (or came in a verified request object).
STAMP = "authflows_pushed"
_SALT = "django_authflows.par.stamp"
_CACHE_PREFIX = "authflows:par:"
#: Parameters the login and consent round trips add or drop (see AuthorizeView.require_login): not stamped.
_UNSTAMPED = frozenset({STAMP, LOGIN_STAMP, "prompt", "max_age"})


def push(client_id: str, pairs: list[tuple[str, str]]) -> str:
    """Store an authorization request for ``client_id`` for :data:`LIFETIME` seconds; returns its
    request_uri (RFC 9126 §2.2)."""
    reference = secrets.token_urlsafe(32)
    cache.set(_CACHE_PREFIX + reference, {"client_id": client_id, "pairs": pairs}, LIFETIME)
    return URN_PREFIX + reference


def is_pushed_uri(value: str) -> bool:
    return value.startswith(URN_PREFIX)


def take(request_uri: str, client_id: str) -> list[tuple[str, str]] | None:
    """The pushed parameters of ``request_uri`` when it is ``client_id``'s and unused, else None. The
    delete decides who used it: of two concurrent uses, one gets True (RFC 9126 §4, one-time use)."""
    stored = peek(request_uri, client_id)
    if stored is None or not consume(request_uri[len(URN_PREFIX) :]):
        return None
    return stored


def peek(request_uri: str, client_id: str) -> list[tuple[str, str]] | None:
    """The pushed parameters of ``request_uri`` when it is ``client_id``'s and not yet spent, else None, without
    spending it: FAPI 2.0 SP §5.3.2.2 (note) wants one-time use enforced when the authorization completes, not at
    the first visit (which may only show the login page). A visited request then lives as long as a login may
    take (:data:`LOGIN_WINDOW`), so that a slow login does not outlive it."""
    reference = request_uri[len(URN_PREFIX) :]
    if not reference or len(reference) > 64:
        return None
    key = _CACHE_PREFIX + reference
    stored = cache.get(key)
    if not isinstance(stored, dict) or stored.get("client_id") != client_id:  # RFC 9126 §4: bound to its client
        return None
    cache.touch(key, LOGIN_WINDOW)
    return [(str(k), str(v)) for k, v in stored["pairs"]]


def consume(reference: str) -> bool:
    """Spend a pushed request (by the reference in its request_uri): True for the one use that gets it."""
    return bool(reference) and len(reference) <= 64 and bool(cache.delete(_CACHE_PREFIX + reference))


#: The parameter that carries a pushed request's reference through the login and consent round trips (stamped
#: with the rest), so that the request is spent when the authorization completes.
REFERENCE = "authflows_par"


def _digest(pairs: list[tuple[str, str]]) -> str:
    kept = sorted((k, v) for k, v in pairs if k not in _UNSTAMPED)
    return hashlib.sha256(json.dumps(kept).encode()).hexdigest()


PUSHED, SIGNED = "par", "jar"


def stamp(pairs: list[tuple[str, str]], origin: str) -> str:
    """A value saying, unforgeably, that exactly these parameters were pushed (``par``) or came in a
    verified request object (``jar``)."""
    return signing.dumps([origin, _digest(pairs)], salt=_SALT)


def stamped(pairs: list[tuple[str, str]]) -> str | None:
    """The origin of stamped parameters (``par`` or ``jar``), None without a stamp; ValueError when the
    stamp is forged, stale or not over exactly these parameters."""
    values = [v for k, v in pairs if k == STAMP]
    if not values:
        return None
    try:
        origin, digest = signing.loads(values[0], salt=_SALT, max_age=LOGIN_WINDOW)
    except (signing.BadSignature, ValueError, TypeError):
        raise ValueError("The stamp of the pushed request is not valid or has expired.") from None
    if len(values) != 1 or digest != _digest(pairs) or origin not in (PUSHED, SIGNED):
        raise ValueError("The parameters of a pushed or signed request cannot be changed.")
    return str(origin)
