"""An API in another Django project: tokens from a live authorization server, keys from its jwks_uri."""
from __future__ import annotations

import base64
from http import HTTPStatus

import pytest
import requests

from django_authflows.models import SigningKey

from ..live import LiveServer

pytestmark = [pytest.mark.live, pytest.mark.django_db]
AUD = "https://api.example.test/"


@pytest.fixture(scope="module")
def server():
    with LiveServer() as live:
        yield live


def client_credentials_token(server, scopes="read:messages"):
    app = server.manage_json("authflows", "apps", "create", "--name", "Remote", "--type", "m2m",
                             "--api", AUD, "--scopes", scopes)
    auth = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    response = requests.post(server.url + "/oauth/token", data={"grant_type": "client_credentials", "audience": AUD},
                             headers={"Authorization": f"Basic {auth}"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_remote_jwks_validates_tokens_of_another_server(client, settings, server):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "ISSUER": server.url + "/", "AUDIENCE": AUD,
                          "REMOTE_JWKS_URI": server.url + "/.well-known/jwks.json"}
    token = client_credentials_token(server)
    assert not SigningKey.objects.exists()  # this project has no keys of its own
    for path in ("/api/private-scoped", "/api/drf/private-scoped"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == HTTPStatus.OK, response.content


def test_remote_jwks_refuses_a_token_from_elsewhere(client, settings, server, m2m_token):
    local = m2m_token()  # signed by this project's own key, which the remote key set does not contain
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "ISSUER": "http://testserver/", "AUDIENCE": AUD,
                          "REMOTE_JWKS_URI": server.url + "/.well-known/jwks.json"}
    response = client.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {local}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_key_rotation_on_the_server_is_picked_up(client, settings, server, monkeypatch):
    from django_authflows.resource import keys

    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "ISSUER": server.url + "/", "AUDIENCE": AUD,
                          "REMOTE_JWKS_URI": server.url + "/.well-known/jwks.json"}
    before = client_credentials_token(server)
    assert client.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {before}").status_code == 200
    server.manage("authflows", "keys", "rotate")
    monkeypatch.setattr(keys, "REFRESH_INTERVAL", 0.0)  # the interval bounds refetches; not under test here
    import time

    time.sleep(6)  # the server process trusts its cached active key for ACTIVE_KEY_TTL (5 s)
    after = client_credentials_token(server)
    assert client.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {after}").status_code == 200
    assert client.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {before}").status_code == 200
