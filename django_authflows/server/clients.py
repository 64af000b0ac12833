"""Client authentication (RFC 6749 §2.3.1): client_secret_basic, client_secret_post and none."""
from __future__ import annotations

import base64
import binascii
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote_plus

from oauthlib.common import Request
from oauth2_provider.oauth2_validators import OAuth2Validator

from .. import audit, hashing, registry

# Verified against when the client_id is unknown, so that an unknown client and a wrong secret
# cost the same time (no client enumeration).
_DUMMY_HASH = hashing.PREFIX + "0" * 64

#: True once this request's failed client authentication has its audit line, so that the token
#: endpoint does not write a second line for the same refusal.
failure_logged: ContextVar[bool] = ContextVar("authflows_client_failure_logged", default=False)
#: The token endpoint authenticates a client that presents a secret before oauthlib's pipeline (to refuse a
#: wrong one cheaply); when oauthlib asks again about the same credentials of the same request, this is
#: the answer: (what was presented, the application, the method).
authenticated_early: ContextVar[tuple[tuple[str, Any, Any], Any, str] | None] = ContextVar(
    "authflows_client_authenticated_early", default=None)


def presented_credentials(request: Request) -> tuple[str, Any, Any]:
    return (request.headers.get("HTTP_AUTHORIZATION") or "", request.client_id,
            getattr(request, "client_secret", None))


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(client_id, client_secret) from an ``Authorization: Basic`` header, form-decoded (RFC 6749
    §2.3.1), or None when the header is absent or malformed."""
    return basic_credentials_from_header(request.headers.get("HTTP_AUTHORIZATION") or "")


def presents_secret(authorization: str, client_secret: str | None) -> bool:
    """Whether a token request authenticates with a secret (Basic, or ``client_secret`` in the body):
    such a client must authenticate, whatever its type."""
    return basic_credentials_from_header(authorization) is not None or bool(client_secret)


def basic_credentials_from_header(auth: str) -> tuple[str, str] | None:
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if "\x00" in client_id or "\x00" in secret or len(client_id) > 255:
        return None
    return client_id, secret


def record_failed_authentication(client_id: str, ip: str) -> None:
    from .throttle import record_failed_authentication as record

    record(client_id, ip)


class ClientAuthenticationMixin(OAuth2Validator):
    """Authenticates confidential clients with the fast keyed hash, in constant time."""

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        early = authenticated_early.get()
        if early is not None and early[0] == presented_credentials(request):
            request.client, request.client_id, request.authflows_auth_method = early[1], early[1].client_id, early[2]
            return True
        basic = basic_credentials(request)
        body_secret = getattr(request, "client_secret", None)
        if basic is not None:
            if body_secret is not None:  # RFC 6749 §2.3: one authentication method per request
                return False
            client_id, secret = basic
            if request.client_id and request.client_id != client_id:
                return False
            request.client_id = client_id
            request.authflows_auth_method = "client_secret_basic"
        else:
            client_id, secret = request.client_id, body_secret
            request.authflows_auth_method = "client_secret_post"
        if not client_id or not secret:
            return False
        app = self._load_application(client_id, request)
        stored = app.client_secret if app is not None and app.client_type == "confidential" else _DUMMY_HASH
        ok, upgrade = hashing.verify_client_secret(secret, stored or _DUMMY_HASH)
        if not ok or app is None or app.client_type != "confidential":
            ip = request.headers.get("REMOTE_ADDR", "")
            audit.event("client_authentication_failed", client_id=client_id[:100], ip=ip,
                        reason="unknown_client" if app is None else "wrong_secret")
            record_failed_authentication(client_id[:100], ip)
            failure_logged.set(True)
            request.client = None
            return False
        if upgrade:
            app.client_secret = hashing.hash_client_secret(secret)
            type(app).objects.filter(pk=app.pk).update(client_secret=app.client_secret)
            registry.changed()
        return True

    def _load_application(self, client_id: str, request: Request) -> Any | None:
        """DOT's lookup (reuse ``request.client`` when it is this client, else load it, then
        ``is_usable``), from the per-process registry instead of a query on every call (see
        :mod:`django_authflows.registry`). Client ID Metadata Documents are not supported."""
        client = request.client
        if client is None or getattr(client, "client_id", None) != client_id:
            client = registry.application(client_id) if client_id and "\x00" not in client_id else None
        if client is None or not client.is_usable(request):
            request.client = None
            return None
        request.client = client
        return client

    def client_authentication_required(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        if presents_secret(request.headers.get("HTTP_AUTHORIZATION") or "", getattr(request, "client_secret", None)):
            return True
        app = self._load_application(request.client_id, request) if request.client_id else None
        return app is None or app.client_type == "confidential"

    def authenticate_client_id(self, client_id: str, request: Request, *args: Any, **kwargs: Any) -> bool:
        """Public clients (``none``): the client_id identifies, nothing authenticates."""
        if not client_id:
            return False
        app = self._load_application(client_id, request)
        return app is not None and app.client_type == "public"
