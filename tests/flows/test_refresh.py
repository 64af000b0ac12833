"""Refresh tokens: rotation, reuse detection revoking the family, lifetimes, ID token on every refresh."""
from __future__ import annotations

from http import HTTPStatus

import pytest
from django.utils import timezone
from oauth2_provider.models import RefreshToken

from django_authflows.models import TokenFamily

from ..oauth import TOKEN_URL, query, verify

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"
INVALID = {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}


def refresh(client, app, token, **extra):
    return client.post(TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": token, "client_id": app.client_id,
                                   **extra})


def test_refresh_rotates_and_returns_an_id_token(client, spa_tokens, user):
    app, first = spa_tokens()
    assert "refresh_token" in first
    response = refresh(client, app, first["refresh_token"])
    assert response.status_code == HTTPStatus.OK, response.content
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert {"access_token", "id_token", "refresh_token", "scope", "expires_in"} <= set(second)
    jwks = client.get("/.well-known/jwks.json").json()
    claims = verify(second["id_token"], jwks)
    assert claims["aud"] == app.client_id and claims["sub"] == f"authflows|{user.pk}"
    assert claims["auth_time"] == verify(first["id_token"], jwks)["auth_time"]
    access = verify(second["access_token"], jwks)
    assert AUD in access["aud"] and "read:messages" in access["scope"]
    assert refresh(client, app, second["refresh_token"]).status_code == HTTPStatus.OK


def test_reuse_revokes_the_whole_family(client, spa_tokens):
    app, first = spa_tokens()
    second = refresh(client, app, first["refresh_token"]).json()
    replay = refresh(client, app, first["refresh_token"])
    assert replay.status_code == HTTPStatus.BAD_REQUEST and replay.json() == INVALID
    assert refresh(client, app, second["refresh_token"]).json() == INVALID  # the successor died too
    api = client.get("/api/private-scoped", HTTP_AUTHORIZATION=f"Bearer {second['access_token']}")
    assert api.status_code == HTTPStatus.UNAUTHORIZED and "revoked" in api.json()["error_description"]
    assert TokenFamily.objects.get().revoked is not None


def test_reuse_leeway_returns_the_same_successor(client, spa_tokens, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "REFRESH_REUSE_LEEWAY": 30}
    app, first = spa_tokens()
    second = refresh(client, app, first["refresh_token"]).json()
    again = refresh(client, app, first["refresh_token"])
    assert again.status_code == HTTPStatus.OK and again.json() == second
    assert refresh(client, app, second["refresh_token"]).status_code == HTTPStatus.OK


def test_bound_to_its_client(client, spa_tokens, make_client):
    app, first = spa_tokens()
    other = make_client("spa")
    assert refresh(client, other, first["refresh_token"]).json() == INVALID
    assert refresh(client, app, first["refresh_token"]).status_code == HTTPStatus.OK


def test_unknown_refresh_token_text_for_the_spa_sdk(client, make_client):
    app = make_client("spa")
    response = refresh(client, app, "nope")
    assert response.json() == INVALID and "invalid refresh token" in response.json()["error_description"].lower()


def test_down_scoped_refresh(client, spa_tokens):
    app, first = spa_tokens()
    narrowed = refresh(client, app, first["refresh_token"], scope="openid offline_access").json()
    assert narrowed["scope"] == "openid offline_access" and "refresh_token" in narrowed
    widened = refresh(client, app, narrowed["refresh_token"], scope="openid write:messages")
    assert widened.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("which", ["refresh_token_idle", "refresh_token_absolute"])
def test_lifetimes(client, spa_tokens, settings, which):
    app, first = spa_tokens()
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "LIFETIMES": {which: 0}}
    assert refresh(client, app, first["refresh_token"]).json() == INVALID


def test_no_refresh_token_without_offline_access(spa_tokens):
    _app, body = spa_tokens(scope="openid profile")
    assert "refresh_token" not in body


def test_no_refresh_token_for_apps_without_the_grant(spa_tokens, make_client):
    app = make_client("spa", grants=["authorization_code"])
    _app, body = spa_tokens(app=app)
    assert "refresh_token" not in body and "offline_access" not in body["scope"]


def test_api_without_offline_access(client, authorize, make_client, make_api):
    make_api("https://strict.example.test/", allow_offline_access=False)
    app = make_client("regular")
    code = query(authorize(app, scope="openid offline_access", audience="https://strict.example.test/")["Location"])["code"]
    import base64

    auth = "Basic " + base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()
    body = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code,
                                   "redirect_uri": app.redirect_uri_list[0]}, HTTP_AUTHORIZATION=auth).json()
    assert "refresh_token" not in body


def test_cors_on_refresh_for_the_spa_origin(client, spa_tokens):
    app, first = spa_tokens()
    response = client.post(TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                       "client_id": app.client_id}, HTTP_ORIGIN="https://spa.example.test")
    assert response["Access-Control-Allow-Origin"] == "https://spa.example.test"


def test_refresh_tokens_are_stored_hashed(spa_tokens):
    _app, body = spa_tokens()
    row = RefreshToken.objects.get()
    assert body["refresh_token"] not in (row.token or "") and row.token_checksum
    assert row.created <= timezone.now()


def test_a_refused_refresh_does_not_spend_the_token(client, spa_tokens):
    app, first = spa_tokens()
    widened = refresh(client, app, first["refresh_token"], scope="openid write:messages")
    assert widened.json()["error"] == "invalid_scope"
    assert refresh(client, app, first["refresh_token"]).status_code == HTTPStatus.OK


def test_refresh_after_its_access_token_was_revoked_keeps_the_scopes(client, spa_tokens):
    app, first = spa_tokens()
    assert client.post("/oauth/revoke", {"token": first["access_token"], "client_id": app.client_id}).status_code == 200
    body = refresh(client, app, first["refresh_token"]).json()
    assert body["scope"] == first["scope"] and "id_token" in body
