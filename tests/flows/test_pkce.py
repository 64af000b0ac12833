"""Authorization Code with PKCE (RFC 7636): S256 only, required for spa and native, no downgrade."""
from __future__ import annotations

from http import HTTPStatus

import pytest

from ..oauth import TOKEN_URL, pkce_pair, query
from .test_authorization_code import exchange

pytestmark = pytest.mark.django_db


def public_exchange(client, app, code, **extra):
    data = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
            "redirect_uri": app.redirect_uri_list[0], **extra}
    return client.post(TOKEN_URL, data)


@pytest.mark.parametrize("app_type", ["spa", "native"])
def test_public_client_with_s256(client, authorize, make_client, app_type):
    app = make_client(app_type)
    assert app.secret is None
    verifier, challenge = pkce_pair()
    code = query(authorize(app, code_challenge=challenge, code_challenge_method="S256")["Location"])["code"]
    response = public_exchange(client, app, code, code_verifier=verifier)
    assert response.status_code == HTTPStatus.OK, response.content
    assert {"access_token", "id_token"} <= set(response.json())


@pytest.mark.parametrize("app_type", ["spa", "native"])
def test_pkce_is_required_for_public_clients(authorize, make_client, app_type):
    app = make_client(app_type)
    response = authorize(app)
    assert query(response["Location"])["error"] == "invalid_request"


@pytest.mark.parametrize("method", ["plain", None])
def test_plain_is_refused(authorize, make_client, method):
    app = make_client("spa")
    params = {"code_challenge": "a" * 43}
    if method:
        params["code_challenge_method"] = method
    response = authorize(app, **params)
    assert query(response["Location"])["error"] == "invalid_request"


def test_wrong_verifier_is_invalid_grant(client, authorize, make_client):
    app = make_client("spa")
    _verifier, challenge = pkce_pair()
    code = query(authorize(app, code_challenge=challenge, code_challenge_method="S256")["Location"])["code"]
    response = public_exchange(client, app, code, code_verifier=pkce_pair()[0])
    assert response.json()["error"] == "invalid_grant"


def test_missing_verifier_is_refused(client, authorize, make_client):
    app = make_client("spa")
    _verifier, challenge = pkce_pair()
    code = query(authorize(app, code_challenge=challenge, code_challenge_method="S256")["Location"])["code"]
    response = public_exchange(client, app, code)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] in {"invalid_request", "invalid_grant"}


def test_regular_app_honours_pkce_when_sent(client, authorize, make_client):
    app = make_client("regular")
    verifier, challenge = pkce_pair()
    code = query(authorize(app, code_challenge=challenge, code_challenge_method="S256")["Location"])["code"]
    assert exchange(client, app, code, code_verifier="x" * 43).json()["error"] == "invalid_grant"
    code = query(authorize(app, code_challenge=challenge, code_challenge_method="S256")["Location"])["code"]
    assert exchange(client, app, code, code_verifier=verifier).status_code == HTTPStatus.OK


def test_pkce_downgrade_is_refused(client, authorize, make_client):
    """RFC 9700 §2.1.1: a code issued without code_challenge cannot be redeemed with a code_verifier."""
    app = make_client("regular")
    code = query(authorize(app)["Location"])["code"]
    response = exchange(client, app, code, code_verifier=pkce_pair()[0])
    assert response.json()["error"] == "invalid_grant"


def test_public_client_cannot_authenticate_with_a_secret(client, authorize, make_client):
    app = make_client("spa")
    verifier, challenge = pkce_pair()
    code = query(authorize(app, code_challenge=challenge, code_challenge_method="S256")["Location"])["code"]
    response = public_exchange(client, app, code, code_verifier=verifier, client_secret="guess")
    assert response.json()["error"] == "invalid_client"


def test_loopback_redirect_any_port_for_native(client, authorize, make_client):
    """RFC 8252 §7.3: a registered loopback redirect URI matches on any port."""
    app = make_client("native", callbacks=["http://127.0.0.1/callback"])
    verifier, challenge = pkce_pair()
    response = authorize(app, redirect_uri="http://127.0.0.1:53127/callback", code_challenge=challenge,
                         code_challenge_method="S256")
    assert response["Location"].startswith("http://127.0.0.1:53127/callback?code=")
