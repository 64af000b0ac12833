"""The FAPI 2.0 Security Profile modules' client side (AbstractFAPI2SPFinalServerTestModule): private_key_jwt
assertions, DPoP proofs (tests/dpop_client.py), PAR, the authorization through the browser, the token endpoint."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from jwcrypto import jwk, jws

from ..dpop_client import DPoPKey
from . import oidf
from .browser import Callback, Page
from .flows import OP
from .oidf import Module

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
API = "https://api.example.test/"  # EXAMPLE_API_AUDIENCE of the live server


def new_keys() -> dict[str, jwk.JWK]:
    """A client's signing keys: ES256 (the one it uses) and an RSA key without alg (PS256, and RS256 for the
    module that checks RS256 is refused)."""
    ec = jwk.JWK.generate(kty="EC", crv="P-256", kid="es256-" + secrets.token_hex(4))
    rsa = jwk.JWK.generate(kty="RSA", size=2048, kid="rsa-" + secrets.token_hex(4))
    return {"ES256": ec, "RSA": rsa}


def public_jwks(keys: dict[str, jwk.JWK]) -> str:
    return json.dumps({"keys": [k.export_public(as_dict=True) for k in keys.values()]})


@dataclass
class FapiClient:
    client_id: str
    redirect_uri: str
    keys: dict[str, jwk.JWK]
    dpop: DPoPKey = field(default_factory=DPoPKey)

    def assertion(self, aud: Any, alg: str = "ES256", **claims: Any) -> str:
        """CreateClientAuthenticationAssertionClaimsWithIssAudience + SignClientAuthenticationAssertion; a claim
        given as None is left out."""
        now = int(time.time())
        body = {"iss": self.client_id, "sub": self.client_id, "aud": aud, "iat": now, "exp": now + 60,
                "jti": secrets.token_urlsafe(16)}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        key = self.keys["ES256" if alg == "ES256" else "RSA"]
        token = jws.JWS(json.dumps(body).encode())
        token.add_signature(key, alg=alg, protected=json.dumps({"alg": alg, "kid": key.kid}))
        return token.serialize(compact=True)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def with_nonce(send: Any, key: DPoPKey | None, htm: str, htu: str, **proof: Any) -> requests.Response:
    """One request with a DPoP proof, sent again with the server's DPoP-Nonce when it asks (RFC 9449 §8)."""
    resp = send(key.proof(htm, htu, **proof) if key else None)
    if key and resp.status_code in (400, 401) and "use_dpop_nonce" in (resp.text + resp.headers.get("WWW-Authenticate",
                                                                                                      "")):
        resp = send(key.proof(htm, htu, nonce=resp.headers.get("DPoP-Nonce"), **proof))
    return resp


