"""Implicit flow (OIDC Core §3.2), on only when AUTHFLOWS['FLOWS'] lists it; fragment and form_post."""
from __future__ import annotations

from http import HTTPStatus
from html.parser import HTMLParser

import pytest

from ..oauth import ISSUER, fragment, header, query, verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def implicit_on(settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "FLOWS": [*settings.AUTHFLOWS["FLOWS"], "implicit"]}


@pytest.fixture
def spa(make_client):
    return make_client("spa", grants=["implicit"])


class Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.values[attrs["name"]] = attrs["value"]


def test_id_token_token_in_fragment(client, authorize, spa, user):
    response = authorize(spa, response_type="id_token token", nonce="abc")
    assert response.status_code == HTTPStatus.FOUND
    params = fragment(response["Location"])
    assert not query(response["Location"])
    assert params["state"] == "state-123" and params["iss"] == ISSUER
    jwks = client.get("/.well-known/jwks.json").json()
    claims = verify(params["id_token"], jwks)
    assert claims["nonce"] == "abc" and claims["aud"] == spa.client_id and "at_hash" in claims
    assert header(params["access_token"])["typ"] == "at+jwt"


def test_id_token_only(client, authorize, spa):
    params = fragment(authorize(spa, response_type="id_token", nonce="abc")["Location"])
    assert "access_token" not in params
    claims = verify(params["id_token"], client.get("/.well-known/jwks.json").json())
    assert "at_hash" not in claims


def test_form_post(client, authorize, spa):
    response = authorize(spa, response_type="id_token token", nonce="abc", response_mode="form_post")
    assert response.status_code == HTTPStatus.OK
    parser = Inputs()
    parser.feed(response.content.decode())
    assert set(parser.values) >= {"id_token", "access_token", "state", "iss", "token_type", "expires_in"}
    assert response["Cache-Control"] == "no-store"


def test_nonce_is_required(authorize, spa):
    response = authorize(spa, response_type="id_token token")
    assert fragment(response["Location"])["error"] == "invalid_request"


def test_query_response_mode_is_refused(authorize, spa):
    response = authorize(spa, response_type="id_token token", nonce="abc", response_mode="query")
    assert query(response["Location"])["error"] == "invalid_request"
    assert "access_token" not in response["Location"]


def test_app_without_the_implicit_grant(authorize, make_client):
    app = make_client("spa")
    response = authorize(app, response_type="id_token token", nonce="abc")
    assert fragment(response["Location"])["error"] == "unauthorized_client"


def test_implicit_off_by_default(authorize, spa, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "FLOWS": ["authorization_code", "pkce"]}
    response = authorize(spa, response_type="id_token token", nonce="abc")
    assert fragment(response["Location"])["error"] == "unsupported_response_type"
