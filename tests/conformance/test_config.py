"""OIDF Config OP plan: oidcc-discovery-endpoint-verification against the server over https."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from .flows import OP
from .oidf import Module
from .plans import module

pytestmark = pytest.mark.live
KNOWN = {  # OpenID Connect Discovery 1.0 section 3, RFC 8414, RFC 9207, RP-initiated logout, RFC 8628
    "issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "registration_endpoint",
    "scopes_supported", "response_types_supported", "response_modes_supported", "grant_types_supported",
    "acr_values_supported", "subject_types_supported", "id_token_signing_alg_values_supported",
    "id_token_encryption_alg_values_supported", "id_token_encryption_enc_values_supported",
    "userinfo_signing_alg_values_supported", "request_object_signing_alg_values_supported",
    "token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported",
    "display_values_supported", "claim_types_supported", "claims_supported", "service_documentation",
    "claims_locales_supported", "ui_locales_supported", "claims_parameter_supported", "request_parameter_supported",
    "request_uri_parameter_supported", "require_request_uri_registration", "op_policy_uri", "op_tos_uri",
    "revocation_endpoint", "introspection_endpoint", "code_challenge_methods_supported",
    "authorization_response_iss_parameter_supported", "end_session_endpoint", "device_authorization_endpoint",
    "revocation_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported",
    "backchannel_logout_supported", "backchannel_logout_session_supported", "frontchannel_logout_supported",
    "frontchannel_logout_session_supported", "check_session_iframe", "pushed_authorization_request_endpoint",
    "require_pushed_authorization_requests", "dpop_signing_alg_values_supported", "mtls_endpoint_aliases",
    "tls_client_certificate_bound_access_tokens",
}


def all_endpoints_https(mod: Module, d: dict) -> None:
    """CheckDiscEndpointAllEndpointsAreHttps: every *_endpoint, jwks_uri and the issuer are https."""
    for key, value in d.items():
        if key.endswith("_endpoint") or key in ("jwks_uri", "issuer", "check_session_iframe"):
            mod.check(isinstance(value, str) and urlsplit(value).scheme == "https",
                      "CheckDiscEndpointAllEndpointsAreHttps", f"{key} is not https: {value}")


@module("oidcc-discovery-endpoint-verification")
def test_oidcc_discovery_endpoint_verification(mod: Module, op: OP) -> None:
    resp = op.http.get(op.url + "/.well-known/openid-configuration", timeout=30)
    if resp.status_code != 200:
        mod.stop("GetDynamicServerConfiguration", f"status {resp.status_code}")
    mod.check(resp.headers.get("Content-Type", "").split(";")[0] == "application/json",
              "CheckDiscoveryEndpointReturnedJsonContentType", resp.headers.get("Content-Type", ""))
    d = resp.json()
    mod.check(d.get("issuer", "").rstrip("/") + "/.well-known/openid-configuration"
              == op.url + "/.well-known/openid-configuration", "CheckDiscEndpointIssuer",
              f"issuer {d.get('issuer')!r} is not the prefix of the discovery URL")
    mod.check(urlsplit(d.get("issuer", "")).scheme == "https" and not urlsplit(d.get("issuer", "")).query,
              "CheckDiscEndpointIssuerIsValidUrl", str(d.get("issuer")))
    unknown = sorted(set(d) - KNOWN)
    mod.check(not unknown, "CheckForUnexpectedParametersInServerMetadata", f"{unknown}", "WARNING")
    mod.check("code" in (d.get("response_types_supported") or []), "OIDCCCheckDiscEndpointResponseTypesSupported",
              str(d.get("response_types_supported")))
    subjects = d.get("subject_types_supported")
    mod.check(isinstance(subjects, list) and bool(subjects) and set(subjects) <= {"public", "pairwise"},
              "CheckDiscEndpointSubjectTypesSupported", str(subjects))
    mod.check("RS256" in (d.get("id_token_signing_alg_values_supported") or []),
              "OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported", "RS256 missing")
    for key, cond in (("authorization_endpoint", "CheckDiscEndpointAuthorizationEndpoint"),
                      ("token_endpoint", "CheckDiscEndpointTokenEndpoint"), ("jwks_uri", "CheckJwksUri")):
        mod.check(isinstance(d.get(key), str), cond, f"{key} missing")
    keys = op.http.get(d["jwks_uri"], timeout=30)
    if keys.status_code != 200 or not isinstance(keys.json().get("keys"), list):
        mod.stop("FetchServerKeys", f"jwks_uri answered {keys.status_code}")
    mod.check(isinstance(d.get("claims_supported"), list), "OIDCCCheckDiscEndpointClaimsSupported",
              "claims_supported absent", "WARNING")
    grants = d.get("grant_types_supported", ["authorization_code", "implicit"])
    mod.check(isinstance(grants, list) and "authorization_code" in grants,
              "OIDCCCheckDiscEndpointGrantTypesSupported", str(grants))
    scopes = d.get("scopes_supported")
    mod.check(scopes is None or (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)),
              "CheckDiscEndpointScopesSupportedSyntax", str(scopes))
    mod.check(isinstance(scopes, list) and "openid" in scopes, "CheckDiscEndpointScopesSupportedContainsOpenId",
              str(scopes))
    for key in ("claims_parameter_supported", "request_parameter_supported", "request_uri_parameter_supported"):
        mod.check(key not in d or isinstance(d[key], bool), "ValidateServerMetadataAgainstSchema", f"{key} type")
    all_endpoints_https(mod, d)
    mod.check(isinstance(d.get("code_challenge_methods_supported", []), list),
              "EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray", "not an array")
