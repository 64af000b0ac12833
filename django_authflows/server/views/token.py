"""/oauth/token (RFC 6749 §3.2): form or JSON bodies, JSON answers, no caching."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ...presets import DEVICE_CODE
from ..core import BodyError, get_core
from ..flows.device.polling import poll
from ..responses import NO_STORE, json_error


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(View):
    """The token endpoint; every answer, errors included, is JSON."""

    http_method_names = ["post", "options"]

    def http_method_not_allowed(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = json_error("invalid_request", "Use POST.", status=405)
        response["Allow"] = "POST"
        return response

    def post(self, request: HttpRequest) -> HttpResponse:
        core = get_core()
        try:
            params = core.extract_body(request)
        except BodyError as exc:
            return json_error("invalid_request", str(exc))
        if dict(params).get("grant_type") == DEVICE_CODE:
            return poll(request, dict(params))
        _uri, headers, body, status = core.create_token_response(request)
        response = HttpResponse(body, status=status, content_type="application/json")
        for key, value in {**headers, **NO_STORE}.items():
            if key.lower() not in {"content-type", "location"}:
                response[key] = value
        return response
