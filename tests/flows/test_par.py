"""Pushed authorization requests (RFC 9126) and signed request objects (RFC 9101) at /oauth/par and /authorize."""
from __future__ import annotations

import base64
import json
import time
import uuid
from http import HTTPStatus

import pytest

from django_authflows.models import Consent
from django_authflows.server import par

from ..oauth import ISSUER, basic, pkce_pair, query
from .test_private_key_jwt import ASSERTION_TYPE, claims_for, new_key, public_set, sign

pytestmark = pytest.mark.django_db
PAR_URL = "/oauth/par"
CALLBACK = "https://client.example.test/callback"


@pytest.fixture
def consented(user):
    def mark(app):
        Consent.objects.create(user=user, application=app, audience="", scopes=["openid", "profile", "email"])
        return app
    return mark


@pytest.fixture
def regular(make_client, consented):
    return consented(make_client("regular"))


def request_params(app, **extra):
    params = {"response_type": "code", "redirect_uri": CALLBACK, "scope": "openid profile", "state": "st",
              "nonce": "nn"}
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def push(client, app, **extra):
    return client.post(PAR_URL, request_params(app, **extra), HTTP_AUTHORIZATION=basic(app.client_id, app.secret))


def test_push_then_authorize_then_token(client, logged_in, regular):
    pushed = push(client, regular)
    assert pushed.status_code == HTTPStatus.CREATED, pushed.content
    body = pushed.json()
    assert body["expires_in"] == 60 and body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert pushed["Cache-Control"].startswith("no-store")
    response = logged_in.get("/authorize", {"client_id": regular.client_id, "request_uri": body["request_uri"]})
    assert response.status_code == HTTPStatus.FOUND, response.content
    found = query(response["Location"])
    assert response["Location"].startswith(CALLBACK) and found["state"] == "st" and "code" in found
    token = client.post("/oauth/token", {"grant_type": "authorization_code", "code": found["code"],
                                         "redirect_uri": CALLBACK}, HTTP_AUTHORIZATION=basic(regular.client_id,
                                                                                             regular.secret))
    assert token.status_code == HTTPStatus.OK and "id_token" in token.json()


def test_only_the_pushed_parameters_count(logged_in, client, regular):
    request_uri = push(client, regular, state="pushed").json()["request_uri"]
    response = logged_in.get("/authorize", {"client_id": regular.client_id, "request_uri": request_uri,
                                            "state": "outside", "redirect_uri": "https://evil.example.test/cb"})
    assert response["Location"].startswith(CALLBACK) and query(response["Location"])["state"] == "pushed"


def test_request_uri_is_single_use(logged_in, client, regular):
    request_uri = push(client, regular).json()["request_uri"]
    assert logged_in.get("/authorize", {"client_id": regular.client_id, "request_uri": request_uri}).status_code == 302
    again = logged_in.get("/authorize", {"client_id": regular.client_id, "request_uri": request_uri})
    assert again.status_code == HTTPStatus.BAD_REQUEST and again.context["error"] == "invalid_request_uri"


def test_request_uri_of_another_client(logged_in, client, regular, make_client, consented):
    other = consented(make_client("regular"))
    request_uri = push(client, regular).json()["request_uri"]
    stolen = logged_in.get("/authorize", {"client_id": other.client_id, "request_uri": request_uri})
    assert stolen.status_code == HTTPStatus.BAD_REQUEST and stolen.context["error"] == "invalid_request_uri"
    assert b"code=" not in stolen.content


def test_expired_request_uri(logged_in, client, regular, monkeypatch):
    monkeypatch.setattr(par, "LIFETIME", 1)
    request_uri = push(client, regular).json()["request_uri"]
    time.sleep(1.2)
    late = logged_in.get("/authorize", {"client_id": regular.client_id, "request_uri": request_uri})
    assert late.status_code == HTTPStatus.BAD_REQUEST and late.context["error"] == "invalid_request_uri"


def test_unknown_or_foreign_request_uri(logged_in, regular):
    for value in ("urn:ietf:params:oauth:request_uri:nope", "urn:ietf:params:oauth:request_uri:",
                  "urn:ietf:params:oauth:request_uri:" + "x" * 500):
        response = logged_in.get("/authorize", {"client_id": regular.client_id, "request_uri": value})
        assert response.status_code == HTTPStatus.BAD_REQUEST


