"""/userinfo with the token in a form body (RFC 6750 §2.2) and a replayed code's tokens revoked (RFC 6749 §4.1.2)."""
from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

import pytest

from .flows.test_authorization_code import exchange
from .oauth import query

pytestmark = pytest.mark.django_db

AUD = "https://api.example.test/"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def tokens(client, authorize, make_client):
    def get(**params):
        app = make_client("regular")
        code = query(authorize(app, **params)["Location"])["code"]
        return app, code, exchange(client, app, code).json()
    return get


def test_userinfo_accepts_the_token_in_a_form_body(client, tokens, user):
    _, _, body = tokens(scope="openid email")
    response = client.post("/userinfo", urlencode({"access_token": body["access_token"]}), content_type=FORM)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["sub"] == f"authflows|{user.pk}"


def test_userinfo_refuses_a_token_in_the_body_and_the_header(client, tokens):
    _, _, body = tokens()
    response = client.post("/userinfo", urlencode({"access_token": body["access_token"]}), content_type=FORM,
                           HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"] == "invalid_request"


def test_userinfo_still_refuses_a_token_in_the_query(client, tokens):
    _, _, body = tokens()
    response = client.post(f"/userinfo?access_token={body['access_token']}")
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"] == "invalid_request"


def test_userinfo_body_token_must_be_a_form(client, tokens):
    _, _, body = tokens()
    response = client.post("/userinfo", {"access_token": body["access_token"]}, content_type="application/json")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_body_token_is_not_accepted_at_an_api(client, authorize, make_client, make_api, rf):
    """APIs read the Authorization header only (DESIGN: tokens travel in headers); the body is /userinfo's."""
    from django_authflows.resource.bearer import authenticate_bearer

    make_api()
    app = make_client("regular")
    code = query(authorize(app, audience=AUD, scope="openid read:messages")["Location"])["code"]
    token = exchange(client, app, code).json()["access_token"]
    request = rf.post("/api/anything", urlencode({"access_token": token}), content_type=FORM)
    assert not authenticate_bearer(request, audience=AUD).token_sent
    request = rf.post("/api/anything", urlencode({"access_token": token}), content_type=FORM,
                      HTTP_AUTHORIZATION=f"Bearer {token}")
    assert authenticate_bearer(request, audience=AUD).valid


def test_replayed_code_revokes_the_access_token_at_userinfo(client, tokens):
    """oidcc-codereuse(-30seconds): the token the code first issued stops working at /userinfo."""
    app, code, first = tokens()
    assert client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").status_code == 200
    assert exchange(client, app, code).json()["error"] == "invalid_grant"
    after = client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}")
    assert after.status_code == HTTPStatus.UNAUTHORIZED and after.json()["error"] == "invalid_token"
