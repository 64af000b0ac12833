"""OIDF Basic, Form Post and Implicit OP plans: one test per module, run for every plan variant that lists it."""
from __future__ import annotations

import dataclasses
import secrets
import time

import pytest

from . import oidf
from .browser import Callback, Page
from .flows import OP, auth_request, happy, send, wait_until
from .oidf import Module
from .plans import module

pytestmark = pytest.mark.live
STATIC_CLIENT_NA = "VariantNotApplicable(ClientRegistration=static_client): the module needs dynamic registration"


def _callback_params(mod: Module, cb: Callback) -> dict[str, str]:
    if mod.variant.form_post and cb.via == "form_post":
        return cb.form
    return cb.fragment if mod.variant.response_type != "code" and cb.fragment else cb.query


def _error_or_page(mod: Module, op: OP, result: Callback | Page, state: str | None, allowed: list[str],
                   page_condition: str) -> None:
    """AbstractOIDCCServerTestExpectingAuthorizationEndpointPlaceholderOrCallback."""
    if isinstance(result, Page):
        oidf.expect_error_page(mod, result, page_condition)
    else:
        oidf.error_response(mod, op, _callback_params(mod, result), state, allowed)


@module("oidcc-server")
def test_oidcc_server(mod: Module, op: OP) -> None:
    flow = happy(mod, op)
    if "code" in flow.params:
        mod.check(len(flow.params["code"]) >= 22, "EnsureMinimumAuthorizationCodeLength", "code shorter than 128 bits")
    mod.check("name" not in flow.claims, "EnsureIdTokenDoesNotContainName", "name in the id_token", "WARNING")


@module("oidcc-response-type-missing")
def test_oidcc_response_type_missing(mod: Module, op: OP) -> None:
    c = op.clients["client1"]
    req = auth_request(op, mod.variant, c, response_type=None)
    _error_or_page(mod, op, send(op, op.browser(), req), req["state"], ["invalid_request", "unsupported_response_type"],
                   "ExpectResponseTypeMissingErrorPage")


@module("oidcc-idtoken-signature")
def test_oidcc_idtoken_signature(mod: Module, op: OP) -> None:
    Module.skipped(STATIC_CLIENT_NA)


@module("oidcc-idtoken-unsigned")
def test_oidcc_idtoken_unsigned(mod: Module, op: OP) -> None:
    Module.skipped(STATIC_CLIENT_NA)


@module("oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported")
def test_oidcc_request_uri_unsigned(mod: Module, op: OP) -> None:
    Module.skipped(STATIC_CLIENT_NA)


@module("oidcc-userinfo-get")
def test_oidcc_userinfo_get(mod: Module, op: OP) -> None:
    flow = happy(mod, op)
    oidf.userinfo(mod, op, flow.access_token or "", "get")


@module("oidcc-userinfo-post-header")
def test_oidcc_userinfo_post_header(mod: Module, op: OP) -> None:
    flow = happy(mod, op)
    oidf.userinfo(mod, op, flow.access_token or "", "post-header")


@module("oidcc-userinfo-post-body")
def test_oidcc_userinfo_post_body(mod: Module, op: OP) -> None:
    flow = happy(mod, op)
    resp = op.http.post(op.discovery["userinfo_endpoint"], data={"access_token": flow.access_token}, timeout=30)
    if not 200 <= resp.status_code < 300:
        mod.warn("UserInfoEndpointWithAccessTokenInBodyNotSupported", f"status {resp.status_code}")
        return
    oidf.userinfo(mod, op, flow.access_token or "", "post-body")


@module("oidcc-ensure-request-without-nonce-succeeds-for-code-flow")
def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(mod: Module, op: OP) -> None:
    happy(mod, op, nonce=False)


@module("oidcc-ensure-request-without-nonce-fails")
def test_oidcc_ensure_request_without_nonce_fails(mod: Module, op: OP) -> None:
    req = auth_request(op, mod.variant, op.clients["client1"], nonce=False)
    _error_or_page(mod, op, send(op, op.browser(), req), req["state"], ["invalid_request"],
                   "ExpectRequestMissingNonceErrorPage")


