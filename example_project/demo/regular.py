"""Regular web app: Authorization Code with a client secret, as a real relying party (authlib's Django client)."""
from __future__ import annotations

import threading
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe, require_POST

from . import backchannel, rp
from .secrets import demo_secret

CLIENT_ID = "demo-regular-web-app"
SCOPE = "openid profile email offline_access read:messages"  # read:messages: /api/private-scoped
SESSION_KEY = "demo_regular"

_lock = threading.Lock()
_clients: dict[str, Any] = {}  # issuer -> authlib client (it caches the discovery document)


def client_for(issuer: str) -> Any:
    """One authlib client per issuer, configured from the issuer's discovery document."""
    with _lock:
        if issuer not in _clients:
            oauth = OAuth()
            oauth.register(
                name="authflows", client_id=CLIENT_ID, client_secret=demo_secret(CLIENT_ID),
                server_metadata_url=rp.metadata_url(issuer),
                client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": rp.HTTP_TIMEOUT},
            )
            _clients[issuer] = oauth.create_client("authflows")
        return _clients[issuer]


def stored(request: HttpRequest) -> dict[str, Any] | None:
    """This app's login, in its own session (its cookie), which a back-channel logout can end."""
    return backchannel.store(request.COOKIES.get(backchannel.COOKIE)).get(SESSION_KEY)


def page(request: HttpRequest, *, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("result", stored(request))
    return render(request, "demo/result.html", {
        "flow": "regular", "title": "Regular web app: Authorization Code",
        "login_url": reverse("demo:regular-login"), "call_api_url": reverse("demo:regular-call-api"),
        "logout_url": reverse("demo:regular-logout"), "client_id": CLIENT_ID, **context,
    }, status=status)


@require_safe
def login(request: HttpRequest) -> HttpResponse:
    """Send the browser to /authorize (code flow; authlib adds state, nonce and a PKCE challenge)."""
    redirect_uri = request.build_absolute_uri(reverse("demo:regular-callback"))
    try:
        return client_for(rp.issuer(request)).authorize_redirect(
            request, redirect_uri, audience=settings.EXAMPLE_API_AUDIENCE)
    except Exception as exc:  # discovery unreachable: say so instead of a 500
        return page(request, status=502, error="server_unreachable", error_description=str(exc))


@require_safe
def callback(request: HttpRequest) -> HttpResponse:
    """Exchange the code (client_secret_basic), verify the tokens and keep the result in the session."""
    issuer = rp.issuer(request)
    if request.GET.get("iss") not in (None, issuer):  # RFC 9207 mix-up defence
        return page(request, status=400, error="invalid_issuer",
                    error_description=f"The response came from {request.GET['iss']!r}, not {issuer!r}.")
    if "error" in request.GET:
        return page(request, status=400, error=request.GET["error"],
                    error_description=request.GET.get("error_description", ""))
    if f"_state_authflows_{request.GET.get('state', '')}" not in request.session:
        return page(request, status=400, error="unknown_state", error_description=(
            "This browser has no pending login with that state (the session cookie was not sent, the login "
            "expired or was already completed). Start again with Log in."))
    client = client_for(issuer)
    try:
        token = client.authorize_access_token(request)
    except OAuthError as exc:
        return page(request, status=400, error=exc.error or "oauth_error", error_description=exc.description or "")
    except Exception as exc:  # network or malformed response
        return page(request, status=502, error="token_request_failed", error_description=str(exc))
    try:
        nonce = token.get("userinfo", {}).get("nonce")
        id_claims = rp.verify_id_token(token["id_token"], issuer, CLIENT_ID, nonce) if nonce else None
        if id_claims is None:
            raise rp.TokenError("The token response has no ID token.")
        access_claims = rp.verify_access_token(token["access_token"], issuer)
    except (rp.TokenError, KeyError) as exc:
        return page(request, status=400, error="invalid_token", error_description=str(exc))
    session = backchannel.store()
    session[SESSION_KEY] = {
        "token_response": summarise(token),
        "access_token": token["access_token"],
        "id_token_claims": rp.pretty(id_claims),
        "access_token_claims": rp.pretty(access_claims),
    }
    session.save()
    # The OP's session id: its back-channel logout token names it (OIDC Back-Channel Logout 1.0 §2.4).
    backchannel.remember(id_claims.get("sid"), session.session_key)
    response = HttpResponseRedirect(reverse("demo:regular-result"))
    response.set_cookie(backchannel.COOKIE, session.session_key, path=backchannel.COOKIE_PATH, httponly=True,
                        samesite="Lax", secure=request.is_secure())
    return response


def summarise(token: dict[str, Any]) -> str:
    """The token response without the token values (never show or log those)."""
    shown = {k: v for k, v in token.items() if k not in {"access_token", "id_token", "refresh_token", "userinfo"}}
    for name in ("access_token", "id_token", "refresh_token"):
        shown[name] = "(received)" if token.get(name) else "(none)"
    return rp.pretty(shown)


@require_safe
def result(request: HttpRequest) -> HttpResponse:
    return page(request)


@require_POST
def call_api(request: HttpRequest) -> HttpResponse:
    login = stored(request)
    if not login:
        return page(request, status=400, error="not_logged_in", error_description="Log in first.")
    outcome = rp.call_api(request, login["access_token"])
    return page(request, api_result=outcome, api_result_json=rp.pretty(outcome))


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Forget the demo's tokens (local logout of the relying party only)."""
    backchannel.store(request.COOKIES.get(backchannel.COOKIE)).delete()
    response = HttpResponseRedirect(reverse("demo:regular-result"))
    response.delete_cookie(backchannel.COOKIE, path=backchannel.COOKIE_PATH)
    return response


#: POST /demo/regular/backchannel-logout: the OP's logout tokens for this app.
backchannel_logout = backchannel.receiver(CLIENT_ID)
