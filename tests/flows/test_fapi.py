"""The FAPI 2.0 Security Profile mode of an application: what registering one implies, and what the server refuses it
(PAR required, response_type=code only, PKCE S256, private_key_jwt with PS256/ES256 and aud = the issuer, DPoP on
every grant, codes of at most 60 s, PS256 ID tokens). The OIDF modules run against a live server in
tests/conformance/test_fapi2.py."""
from __future__ import annotations

import base64
import json
import time
from http import HTTPStatus

import pytest

from django_authflows import applications
from django_authflows.apis import create_client_grant

from ..dpop_client import DPoPKey
from ..oauth import ISSUER, TOKEN_URL, header, pkce_pair, query
from .test_private_key_jwt import ASSERTION_TYPE, claims_for, new_key, public_set, sign

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"
CALLBACK = "https://client.example.test/callback"
PAR_URL = "/oauth/par"


@pytest.fixture
def keys():
    return {"EC": new_key("EC"), "RSA": new_key("RSA")}


@pytest.fixture
def m2m(make_client, make_api, keys):
    app = make_client("m2m", fapi=True, jwks=public_set(*keys.values()))
    create_client_grant(app, make_api(), ["read:messages"])
    return app


@pytest.fixture
def regular(make_client, keys):
    return make_client("regular", fapi=True, jwks=public_set(*keys.values()), callbacks=[CALLBACK])


def cc(client, app, assertion, *, dpop=True, **extra):
    headers = {"HTTP_DPOP": DPoPKey().proof("POST", ISSUER + "oauth/token")} if dpop else {}
    return client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD,
                                   "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion, **extra},
                       **headers)


def assertion(app, keys, alg="ES256", **claims):
    return sign(keys["EC" if alg == "ES256" else "RSA"], claims_for(app.client_id, aud=ISSUER, **claims), alg)


# -- registration -------------------------------------------------------------------------------------------------
def test_fapi_defaults(m2m, regular, make_client):
    for app in (m2m, regular):
        assert app.fapi and app.auth_method == "private_key_jwt" and app.secret is None and app.client_secret == ""
        assert app.require_dpop and app.require_pushed_authorization_requests and app.pkce_required
    public = make_client("spa", fapi=True)  # a public client: DPoP-bound, no keys needed
    assert public.auth_method == "none" and public.dpop_required and public.par_required and public.fapi_problems() == []


@pytest.mark.parametrize("kwargs,words", [
    ({"grants": ["authorization_code", "implicit"]}, "implicit"),
    ({"auth_method": "client_secret_basic"}, "client_secret_basic"),
    ({"jwks": None}, "public keys"),
    ({"jwks": "RS256"}, "PS256 or ES256"),
])
def test_fapi_refuses_what_breaks_the_profile(make_client, keys, kwargs, words):
    if kwargs.get("jwks") == "RS256":
        rsa = public_set(keys["RSA"])
        rsa["keys"][0]["alg"] = "RS256"
        kwargs = {"jwks": rsa}
    kwargs.setdefault("jwks", public_set(keys["EC"]))
    with pytest.raises(ValueError, match=words):
        make_client("regular", fapi=True, **kwargs)


def test_turning_fapi_on_for_a_secret_client_is_refused(make_client):
    app = make_client("regular")
    with pytest.raises(ValueError, match="client_secret_basic"):
        applications.update_application(app, name=app.name, grants=app.grant_types, callbacks=app.redirect_uri_list,
                                        fapi=True)
    app.refresh_from_db()
    assert not app.fapi


# -- client authentication ------------------------------------------------------------------------------------------
def test_fapi_client_credentials_es256_and_ps256(client, m2m, keys):
    for alg in ("ES256", "PS256"):
        response = cc(client, m2m, assertion(m2m, keys, alg))
        assert response.status_code == HTTPStatus.OK, response.content
        assert response.json()["token_type"] == "DPoP"


def test_fapi_refuses_rs256_assertions(client, m2m, keys, make_client, make_api):
    response = cc(client, m2m, assertion(m2m, keys, "RS256"))
    assert response.status_code == HTTPStatus.UNAUTHORIZED and response.json()["error"] == "invalid_client"
    # the same key and algorithm are fine for an application outside the mode
    plain = make_client("m2m", auth_method="private_key_jwt", jwks=public_set(keys["RSA"]))
    create_client_grant(plain, make_api(identifier="https://other.example.test/"), ["read:messages"])
    ok = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": "https://other.example.test/",
                                 "client_assertion_type": ASSERTION_TYPE,
                                 "client_assertion": sign(keys["RSA"], claims_for(plain.client_id), "RS256")})
    assert ok.status_code == HTTPStatus.OK, ok.content


