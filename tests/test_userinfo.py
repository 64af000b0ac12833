"""/userinfo (OIDC Core §5.3): access tokens with openid only, from the Authorization header only."""
from __future__ import annotations

from http import HTTPStatus

import pytest

from .flows.test_authorization_code import exchange
from .oauth import query

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(client, authorize, make_client):
    def get(scope="openid profile email"):
        app = make_client("regular")
        code = query(authorize(app, scope=scope)["Location"])["code"]
        return exchange(client, app, code).json()
    return get


def test_userinfo_returns_the_claims_the_scopes_allow(client, tokens, user):
    body = tokens("openid email")
    response = client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"sub": f"authflows|{user.pk}", "email": "alice@example.test",
                               "email_verified": False}


def test_userinfo_profile(client, tokens, user):
    body = tokens("openid profile")
    claims = client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}").json()
    assert claims["name"] == "Alice Liddell" and claims["preferred_username"] == "alice"
    assert "email" not in claims


def test_id_token_is_not_a_bearer_token(client, tokens):
    body = tokens()
    response = client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['id_token']}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_no_token(client, db):
    response = client.get("/userinfo")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="userinfo"'
    assert response["Content-Type"] == "application/json"


def test_token_in_query_is_refused(client, tokens):
    body = tokens()
    response = client.get("/userinfo", {"access_token": body["access_token"]})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer " + "x" * 20000, "Bearer é.é.é",
                                    "Bearer a.b.c", "Bearer eyJhbGciOiJub25lIn0.e30."])
def test_malformed_tokens(client, db, header):
    response = client.get("/userinfo", HTTP_AUTHORIZATION=header)
    assert response.status_code in {HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED}
    assert response.json()["error"] in {"invalid_token", "invalid_request"}
