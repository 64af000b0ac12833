"""/v2/logout: Auth0's logout (returnTo + client_id) and OIDC RP-initiated logout 1.0."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import get_application_model

from ... import audit
from ...issuer import issuer_for
from ...resource.bearer import verify_jwt
from ..responses import OAuthRedirect
from ..sensitive import keep_out_of_reports
from .frames import no_framing


def _with_state(url: str, state: str | None) -> str:
    if not state:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [("state", state)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


@keep_out_of_reports  # codes, secrets, verifiers, passwords and tokens
@method_decorator([csrf_exempt, no_framing], name="dispatch")
class LogoutView(View):
    """Ends the Django session; follows only a logout URL registered on the application, else shows
    ``authflows/logged_out.html`` (context: ``refused_url``, ``error``)."""

    template_name = "authflows/logged_out.html"
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.handle(request, request.GET)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.handle(request, request.POST)

    def handle(self, request: HttpRequest, params: Any) -> HttpResponse:
        if any("\x00" in str(v) or len(str(v)) > 8192 for v in params.values()):
            logout(request)
            return TemplateResponse(
                request, self.template_name, {"error": "The logout request is malformed."}, status=400
            )
        client_id = params.get("client_id")
        target = params.get("post_logout_redirect_uri") or params.get("returnTo")
        hint = params.get("id_token_hint")
        app, error = None, None
        if hint:
            result = verify_jwt(hint, issuer=issuer_for(request), audience=None, typ="JWT", check_expiry=False)
            hinted = result.claims.get("aud") if result.valid else None
            if not isinstance(hinted, str) or (client_id and client_id != hinted):
                error = "The id_token_hint is not valid for this logout request."
            else:
                client_id = hinted
        if client_id and error is None:
            app = get_application_model().objects.filter(client_id=client_id).first()
            if app is None and target:
                error = "The client_id is not a known application."
        elif target and error is None:
            # Logout URLs are registered per application (OIDC RP-Initiated Logout §2 needs client_id or
            # id_token_hint with post_logout_redirect_uri): name what is missing, not the URL.
            error = "client_id is missing: send the application's client_id with the logout URL."
        audit.event(
            "logout",
            user_id=getattr(request.user, "pk", None),
            client_id=app.client_id if app else None,
            followed=bool(target and app is not None and target in app.logout_url_list),
        )
        logout(request)
        if target and app is not None and target in app.logout_url_list:
            state = params.get("state") if "post_logout_redirect_uri" in params else None
            return OAuthRedirect(_with_state(target, state))
        refused = target if target else None
        if refused and error is None:  # a known application, and a URL it did not register
            return TemplateResponse(
                request,
                self.template_name,
                {
                    "refused_url": refused,
                    "error": "That address is not a registered logout URL of the application, so you stay here.",
                },
                status=400 if hint else 200,
            )
        return TemplateResponse(
            request, self.template_name, {"refused_url": refused, "error": error}, status=400 if error else 200
        )
