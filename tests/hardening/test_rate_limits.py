"""Brute-force limits (429 + Retry-After): login per username and per IP, client authentication, token
requests per client. Limits and windows come from AUTHFLOWS['RATE_LIMITS']."""
from __future__ import annotations

import base64
from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    def set_(**values):
        settings.AUTHFLOWS = {**settings.AUTHFLOWS, "RATE_LIMITS": values}
    return set_


def test_login_lockout_per_username_reveals_nothing(client, user, password, limits):
    limits(login_username=(3, 60))
    for _ in range(3):
        assert client.post("/login", {"username": "alice", "password": "wrong"}).status_code == HTTPStatus.OK
    locked = client.post("/login", {"username": "alice", "password": password})
    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS and int(locked["Retry-After"]) > 0
    for _ in range(3):
        client.post("/login", {"username": "nobody", "password": "wrong"})
    ghost = client.post("/login", {"username": "nobody", "password": "wrong"})
    assert ghost.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert ghost.content.replace(ghost["Retry-After"].encode(), b"") == locked.content.replace(
        locked["Retry-After"].encode(), b"")
    assert locked["X-Frame-Options"] == "DENY"


def test_login_lockout_per_ip(client, user, limits):
    limits(login_ip=(4, 60))
    for i in range(4):
        client.post("/login", {"username": f"user{i}", "password": "wrong"})
    assert client.post("/login", {"username": "alice", "password": "x"}).status_code == 429


def test_successful_login_resets_the_username_counter(client, user, password, limits):
    limits(login_username=(3, 60))
    client.post("/login", {"username": "alice", "password": "wrong"})
    client.post("/login", {"username": "alice", "password": "wrong"})
    assert client.post("/login", {"username": "alice", "password": password}).status_code == HTTPStatus.FOUND
    client.logout()
    client.post("/login", {"username": "alice", "password": "wrong"})
    assert client.post("/login", {"username": "alice", "password": password}).status_code == HTTPStatus.FOUND


def test_failed_client_authentication_per_client(client, make_client, limits):
    limits(client_auth_client=(3, 60))
    app = make_client("m2m")
    bad = "Basic " + base64.b64encode(f"{app.client_id}:wrong".encode()).decode()
    good = "Basic " + base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()
    statuses = [client.post("/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=bad).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    blocked = client.post("/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=good)
    assert blocked.status_code == 429 and blocked.json()["error"] == "too_many_requests"
    assert int(blocked["Retry-After"]) > 0
    for path in ("/oauth/revoke", "/oauth/introspect"):
        assert client.post(path, {"token": "x"}, HTTP_AUTHORIZATION=good).status_code == 429


def test_failed_client_authentication_per_ip(client, make_client, limits):
    limits(client_auth_ip=(3, 60))
    for i in range(3):
        client.post("/oauth/token", {"grant_type": "client_credentials", "client_id": f"guess{i}",
                                     "client_secret": "x"})
    app = make_client("m2m")
    response = client.post("/oauth/token", {"grant_type": "client_credentials", "client_id": app.client_id,
                                            "client_secret": app.secret})
    assert response.status_code == 429


def test_token_requests_per_client(client, make_client, limits):
    limits(token_client=(2, 60))
    app = make_client("spa")
    data = {"grant_type": "authorization_code", "code": "x", "client_id": app.client_id, "redirect_uri": "https://a/"}
    assert [client.post("/oauth/token", data).status_code for _ in range(3)] == [400, 400, 429]
