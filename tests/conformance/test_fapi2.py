"""fapi2-security-profile-final-test-plan, variants client_auth_type=private_key_jwt, sender_constrain=dpop,
fapi_request_method=unsigned, fapi_response_mode=plain_response, with fapi_profile=plain_fapi (openid_connect) and
fapi_profile=fapi_client_credentials_grant (plain_oauth): one test per module, with the suite's conditions
(fapi2spfinal/FAPI2SPFinal*.java). The clients are `authflows apps create --fapi` applications."""
from __future__ import annotations

import base64
import json
import secrets
import time

import pytest

from ..dpop_client import DPoPKey, bad_proofs
from . import fapi
from .fapi import Fapi, FapiClient, b64decode as oidf_b64, error_or_page, expect_error, new_keys
from .flows import OP, wait_until
from .oidf import Module, expect_error_page
from .plans import module

pytestmark = pytest.mark.live

UNSIGNED = "VariantNotApplicable(fapi_request_method=unsigned): the module needs a signed request object (JAR)"
PROFILE = "VariantNotApplicable(fapi_profile=plain_fapi): the module belongs to the {} profile"
CCG = "VariantNotApplicable(fapi_profile=fapi_client_credentials_grant): the module needs an authorization request"
GRANT_MANAGEMENT = "VariantNotApplicable(grant_management=disabled): the server has no grant management endpoint"
ASSERTION_ERRORS = ["invalid_client", "invalid_request"]


def _flow(mod: Module, op: OP, client: str = "client1") -> Fapi:
    return Fapi(mod, op, op.prepared["fapi"][client])


def _code_flow_only(mod: Module) -> None:
    if mod.variant.plan == "fapi2-ccg":
        Module.skipped(CCG)


def _ccg_token(mod: Module, op: OP, **kw: object) -> Fapi:
    """FAPI2SPFinalClientCredentialsGrant: client_credentials with private_key_jwt and a DPoP proof."""
    flow = _flow(mod, op)
    flow.tokens_ok(flow.token({"grant_type": "client_credentials", "audience": fapi.API}, **kw),
                   openid=False)
    return flow


def _happy_either(mod: Module, op: OP, **kw: object) -> Fapi:
    """The profile's happy flow: the code flow with its resource, or client credentials and the example API."""
    if mod.variant.plan == "fapi2-ccg":
        flow = _ccg_token(mod, op)
        resp = flow.resource(url=op.url + "/api/private")
        mod.check(resp.status_code == 200, "CallProtectedResource", f"{resp.status_code}: {resp.text[:200]}")
        return flow
    flow = _flow(mod, op)
    flow.happy(**kw)  # type: ignore[arg-type]
    return flow


# -- discovery and happy flows -------------------------------------------------------------------------------------
@module("fapi2-security-profile-final-discovery-end-point-verification")
def test_discovery(mod: Module, op: OP) -> None:
    """FAPI2SPFinalDiscoveryEndpointVerification with PlainFAPIDiscoveryEndpointChecks (or
    ClientCredentialsOnlyDiscoveryEndpointChecks): https endpoints, the profile's algorithms and methods."""
    d = op.discovery
    mod.check(d.get("issuer") == op.url + "/", "CheckDiscEndpointIssuer", f"issuer {d.get('issuer')!r}")
    for name in ("token_endpoint", "jwks_uri", "pushed_authorization_request_endpoint", "authorization_endpoint"):
        mod.check(str(d.get(name, "")).startswith("https://"), "CheckDiscEndpointAllEndpointsAreHttps",
                  f"{name} {d.get(name)!r}")
    mod.check("private_key_jwt" in d.get("token_endpoint_auth_methods_supported", []),
              "CheckDiscEndpointTokenEndpointAuthMethodsSupportedContainsPrivateKeyJwt", "private_key_jwt missing")
    algs = d.get("token_endpoint_auth_signing_alg_values_supported", [])
    mod.check(bool({"PS256", "ES256"} & set(algs)), "FAPI2CheckDiscEndpointTokenEndpointAuthSigningAlgValuesSupported",
              f"{algs}")
    mod.check(bool({"PS256", "ES256", "EdDSA"} & set(d.get("dpop_signing_alg_values_supported", []))),
              "CheckDiscEndpointDpopSigningAlgValuesSupported", "no FAPI algorithm for DPoP")
    if mod.variant.plan == "fapi2":
        mod.check(d.get("authorization_response_iss_parameter_supported") is True,
                  "CheckDiscEndpointAuthorizationResponseIssParameterSupported", "not true")
        mod.check(d.get("code_challenge_methods_supported") == ["S256"], "CheckDiscEndpointCodeChallengeMethodsS256",
                  f"{d.get('code_challenge_methods_supported')}")
        mod.check(bool({"PS256", "ES256", "EdDSA"} & set(d.get("id_token_signing_alg_values_supported", []))),
                  "FAPI2CheckDiscEndpointIdTokenSigningAlgValuesSupported",
                  f"{d.get('id_token_signing_alg_values_supported')}")
        mod.check("code" in d.get("response_types_supported", []), "CheckDiscEndpointResponseTypesSupported",
                  "code missing")
    mod.check(d.get("grant_types_supported") is None or (
        "client_credentials" in d["grant_types_supported"] if mod.variant.plan == "fapi2-ccg"
        else "authorization_code" in d["grant_types_supported"]), "CheckDiscEndpointGrantTypesSupported",
        f"{d.get('grant_types_supported')}")
    keys = op.jwks()["keys"]
    mod.check(all(k.get("kid") and k.get("alg") for k in keys), "ValidateServerJWKs", "a key without kid or alg")
    mod.check(any(k.get("alg") in ("ES256", "PS256") for k in keys), "FAPI2ValidateServerJWKs",
              "no PS256 or ES256 key published (FAPI 2.0 ID tokens)")


