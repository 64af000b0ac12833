"""Signed request objects (JAR, RFC 9101; OIDC Core §6.1) for applications with registered public keys."""

from __future__ import annotations

import json
import time
from typing import Any

from . import client_keys
from .client_assertion import allowed_algs

LEEWAY = 30
#: JWT claims of the object itself, not authorization request parameters (RFC 9101 §4).
_JWT_CLAIMS = frozenset({"iss", "aud", "exp", "iat", "nbf", "jti", "sub"})


class RequestObjectError(ValueError):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


def _invalid(description: str) -> RequestObjectError:
    return RequestObjectError("invalid_request_object", description)


def _value(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if name == "claims" and isinstance(value, dict):  # OIDC Core §6.1: claims is a JSON object inside the object
        return json.dumps(value)
    if isinstance(value, int) and not isinstance(value, bool):  # max_age
        return str(value)
    raise _invalid(f"The request object's {name} must be a string.")


def parameters(app: Any, request: str, client_id: str, issuer: str) -> list[tuple[str, str]]:
    """The authorization request carried by ``request``, signed by ``app`` (RFC 9101 §6.2): only the
    object's parameters count, plus the client_id sent beside it (RFC 9101 §5)."""
    if app is None or not app.has_keys:
        raise RequestObjectError(
            "request_not_supported", "Request objects need the application's public keys registered."
        )
    try:
        # alg none and HS* are never accepted (RFC 9101 §6.2); a FAPI 2.0 application's: PS256 and ES256 only (§5.4.1)
        claims = client_keys.verify(app, request, allowed_algs(app))
    except client_keys.JWSError as exc:
        raise _invalid(f"The request object is not signed with the application's keys: {exc}") from None
    if claims.get("iss") != app.client_id:
        raise _invalid("The request object's iss must be the client_id.")
    aud = claims.get("aud")
    if aud != issuer and not (isinstance(aud, list) and issuer in aud):
        raise _invalid("The request object's aud must be the issuer.")
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= now - LEEWAY:
        raise _invalid("The request object needs an exp in the future.")
    nbf = claims.get("nbf")
    if nbf is not None and (not isinstance(nbf, (int, float)) or nbf > now + LEEWAY):
        raise _invalid("The request object is not valid yet (nbf).")
    if "request" in claims or "request_uri" in claims:
        raise _invalid("A request object must not contain request or request_uri.")
    if claims.get("client_id", client_id) != client_id:
        raise _invalid("The request object's client_id differs from the client_id parameter.")
    pairs = [("client_id", client_id)]
    for name, value in claims.items():
        if name not in _JWT_CLAIMS and name != "client_id" and value is not None:
            pairs.append((name, _value(name, value)))
    return pairs
