"""private_key_jwt: the client assertion's claims (RFC 7523 §3, RFC 7521 §4.2, OIDC Core §9), checked once its
signature is."""

from __future__ import annotations

import hashlib
import time
from typing import Any, TypeGuard

from .. import presets, single_use
from ..issuer import endpoint
from . import client_keys

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: An assertion is a one-time credential: its ``exp`` may be at most this many seconds ahead.
MAX_LIFETIME = 300
LEEWAY = 30
MAX_JTI = 255

#: Why an assertion with a good signature is refused (said to the client: it proved its key).
PROBLEMS = {
    "assertion_issuer": "The client assertion's iss and sub must both be the client_id (RFC 7523 §3).",
    "assertion_audience": "The client assertion's aud must be the issuer or the token endpoint URL, and nothing else.",
    "assertion_audience_fapi": "The client assertion's aud must be the issuer identifier, as a single string "
    "(FAPI 2.0 Security Profile §5.3.2).",
    "assertion_expiry": f"The client assertion needs an exp at most {MAX_LIFETIME} seconds ahead (RFC 7523 §3).",
    "assertion_expired": "The client assertion has expired.",
    "assertion_time": "The client assertion's iat or nbf is in the future or not a number.",
    "assertion_jti": "The client assertion needs a jti (a unique string) to be used once (RFC 7523 §3).",
    "assertion_replayed": "This client assertion was already used: make a new one, with a new jti, per request.",
}


def allowed_algs(app: Any) -> tuple[str, ...]:
    """The algorithms ``app``'s assertions may use: FAPI 2.0 applications PS256 and ES256 only (§5.4.1)."""
    return presets.FAPI.assertion_algs if getattr(app, "fapi", False) else client_keys.ALGS


def unverified_subject(assertion: str) -> str | None:
    """The client the assertion claims to come from (``sub``, RFC 7523 §3), read without verifying, to look
    the client up; None when it names none."""
    try:
        _header, claims, _data, _sig = client_keys.decode(assertion)
    except client_keys.JWSError:
        return None
    sub = claims.get("sub")
    return sub if isinstance(sub, str) and sub else None


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check(app: Any, assertion: str, issuer: str) -> str | None:
    """None when ``assertion`` authenticates ``app``, else a reason (a key of :data:`PROBLEMS`, or
    ``bad_assertion`` when the signature or the key is wrong)."""
    try:
        claims = client_keys.verify(app, assertion, allowed_algs(app))
    except client_keys.JWSError:
        return "bad_assertion"
    if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
        return "assertion_issuer"
    aud = claims.get("aud")
    if getattr(app, "fapi", False):
        # FAPI 2.0 SP §5.3.2: only the issuer identifier, as a string (no array, no endpoint URL).
        if not isinstance(aud, str) or aud != issuer:
            return "assertion_audience_fapi"
    else:
        if isinstance(aud, list) and len(aud) == 1:
            aud = aud[0]
        if not isinstance(aud, str) or aud not in {issuer, endpoint(issuer, "token")}:  # no array naming others
            return "assertion_audience"
    now = time.time()
    exp = claims.get("exp")
    if not _number(exp) or exp > now + MAX_LIFETIME + LEEWAY:
        return "assertion_expiry"
    if exp <= now - LEEWAY:
        return "assertion_expired"
    for name in ("iat", "nbf"):
        if name in claims and (not _number(claims[name]) or claims[name] > now + LEEWAY):
            return "assertion_time"
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI:
        return "assertion_jti"
    # RFC 7523 §3 item 7: one use per jti until the assertion expires, across every process sharing the cache.
    key = "authflows:assertion:" + hashlib.sha256(f"{app.client_id}\n{jti}".encode()).hexdigest()
    if not single_use.spend(key, int(exp - now + LEEWAY) + 1):
        return "assertion_replayed"
    return None