def test_login_round_trip_keeps_the_pushed_request(client, user, password, regular):
    request_uri = push(client, regular, state="after-login").json()["request_uri"]
    response = client.get("/authorize", {"client_id": regular.client_id, "request_uri": request_uri})
    assert response.status_code == HTTPStatus.FOUND and response["Location"].startswith("/login")
    page = client.get(response["Location"])
    nxt = page.context["next"]
    assert "request_uri" not in nxt and par.STAMP in nxt
    # the stamped parameters cannot be changed on the way
    tampered = client.get(nxt.replace("scope=openid+profile", "scope=openid+profile+email"))
    assert tampered.status_code == HTTPStatus.BAD_REQUEST
    done = client.post(response["Location"], {"username": user.username, "password": password, "next": nxt})
    final = client.get(done["Location"])
    assert final["Location"].startswith(CALLBACK) and query(final["Location"])["state"] == "after-login"


def test_require_par(logged_in, client, make_client, consented):
    app = consented(make_client("regular", require_par=True))
    plain = logged_in.get("/authorize", {"client_id": app.client_id, **request_params(app)})
    found = query(plain["Location"])
    assert found["error"] == "invalid_request" and "/oauth/par" in found["error_description"]
    request_uri = push(client, app).json()["request_uri"]
    pushed = logged_in.get("/authorize", {"client_id": app.client_id, "request_uri": request_uri})
    assert "code" in query(pushed["Location"])


@pytest.mark.parametrize("extra,error", [
    ({"redirect_uri": "https://evil.example.test/cb"}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"request_uri": "urn:ietf:params:oauth:request_uri:abc"}, "invalid_request"),
    ({"claims": "not json"}, "invalid_request"),
    ({"audience": "https://unknown.example.test/"}, "access_denied"),
])
def test_push_validates_like_authorize(client, regular, extra, error):
    response = push(client, regular, **extra)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["error"] == error


