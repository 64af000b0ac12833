"""Client authentication (RFC 6749 §2.3): who is this client and how did it authenticate, decided once per request.

Every endpoint that clients call (token, device authorization, revocation, introspection) and oauthlib's
validator hooks ask :func:`authenticate`, which parses the credentials once, looks the client up once, writes
one audit line and counts one failure. The methods are ``client_secret_basic``, ``client_secret_post``,
``private_key_jwt`` (RFC 7523 §2.2, OIDC Core §9; the assertion's rules are in :mod:`.client_assertion`) and
``none``; each is one branch of :func:`parse_credentials` and of :func:`_verify`. The application's registered
method decides: a client registered with keys cannot use a secret, nor one with a secret an assertion.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from django.http import JsonResponse
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request

from .. import audit, hashing, presets, registry
from . import client_assertion, throttle
from .context import RequestContext, context_of
from .responses import json_error

BASIC, POST, NONE = "client_secret_basic", "client_secret_post", "none"
PRIVATE_KEY_JWT = presets.PRIVATE_KEY_JWT
SECRET_METHODS = frozenset({BASIC, POST})
#: The methods that authenticate a confidential client (a secret or a key).
AUTHENTICATED_METHODS = SECRET_METHODS | {PRIVATE_KEY_JWT}
#: DOT's ``client_id`` column holds 100 characters: a longer one names no client, and is never looked up.
MAX_CLIENT_ID = 100
REALM = 'Basic realm="authflows", charset="UTF-8"'
FAILED = "Client authentication failed."

# Verified against when the client_id is unknown, so that an unknown client and a wrong secret
# cost the same time (no client enumeration).
_DUMMY_HASH = hashing.PREFIX + "0" * 64


@dataclass(frozen=True)
class Credentials:
    """What a request presents to authenticate its client. ``method`` is "" when it names no client;
    ``problem`` says why the presentation itself is unacceptable."""

    method: str
    client_id: str
    secret: str | None = None
    problem: str | None = None
    assertion: str | None = None


@dataclass(frozen=True)
class ClientAuthentication:
    """The outcome: the application when it authenticated as its type requires, else why not."""

    credentials: Credentials
    client: Any = None
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None and self.client is not None


def _basic(authorization: str) -> tuple[str, str] | str | None:
    """(client_id, secret) from ``Authorization: Basic``, form-decoded (RFC 6749 §2.3.1); None when the
    header is not Basic; a reason when it is Basic but malformed."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "The Basic credentials are not valid base64 of UTF-8 text."
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        return "The Basic credentials must be client_id:client_secret."
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if "\x00" in client_id or "\x00" in secret:
        return "The Basic credentials must not contain NUL characters."
    return client_id, secret


def _assertion(body_id: str, params: dict[str, str], other_method: bool) -> Credentials:
    """private_key_jwt (RFC 7521 §4.2): the client is the assertion's ``sub``; client_id, if sent, must match."""
    assertion_type, assertion = params.get("client_assertion_type"), params.get("client_assertion") or ""
    if other_method:  # RFC 6749 §2.3: one authentication method per request
        return Credentials(PRIVATE_KEY_JWT, body_id, problem="Use one client authentication method per request.")
    if assertion_type != client_assertion.ASSERTION_TYPE:
        return Credentials(
            PRIVATE_KEY_JWT, body_id, problem=f"client_assertion_type must be {client_assertion.ASSERTION_TYPE}."
        )
    subject = client_assertion.unverified_subject(assertion)
    if subject is None:
        return Credentials(
            PRIVATE_KEY_JWT,
            body_id,
            problem="client_assertion must be a signed JWT naming its client in sub (RFC 7523 §3).",
        )
    if body_id and body_id != subject:
        return Credentials(PRIVATE_KEY_JWT, body_id, problem="client_id differs from the client assertion's sub.")
    return Credentials(PRIVATE_KEY_JWT, subject, assertion=assertion)


def parse_credentials(authorization: str, params: dict[str, str]) -> Credentials:
    body_id, body_secret = params.get("client_id") or "", params.get("client_secret")
    basic = _basic(authorization)
    if "client_assertion" in params or "client_assertion_type" in params:
        return _assertion(body_id, params, basic is not None or body_secret is not None)
    if isinstance(basic, str):
        return Credentials(BASIC, body_id, problem=basic)
    if basic is not None:
        client_id, secret = basic
        if body_secret is not None:  # RFC 6749 §2.3: one authentication method per request
            return Credentials(BASIC, client_id, problem="Use one client authentication method per request.")
        if body_id and body_id != client_id:
            return Credentials(BASIC, client_id, problem="client_id differs from the Basic credentials.")
        return Credentials(BASIC, client_id, secret)
    if body_secret is not None:
        return Credentials(POST, body_id, body_secret)
    return Credentials(NONE if body_id else "", body_id)


def credentials(ctx: RequestContext) -> Credentials:
    if ctx.credentials is None:
        ctx.credentials = parse_credentials(ctx.authorization, ctx.params)
    return ctx.credentials


