"""Authorization Code flow (RFC 6749 §4.1, OIDC Core §3.1) end to end over HTTP."""
from __future__ import annotations

import base64
from http import HTTPStatus

import pytest

from ..oauth import ISSUER, TOKEN_URL, header, query, verify

pytestmark = pytest.mark.django_db


def exchange(client, app, code, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri_list[0], **extra}
    basic = base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()
    return client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=f"Basic {basic}")


def test_code_flow_issues_id_and_access_tokens(client, authorize, make_client, user):
    app = make_client("regular")
    response = authorize(app, nonce="n-0S6_WzA2Mj")
    assert response.status_code == HTTPStatus.FOUND
    params = query(response["Location"])
    assert response["Location"].startswith("https://client.example.test/callback?")
    assert params["state"] == "state-123"
    assert params["iss"] == ISSUER  # RFC 9207

    tokens = exchange(client, app, params["code"])
    assert tokens.status_code == HTTPStatus.OK, tokens.content
    assert tokens["Cache-Control"] == "no-store"
    body = tokens.json()
    assert set(body) == {"access_token", "id_token", "token_type", "expires_in", "scope", "refresh_token"} - {
        "refresh_token"} or "refresh_token" in body
    assert body["token_type"] == "Bearer"
    jwks = client.get("/.well-known/jwks.json").json()

    id_claims = verify(body["id_token"], jwks)
    assert header(body["id_token"])["alg"] == "RS256"
    assert id_claims["iss"] == ISSUER
    assert id_claims["aud"] == app.client_id
    assert id_claims["sub"] == f"authflows|{user.pk}"
    assert id_claims["nonce"] == "n-0S6_WzA2Mj"
    assert {"iat", "exp", "auth_time", "at_hash", "sid"} <= set(id_claims)
    assert id_claims["email"] == "alice@example.test"
    assert id_claims["name"] == "Alice Liddell"

    access = verify(body["access_token"], jwks)
    assert header(body["access_token"])["typ"] == "at+jwt"
    assert access["aud"] == ISSUER + "userinfo"
    assert access["client_id"] == access["azp"] == app.client_id
    assert access["scope"] == "openid profile email"
    assert {"iss", "sub", "iat", "exp", "jti", "auth_time"} <= set(access)


def test_code_is_single_use(client, authorize, make_client):
    app = make_client("regular")
    code = query(authorize(app)["Location"])["code"]
    assert exchange(client, app, code).status_code == HTTPStatus.OK
    replay = exchange(client, app, code)
    assert replay.status_code == HTTPStatus.BAD_REQUEST
    assert replay.json()["error"] == "invalid_grant"


def test_code_is_bound_to_its_client(client, authorize, make_client):
    app, other = make_client("regular"), make_client("regular")
    code = query(authorize(app)["Location"])["code"]
    response = exchange(client, other, code)
    assert response.json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_at_the_token_endpoint(client, authorize, make_client):
    app = make_client("regular", callbacks=["https://client.example.test/callback", "https://client.example.test/b"])
    code = query(authorize(app)["Location"])["code"]
    response = exchange(client, app, code, redirect_uri="https://client.example.test/b")
    assert response.json()["error"] == "invalid_grant"


def test_redirect_uri_sent_to_authorize_is_required_at_the_token_endpoint(client, authorize, make_client):
    """RFC 6749 §4.1.3: leaving it out is refused even when the client has one registered URI (oauthlib would
    fill in that default and accept)."""
    app = make_client("regular")
    code = query(authorize(app)["Location"])["code"]
    data = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
            "client_secret": app.secret}
    response = client.post(TOKEN_URL, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"


def test_redirect_uri_omitted_at_authorize_may_be_omitted_at_the_token_endpoint(client, logged_in, make_client):
    """RFC 6749 §4.1.3 requires it at the token endpoint only when /authorize had it (plain OAuth 2.0, one URI)."""
    app = make_client("regular")
    url = f"/authorize?response_type=code&client_id={app.client_id}&scope=profile&state=s"
    response = logged_in.post(url, {"allow": "1"})
    assert response.status_code == HTTPStatus.FOUND, response.content
    code = query(response["Location"])["code"]
    data = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
            "client_secret": app.secret}
    response = client.post(TOKEN_URL, data)
    assert response.status_code == HTTPStatus.OK, response.content


