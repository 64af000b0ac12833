"""private_key_jwt (RFC 7523 §2.2, OIDC Core §9) at every client endpoint, and the assertions it refuses."""
from __future__ import annotations

import json
import time
import uuid
from http import HTTPStatus

import pytest
from jwcrypto import jwk, jws

from django_authflows.apis import create_client_grant

from ..oauth import ISSUER, TOKEN_URL, basic

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def new_key(kty: str = "EC") -> jwk.JWK:
    if kty == "RSA":
        return jwk.JWK.generate(kty="RSA", size=2048, kid=uuid.uuid4().hex)
    if kty == "OKP":
        return jwk.JWK.generate(kty="OKP", crv="Ed25519", kid=uuid.uuid4().hex)
    return jwk.JWK.generate(kty="EC", crv="P-256", kid=uuid.uuid4().hex)


def kid(key: jwk.JWK) -> str:
    return json.loads(key.export_public())["kid"]


def public_set(*keys: jwk.JWK) -> dict:
    return {"keys": [json.loads(k.export_public()) for k in keys]}


def sign(key: jwk.JWK, claims: dict, alg: str = "ES256", header: dict | None = None) -> str:
    token = jws.JWS(json.dumps(claims).encode())
    token.add_signature(key, alg=alg, protected=json.dumps(header or {"alg": alg, "kid": kid(key)}))
    return token.serialize(compact=True)


def claims_for(client_id: str, **changes) -> dict:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": ISSUER + "oauth/token", "iat": now, "exp": now + 60,
              "jti": uuid.uuid4().hex}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
def key():
    return new_key()


@pytest.fixture
def app(make_client, make_api, key):
    api = make_api()
    app = make_client("m2m", auth_method="private_key_jwt", jwks=public_set(key))
    create_client_grant(app, api, ["read:messages"])
    return app


def token_request(client, assertion, **extra):
    data = {"grant_type": "client_credentials", "audience": AUD, "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion, **extra}
    return client.post(TOKEN_URL, data)


@pytest.mark.parametrize("kty,alg", [("EC", "ES256"), ("RSA", "PS256"), ("RSA", "RS256"), ("OKP", "EdDSA")])
def test_each_algorithm_gets_a_token(client, make_client, make_api, kty, alg):
    key = new_key(kty)
    app = make_client("m2m", auth_method="private_key_jwt", jwks=public_set(key))
    create_client_grant(app, make_api(), ["read:messages"])
    assert app.client_secret == "" and app.secret is None  # keys, not a shared secret
    response = token_request(client, sign(key, claims_for(app.client_id), alg))
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["token_type"] == "Bearer"


@pytest.mark.parametrize("aud", [ISSUER, [ISSUER], ISSUER + "oauth/token"])
def test_audience_issuer_or_token_endpoint(client, app, key, aud):
    response = token_request(client, sign(key, claims_for(app.client_id, aud=aud)))
    assert response.status_code == HTTPStatus.OK, response.content


def test_client_id_may_accompany_the_assertion(client, app, key):
    assert token_request(client, sign(key, claims_for(app.client_id)), client_id=app.client_id).status_code == 200
    other = token_request(client, sign(key, claims_for(app.client_id)), client_id="someone-else")
    assert other.status_code == 401 and other.json()["error"] == "invalid_client"


def refused(response, description=None):
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    body = response.json()
    assert body["error"] == "invalid_client" and "access_token" not in body
    if description:
        assert description in body["error_description"]
    return body


def test_reused_jti_is_refused(client, app, key):
    assertion = sign(key, claims_for(app.client_id))
    assert token_request(client, assertion).status_code == HTTPStatus.OK
    refused(token_request(client, assertion), "already used")


@pytest.mark.parametrize("aud", ["https://elsewhere.example.test/oauth/token", ISSUER + "oauth/revoke",
                                 [ISSUER, "https://elsewhere.example.test/"], [], None, 7])
def test_wrong_audience(client, app, key, aud):
    claims = claims_for(app.client_id, aud=aud)
    if aud is None:
        claims.pop("aud", None)
    refused(token_request(client, sign(key, claims)), "aud")


@pytest.mark.parametrize("exp,words", [(3600, "exp at most"), (None, "exp at most"), (-120, "expired"),
                                       ("soon", "exp at most")])
def test_expiry(client, app, key, exp, words):
    value = exp if not isinstance(exp, int) else int(time.time()) + exp
    claims = claims_for(app.client_id, exp=value)
    if exp is None:
        claims.pop("exp", None)
    refused(token_request(client, sign(key, claims)), words)


def test_iat_in_the_future_and_missing_jti(client, app, key):
    refused(token_request(client, sign(key, claims_for(app.client_id, iat=int(time.time()) + 3600))), "iat")
    claims = claims_for(app.client_id)
    claims.pop("jti")
    refused(token_request(client, sign(key, claims)), "jti")


def test_iss_must_be_the_client(client, app, key):
    refused(token_request(client, sign(key, claims_for(app.client_id, iss="another"))), "iss and sub")


def test_alg_none_and_hs256_are_refused(client, app, key):
    import base64

    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    unsigned = f"{b64({'alg': 'none'})}.{b64(claims_for(app.client_id))}."
    body = refused(token_request(client, unsigned))
    assert body["error_description"] == "Client authentication failed."
    # HS256 keyed with the public key's bytes: the classic algorithm confusion.
    secret = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(key.export_public().encode()).rstrip(b"=").decode())
    refused(token_request(client, sign(secret, claims_for(app.client_id), "HS256", {"alg": "HS256",
                                                                                   "kid": kid(key)})))


