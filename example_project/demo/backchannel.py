"""The regular web app's side of OIDC Back-Channel Logout 1.0: its own session, found by the OP's ``sid``,
ends when a valid logout token arrives (§2.6 validation, §2.8 response)."""
from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from . import rp

#: The RP's own session cookie: a relying party on another site would never see the OP's session, so the
#: demo keeps its login apart from the server's, as a real RP does.
COOKIE = "demo_regular_session"
COOKIE_PATH = "/demo/regular/"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
_INDEX = "demo-regular:sid:"  # sid -> the RP session keys it logged in (in the shared cache)
_SEEN = "demo-regular:jti:"


def store(key: str | None = None) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(key)


def remember(sid: str | None, session_key: str) -> None:
    if sid:
        keys = cache.get(_INDEX + sid) or []
        cache.set(_INDEX + sid, [*keys, session_key][-20:], timeout=86400 * 30)


def end_sessions(sid: str) -> int:
    keys = cache.get(_INDEX + sid) or []
    for key in keys:
        store(key).delete()
    cache.delete(_INDEX + sid)
    return len(keys)


def validate(token: str, issuer: str, client_id: str) -> dict[str, Any]:
    """§2.6: signature with the OP's keys, iss, aud, iat, exp (a little leeway), sub or sid, the event,
    no nonce; ``typ`` logout+jwt when present (§2.4 explicit typing)."""
    try:
        header = rp.unverified_header(token)
        if header.get("typ") not in (None, "logout+jwt", "application/logout+jwt"):
            raise rp.TokenError("typ is not logout+jwt")
        keys = KeySet.import_key_set(json.loads(rp.key_set(issuer, header.get("kid")).export(private_keys=False)))
        decoded = jwt.decode(token, keys, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(leeway=60, iss={"essential": True, "value": issuer},
                              aud={"essential": True, "value": client_id},
                              iat={"essential": True}, exp={"essential": True}).validate(decoded.claims)
    except (JoseError, ValueError, KeyError) as exc:
        raise rp.TokenError(f"Logout token refused: {exc}") from exc
    claims = decoded.claims
    if not isinstance(claims.get("events"), dict) or LOGOUT_EVENT not in claims["events"]:
        raise rp.TokenError("The logout token has no back-channel logout event.")
    if "nonce" in claims:
        raise rp.TokenError("A logout token must not carry a nonce.")
    if not claims.get("sid") and not claims.get("sub"):
        raise rp.TokenError("The logout token names neither a session (sid) nor a user (sub).")
    if not cache.add(_SEEN + str(claims.get("jti")), 1, timeout=600):  # §2.6 step 8: a replayed token
        raise rp.TokenError("This logout token was already used.")
    return claims


def receiver(client_id: str) -> Any:
    @csrf_exempt  # a server-to-server POST, authenticated by the token's signature
    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        token = request.POST.get("logout_token", "")
        try:
            claims = validate(token, rp.issuer(request), client_id)
        except rp.TokenError as exc:
            response: HttpResponse = JsonResponse({"error": "invalid_request", "error_description": str(exc)},
                                                  status=400)
        else:
            end_sessions(claims["sid"]) if claims.get("sid") else None
            response = HttpResponse(status=200)
        response["Cache-Control"] = "no-store"  # §2.8
        return response

    return view
