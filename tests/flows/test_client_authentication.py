"""Client authentication at the client endpoints (RFC 6749 §2.3, §5.2). A client that presents a secret is
authenticated before the grant is looked at, as oauthlib does it: a wrong secret gets the same
``invalid_client`` answer as no secret at all (with a Basic challenge when Basic was used), spends nothing
the request carries (a code, a refresh token), and comes after the checks oauthlib makes first (a missing
code or refresh token)."""
from __future__ import annotations

from http import HTTPStatus

import pytest

from django_authflows.apis import create_client_grant

from .. import oauth
from ..oauth import TOKEN_URL, query

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"


def basic(app, secret):
    return oauth.basic(app.client_id, secret)


def answer(response):
    """What a client sees of a refusal."""
    return (response.status_code, response.json(), response.get("WWW-Authenticate"), response.get("Cache-Control"),
            response.get("Pragma"), response.get("Content-Type"))


FAILED = {"error": "invalid_client", "error_description": "Client authentication failed."}
NO_STORE = ("no-store", "no-cache", "application/json")


def test_a_wrong_secret_gets_the_answer_that_no_secret_gets(client, make_client, make_api):
    app = make_client("m2m")
    create_client_grant(app, make_api(), ["read:messages"])
    cc = {"grant_type": "client_credentials", "audience": AUD}
    # No secret at all: nothing to authenticate early, oauthlib's own pipeline refuses.
    assert answer(client.post(TOKEN_URL, {**cc, "client_id": app.client_id})) == (
        HTTPStatus.UNAUTHORIZED, FAILED, None, *NO_STORE)
    assert answer(client.post(TOKEN_URL, {**cc, "client_id": app.client_id, "client_secret": "wrong"})) == (
        HTTPStatus.UNAUTHORIZED, FAILED, None, *NO_STORE)
    # RFC 6749 §5.2: a client that used the Authorization header gets a challenge for the scheme it used.
    assert answer(client.post(TOKEN_URL, cc, HTTP_AUTHORIZATION=basic(app, "wrong"))) == (
        HTTPStatus.UNAUTHORIZED, FAILED, 'Basic realm="authflows", charset="UTF-8"', *NO_STORE)
    assert client.post(TOKEN_URL, cc, HTTP_AUTHORIZATION=basic(app, app.secret)).status_code == HTTPStatus.OK


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect", "/oauth/device/code"])
def test_every_client_endpoint_answers_invalid_client_alike(client, make_client, path):
    """The same refusal everywhere: 401, a description, no-store, and a Basic challenge for Basic."""
    app = make_client("regular")
    data = {"grant_type": "client_credentials", "token": "x"}
    assert answer(client.post(path, data, HTTP_AUTHORIZATION=basic(app, "wrong"))) == (
        HTTPStatus.UNAUTHORIZED, FAILED, 'Basic realm="authflows", charset="UTF-8"', *NO_STORE)
    assert answer(client.post(path, {**data, "client_id": app.client_id, "client_secret": "wrong"})) == (
        HTTPStatus.UNAUTHORIZED, FAILED, None, *NO_STORE)
    malformed = client.post(path, data, HTTP_AUTHORIZATION="Basic %%%")
    assert malformed.status_code == HTTPStatus.UNAUTHORIZED and malformed.json()["error"] == "invalid_client"
    assert malformed["WWW-Authenticate"].startswith("Basic realm=")


def test_a_wrong_secret_does_not_spend_the_code(client, authorize, make_client):
    app = make_client("regular")
    code = query(authorize(app)["Location"])["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri_list[0]}
    refused = client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=basic(app, "wrong"))
    assert refused.status_code == HTTPStatus.UNAUTHORIZED and refused.json()["error"] == "invalid_client"
    assert client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=basic(app, app.secret)).status_code == HTTPStatus.OK


def test_a_wrong_secret_does_not_spend_the_refresh_token(client, authorize, make_client, make_api):
    make_api()
    app = make_client("regular")
    code = query(authorize(app, scope="openid offline_access", audience=AUD)["Location"])["code"]
    tokens = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code,
                                     "redirect_uri": app.redirect_uri_list[0]},
                         HTTP_AUTHORIZATION=basic(app, app.secret)).json()
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refused = client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=basic(app, "wrong"))
    assert refused.status_code == HTTPStatus.UNAUTHORIZED and refused.json()["error"] == "invalid_client"
    refreshed = client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=basic(app, app.secret))
    assert refreshed.status_code == HTTPStatus.OK, refreshed.content
    assert refreshed.json()["refresh_token"] != tokens["refresh_token"]


@pytest.mark.parametrize("grant_type", ["authorization_code", "refresh_token"])
def test_a_missing_code_or_refresh_token_is_reported_before_the_client(client, make_client, grant_type):
    app = make_client("regular")
    for secret in (app.secret, "wrong"):
        response = client.post(TOKEN_URL, {"grant_type": grant_type, "redirect_uri": app.redirect_uri_list[0]},
                               HTTP_AUTHORIZATION=basic(app, secret))
        assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
        assert response.json()["error"] == "invalid_request"


def test_two_authentication_methods_are_refused(client, make_client, make_api):
    """RFC 6749 §2.3: one method per request, even when both carry the right secret."""
    app = make_client("m2m")
    create_client_grant(app, make_api(), ["read:messages"])
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD, "client_id": app.client_id,
                                       "client_secret": app.secret}, HTTP_AUTHORIZATION=basic(app, app.secret))
    assert response.status_code == HTTPStatus.UNAUTHORIZED and response.json()["error"] == "invalid_client"