@module("fapi2-security-profile-final-happy-flow")
def test_happy_flow(mod: Module, op: OP) -> None:
    flow = _happy_either(mod, op)
    if mod.variant.plan == "fapi2":
        mod.check(len(flow.params.get("code", "")) >= 22, "EnsureMinimumAuthorizationCodeLength", "code too short")
        claims = json.loads(oidf_b64(flow.tokens["access_token"].split(".")[1]))
        mod.check(claims.get("cnf", {}).get("jkt") == flow.client.dpop.jkt, "ValidateDpopBoundAccessToken",
                  "the access token is not bound (cnf.jkt) to the DPoP key")


@module("fapi2-security-profile-final-user-rejects-authentication")
def test_user_rejects(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.auth_params(prompt="consent")  # the suite's tester presses "deny" on the consent page
    flow.push()
    browser = op.browser()
    browser.decision = "deny"
    flow.browse(browser=browser)
    error_or_page(mod, flow, "CheckForAccessDeniedError", ["access_denied"])


@module("fapi2-security-profile-final-ensure-request-object-with-multiple-aud-succeeds")
def test_multiple_aud(mod: Module, op: OP) -> None:
    Module.skipped(UNSIGNED)


@module("fapi2-security-profile-final-ensure-authorization-request-without-state-success")
def test_without_state(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.happy(state=None)
    mod.check("state" not in flow.params, "CheckStateInAuthorizationResponse", "a state nobody sent")


@module("fapi2-security-profile-final-ensure-authorization-request-without-nonce-success")
def test_without_nonce(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.happy(nonce=None)
    mod.check("nonce" not in flow.claims, "ValidateIdTokenNonce", "a nonce nobody sent")


@module("fapi2-security-profile-final-ensure-authorization-request-with-64-char-nonce-success")
def test_64_char_nonce(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.happy(nonce=secrets.token_hex(32))


@module("fapi2-security-profile-final-ensure-other-scope-order-succeeds")
def test_other_scope_order(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.happy(scope="profile email openid")
    mod.check(set(flow.tokens.get("scope", "profile email openid").split()) >= {"openid"}, "CheckScope",
              f"scope {flow.tokens.get('scope')!r}")


@module("fapi2-security-profile-final-test-claims-parameter-identity-claims")
def test_claims_parameter(mod: Module, op: OP) -> None:
    """EnsureIdentityClaimsContainRequestedClaims (WARNING): claims asked for the ID token by the claims parameter."""
    _code_flow_only(mod)
    flow = _flow(mod, op)
    claims = {"id_token": {"name": {"essential": True}, "email": None}}
    flow.happy(claims=json.dumps(claims), scope="openid")
    missing = [c for c in ("name", "email") if c not in flow.claims]
    mod.check(not missing, "EnsureIdentityClaimsContainRequestedClaims", f"missing {missing}", "WARNING")


@module("fapi2-security-profile-final-access-token-type-header-case-sensitivity")
def test_token_type_case(mod: Module, op: OP) -> None:
    """The resource accepts the DPoP authorization scheme in any case (RFC 9110 §11.1)."""
    flow = _happy_either(mod, op)
    url = op.url + "/api/private" if mod.variant.plan == "fapi2-ccg" else None
    resp = flow.resource(scheme="dPoP", url=url)
    mod.check(resp.status_code == 200, "CallProtectedResourceWithMixedCaseScheme",
              f"{resp.status_code}: {resp.text[:200]}")


# -- DPoP --------------------------------------------------------------------------------------------------------
@module("fapi2-security-profile-final-check-dpop-proof-nbf-exp")
def test_dpop_nbf_exp(mod: Module, op: OP) -> None:
    """SetDpopNbfToNow + SetDpopExpToFiveMinutesInFuture in the token and resource proofs: still accepted."""
    now = int(time.time())
    extra = {"nbf": now, "exp": now + 300}
    if mod.variant.plan == "fapi2-ccg":
        flow = _ccg_token(mod, op, claims=extra)
        return
    flow = _flow(mod, op)
    flow.auth_params()
    flow.push()
    flow.browse()
    flow.tokens_ok(flow.token(flow.code_grant(flow.code()), claims=extra))


@module("fapi2-security-profile-final-ensure-dpopproof-with-iat-10seconds-before-succeeds")
def test_dpop_iat_before(mod: Module, op: OP) -> None:
    _dpop_iat(mod, op, -10)


@module("fapi2-security-profile-final-ensure-dpopproof-with-iat-10seconds-after-succeeds")
def test_dpop_iat_after(mod: Module, op: OP) -> None:
    _dpop_iat(mod, op, 10)


def _dpop_iat(mod: Module, op: OP, shift: int) -> None:
    if mod.variant.plan == "fapi2-ccg":
        _ccg_token(mod, op, iat=time.time() + shift)
        return
    flow = _flow(mod, op)
    flow.auth_params()
    flow.push()
    flow.browse()
    flow.tokens_ok(flow.token(flow.code_grant(flow.code()), iat=time.time() + shift))


@module("fapi2-security-profile-final-ensure-mismatched-dpop-jkt-fails")
def test_mismatched_dpop_jkt(mod: Module, op: OP) -> None:
    """A dpop_jkt that is not the thumbprint of the PAR request's DPoP proof: the PAR endpoint refuses."""
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.auth_params(dpop_jkt=DPoPKey().jkt)
    resp = flow.par(dpop=flow.client.dpop)
    expect_error(mod, resp, "EnsurePARInvalidDpopProofError", ["invalid_dpop_proof", "invalid_request"], (400,))


@module("fapi2-security-profile-final-ensure-token-endpoint-fails-with-mismatched-dpop-proof-jkt")
def test_token_mismatched_proof_jkt(mod: Module, op: OP) -> None:
    """The PAR request's proof made with one key, the token request's with another: the token endpoint refuses."""
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.auth_params()
    flow.push(dpop=flow.client.dpop)
    flow.browse()
    resp = flow.token(flow.code_grant(flow.code()), dpop=DPoPKey())
    expect_error(mod, resp, "CheckTokenEndpointHttpStatus400", ["invalid_grant", "invalid_dpop_proof"], (400,))


@module("fapi2-security-profile-final-ensure-token-endpoint-fails-with-mismatched-dpop-jkt")
def test_token_mismatched_dpop_jkt(mod: Module, op: OP) -> None:
    """dpop_jkt in the pushed request, the token request's proof made with another key: refused."""
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.auth_params(dpop_jkt=flow.client.dpop.jkt)
    flow.push()
    flow.browse()
    resp = flow.token(flow.code_grant(flow.code()), dpop=DPoPKey())
    expect_error(mod, resp, "CheckTokenEndpointHttpStatus400", ["invalid_grant", "invalid_dpop_proof"], (400,))


@module("fapi2-security-profile-final-ensure-dpopproof-at-par-endpoint-binding-success")
def test_dpop_at_par(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    _flow(mod, op).happy(par_kw={"dpop": op.prepared["fapi"]["client1"].dpop})


@module("fapi2-security-profile-final-ensure-dpop-auth-code-binding-success")
def test_dpop_auth_code_binding(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    _flow(mod, op).happy(dpop_jkt=op.prepared["fapi"]["client1"].dpop.jkt)


# -- request objects (need signing) and other profiles --------------------------------------------------------------
for _name in ["ensure-different-nonce-inside-and-outside-request-object",
              "ensure-different-state-inside-and-outside-request-object", "state-only-outside-request-object-not-used",
              "ensure-request-object-without-redirect-uri-fails"]:
    @module(f"fapi2-security-profile-final-{_name}")
    def _unsigned(mod: Module, op: OP) -> None:
        Module.skipped(UNSIGNED)
    globals()[f"test_{_name.replace('-', '_')}"] = _unsigned

for _name, _profile in [
    ("australia-connectid-ensure-request-object-with-exp-over-10-fails", "connectid_au"),
    ("australia-connectid-ensure-request-object-with-nbf-over-15-fails", "connectid_au"),
    ("ksa-ensure-request-object-with-exp-over-10-fails", "ksa"), ("ksa-ensure-request-object-with-nbf-over-10-fails", "ksa"),
    ("australia-connectid-ensure-invalid-purpose-fails", "connectid_au"),
    ("cdr-sharing-duration-zero", "consumerdataright_au"), ("cdr-negative-sharing-duration", "consumerdataright_au"),
    ("cdr-refresh-token-introspection-expiry", "consumerdataright_au"),
    ("cdr-arrangement-amendment", "consumerdataright_au"), ("cdr-unrecognised-arrangement-id", "consumerdataright_au"),
    ("brazil-ensure-bad-payment-signature-fails", "openbanking_brazil"),
    ("australia-connectid-test-claims-parameter-idtoken-identity-claims", "connectid_au"),
]:
    def _make(profile: str):  # noqa: ANN202
        def _other_profile(mod: Module, op: OP) -> None:
            Module.skipped(PROFILE.format(profile))
        return _other_profile
    globals()[f"test_{_name.replace('-', '_')}"] = module(f"fapi2-security-profile-final-{_name}")(_make(_profile))

for _name in ["grant-management-query-and-revoke", "grant-management-merge", "grant-management-replace",
              "grant-management-ensure-invalid-grant-id-fails", "grant-management-ensure-query-nonexistent-grant-fails",
              "grant-management-ensure-wrong-client-cannot-query-grant",
              "grant-management-ensure-wrong-client-cannot-revoke-grant"]:
    @module(f"fapi2-security-profile-final-{_name}")
    def _grant_management(mod: Module, op: OP) -> None:
        Module.skipped(GRANT_MANAGEMENT)
    globals()[f"test_{_name.replace('-', '_')}"] = _grant_management


# -- long values ---------------------------------------------------------------------------------------------------
@module("fapi2-security-profile-final-ensure-authorization-request-with-long-nonce")
def test_long_nonce(mod: Module, op: OP) -> None:
    """A 384-character nonce: processed (echoed in the ID token) or refused with an error, never a 500."""
    _long(mod, op, "nonce")


@module("fapi2-security-profile-final-ensure-authorization-request-with-long-state")
def test_long_state(mod: Module, op: OP) -> None:
    _long(mod, op, "state")


def _long(mod: Module, op: OP, name: str) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.auth_params(**{name: secrets.token_hex(192)})
    resp = flow.par()
    if resp.status_code != 201:
        expect_error(mod, resp, "EnsurePARInvalidRequestError", ["invalid_request"], (400,))
        return
    flow.request_uri = resp.json()["request_uri"]
    flow.browse()
    flow.tokens_ok(flow.token(flow.code_grant(flow.code())))
    if name == "nonce":
        mod.check(flow.claims.get("nonce") == flow.request["nonce"], "ValidateIdTokenNonce", "nonce not echoed")


# -- authorization request negatives ---------------------------------------------------------------------------------
@module("fapi2-security-profile-final-ensure-registered-redirect-uri")
def test_registered_redirect_uri(mod: Module, op: OP) -> None:
    """An unregistered redirect_uri: refused at the PAR endpoint (or an error page), never redirected to."""
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.auth_params(redirect_uri=op.url + "/conformance/fapi2/attacker/callback")
    resp = flow.par()
    if resp.status_code == 201:
        flow.request_uri = resp.json()["request_uri"]
        expect_error_page(mod, flow.browse(), "ExpectRedirectUriErrorPage")
        return
    expect_error(mod, resp, "EnsurePARInvalidRequestOrInvalidRedirectUriError",
                 ["invalid_request", "invalid_redirect_uri", "invalid_request_object"], (400,))


@module("fapi2-security-profile-final-plain-fapi-tolerate-unregistered-redirect-uri")
def test_tolerate_unregistered_redirect_uri(mod: Module, op: OP) -> None:
    """plain_fapi: a pushed request with a redirect_uri that was not registered may be accepted (RFC 9126 §2.4, the
    client is authenticated) or refused with a PAR error; a 5xx or a token for it never."""
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.auth_params(redirect_uri=op.url + "/conformance/fapi2/client1/other-callback")
    resp = flow.par()
    if resp.status_code != 201:
        expect_error(mod, resp, "EnsurePARInvalidRequestOrInvalidRedirectUriError",
                     ["invalid_request", "invalid_redirect_uri"], (400,))
        mod.warn("TolerateUnregisteredRedirectUri", "the server refuses unregistered redirect URIs at PAR "
                 "(allowed; it requires exact registration, RFC 9700 §4.1.1)")


@module("fapi2-security-profile-final-ensure-unsigned-authorization-request-without-using-par-fails")
def test_without_par_fails(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.browse(flow.auth_params())
    error_or_page(mod, flow, "EnsureInvalidRequestError", ["invalid_request", "invalid_request_object",
                                                           "unauthorized_client"])


@module("fapi2-security-profile-final-ensure-redirect-uri-in-authorization-request")
def test_redirect_uri_required(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    resp = flow.par(flow.auth_params(redirect_uri=None))
    if resp.status_code == 201:
        flow.request_uri = resp.json()["request_uri"]
        expect_error_page(mod, flow.browse(), "ExpectMissingRedirectUriErrorPage")
        return
    expect_error(mod, resp, "EnsurePARInvalidRequestError", ["invalid_request", "invalid_redirect_uri"], (400,))


@module("fapi2-security-profile-final-ensure-response-type-code-idtoken-fails")
def test_response_type_code_idtoken(mod: Module, op: OP) -> None:
    _response_type_fails(mod, op, "code id_token")


@module("fapi2-security-profile-final-ensure-response-type-token-fails")
def test_response_type_token(mod: Module, op: OP) -> None:
    _response_type_fails(mod, op, "token")


def _response_type_fails(mod: Module, op: OP, response_type: str) -> None:
    """FAPI 2.0 SP 5.3.2.2-1: only response_type=code; refused at PAR, or an error at /authorize."""
    _code_flow_only(mod)
    flow = _flow(mod, op)
    resp = flow.par(flow.auth_params(response_type=response_type))
    if resp.status_code == 201:
        flow.request_uri = resp.json()["request_uri"]
        flow.browse()
        error_or_page(mod, flow, "ExpectResponseTypeErrorPage", ["unsupported_response_type", "invalid_request",
                                                                 "unauthorized_client"])
        return
    expect_error(mod, resp, "EnsurePARInvalidRequestOrUnsupportedResponseTypeError",
                 ["invalid_request", "unsupported_response_type", "unauthorized_client"], (400, 401))


# -- token endpoint negatives ---------------------------------------------------------------------------------------
def _code(mod: Module, op: OP) -> tuple[Fapi, str]:
    flow = _flow(mod, op)
    flow.auth_params()
    flow.push()
    flow.browse()
    return flow, flow.code()


@module("fapi2-security-profile-final-ensure-client-id-in-token-endpoint")
def test_client_id_in_token_endpoint(mod: Module, op: OP) -> None:
    """client2's client_id beside client1's assertion: invalid_client."""
    other = op.prepared["fapi"]["client2"].client_id
    if mod.variant.plan == "fapi2-ccg":
        flow = _flow(mod, op)
        resp = flow.token({"grant_type": "client_credentials", "audience": fapi.API, "client_id": other})
    else:
        flow, code = _code(mod, op)
        resp = flow.token(flow.code_grant(code, client_id=other))
    expect_error(mod, resp, "CheckErrorFromTokenEndpointResponseErrorInvalidClient", ["invalid_client",
                                                                                      "invalid_request"])


@module("fapi2-security-profile-final-ensure-holder-of-key-required")
def test_holder_of_key_required(mod: Module, op: OP) -> None:
    """A token request without a DPoP proof: refused (FAPI 2.0 SP §5.3.2: sender-constrained tokens only)."""
    if mod.variant.plan == "fapi2-ccg":
        resp = _flow(mod, op).token({"grant_type": "client_credentials", "audience": fapi.API}, dpop=None)
    else:
        flow, code = _code(mod, op)
        resp = flow.token(flow.code_grant(code), dpop=None)
    expect_error(mod, resp, "EnsureHttpStatusCodeIs400or401", [])
    mod.check("access_token" not in resp.text, "EnsureNoAccessTokenWithoutProof", "a token without a proof")


@module("fapi2-security-profile-final-ensure-authorization-code-is-bound-to-client")
def test_code_bound_to_client(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow, code = _code(mod, op)
    other = op.prepared["fapi"]["client2"]
    resp = flow.token({**flow.code_grant(code), "redirect_uri": other.redirect_uri}, client=other)
    expect_error(mod, resp, "CheckTokenEndpointHttpStatus400", ["invalid_grant"], (400,))


@module("fapi2-security-profile-final-attempt-reuse-authorization-code-after-one-second")
def test_code_reuse(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow, code = _code(mod, op)
    tokens = flow.tokens_ok(flow.token(flow.code_grant(code)))
    time.sleep(1)
    resp = flow.token(flow.code_grant(code))
    expect_error(mod, resp, "CheckTokenEndpointHttpStatus400", ["invalid_grant"], (400,))
    after = flow.resource(tokens["access_token"])  # RFC 6749 4.1.2: SHOULD revoke what the code gave (WARNING)
    mod.check(after.status_code in (400, 401), "EnsureHttpStatusCodeIs4xx",
              f"the access token still works after the code was reused ({after.status_code})", "WARNING")


@module("fapi2-security-profile-final-ensure-token-endpoint-fails-with-expired-auth-code")
def test_expired_code(mod: Module, op: OP) -> None:
    """FAPI 2.0 SP §5.3.2: codes live at most 60 s; one redeemed after 61 s is refused."""
    _code_flow_only(mod)
    prepared = op.prepared["expiring"]
    if "code" not in prepared:
        mod.stop("CallPAREndpoint", prepared.get("error", "the first half did not run"))
    flow, code, at = prepared["code"]
    flow.mod = mod
    wait_until(at, 61)
    expect_error(mod, flow.token(flow.code_grant(code)), "CheckTokenEndpointHttpStatus400", ["invalid_grant"], (400,))


# -- private_key_jwt -----------------------------------------------------------------------------------------------
def _assertion_refused(mod: Module, op: OP, make: object) -> None:
    """A token request whose client assertion ``make(client, issuer)`` returns: invalid_client, no token."""
    flow = _flow(mod, op)
    assertion = make(flow.client, op.issuer)  # type: ignore[operator]
    if mod.variant.plan == "fapi2-ccg":
        resp = flow.token({"grant_type": "client_credentials", "audience": fapi.API}, assertion=assertion)
    else:
        flow.auth_params()
        flow.push()
        flow.browse()
        resp = flow.token(flow.code_grant(flow.code()), assertion=assertion)
    expect_error(mod, resp, "CheckTokenEndpointHttpStatusForInvalidClient", ASSERTION_ERRORS)


@module("fapi2-security-profile-final-ensure-signed-client-assertion-with-RS256-fails")
def test_assertion_rs256(mod: Module, op: OP) -> None:
    """FAPI 2.0 SP 5.4.1: RS256 is not allowed (the client's RSA key is registered, so the signature verifies)."""
    _assertion_refused(mod, op, lambda c, iss: c.assertion(iss, alg="RS256"))


@module("fapi2-security-profile-final-ensure-client-assertion-in-token-endpoint")
def test_assertion_required(mod: Module, op: OP) -> None:
    flow = _flow(mod, op)
    if mod.variant.plan == "fapi2-ccg":
        resp = flow.token({"grant_type": "client_credentials", "audience": fapi.API,
                           "client_id": flow.client.client_id}, auth=False)
    else:
        flow, code = _code(mod, op)
        resp = flow.token(flow.code_grant(code, client_id=flow.client.client_id), auth=False)
    expect_error(mod, resp, "CheckTokenEndpointHttpStatusForInvalidClient", ASSERTION_ERRORS)


@module("fapi2-security-profile-final-ensure-client-assertion-with-exp-is-5-minutes-in-past-fails")
def test_assertion_expired(mod: Module, op: OP) -> None:
    now = int(time.time())
    _assertion_refused(mod, op, lambda c, iss: c.assertion(iss, iat=now - 360, exp=now - 300))


@module("fapi2-security-profile-final-ensure-client-assertion-with-wrong-aud-fails")
def test_assertion_wrong_aud(mod: Module, op: OP) -> None:
    _assertion_refused(mod, op, lambda c, iss: c.assertion("https://wrong.example.test/"))


@module("fapi2-security-profile-final-ensure-client-assertion-with-no-sub-fails")
def test_assertion_no_sub(mod: Module, op: OP) -> None:
    _assertion_refused(mod, op, lambda c, iss: c.assertion(iss, sub=None))


@module("fapi2-security-profile-final-ensure-invalid-client-assertions-fail")
def test_invalid_assertions(mod: Module, op: OP) -> None:
    """FAPI2SPFinalEnsureInvalidClientAssertionsFail: each bad assertion refused at the PAR endpoint, a good one
    accepted. Among them the token endpoint as aud: FAPI 2.0 final accepts only the issuer identifier."""
    _code_flow_only(mod)
    flow = _flow(mod, op)
    client, iss = flow.client, op.issuer
    now = int(time.time())
    bad = {
        "aud_token_endpoint": client.assertion(op.discovery["token_endpoint"]),
        "aud_array": client.assertion([iss]),
        "aud_par_endpoint": client.assertion(op.discovery["pushed_authorization_request_endpoint"]),
        "wrong_iss": client.assertion(iss, iss="someone-else"),
        "no_exp": client.assertion(iss, exp=None),
        "exp_in_past": client.assertion(iss, exp=now - 120),
        "no_jti": client.assertion(iss, jti=None),
        "signed_by_unregistered_key": FapiClient(client.client_id, client.redirect_uri, new_keys()).assertion(iss),
        "rs256": client.assertion(iss, alg="RS256"),
        "alg_none": ".".join(base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=").decode()
                             for p in ({"alg": "none"}, {"iss": client.client_id, "sub": client.client_id, "aud": iss,
                                                         "exp": now + 60, "jti": secrets.token_hex(8)})) + ".",
    }
    for name, assertion in bad.items():
        resp = flow.par(flow.auth_params(), assertion=assertion)
        mod.check(resp.status_code in (400, 401) and resp.json().get("error") in ASSERTION_ERRORS,
                  "EnsurePARInvalidClientError", f"{name}: HTTP {resp.status_code} {resp.text[:150]}")
    good = flow.par(flow.auth_params(), assertion=client.assertion(iss, alg="PS256"))
    mod.check(good.status_code == 201, "CallPAREndpoint", f"a valid PS256 assertion: {good.status_code} {good.text[:150]}")


@module("fapi2-security-profile-final-dpop-negative-tests")
def test_dpop_negative(mod: Module, op: OP) -> None:
    """FAPI2SPFinalDpopNegativeTests at the token endpoint: each bad proof refused (400), then a reused proof
    (the suite: EnsureHttpStatusCodeIs400or401, WARNING... here a FAILURE: this server replays nothing)."""
    flow = _flow(mod, op)
    url = op.discovery["token_endpoint"]
    data = {"grant_type": "client_credentials", "audience": fapi.API} if mod.variant.plan == "fapi2-ccg" else None
    for name, proof in bad_proofs(flow.client.dpop, "POST", url, other_htu=op.discovery["userinfo_endpoint"]).items():
        if data is None:
            flow2, code = _code(mod, op)
            grant = flow2.code_grant(code)
        else:
            grant = data
        body = {**grant, "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": flow.client.assertion(op.issuer)}
        resp = op.http.post(url, data=body, headers={"DPoP": proof}, timeout=30)
        mod.check(resp.status_code in (400, 401) and "access_token" not in resp.text, "EnsureHttpStatusCodeIs400or401",
                  f"{name}: HTTP {resp.status_code} {resp.text[:150]}")
    # ... and at the resource endpoint, with a good DPoP-bound access token: each bad proof refused (401), and the
    # same proof twice ("DPoP reuse, second use of the same jti, this 'should' fail": WARNING in the suite)
    bound = _happy_either(mod, op)
    resource = op.url + "/api/private" if data is not None else op.discovery["userinfo_endpoint"]
    token = bound.tokens["access_token"]
    for name, proof in bad_proofs(bound.client.dpop, "GET", resource, access_token=token,
                                  other_htu=op.discovery["token_endpoint"]).items():
        resp = op.http.get(resource, headers={"Authorization": f"DPoP {token}", "DPoP": proof}, timeout=30)
        mod.check(resp.status_code in (400, 401), "EnsureHttpStatusCodeIs400or401",
                  f"resource, {name}: HTTP {resp.status_code} {resp.text[:150]}")
    once = bound.client.dpop.proof("GET", resource, access_token=token)
    first_use = op.http.get(resource, headers={"Authorization": f"DPoP {token}", "DPoP": once}, timeout=30)
    mod.check(first_use.status_code == 200, "CallProtectedResource", f"{first_use.status_code}")
    reused = op.http.get(resource, headers={"Authorization": f"DPoP {token}", "DPoP": once}, timeout=30)
    mod.check(reused.status_code in (400, 401), "EnsureHttpStatusCodeIs400or401",
              f"resource, the same proof twice: HTTP {reused.status_code}", "WARNING")
    if data is not None:
        proof = flow.client.dpop.proof("POST", url)
        body = {**data, "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
        first = op.http.post(url, data={**body, "client_assertion": flow.client.assertion(op.issuer)},
                             headers={"DPoP": proof}, timeout=30)
        mod.check(first.status_code == 200, "CallTokenEndpoint", f"{first.status_code} {first.text[:150]}")
        again = op.http.post(url, data={**body, "client_assertion": flow.client.assertion(op.issuer)},
                             headers={"DPoP": proof}, timeout=30)
        mod.check(again.status_code in (400, 401), "EnsureDpopProofReplayRejected", f"reused proof: {again.status_code}")


# -- refresh tokens ------------------------------------------------------------------------------------------------
@module("fapi2-security-profile-final-refresh-token")
def test_refresh_token(mod: Module, op: OP) -> None:
    """FAPI2SPFinalRefreshToken: the refresh token works with client authentication and a DPoP proof, the new access
    token is DPoP-bound; without client authentication, without a proof, or by the other client it is refused."""
    _code_flow_only(mod)
    flow = _flow(mod, op)
    tokens = flow.happy(scope="openid offline_access")
    refresh = tokens.get("refresh_token") or mod.stop("ExtractRefreshTokenFromTokenResponse", "no refresh_token")
    grant = {"grant_type": "refresh_token", "refresh_token": refresh}
    other = op.prepared["fapi"]["client2"]
    expect_error(mod, flow.token(grant, client=other), "EnsureRefreshTokenBoundToClient", ["invalid_grant",
                                                                                              "invalid_client"])
    expect_error(mod, flow.token({**grant, "client_id": flow.client.client_id}, auth=False),
                 "EnsureRefreshTokenRequiresClientAuthentication", ASSERTION_ERRORS)
    expect_error(mod, flow.token(grant, dpop=None), "EnsureRefreshTokenRequiresDpopProof", [])
    first_nonce = flow.claims.get("nonce")
    refreshed = flow.tokens_ok(flow.token(grant), refresh=True)
    mod.check(flow.claims.get("nonce") in (None, first_nonce), "ValidateIdTokenNonce",
              "a refreshed ID token carries another nonce (OIDC Core 12.2)")
    if refreshed.get("refresh_token", refresh) != refresh:
        # "Refresh Token Request With Previous Token, FAPI 2.0 Security Profile 5.3.2.1-9": the refresh token was
        # rotated, so the client that lost the response tries the previous one 30 s later, and must succeed.
        time.sleep(30)
        again = flow.tokens_ok(flow.token(grant), refresh=True)
        mod.check(bool(again.get("access_token")), "RefreshTokenRequestWithPreviousToken", "no access token")
    resp = flow.resource(refreshed["access_token"])
    mod.check(resp.status_code == 200, "CallProtectedResourceWithRefreshedToken", f"{resp.status_code}")
    plain = op.http.get(op.discovery["userinfo_endpoint"],
                        headers={"Authorization": f"Bearer {refreshed['access_token']}"}, timeout=30)
    mod.check(plain.status_code == 401, "EnsureDpopBoundTokenRefusedAsBearer", f"as Bearer: {plain.status_code}")


# -- PAR -----------------------------------------------------------------------------------------------------------
@module("fapi2-security-profile-final-par-ensure-reused-request-uri-prior-to-auth-completion-succeeds")
def test_request_uri_reused_before_completion(mod: Module, op: OP) -> None:
    """FAPI 2.0 SP 5.3.2.2 note: the request_uri is spent when the authorization completes, not at the first visit:
    visit once without logging in, then again, log in, and get a code."""
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.auth_params()
    flow.push()
    first = op.browser()
    first.can_login = False
    result = flow.browse(browser=first)
    mod.check(not hasattr(result, "via"), "ExpectLoginPage", "the first visit returned to the client")
    flow.browse()
    flow.tokens_ok(flow.token(flow.code_grant(flow.code())))


@module("fapi2-security-profile-final-par-attempt-reuse-request_uri")
def test_request_uri_reuse(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.happy()
    flow.browse()
    error_or_page(mod, flow, "EnsureInvalidRequestUriError", ["invalid_request_uri", "invalid_request"])


@module("fapi2-security-profile-final-par-attempt-to-use-expired-request_uri")
def test_request_uri_expired(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    prepared = op.prepared["expiring"]
    if "par" not in prepared:
        mod.stop("CallPAREndpoint", prepared.get("error", "the first half did not run"))
    flow, body, at = prepared["par"]
    flow.mod = mod
    mod.check(body.get("expires_in", 601) <= 600, "FAPI2CheckPAREndpointResponseExpiresIn",
              f"expires_in {body.get('expires_in')} (FAPI 2.0 SP 5.3.2.2: under 600 s)")
    flow.request_uri = body["request_uri"]
    wait_until(at, body.get("expires_in", 60) + 1)
    flow.browse()
    error_or_page(mod, flow, "EnsureInvalidRequestUriError", ["invalid_request_uri", "invalid_request"])


@module("fapi2-security-profile-final-par-attempt-to-use-request_uri-for-different-client")
def test_request_uri_other_client(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    flow.auth_params()
    flow.push()
    flow.browse({"client_id": op.prepared["fapi"]["client2"].client_id, "request_uri": flow.request_uri or ""})
    error_or_page(mod, flow, "EnsureInvalidRequestUriError", ["invalid_request_uri", "invalid_request"])


@module("fapi2-security-profile-final-par-authorization-request-containing-request_uri-form-param")
def test_par_with_request_uri(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    resp = flow.par(flow.auth_params(request_uri="urn:ietf:params:oauth:request_uri:" + secrets.token_urlsafe(16)))
    expect_error(mod, resp, "EnsurePARInvalidRequestOrInvalidRequestObjectOrRequestUriNotSupportedError",
                 ["invalid_request", "invalid_request_object", "request_uri_not_supported"], (400,))


@module("fapi2-security-profile-final-par-attempt-invalid-http-method")
def test_par_invalid_method(mod: Module, op: OP) -> None:
    """RFC 9126 §2.3: a request to the PAR endpoint that is not a POST gets 405."""
    _code_flow_only(mod)
    flow = _flow(mod, op)
    resp = flow.par(flow.auth_params(), method="PUT")
    mod.check(resp.status_code == 405, "EnsureParHTTPError", f"PUT answered {resp.status_code}")


@module("fapi2-security-profile-final-par-ensure-pkce-required")
def test_pkce_required(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    resp = flow.par(flow.auth_params(code_challenge=None, code_challenge_method=None))
    if resp.status_code == 201:
        flow.request_uri = resp.json()["request_uri"]
        flow.browse()
        error_or_page(mod, flow, "EnsureInvalidRequestError", ["invalid_request"])
        return
    expect_error(mod, resp, "EnsurePARInvalidRequestError", ["invalid_request"], (400,))


@module("fapi2-security-profile-final-ensure-pkce-code-verifier-required")
def test_code_verifier_required(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow, code = _code(mod, op)
    grant = flow.code_grant(code)
    del grant["code_verifier"]
    expect_error(mod, flow.token(grant), "CheckTokenEndpointHttpStatus400", ["invalid_request", "invalid_grant"],
                 (400,))


@module("fapi2-security-profile-final-incorrect-pkce-code-verifier-rejected")
def test_incorrect_code_verifier(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow, code = _code(mod, op)
    resp = flow.token(flow.code_grant(code, code_verifier=secrets.token_urlsafe(48)))
    expect_error(mod, resp, "CheckTokenEndpointHttpStatus400", ["invalid_grant"], (400,))


@module("fapi2-security-profile-final-par-plain-pkce-rejected")
def test_plain_pkce(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    resp = flow.par(flow.auth_params(code_challenge=flow.verifier, code_challenge_method="plain"))
    if resp.status_code == 201:
        flow.request_uri = resp.json()["request_uri"]
        flow.browse()
        error_or_page(mod, flow, "EnsureInvalidRequestError", ["invalid_request"])
        return
    expect_error(mod, resp, "EnsurePARInvalidRequestError", ["invalid_request"], (400,))


@module("fapi2-security-profile-final-par-without-duplicate-parameters")
def test_par_without_duplicates(mod: Module, op: OP) -> None:
    """Only client_id and request_uri at /authorize (RFC 9126 §4): the flow completes."""
    _code_flow_only(mod)
    _flow(mod, op).happy()


@module("fapi2-security-profile-final-par-ensure-jwt-client-assertions-nbf-8-seconds-in-the-future-is-accepted")
def test_assertion_nbf_8s(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    now = int(time.time())
    resp = flow.par(flow.auth_params(), assertion=flow.client.assertion(op.issuer, iat=now + 8, nbf=now + 8))
    mod.check(resp.status_code == 201, "CallPAREndpoint", f"{resp.status_code} {resp.text[:200]}")


@module("fapi2-security-profile-final-par-ensure-jwt-client-assertions-nbf-over-60-seconds-in-the-future-fails")
def test_assertion_nbf_61s(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    now = int(time.time())
    resp = flow.par(flow.auth_params(), assertion=flow.client.assertion(op.issuer, iat=now + 61, nbf=now + 61))
    expect_error(mod, resp, "EnsurePARInvalidClientError", ASSERTION_ERRORS)


@module("fapi2-security-profile-final-par-endpoint-as-array-audience-fails")
def test_assertion_array_aud(mod: Module, op: OP) -> None:
    _code_flow_only(mod)
    flow = _flow(mod, op)
    resp = flow.par(flow.auth_params(), assertion=flow.client.assertion([op.issuer]))
    expect_error(mod, resp, "EnsurePARInvalidClientError", ASSERTION_ERRORS)
