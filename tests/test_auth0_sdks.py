"""Auth0 SDK compatibility against a live server: auth0-python, and what auth0-spa-js sends."""
from __future__ import annotations

import base64
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from auth0.authentication import GetToken, RevokeToken
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier

from . import people
from .live import LiveServer
from .oauth import pkce_pair

pytestmark = pytest.mark.live
AUD = "https://api.example.test/"


@pytest.fixture(scope="module")
def server():
    with LiveServer() as live:
        yield live


def domain(server) -> str:
    return server.url.removeprefix("http://")


def demo_secret(server, client_id):
    return server.manage("shell", "-c", "from example_project.demo.secrets import demo_secret;"
                                        f"print(demo_secret('{client_id}'))").split()[-1]


def code_for(server, client_id, redirect_uri, **params):
    session = requests.Session()
    people.login(session, server.url)
    location = people.consent(session, server.url, server.url + "/authorize?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": "s", **params}))
    return parse_qs(urlsplit(location).query)["code"][0]


def test_auth0_python_client_credentials(server):
    token = GetToken(domain(server), "demo-m2m", client_secret=demo_secret(server, "demo-m2m"),
                     protocol="http").client_credentials(audience=AUD)
    assert token["token_type"] == "Bearer"
    api = requests.get(server.url + "/api/private-scoped",
                       headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert api.status_code == 200


def test_auth0_python_code_verify_refresh_and_revoke(server):
    client_id, secret = "demo-regular-web-app", demo_secret(server, "demo-regular-web-app")
    callback = server.url + "/demo/regular/callback"
    code = code_for(server, client_id, callback, scope="openid profile email offline_access", nonce="n-123",
                    audience=AUD)
    get_token = GetToken(domain(server), client_id, client_secret=secret, protocol="http")
    tokens = get_token.authorization_code(code=code, redirect_uri=callback)
    verifier = TokenVerifier(signature_verifier=AsymmetricSignatureVerifier(server.url + "/.well-known/jwks.json"),
                             issuer=server.url + "/", audience=client_id)
    claims = verifier.verify(tokens["id_token"], nonce="n-123")
    assert claims["sub"].startswith("authflows|")

    refreshed = get_token.refresh_token(tokens["refresh_token"])
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    assert verifier.verify(refreshed["id_token"])["sub"] == claims["sub"]  # an ID token on every refresh

    RevokeToken(domain(server), client_id, client_secret=secret, protocol="http").revoke_refresh_token(
        refreshed["refresh_token"])
    from auth0.authentication.exceptions import Auth0Error

    with pytest.raises(Auth0Error) as failure:
        get_token.refresh_token(refreshed["refresh_token"])
    assert failure.value.error_code == "invalid_grant" and failure.value.status_code == 400
    assert failure.value.message == "Unknown or invalid refresh token."


def test_what_auth0_spa_js_sends(server):
    """JSON bodies, the Auth0-Client header, a CORS preflight from another origin, id_token on refresh."""
    origin = "http://localhost:3000"
    app = server.manage_json("authflows", "apps", "create", "--name", "React SPA", "--type", "spa",
                             "--callbacks", origin + "/", "--origins", origin)
    telemetry = base64.b64encode(json.dumps({"name": "auth0-spa-js", "version": "2.1.3"}).encode()).decode()
    preflight = requests.options(server.url + "/oauth/token", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "auth0-client,content-type"}, timeout=10)
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "auth0-client" in preflight.headers["Access-Control-Allow-Headers"].lower()

    verifier, challenge = pkce_pair()
    code = code_for(server, app["client_id"], origin + "/", scope="openid profile email offline_access",
                    audience=AUD, code_challenge=challenge, code_challenge_method="S256", nonce=secrets.token_hex(8),
                    response_mode="query")
    headers = {"Origin": origin, "Auth0-Client": telemetry, "Content-Type": "application/json"}
    body = {"client_id": app["client_id"], "code_verifier": verifier, "grant_type": "authorization_code",
            "code": code, "redirect_uri": origin + "/", "audience": None, "scope": None}
    first = requests.post(server.url + "/oauth/token", data=json.dumps(body), headers=headers, timeout=10)
    assert first.status_code == 200, first.text
    assert first.headers["Access-Control-Allow-Origin"] == origin
    tokens = first.json()
    for _ in range(2):
        refresh = {"client_id": app["client_id"], "grant_type": "refresh_token",
                   "refresh_token": tokens["refresh_token"], "redirect_uri": origin + "/",
                   "scope": "openid profile email offline_access", "audience": AUD}
        response = requests.post(server.url + "/oauth/token", data=json.dumps(refresh), headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        tokens = response.json()
        assert "id_token" in tokens and "refresh_token" in tokens
    stale = requests.post(server.url + "/oauth/token", data=json.dumps({**refresh}), headers=headers, timeout=10)
    assert stale.status_code == 400
    assert "invalid refresh token" in stale.json()["error_description"].lower()
