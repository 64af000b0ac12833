"""DPoP at the token endpoint (RFC 9449 §5, §8, §10) end to end over HTTP, proofs made with jwcrypto."""
from __future__ import annotations

from http import HTTPStatus

import pytest

from django_authflows.apis import create_client_grant
from django_authflows.models import Application

from ..dpop_client import DPoPKey, bad_proofs
from ..oauth import ISSUER, TOKEN_URL, basic, pkce_pair, query, verify
from .test_device import DEVICE_GRANT, approve, ready, start

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"
HTU = ISSUER + "oauth/token"


@pytest.fixture
def m2m(make_client, make_api):
    api = make_api()
    app = make_client("m2m")
    create_client_grant(app, api, ["read:messages"])
    return app


def cc(client, app, proof=None, **extra):
    headers = {"HTTP_AUTHORIZATION": basic(app.client_id, app.secret)}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD}, **headers, **extra)


def claims_of(client, access_token):
    return verify(access_token, client.get("/.well-known/jwks.json").json())


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256", "PS256"])
def test_client_credentials_bound_to_the_proof_key(client, m2m, alg):
    key = DPoPKey(alg)
    response = cc(client, m2m, key.proof("POST", HTU))
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert claims_of(client, body["access_token"])["cnf"] == {"jkt": key.jkt}


def test_without_a_proof_tokens_stay_bearer(client, m2m):
    body = cc(client, m2m).json()
    assert body["token_type"] == "Bearer"
    assert "cnf" not in claims_of(client, body["access_token"])


def test_htu_is_compared_normalised(client, m2m):
    # RFC 9449 §4.3: scheme and host case-insensitive, default port dropped, query and fragment ignored.
    response = cc(client, m2m, DPoPKey().proof("POST", "HTTP://TestServer:80/oauth/token?x=1#f"))
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["token_type"] == "DPoP"


@pytest.mark.parametrize("case", ["reused", "iat_too_old", "iat_in_the_future", "htu_of_another_endpoint",
                                  "htm_wrong", "alg_none", "alg_hs256", "private_key_in_jwk", "typ_jwt",
                                  "signed_by_another_key_than_jwk", "no_jti", "two_proofs", "not_a_jwt"])
def test_bad_proofs_get_invalid_dpop_proof_and_no_token(client, m2m, case):
    key = DPoPKey()
    if case == "reused":
        proof = key.proof("POST", HTU)
        assert cc(client, m2m, proof).status_code == HTTPStatus.OK
    else:
        proof = bad_proofs(key, "POST", HTU, other_htu=ISSUER + "oauth/revoke")[case]
    response = cc(client, m2m, proof)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    body = response.json()
    assert body["error"] == "invalid_dpop_proof" and body["error_description"]
    assert "access_token" not in body


def test_application_that_requires_dpop(client, m2m):
    Application.objects.filter(pk=m2m.pk).update(require_dpop=True)
    refused = cc(client, m2m)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["error"] == "invalid_dpop_proof"
    assert cc(client, m2m, DPoPKey().proof("POST", HTU)).json()["token_type"] == "DPoP"


def test_server_nonce(client, m2m, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "DPOP_NONCE": True}
    key = DPoPKey()
    first = cc(client, m2m, key.proof("POST", HTU))
    assert first.status_code == HTTPStatus.BAD_REQUEST
    assert first.json()["error"] == "use_dpop_nonce"
    nonce = first["DPoP-Nonce"]
    assert cc(client, m2m, key.proof("POST", HTU, nonce="made-up")).json()["error"] == "use_dpop_nonce"
    response = cc(client, m2m, key.proof("POST", HTU, nonce=nonce))
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["token_type"] == "DPoP"


def test_nonce_off_by_default(client, m2m):
    response = cc(client, m2m, DPoPKey().proof("POST", HTU))
    assert response.status_code == HTTPStatus.OK and "DPoP-Nonce" not in response
    assert response.json()["token_type"] == "DPoP"


def code_for(authorize, app, **params):
    verifier, challenge = pkce_pair()
    location = authorize(app, scope="openid offline_access read:messages", audience=AUD, code_challenge=challenge,
                         code_challenge_method="S256", **params)["Location"]
    return query(location), verifier


def exchange(client, app, code, verifier, proof=None):
    headers = {"HTTP_DPOP": proof} if proof is not None else {}
    return client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                                   "redirect_uri": app.redirect_uri_list[0], "code_verifier": verifier}, **headers)


def refresh(client, app, refresh_token, proof=None):
    headers = {"HTTP_DPOP": proof} if proof is not None else {}
    return client.post(TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": refresh_token,
                                   "client_id": app.client_id}, **headers)