def test_push_needs_client_authentication(client, regular, make_client):
    assert client.post(PAR_URL, {"client_id": regular.client_id, **request_params(regular)}).status_code == 401
    wrong = client.post(PAR_URL, request_params(regular), HTTP_AUTHORIZATION=basic(regular.client_id, "wrong"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert client.get(PAR_URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_public_client_pushes_with_pkce(client, make_client):
    spa = make_client("spa")
    no_pkce = client.post(PAR_URL, {"client_id": spa.client_id, **request_params(spa)})
    assert no_pkce.status_code == HTTPStatus.BAD_REQUEST
    _verifier, challenge = pkce_pair()
    ok = client.post(PAR_URL, {"client_id": spa.client_id, "code_challenge": challenge,
                               "code_challenge_method": "S256", **request_params(spa)})
    assert ok.status_code == HTTPStatus.CREATED, ok.content


def test_private_key_jwt_client_pushes(client, logged_in, make_client, consented):
    key = new_key()
    app = consented(make_client("regular", auth_method="private_key_jwt", jwks=public_set(key)))
    response = client.post(PAR_URL, {"client_assertion_type": ASSERTION_TYPE,
                                     "client_assertion": sign(key, claims_for(app.client_id, aud=ISSUER)),
                                     **request_params(app)})
    assert response.status_code == HTTPStatus.CREATED, response.content


def test_discovery_advertises_par_and_request_objects(client):
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["pushed_authorization_request_endpoint"] == ISSUER + "oauth/par"
    assert doc["require_pushed_authorization_requests"] is False
    assert doc["request_parameter_supported"] is True
    assert "none" not in doc["request_object_signing_alg_values_supported"]


# -- signed request objects (RFC 9101) ---------------------------------------------------------------------

@pytest.fixture
def keyed(make_client, consented):
    key = new_key()
    app = consented(make_client("regular", jwks=public_set(key)))  # client_secret_basic, with keys for JAR
    app.key = key
    return app


def request_object(app, key=None, **changes):
    now = int(time.time())
    claims = {"iss": app.client_id, "aud": ISSUER, "exp": now + 60, "iat": now, "jti": uuid.uuid4().hex,
              "client_id": app.client_id, **request_params(app, state="signed")}
    claims.update(changes)
    return sign(key or app.key, {k: v for k, v in claims.items() if v is not None})


def test_signed_request_object_at_authorize(logged_in, keyed):
    response = logged_in.get("/authorize", {"client_id": keyed.client_id, "request": request_object(keyed),
                                            "state": "outside", "scope": "openid"})
    assert response.status_code == HTTPStatus.FOUND, response.content
    found = query(response["Location"])
    assert found["state"] == "signed" and "code" in found  # only the object's parameters count


@pytest.mark.parametrize("changes", [{"aud": "https://elsewhere.example.test/"}, {"iss": "someone"},
                                     {"exp": 1}, {"exp": None}, {"client_id": "another"},
                                     {"request_uri": "https://x.example.test/"}])
def test_bad_request_objects(logged_in, keyed, changes):
    response = logged_in.get("/authorize", {"client_id": keyed.client_id,
                                            "request": request_object(keyed, **changes)})
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.context["error"] == "invalid_request_object" and b"code=" not in response.content


def test_unsigned_or_foreign_request_objects(logged_in, keyed):
    def b64(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    claims = {"iss": keyed.client_id, "aud": ISSUER, "exp": int(time.time()) + 60, **request_params(keyed)}
    for token in (f"{b64({'alg': 'none'})}.{b64(claims)}.", request_object(keyed, key=new_key()), "not-a-jwt"):
        response = logged_in.get("/authorize", {"client_id": keyed.client_id, "request": token})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.context["error"] == "invalid_request_object"


def test_client_without_keys_still_gets_request_not_supported(logged_in, regular):
    token = sign(new_key(), {"iss": regular.client_id, "aud": ISSUER, "exp": int(time.time()) + 60})
    response = logged_in.get("/authorize", {**request_params(regular), "client_id": regular.client_id,
                                            "request": token})
    assert query(response["Location"])["error"] == "request_not_supported"


def test_request_object_at_par(client, logged_in, keyed):
    pushed = client.post(PAR_URL, {"request": request_object(keyed), "client_id": keyed.client_id,
                                   "state": "ignored"}, HTTP_AUTHORIZATION=basic(keyed.client_id, keyed.secret))
    assert pushed.status_code == HTTPStatus.CREATED, pushed.content
    response = logged_in.get("/authorize", {"client_id": keyed.client_id, "request_uri": pushed.json()["request_uri"]})
    assert query(response["Location"])["state"] == "signed"
    unsigned = client.post(PAR_URL, {"request": request_object(keyed, key=new_key())},
                           HTTP_AUTHORIZATION=basic(keyed.client_id, keyed.secret))
    assert unsigned.status_code == HTTPStatus.BAD_REQUEST and unsigned.json()["error"] == "invalid_request_object"


def test_request_uri_is_spent_when_the_authorization_completes(client, user, password, regular):
    """FAPI 2.0 SP §5.3.2.2 (note): a visit that only shows the login page does not spend the request_uri; the
    completed authorization does, and then neither the request_uri nor the stamped login URL gives another code."""
    request_uri = push(client, regular, state="twice").json()["request_uri"]
    first = client.get("/authorize", {"client_id": regular.client_id, "request_uri": request_uri})
    assert first.status_code == HTTPStatus.FOUND and first["Location"].startswith("/login")
    second = client.get("/authorize", {"client_id": regular.client_id, "request_uri": request_uri})
    assert second.status_code == HTTPStatus.FOUND and second["Location"].startswith("/login")
    nxt = client.get(second["Location"]).context["next"]
    done = client.post(second["Location"], {"username": user.username, "password": password, "next": nxt})
    final = client.get(done["Location"])
    assert final["Location"].startswith(CALLBACK) and "code" in query(final["Location"])
    again = client.get("/authorize", {"client_id": regular.client_id, "request_uri": request_uri})
    assert again.status_code == HTTPStatus.BAD_REQUEST and again.context["error"] == "invalid_request_uri"
    replayed = client.get(done["Location"])
    assert "code" not in query(replayed["Location"]) and query(replayed["Location"])["error"] == "invalid_request_uri"
