"""JWT minting (RFC 7519): RFC 9068 access tokens and OIDC ID tokens, signed with the active key."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

from jwcrypto import jws
from jwcrypto.common import base64url_encode

from ..conf import authflows_settings
from .keys import active_key


def sign(claims: dict[str, Any], *, typ: str, alg: str | None = None) -> str:
    """Compact JWS over ``claims`` with the active key for ``alg``; the header names its ``kid``."""
    alg = alg or authflows_settings.SIGNING_ALG
    kid, key = active_key(alg)
    token = jws.JWS(json.dumps(claims, separators=(",", ":")).encode())
    token.add_signature(key, alg=alg, protected={"alg": alg, "kid": kid, "typ": typ})
    return token.serialize(compact=True)


def new_jti() -> str:
    return base64url_encode(uuid.uuid4().bytes)


def access_token_claims(
    *, issuer: str, subject: str, client_id: str, audience: str | None, scopes: list[str],
    lifetime: int, auth_time: int | None = None, extra: dict[str, Any] | None = None,
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
        "iss": issuer, "sub": subject, "aud": aud, "iat": now, "exp": now + lifetime,
        "scope": " ".join(scopes), "jti": new_jti(), "client_id": client_id, "azp": client_id,
    }
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if extra:
        claims.update(extra)
    return claims
