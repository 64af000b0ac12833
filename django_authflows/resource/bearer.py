"""Bearer tokens (RFC 6750): one local validation per request, shared by middleware, decorators and DRF."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.urls import NoReverseMatch

from .. import jws
from ..conf import authflows_settings
from ..dpop import b64_sha256, is_thumbprint
from ..issuer import issuer_for
from ..revocation import local_denylist, token_checksum
from .dpop import bind_to_proof, checked, scheme_of
from .keys import key_cache

#: Asymmetric algorithms only: ``none`` and HS256 made with a public key are refused (RFC 8725 §3.1).
ALLOWED_ALGS = frozenset({"RS256", "PS256", "ES256", "EdDSA"})  # PS256: FAPI 2.0 ID tokens (id_token_hint)
LEEWAY = 30
MAX_TOKEN_LENGTH = 8192
_ATTR = "_authflows_bearer"
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
        return scopes_of(self.claims)


#: The scope sets of the ``scope`` strings seen, made once per distinct string (a few per API).
_scope_sets: dict[str, frozenset[str]] = {}
SCOPE_SETS_SIZE = 1024


def scopes_of(claims: dict[str, Any]) -> frozenset[str]:
    """The set of the space-separated ``scope`` claim."""
    scope = claims.get("scope", "")
    if type(scope) is not str:  # exactly str: the memo is keyed by it
        return frozenset(str(scope).split())
    found = _scope_sets.get(scope)
    if found is None:
        if len(_scope_sets) >= SCOPE_SETS_SIZE:
            _scope_sets.clear()
        found = _scope_sets[scope] = frozenset(scope.split())
    return found


class _Entry(NamedTuple):
    kid: str
    key: Any  # the key object that verified the signature, as the key set held it
    header: dict[str, Any]
    claims: dict[str, Any]
    exp: float
    at_jwt: bool  # the header's typ is at+jwt (the type of every protected request), found once


class _Accepted(NamedTuple):
    """What the full validation found of a token sent as ``Authorization: Bearer`` (valid for this issuer
    and audience, not DPoP-bound) or as ``Authorization: DPoP`` (the same, and bound to a key: the request's
    proof is still checked every time) (:func:`authenticate_bearer`)."""

    entry: _Entry
    checksum: str
    issuer: str
    audience: str
    nbf: float  # -inf without nbf
    #: With the DPoP scheme: the thumbprint the token is bound to (``cnf.jkt``, checked) and the token's hash
    #: (the ``ath`` its proofs must carry), found once; None for a Bearer token.
    dpop: tuple[str, str] | None = None


class VerifiedTokens:
    """Tokens whose signature this process already verified, by SHA-256 of the token (the signature check
    is most of a protected request). An entry is never used past the token's ``exp`` nor once the key that
    verified it left the key set (or was replaced); the least recently used entries go beyond
    ``AUTHFLOWS["TOKEN_CACHE_SIZE"]``.

    The Authorization headers of tokens that were then found valid (``typ``, issuer, audience, not
    DPoP-bound) are remembered too, with that verdict: the next request with the same header skips the
    parsing, the hashing and those checks, and checks what can change: the issuer and audience asked for,
    expiry and ``nbf``, the key, revocation (as many headers as entries, the oldest go first)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._accepted: dict[str, _Accepted] = {}
        self._lock = threading.Lock()

    def get(self, checksum: str, now: float | None = None) -> _Entry | None:
        entry = self._entries.get(checksum)
        if entry is None:
            return None
        found = key_cache.get(entry.kid)
        if found is None or found[1] is not entry.key or entry.exp + LEEWAY < (time.time() if now is None else now):
            self._entries.pop(checksum, None)
            return None
        try:  # noqa: SIM105 (contextlib.suppress costs more on this path)
            self._entries.move_to_end(checksum)
        except KeyError:  # dropped by another thread meanwhile: this request still had a valid entry
            pass
        return entry

    def put(self, checksum: str, entry: _Entry) -> None:
        size = authflows_settings.TOKEN_CACHE_SIZE
        with self._lock:
            self._entries[checksum] = entry
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def accept(self, header: str, accepted: _Accepted) -> None:
        size = authflows_settings.TOKEN_CACHE_SIZE
        with self._lock:
            self._accepted[header] = accepted
            while len(self._accepted) > size:
                del self._accepted[next(iter(self._accepted))]

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._accepted.clear()


def _fail(description: str) -> BearerResult:
    return BearerResult(error="invalid_token", description=description)