def _scope_module(mod: Module, op: OP, scope: str, client: str = "client1", reorder: bool = False) -> None:
    """AbstractOIDCCReturnedClaimsServerTest: skipped unless scopes_supported lists every scope."""
    missing = [s for s in scope.split() if s not in op.discovery.get("scopes_supported", [])]
    if missing:
        Module.skipped("scopes_supported from the discovery endpoint indicates the server doesn't support the "
                       f"scopes required for this test ({' '.join(missing)})")
    flow = happy(mod, op, client=client, scope=scope, reorder=reorder)
    if flow.access_token:
        info = oidf.userinfo(mod, op, flow.access_token)
        oidf.scopes_in_claims(mod, "VerifyScopesReturnedInUserInfoClaims", scope, info)
    else:
        oidf.scopes_in_claims(mod, "VerifyScopesReturnedInAuthorizationEndpointIdToken", scope, flow.claims)


@module("oidcc-scope-profile")
def test_oidcc_scope_profile(mod: Module, op: OP) -> None:
    _scope_module(mod, op, "openid profile")


@module("oidcc-scope-email")
def test_oidcc_scope_email(mod: Module, op: OP) -> None:
    _scope_module(mod, op, "openid email")


@module("oidcc-scope-address")
def test_oidcc_scope_address(mod: Module, op: OP) -> None:
    _scope_module(mod, op, "openid address")


@module("oidcc-scope-phone")
def test_oidcc_scope_phone(mod: Module, op: OP) -> None:
    _scope_module(mod, op, "openid phone")


@module("oidcc-scope-all")
def test_oidcc_scope_all(mod: Module, op: OP) -> None:
    _scope_module(mod, op, "openid email phone address profile")


@module("oidcc-alternate-happy-flow")
def test_oidcc_alternate_happy_flow(mod: Module, op: OP) -> None:
    # OIDCCScopeEmail with the scope reversed and the query parameters in another order, by the second client
    _scope_module(mod, op, "email openid", client="client2", reorder=True)


@module("oidcc-display-page")
def test_oidcc_display_page(mod: Module, op: OP) -> None:
    happy(mod, op, display="page")


@module("oidcc-display-popup")
def test_oidcc_display_popup(mod: Module, op: OP) -> None:
    happy(mod, op, display="popup")


def _second_login(mod: Module, op: OP, wait: float, **second: str) -> tuple[dict, dict]:
    browser = op.browser()
    first = happy(mod, op, browser)
    wait_until(time.time(), wait)
    logins = browser.login_pages
    again = happy(mod, op, browser, **second)
    mod.check(browser.login_pages > logins, "ExpectSecondLoginPage",
              "the second authorization did not show a login page")
    return first.claims, again.claims


@module("oidcc-prompt-login")
def test_oidcc_prompt_login(mod: Module, op: OP) -> None:
    first, second = _second_login(mod, op, 1, prompt="login")
    if "auth_time" in second:  # CheckSecondIdTokenAuthTimeIsLaterIfPresent
        mod.check(second["auth_time"] > first.get("auth_time", 0), "CheckSecondIdTokenAuthTimeIsLaterIfPresent",
                  f"auth_time {second['auth_time']} not later than {first.get('auth_time')}")


@module("oidcc-max-age-1")
def test_oidcc_max_age_1(mod: Module, op: OP) -> None:
    first, second = _second_login(mod, op, 2, max_age="1")
    if mod.check("auth_time" in second, "CheckIdTokenAuthTimeClaimPresentDueToMaxAge", "no auth_time"):
        mod.check(second["auth_time"] > first.get("auth_time", 0), "CheckSecondIdTokenAuthTimeIsLaterIfPresent",
                  f"auth_time {second['auth_time']} not later than {first.get('auth_time')}")
        mod.check(abs(time.time() - second["auth_time"]) < 300, "CheckIdTokenAuthTimeIsRecentIfPresent", "old")