@pytest.mark.parametrize("aud", [ISSUER + "oauth/token", [ISSUER], ISSUER + "oauth/par"])
def test_fapi_assertion_aud_is_the_issuer_only(client, m2m, keys, aud):
    response = cc(client, m2m, sign(keys["EC"], claims_for(m2m.client_id, aud=aud)))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client" and "issuer identifier" in response.json()["error_description"]


def test_fapi_requires_dpop(client, m2m, keys):
    response = cc(client, m2m, assertion(m2m, keys), dpop=False)
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"] == "invalid_dpop_proof"
    assert "access_token" not in response.json()


# -- authorization requests -----------------------------------------------------------------------------------------
def push(client, app, keys, **params):
    verifier, challenge = pkce_pair()
    data = {"client_id": app.client_id, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid",
            "state": "st", "nonce": "nn", "code_challenge": challenge, "code_challenge_method": "S256", **params}
    data = {k: v for k, v in data.items() if v is not None}
    data.update(client_assertion_type=ASSERTION_TYPE, client_assertion=assertion(app, keys))
    return client.post(PAR_URL, data), verifier


def test_fapi_requires_par(logged_in, regular):
    _verifier, challenge = pkce_pair()
    response = logged_in.get("/authorize", {"client_id": regular.client_id, "response_type": "code",
                                            "redirect_uri": CALLBACK, "scope": "openid", "state": "st",
                                            "code_challenge": challenge, "code_challenge_method": "S256"})
    found = query(response["Location"])
    assert found["error"] == "invalid_request" and "/oauth/par" in found["error_description"] and found["iss"] == ISSUER


@pytest.mark.parametrize("params,error", [
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"response_type": "code id_token"}, "unsupported_response_type"),
    ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
])
def test_fapi_par_refusals(client, regular, keys, params, error):
    response, _verifier = push(client, regular, keys, **params)
    assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED), response.content
    assert response.json()["error"] in (error, "unauthorized_client"), response.content


def test_fapi_code_flow(client, logged_in, user, regular, keys, settings):
    """PAR, iss in the response, a code of at most 60 s (whatever the setting), DPoP-bound tokens, a PS256 ID
    token signed by an RSA key published with its own kid and alg."""
    from django_authflows.models import Consent

    Consent.objects.create(user=user, application=regular, scopes=["openid"])
    settings.AUTHFLOWS = {**settings.AUTHFLOWS,
                          "LIFETIMES": {**settings.AUTHFLOWS.get("LIFETIMES", {}), "authorization_code": 600}}
    pushed, verifier = push(client, regular, keys)
    assert pushed.status_code == HTTPStatus.CREATED, pushed.content
    response = logged_in.get("/authorize", {"client_id": regular.client_id,
                                            "request_uri": pushed.json()["request_uri"]})
    found = query(response["Location"])
    assert found["iss"] == ISSUER and "code" in found
    from oauth2_provider.models import get_grant_model

    grant = get_grant_model().objects.get(code=found["code"])
    assert (grant.expires - grant.created).total_seconds() <= 61
    key = DPoPKey()
    token = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": found["code"],
                                    "redirect_uri": CALLBACK, "code_verifier": verifier,
                                    "client_assertion_type": ASSERTION_TYPE,
                                    "client_assertion": assertion(regular, keys)},
                        HTTP_DPOP=key.proof("POST", ISSUER + "oauth/token"))
    assert token.status_code == HTTPStatus.OK, token.content
    body = token.json()
    assert body["token_type"] == "DPoP"
    id_header = header(body["id_token"])
    assert id_header["alg"] == "PS256"
    published = client.get("/.well-known/jwks.json").json()["keys"]
    assert any(k["kid"] == id_header["kid"] and k["alg"] == "PS256" and k["kty"] == "RSA" for k in published)
    assert "PS256" in client.get("/.well-known/openid-configuration").json()["id_token_signing_alg_values_supported"]
    # the key set stays RSA-only (auth0-python reads every key as RSA), and the ID token works as id_token_hint
    assert {k["kty"] for k in published} == {"RSA"}
    from django_authflows.server.oidc_request import hinted_subject

    payload = body["id_token"].split(".")[1]
    sub = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
    assert hinted_subject(body["id_token"], ISSUER) == sub