def test_expired_code_is_refused(client, authorize, make_client, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "LIFETIMES": {"authorization_code": 0}}
    app = make_client("regular")
    code = query(authorize(app)["Location"])["code"]
    assert exchange(client, app, code).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("secret", ["wrong", ""])
def test_wrong_secret_is_invalid_client(client, authorize, make_client, secret):
    app = make_client("regular")
    code = query(authorize(app)["Location"])["code"]
    app.secret = secret
    response = exchange(client, app, code)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"


def test_client_secret_post(client, authorize, make_client):
    app = make_client("regular")
    code = query(authorize(app)["Location"])["code"]
    response = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                                       "client_secret": app.secret, "redirect_uri": app.redirect_uri_list[0]})
    assert response.status_code == HTTPStatus.OK, response.content


def test_json_body_with_nulls(client, authorize, make_client):
    app = make_client("regular")
    code = query(authorize(app)["Location"])["code"]
    response = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                                       "client_secret": app.secret, "redirect_uri": app.redirect_uri_list[0],
                                       "code_verifier": None, "audience": None}, content_type="application/json")
    assert response.status_code == HTTPStatus.OK, response.content


def test_unregistered_redirect_uri_is_an_error_page_not_a_redirect(logged_in, make_client):
    app = make_client("regular")
    response = logged_in.get("/authorize", {"response_type": "code", "client_id": app.client_id,
                                            "redirect_uri": "https://evil.example/cb", "scope": "openid"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    assert b"redirect" in response.content.lower()


def test_unknown_client_is_an_error_page(logged_in):
    response = logged_in.get("/authorize", {"response_type": "code", "client_id": "nope",
                                            "redirect_uri": "https://client.example.test/callback"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["X-Frame-Options"] == "DENY"


def test_consent_deny_returns_access_denied(authorize, make_client):
    app = make_client("regular")
    response = authorize(app, approve=False)
    params = query(response["Location"])
    assert params["error"] == "access_denied"
    assert params["state"] == "state-123"


def test_first_party_consent_is_remembered(authorize, logged_in, make_client):
    app = make_client("regular")
    authorize(app)
    again = logged_in.get("/authorize", {"response_type": "code", "client_id": app.client_id,
                                         "redirect_uri": app.redirect_uri_list[0], "scope": "openid profile"})
    assert again.status_code == HTTPStatus.FOUND and "code" in query(again["Location"])


def test_prompt_consent_always_asks(authorize, logged_in, make_client):
    app = make_client("regular")
    authorize(app)
    again = logged_in.get("/authorize", {"response_type": "code", "client_id": app.client_id, "scope": "openid",
                                         "redirect_uri": app.redirect_uri_list[0], "prompt": "consent"})
    assert again.status_code == HTTPStatus.OK and b'name="allow"' in again.content


def test_third_party_apps_always_ask(authorize, logged_in, make_client):
    app = make_client("regular", first_party=False)
    authorize(app)
    again = logged_in.get("/authorize", {"response_type": "code", "client_id": app.client_id, "scope": "openid",
                                         "redirect_uri": app.redirect_uri_list[0]})
    assert again.status_code == HTTPStatus.OK and b'name="deny"' in again.content


def test_not_logged_in_goes_to_login_with_hint(client, make_client):
    app = make_client("regular")
    response = client.get("/authorize", {"response_type": "code", "client_id": app.client_id, "scope": "openid",
                                         "redirect_uri": app.redirect_uri_list[0], "login_hint": "alice"})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/login?next=")
    assert "login_hint=alice" in response["Location"]
    page = client.get(response["Location"])
    assert b'value="alice"' in page.content


@pytest.mark.parametrize("prompt,error", [("none", "login_required")])
def test_prompt_none_without_session(client, make_client, prompt, error):
    app = make_client("regular")
    response = client.get("/authorize", {"response_type": "code", "client_id": app.client_id, "scope": "openid",
                                         "redirect_uri": app.redirect_uri_list[0], "prompt": prompt, "state": "s"})
    assert query(response["Location"]) == {"error": error, "error_description": "The user is not logged in.",
                                           "state": "s", "iss": ISSUER}


def test_prompt_none_without_consent(logged_in, make_client):
    app = make_client("regular")
    response = logged_in.get("/authorize", {"response_type": "code", "client_id": app.client_id, "scope": "openid",
                                            "redirect_uri": app.redirect_uri_list[0], "prompt": "none"})
    assert query(response["Location"])["error"] == "consent_required"


def test_prompt_login_asks_again_even_with_a_session(logged_in, make_client):
    app = make_client("regular")
    response = logged_in.get("/authorize", {"response_type": "code", "client_id": app.client_id, "scope": "openid",
                                            "redirect_uri": app.redirect_uri_list[0], "prompt": "login"})
    assert response["Location"].startswith("/login?next=")
    assert "prompt" not in response["Location"].split("next=")[1].split("&login_hint")[0].replace("%3F", "?")


def test_max_age_zero_forces_login(logged_in, make_client):
    app = make_client("regular")
    import time

    time.sleep(1.1)
    response = logged_in.get("/authorize", {"response_type": "code", "client_id": app.client_id, "scope": "openid",
                                            "redirect_uri": app.redirect_uri_list[0], "max_age": "0"})
    assert response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("mode", ["fragment", "form_post"])
def test_response_modes_for_code(authorize, make_client, mode):
    app = make_client("regular")
    response = authorize(app, response_mode=mode)
    if mode == "fragment":
        assert "#code=" in response["Location"]
    else:
        assert response.status_code == HTTPStatus.OK
        assert b'action="https://client.example.test/callback"' in response.content
        assert b'name="code"' in response.content and b'name="iss"' in response.content


@pytest.mark.parametrize("params,error", [
    ({"response_mode": "bogus"}, "invalid_request"),
    ({"prompt": "none login"}, "invalid_request"),
    ({"prompt": "sometimes"}, "invalid_request"),
    ({"max_age": "-1"}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),  # implicit is off by default
    ({"response_type": "code id_token"}, "unsupported_response_type"),
    ({"audience": "https://unknown.example/"}, "access_denied"),
])
def test_bad_authorization_requests_redirect_an_error(authorize, make_client, params, error):
    app = make_client("regular")
    response = authorize(app, **params)
    assert response.status_code == HTTPStatus.FOUND
    location = response["Location"]
    found = query(location) or __import__("tests.oauth", fromlist=["fragment"]).fragment(location)
    assert found["error"] == error, found


@pytest.mark.parametrize("data", [
    {},
    {"grant_type": "password", "username": "alice", "password": "x"},
    {"grant_type": "authorization_code"},
    {"grant_type": "authorization_code", "code": "nope", "client_id": "nope"},
    {"grant_type": "bogus"},
])
def test_token_endpoint_errors_are_json(client, db, data):
    response = client.post(TOKEN_URL, data)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()


def test_token_endpoint_refuses_duplicate_parameters_and_bad_json(client, db):
    dup = client.post(TOKEN_URL, "grant_type=a&grant_type=b", content_type="application/x-www-form-urlencoded")
    assert dup.json()["error"] == "invalid_request"
    bad = client.post(TOKEN_URL, "{nope", content_type="application/json")
    assert bad.json() == {"error": "invalid_request", "error_description": "The request body is not valid JSON."}
    get = client.get(TOKEN_URL)
    assert get.status_code == HTTPStatus.METHOD_NOT_ALLOWED and get.json()["error"] == "invalid_request"


def test_secrets_are_stored_hashed(make_client):
    app = make_client("regular")
    app.refresh_from_db()
    assert app.secret not in app.client_secret
    assert app.client_secret.startswith("authflows_hmac_sha256$")


def test_replayed_code_revokes_the_tokens_it_issued(client, authorize, make_client, make_api):
    """RFC 6749 §4.1.2: "the authorization server ... SHOULD revoke all tokens previously issued"."""
    make_api()
    app = make_client("regular")
    code = query(authorize(app, audience="https://api.example.test/",
                           scope="openid offline_access read:messages")["Location"])["code"]
    first = exchange(client, app, code).json()
    assert client.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").status_code == 200
    assert exchange(client, app, code).json()["error"] == "invalid_grant"
    assert client.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").status_code == 401
    refreshed = client.post(TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                        "client_id": app.client_id, "client_secret": app.secret})
    assert refreshed.json()["error"] == "invalid_grant"


def test_two_audiences_are_refused(authorize, make_client, make_api):
    make_api()
    make_api("https://other.example.test/")
    app = make_client("regular")
    response = authorize(app, audience="https://api.example.test/", resource="https://other.example.test/")
    assert query(response["Location"])["error"] == "invalid_target"
