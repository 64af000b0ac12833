"""The OIDF plans: their variants and modules, in the order of the suite's plan classes (OIDCC*TestPlan)."""
from __future__ import annotations

from typing import Any

import pytest

from .oidf import Variant

BASIC_MODULES = [
    "oidcc-server", "oidcc-response-type-missing", "oidcc-idtoken-signature", "oidcc-idtoken-unsigned",
    "oidcc-userinfo-get", "oidcc-userinfo-post-header", "oidcc-userinfo-post-body",
    "oidcc-ensure-request-without-nonce-succeeds-for-code-flow", "oidcc-scope-profile", "oidcc-scope-email",
    "oidcc-scope-address", "oidcc-scope-phone", "oidcc-scope-all", "oidcc-alternate-happy-flow",
    "oidcc-display-page", "oidcc-display-popup", "oidcc-prompt-login", "oidcc-prompt-none-not-logged-in",
    "oidcc-prompt-none-logged-in", "oidcc-max-age-1", "oidcc-max-age-10000",
    "oidcc-ensure-request-with-unknown-parameter-succeeds", "oidcc-id-token-hint", "oidcc-login-hint",
    "oidcc-ui-locales", "oidcc-claims-locales", "oidcc-ensure-request-with-acr-values-succeeds", "oidcc-codereuse",
    "oidcc-codereuse-30seconds", "oidcc-ensure-registered-redirect-uri", "oidcc-ensure-post-request-succeeds",
    "oidcc-server-client-secret-post",
    "oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported",
    "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported", "oidcc-claims-essential",
    "oidcc-ensure-request-object-with-redirect-uri", "oidcc-refresh-token",
    "oidcc-ensure-request-with-valid-pkce-succeeds",
]
IMPLICIT_MODULES = [  # run for both response types (OIDCCImplicitTestPlan.moduleList)
    "oidcc-server", "oidcc-idtoken-signature", "oidcc-ensure-request-without-nonce-fails", "oidcc-scope-profile",
    "oidcc-scope-email", "oidcc-scope-address", "oidcc-scope-phone", "oidcc-scope-all", "oidcc-alternate-happy-flow",
    "oidcc-display-page", "oidcc-display-popup", "oidcc-prompt-login", "oidcc-prompt-none-not-logged-in",
    "oidcc-prompt-none-logged-in", "oidcc-max-age-1", "oidcc-max-age-10000",
    "oidcc-ensure-request-with-unknown-parameter-succeeds", "oidcc-id-token-hint", "oidcc-login-hint",
    "oidcc-ui-locales", "oidcc-claims-locales", "oidcc-ensure-request-with-acr-values-succeeds",
    "oidcc-ensure-registered-redirect-uri",
    "oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported",
    "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported",
    "oidcc-ensure-request-object-with-redirect-uri", "oidcc-claims-essential",
]
IMPLICIT_TOKEN_ONLY = ["oidcc-userinfo-get", "oidcc-userinfo-post-header", "oidcc-userinfo-post-body",
                       "oidcc-response-type-missing"]
LOGOUT_MODULES = [
    "oidcc-rp-initiated-logout-discovery-endpoint-verification", "oidcc-rp-initiated-logout",
    "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri", "oidcc-rp-initiated-logout-modified-id-token-hint",
    "oidcc-rp-initiated-logout-no-id-token-hint", "oidcc-rp-initiated-logout-no-params",
    "oidcc-rp-initiated-logout-no-post-logout-redirect-uri", "oidcc-rp-initiated-logout-no-state",
    "oidcc-rp-initiated-logout-only-state", "oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri",
    "oidcc-rp-initiated-logout-bad-id-token-hint",
]
BACKCHANNEL_MODULES = ["oidcc-backchannel-logout-discovery-endpoint-verification", "oidcc-backchannel-rp-initiated-logout"]

