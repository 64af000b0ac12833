"""oauthlib token hooks: the RFC 9068 access-token generator, refresh tokens and lifetimes."""

from __future__ import annotations

import secrets
from typing import Any, cast

from oauthlib.common import Request

from ..conf import authflows_settings
from ..issuer import ISSUER_HEADER
from . import audience
from .context import context_of
from .jwt import access_token_claims, sign
from .oidc_request import USERINFO_CLAIMS, userinfo_claim_names


def request_issuer(request: Request) -> str:
    return request.headers[ISSUER_HEADER]


def session_info(request: Request) -> dict[str, Any]:
    """auth_time and sid of the login behind this request (set by /authorize, kept in the grant)."""
    return context_of(request).session or {}


def access_token_lifetime(request: Request) -> int:
    api = audience.api_for(request)
    if api is None:
        return authflows_settings.lifetime("userinfo_access_token")
    return api.token_lifetime or authflows_settings.lifetime("access_token")


def generate_access_token(request: Request) -> str:
    """oauthlib ``token_generator``: a JWT access token (RFC 9068, ``typ: at+jwt``)."""
    api = audience.api_for(request)
    client: Any = request.client  # authenticated by oauthlib before it asks for a token
    extra: dict[str, Any] = {}
    if request.grant_type == "client_credentials":
        subject = f"{client.client_id}@clients"
        extra["gty"] = "client-credentials"
        auth_time = None
    else:
        subject = authflows_settings.ADAPTER().get_subject(request.user)
        auth_time = session_info(request).get("auth_time")
        asked = userinfo_claim_names(getattr(request, "claims", None))
        if asked and "openid" in (request.scopes or []):  # OIDC Core §5.5: for /userinfo, which reads only this token
            extra[USERINFO_CLAIMS] = asked
    jkt = context_of(request).dpop_jkt
    if jkt:  # RFC 9449 §6.1: the access token is bound to the DPoP proof's key
        extra["cnf"] = {"jkt": jkt}
    claims = access_token_claims(
        issuer=request_issuer(request),
        subject=subject,
        client_id=client.client_id,
        audience=api.identifier if api else None,
        scopes=list(request.scopes or []),
        lifetime=cast(int, request.expires_in),  # an int: oauthlib set it from token_expires_in
        auth_time=auth_time,
        extra=extra,
    )
    context_of(request).jti = claims["jti"]
    return sign(claims, typ="at+jwt", alg=api.signing_alg if api else None)


def client_credentials_token(
    *, issuer: str, client_id: str, api: Any, scopes: list[str], lifetime: int, jkt: str | None
) -> tuple[str, str]:
    """(token, jti): the access token :func:`generate_access_token` makes for the client-credentials grant,
    made without an oauthlib request (the token endpoint's lean path)."""
    extra: dict[str, Any] = {"gty": "client-credentials"}
    if jkt:  # RFC 9449 §6.1: the access token is bound to the DPoP proof's key
        extra["cnf"] = {"jkt": jkt}
    claims = access_token_claims(
        issuer=issuer,
        subject=f"{client_id}@clients",
        client_id=client_id,
        audience=api.identifier,
        scopes=scopes,
        lifetime=lifetime,
        extra=extra,
    )
    return sign(claims, typ="at+jwt", alg=api.signing_alg), claims["jti"]


def generate_refresh_token(request: Request) -> str:
    """Opaque, 256 bits; stored only as a hash (DOT's RFC 9700 token storage)."""
    return secrets.token_urlsafe(32)
