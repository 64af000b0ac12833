"""/oauth/revoke (RFC 7009): refresh tokens revoke their family; access tokens are deny-listed."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from ... import audit
from ...revocation import revoke_access_tokens, revoke_family, token_checksum
from ..core import BodyError, parse_body
from ..flows.device.authorization import _authenticate
from ..responses import NO_STORE, json_error
from ..throttle import check_client


def authenticated_client(request: HttpRequest, params: dict[str, str]) -> Any:
    return _authenticate(request, params)


@method_decorator(csrf_exempt, name="dispatch")
class RevokeView(View):
    """Always 200 for a token that is unknown or another client's (RFC 7009 §2.2)."""

    http_method_names = ["post", "options"]

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return json_error("invalid_request", "Use POST.", status=405)

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            params = dict(parse_body(request))
        except BodyError as exc:
            return json_error("invalid_request", str(exc))
        limited = check_client(request, params)
        if limited is not None:
            return limited
        client = authenticated_client(request, params)
        if client is None:
            return json_error("invalid_client", "Client authentication failed.", status=401)
        token = params.get("token")
        if not token:
            return json_error("invalid_request", "token is required.")
        hint = params.get("token_type_hint")
        if hint not in (None, "access_token", "refresh_token"):
            return json_error("unsupported_token_type", "token_type_hint must be access_token or refresh_token.")
        checksum = token_checksum(token)
        refresh = (get_refresh_token_model().objects.filter(token_checksum=checksum, application=client)
                   .order_by("-created").first())
        if refresh is not None:
            revoke_family(refresh.token_family)
            revoked = "refresh_token"
        else:
            count = revoke_access_tokens(get_access_token_model().objects.filter(token_checksum=checksum,
                                                                                application=client))
            revoked = "access_token" if count else "unknown"
        audit.event("token_revoked", client_id=client.client_id, kind=revoked)
        response = HttpResponse(status=200)
        for key, value in NO_STORE.items():
            response[key] = value
        return response
