"""Issue 17's "bad input" matrix where the other files leave a gap: client assertions refused alike at /oauth/token
and /oauth/par (reused, wrong aud, alg none, HS256, another key, a key carried in the assertion's own header), and
bad DPoP proofs on the refresh_token grant of a key-bound refresh token (refused, and the refresh token not spent).
Each is a clear OAuth error in JSON, never a 500 and never a token or a request_uri."""
from __future__ import annotations

import base64
import json
from http import HTTPStatus

import pytest
from jwcrypto import jwk

from django_authflows.apis import create_client_grant

from ..dpop_client import DPoPKey, bad_proofs
from ..oauth import ISSUER, TOKEN_URL
from .test_dpop import HTU, code_for, exchange, refresh
from .test_private_key_jwt import ASSERTION_TYPE, AUD, claims_for, kid, new_key, public_set, sign

pytestmark = pytest.mark.django_db
PAR_URL = "/oauth/par"
CALLBACK = "https://client.example.test/callback"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def assertions(key: jwk.JWK, client_id: str, aud: str) -> dict[str, str]:
    """One bad assertion per case (the reused one is made by the test)."""
    attacker = new_key()
    secret = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(key.export_public().encode()).rstrip(b"=").decode())
    return {
        "wrong_aud": sign(key, claims_for(client_id, aud="https://elsewhere.example.test/oauth/token")),
        "alg_none": f"{b64({'alg': 'none', 'kid': kid(key)})}.{b64(claims_for(client_id, aud=aud))}.",
        "alg_hs256": sign(secret, claims_for(client_id, aud=aud), "HS256", {"alg": "HS256", "kid": kid(key)}),
        "another_key": sign(attacker, claims_for(client_id, aud=aud), header={"alg": "ES256", "kid": kid(key)}),
        # RFC 7515 §4.1.3 jwk header: a client's keys are the registered ones, never one the assertion brings
        "key_in_its_own_header": sign(attacker, claims_for(client_id, aud=aud), header={
            "alg": "ES256", "jwk": json.loads(attacker.export_public())}),
        "private_key_in_its_own_header": sign(attacker, claims_for(client_id, aud=aud), header={
            "alg": "ES256", "jwk": json.loads(attacker.export_private())}),
    }


@pytest.fixture
def keyed(make_client, make_api):
    """A private_key_jwt machine client (for /oauth/token) and web client (for /oauth/par), one key each."""
    api = make_api()
    m2m_key, web_key = new_key(), new_key()
    m2m = make_client("m2m", auth_method="private_key_jwt", jwks=public_set(m2m_key))
    create_client_grant(m2m, api, ["read:messages"])
    web = make_client("regular", auth_method="private_key_jwt", jwks=public_set(web_key), callbacks=[CALLBACK])
    return {"/oauth/token": (m2m, m2m_key), PAR_URL: (web, web_key)}


def send(client, endpoint, app, assertion):
    data = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    if endpoint == PAR_URL:
        data.update({"response_type": "code", "redirect_uri": CALLBACK, "scope": "openid", "state": "s"})
    else:
        data.update({"grant_type": "client_credentials", "audience": AUD})
    return client.post(endpoint, data)


@pytest.mark.parametrize("endpoint", ["/oauth/token", PAR_URL])
@pytest.mark.parametrize("case", ["reused", "wrong_aud", "alg_none", "alg_hs256", "another_key",
                                  "key_in_its_own_header", "private_key_in_its_own_header"])
def test_bad_assertions_at_token_and_par(client, keyed, endpoint, case):
    app, key = keyed[endpoint]
    if case == "reused":
        assertion = sign(key, claims_for(app.client_id, aud=ISSUER))
        first = send(client, endpoint, app, assertion)
        assert first.status_code in (HTTPStatus.OK, HTTPStatus.CREATED), first.content
    else:
        assertion = assertions(key, app.client_id, ISSUER)[case]
    response = send(client, endpoint, app, assertion)
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    body = response.json()
    assert body["error"] == "invalid_client", body
    assert "access_token" not in body and "request_uri" not in body
    assert "-----BEGIN" not in response.content.decode() and '"d"' not in response.content.decode()


@pytest.fixture
def bound_refresh(client, authorize, make_client, make_api):
    """A public client's refresh token bound to a DPoP key (RFC 9449 §5)."""
    make_api()
    app = make_client("spa")
    key = DPoPKey()
    params, verifier = code_for(authorize, app)
    body = exchange(client, app, params["code"], verifier, key.proof("POST", HTU)).json()
    assert body["token_type"] == "DPoP", body
    return app, key, body["refresh_token"]


@pytest.mark.parametrize("case", ["reused", "iat_too_old", "iat_in_the_future", "htu_of_another_endpoint",
                                  "htm_wrong", "alg_none", "alg_hs256", "private_key_in_jwk",
                                  "signed_by_another_key_than_jwk", "another_key_than_the_bound_one"])
def test_bad_proofs_on_a_bound_refresh_spend_nothing(client, bound_refresh, case):
    app, key, refresh_token = bound_refresh
    if case == "reused":
        proof = key.proof("POST", HTU)
        # spent by another (failing) token request first: a jti is single use whatever the request's outcome
        client.post(TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_DPOP=proof)
    elif case == "another_key_than_the_bound_one":
        proof = DPoPKey().proof("POST", HTU)  # a valid proof by a thief's own key
    else:
        proof = bad_proofs(key, "POST", HTU, other_htu=ISSUER + "oauth/par")[case]
    response = refresh(client, app, refresh_token, proof)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    body = response.json()
    expected = "invalid_grant" if case == "another_key_than_the_bound_one" else "invalid_dpop_proof"
    assert body["error"] == expected and body.get("error_description"), body
    if case == "reused":
        assert "used" in body["error_description"], body
    assert "access_token" not in body and "refresh_token" not in body
    # the refresh token was not spent: its holder, with its key, still renews it
    renewed = refresh(client, app, refresh_token, key.proof("POST", HTU))
    assert renewed.status_code == HTTPStatus.OK, renewed.content
    assert renewed.json()["token_type"] == "DPoP"
