"""RFC 6750 §3 and RFC 9449 §7.1 error responses: 401 ``invalid_token`` / 403 ``insufficient_scope``, with a
challenge."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import JsonResponse

from ..conf import authflows_settings
from ..dpop import ALGS_PARAM
from .bearer import BearerResult


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def challenge(
    error: str | None = None,
    description: str = "",
    scope: Iterable[str] = (),
    scheme: str = "Bearer",
    realm: str | None = None,
) -> str:
    """The ``WWW-Authenticate`` value; no error code when no token was sent (RFC 6750 §3.1). The DPoP
    scheme names the proof algorithms it accepts (RFC 9449 §7.1 ``algs``)."""
    parts = [f'realm="{_quote(realm or authflows_settings.AUDIENCE or "api")}"']
    if error:
        parts.append(f'error="{error}"')
        if description:
            parts.append(f'error_description="{_quote(description)}"')
    scope = " ".join(scope)
    if scope:
        parts.append(f'scope="{_quote(scope)}"')
    if scheme == "DPoP":
        parts.append(f'algs="{ALGS_PARAM}"')
    return scheme + " " + ", ".join(parts)


def error_response(result: BearerResult | None, *, required: Iterable[str] = ()) -> JsonResponse:
    """401 for a missing or bad token, 400 for a malformed request, 403 for a missing scope."""
    required = list(required)
    if result is not None and result.valid:
        description = f"The access token does not carry the scope {' '.join(required)}."
        status, error = 403, "insufficient_scope"
    elif result is None or not result.token_sent:
        response = JsonResponse(
            {"error": "unauthorized", "error_description": "An access token is required."}, status=401
        )
        response["WWW-Authenticate"] = challenge()
        return response
    else:
        description, error = result.description, result.error or "invalid_token"
        status = 400 if error == "invalid_request" else 401
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["WWW-Authenticate"] = challenge(
        error, description, required if error == "insufficient_scope" else (), scheme=result.scheme
    )
    return response
