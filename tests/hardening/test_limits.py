"""Parameters that are looked up or stored are capped before any lookup (RFC 7636 §4.1 for code_verifier)."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from django_authflows import registry

from ..oauth import AUTHORIZE_URL, TOKEN_URL, query

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("extra", [
    {"client_id": "x" * 101}, {"audience": "a" * 256}, {"resource": "r" * 256}, {"scope": "s" * 2049},
    {"code_verifier": "v" * 42}, {"code_verifier": "v" * 129}, {"code_verifier": "v" * 42 + "%"},
], ids=["client_id", "audience", "resource", "scope", "verifier-short", "verifier-long", "verifier-charset"])
def test_token_endpoint_refuses_oversized_parameters_before_any_lookup(client, make_client, extra):
    app = make_client("spa")
    registry.registry.clear()
    body = {"grant_type": "authorization_code", "code": "x", "client_id": app.client_id, **extra}
    response = client.post(TOKEN_URL, body)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request", response.content
    assert not registry.registry._entries  # nothing was looked up, so nothing is remembered


def test_a_body_over_one_megabyte_is_refused_unread(client):
    response = client.post(TOKEN_URL, "client_id=" + "x" * (1024 * 1024),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "too large" in response.json()["error_description"]


def test_authorize_shows_an_error_page_for_an_oversized_client_id(logged_in):
    response = logged_in.get(f"{AUTHORIZE_URL}?{urlencode({'response_type': 'code', 'client_id': 'c' * 101})}")
    assert response.status_code == 400 and b"invalid_request" in response.content


@pytest.mark.parametrize("name,value", [("state", "s" * 2049), ("nonce", "n" * 256), ("login_hint", "h" * 256),
                                        ("audience", "a" * 256)])
def test_authorize_redirects_invalid_request_for_other_oversized_parameters(logged_in, make_client, name, value):
    app = make_client("regular")
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri_list[0],
              "scope": "openid", name: value}
    response = logged_in.get(f"{AUTHORIZE_URL}?{urlencode(params)}")
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].startswith(app.redirect_uri_list[0])
    assert query(response["Location"])["error"] == "invalid_request"
