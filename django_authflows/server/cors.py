"""CORS (Fetch standard §3.2) for the endpoints browsers call, for the origins registered on the application
the request names (django-cors-headers' ``check_request_enabled`` signal)."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest

#: Endpoints where a request names an application: the ``client_id`` of the body or the Basic header.
CLIENT_PATHS = re.compile(r"(^|/)(oauth/token|oauth/revoke|oauth/device/code)/?$")
USERINFO_PATH = re.compile(r"(^|/)userinfo/?$")
#: Public documents: any origin registered on some application may read them.
PUBLIC_PATHS = re.compile(r"(^|/)\.well-known/[\w.-]+/?$")
_DECISION = "_authflows_cors"


def _plausible_origin(origin: str) -> bool:
    return bool(origin) and len(origin) <= 255 and origin.isprintable()


def origin_registered(origin: str) -> bool:
    """Whether ``origin`` is registered on any application."""
    from oauth2_provider.models import get_application_model

    if not _plausible_origin(origin):
        return False
    candidates = get_application_model().objects.filter(allowed_origins__contains=origin)
    return any(origin in app.allowed_origins.split() for app in candidates.only("allowed_origins"))


def named_client_id(request: HttpRequest) -> str | None:
    """The one client_id this request names (Basic header and body must agree), or None."""
    from . import client_auth
    from .context import context
    from .core import BodyError, get_core

    try:  # memoised on the request: the view reads the same parse
        params = dict(get_core().extract_body(request))
    except BodyError:  # the view answers the malformed body; nothing names an application
        return None
    creds = client_auth.credentials(context(request, params))  # the view reads the same credentials
    return creds.client_id if creds.client_id and creds.problem is None else None


def token_client_id(request: HttpRequest) -> str | None:
    """/userinfo: the application a valid access token was issued to (``client_id``, RFC 9068 §2.2)."""
    from ..issuer import issuer_for
    from ..resource.bearer import authenticate_bearer

    # The same audience as the view, so the validation is memoised on the request and runs once.
    result = authenticate_bearer(request, audience=issuer_for(request) + "userinfo", allow_body=True)
    if not result.valid:
        return None
    client_id = result.claims.get("client_id") or result.claims.get("azp")
    return client_id if isinstance(client_id, str) else None


def origin_allowed_for(origin: str, client_id: str | None) -> bool:
    from .. import registry

    if not client_id or len(client_id) > 255 or "\x00" in client_id or not _plausible_origin(origin):
        return False
    app = registry.application(client_id)
    return app is not None and origin in (app.allowed_origins or "").split()


def is_preflight(request: HttpRequest) -> bool:
    return request.method == "OPTIONS" and "access-control-request-method" in request.headers


def decide(request: HttpRequest) -> bool:
    origin = request.headers.get("Origin", "")
    if not origin:  # not a cross-origin request: nothing to parse or look up
        return False
    path = request.path
    if PUBLIC_PATHS.search(path):
        return origin_registered(origin)
    client_path, userinfo = CLIENT_PATHS.search(path), USERINFO_PATH.search(path)
    if not (client_path or userinfo):
        return False
    if is_preflight(request):
        # A preflight carries no body and no credentials, so it cannot name an application: it passes for
        # an origin registered on any application. That lets the browser send the actual request and
        # nothing more: the actual request is checked against the application it names, and without
        # Access-Control-Allow-Origin on that response the browser hides it from the page (and the request
        # itself is one any client outside a browser could send anyway).
        return origin_registered(origin)
    return origin_allowed_for(origin, token_client_id(request) if userinfo else named_client_id(request))


def cors_allow_registered_origins(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    """django-cors-headers asks before the view and again when it adds the headers: decide once."""
    decision = request.__dict__.get(_DECISION)
    if decision is None:
        decision = request.__dict__[_DECISION] = decide(request)
    return decision


def connect() -> None:
    from corsheaders.signals import check_request_enabled

    check_request_enabled.connect(cors_allow_registered_origins, dispatch_uid="authflows_cors")