def lookup(client_id: str) -> Any | None:
    """The application (a per-process copy, see :mod:`django_authflows.registry`), or None. Over-long or
    NUL-carrying client_ids are never looked up, so they are never kept either."""
    if not client_id or len(client_id) > MAX_CLIENT_ID or "\x00" in client_id:
        return None
    app = registry.application(client_id)
    return app if app is not None and app.is_usable(None) else None


def authenticate(ctx: RequestContext) -> ClientAuthentication:
    """Authenticate the client as its type requires (confidential: with its secret; public: by client_id
    alone), once per request."""
    if ctx.client_auth is None:
        ctx.client_auth = _verify(ctx, credentials(ctx))
    return ctx.client_auth


def _verify(ctx: RequestContext, creds: Credentials) -> ClientAuthentication:
    if creds.problem is not None:
        return _fail(ctx, creds, None, "malformed")
    if not creds.method:
        return ClientAuthentication(creds, failure="no_client")
    app = lookup(creds.client_id)
    if creds.method == NONE:
        if app is None:
            return _fail(ctx, creds, None, "unknown_client")
        if app.client_type != "public":  # a confidential client must prove itself; not a guess, not counted
            return ClientAuthentication(creds, failure="secret_required")
        return ClientAuthentication(creds, client=app)
    if creds.method == PRIVATE_KEY_JWT:
        if app is None:
            return _fail(ctx, creds, None, "unknown_client")
        if app.auth_method != PRIVATE_KEY_JWT:  # the registered method decides (OIDC Core §9)
            return _fail(ctx, creds, app, "wrong_method")
        reason = client_assertion.check(app, creds.assertion or "", ctx.issuer)
        return ClientAuthentication(creds, client=app) if reason is None else _fail(ctx, creds, app, reason)
    confidential = (
        app is not None and app.client_type == "confidential" and app.auth_method != PRIVATE_KEY_JWT
    )  # a client with keys has no secret to try
    stored = app.client_secret if app is not None and confidential else ""
    ok, upgrade = hashing.verify_client_secret(creds.secret or "", stored or _DUMMY_HASH)
    if app is None or not (ok and confidential and creds.secret):
        return _fail(ctx, creds, app, "unknown_client" if app is None else "wrong_secret")
    if upgrade:  # a DOT-era PBKDF2 hash: store the fast keyed hash (see hashing)
        app.client_secret = hashing.hash_client_secret(creds.secret)
        type(app).objects.filter(pk=app.pk).update(client_secret=app.client_secret)
        registry.changed()
    return ClientAuthentication(creds, client=app)


def _fail(ctx: RequestContext, creds: Credentials, app: Any, reason: str) -> ClientAuthentication:
    audit.event(
        "client_authentication_failed",
        client_id=creds.client_id[:MAX_CLIENT_ID] or None,
        ip=ctx.ip,
        method=creds.method,
        reason=reason,
    )
    ctx.failure_logged = True
    throttle.record_failure(ctx, creds.client_id if app is not None else None)
    return ClientAuthentication(creds, failure=reason)


def refusal(ctx: RequestContext) -> JsonResponse:
    """``invalid_client`` (RFC 6749 §5.2): 401, with a Basic challenge when the client used Basic."""
    creds = credentials(ctx)
    auth = ctx.client_auth
    failure = auth.failure if auth is not None else None
    description = creds.problem or (
        "client_id is required." if failure == "no_client" else client_assertion.PROBLEMS.get(failure or "", FAILED)
    )
    response = json_error("invalid_client", description, status=401)
    if creds.method == BASIC:
        response["WWW-Authenticate"] = REALM
    return response


class ClientAuthenticationMixin(OAuth2Validator):
    """oauthlib's client-authentication hooks, answered by :func:`authenticate` for the request at hand."""

    def client_authentication_required(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        creds = credentials(context_of(request))
        if creds.method != NONE or creds.problem:
            return True
        app = lookup(creds.client_id)
        return app is None or app.client_type == "confidential"

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        auth = authenticate(context_of(request))
        if not auth.ok or auth.credentials.method not in AUTHENTICATED_METHODS:
            request.client = None
            return False
        request.client, request.client_id = auth.client, auth.client.client_id
        return True

    def authenticate_client_id(self, client_id: str, request: Request, *args: Any, **kwargs: Any) -> bool:
        """Public clients (``none``): the client_id identifies, nothing authenticates."""
        auth = authenticate(context_of(request))
        if not auth.ok or auth.credentials.method != NONE or auth.client.client_id != client_id:
            request.client = None
            return False
        request.client = auth.client
        return True

    def _load_application(self, client_id: str, request: Request) -> Any | None:
        """DOT's lookup, from the per-process registry (see :func:`lookup`). Client ID Metadata Documents
        are not supported."""
        client = request.client
        if client is None or getattr(client, "client_id", None) != client_id:
            client = lookup(client_id)
        request.client = client
        return client
