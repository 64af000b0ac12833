"""The FAPI 2.0 Security Profile checkbox of an application, on the add and the change pages."""
from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from jwcrypto import jwk

from django_authflows.models import Application

from .test_admin_applications import ADD, change_url, form_errors

pytestmark = pytest.mark.django_db


def public_jwks(alg: str | None = None) -> str:
    key = jwk.JWK.generate(kty="EC", crv="P-256", kid="admin-1") if alg != "RS256" else jwk.JWK.generate(
        kty="RSA", size=2048, kid="admin-rsa")
    data = json.loads(key.export_public())
    if alg:
        data["alg"] = alg
    return json.dumps({"keys": [data]})


def test_add_page_offers_the_mode_and_the_keys(admin_client):
    page = admin_client.get(ADD, {"app_type": "regular", "name": "Bank"}).content.decode()
    assert 'name="fapi"' in page and 'name="public_jwks"' in page
    spa = admin_client.get(ADD, {"app_type": "spa", "name": "Bank SPA"}).content.decode()
    assert 'name="fapi"' in spa and 'name="public_jwks"' not in spa  # a public client: DPoP-bound, no keys


def test_add_a_fapi_application(admin_client):
    response = admin_client.post(f"{ADD}?app_type=regular", {
        "name": "Bank", "grants": ["authorization_code", "refresh_token"],
        "callbacks": "https://bank.example.test/cb", "fapi": "on", "public_jwks": public_jwks()})
    app = Application.objects.get(name="Bank")
    assert response.status_code == HTTPStatus.FOUND
    assert app.fapi and app.auth_method == "private_key_jwt" and app.client_secret == ""
    assert app.require_dpop and app.require_pushed_authorization_requests


@pytest.mark.parametrize("data,words", [
    ({"public_jwks": ""}, "no public keys"),
    ({"public_jwks": public_jwks("RS256")}, "PS256 or ES256"),
    ({"grants": ["authorization_code", "implicit"]}, "implicit"),
])
def test_add_refuses_what_breaks_the_profile(admin_client, data, words):
    post = {"name": "Bank", "grants": ["authorization_code"], "callbacks": "https://bank.example.test/cb",
            "fapi": "on", "public_jwks": public_jwks(), **data}
    response = admin_client.post(f"{ADD}?app_type=regular", post)
    assert response.status_code == HTTPStatus.OK
    assert any(words in e for e in form_errors(response)["fapi"])
    assert not Application.objects.filter(name="Bank").exists()


def test_change_page_checkbox(admin_client, make_client):
    app = make_client("m2m")
    page = admin_client.get(change_url(app))
    assert b'name="fapi"' in page.content
    refused = admin_client.post(change_url(app), {"name": app.name, "grants": ["client_credentials"],
                                                  "auth_method": "client_secret_basic", "fapi": "on"})
    assert refused.status_code == HTTPStatus.OK and "client_secret_basic" in str(form_errors(refused)["fapi"])
    assert not Application.objects.get(pk=app.pk).fapi
    response = admin_client.post(change_url(app), {"name": app.name, "grants": ["client_credentials"],
                                                   "auth_method": "private_key_jwt", "public_jwks": public_jwks(),
                                                   "fapi": "on"})
    assert response.status_code == HTTPStatus.FOUND, form_errors(response)
    changed = Application.objects.get(pk=app.pk)
    assert changed.fapi and changed.auth_method == "private_key_jwt" and changed.require_dpop
