"""Error messages a newcomer meets first: each says what happened and what to do (issue 19, item 5)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.oauth import TOKEN_URL

pytestmark = pytest.mark.django_db


def test_missing_grant_type_says_it_is_missing(client):
    body = client.post(TOKEN_URL, {"client_id": "x"}).json()
    assert body["error"] == "invalid_request"
    assert "grant_type is missing" in body["error_description"]


def test_unknown_grant_type_is_still_unsupported(client):
    assert client.post(TOKEN_URL, {"grant_type": "bogus"}).json()["error"] == "unsupported_grant_type"


def test_invalid_client_always_has_a_description(client, make_client):
    app = make_client("m2m")
    body = client.post(TOKEN_URL, {"grant_type": "client_credentials", "client_id": app.client_id,
                                   "client_secret": "wrong"}).json()
    assert body["error"] == "invalid_client" and body["error_description"]
    body = client.post(TOKEN_URL, {"grant_type": "client_credentials", "client_id": "nobody",
                                   "client_secret": "wrong"}).json()
    assert body["error"] == "invalid_client" and body["error_description"]


@pytest.mark.parametrize("response_type", ["token", "code id_token", "bogus"])
def test_unsupported_response_type_names_the_type_and_the_allowed_ones(client, make_client, response_type):
    app = make_client("regular")
    response = client.get("/authorize", {"response_type": response_type, "client_id": app.client_id,
                                         "redirect_uri": app.redirect_uri_list[0], "scope": "openid"})
    location = urlsplit(response["Location"])
    found = parse_qs(location.query) or parse_qs(location.fragment)
    assert found["error"] == ["unsupported_response_type"]
    description = found["error_description"][0]
    assert repr(response_type) in description and "'code'" in description


def test_logout_without_client_id_says_so(client):
    response = client.get("/v2/logout", {"returnTo": "https://elsewhere.example.test/"})
    assert response.status_code == 400
    assert b"client_id" in response.content


def test_login_page_names_the_application_that_asks(client, make_client):
    from urllib.parse import urlencode

    app = make_client("regular")
    app.name = "Shop <b>& Co</b>"
    app.save()
    nxt = "/authorize?" + urlencode({"response_type": "code", "client_id": app.client_id})
    page = client.get("/login", {"next": nxt}).content.decode()
    assert "to continue to <strong>Shop &lt;b&gt;&amp; Co&lt;/b&gt;</strong>" in page
    # An unknown client_id, or one that is not in an /authorize URL, names nothing (and is never echoed).
    for other in ("/authorize?client_id=%3Cscript%3E", f"/elsewhere?client_id={app.client_id}",
                  f"https://evil.example.test/authorize?client_id={app.client_id}"):
        page = client.get("/login", {"next": other}).content.decode()
        assert 'id="login-for"' not in page and "<script>" not in page
