"""/oauth/introspect (RFC 7662): for the token's own client, or clients allowed to introspect."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from ...issuer import issuer_for
from ...models import TokenFamily
from ...resource.bearer import verify_jwt
from ...revocation import is_denied, token_checksum
from ..endpoint import ClientEndpoint
from ..responses import json_error, json_response

INACTIVE = {"active": False}


class IntrospectView(ClientEndpoint):
    """``active: false`` for anything expired, revoked, unknown or not the caller's to see. POST only
    (RFC 7662 §2.1): tokens never travel in a URL."""

    def post(self, request: HttpRequest) -> HttpResponse:
        checked = self.authenticated(request)
        if isinstance(checked, HttpResponse):
            return checked
        params, client = checked
        if client.client_type != "confidential":
            return json_error("invalid_client", "Client authentication failed.", status=401)
        token = params.get("token")
        if not token:
            return json_error("invalid_request", "token is required.")
        # RFC 7662 §2.1: token_type_hint is not read; both types are always searched, so no hint can mislead.
        body = self.access_token(request, token, client) or self.refresh_token(token, client) or INACTIVE
        return json_response(body)

    @staticmethod
    def allowed(caller: Any, owner_id: int) -> bool:
        return caller.can_introspect or caller.pk == owner_id

    def access_token(self, request: HttpRequest, token: str, caller: Any) -> dict[str, Any] | None:
        if token.count(".") != 2:
            return None
        result = verify_jwt(token, issuer=issuer_for(request), audience=None)
        if not result.valid or is_denied(token):
            return None
        record = (
            get_access_token_model()
            .objects.filter(token_checksum=token_checksum(token))
            .select_related("application")
            .first()
        )
        if record is None or record.is_expired() or not self.allowed(caller, record.application_id):
            return None
        claims = result.claims
        body = {
            "active": True,
            "token_type": "Bearer",
            "scope": claims.get("scope", ""),
            "client_id": claims.get("client_id"),
            "sub": claims.get("sub"),
            "aud": claims.get("aud"),
            "iss": claims.get("iss"),
            "exp": claims.get("exp"),
            "iat": claims.get("iat"),
            "jti": claims.get("jti"),
            "username": record.user.get_username() if record.user else None,
        }
        cnf = claims.get("cnf")
        if isinstance(cnf, dict) and isinstance(cnf.get("jkt"), str):  # RFC 9449 §6.2: the key the token is bound to
            body["token_type"] = "DPoP"
            body["cnf"] = {"jkt": cnf["jkt"]}
        return body

    def refresh_token(self, token: str, caller: Any) -> dict[str, Any] | None:
        rt = (
            get_refresh_token_model()
            .objects.filter(token_checksum=token_checksum(token), revoked__isnull=True)
            .select_related("application", "access_token")
            .first()
        )
        if rt is None or not self.allowed(caller, rt.application_id):
            return None
        family = TokenFamily.objects.filter(family=rt.token_family, revoked__isnull=True).first()
        if family is None:
            return None
        from ...conf import authflows_settings

        lifetimes = authflows_settings.LIFETIMES
        exp = min(
            family.created + timedelta(seconds=lifetimes["refresh_token_absolute"]),
            rt.created + timedelta(seconds=lifetimes["refresh_token_idle"]),
        )
        if exp <= timezone.now():
            return None
        return {
            "active": True,
            "token_type": "refresh_token",
            "client_id": rt.application.client_id,
            "scope": rt.access_token.scope if rt.access_token else "",
            "exp": int(exp.timestamp()),
            "iat": int(rt.created.timestamp()),
            "username": rt.user.get_username(),
        }
