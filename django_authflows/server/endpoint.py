"""What the client-facing JSON endpoints share: POST only, CSRF-exempt, client authentication."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import client_auth, throttle
from .context import context
from .core import BodyError, get_core
from .responses import json_error
from .sensitive import keep_out_of_reports


@keep_out_of_reports  # codes, secrets, verifiers, passwords and tokens
@method_decorator(csrf_exempt, name="dispatch")
class ClientEndpoint(View):
    """A JSON endpoint that clients POST to; every answer, errors included, is JSON."""

    http_method_names = ["post", "options"]

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = json_error("invalid_request", "Use POST.", status=405)
        response["Allow"] = "POST"
        return response

    def refuse_before_authentication(
        self, request: HttpRequest, pairs: list[tuple[str, str]], params: dict[str, str]
    ) -> HttpResponse | None:
        """An endpoint's own checks of a well-formed body, made before any rate limit or client lookup."""
        return None

    def authenticated(self, request: HttpRequest) -> tuple[dict[str, str], Any] | HttpResponse:
        """(params, client) for a well-formed request from an authenticated client, else the error."""
        try:
            pairs = get_core().extract_body(request)  # memoised: the CORS check may have parsed it
        except BodyError as exc:
            return json_error("invalid_request", str(exc))
        params = dict(pairs)
        refused = self.refuse_before_authentication(request, pairs, params)
        if refused is not None:
            return refused
        ctx = context(request, params)
        limited = throttle.refuse_failing(ctx, client_auth.credentials(ctx).client_id)
        if limited is not None:
            return limited
        auth = client_auth.authenticate(ctx)
        if not auth.ok:
            return client_auth.refusal(ctx)
        return params, auth.client