@module("oidcc-prompt-none-not-logged-in")
def test_oidcc_prompt_none_not_logged_in(mod: Module, op: OP) -> None:
    browser = op.browser()
    browser.can_login = False
    req = auth_request(op, mod.variant, op.clients["client1"], prompt="none", state=secrets.token_urlsafe(96))
    result = send(op, browser, req)
    if isinstance(result, Page):
        mod.stop("CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface",
                 f"the OP showed a {result.kind} page instead of redirecting with an error")
    oidf.error_response(mod, op, _callback_params(mod, result), req["state"],
                        ["interaction_required", "login_required", "account_selection_required", "consent_required"])


def _same_auth_twice(mod: Module, op: OP, first_extra: dict, second_extra: dict, use_hint: bool = False) -> None:
    """AbstractOIDCCSameAuthTwiceServerTest: the second authorization reuses the session, same auth_time and sub."""
    browser = op.browser()
    first = happy(mod, op, browser, **first_extra)
    if use_hint:
        second_extra = {**second_extra, "id_token_hint": first.id_token}
    browser.can_login = "prompt" not in second_extra
    second = happy(mod, op, browser, **second_extra)
    if "auth_time" in first.claims or "auth_time" in second.claims:
        mod.check(first.claims.get("auth_time") == second.claims.get("auth_time"),
                  "CheckIdTokenAuthTimeClaimsSameIfPresent", "auth_time changed")
    mod.check(first.claims.get("sub") == second.claims.get("sub"), "CheckIdTokenSubConsistentForSecondAuthorization",
              "sub changed")
    if "max_age" in first_extra:
        for claims in (first.claims, second.claims):
            mod.check("auth_time" in claims, "CheckIdTokenAuthTimeClaimPresentDueToMaxAge", "no auth_time")


@module("oidcc-prompt-none-logged-in")
def test_oidcc_prompt_none_logged_in(mod: Module, op: OP) -> None:
    _same_auth_twice(mod, op, {}, {"prompt": "none"})


@module("oidcc-max-age-10000")
def test_oidcc_max_age_10000(mod: Module, op: OP) -> None:
    _same_auth_twice(mod, op, {"max_age": "15000"}, {"max_age": "10000"})


@module("oidcc-id-token-hint")
def test_oidcc_id_token_hint(mod: Module, op: OP) -> None:
    _same_auth_twice(mod, op, {}, {"prompt": "none"}, use_hint=True)


@module("oidcc-ensure-request-with-unknown-parameter-succeeds")
def test_oidcc_ensure_request_with_unknown_parameter_succeeds(mod: Module, op: OP) -> None:
    happy(mod, op, extra_parameter=secrets.token_hex(8))


@module("oidcc-login-hint")
def test_oidcc_login_hint(mod: Module, op: OP) -> None:
    happy(mod, op, login_hint="demo@example.test")


@module("oidcc-ui-locales")
def test_oidcc_ui_locales(mod: Module, op: OP) -> None:
    happy(mod, op, ui_locales="se")


@module("oidcc-claims-locales")
def test_oidcc_claims_locales(mod: Module, op: OP) -> None:
    happy(mod, op, claims_locales="se")


@module("oidcc-ensure-request-with-acr-values-succeeds")
def test_oidcc_ensure_request_with_acr_values_succeeds(mod: Module, op: OP) -> None:
    happy(mod, op, acr_values="1 2")


@module("oidcc-ensure-registered-redirect-uri")
def test_oidcc_ensure_registered_redirect_uri(mod: Module, op: OP) -> None:
    bad = "https://127.0.0.1:9/conformance/unregistered/" + secrets.token_hex(4)
    browser = op.browser()
    browser.stop_at.append(bad)
    req = auth_request(op, mod.variant, op.clients["client1"], redirect_uri=bad)
    oidf.expect_error_page(mod, send(op, browser, req), "ExpectRedirectUriErrorPage")


@module("oidcc-ensure-post-request-succeeds")
def test_oidcc_ensure_post_request_succeeds(mod: Module, op: OP) -> None:
    happy(mod, op, method="POST")


@module("oidcc-server-client-secret-post")
def test_oidcc_server_client_secret_post(mod: Module, op: OP) -> None:
    mod.variant = dataclasses.replace(mod.variant, client_auth="client_secret_post")
    happy(mod, op)
