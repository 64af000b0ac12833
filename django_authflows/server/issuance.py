"""Issue tokens outside oauthlib's grant classes (the device grant) with the same machinery."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from oauthlib.common import Request

from ..issuer import ISSUER_HEADER
from .context import context_of
from .core import get_core
from .jwt import sign
from .oidc import id_token_alg, id_token_claims


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: the left half of SHA-256 of the access token, base64url."""
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).decode().rstrip("=")


def issue_tokens(
    *,
    client: Any,
    user: Any,
    scopes: list[str],
    api: Any,
    session: dict[str, Any],
    issuer: str,
    grant_type: str,
    dpop_jkt: str | None = None,
) -> dict[str, Any]:
    """Access token (JWT), refresh token when allowed, ID token with ``openid``; recorded like any other."""
    server = get_core().server
    request = Request(issuer + "oauth/token", http_method="POST", headers={ISSUER_HEADER: issuer})
    request.client, request.client_id, request.user = client, client.client_id, user
    request.scopes, request.grant_type = list(scopes), grant_type
    ctx = context_of(request)
    ctx.api, ctx.api_resolved = api, True
    request.resource = [api.identifier] if api is not None else []  # type: ignore[attr-defined]  # DOT's
    ctx.session = session
    ctx.dpop_jkt = dpop_jkt  # RFC 9449 §5: bound to the key of the token request's proof
    token = dict(server.default_token_type.create_token(request, refresh_token=True))
    if "openid" in scopes:
        claims = id_token_claims(request, {"at_hash": at_hash(token["access_token"])})
        token["id_token"] = sign(claims, typ="JWT", alg=id_token_alg(client))
    server.request_validator.save_bearer_token(token, request)
    return token
