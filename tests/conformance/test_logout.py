"""OIDF RP-Initiated Logout OP plan: its 11 modules (AbstractOIDCCRpInitiatedLogout and subclasses)."""
from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from . import oidf
from .browser import Browser, Callback, Page, parse_forms
from .flows import OP, auth_request, happy, send
from .oidf import Module, b64url
from .plans import module
from .test_config import all_endpoints_https

pytestmark = pytest.mark.live
UI_ERRORS = ["interaction_required", "login_required", "account_selection_required", "consent_required"]


@module("oidcc-rp-initiated-logout-discovery-endpoint-verification")
def test_oidcc_rp_initiated_logout_discovery_endpoint_verification(mod: Module, op: OP) -> None:
    all_endpoints_https(mod, op.discovery)
    mod.check(isinstance(op.discovery.get("end_session_endpoint"), str), "CheckDiscEndpointEndSessionEndpoint",
              "no end_session_endpoint")


def _login(mod: Module, op: OP) -> tuple[Browser, str]:
    browser = op.browser()
    flow = happy(mod, op, browser, state=secrets.token_urlsafe(96))
    return browser, flow.id_token or ""


def _end_session(op: OP, browser: Browser, params: dict[str, str]) -> Callback | Page:
    result = browser.go(op.discovery["end_session_endpoint"] + ("?" + urlencode(params) if params else ""))
    if isinstance(result, Page) and result.status == 200:
        form = next((f for f in parse_forms(result.text) if f.method == "post"), None)
        if form is not None:  # a logout confirmation: the user confirms, as the OIDF tester would
            result = browser._submit(result.url, form, {})
            result = browser.go(result.headers["Location"]) if result.is_redirect else Page(
                result.status_code, result.url, result.text, "page")
    return result


def _prompt_none_fails(mod: Module, op: OP, browser: Browser) -> None:
    """The second authorization (prompt=none) must end in an error: the user is logged out."""
    browser.can_login = False
    req = auth_request(op, mod.variant, op.clients["client1"], prompt="none", state=secrets.token_urlsafe(96))
    result = send(op, browser, req)
    if isinstance(result, Page):
        mod.stop("CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface",
                 f"prompt=none after logout showed a {result.kind} page")
    oidf.error_response(mod, op, result.query, req["state"], UI_ERRORS)


def _not_redirected(mod: Module, op: OP, build: object, logged_out: bool = False) -> None:
    """The placeholder modules: no redirect to the client; an error, a confirmation or a logged-out page."""
    browser, id_token = _login(mod, op)
    c = op.clients["client1"]
    params = build(c, id_token)  # type: ignore[operator]
    browser.stop_at.append(params.get("post_logout_redirect_uri", c.post_logout_redirect_uri).split("?")[0])
    result = _end_session(op, browser, params) if logged_out else browser.go(
        op.discovery["end_session_endpoint"] + ("?" + urlencode(params) if params else ""))
    if isinstance(result, Callback):
        mod.stop("post_logout_redirect", f"OP has incorrectly called the post_logout_redirect_uri: {result.base}")
    if logged_out:  # ExpectSuccessfulLogoutPage: the user is logged out
        mod.check(result.status == 200, "ExpectSuccessfulLogoutPage", f"status {result.status}")
        _prompt_none_fails(mod, op, browser)


def _state() -> str:
    return secrets.token_urlsafe(32)


@module("oidcc-rp-initiated-logout")
def test_oidcc_rp_initiated_logout(mod: Module, op: OP) -> None:
    browser, id_token = _login(mod, op)
    c, state = op.clients["client1"], _state()
    mod_params = {"id_token_hint": id_token, "post_logout_redirect_uri": c.post_logout_redirect_uri, "state": state}
    result = _end_session(op, browser, mod_params)
    if not isinstance(result, Callback):
        mod.stop("post_logout_redirect", f"no redirect to the post_logout_redirect_uri ({result.status})")
    mod.check(result.query.get("state") == state, "CheckPostLogoutState", "state missing or different")
    extra = set(result.query) - {"state"}
    mod.check(not extra, "CheckForUnexpectedParametersInPostLogoutRedirect", f"{sorted(extra)}", "WARNING")
    _prompt_none_fails(mod, op, browser)


