"""The OIDF conformance suite's conditions (FAILURE / WARNING) for ID tokens, callbacks, tokens and userinfo."""
from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from joserfc import jws
from joserfc.jwk import KeySet

from .browser import Callback, Page

SCOPE_CLAIMS = {  # AbstractVerifyScopesReturnedInClaims.SCOPE_STANDARD_CLAIMS
    "openid": ["sub"],
    "profile": ["name", "given_name", "family_name", "middle_name", "nickname", "profile", "picture", "website",
                "gender", "birthdate", "zoneinfo", "locale", "updated_at", "preferred_username"],
    "email": ["email", "email_verified"], "address": ["address"], "phone": ["phone_number", "phone_number_verified"],
    "offline_access": [],
}
BOOLEAN_CLAIMS = {"email_verified", "phone_number_verified"}
NUMBER_CLAIMS = {"updated_at", "auth_time", "exp", "iat", "nbf"}


class ConditionFailed(AssertionError):
    """A FAILURE condition that stops the module (callAndStopOnFailure)."""


@dataclass
class Variant:
    plan: str
    response_type: str = "code"
    response_mode: str = "default"
    client_auth: str = "client_secret_basic"

    @property
    def id(self) -> str:
        return self.plan if self.plan != "implicit" else f"implicit-{self.response_type.replace(' ', '+')}"

    @property
    def form_post(self) -> bool:
        return self.response_mode == "form_post"