verified = VerifiedTokens()
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


AT_JWT = "at+jwt"


def _typ_ok(header: dict[str, Any], typ: str) -> bool:
    token_typ, expected_typ = str(header.get("typ", "")).lower(), typ.lower()
    return token_typ == expected_typ or token_typ == "application/" + expected_typ


def verify_jwt(
    token: str,
    *,
    issuer: str,
    audience: str | None,
    typ: str = "at+jwt",
    check_expiry: bool = True,
    checksum: str | None = None,
) -> BearerResult:
    """Signature (allowlisted alg, known kid), ``typ``, ``iss``, ``aud``, ``exp``/``nbf``. Runs on every
    protected request: a token already verified in this process (:data:`verified`, by ``checksum``, the
    token's SHA-256) is not decoded nor verified again; else the signature is checked with ``cryptography``
    against a key parsed when the key set was fetched, and a signed header is decoded once per process."""
    if checksum is None:
        checksum = token_checksum(token)
    now = time.time()
    entry = verified.get(checksum, now)
    if entry is not None:
        if not (entry.at_jwt if typ == AT_JWT else _typ_ok(entry.header, typ)):
            return _fail("Only access tokens are accepted.")
        claims = entry.claims
    else:
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
        if not _typ_ok(header, typ):
            return _fail("Only access tokens are accepted.")
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
        if not isinstance(claims, dict):
            return _fail("The access token is malformed.")
        exp = claims.get("exp")
        now = time.time()  # the signature check took a while
        if isinstance(exp, (int, float)) and not isinstance(exp, bool) and exp + LEEWAY >= now:
            verified.put(checksum, _Entry(kid, found[1], header, claims, float(exp), _typ_ok(header, AT_JWT)))
        if len(_signed_headers) >= HEADER_CACHE_SIZE:
            _signed_headers.clear()
        _signed_headers[encoded_header] = header
    return _check_claims(claims, issuer, audience, check_expiry, now)


def _check_claims(
    claims: dict[str, Any], issuer: str, audience: str | None, check_expiry: bool, now: float
) -> BearerResult:
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, (int, float)) or (check_expiry and exp + LEEWAY < now):
        return _fail("The access token expired.")
    if nbf is not None and isinstance(nbf, (int, float)) and nbf - LEEWAY > now:
        return _fail("The access token is not valid yet.")
    if claims.get("iss") != issuer:
        return _fail("The access token was issued by another issuer.")
    if audience is not None:
        aud = claims.get("aud")
        if audience != aud and not (isinstance(aud, list) and audience in aud):
            return _fail("The access token is not for this API.")
    return BearerResult(claims)


_keys_changed_seen = 0


def _sync_revocations() -> None:
    """The deny-list refreshed when its bound has passed (at most one cache read per
    REVOCATION_PROPAGATION_SECONDS), and a signing key removed at the server (announced through the shared
    cache's revocation log) followed: the key set is refetched now, so tokens remembered as verified with
    it are refused."""
    global _keys_changed_seen
    local_denylist.sync_if_due()
    changed = local_denylist.keys_changed
    if changed != _keys_changed_seen:
        _keys_changed_seen = changed
        key_cache.expire()


def _issuer(request: HttpRequest) -> str | None:
    if authflows_settings.ISSUER:
        return authflows_settings.ISSUER
    try:
        return issuer_for(request)
    except NoReverseMatch:  # an API project without the server's URLs must set AUTHFLOWS['ISSUER']
        return None


class _Config(NamedTuple):
    """The settings every protected request reads, taken once (until ``AUTHFLOWS`` changes)."""

    audience: str | None
    issuer: str | None
    check_revocation: bool


_config: _Config | None = None


def _load_config() -> _Config:
    global _config
    _config = _Config(authflows_settings.AUDIENCE, authflows_settings.ISSUER, authflows_settings.CHECK_REVOCATION)
    return _config


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    global _config
    if setting == "AUTHFLOWS":
        _config = None


setting_changed.connect(_settings_changed)


