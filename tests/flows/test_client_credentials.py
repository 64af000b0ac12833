"""Client Credentials (RFC 6749 §4.4): m2m only, the client grant decides the scopes, no refresh token."""
from __future__ import annotations

import base64
from http import HTTPStatus

import pytest

from django_authflows.apis import create_client_grant

from ..oauth import ISSUER, TOKEN_URL, header, verify

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"


@pytest.fixture
def m2m(make_client, make_api):
    api = make_api()
    app = make_client("m2m", name="Cron job")
    create_client_grant(app, api, ["read:messages"])
    return app


def basic(app, secret=None):
    return "Basic " + base64.b64encode(f"{app.client_id}:{secret or app.secret}".encode()).decode()


def test_basic_auth(client, m2m):
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD},
                           HTTP_AUTHORIZATION=basic(m2m))
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["scope"] == "read:messages" and body["token_type"] == "Bearer"
    claims = verify(body["access_token"], client.get("/.well-known/jwks.json").json())
    assert header(body["access_token"])["typ"] == "at+jwt"
    assert claims["sub"] == f"{m2m.client_id}@clients"
    assert claims["gty"] == "client-credentials"
    assert claims["aud"] == AUD and claims["iss"] == ISSUER
    assert claims["azp"] == claims["client_id"] == m2m.client_id
    assert claims["exp"] - claims["iat"] == body["expires_in"] == 86400
    assert "auth_time" not in claims


def test_post_auth_and_json(client, m2m):
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD, "client_id": m2m.client_id,
                                       "client_secret": m2m.secret}, content_type="application/json")
    assert response.status_code == HTTPStatus.OK, response.content


def test_resource_parameter(client, m2m):
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials", "resource": AUD},
                           HTTP_AUTHORIZATION=basic(m2m))
    assert response.status_code == HTTPStatus.OK


def test_scope_can_only_narrow(client, m2m):
    same = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD, "scope": "read:messages"},
                       HTTP_AUTHORIZATION=basic(m2m))
    assert same.json()["scope"] == "read:messages"
    wider = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD,
                                    "scope": "read:messages write:messages"}, HTTP_AUTHORIZATION=basic(m2m))
    assert wider.json()["error"] == "access_denied"
    assert "has not been granted scopes: write:messages" in wider.json()["error_description"]


def test_two_audiences_are_refused(client, m2m):
    response = client.post(TOKEN_URL, "grant_type=client_credentials&resource=https://api.example.test/"
                           "&resource=https://other.example.test/", content_type="application/x-www-form-urlencoded",
                           HTTP_AUTHORIZATION=basic(m2m))
    assert response.json()["error"] == "invalid_target"


def test_unknown_audience(client, m2m):
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": "https://nope/"},
                           HTTP_AUTHORIZATION=basic(m2m))
    assert response.status_code in {HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN, HTTPStatus.UNAUTHORIZED}
    body = response.json()
    assert body["error"] == "access_denied" and "Service not found: https://nope/" in body["error_description"]


def test_no_client_grant_names_the_app_and_the_api(client, make_client, make_api):
    make_api()
    app = make_client("m2m", name="Billing")
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD},
                           HTTP_AUTHORIZATION=basic(app))
    body = response.json()
    assert body["error"] == "access_denied"
    assert '"Billing"' in body["error_description"] and AUD in body["error_description"]
    assert "grants create" in body["error_description"]


def test_no_audience(client, m2m):
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(m2m))
    assert response.json()["error"] == "access_denied"


def test_default_audience(client, m2m, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "DEFAULT_AUDIENCE": AUD}
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(m2m))
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("app_type", ["regular", "spa"])
def test_only_m2m_apps(client, make_client, make_api, app_type):
    make_api()
    app = make_client(app_type)
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD, "client_id": app.client_id,
                                       "client_secret": app.secret or "x"})
    assert response.json()["error"] in {"unauthorized_client", "invalid_client"}


def test_wrong_secret_and_unknown_client_look_the_same(client, m2m):
    wrong = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD},
                        HTTP_AUTHORIZATION=basic(m2m, "wrong"))
    unknown = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD},
                          HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"nobody:wrong").decode())
    assert wrong.status_code == unknown.status_code == HTTPStatus.UNAUTHORIZED
    assert wrong.json() == unknown.json()


def test_two_authentication_methods_are_refused(client, m2m):
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD,
                                       "client_secret": m2m.secret}, HTTP_AUTHORIZATION=basic(m2m))
    assert response.json()["error"] == "invalid_client"


def test_per_api_lifetime_and_algorithm(client, make_client, make_api):
    api = make_api("https://es.example.test/", token_lifetime=600, signing_alg="ES256")
    app = make_client("m2m")
    create_client_grant(app, api, ["read:messages"])
    body = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": api.identifier},
                       HTTP_AUTHORIZATION=basic(app)).json()
    assert body["expires_in"] == 600
    assert header(body["access_token"])["alg"] == "ES256"
    verify(body["access_token"], client.get("/.well-known/jwks.json").json())