@dataclass
class Module:
    """One module's run: conditions that failed (continue) and warnings, as the OIDF log records them."""

    name: str
    variant: Variant
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def fail(self, condition: str, message: str) -> None:
        self.failures.append(f"{condition}: {message}")

    def stop(self, condition: str, message: str) -> None:
        self.fail(condition, message)
        raise ConditionFailed("; ".join(self.failures))

    def warn(self, condition: str, message: str) -> None:
        self.warnings.append(f"{condition}: {message}")

    def check(self, ok: bool, condition: str, message: str, level: str = "FAILURE") -> bool:
        if not ok:
            {"FAILURE": self.fail, "WARNING": self.warn, "STOP": self.stop}[level](condition, message)
        return ok

    @staticmethod
    def skipped(reason: str) -> None:
        """fireTestSkipped: the OIDF suite ends the module as SKIPPED (not a failure) with this reason."""
        pytest.skip(f"OIDF skips: {reason}")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def half_hash(value: str) -> str:
    """at_hash / c_hash for RS256: left half of SHA-256 (OIDC Core 3.1.3.6, 3.2.2.9)."""
    digest = hashlib.sha256(value.encode()).digest()
    return b64url(digest[: len(digest) // 2])


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_id_token(mod: Module, op: Any, token: str, client_id: str, nonce: str | None) -> dict[str, Any]:
    """PerformStandardIdTokenChecks: ValidateIdToken, ...StandardClaims, ...Nonce, ...Signature, CheckForSubject."""
    parts = token.split(".")
    if len(parts) != 3:
        mod.stop("ExtractIdToken", "the id_token is not a JWS compact serialization")
    header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    mod.check(header.get("alg") in op.discovery.get("id_token_signing_alg_values_supported", []),
              "ValidateIdTokenSignature", f"alg {header.get('alg')!r} not in id_token_signing_alg_values_supported")
    keys = [k for k in op.jwks()["keys"] if k.get("kid") == header.get("kid")] if header.get("kid") else []
    if not keys:
        mod.fail("ValidateIdTokenSignature", f"no key in jwks_uri with the id_token's kid {header.get('kid')!r}")
    else:
        try:
            jws.deserialize_compact(token, KeySet.import_key_set({"keys": keys}), algorithms=[header["alg"]])
        except Exception as exc:  # noqa: BLE001 - any verification error is the condition's failure
            mod.fail("ValidateIdTokenSignature", f"signature does not verify with the jwks_uri key: {exc}")
    now = time.time()
    mod.check(claims.get("iss") == op.issuer, "ValidateIdToken", f"iss {claims.get('iss')!r} != {op.issuer!r}")
    aud = claims.get("aud")
    if isinstance(aud, list):
        mod.check(client_id in aud, "ValidateIdToken", "aud does not contain the client_id")
        if len(aud) > 1:
            mod.check(claims.get("azp") == client_id, "ValidateIdToken", "several audiences and azp != client_id")
    else:
        mod.check(aud == client_id, "ValidateIdToken", f"aud {aud!r} != client_id")
    mod.check(is_number(claims.get("exp")) and claims["exp"] > now - 300, "ValidateIdToken", "exp missing, "
              "not a number or in the past")
    mod.check(is_number(claims.get("iat")) and claims["iat"] < now + 300, "ValidateIdToken", "iat missing, "
              "not a number or in the future")
    if "nbf" in claims:
        mod.check(is_number(claims["nbf"]) and claims["nbf"] < now + 300, "ValidateIdToken", "nbf invalid")
    sub = claims.get("sub")
    mod.check(isinstance(sub, str) and 0 < len(sub) <= 255, "CheckForSubjectInIdToken", "sub missing or invalid")
    if nonce is not None:
        mod.check(claims.get("nonce") == nonce, "ValidateIdTokenNonce", "nonce not echoed")
    standard_claim_types(mod, "ValidateIdTokenStandardClaims", claims)
    return claims


def standard_claim_types(mod: Module, condition: str, claims: dict[str, Any]) -> None:
    """ValidateIdTokenStandardClaims / ValidateUserInfoStandardClaims: the JSON types of OIDC Core 5.1."""
    for name, value in claims.items():
        if name in BOOLEAN_CLAIMS:
            mod.check(isinstance(value, bool), condition, f"{name} is not a boolean")
        elif name in NUMBER_CLAIMS:
            mod.check(is_number(value), condition, f"{name} is not a number")
        elif name == "address":
            mod.check(isinstance(value, dict), condition, "address is not an object")
        elif name in SCOPE_CLAIMS["profile"] + ["email", "phone_number", "sub"]:
            mod.check(isinstance(value, str), condition, f"{name} is not a string")


def response_params(mod: Module, variant: Variant, cb: Callback, redirect_uri: str) -> dict[str, str]:
    """The callback checks of AbstractOIDCCServerTest before looking at the result."""
    mod.check(cb.base == redirect_uri, "CheckMatchingCallbackParameters", f"callback {cb.base} != {redirect_uri}")
    if variant.form_post:
        mod.check(cb.via == "form_post" and cb.method == "POST", "CheckCallbackHttpMethodIsPost",
                  f"the response came by {cb.via} {cb.method}")
        mod.check((cb.content_type or "").lower() == "application/x-www-form-urlencoded",
                  "CheckCallbackContentTypeIsFormUrlEncoded", f"enctype {cb.content_type}")
        mod.check("code" not in cb.query, "RejectAuthCodeInUrlQuery", "code in the URL query")
        mod.check("error" not in cb.query, "RejectErrorInUrlQuery", "error in the URL query")
        return cb.form
    if cb.via != "redirect":
        mod.stop("CheckCallback", "a form_post response without response_mode=form_post")
    if variant.response_type == "code":
        return cb.query
    return cb.fragment  # OAuth 2.0 Multiple Response Types: fragment is the default for id_token / token


def check_iss(mod: Module, op: Any, params: dict[str, str]) -> None:
    if "iss" in params:  # ValidateIssIfPresentInAuthorizationResponse (RFC 9207)
        mod.check(params["iss"] == op.issuer, "ValidateIssIfPresentInAuthorizationResponse",
                  f"iss {params['iss']!r} != {op.issuer!r}")


def error_response(mod: Module, op: Any, params: dict[str, str], state: str | None, allowed: list[str]) -> None:
    """performGenericAuthorizationEndpointErrorResponseValidation plus the module's expected error values."""
    if state is not None:
        mod.check(params.get("state") == state, "CheckStateInAuthorizationResponse", "state not returned")
    check_iss(mod, op, params)
    mod.check("error" in params, "EnsureErrorFromAuthorizationEndpointResponse", f"no error in {sorted(params)}")
    mod.check("code" not in params, "RejectAuthCodeInAuthorizationEndpointResponse", "a code next to the error")
    extra = set(params) - {"error", "error_description", "error_uri", "state", "iss"}
    mod.check(not extra, "CheckForUnexpectedParametersInErrorResponseFromAuthorizationEndpoint",
              f"unexpected {sorted(extra)}", "WARNING")
    description = params.get("error_description", "")
    mod.check(all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in description),
              "ValidateErrorDescriptionFromAuthorizationEndpointResponseError", "characters outside RFC 6749 4.1.2.1")
    if allowed:
        mod.check(params.get("error") in allowed, "CheckErrorFromAuthorizationEndpoint",
                  f"error {params.get('error')!r} not in {allowed}")


def expect_error_page(mod: Module, result: Callback | Page, condition: str) -> None:
    """The placeholder outcome: the OP shows an error itself and does not send the browser back."""
    if isinstance(result, Callback):
        mod.stop(condition, f"the OP sent the browser back to the client: {result.url[:200]}")
    mod.check(result.kind == "page" and result.status >= 400, condition,
              f"expected an error page, got a {result.kind} page with status {result.status}")


def token_request(op: Any, client: Any, auth: str, data: dict[str, str]) -> requests.Response:
    """A raw token request (for the modules that expect an error and read the status and JSON)."""
    if auth == "client_secret_post":
        data = {**data, "client_id": client.client_id, "client_secret": client.secret}
        return op.http.post(op.discovery["token_endpoint"], data=data, timeout=30)
    return op.http.post(op.discovery["token_endpoint"], data=data, auth=(client.client_id, client.secret),
                        timeout=30)


def userinfo(mod: Module, op: Any, access_token: str, how: str = "get") -> dict[str, Any]:
    url = op.discovery["userinfo_endpoint"]
    if how == "get":
        resp = op.http.get(url, headers={"Authorization": f"Bearer {access_token}"}, timeout=30)
    elif how == "post-header":
        resp = op.http.post(url, headers={"Authorization": f"Bearer {access_token}"}, timeout=30)
    else:  # RFC 6750 2.2: form-encoded body parameter
        resp = op.http.post(url, data={"access_token": access_token}, timeout=30)
    if resp.status_code != 200:
        mod.stop("EnsureHttpStatusCodeIs200", f"userinfo ({how}) answered {resp.status_code}: {resp.text[:200]}")
    body = resp.json()
    mod.check(isinstance(body.get("sub"), str), "EnsureUserInfoContainsSub", "no sub")
    standard_claim_types(mod, "ValidateUserInfoStandardClaims", body)
    return body


def scopes_in_claims(mod: Module, condition: str, scope: str, claims: dict[str, Any]) -> None:
    expected = [c for s in scope.split() for c in SCOPE_CLAIMS.get(s, [])]
    missing = sorted(set(expected) - set(claims))
    mod.check(not missing, condition, f"missing {missing}", "WARNING")