def authenticate_bearer(request: HttpRequest, audience: str | None = None, *, allow_body: bool = False) -> BearerResult:
    """Validate the request's bearer token once; the result is memoised on the request. ``allow_body``
    also accepts the token in a form body (RFC 6750 §2.2), for /userinfo only."""
    memo: dict[tuple[str | None, bool], BearerResult] | None = request.__dict__.get(_ATTR)
    if memo is None:
        memo = request.__dict__[_ATTR] = {}
    else:
        known = memo.get((audience, allow_body))
        if known is not None:
            return known
    meta = request.META
    header = meta.get("HTTP_AUTHORIZATION")
    in_header = header is not None and not allow_body and not meta.get("QUERY_STRING")
    if in_header:
        accepted = verified._accepted.get(header)  # type: ignore[arg-type]
        if accepted is not None:  # found valid before: what can have changed since (see VerifiedTokens)
            config = _config or _load_config()
            if accepted.audience == (audience if audience is not None else config.audience) and accepted.issuer == (
                config.issuer or _issuer(request)
            ):
                if config.check_revocation:
                    _sync_revocations()
                now = time.time()
                entry = accepted.entry
                key = key_cache.get(entry.kid)
                if (
                    key is not None
                    and key[1] is entry.key
                    and entry.exp + LEEWAY >= now
                    and accepted.nbf - LEEWAY <= now
                    and not (config.check_revocation and local_denylist.denies(accepted.checksum, entry.claims))
                ):
                    if accepted.dpop is None:
                        result = BearerResult(entry.claims)
                    else:  # RFC 9449 §7.1: this request's own proof, every time
                        token = header.partition(" ")[2].strip()  # type: ignore[union-attr]
                        result = checked(request, token, BearerResult(entry.claims, scheme="DPoP"), *accepted.dpop)
                    memo[(audience, allow_body)] = result
                    return result
            # else the full validation, which tells why (expired, key gone, revoked) or finds it valid again
    result, token, checksum = _validate(request, audience, allow_body)
    dpop_scheme = scheme_of(request) == "DPoP"
    # RFC 9449 §7: the DPoP scheme, or a DPoP-bound token (cnf) sent as a bearer token, is .dpop's to judge;
    # bind_to_proof() leaves any other result as it is.
    bound = result.error is None and result.claims.get("cnf") is not None
    remember = in_header and result.error is None and result.token_sent and checksum is not None
    remember = remember and (bound if dpop_scheme else not bound)  # a bound token goes with the DPoP scheme
    binding = None
    if remember and dpop_scheme:
        cnf = result.claims.get("cnf")
        jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
        if is_thumbprint(jkt) and token is not None:
            binding = (jkt, b64_sha256(token))
        else:  # refused by bind_to_proof below, every time: nothing to remember
            remember = False
    validated = result
    if result.token_sent and (dpop_scheme or bound):
        result = bind_to_proof(request, token, result, dpop_scheme=dpop_scheme)
    if remember and checksum is not None:
        found = verified._entries.get(checksum)
        if found is not None and found.claims is validated.claims:
            nbf = found.claims.get("nbf")
            verified.accept(
                header,  # type: ignore[arg-type]
                _Accepted(
                    found,
                    checksum,
                    validated.claims["iss"],
                    _expected_audience(audience),  # type: ignore[arg-type]
                    float(nbf) if isinstance(nbf, (int, float)) else float("-inf"),
                    binding,
                ),
            )
    memo[(audience, allow_body)] = result
    return result


def _expected_audience(audience: str | None) -> str | None:
    return audience if audience is not None else (_config or _load_config()).audience


def _validate(
    request: HttpRequest, audience: str | None, allow_body: bool
) -> tuple[BearerResult, str | None, str | None]:
    """The full validation: (result, token, the token's SHA-256 when it got that far)."""
    token, early = extract_token(request, allow_body=allow_body)
    if early is not None:
        return early, token, None
    assert token is not None  # noqa: S101 (for the type checker: extract_token gives a token or an error)
    config = _config or _load_config()
    expected = audience if audience is not None else config.audience
    issuer = config.issuer or _issuer(request)
    if expected is None:  # secure by default: never accept "any audience" (authflows.W006)
        return _fail("This API has no audience configured (AUTHFLOWS['AUDIENCE'])."), token, None
    if issuer is None:
        return _fail("This API has no issuer configured (AUTHFLOWS['ISSUER'])."), token, None
    if config.check_revocation:
        _sync_revocations()
    checksum = sha256(token.encode()).hexdigest()  # token_checksum() of an ASCII token (extract_token)
    result = verify_jwt(token, issuer=issuer, audience=expected, checksum=checksum)
    if config.check_revocation and result.error is None and local_denylist.denies(checksum, result.claims):
        result = _fail("The access token has been revoked.")
    return result, token, checksum
