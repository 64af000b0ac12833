"""The OIDF module sequence (AbstractOIDCCServerTest): authorization request, callback, token, userinfo."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session

from . import oidf
from .browser import Browser, Callback, Page
from .oidf import Module, Variant


@dataclass
class Client:
    client_id: str
    secret: str | None
    redirect_uri: str
    post_logout_redirect_uri: str | None = None


@dataclass
class OP:
    """One plan's live server: discovery, the two static clients and an https-verifying session."""

    plan: str
    url: str
    ca: str | bool
    clients: dict[str, Client]
    discovery: dict[str, Any] = field(default_factory=dict)
    http: requests.Session = field(default_factory=requests.Session)
    prepared: dict[str, Any] = field(default_factory=dict)  # first halves of the timing modules

    def __post_init__(self) -> None:
        self.http.verify = self.ca
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify (requests#3829)
        self.http.headers["Connection"] = "close"  # no pooled connection to race gunicorn's keep-alive (browser.py)
        self.discovery = self.http.get(self.url + "/.well-known/openid-configuration", timeout=30).json()
        self.issuer = self.discovery["issuer"]

    def jwks(self) -> dict[str, Any]:
        return self.http.get(self.discovery["jwks_uri"], timeout=30).json()

    def browser(self) -> Browser:
        stops = [c.redirect_uri for c in self.clients.values()]
        stops += [c.post_logout_redirect_uri for c in self.clients.values() if c.post_logout_redirect_uri]
        return Browser(self.ca, stop_at=stops)


@dataclass
class Flow:
    """One authorization: what was sent, what came back, what the token endpoint gave."""

    request: dict[str, str]
    client: Client
    result: Callback | Page | None = None
    params: dict[str, str] = field(default_factory=dict)
    id_token: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    access_token: str | None = None
    token_response: dict[str, Any] = field(default_factory=dict)


def auth_request(op: OP, variant: Variant, client: Client, scope: str = "openid", nonce: bool = True,
                 **extra: str | None) -> dict[str, str]:
    """CreateAuthorizationEndpointRequestFromClientInformation + state, nonce, response_type, response_mode."""
    req = {"client_id": client.client_id, "redirect_uri": client.redirect_uri, "scope": scope,
           "state": secrets.token_urlsafe(24), "response_type": variant.response_type}
    if nonce:
        req["nonce"] = secrets.token_urlsafe(24)
    if variant.form_post:
        req["response_mode"] = "form_post"
    req.update({k: v for k, v in extra.items() if v is not None})
    for k in [k for k, v in extra.items() if v is None]:
        req.pop(k, None)
    return req


def send(op: OP, browser: Browser, req: dict[str, str], method: str = "GET", reorder: bool = False) -> Callback | Page:
    endpoint = op.discovery["authorization_endpoint"]
    if method == "POST":
        return browser.post_form(endpoint, req)
    items = sorted(req.items(), reverse=True) if reorder else list(req.items())
    return browser.go(endpoint + "?" + urlencode(items))


def authorize(mod: Module, op: OP, browser: Browser, req: dict[str, str], client: Client, *, method: str = "GET",
              reorder: bool = False, expect_state: bool = True) -> Flow:
    """A happy authorization: the callback checks, then the ID token from the authorization endpoint."""
    flow = Flow(req, client)
    flow.result = send(op, browser, req, method, reorder)
    if isinstance(flow.result, Page):
        kind = flow.result.kind.replace("page", "plain")
        mod.stop("CheckIfAuthorizationEndpointError",
                 f"the OP showed a {kind} page (HTTP {flow.result.status}) instead of returning to the client")
    flow.params = oidf.response_params(mod, mod.variant, flow.result, client.redirect_uri)
    oidf.check_iss(mod, op, flow.params)
    if "error" in flow.params:
        mod.stop("CheckIfAuthorizationEndpointError", f"error {flow.params['error']!r}: "
                 f"{flow.params.get('error_description', '')}")
    if expect_state:
        mod.check(flow.params.get("state") == req.get("state"), "CheckStateInAuthorizationResponse",
                  "state missing or different")
    rt = set(mod.variant.response_type.split())
    if "code" in rt and "code" not in flow.params:
        mod.stop("ExtractAuthorizationCodeFromAuthorizationResponse", "no code")
    if "token" in rt:
        flow.access_token = flow.params.get("access_token") or mod.stop(
            "ExtractAccessTokenFromAuthorizationResponse", "no access_token")
        mod.check(flow.params.get("token_type", "").lower() == "bearer", "CheckTokenTypeIsBearer",
                  f"token_type {flow.params.get('token_type')!r}")
    if "id_token" in rt:
        flow.id_token = flow.params.get("id_token") or mod.stop("ExtractIdTokenFromAuthorizationResponse",
                                                                "no id_token")
        flow.claims = oidf.validate_id_token(mod, op, flow.id_token, client.client_id, req.get("nonce"))
        if "token" in rt:  # OIDCCServerTest: ExtractAtHash is a FAILURE when a token comes with the id_token
            if mod.check("at_hash" in flow.claims, "ExtractAtHash", "no at_hash although an access token came too"):
                mod.check(flow.claims["at_hash"] == oidf.half_hash(flow.access_token or ""), "ValidateAtHash",
                          "at_hash does not match the access token")
    return flow


def redeem(mod: Module, op: OP, flow: Flow, auth: str | None = None) -> Flow:
    """The token endpoint through authlib (client_secret_basic or client_secret_post), then the ID token."""
    auth = auth or mod.variant.client_auth
    session = OAuth2Session(flow.client.client_id, flow.client.secret, token_endpoint_auth_method=auth)
    session.verify = op.ca
    session.trust_env = False
    resp = session.post(op.discovery["token_endpoint"], data={
        "grant_type": "authorization_code", "code": flow.params["code"], "redirect_uri": flow.client.redirect_uri},
        auth=session.client_auth(auth), withhold_token=True, timeout=30)
    if resp.status_code != 200:
        mod.stop("CheckTokenEndpointHttpStatus200", f"{resp.status_code}: {resp.text[:200]}")
    body = resp.json()
    flow.token_response = body
    mod.check("error" not in body, "CheckIfTokenEndpointResponseError", str(body.get("error")))
    flow.access_token = body.get("access_token") or mod.stop("CheckForAccessTokenValue", "no access_token")
    mod.check(str(body.get("token_type", "")).lower() == "bearer", "CheckTokenTypeIsBearer",
              f"token_type {body.get('token_type')!r}")
    mod.check("expires_in" in body, "ExtractExpiresInFromTokenEndpointResponse", "no expires_in", "WARNING")
    id_token = body.get("id_token") or mod.stop("ExtractIdTokenFromTokenResponse", "no id_token")
    flow.id_token = id_token
    flow.claims = oidf.validate_id_token(mod, op, id_token, flow.client.client_id, flow.request.get("nonce"))
    if "at_hash" in flow.claims:
        mod.check(flow.claims["at_hash"] == oidf.half_hash(flow.access_token), "ValidateAtHash", "at_hash wrong")
    return flow


def happy(mod: Module, op: OP, browser: Browser | None = None, client: str = "client1", **kw: Any) -> Flow:
    """performAuthorizationFlow + performPostAuthorizationFlow: the whole flow, userinfo included."""
    browser = browser or op.browser()
    method, reorder = kw.pop("method", "GET"), kw.pop("reorder", False)
    c = op.clients[client]
    flow = authorize(mod, op, browser, auth_request(op, mod.variant, c, **kw), c, method=method, reorder=reorder)
    if "code" in mod.variant.response_type.split():
        redeem(mod, op, flow)
    if flow.access_token:  # requestProtectedResource: the userinfo endpoint is the protected resource
        info = oidf.userinfo(mod, op, flow.access_token)
        mod.check(info.get("sub") == flow.claims.get("sub"), "VerifyUserInfoAndIdTokenSameSub", "sub differs")
    return flow


def wait_until(start: float, seconds: float) -> None:
    """The OIDF waits (WaitForOneSecond, WaitFor2Seconds, WaitFor30Seconds) measured from ``start``."""
    time.sleep(max(0.0, start + seconds - time.time()))
