"""What the client-facing JSON endpoints share: POST only, CSRF-exempt, client authentication."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauthlib.common import Request

from ..issuer import ISSUER_HEADER, issuer_for
from .core import BodyError, get_core, parse_body
from .responses import json_error
from .throttle import check_client
from .sensitive import keep_out_of_reports


def authenticate_request(request: HttpRequest, params: dict[str, str]) -> Any:
    """The application, authenticated as its type requires (RFC 6749 §2.3: confidential clients with
    their secret, public clients by client_id), or None."""
    validator = get_core().server.request_validator
    oauth_request = Request(request.build_absolute_uri(), http_method="POST",
                            headers={"HTTP_AUTHORIZATION": request.META.get("HTTP_AUTHORIZATION", ""),
                                     "REMOTE_ADDR": request.META.get("REMOTE_ADDR", ""),
                                     ISSUER_HEADER: issuer_for(request)})
    oauth_request.client_id = params.get("client_id")
    oauth_request.client_secret = params.get("client_secret")
    oauth_request.client = None
    if validator.client_authentication_required(oauth_request):
        ok = validator.authenticate_client(oauth_request)
    else:
        ok = validator.authenticate_client_id(oauth_request.client_id, oauth_request)
    return oauth_request.client if ok else None


@keep_out_of_reports  # codes, secrets, verifiers, passwords and tokens
@method_decorator(csrf_exempt, name="dispatch")
class ClientEndpoint(View):
    """A JSON endpoint that clients POST to; every answer, errors included, is JSON."""

    http_method_names = ["post", "options"]

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = json_error("invalid_request", "Use POST.", status=405)
        response["Allow"] = "POST"
        return response

    def refuse_before_authentication(self, request: HttpRequest, pairs: list[tuple[str, str]],
                                     params: dict[str, str]) -> HttpResponse | None:
        """An endpoint's own checks of a well-formed body, made before any rate limit or client lookup."""
        return None

    def authenticated(self, request: HttpRequest) -> tuple[dict[str, str], Any] | HttpResponse:
        """(params, client) for a well-formed request from an authenticated client, else the error."""
        try:
            pairs = parse_body(request)
        except BodyError as exc:
            return json_error("invalid_request", str(exc))
        params = dict(pairs)
        refused = self.refuse_before_authentication(request, pairs, params)
        if refused is not None:
            return refused
        limited = check_client(request, params)
        if limited is not None:
            return limited
        client = authenticate_request(request, params)
        if client is None:
            return json_error("invalid_client", "Client authentication failed.", status=401)
        return params, client