def test_dpop_proof_at_par_binds_the_code(client, logged_in, user, regular, keys):
    """RFC 9449 §10.1: a proof at /oauth/par binds the code to its key; a dpop_jkt naming another key is refused."""
    from django_authflows.models import Consent

    Consent.objects.create(user=user, application=regular, scopes=["openid"])
    key = DPoPKey()
    verifier, challenge = pkce_pair()
    data = {"client_id": regular.client_id, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid",
            "code_challenge": challenge, "code_challenge_method": "S256", "client_assertion_type": ASSERTION_TYPE}
    mismatched = client.post(PAR_URL, {**data, "dpop_jkt": DPoPKey().jkt, "client_assertion": assertion(regular, keys)},
                             HTTP_DPOP=key.proof("POST", ISSUER + "oauth/par"))
    assert mismatched.status_code == HTTPStatus.BAD_REQUEST and mismatched.json()["error"] == "invalid_dpop_proof"
    pushed = client.post(PAR_URL, {**data, "client_assertion": assertion(regular, keys)},
                         HTTP_DPOP=key.proof("POST", ISSUER + "oauth/par"))
    assert pushed.status_code == HTTPStatus.CREATED, pushed.content
    code = query(logged_in.get("/authorize", {"client_id": regular.client_id,
                                              "request_uri": pushed.json()["request_uri"]})["Location"])["code"]
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier,
             "client_assertion_type": ASSERTION_TYPE}
    other = client.post(TOKEN_URL, {**grant, "client_assertion": assertion(regular, keys)},
                        HTTP_DPOP=DPoPKey().proof("POST", ISSUER + "oauth/token"))
    assert other.status_code == HTTPStatus.BAD_REQUEST and other.json()["error"] == "invalid_grant"


def test_fapi_previous_refresh_token_gets_the_same_answer(client, logged_in, user, regular, keys):
    """FAPI 2.0 SP §5.3.2 (and the suite's refresh-token module): rotation, but a client that lost the response can
    present the previous refresh token again (60 s for a FAPI application, whatever REFRESH_REUSE_LEEWAY is) and
    gets the same successor; without its DPoP key or its client authentication it gets nothing."""
    from django_authflows.models import Consent

    Consent.objects.create(user=user, application=regular, scopes=["openid", "offline_access"])
    pushed, verifier = push(client, regular, keys, scope="openid offline_access")
    code = query(logged_in.get("/authorize", {"client_id": regular.client_id,
                                              "request_uri": pushed.json()["request_uri"]})["Location"])["code"]
    key = DPoPKey()

    def token(data, **auth):
        auth = auth or {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion(regular, keys)}
        return client.post(TOKEN_URL, {**data, **auth}, HTTP_DPOP=key.proof("POST", ISSUER + "oauth/token"))

    first = token({"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
                   "code_verifier": verifier}).json()
    grant = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    rotated = token(grant)
    assert rotated.status_code == HTTPStatus.OK, rotated.content
    assert rotated.json()["refresh_token"] != first["refresh_token"]
    unauthenticated = token(grant, client_id=regular.client_id)
    assert unauthenticated.status_code == HTTPStatus.UNAUTHORIZED
    again = token(grant)
    assert again.status_code == HTTPStatus.OK and again.json() == rotated.json()


@pytest.mark.parametrize("alg,status", [("ES256", HTTPStatus.CREATED), ("PS256", HTTPStatus.CREATED),
                                        ("RS256", HTTPStatus.BAD_REQUEST)])
def test_fapi_request_objects_ps256_es256_only(client, regular, keys, alg, status):
    """FAPI 2.0 SP §5.4.1 applies to every JWS the application signs: a request object signed RS256 is refused."""
    _verifier, challenge = pkce_pair()
    now = int(time.time())
    claims = {"iss": regular.client_id, "aud": ISSUER, "exp": now + 60, "nbf": now, "client_id": regular.client_id,
              "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid", "code_challenge": challenge,
              "code_challenge_method": "S256"}
    request_object = sign(keys["EC" if alg == "ES256" else "RSA"], claims, alg)
    response = client.post(PAR_URL, {"client_id": regular.client_id, "request": request_object,
                                     "client_assertion_type": ASSERTION_TYPE,
                                     "client_assertion": assertion(regular, keys)})
    assert response.status_code == status, response.content
