"""An independent OAuth client (Authlib) against a live server: code + PKCE, with ID token validation."""
from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from .live import LiveServer

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server():
    with LiveServer() as live:
        yield live


def browser_login_and_consent(session: requests.Session, url: str, base: str) -> str:
    """What a person does: log in on the real page, press Allow; returns the redirect to the client."""
    response = session.get(url, allow_redirects=False)
    login_url = urljoin(base, response.headers["Location"])
    page = session.get(login_url)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    nxt = re.search(r'name="next" value="([^"]*)"', page.text).group(1).replace("&amp;", "&")
    response = session.post(login_url, data={"csrfmiddlewaretoken": csrf, "username": "demo",
                                             "password": "demo-password-123", "next": nxt},
                            headers={"Referer": login_url}, allow_redirects=False)
    assert response.status_code == 302, response.text
    consent = session.get(urljoin(base, response.headers["Location"]), allow_redirects=False)
    if consent.status_code == 200:
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', consent.text).group(1)
        consent = session.post(urljoin(base, response.headers["Location"]),
                               data={"csrfmiddlewaretoken": csrf, "allow": "1"},
                               headers={"Referer": consent.url}, allow_redirects=False)
    assert consent.status_code == 302, consent.text
    return consent.headers["Location"]


def test_authlib_code_pkce_public_client(server):
    app = server.manage_json("authflows", "apps", "create", "--name", "Authlib SPA", "--type", "spa",
                             "--callbacks", "http://127.0.0.1:9/callback")
    meta = requests.get(server.url + "/.well-known/openid-configuration", timeout=10).json()
    client = OAuth2Session(app["client_id"], scope="openid profile email", redirect_uri="http://127.0.0.1:9/callback",
                           code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = "v" * 20 + "erifier-" + "x" * 30
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier,
                                                 nonce="nonce-123")
    callback = browser_login_and_consent(requests.Session(), url, server.url)
    assert callback.startswith("http://127.0.0.1:9/callback?")
    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    jwks = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token["id_token"], jwks, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": meta["issuer"]},
                          aud={"essential": True, "value": app["client_id"]},
                          nonce={"essential": True, "value": "nonce-123"}).validate(decoded.claims)
    claims = decoded.claims
    info = client.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"] and info["email"] == "demo@example.test"


def test_authlib_code_confidential_client_with_basic_auth(server):
    app = server.manage_json("authflows", "apps", "create", "--name", "Authlib Web", "--type", "regular",
                             "--callbacks", "https://rp.example.test/cb")
    meta = requests.get(server.url + "/.well-known/openid-configuration", timeout=10).json()
    client = OAuth2Session(app["client_id"], app["client_secret"], scope="openid email",
                           redirect_uri="https://rp.example.test/cb", token_endpoint_auth_method="client_secret_basic")
    url, _state = client.create_authorization_url(meta["authorization_endpoint"])
    callback = browser_login_and_consent(requests.Session(), url, server.url)
    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback)
    assert token["token_type"] == "Bearer" and "id_token" in token
    assert f"iss={requests.utils.quote(meta['issuer'], safe='')}" in callback


def test_authlib_client_credentials_calls_the_api(server):
    app = server.manage_json("authflows", "apps", "create", "--name", "Authlib M2M", "--type", "m2m",
                             "--api", "https://api.example.test/", "--scopes", "read:messages")
    client = OAuth2Session(app["client_id"], app["client_secret"], token_endpoint_auth_method="client_secret_post")
    token = client.fetch_token(server.url + "/oauth/token", grant_type="client_credentials",
                               audience="https://api.example.test/")
    assert token["scope"] == "read:messages" and "refresh_token" not in token
    for path in ("/api/private-scoped", "/api/drf/private-scoped"):
        response = client.get(server.url + path)
        assert response.status_code == 200, response.text
        assert response.json()["sub"] == f"{app['client_id']}@clients"


def test_demo_m2m_command(server):
    secret = server.manage("shell", "-c", "from example_project.demo.secrets import demo_secret;"
                                          "print(demo_secret('demo-m2m'))").split()[-1]
    result = server.manage_json("authflows", "demo", "m2m", "--client-id", "demo-m2m", "--client-secret", secret,
                                "--base-url", server.url)
    assert result["api"]["status"] == 200
    assert result["access_token_claims"]["gty"] == "client-credentials"
    assert result["id_token_claims"] is None
