"""OIDF Basic, Form Post and Implicit OP plans, continued: request objects, claims, refresh, PKCE, code reuse."""
from __future__ import annotations

import hashlib
import json
import secrets

import pytest

from . import oidf
from .browser import Callback, Page
from .flows import OP, Flow, authorize, auth_request, happy, redeem, send, wait_until
from .oidf import Module, b64url
from .plans import module
from .test_oidcc import _callback_params

pytestmark = pytest.mark.live


def _reuse(mod: Module, op: OP, code: str, client_name: str = "client1") -> bool:
    """AbstractOIDCCAuthCodeReuse.checkResponse; True when the server refused the second redemption."""
    c = op.clients[client_name]
    resp = oidf.token_request(op, c, mod.variant.client_auth,
                              {"grant_type": "authorization_code", "code": code, "redirect_uri": c.redirect_uri})
    if resp.status_code == 200:
        return False
    mod.check(resp.status_code == 400, "CheckTokenEndpointHttpStatus400", f"status {resp.status_code}")
    mod.check(resp.headers.get("Content-Type", "").startswith("application/json"),
              "CheckTokenEndpointReturnedJsonContentType", resp.headers.get("Content-Type", ""))
    body = resp.json() if resp.headers.get("Content-Type", "").startswith("application/json") else {}
    mod.check(body.get("error") == "invalid_grant", "CheckErrorFromTokenEndpointResponseErrorInvalidGrant",
              f"error {body.get('error')!r}")
    return True


@module("oidcc-codereuse")
def test_oidcc_codereuse(mod: Module, op: OP) -> None:
    flow = happy(mod, op)
    if not _reuse(mod, op, flow.params["code"]):
        mod.warn("ServerAllowedReusingAuthorizationCode", "the second redemption succeeded")


def _request_object(req: dict[str, str], **override: str) -> dict[str, str]:
    """ConvertAuthorizationEndpointRequestToRequestObject + SerializeRequestObjectWithNullAlgorithm +
    BuildRequestObjectByValueRedirectToAuthorizationEndpoint (duplicates: response_type, client_id, scope,
    redirect_uri; state and nonce only inside the object)."""
    jwt = ".".join([b64url(json.dumps({"alg": "none"}).encode()), b64url(json.dumps(req).encode()), ""])
    params = {k: req[k] for k in ("response_type", "client_id", "scope", "redirect_uri", "response_mode") if k in req}
    return {"request": jwt, **params, **override}


def _skip_if_request_objects_unsupported(op: OP) -> None:
    algs = op.discovery.get("request_object_signing_alg_values_supported")
    if isinstance(algs, list) and "none" not in algs:
        Module.skipped("'none' is not listed in request_object_signing_alg_values_supported - assuming it is not "
                       "supported.")


@module("oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported")
def test_oidcc_unsigned_request_object(mod: Module, op: OP) -> None:
    _skip_if_request_objects_unsupported(op)
    c = op.clients["client1"]
    req = auth_request(op, mod.variant, c)
    browser = op.browser()
    result = send(op, browser, _request_object(req))
    if isinstance(result, Callback) and _callback_params(mod, result).get("error") == "request_not_supported":
        Module.skipped("The 'request_not_supported' error from the authorization endpoint indicates that it does "
                       "not support request objects (which is permitted behaviour), so request objects cannot be "
                       "tested.")
    mod.check(op.discovery.get("request_parameter_supported") is True, "CheckDiscEndpointRequestParameterSupported",
              "request objects processed but request_parameter_supported is not true", "WARNING")
    flow = authorize(mod, op, browser, req, c) if isinstance(result, Page) else None
    if flow is None:  # process the response we already have, as the module does
        params = oidf.response_params(mod, mod.variant, result, c.redirect_uri)
        oidf.check_iss(mod, op, params)
        if "error" in params:
            mod.stop("CheckIfAuthorizationEndpointError", f"error {params['error']!r}")
        mod.check(params.get("state") == req["state"], "CheckStateInAuthorizationResponse",
                  "state (sent only inside the request object) not returned: the request object was ignored")
        if "code" in params:
            redeem(mod, op, Flow(req, c, result, params))  # validates the ID token, nonce included
        elif params.get("id_token"):
            oidf.validate_id_token(mod, op, params["id_token"], c.client_id, req["nonce"])


@module("oidcc-ensure-request-object-with-redirect-uri")
def test_oidcc_ensure_request_object_with_redirect_uri(mod: Module, op: OP) -> None:
    _skip_if_request_objects_unsupported(op)
    c = op.clients["client1"]
    bad = "https://127.0.0.1:9/conformance/invalid-redirect"
    req = auth_request(op, mod.variant, c)
    browser = op.browser()
    browser.stop_at.append(bad)
    result = send(op, browser, _request_object(req, redirect_uri=bad))
    if isinstance(result, Page):
        oidf.expect_error_page(mod, result, "ExpectRedirectUriErrorPage")
        return
    params = _callback_params(mod, result)
    if params.get("error") == "request_not_supported":
        mod.stop("EnsureOPDoesNotUseDefaultRedirectUriInCaseOfInvalidRedirectUri",
                 f"request_not_supported sent to {result.base} although the request's redirect_uri is invalid")
    params = oidf.response_params(mod, mod.variant, result, c.redirect_uri)
    mod.check(params.get("state") == req["state"], "CheckStateInAuthorizationResponse", "state not returned")


