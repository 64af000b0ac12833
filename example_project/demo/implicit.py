"""Implicit flow with response_mode=form_post: ID token and access token posted to a server-side callback."""
from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe, require_POST

from . import rp

CLIENT_ID = "demo-implicit"
SCOPE = "openid profile email read:messages"  # read:messages: /api/private-scoped
SESSION_KEY = "demo_implicit"
PENDING_KEY = "demo_implicit_pending"  # state -> nonce, for logins started from this browser
MAX_PENDING = 5


def page(request: HttpRequest, *, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("result", request.session.get(SESSION_KEY))
    try:
        login_url = authorize_url(request)
    except rp.TokenError as exc:  # discovery unreachable: no login link, say why
        login_url, status = None, 502
        context.setdefault("error", "server_unreachable")
        context.setdefault("error_description", str(exc))
    return render(request, "demo/result.html", {
        "flow": "implicit", "title": "Implicit with form_post",
        "login_url": login_url, "call_api_url": reverse("demo:implicit-call-api"),
        "logout_url": reverse("demo:implicit-logout"), "client_id": CLIENT_ID, **context,
    }, status=status)


def authorize_url(request: HttpRequest) -> str:
    """A fresh state and nonce, remembered in the session, and the /authorize URL that carries them."""
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    pending = dict(list(request.session.get(PENDING_KEY, {}).items())[-(MAX_PENDING - 1):])
    pending[state] = nonce
    request.session[PENDING_KEY] = pending
    endpoint = rp.discovery(rp.issuer(request))["authorization_endpoint"]
    return endpoint + "?" + urlencode({
        "response_type": "id_token token", "response_mode": "form_post", "client_id": CLIENT_ID,
        "redirect_uri": request.build_absolute_uri(reverse("demo:implicit-callback")), "scope": SCOPE,
        "nonce": nonce, "state": state, "audience": settings.EXAMPLE_API_AUDIENCE,
    })


@require_safe
def start(request: HttpRequest) -> HttpResponse:
    """The login link (fresh state and nonce) and, after a login, the verified claims."""
    return page(request)


@csrf_exempt  # the authorization server posts here cross-site; the state (kept in the session) protects it
@require_POST
def callback(request: HttpRequest) -> HttpResponse:
    """Receive the form_post, check state and issuer, verify the ID token (signature, nonce) and at_hash."""
    issuer = rp.issuer(request)
    data = request.POST
    if data.get("iss") not in (None, issuer):  # RFC 9207 mix-up defence
        return page(request, status=400, error="invalid_issuer",
                    error_description=f"The response came from {data['iss']!r}, not {issuer!r}.")
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return page(request, status=400, error="no_session", error_description=(
            "The session cookie did not come with this response, so its state cannot be checked. The session "
            "cookie is SameSite=Lax: browsers send it on a cross-site POST only when the authorization server "
            "and this app share a site. Start again with Log in from this browser."))
    nonce = pending.pop(data.get("state", ""), None)
    request.session[PENDING_KEY] = pending
    if nonce is None:
        return page(request, status=400, error="invalid_state", error_description=(
            "The state does not match a login started from this browser (it was used already, or is forged)."))
    if "error" in data:
        return page(request, status=400, error=data["error"], error_description=data.get("error_description", ""))
    try:
        id_claims = rp.verify_id_token(data.get("id_token", ""), issuer, CLIENT_ID, nonce)
        access_token = data.get("access_token", "")
        if not access_token:
            raise rp.TokenError("The response has no access token.")
        if id_claims.get("at_hash") != rp.at_hash(access_token):
            raise rp.TokenError("The ID token's at_hash does not match the access token (OIDC Core §3.2.2.9).")
        access_claims = rp.verify_access_token(access_token, issuer)
    except rp.TokenError as exc:
        return page(request, status=400, error="invalid_token", error_description=str(exc))
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "token_response": rp.pretty({
            "token_type": data.get("token_type"), "expires_in": data.get("expires_in"), "state": "(checked)",
            "access_token": "(received)", "id_token": "(received)", "iss": data.get("iss", "(not sent)")}),
        "access_token": access_token,
        "id_token_claims": rp.pretty(id_claims),
        "access_token_claims": rp.pretty(access_claims),
    }
    response = HttpResponseRedirect(reverse("demo:implicit-start"))
    response.status_code = 303  # See Other: the result page is fetched with GET
    return response


@require_POST
def call_api(request: HttpRequest) -> HttpResponse:
    stored = request.session.get(SESSION_KEY)
    if not stored:
        return page(request, status=400, error="not_logged_in", error_description="Log in first.")
    outcome = rp.call_api(request, stored["access_token"])
    return page(request, api_result=outcome, api_result_json=rp.pretty(outcome))


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return HttpResponseRedirect(reverse("demo:implicit-start"))
