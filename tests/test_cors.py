"""CORS on the token endpoint and /userinfo for the origins registered on the client the request names."""
from __future__ import annotations

import base64

import pytest

from .oauth import pkce_pair, query

pytestmark = pytest.mark.django_db

ORIGIN_A = "https://spa.example.test"
ORIGIN_B = "https://other-spa.example.test"


def test_preflight_for_a_registered_origin(client, make_client):
    make_client("spa", origins=[ORIGIN_A])
    response = client.options("/oauth/token", HTTP_ORIGIN=ORIGIN_A,
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,auth0-client")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN_A
    assert "auth0-client" in response["Access-Control-Allow-Headers"]


def test_token_response_carries_cors_headers(client, make_client):
    app = make_client("spa", origins=[ORIGIN_A])
    response = client.post("/oauth/token", {"grant_type": "authorization_code", "client_id": app.client_id},
                           HTTP_ORIGIN=ORIGIN_A)
    assert response["Access-Control-Allow-Origin"] == ORIGIN_A


@pytest.mark.parametrize("origin", ["https://evil.example", "https://spa.example.tes", "null"])
def test_unregistered_origins_get_nothing(client, make_client, origin):
    make_client("spa", origins=[ORIGIN_A])
    response = client.options("/oauth/token", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in response


def test_cors_is_not_enabled_on_the_authorize_page(client, make_client):
    make_client("spa", origins=[ORIGIN_A])
    response = client.get("/authorize", HTTP_ORIGIN=ORIGIN_A)
    assert "Access-Control-Allow-Origin" not in response


# -- the origin must belong to the application the request names ----------------------------------------
@pytest.fixture
def two_apps(make_client):
    """App A (origin A) and app B (origin B): a page at origin A must not read answers about B."""
    a = make_client("native", origins=[ORIGIN_A], grants=["authorization_code", "refresh_token", "device_code"])
    b = make_client("native", origins=[ORIGIN_B], grants=["authorization_code", "refresh_token", "device_code"])
    return a, b


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/device/code"])
def test_preflight_passes_for_an_origin_of_some_application(client, two_apps, path):
    response = client.options(path, HTTP_ORIGIN=ORIGIN_A, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type")
    assert response["Access-Control-Allow-Origin"] == ORIGIN_A


@pytest.mark.parametrize("path,data", [
    ("/oauth/token", {"grant_type": "refresh_token", "refresh_token": "x"}),
    ("/oauth/revoke", {"token": "x"}),
    ("/oauth/device/code", {"scope": "openid"}),
])
@pytest.mark.parametrize("how", ["form", "json", "basic"])
def test_origin_of_one_application_naming_another_gets_no_cors(client, two_apps, path, data, how):
    a, b = two_apps
    named = {"HTTP_ORIGIN": ORIGIN_A}
    if how == "basic":
        named["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{b.client_id}:wrong-secret".encode()).decode()
    else:
        data = {**data, "client_id": b.client_id}
    kwargs = {"content_type": "application/json"} if how == "json" else {}
    response = client.post(path, data, **kwargs, **named)
    assert "Access-Control-Allow-Origin" not in response, response.content
    # the same request naming A from A's origin is readable
    response = client.post(path, {**data, "client_id": a.client_id}, **kwargs, HTTP_ORIGIN=ORIGIN_A)
    assert response["Access-Control-Allow-Origin"] == ORIGIN_A, response.content


def test_basic_header_and_body_naming_different_applications_get_no_cors(client, two_apps):
    a, b = two_apps
    basic = "Basic " + base64.b64encode(f"{b.client_id}:wrong-secret".encode()).decode()
    response = client.post("/oauth/revoke", {"token": "x", "client_id": a.client_id}, HTTP_ORIGIN=ORIGIN_A,
                           HTTP_AUTHORIZATION=basic)
    assert "Access-Control-Allow-Origin" not in response


def test_a_request_naming_no_application_gets_no_cors(client, two_apps):
    response = client.post("/oauth/token", {"grant_type": "authorization_code"}, HTTP_ORIGIN=ORIGIN_A)
    assert "Access-Control-Allow-Origin" not in response
    response = client.post("/oauth/token", "{not json", content_type="application/json", HTTP_ORIGIN=ORIGIN_A)
    assert response.status_code == 400 and "Access-Control-Allow-Origin" not in response


def _access_token(client, authorize, app):
    verifier, challenge = pkce_pair()
    code = query(authorize(app, code_challenge=challenge, code_challenge_method="S256")["Location"])["code"]
    body = client.post("/oauth/token", {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                                        "redirect_uri": app.redirect_uri_list[0], "code_verifier": verifier}).json()
    return body["access_token"]


def test_userinfo_cors_follows_the_application_of_the_access_token(client, authorize, make_client):
    a = make_client("spa", origins=[ORIGIN_A])
    b = make_client("spa", origins=[ORIGIN_B])
    token_a, token_b = _access_token(client, authorize, a), _access_token(client, authorize, b)

    preflight = client.options("/userinfo", HTTP_ORIGIN=ORIGIN_A, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization")
    assert preflight["Access-Control-Allow-Origin"] == ORIGIN_A

    mine = client.get("/userinfo", HTTP_ORIGIN=ORIGIN_A, HTTP_AUTHORIZATION=f"Bearer {token_a}")
    assert mine.status_code == 200 and mine["Access-Control-Allow-Origin"] == ORIGIN_A

    theirs = client.get("/userinfo", HTTP_ORIGIN=ORIGIN_A, HTTP_AUTHORIZATION=f"Bearer {token_b}")
    assert theirs.status_code == 200 and "Access-Control-Allow-Origin" not in theirs

    garbage = client.get("/userinfo", HTTP_ORIGIN=ORIGIN_A, HTTP_AUTHORIZATION="Bearer a.b.c")
    assert garbage.status_code == 401 and "Access-Control-Allow-Origin" not in garbage


def test_discovery_stays_readable_from_a_registered_origin(client, two_apps):
    response = client.get("/.well-known/openid-configuration", HTTP_ORIGIN=ORIGIN_B)
    assert response["Access-Control-Allow-Origin"] == ORIGIN_B