@module("oidcc-claims-essential")
def test_oidcc_claims_essential(mod: Module, op: OP) -> None:
    where = "id_token" if mod.variant.response_type == "id_token" else "userinfo"
    flow = happy(mod, op, claims=json.dumps({where: {"name": {"essential": True}}}))
    if where == "id_token":
        mod.check("name" in flow.claims, "EnsureIdTokenContainsName", "no name in the id_token", "WARNING")
        return
    info = oidf.userinfo(mod, op, flow.access_token or "")
    mod.check("name" in info, "EnsureUserInfoContainsName", "no name from userinfo", "WARNING")
    mod.check("name" not in flow.claims, "EnsureIdTokenDoesNotContainName", "name in the id_token", "WARNING")


@module("oidcc-refresh-token")
def test_oidcc_refresh_token(mod: Module, op: OP) -> None:
    scope = "openid offline_access" if "offline_access" in op.discovery.get("scopes_supported", []) else "openid"
    extra = {"prompt": "consent"} if "offline_access" in scope else {}
    flows = {}
    for name in ("client1", "client2"):
        flows[name] = flow = happy(mod, op, client=name, scope=scope, **extra)
        refresh = flow.token_response.get("refresh_token")
        if not refresh:
            Module.skipped("Refresh tokens cannot be tested. No refresh token was issued.")
        c = op.clients[name]
        resp = oidf.token_request(op, c, mod.variant.client_auth, {"grant_type": "refresh_token",
                                                                     "refresh_token": refresh})
        if resp.status_code != 200:
            mod.stop("CheckTokenEndpointHttpStatus200", f"refresh: {resp.status_code} {resp.text[:200]}")
        body = resp.json()
        mod.check(bool(body.get("access_token")), "CheckForAccessTokenValue", "no access_token after refresh")
        if body.get("id_token"):
            claims = oidf.validate_id_token(mod, op, body["id_token"], c.client_id, None)
            mod.check(claims.get("sub") == flow.claims.get("sub"), "CheckIdTokenSubConsistent", "sub changed")
        flow.token_response["refresh_token"] = body.get("refresh_token", refresh)
    # RefreshTokenRequestExpectingErrorSteps: client2's refresh token presented by client1
    resp = oidf.token_request(op, op.clients["client1"], mod.variant.client_auth, {
        "grant_type": "refresh_token", "refresh_token": flows["client2"].token_response["refresh_token"]})
    mod.check(resp.status_code == 400, "CheckTokenEndpointHttpStatus400", f"status {resp.status_code}")
    mod.check(resp.json().get("error") == "invalid_grant" if resp.status_code == 400 else False,
              "CheckErrorFromTokenEndpointResponseErrorInvalidGrant", resp.text[:200])


@module("oidcc-ensure-request-with-valid-pkce-succeeds")
def test_oidcc_ensure_request_with_valid_pkce_succeeds(mod: Module, op: OP) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    c = op.clients["client1"]
    flow = authorize(mod, op, op.browser(), auth_request(op, mod.variant, c, code_challenge=challenge,
                                                         code_challenge_method="S256"), c)
    resp = oidf.token_request(op, c, mod.variant.client_auth, {
        "grant_type": "authorization_code", "code": flow.params["code"], "redirect_uri": c.redirect_uri,
        "code_verifier": verifier})
    if resp.status_code != 200:
        mod.stop("CheckTokenEndpointHttpStatus200", f"{resp.status_code}: {resp.text[:200]}")
    oidf.validate_id_token(mod, op, resp.json().get("id_token", ""), c.client_id, flow.request["nonce"])


@pytest.fixture
def codereuse_first_half(op: OP, mod: Module) -> dict:
    """The first half of oidcc-codereuse-30seconds runs when the plan's server starts (see conftest)."""
    return op.prepared["codereuse-30seconds"]


@module("oidcc-codereuse-30seconds")
def test_oidcc_codereuse_30seconds(mod: Module, op: OP, codereuse_first_half: dict) -> None:
    first: Module = codereuse_first_half["module"]
    mod.failures += first.failures
    mod.warnings += first.warnings
    if codereuse_first_half.get("flow") is None:
        mod.stop("FirstHalf", codereuse_first_half.get("error", "the first authorization failed"))
    flow = codereuse_first_half["flow"]
    wait_until(codereuse_first_half["redeemed_at"], 30)  # WaitFor30Seconds, overlapped with the other modules
    _reuse(mod, op, flow.params["code"])
    resp = op.http.get(op.discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {flow.access_token}"},
                       timeout=30)
    mod.check(400 <= resp.status_code < 500, "EnsureHttpStatusCodeIs4xx",
              f"the access token of the first redemption still works (userinfo {resp.status_code})", "WARNING")
