"""Bearer tokens (RFC 6750): one local validation per request, shared by middleware, decorators and DRF."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from django.http import HttpRequest
from django.urls import NoReverseMatch

from .. import jws
from ..conf import authflows_settings
from ..issuer import issuer_for
from ..revocation import is_denied
from .dpop import bind_to_proof, scheme_of
from .keys import key_cache

#: Asymmetric algorithms only: ``none`` and HS256 made with a public key are refused (RFC 8725 §3.1).
ALLOWED_ALGS = frozenset({"RS256", "PS256", "ES256", "EdDSA"})  # PS256: FAPI 2.0 ID tokens (id_token_hint)
LEEWAY = 30
MAX_TOKEN_LENGTH = 8192
_ATTR = "_authflows_bearer"
VERIFIED_TTL = 60.0
#: Decoded headers of tokens whose signature verified, by encoded header: a few per key in practice.
HEADER_CACHE_SIZE = 256


@dataclass
class BearerResult:
    """The outcome of one validation: claims when valid, else an RFC 6750 error code and description."""

    claims: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    description: str = ""
    token_sent: bool = True
    #: The authentication scheme the token came with, and of the challenge: ``Bearer`` or ``DPoP`` (RFC 9449 §7.1).
    scheme: str = "Bearer"

    @property
    def valid(self) -> bool:
        return self.error is None and self.token_sent

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(str(self.claims.get("scope", "")).split())


class VerifiedSignatures:
    """Tokens whose signature this process already verified (the signature check is most of a protected
    request). Only the signature is remembered: expiry, issuer, audience and revocation are checked on
    every request. An entry lives at most :data:`VERIFIED_TTL` seconds and only while its key is trusted."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[float, str, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, kid: str) -> dict[str, Any] | None:
        entry = self._entries.get(token)
        if entry is None or entry[1] != kid or entry[0] < time.monotonic() or key_cache.get(kid) is None:
            return None
        return entry[2]

    def put(self, token: str, kid: str, claims: dict[str, Any]) -> None:
        with self._lock:
            self._entries[token] = (time.monotonic() + VERIFIED_TTL, kid, claims)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _fail(description: str) -> BearerResult:
    return BearerResult(error="invalid_token", description=description)


verified = VerifiedSignatures()
# Decoding and parsing the header is half of a request whose signature is remembered. Only headers that
# came with a valid signature are kept, so a flood of made-up headers cannot fill this; every check on
# the header still runs on every request.
_signed_headers: dict[str, dict[str, Any]] = {}


def _body_token(request: HttpRequest) -> str | None:
    """RFC 6750 §2.2: ``access_token`` in an ``application/x-www-form-urlencoded`` body of a request that is
    not a GET."""
    if request.method in ("GET", "HEAD") or (request.content_type or "").lower() != "application/x-www-form-urlencoded":
        return None
    try:
        values = request.POST.getlist("access_token")
    except Exception:  # noqa: BLE001 (a body Django cannot parse, too large or badly encoded: no token in it)
        return None
    return values[0] if len(values) == 1 else ("" if values else None)


def extract_token(request: HttpRequest, allow_body: bool = False) -> tuple[str | None, BearerResult | None]:
    """The token from ``Authorization: Bearer``, or with ``allow_body`` from a form body (RFC 6750 §2.2; only
    /userinfo allows it, as OpenID Connect asks). Tokens in the query string are always refused (RFC 9700
    §2.5 / RFC 6750 §2.3), and so are tokens in the body of a request to an API: tokens travel in headers."""
    # request.GET builds a QueryDict; most API requests have no query string to parse
    if request.META.get("QUERY_STRING") and "access_token" in request.GET:
        return None, BearerResult(
            error="invalid_request", description="Send the access token in the Authorization header, not the URL."
        )
    header = request.META.get("HTTP_AUTHORIZATION", "")
    body_token = _body_token(request) if allow_body else None
    if body_token is not None:
        if header:  # RFC 6750 §3.1: more than one method is invalid_request
            return None, BearerResult(
                error="invalid_request", description="Send the access token in one place: the header or the body."
            )
        if not body_token or len(body_token) > MAX_TOKEN_LENGTH or not body_token.isascii() or " " in body_token:
            return None, BearerResult(error="invalid_request", description="Malformed access_token in the body.")
        return body_token, None
    if not header:
        return None, BearerResult(token_sent=False)
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in ("bearer", "dpop"):  # RFC 9449 §7.1: the DPoP scheme, checked by .dpop
        return None, BearerResult(token_sent=False)
    token = token.strip()
    if not token or " " in token or "," in token:
        return None, BearerResult(error="invalid_request", description="Malformed Authorization header.")
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None, _fail("The access token is malformed.")
    return token, None


