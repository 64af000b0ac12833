"""Protocol helpers for tests: PKCE pairs, JWT decoding against the published keys, URL parsing."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jwcrypto import jwk, jws

AUTHORIZE_URL = "/authorize"
TOKEN_URL = "/oauth/token"
ISSUER = "http://testserver/"


def basic(client_id: str, secret: str) -> str:
    """An ``Authorization: Basic`` value (RFC 6749 §2.3.1; our ids and secrets need no form-encoding)."""
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def fragment(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).fragment).items()}


def header(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Verify a JWS against a published key set, as a client would, and return its claims."""
    hdr = header(token)
    key = jwk.JWKSet.from_json(json.dumps(jwks)).get_key(hdr["kid"])
    assert key is not None, f"kid {hdr['kid']} is not published"
    obj = jws.JWS()
    obj.deserialize(token)
    obj.verify(key, alg=hdr["alg"])
    return json.loads(obj.payload)
