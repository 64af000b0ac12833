"""Bearer validation (RFC 6750, RFC 9068 §4) on the example API, plain Django and DRF alike."""
from __future__ import annotations

import base64
import json
import time
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jwcrypto import jwk, jws

from django_authflows.server import jwt as server_jwt

from ..flows.test_authorization_code import exchange
from ..oauth import ISSUER, query

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"
PLAIN, DRF = "/api", "/api/drf"
BOTH = pytest.mark.parametrize("base", [PLAIN, DRF])


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def get(client, url, token=None, **extra):
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get(url, **extra)


@BOTH
def test_public_needs_no_token(client, base):
    assert client.get(f"{base}/public").status_code == HTTPStatus.OK


@BOTH
def test_private_without_token(client, base):
    response = client.get(f"{base}/private")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == f'Bearer realm="{AUD}"'


@BOTH
def test_valid_token(client, m2m_token, base):
    token = m2m_token()
    response = get(client, f"{base}/private", token)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["sub"].endswith("@clients")
    assert get(client, f"{base}/private-scoped", token).status_code == HTTPStatus.OK


@BOTH
def test_missing_scope_is_403(client, m2m_token, base):
    token = m2m_token(scopes=["write:messages"])
    response = get(client, f"{base}/private-scoped", token)
    assert response.status_code == HTTPStatus.FORBIDDEN
    challenge = response["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="read:messages"' in challenge


@BOTH
@pytest.mark.parametrize("path", ["private", "private-scoped"])
def test_zero_sql_queries_on_a_protected_request(client, m2m_token, base, path):
    token = m2m_token()
    get(client, f"{base}/{path}", token)  # warm the key cache, as any running process has it
    with CaptureQueriesContext(connection) as queries:
        response = get(client, f"{base}/{path}", token)
    assert response.status_code == HTTPStatus.OK
    assert len(queries) == 0, [q["sql"] for q in queries]


def forged(claims: dict, *, alg="RS256", key=None, typ="at+jwt", kid=None) -> str:
    key = key or jwk.JWK.generate(kty="RSA", size=2048)
    token = jws.JWS(json.dumps(claims).encode())
    token.add_signature(key, alg=alg, protected={"alg": alg, "typ": typ, "kid": kid or key.thumbprint()})
    return token.serialize(compact=True)


def good_claims(**over):
    now = int(time.time())
    return {"iss": ISSUER, "sub": "x@clients", "aud": AUD, "iat": now, "exp": now + 60, "scope": "read:messages",
            "client_id": "x", "jti": "j", **over}


def negative_tokens(client, m2m_token, authorize, make_client):
    """Every kind of token that must be refused, by name."""
    real = m2m_token()
    h, p, s = real.split(".")
    header = json.loads(base64.urlsafe_b64decode(h + "=="))
    payload = json.loads(base64.urlsafe_b64decode(p + "=="))
    pub = client.get("/.well-known/jwks.json").json()["keys"][0]
    app = make_client("regular")
    code = query(authorize(app)["Location"])["code"]
    user_tokens = exchange(client, app, code).json()
    return {
        "alg none": f"{b64({**header, 'alg': 'none'})}.{p}.",
        "HS256 with the public key": forged(payload, alg="HS256", kid=pub["kid"],
                                            key=jwk.JWK(kty="oct", k=b64(json.dumps(pub).encode()))),
        "tampered payload": f"{h}.{b64({**payload, 'scope': 'read:messages write:messages admin'})}.{s}",
        "bad signature": f"{h}.{p}.{s[:-4]}AAAA",
        "unknown key": forged(good_claims()),
        "id token": user_tokens["id_token"],
        "refresh token": user_tokens.get("refresh_token") or "opaque-refresh-token",
        "userinfo-only token": user_tokens["access_token"],
        "other api": m2m_token(audience="https://other.example.test/"),
        "expired": server_jwt.sign(good_claims(exp=int(time.time()) - 120), typ="at+jwt"),
        "not yet valid": server_jwt.sign(good_claims(nbf=int(time.time()) + 600), typ="at+jwt"),
        "other issuer": server_jwt.sign(good_claims(iss="https://evil.example/"), typ="at+jwt"),
        "typ JWT": server_jwt.sign(good_claims(), typ="JWT"),
        "garbage": "not.a.token",
        "two parts": "abc.def",
        "non-json header": f"{b64(b'hello')}.{p}.{s}",
    }


@BOTH
def test_negative_matrix(client, m2m_token, authorize, make_client, base):
    for name, token in negative_tokens(client, m2m_token, authorize, make_client).items():
        response = get(client, f"{base}/private", token)
        assert response.status_code == HTTPStatus.UNAUTHORIZED, (name, response.content)
        assert 'error="invalid_token"' in response["WWW-Authenticate"], name
        assert response.json()


@BOTH
@pytest.mark.parametrize("header,status", [
    ("Bearer", 400), ("Bearer ", 400), ("Bearer a b", 400), ("Bearer a,b", 400),
    ("Bearer " + "A" * 100_000, 401), ("Bearer ĳ.ĳ.ĳ", 401), ("Basic Zm9vOmJhcg==", 401), ("bearer", 400),
])
def test_malformed_authorization_headers(client, base, header, status):
    response = client.get(f"{base}/private", HTTP_AUTHORIZATION=header)
    assert response.status_code == status, response.content
    assert "WWW-Authenticate" in response


@BOTH
def test_token_in_query_string_is_refused(client, m2m_token, base):
    response = client.get(f"{base}/private", {"access_token": m2m_token()})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


def test_user_access_token_for_the_api(client, authorize, make_client, make_api, user):
    make_api()
    app = make_client("regular")
    code = query(authorize(app, audience=AUD, scope="openid read:messages")["Location"])["code"]
    body = exchange(client, app, code).json()
    assert body["scope"] == "openid read:messages"
    response = get(client, "/api/private-scoped", body["access_token"])
    assert response.json()["sub"] == f"authflows|{user.pk}"
    claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
    assert claims["aud"] == [AUD, ISSUER + "userinfo"]
    assert claims["auth_time"] <= claims["iat"]
    assert get(client, "/userinfo", body["access_token"]).status_code == HTTPStatus.OK


def test_unknown_scopes_are_dropped_not_granted(client, authorize, make_client, make_api):
    make_api()
    app = make_client("regular")
    code = query(authorize(app, audience=AUD, scope="openid read:messages admin:all")["Location"])["code"]
    assert exchange(client, app, code).json()["scope"] == "openid read:messages"


def test_audience_cannot_change_at_the_token_endpoint(client, authorize, make_client, make_api):
    make_api()
    make_api("https://other.example.test/")
    app = make_client("regular")
    code = query(authorize(app, audience=AUD, scope="openid")["Location"])["code"]
    body = exchange(client, app, code, audience="https://other.example.test/").json()
    claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
    assert AUD in claims["aud"] and "https://other.example.test/" not in claims["aud"]


def test_a_deleted_key_stops_verifying_even_for_remembered_tokens(client, m2m_token):
    from django_authflows.resource import keys as resource_keys
    from django_authflows.server import keys

    from ..oauth import header as jwt_header

    token = m2m_token()
    assert get(client, "/api/private", token).status_code == HTTPStatus.OK
    assert get(client, "/api/private", token).status_code == HTTPStatus.OK  # now remembered as verified
    keys.delete(jwt_header(token)["kid"])  # compromised
    resource_keys.key_cache._loaded -= resource_keys.MAX_AGE + 1  # the API's key set ages 5 minutes
    resource_keys.key_cache._attempted -= resource_keys.MAX_AGE + 1
    assert get(client, "/api/private", token).status_code == HTTPStatus.UNAUTHORIZED