def verify_jwt(
    token: str, *, issuer: str, audience: str | None, typ: str = "at+jwt", check_expiry: bool = True
) -> BearerResult:
    """Signature (allowlisted alg, known kid), ``typ``, ``iss``, ``aud``, ``exp``/``nbf``. Runs on every
    protected request: a signed header is decoded once per process, and the signature is checked with
    ``cryptography`` against a key parsed when the key set was fetched."""
    parts = token.split(".")
    if len(parts) != 3:
        return _fail("The access token is malformed.")
    encoded_header, encoded_payload, encoded_signature = parts
    header = _signed_headers.get(encoded_header)
    if header is None:
        try:
            header = json.loads(jws.b64url_decode(encoded_header))
        except (ValueError, RecursionError):  # RecursionError: a header of thousands of nested arrays
            return _fail("The access token is malformed.")
    if not isinstance(header, dict) or "crit" in header:  # RFC 7515 §4.1.11: we understand no extension
        return _fail("The access token is malformed.")
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALLOWED_ALGS or not isinstance(kid, str):
        return _fail("The access token is signed with an algorithm or key that is not accepted.")
    token_typ, expected_typ = str(header.get("typ", "")).lower(), typ.lower()
    if token_typ != expected_typ and token_typ != "application/" + expected_typ:
        return _fail("Only access tokens are accepted.")
    claims = verified.get(token, kid)
    if claims is None:
        found = key_cache.get(kid)
        if found is None or (found[0] and found[0] != alg):
            return _fail("The access token is signed with an unknown key.")
        try:
            signature = jws.b64url_decode(encoded_signature)
            payload = jws.b64url_decode(encoded_payload)
            # The signing input is the encoded header and payload as sent (RFC 7515 §5.2), all ASCII now.
            jws.verify(alg, found[1], signature, token[: len(encoded_header) + 1 + len(encoded_payload)].encode())
            claims = json.loads(payload)
        except (InvalidSignature, ValueError, RecursionError):
            return _fail("The access token signature is invalid.")
        if isinstance(claims, dict):
            verified.put(token, kid, claims)
            if len(_signed_headers) >= HEADER_CACHE_SIZE:
                _signed_headers.clear()
            _signed_headers[encoded_header] = header
    if not isinstance(claims, dict):
        return _fail("The access token is malformed.")
    now = time.time()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, (int, float)) or (check_expiry and exp + LEEWAY < now):
        return _fail("The access token expired.")
    if isinstance(nbf, (int, float)) and nbf - LEEWAY > now:
        return _fail("The access token is not valid yet.")
    if claims.get("iss") != issuer:
        return _fail("The access token was issued by another issuer.")
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if audience is not None and audience not in auds:
        return _fail("The access token is not for this API.")
    return BearerResult(claims=claims)


def _issuer(request: HttpRequest) -> str | None:
    if authflows_settings.ISSUER:
        return authflows_settings.ISSUER
    try:
        return issuer_for(request)
    except NoReverseMatch:  # an API project without the server's URLs must set AUTHFLOWS['ISSUER']
        return None


def authenticate_bearer(request: HttpRequest, audience: str | None = None, *, allow_body: bool = False) -> BearerResult:
    """Validate the request's bearer token once; the result is memoised on the request. ``allow_body``
    also accepts the token in a form body (RFC 6750 §2.2), for /userinfo only."""
    cache: dict[tuple[str | None, bool], BearerResult] = request.__dict__.setdefault(_ATTR, {})
    if (audience, allow_body) in cache:
        return cache[(audience, allow_body)]
    token, early = extract_token(request, allow_body=allow_body)
    if early is not None:
        result = early
    else:
        assert token is not None  # noqa: S101 (for the type checker: extract_token gives a token or an error)
        expected = audience if audience is not None else authflows_settings.AUDIENCE
        issuer = _issuer(request)
        if expected is None:  # secure by default: never accept "any audience" (authflows.W006)
            result = _fail("This API has no audience configured (AUTHFLOWS['AUDIENCE']).")
        elif issuer is None:
            result = _fail("This API has no issuer configured (AUTHFLOWS['ISSUER']).")
        else:
            result = verify_jwt(token, issuer=issuer, audience=expected)
    if result.valid and authflows_settings.CHECK_REVOCATION and token is not None and is_denied(token):
        result = _fail("The access token has been revoked.")
    if result.token_sent:
        result = bind_to_proof(request, token, result, dpop_scheme=scheme_of(request) == "DPoP")
    cache[(audience, allow_body)] = result
    return result