@module("oidcc-rp-initiated-logout-no-state")
def test_oidcc_rp_initiated_logout_no_state(mod: Module, op: OP) -> None:
    browser, id_token = _login(mod, op)
    c = op.clients["client1"]
    result = _end_session(op, browser, {"id_token_hint": id_token, "post_logout_redirect_uri": c.post_logout_redirect_uri})
    if not isinstance(result, Callback):
        mod.stop("post_logout_redirect", f"no redirect to the post_logout_redirect_uri ({result.status})")
    mod.check("state" not in result.query, "CheckNoPostLogoutState", "a state came back")
    extra = set(result.query) - {"state"}
    mod.check(not extra, "CheckForUnexpectedParametersInPostLogoutRedirect", f"{sorted(extra)}", "WARNING")
    _prompt_none_fails(mod, op, browser)


@module("oidcc-rp-initiated-logout-bad-post-logout-redirect-uri")
def test_oidcc_rp_initiated_logout_bad_post_logout_redirect_uri(mod: Module, op: OP) -> None:
    bad = "https://127.0.0.1:9/conformance/not-registered"
    _not_redirected(mod, op, lambda c, t: {"id_token_hint": t, "post_logout_redirect_uri": bad, "state": _state()})


@module("oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri")
def test_oidcc_rp_initiated_logout_query_added(mod: Module, op: OP) -> None:
    _not_redirected(mod, op, lambda c, t: {"id_token_hint": t, "state": _state(),
                                           "post_logout_redirect_uri": c.post_logout_redirect_uri + "?foo=bar"})


def _alg_none(token: str) -> str:
    """ChangeIdTokenToAlgNone: the same claims, header alg none, no signature."""
    return b64url(b'{"alg":"none"}') + "." + token.split(".")[1] + "."


@module("oidcc-rp-initiated-logout-modified-id-token-hint")
def test_oidcc_rp_initiated_logout_modified_id_token_hint(mod: Module, op: OP) -> None:
    _not_redirected(mod, op, lambda c, t: {"id_token_hint": _alg_none(t), "state": _state(),
                                           "post_logout_redirect_uri": c.post_logout_redirect_uri})


def _fake_id_token(op: OP, client_id: str) -> str:
    """GenerateFakeIdTokenClaims + SignFakeIdToken: plausible claims signed by a key the OP never published."""
    now = int(time.time())
    claims = {"iss": op.issuer, "sub": "fake-" + secrets.token_hex(4), "aud": client_id, "iat": now,
              "exp": now + 300}
    return jwt.encode({"alg": "RS256", "kid": "fake"}, claims, RSAKey.generate_key(2048))


@module("oidcc-rp-initiated-logout-bad-id-token-hint")
def test_oidcc_rp_initiated_logout_bad_id_token_hint(mod: Module, op: OP) -> None:
    _not_redirected(mod, op, lambda c, t: {"id_token_hint": _fake_id_token(op, c.client_id), "state": _state(),
                                           "post_logout_redirect_uri": c.post_logout_redirect_uri})


@module("oidcc-rp-initiated-logout-no-id-token-hint")
def test_oidcc_rp_initiated_logout_no_id_token_hint(mod: Module, op: OP) -> None:
    _not_redirected(mod, op, lambda c, t: {"post_logout_redirect_uri": c.post_logout_redirect_uri, "state": _state()})


@module("oidcc-rp-initiated-logout-no-params")
def test_oidcc_rp_initiated_logout_no_params(mod: Module, op: OP) -> None:
    _not_redirected(mod, op, lambda c, t: {}, logged_out=True)


@module("oidcc-rp-initiated-logout-no-post-logout-redirect-uri")
def test_oidcc_rp_initiated_logout_no_post_logout_redirect_uri(mod: Module, op: OP) -> None:
    _not_redirected(mod, op, lambda c, t: {"id_token_hint": t, "state": _state()}, logged_out=True)


@module("oidcc-rp-initiated-logout-only-state")
def test_oidcc_rp_initiated_logout_only_state(mod: Module, op: OP) -> None:
    _not_redirected(mod, op, lambda c, t: {"state": _state()}, logged_out=True)
