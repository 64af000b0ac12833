"""OpenID Connect: ID tokens (OIDC Core §2) and the claims the granted scopes allow."""

from __future__ import annotations

import time
from typing import Any

from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request

from .. import presets
from ..conf import authflows_settings
from .context import context_of
from .jwt import sign
from .oidc_request import requested, requested_claims
from .records import save_new
from .tokens import request_issuer, session_info

#: auth0-spa-js verifies RS256 ID tokens only, so ID tokens are RS256 whatever an API uses...
ID_TOKEN_ALG = "RS256"
#: ...except for FAPI 2.0 applications (FAPI 2.0 SP §5.4.1: PS256, ES256 or EdDSA): signed PS256 with an RSA key of
#: their own, published in the JWKS with its own kid and alg.
ID_TOKEN_ALGS = (ID_TOKEN_ALG, presets.FAPI.id_token_alg)


def id_token_alg(client: Any) -> str:
    """The algorithm that signs ``client``'s ID tokens."""
    return presets.FAPI.id_token_alg if getattr(client, "fapi", False) else ID_TOKEN_ALG


def id_token_claims(request: Request, base: dict[str, Any]) -> dict[str, Any]:
    adapter = authflows_settings.ADAPTER()
    now = int(time.time())
    session = session_info(request)
    client: Any = request.client  # the client the code or refresh token was issued to
    claims = {
        **adapter.get_user_claims(request.user, set(request.scopes or [])),
        # OIDC Core §5.5: claims asked for the ID token by the claims parameter (stored with the code).
        **requested_claims(adapter, request.user, list(requested(getattr(request, "claims", None), "id_token"))),
        **base,  # aud, iat, nonce, at_hash from oauthlib
        "iss": request_issuer(request),
        "sub": adapter.get_subject(request.user),
        "aud": client.client_id,
        "iat": now,
        "exp": now + authflows_settings.lifetime("id_token"),
        "auth_time": session.get("auth_time", now),
    }
    if session.get("sid"):
        claims["sid"] = session["sid"]
    if getattr(request, "nonce", None) and "nonce" not in claims:
        claims["nonce"] = request.nonce  # oauthlib #746: the code flow forgets the nonce
    return claims


class IDTokenMixin(OAuth2Validator):
    """Signs ID tokens with our keys; prompt, max_age and consent are decided by the /authorize view."""

    def finalize_id_token(
        self, id_token: dict[str, Any], token: dict[str, Any], token_handler: Any, request: Request
    ) -> str:
        return sign(id_token_claims(request, id_token), typ="JWT", alg=id_token_alg(request.client))

    def validate_silent_login(self, request: Request) -> bool:
        return True

    def validate_silent_authorization(self, request: Request) -> bool:
        return True

    def validate_user_match(self, id_token_hint: str, scopes: Any, claims: Any, request: Request) -> bool:
        return True

    def refresh_id_token(self, request: Request) -> bool:
        return True

    def _create_access_token(
        self, expires: Any, request: Request, token: dict[str, Any], source_refresh_token: Any = None
    ) -> Any:
        # DOT would parse the ID token with its own single key; ours are verified where they are used.
        # DOT's _create_access_token, its row written by records.save_new.
        record = get_access_token_model()(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=None,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),  # RFC 8707
        )
        self._set_token_value(record, token["access_token"])
        save_new(record)
        context_of(request).access_token_id = record.pk
        return record
