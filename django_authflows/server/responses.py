"""Responses: JSON errors for the OAuth endpoints, and authorization responses by response mode."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
RESPONSE_MODES = frozenset({"query", "fragment", "form_post"})


class OAuthRedirect(HttpResponseRedirect):
    """A redirect to a client's registered URI, whatever its scheme (custom schemes for native apps)."""

    allowed_schemes = ["http", "https"]

    def __init__(self, url: str, *args: Any, **kwargs: Any) -> None:
        scheme = urlsplit(url).scheme
        if scheme:
            self.allowed_schemes = [scheme]
        super().__init__(url, *args, **kwargs)


def no_store(response: HttpResponse) -> HttpResponse:
    """RFC 6749 §5.1: an answer that may carry a token or a secret is never cached."""
    for key, value in NO_STORE.items():
        response[key] = value
    return response


def json_response(body: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    no_store(response)
    return response


def json_error(error: str, description: str | None = "", status: int = 400, **extra: Any) -> JsonResponse:
    return json_response(
        {"error": error, **({"error_description": description} if description else {}), **extra}, status=status
    )


def split_response(location: str, redirect_uri: str) -> list[tuple[str, str]]:
    """The parameters oauthlib added to ``redirect_uri`` (query for code, fragment for tokens)."""
    parts = urlsplit(location)
    if parts.fragment:
        return parse_qsl(parts.fragment, keep_blank_values=True)
    own = set(parse_qsl(urlsplit(redirect_uri).query, keep_blank_values=True))
    return [kv for kv in parse_qsl(parts.query, keep_blank_values=True) if kv not in own]


def deliver(request: Any, redirect_uri: str, params: list[tuple[str, str]], mode: str) -> HttpResponse:
    """Send an authorization response (or error) to the client in ``mode`` (OAuth 2.0 Multiple
    Response Types §2.1, Form Post Response Mode §2)."""
    if mode == "form_post":
        response: HttpResponse = TemplateResponse(
            request, "authflows/form_post.html", {"redirect_uri": redirect_uri, "params": params}
        )
        response["Cache-Control"] = "no-store"
        return response
    parts = urlsplit(redirect_uri)
    if mode == "fragment":
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, urlencode(params)))
    else:
        query = parse_qsl(parts.query, keep_blank_values=True) + params
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    response = OAuthRedirect(url)
    response["Cache-Control"] = "no-store"
    return response
