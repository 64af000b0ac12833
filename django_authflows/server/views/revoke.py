"""/oauth/revoke (RFC 7009): refresh tokens revoke their family; access tokens are deny-listed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from ... import audit
from ...revocation import revoke_access_tokens, revoke_family, token_checksum
from ..endpoint import ClientEndpoint
from ..responses import json_error, no_store


class RevokeView(ClientEndpoint):
    """Always 200 for a token that is unknown or another client's (RFC 7009 §2.2)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        checked = self.authenticated(request)
        if isinstance(checked, HttpResponse):
            return checked
        params, client = checked
        token = params.get("token")
        if not token:
            return json_error("invalid_request", "token is required.")
        # RFC 7009 §2.1: token_type_hint is only a hint; an unknown one is ignored and every type is searched.
        checksum = token_checksum(token)
        refresh = (
            get_refresh_token_model()
            .objects.filter(token_checksum=checksum, application=client)
            .order_by("-created")
            .first()
        )
        if refresh is not None:
            revoke_family(refresh.token_family)
            revoked = "refresh_token"
        else:
            count = revoke_access_tokens(
                get_access_token_model().objects.filter(token_checksum=checksum, application=client)
            )
            revoked = "access_token" if count else "unknown"
        audit.event("token_revoked", client_id=client.client_id, kind=revoked)
        return no_store(HttpResponse(status=200))