def test_code_and_refresh_of_a_public_client_bound_to_the_key(client, authorize, make_client, make_api):
    make_api()
    app = make_client("spa")
    key = DPoPKey()
    params, verifier = code_for(authorize, app)
    body = exchange(client, app, params["code"], verifier, key.proof("POST", HTU)).json()
    assert body["token_type"] == "DPoP"
    assert claims_of(client, body["access_token"])["cnf"] == {"jkt": key.jkt}
    # RFC 9449 §5: the public client's refresh token needs a proof made with the same key.
    assert refresh(client, app, body["refresh_token"]).json()["error"] == "invalid_grant"
    assert refresh(client, app, body["refresh_token"], DPoPKey().proof("POST", HTU)).json()["error"] == "invalid_grant"
    renewed = refresh(client, app, body["refresh_token"], key.proof("POST", HTU))
    assert renewed.status_code == HTTPStatus.OK, renewed.content
    assert renewed.json()["token_type"] == "DPoP"
    assert claims_of(client, renewed.json()["access_token"])["cnf"] == {"jkt": key.jkt}
    # the family stays bound after rotation
    assert refresh(client, app, renewed.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_confidential_refresh_token_is_not_bound(client, authorize, make_client, make_api):
    make_api()
    app = make_client("regular")
    params, verifier = code_for(authorize, app)
    body = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": params["code"],
                                   "redirect_uri": app.redirect_uri_list[0], "code_verifier": verifier},
                       HTTP_AUTHORIZATION=basic(app.client_id, app.secret), HTTP_DPOP=DPoPKey().proof("POST", HTU)).json()
    assert body["token_type"] == "DPoP"
    renewed = client.post(TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                          HTTP_AUTHORIZATION=basic(app.client_id, app.secret)).json()
    assert renewed["token_type"] == "Bearer" and "cnf" not in claims_of(client, renewed["access_token"])


def test_dpop_jkt_binds_the_code(client, authorize, make_client, make_api):
    make_api()
    app = make_client("spa")
    key = DPoPKey()
    params, verifier = code_for(authorize, app, dpop_jkt=key.jkt)
    assert exchange(client, app, params["code"], verifier).json()["error"] == "invalid_grant"
    assert exchange(client, app, params["code"], verifier, DPoPKey().proof("POST", HTU)).json()["error"] == "invalid_grant"
    # refused before the code was spent: the holder of the key still redeems it
    body = exchange(client, app, params["code"], verifier, key.proof("POST", HTU)).json()
    assert body["token_type"] == "DPoP", body


def test_malformed_dpop_jkt_is_refused_at_authorize(authorize, make_client, make_api):
    make_api()
    params, _ = code_for(authorize, make_client("spa"), dpop_jkt="not-a-thumbprint")
    assert params["error"] == "invalid_request" and "dpop_jkt" in params["error_description"]


def test_device_grant_bound_to_the_proof_key(client, logged_in, make_client, make_api):
    make_api()
    device = make_client("native", grants=["device_code", "refresh_token"], callbacks=[])
    body = start(client, device, audience=AUD, scope="openid offline_access read:messages")
    approve(logged_in, body["user_code"])
    ready(body["device_code"])
    key = DPoPKey("EdDSA")
    tokens = client.post(TOKEN_URL, {"grant_type": DEVICE_GRANT, "device_code": body["device_code"],
                                     "client_id": device.client_id}, HTTP_DPOP=key.proof("POST", HTU))
    assert tokens.status_code == HTTPStatus.OK, tokens.content
    data = tokens.json()
    assert data["token_type"] == "DPoP"
    assert claims_of(client, data["access_token"])["cnf"] == {"jkt": key.jkt}
    assert refresh(client, device, data["refresh_token"]).json()["error"] == "invalid_grant"
    assert refresh(client, device, data["refresh_token"], key.proof("POST", HTU)).status_code == HTTPStatus.OK


def test_device_grant_of_an_application_that_requires_dpop(client, logged_in, make_client):
    device = make_client("native", grants=["device_code"], callbacks=[])
    Application.objects.filter(pk=device.pk).update(require_dpop=True)
    body = start(client, device, scope="openid")
    approve(logged_in, body["user_code"])
    ready(body["device_code"])
    refused = client.post(TOKEN_URL, {"grant_type": DEVICE_GRANT, "device_code": body["device_code"],
                                      "client_id": device.client_id})
    assert refused.json()["error"] == "invalid_dpop_proof"


def test_discovery_advertises_the_proof_algorithms(client):
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["dpop_signing_alg_values_supported"] == ["ES256", "EdDSA", "RS256", "PS256"]


def test_introspection_names_the_key_of_a_bound_token(client, m2m):
    """RFC 9449 §6.2: a resource server that introspects learns the key the token is bound to (cnf.jkt)."""
    key = DPoPKey()
    bound = cc(client, m2m, key.proof("POST", HTU)).json()["access_token"]
    auth = basic(m2m.client_id, m2m.secret)
    body = client.post("/oauth/introspect", {"token": bound}, HTTP_AUTHORIZATION=auth).json()
    assert body["active"] is True and body["token_type"] == "DPoP"
    assert body["cnf"] == {"jkt": key.jkt}
    plain = cc(client, m2m).json()["access_token"]
    body = client.post("/oauth/introspect", {"token": plain}, HTTP_AUTHORIZATION=auth).json()
    assert body["active"] is True and body["token_type"] == "Bearer" and "cnf" not in body