@dataclass
class Fapi:
    """One FAPI authorization, step by step: PAR, the browser at /authorize, the token request, the resource."""

    mod: Module
    op: OP
    client: FapiClient
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    request: dict[str, str] = field(default_factory=dict)
    request_uri: str | None = None
    result: Callback | Page | None = None
    params: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return self.op.issuer

    def auth_params(self, **extra: str | None) -> dict[str, str]:
        """CreateAuthorizationRequest with PKCE S256, state and nonce (AbstractFAPI2SPFinalServerTestModule)."""
        req = {"client_id": self.client.client_id, "redirect_uri": self.client.redirect_uri, "response_type": "code",
               "scope": "openid", "state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
               "code_challenge": s256(self.verifier), "code_challenge_method": "S256"}
        req.update({k: v for k, v in extra.items() if v is not None})
        for k in [k for k, v in extra.items() if v is None]:
            req.pop(k, None)
        self.request = req
        return req

    def par(self, params: dict[str, str] | None = None, *, assertion: str | None = None, dpop: DPoPKey | None = None,
            method: str = "POST", auth: bool = True, **proof: Any) -> requests.Response:
        """CallPAREndpoint: the request form-encoded, authenticated with a fresh assertion (aud: the issuer)."""
        data = dict(params if params is not None else self.request)
        if auth:
            data["client_assertion_type"] = ASSERTION_TYPE
            data["client_assertion"] = assertion or self.client.assertion(self.issuer)
        url = self.op.discovery["pushed_authorization_request_endpoint"]

        def send(value: str | None) -> requests.Response:
            return self.op.http.request(method, url, data=data, headers={"DPoP": value} if value else {}, timeout=30)
        return with_nonce(send, dpop, method, url, **proof)

    def push(self, **kw: Any) -> str:
        resp = self.par(**kw)
        if resp.status_code != 201:
            self.mod.stop("CallPAREndpoint", f"PAR answered {resp.status_code}: {resp.text[:200]}")
        body = resp.json()
        self.mod.check(isinstance(body.get("expires_in"), int) and body["expires_in"] > 0,
                       "ExtractRequestUriFromPARResponse", "expires_in missing")
        self.mod.check(str(body.get("request_uri", "")).startswith("urn:"), "ExtractRequestUriFromPARResponse",
                       "request_uri is not a URN")
        self.request_uri = body["request_uri"]
        return self.request_uri

    def browse(self, query: dict[str, str] | None = None, browser: Any = None) -> Callback | Page:
        query = query if query is not None else {"client_id": self.client.client_id, "request_uri": self.request_uri}
        self.result = (browser or self.op.browser()).go(self.op.discovery["authorization_endpoint"] + "?"
                                                        + urlencode(query))
        return self.result

    def callback(self) -> dict[str, str]:
        """The authorization response: at the redirect_uri, with iss (RFC 9207, required by FAPI 2.0 SP §5.3.2.2) and state."""
        if not isinstance(self.result, Callback):
            self.mod.stop("CheckIfAuthorizationEndpointError", f"the OP showed a page (HTTP "
                          f"{getattr(self.result, 'status', '?')}) instead of returning to the client")
        oidf.response_params(self.mod, self.mod.variant, self.result, self.client.redirect_uri)
        self.params = self.result.query
        self.mod.check(self.params.get("iss") == self.issuer, "ValidateIssInAuthorizationResponse",
                       f"iss {self.params.get('iss')!r} != {self.issuer!r} (RFC 9207 required by FAPI 2.0)")
        return self.params

    def code(self) -> str:
        params = self.callback()
        if "error" in params:
            self.mod.stop("CheckIfAuthorizationEndpointError", f"error {params['error']!r}: "
                          f"{params.get('error_description', '')}")
        if "state" in self.request:
            self.mod.check(params.get("state") == self.request["state"], "CheckStateInAuthorizationResponse",
                           "state missing or different")
        return params.get("code") or self.mod.stop("ExtractAuthorizationCodeFromAuthorizationResponse", "no code")

    def token(self, data: dict[str, str], *, client: FapiClient | None = None, dpop: DPoPKey | None | bool = True,
              assertion: str | None = None, auth: bool = True, **proof: Any) -> requests.Response:
        """CallTokenEndpoint with private_key_jwt and a DPoP proof of ``dpop`` (the client's key by default)."""
        client = client or self.client
        body = dict(data)
        if auth:
            body["client_assertion_type"] = ASSERTION_TYPE
            body["client_assertion"] = assertion or client.assertion(self.issuer)
        url = self.op.discovery["token_endpoint"]
        key = client.dpop if dpop is True else (dpop or None)

        def send(value: str | None) -> requests.Response:
            return self.op.http.post(url, data=body, headers={"DPoP": value} if value else {}, timeout=30)
        return with_nonce(send, key, "POST", url, **proof)

    def code_grant(self, code: str, **kw: Any) -> dict[str, str]:
        return {"grant_type": "authorization_code", "code": code, "redirect_uri": self.client.redirect_uri,
                "code_verifier": self.verifier, **kw}

    def tokens_ok(self, resp: requests.Response, *, openid: bool = True, refresh: bool = False) -> dict[str, Any]:
        """The token response checks: 200, token_type DPoP, expires_in, the ID token (ES256/PS256 per FAPI)."""
        if resp.status_code != 200:
            self.mod.stop("CheckTokenEndpointHttpStatus200", f"{resp.status_code}: {resp.text[:300]}")
        body = resp.json()
        self.tokens = body
        self.mod.check(str(body.get("token_type", "")).lower() == "dpop", "CheckTokenTypeIsDpop",
                       f"token_type {body.get('token_type')!r}")
        self.mod.check("expires_in" in body, "ExtractExpiresInFromTokenEndpointResponse", "no expires_in", "WARNING")
        if openid:
            id_token = body.get("id_token") or self.mod.stop("ExtractIdTokenFromTokenResponse", "no id_token")
            header = json.loads(b64decode(id_token.split(".")[0]))
            self.mod.check(header.get("alg") in ("PS256", "ES256", "EdDSA"), "FAPI2ValidateIdTokenSigningAlg",
                           f"id_token alg {header.get('alg')!r} (FAPI 2.0 SP 5.4.1: PS256, ES256 or EdDSA)")
            # OIDC Core 12.2: a refreshed ID token SHOULD NOT carry the nonce (and if it does, the same one)
            nonce = None if refresh else self.request.get("nonce")
            self.claims = oidf.validate_id_token(self.mod, self.op, id_token, self.client.client_id, nonce)
        return body

    def resource(self, access_token: str | None = None, *, key: DPoPKey | None = None, scheme: str = "DPoP",
                 url: str | None = None) -> requests.Response:
        """CallProtectedResource with the DPoP-bound access token: /userinfo for the code flow (its token names
        the userinfo audience), the example API for client credentials."""
        token = access_token or self.tokens["access_token"]
        url = url or self.op.discovery["userinfo_endpoint"]
        key = key or self.client.dpop

        def send(value: str | None) -> requests.Response:
            headers = {"Authorization": f"{scheme} {token}", **({"DPoP": value} if value else {})}
            return self.op.http.get(url, headers=headers, timeout=30)
        return with_nonce(send, key, "GET", url, access_token=token)

    def happy(self, browser: Any = None, par_kw: dict[str, Any] | None = None, **params: str | None) -> dict[str, Any]:
        """The whole flow (performAuthorizationFlow, performPostAuthorizationFlow, requestProtectedResource)."""
        self.auth_params(**params)
        self.push(**(par_kw or {}))
        self.browse(browser=browser)
        body = self.tokens_ok(self.token(self.code_grant(self.code())))
        resp = self.resource()
        self.mod.check(resp.status_code == 200, "CallProtectedResource", f"{resp.status_code}: {resp.text[:200]}")
        return body


def expect_error(mod: Module, resp: requests.Response, condition: str, errors: list[str],
                 statuses: tuple[int, ...] = (400, 401)) -> None:
    """EnsureHttpStatusCodeIs400or401 / CheckErrorFrom...: a JSON OAuth error, one of ``errors``."""
    mod.check(resp.status_code in statuses, condition, f"HTTP {resp.status_code} (expected {statuses}): "
              f"{resp.text[:200]}")
    try:
        body = resp.json()
    except ValueError:
        mod.fail(condition, "the error response is not JSON")
        return
    mod.check("access_token" not in body, condition, "an access token came with the error")
    if errors:
        mod.check(body.get("error") in errors, condition, f"error {body.get('error')!r} not in {errors}")


def error_or_page(mod: Module, flow: Fapi, condition: str, errors: list[str]) -> None:
    """AbstractFAPI2SPFinalPARExpectingAuthorizationEndpointPlaceholderOrCallback: an error page at the OP, or an
    error response at the redirect_uri (with iss)."""
    result = flow.result
    if isinstance(result, Page):
        oidf.expect_error_page(mod, result, condition)
        return
    params = flow.callback()
    oidf.error_response(mod, flow.op, params, flow.request.get("state"), errors)


def b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