# FAPI2SPFinalTestPlan.testModulesWithVariants: FAPI2MessageSigningFinalTestPlan.testModules without the modules
# that need a signed request, in that order (fapi_request_method=unsigned, fapi_response_mode=plain_response).
FAPI2_MODULES = [f"fapi2-security-profile-final-{m}" for m in [
    "discovery-end-point-verification", "happy-flow", "user-rejects-authentication",
    "ensure-request-object-with-multiple-aud-succeeds", "ensure-authorization-request-without-state-success",
    "ensure-authorization-request-without-nonce-success", "ensure-authorization-request-with-64-char-nonce-success",
    "ensure-other-scope-order-succeeds", "test-claims-parameter-identity-claims",
    "access-token-type-header-case-sensitivity", "check-dpop-proof-nbf-exp",
    "ensure-dpopproof-with-iat-10seconds-before-succeeds", "ensure-dpopproof-with-iat-10seconds-after-succeeds",
    "ensure-mismatched-dpop-jkt-fails", "ensure-token-endpoint-fails-with-mismatched-dpop-proof-jkt",
    "ensure-token-endpoint-fails-with-mismatched-dpop-jkt", "ensure-dpopproof-at-par-endpoint-binding-success",
    "ensure-dpop-auth-code-binding-success", "ensure-different-nonce-inside-and-outside-request-object",
    "ensure-different-state-inside-and-outside-request-object", "ensure-authorization-request-with-long-nonce",
    "ensure-authorization-request-with-long-state", "state-only-outside-request-object-not-used",
    "ensure-request-object-without-redirect-uri-fails",
    "australia-connectid-ensure-request-object-with-exp-over-10-fails",
    "australia-connectid-ensure-request-object-with-nbf-over-15-fails", "ksa-ensure-request-object-with-exp-over-10-fails",
    "ksa-ensure-request-object-with-nbf-over-10-fails", "ensure-registered-redirect-uri",
    "plain-fapi-tolerate-unregistered-redirect-uri", "ensure-unsigned-authorization-request-without-using-par-fails",
    "ensure-redirect-uri-in-authorization-request", "ensure-response-type-code-idtoken-fails",
    "australia-connectid-ensure-invalid-purpose-fails", "ensure-response-type-token-fails",
    "ensure-client-id-in-token-endpoint", "ensure-holder-of-key-required",
    "ensure-authorization-code-is-bound-to-client", "attempt-reuse-authorization-code-after-one-second",
    "ensure-token-endpoint-fails-with-expired-auth-code", "ensure-signed-client-assertion-with-RS256-fails",
    "ensure-client-assertion-in-token-endpoint", "ensure-client-assertion-with-exp-is-5-minutes-in-past-fails",
    "ensure-client-assertion-with-wrong-aud-fails", "ensure-client-assertion-with-no-sub-fails",
    "ensure-invalid-client-assertions-fail", "dpop-negative-tests", "refresh-token", "cdr-sharing-duration-zero",
    "cdr-negative-sharing-duration", "cdr-refresh-token-introspection-expiry", "cdr-arrangement-amendment",
    "cdr-unrecognised-arrangement-id", "brazil-ensure-bad-payment-signature-fails",
    "australia-connectid-test-claims-parameter-idtoken-identity-claims",
    "par-ensure-reused-request-uri-prior-to-auth-completion-succeeds", "par-attempt-reuse-request_uri",
    "par-attempt-to-use-expired-request_uri", "par-attempt-to-use-request_uri-for-different-client",
    "par-authorization-request-containing-request_uri-form-param", "par-attempt-invalid-http-method",
    "par-ensure-pkce-required", "ensure-pkce-code-verifier-required", "incorrect-pkce-code-verifier-rejected",
    "par-plain-pkce-rejected", "par-without-duplicate-parameters",
    "par-ensure-jwt-client-assertions-nbf-8-seconds-in-the-future-is-accepted",
    "par-ensure-jwt-client-assertions-nbf-over-60-seconds-in-the-future-fails", "par-endpoint-as-array-audience-fails",
    "grant-management-query-and-revoke", "grant-management-merge", "grant-management-replace",
    "grant-management-ensure-invalid-grant-id-fails", "grant-management-ensure-query-nonexistent-grant-fails",
    "grant-management-ensure-wrong-client-cannot-query-grant",
    "grant-management-ensure-wrong-client-cannot-revoke-grant",
]]

PLAN_NAMES = {
    "basic": "oidcc-basic-certification-test-plan",
    "formpost": "oidcc-formpost-basic-certification-test-plan",
    "implicit-id_token": "oidcc-implicit-certification-test-plan (id_token)",
    "implicit-id_token+token": "oidcc-implicit-certification-test-plan (id_token token)",
    "config": "oidcc-config-certification-test-plan",
    "logout": "oidcc-rp-initiated-logout-certification-test-plan",
    "backchannel": "oidcc-backchannel-rp-initiated-logout-certification-test-plan",
    "fapi2": "fapi2-security-profile-final-test-plan (private_key_jwt, dpop, plain_fapi, openid_connect)",
    "fapi2-ccg": "fapi2-security-profile-final-test-plan (private_key_jwt, dpop, fapi_client_credentials_grant, "
    "plain_oauth)",
}
VARIANTS = {
    "basic": Variant("basic"),
    "formpost": Variant("formpost", response_mode="form_post"),
    "implicit-id_token": Variant("implicit", response_type="id_token"),
    "implicit-id_token+token": Variant("implicit", response_type="id_token token"),
    "config": Variant("config"),
    "logout": Variant("logout"),
    "backchannel": Variant("backchannel"),
    "fapi2": Variant("fapi2", client_auth="private_key_jwt"),
    "fapi2-ccg": Variant("fapi2-ccg", response_type="none", client_auth="private_key_jwt"),
}
EXPECTED = {
    "basic": BASIC_MODULES, "formpost": BASIC_MODULES, "implicit-id_token": IMPLICIT_MODULES,
    "implicit-id_token+token": IMPLICIT_MODULES + IMPLICIT_TOKEN_ONLY,
    "config": ["oidcc-discovery-endpoint-verification"], "logout": LOGOUT_MODULES,
    "backchannel": BACKCHANNEL_MODULES, "fapi2": FAPI2_MODULES, "fapi2-ccg": FAPI2_MODULES,
}


def variants_for(module: str) -> list[str]:
    """The variant ids (pytest ids) of every plan that lists ``module``."""
    return [vid for vid, modules in EXPECTED.items() if module in modules]


def module(name: str, only: list[str] | None = None) -> Any:
    """Marks a test as the OIDF module ``name`` and runs it once per plan variant that lists it."""
    ids = [v for v in variants_for(name) if only is None or v in only]

    def mark(fn: Any) -> Any:
        fn = pytest.mark.parametrize("variant_id", ids, indirect=True)(fn)
        return pytest.mark.module(name)(fn)
    return mark
