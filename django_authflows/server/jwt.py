"""JWT minting (RFC 7519): RFC 9068 access tokens and OIDC ID tokens, signed with the active key."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from ..conf import authflows_settings
from ..jws import b64url_encode
from .keys import active_key

# json.dumps would build an encoder per call; claims are plain data made here, never circular.
_compact_json = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
#: (kid, alg, typ) -> the encoded protected header: a handful of values, encoded once per process.
_headers: dict[tuple[str, str, str], bytes] = {}


def _header(kid: str, alg: str, typ: str) -> bytes:
    segment = _headers.get((kid, alg, typ))
    if segment is None:
        if len(_headers) > 64:  # each rotation adds a kid; the old ones are never asked for again
            _headers.clear()
        header = _compact_json({"alg": alg, "kid": kid, "typ": typ})
        segment = _headers[(kid, alg, typ)] = b64url_encode(header.encode())
    return segment


def sign(claims: dict[str, Any], *, typ: str, alg: str | None = None) -> str:
    """Compact JWS (RFC 7515 §7.1) over ``claims`` with the active key for ``alg``; the header names its
    ``kid``. Built here rather than by a JOSE library: the per-token work of one costs more than an
    ECDSA or Ed25519 signature."""
    alg = alg or authflows_settings.SIGNING_ALG
    kid, signer = active_key(alg)
    signing_input = _header(kid, alg, typ) + b"." + b64url_encode(_compact_json(claims).encode())
    return (signing_input + b"." + b64url_encode(signer.sign(signing_input))).decode("ascii")


def new_jti() -> str:
    return b64url_encode(uuid.uuid4().bytes).decode("ascii")


def access_token_claims(
    *,
    issuer: str,
    subject: str,
    client_id: str,
    audience: str | None,
    scopes: list[str],
    lifetime: int,
    auth_time: int | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """RFC 9068 §2.2 claims. Without an audience the token is good for /userinfo only; with one and
    ``openid`` granted, ``aud`` also names /userinfo, as Auth0 does."""
    now = int(time.time())
    userinfo = issuer + "userinfo"
    if audience is None:
        aud: str | list[str] = userinfo
    elif "openid" in scopes:
        aud = [audience, userinfo]
    else:
        aud = audience
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": aud,
        "iat": now,
        "exp": now + lifetime,
        "scope": " ".join(scopes),
        "jti": new_jti(),
        "client_id": client_id,
        "azp": client_id,
    }
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if extra:
        claims.update(extra)
    return claims
