"""The six OIDF plans: their variants and modules, in the order of the suite's plan classes (OIDCC*TestPlan)."""
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

PLAN_NAMES = {
    "basic": "oidcc-basic-certification-test-plan",
    "formpost": "oidcc-formpost-basic-certification-test-plan",
    "implicit-id_token": "oidcc-implicit-certification-test-plan (id_token)",
    "implicit-id_token+token": "oidcc-implicit-certification-test-plan (id_token token)",
    "config": "oidcc-config-certification-test-plan",
    "logout": "oidcc-rp-initiated-logout-certification-test-plan",
    "backchannel": "oidcc-backchannel-rp-initiated-logout-certification-test-plan",
}
VARIANTS = {
    "basic": Variant("basic"),
    "formpost": Variant("formpost", response_mode="form_post"),
    "implicit-id_token": Variant("implicit", response_type="id_token"),
    "implicit-id_token+token": Variant("implicit", response_type="id_token token"),
    "config": Variant("config"),
    "logout": Variant("logout"),
    "backchannel": Variant("backchannel"),
}
EXPECTED = {
    "basic": BASIC_MODULES, "formpost": BASIC_MODULES, "implicit-id_token": IMPLICIT_MODULES,
    "implicit-id_token+token": IMPLICIT_MODULES + IMPLICIT_TOKEN_ONLY,
    "config": ["oidcc-discovery-endpoint-verification"], "logout": LOGOUT_MODULES,
    "backchannel": BACKCHANNEL_MODULES,
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
