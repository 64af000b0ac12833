"""The issuer identifier: configured, or derived from the request (development only)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from .conf import authflows_settings

#: Header our OAuthLib core sets on the oauthlib request; it overwrites anything a client sends.
ISSUER_HEADER = "Authflows-Issuer"


def issuer_for(request: HttpRequest) -> str:
    """``AUTHFLOWS['ISSUER']`` (with its trailing slash, as Auth0 emits it), else the URL our endpoints
    are mounted at, built from the request."""
    configured = authflows_settings.ISSUER
    if configured:
        return configured
    authorize = reverse("authflows:authorize")
    return request.build_absolute_uri(authorize[: -len("authorize")])


def endpoint(issuer: str, name: str) -> str:
    """Absolute URL of one of our endpoints, relative to the issuer."""
    path = reverse(f"authflows:{name}")
    root = reverse("authflows:authorize")[: -len("authorize")]
    return issuer + path[len(root) :]
