"""CORS on the token endpoint and /userinfo for the origins registered on a client."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_preflight_for_a_registered_origin(client, make_client):
    make_client("spa", origins=["https://spa.example.test"])
    response = client.options("/oauth/token", HTTP_ORIGIN="https://spa.example.test",
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,auth0-client")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://spa.example.test"
    assert "auth0-client" in response["Access-Control-Allow-Headers"]


def test_token_response_carries_cors_headers(client, make_client):
    make_client("spa", origins=["https://spa.example.test"])
    response = client.post("/oauth/token", {"grant_type": "authorization_code"}, HTTP_ORIGIN="https://spa.example.test")
    assert response["Access-Control-Allow-Origin"] == "https://spa.example.test"


@pytest.mark.parametrize("origin", ["https://evil.example", "https://spa.example.tes", "null"])
def test_unregistered_origins_get_nothing(client, make_client, origin):
    make_client("spa", origins=["https://spa.example.test"])
    response = client.options("/oauth/token", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in response


def test_cors_is_not_enabled_on_the_authorize_page(client, make_client):
    make_client("spa", origins=["https://spa.example.test"])
    response = client.get("/authorize", HTTP_ORIGIN="https://spa.example.test")
    assert "Access-Control-Allow-Origin" not in response
