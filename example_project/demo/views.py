"""Demo pages: the home page and the single-page app's shell (its logic is in static/demo/spa.js)."""
from __future__ import annotations

from urllib.parse import urlencode

import shlex
from functools import wraps
from typing import Any, Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from django_authflows.models import Application

from . import rp
from .secrets import FAPI_CLIENT_ID, demo_secret, fapi_key_path
from .seed import PASSWORD, USERNAME

SPA_CLIENT_ID = "demo-spa"
SPA_SCOPE = "openid profile email offline_access read:messages"  # read:messages: /api/private-scoped


def content_security_policy(with_issuer: bool = False) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """No inline script anywhere in the demo: scripts, styles and fetches only from this site (and the issuer)."""
    policy = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'{connect}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            extra = f" {origin(rp.issuer(request))}" if with_issuer else ""  # the SPA fetches tokens and keys
            response.setdefault("Content-Security-Policy", policy.format(connect=extra))
            response.setdefault("Cache-Control", "no-store")
            return response
        return wrapper
    return decorator


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


#: Where `authflows demo ...` goes without --base-url (make demo's default); the page adds --base-url otherwise.
CLI_DEFAULT_BASE = "http://127.0.0.1:8000/"
M2M_CLIENT_ID, DEVICE_CLIENT_ID = "demo-m2m", "demo-device"


def demo_commands(issuer: str) -> dict[str, str]:
    """The terminal commands of the two flows without a browser, exactly as they work against ``issuer``.

    The M2M demo secret is a published demo credential (like the demo password): printed in development
    (DEBUG) only; otherwise the page says where to find it."""
    base_url = "" if issuer.rstrip("/") == CLI_DEFAULT_BASE.rstrip("/") else f" --base-url {issuer.rstrip('/')}"
    secret = demo_secret(M2M_CLIENT_ID) if settings.DEBUG else "SECRET_PRINTED_BY_SEED_DEMO"
    cli = ".venv/bin/python manage.py authflows demo"
    return {
        "m2m": f"{cli} m2m --client-id {M2M_CLIENT_ID} --client-secret {secret}{base_url}",
        "device": f"{cli} device --client-id {DEVICE_CLIENT_ID}{base_url}",
        "fapi": f"{cli} dpop --client-id {FAPI_CLIENT_ID} --key-file {shlex.quote(str(fapi_key_path()))}{base_url}",
    }


@require_safe
@content_security_policy()
def home(request: HttpRequest) -> HttpResponse:
    issuer = rp.issuer(request)
    commands = demo_commands(issuer)
    flows = [
        {"name": "Authorization Code", "client_id": "demo-regular-web-app", "url": reverse("demo:regular-result"),
         "what": "A server-side web app exchanges the code for tokens with its client secret."},
        {"name": "Authorization Code with PKCE", "client_id": "demo-spa", "url": reverse("demo:spa"),
         "what": "A single-page app in the browser proves it started the login with a PKCE S256 code verifier."},
        {"name": "Implicit with form_post", "client_id": "demo-implicit", "url": reverse("demo:implicit-start"),
         "what": "The authorization server posts the ID token and access token straight to the app's callback."},
        {"name": "Client Credentials", "client_id": M2M_CLIENT_ID, "url": None, "slug": "m2m",
         "what": "A machine-to-machine client authenticates with its secret; no user is involved.",
         "command": commands["m2m"], "secret_hidden": not settings.DEBUG},
        {"name": "Device Authorization", "client_id": DEVICE_CLIENT_ID, "url": None, "slug": "device",
         "what": "A device without a browser shows a code that you confirm on another screen.",
         "command": commands["device"]},
        {"name": "FAPI 2.0: private_key_jwt + DPoP", "client_id": FAPI_CLIENT_ID, "url": None, "slug": "fapi",
         "what": "No shared secret and no bearer token: the client signs a short-lived assertion with its own ES256 "
                 "key (private_key_jwt; seed_demo generated the pair, registered the public key and wrote the "
                 "private one beside the demo database, readable by you only), and every token is bound to a "
                 "DPoP key (RFC 9449), so the API refuses it without a fresh proof by that key. The application "
                 "requires DPoP and pushed authorization requests (PAR), as the FAPI 2.0 Security Profile does.",
         "command": commands["fapi"]},
    ]
    client_ids = [f["client_id"] for f in flows]
    seeded = set(Application.objects.filter(client_id__in=client_ids).values_list("client_id", flat=True))
    return render(request, "demo/home.html", {
        "flows": flows, "missing": [c for c in client_ids if c not in seeded], "username": USERNAME,
        "password": PASSWORD, "issuer": issuer, "audience": settings.EXAMPLE_API_AUDIENCE,
    })


@require_safe
@content_security_policy(with_issuer=True)
def spa(request: HttpRequest) -> HttpResponse:
    """The SPA's HTML; configuration travels in a JSON script tag, code in spa.js (no inline script)."""
    issuer = rp.issuer(request)
    try:
        meta = rp.discovery(issuer)
    except rp.TokenError as exc:
        return render(request, "demo/result.html", {"title": "Single-page app", "error": "server_unreachable",
                                                    "error_description": str(exc)}, status=502)
    config = {
        "clientId": SPA_CLIENT_ID, "audience": settings.EXAMPLE_API_AUDIENCE, "scope": SPA_SCOPE,
        "issuer": meta.get("issuer", issuer), "authorizationEndpoint": meta["authorization_endpoint"],
        "tokenEndpoint": meta["token_endpoint"], "jwksUri": meta["jwks_uri"],
        "redirectUri": request.build_absolute_uri(reverse("demo:spa")),
        "apiUrl": request.build_absolute_uri("/") + rp.API_PATH,
    }
    # RP-initiated logout back to this page: the server ends the session and tells the other apps used in it
    # through the back-channel (the Regular web app signs out too).
    spa_logout_url = meta.get("end_session_endpoint", "") + "?" + urlencode(
        {"client_id": SPA_CLIENT_ID, "post_logout_redirect_uri": config["redirectUri"]})
    return render(request, "demo/spa.html", {"config": config, "client_id": SPA_CLIENT_ID, "flow": "spa",
                                             "spa_logout_url": spa_logout_url})
