"""OIDF Back-Channel RP-Initiated Logout OP plan: its 2 modules (OIDCCBackChannelLogoutDiscoveryEndpointVerification,
OIDCCBackChannelRpInitiatedLogout), OIDC Back-Channel Logout 1.0 §2.1, §2.4, §2.5."""
from __future__ import annotations

import base64
import json
import secrets
import time

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .browser import Callback
from .flows import OP
from .oidf import Module
from .plans import module
from .test_config import all_endpoints_https
from .test_logout import _end_session, _login, _prompt_none_fails

pytestmark = pytest.mark.live
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
WAIT = 30  # seconds for the worker to POST the logout token (it polls every 0.2 s)


@module("oidcc-backchannel-logout-discovery-endpoint-verification")
def test_oidcc_backchannel_logout_discovery_endpoint_verification(mod: Module, op: OP) -> None:
    all_endpoints_https(mod, op.discovery)
    mod.check(op.discovery.get("backchannel_logout_supported") is True, "CheckDiscBackchannelLogoutSupported",
              f"backchannel_logout_supported is {op.discovery.get('backchannel_logout_supported')!r}")
    mod.check(op.discovery.get("backchannel_logout_session_supported") is True,
              "CheckDiscBackchannelLogoutSessionSupported",
              f"backchannel_logout_session_supported is {op.discovery.get('backchannel_logout_session_supported')!r}")
    mod.check(isinstance(op.discovery.get("end_session_endpoint"), str), "CheckDiscEndpointEndSessionEndpoint",
              "no end_session_endpoint")


def _payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@module("oidcc-backchannel-rp-initiated-logout")
def test_oidcc_backchannel_rp_initiated_logout(mod: Module, op: OP) -> None:
    c = op.clients["client1"]
    receiver = op.prepared["receivers"]["client1"]
    seen = len(receiver.posts)
    browser, id_token = _login(mod, op)
    id_claims = _payload(id_token)
    state = secrets.token_urlsafe(96)
    result = _end_session(op, browser, {"id_token_hint": id_token, "post_logout_redirect_uri": c.post_logout_redirect_uri,
                                        "state": state})
    if not isinstance(result, Callback):
        mod.stop("post_logout_redirect", f"no redirect to the post_logout_redirect_uri ({result.status})")
    deadline = time.monotonic() + WAIT
    while len(receiver.posts) <= seen and time.monotonic() < deadline:
        time.sleep(0.1)
    if len(receiver.posts) <= seen:
        mod.stop("ExtractLogoutTokenFromBackchannelLogoutRequest", "no back-channel logout request arrived")
    post = receiver.posts[seen]
    form = post["form"]
    if "logout_token" not in form:
        mod.stop("ExtractLogoutTokenFromBackchannelLogoutRequest", f"no logout_token in {sorted(form)}")
    mod.check(set(form) == {"logout_token"}, "CheckForUnexpectedParametersInBackchannelLogoutRequest",
              f"{sorted(set(form) - {'logout_token'})}")
    token = form["logout_token"][0]
    try:
        claims = jwt.decode(token, KeySet.import_key_set(op.jwks()), algorithms=["RS256"]).claims
    except (JoseError, ValueError) as exc:
        mod.stop("ValidateLogoutTokenSignature", f"{type(exc).__name__}: {exc}")
    # ValidateLogoutTokenClaims: iss, aud, iat (5 minutes of skew), jti, exactly one event with an empty object.
    events = claims.get("events")
    problems = [name for name, ok in (
        ("iss", claims.get("iss") == op.issuer),
        ("aud", claims.get("aud") == c.client_id or (isinstance(claims.get("aud"), list) and c.client_id in claims["aud"])),
        ("iat", isinstance(claims.get("iat"), int) and claims["iat"] <= time.time() + 300),
        ("jti", isinstance(claims.get("jti"), str) and claims["jti"] != ""),
        ("events", isinstance(events, dict) and list(events) == [LOGOUT_EVENT] and events[LOGOUT_EVENT] == {}),
    ) if not ok]
    mod.check(not problems, "ValidateLogoutTokenClaims", f"bad {problems}: {claims}")
    if "sub" in claims:
        mod.check(claims["sub"] == id_claims.get("sub"), "CheckIdTokenSubMatchesLogoutToken", "sub differs")
    if "sid" in claims:
        mod.check(claims["sid"] == id_claims.get("sid"), "CheckIdTokenSidMatchesLogoutToken", "sid differs")
    mod.check("nonce" not in claims, "CheckLogoutTokenNoNonce", "the logout token has a nonce")
    mod.check("sub" in claims or "sid" in claims, "CheckLogoutTokenHasSubOrSid", "neither sub nor sid")
    mod.check(result.query.get("state") == state, "CheckPostLogoutState", "state missing or different")
    extra = set(result.query) - {"state"}
    mod.check(not extra, "CheckForUnexpectedParametersInPostLogoutRedirect", f"{sorted(extra)}", "WARNING")
    _prompt_none_fails(mod, op, browser)