def test_a_key_that_is_not_the_clients(client, app):
    stranger = new_key()
    refused(token_request(client, sign(stranger, claims_for(app.client_id))))
    # the stranger's key under the client's kid
    refused(token_request(client, sign(stranger, claims_for(app.client_id), header={
        "alg": "ES256", "kid": json.loads(json.dumps(app.jwks))["keys"][0]["kid"]})))


def test_secret_client_cannot_send_an_assertion(client, make_client, make_api, key):
    app = make_client("m2m", jwks=public_set(key))  # keys registered, but the method is client_secret_basic
    create_client_grant(app, make_api(), ["read:messages"])
    refused(token_request(client, sign(key, claims_for(app.client_id))))
    assert token_request(client, "x", HTTP_AUTHORIZATION=basic(app.client_id, app.secret)).status_code == 401
    ok = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD},
                     HTTP_AUTHORIZATION=basic(app.client_id, app.secret))
    assert ok.status_code == HTTPStatus.OK


def test_key_client_cannot_use_a_secret(client, app):
    for secret in ("", "guess"):
        refused(client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD},
                            HTTP_AUTHORIZATION=basic(app.client_id, secret or "x")))


def test_malformed_assertions_are_4xx(client, app, key):
    for assertion in ("", "a.b.c", "a" * 9000, "....", sign(key, claims_for(app.client_id))[:-5]):
        response = token_request(client, assertion)
        assert response.status_code in (400, 401), (assertion[:20], response.content)
        assert response.json()["error"] in ("invalid_client", "invalid_request")
    wrong_type = token_request(client, sign(key, claims_for(app.client_id)), client_assertion_type="jwt")
    refused(wrong_type, "client_assertion_type")


def test_other_endpoints_accept_it(client, app, key):
    token = token_request(client, sign(key, claims_for(app.client_id))).json()["access_token"]
    revoke = client.post("/oauth/revoke", {"token": token, "client_assertion_type": ASSERTION_TYPE,
                                           "client_assertion": sign(key, claims_for(app.client_id, aud=ISSUER))})
    assert revoke.status_code == HTTPStatus.OK, revoke.content
    bad = client.post("/oauth/revoke", {"token": token, "client_assertion_type": ASSERTION_TYPE,
                                        "client_assertion": sign(new_key(), claims_for(app.client_id))})
    refused(bad)


def test_discovery_lists_private_key_jwt(client):
    doc = client.get("/.well-known/openid-configuration").json()
    assert "private_key_jwt" in doc["token_endpoint_auth_methods_supported"]
    assert set(doc["token_endpoint_auth_signing_alg_values_supported"]) == {"PS256", "ES256", "EdDSA", "RS256"}
    for prefix in ("revocation", "introspection"):
        assert "private_key_jwt" in doc[f"{prefix}_endpoint_auth_methods_supported"]
