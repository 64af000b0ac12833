"""What a relying party needs: the issuer's discovery document and keys, token verification and API calls."""
from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from typing import Any

import requests
from django.conf import settings
from django.http import HttpRequest
from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException, json_decode

#: How long discovery documents and key sets are trusted before they are fetched again.
CACHE_SECONDS = 300
HTTP_TIMEOUT = 10
API_PATH = "api/private-scoped"

_lock = threading.Lock()
_cache: dict[str, tuple[float, dict[str, Any]]] = {}


class TokenError(Exception):
    """A token that fails verification, or a server we cannot reach; the message is shown to the user."""


def issuer(request: HttpRequest) -> str:
    """The authorization server's issuer: AUTHFLOWS["ISSUER"], else this site's root (same process here)."""
    return (getattr(settings, "AUTHFLOWS", None) or {}).get("ISSUER") or request.build_absolute_uri("/")


def metadata_url(issuer_url: str) -> str:
    return issuer_url + ".well-known/openid-configuration"


def _get_json(url: str, *, refresh: bool = False) -> dict[str, Any]:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(url)
    if hit and not refresh and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise TokenError(f"Could not fetch {url}: {exc}") from exc
    with _lock:
        _cache[url] = (now, data)
    return data


def discovery(issuer_url: str) -> dict[str, Any]:
    return _get_json(metadata_url(issuer_url))


def key_set(issuer_url: str, kid: str | None) -> jwk.JWKSet:
    """The issuer's JWKS (from ``jwks_uri``), fetched again once when ``kid`` is unknown (key rotation)."""
    jwks_uri = discovery(issuer_url)["jwks_uri"]
    data = _get_json(jwks_uri)
    if kid and kid not in {k.get("kid") for k in data.get("keys", [])}:
        data = _get_json(jwks_uri, refresh=True)
    return jwk.JWKSet.from_json(json.dumps(data))


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, read before verification only to pick the key and check ``typ``."""
    try:
        token_obj = jws.JWS()
        token_obj.deserialize(token)
        return dict(token_obj.jose_header)
    except (JWException, ValueError, TypeError) as exc:
        raise TokenError(f"Not a signed JWT: {exc}") from exc


def verify(token: str, issuer_url: str, *, audience: str, algs: list[str], typ: str | None = None,
           nonce: str | None = None) -> dict[str, Any]:
    """Verify a JWT's signature against the issuer's JWKS and its iss, aud, exp (and nonce, typ); return its claims."""
    header = unverified_header(token)
    if typ is not None and str(header.get("typ", "")).lower() not in {typ, "application/" + typ}:
        raise TokenError(f"Expected a token of type {typ!r}, got {header.get('typ')!r}.")
    keys = key_set(issuer_url, header.get("kid"))
    check: dict[str, Any] = {"iss": issuer_url, "aud": audience, "exp": None, "iat": None}
    if nonce is not None:
        check["nonce"] = nonce
    try:
        verified = jwt.JWT(jwt=token, key=keys, algs=algs, check_claims=check, expected_type="JWS")
    except (JWException, ValueError, TypeError) as exc:
        raise TokenError(f"Token verification failed: {exc}") from exc
    return json_decode(verified.claims)


def verify_id_token(token: str, issuer_url: str, client_id: str, nonce: str) -> dict[str, Any]:
    """OIDC Core §3.1.3.7 / §3.2.2.11: RS256 signature, iss, aud = client_id, exp, iat and nonce."""
    claims = verify(token, issuer_url, audience=client_id, algs=["RS256"], nonce=nonce)
    aud = claims.get("aud")
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != client_id:
        raise TokenError("The ID token has several audiences and azp is not this client.")
    return claims


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6 at_hash for RS256: base64url of the left half of SHA-256(access token)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def verify_access_token(token: str, issuer_url: str) -> dict[str, Any]:
    """RFC 9068 access token for the example API: typ at+jwt, signature, iss, aud, exp."""
    return verify(token, issuer_url, audience=settings.EXAMPLE_API_AUDIENCE,
                  algs=["RS256", "ES256", "EdDSA"], typ="at+jwt")


def call_api(request: HttpRequest, access_token: str) -> dict[str, Any]:
    """GET the example API's scoped endpoint with the access token, server side; status and body for display."""
    url = request.build_absolute_uri("/") + API_PATH
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT,
                                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
    except requests.RequestException as exc:
        return {"url": url, "status": None, "body": f"Request failed: {exc}"}
    content_type = response.headers.get("Content-Type", "")
    try:
        body: Any = response.json()
    except ValueError:
        body = f"({content_type or 'no content type'}, {len(response.content)} bytes, not JSON: not shown)"
    result: dict[str, Any] = {"url": url, "status": response.status_code, "body": body}
    if response.status_code == 404:
        result["note"] = "Nothing answers at this URL: the example API is not mounted in this project."
    if "WWW-Authenticate" in response.headers:
        result["www_authenticate"] = response.headers["WWW-Authenticate"]
    return result


def pretty(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
