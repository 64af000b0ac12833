"""/userinfo (OIDC Core §5.3): the claims an access token with ``openid`` allows."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ...conf import authflows_settings
from ...issuer import issuer_for
from ...resource.bearer import authenticate_bearer
from ...resource.errors import challenge
from ..oidc_request import USERINFO_CLAIMS, requested_claims
from ..responses import json_error
from ..sensitive import keep_out_of_reports


def bearer_error(error: str | None, description: str, status: int = 401, scheme: str = "Bearer") -> HttpResponse:
    """RFC 6750 §3 (RFC 9449 §7.1 for a DPoP-bound token): the challenge in the scheme the client used."""
    response = json_error(error or "invalid_token", description, status=status)
    response["WWW-Authenticate"] = challenge(error, description if error else "", scheme=scheme, realm="userinfo")
    return response


@keep_out_of_reports  # codes, secrets, verifiers, passwords and tokens
@method_decorator(csrf_exempt, name="dispatch")
class UserInfoView(View):
    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest) -> HttpResponse:
        # OIDC Core §5.3.1 / RFC 6750 §2.2: the token may come in a form body here (never in the URL).
        result = authenticate_bearer(request, audience=issuer_for(request) + "userinfo", allow_body=True)
        if not result.token_sent:
            return bearer_error(None, "An access token is required.")
        if not result.valid:
            return bearer_error(
                result.error,
                result.description,
                status=400 if result.error == "invalid_request" else 401,
                scheme=result.scheme,
            )
        if "openid" not in result.scopes:
            return bearer_error(
                "insufficient_scope", "The access token does not carry the openid scope.", 403, scheme=result.scheme
            )
        adapter = authflows_settings.ADAPTER()
        user = adapter.get_user_by_subject(str(result.claims.get("sub", "")))
        if user is None or not user.is_active:
            return bearer_error("invalid_token", "The user of this token no longer exists.")
        claims = {
            **requested_claims(adapter, user, result.claims.get(USERINFO_CLAIMS) or []),
            **adapter.get_user_claims(user, set(result.scopes)),
            "sub": adapter.get_subject(user),
        }
        response = JsonResponse(claims)
        response["Cache-Control"] = "no-store"
        return response

    post = get
