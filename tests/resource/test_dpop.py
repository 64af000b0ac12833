"""DPoP-bound access tokens at the APIs (RFC 9449 §7): the plain Django views, DRF views and the middleware."""
from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_authflows.apis import create_client_grant

from ..dpop_client import ALGS_PARAM, DPoPKey, bad_proofs
from ..oauth import ISSUER, TOKEN_URL, basic

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"
BASES = ["/api", "/api/drf"]


@pytest.fixture
def bound(client, make_client, make_api):
    """``bound(key)`` -> a client-credentials access token bound to ``key`` (or a Bearer token with None)."""
    api = make_api()
    app = make_client("m2m")
    create_client_grant(app, api, ["read:messages"])

    def get(key=None):
        headers = {"HTTP_AUTHORIZATION": basic(app.client_id, app.secret)}
        if key is not None:
            headers["HTTP_DPOP"] = key.proof("POST", ISSUER + "oauth/token")
        body = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD}, **headers).json()
        assert body["token_type"] == ("DPoP" if key else "Bearer"), body
        return body["access_token"]

    return get


def call(client, path, token, proof=None, scheme="DPoP", method="get"):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return getattr(client, method)(path, **headers)


def refused(response, error):
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("DPoP ") and f'error="{error}"' in challenge and ALGS_PARAM in challenge, challenge
    assert "Bearer" not in challenge


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("path", ["private", "private-scoped"])
def test_dpop_bound_token_with_its_proof(client, bound, base, path):
    key = DPoPKey()
    token = bound(key)
    url = f"{base}/{path}"
    response = call(client, url, token, key.proof("GET", "http://testserver" + url, access_token=token))
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["sub"].endswith("@clients")


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("case", ["reused", "iat_too_old", "iat_in_the_future", "htu_of_another_endpoint",
                                  "htm_wrong", "alg_none", "alg_hs256", "private_key_in_jwk", "typ_jwt",
                                  "signed_by_another_key_than_jwk", "no_jti", "two_proofs", "not_a_jwt",
                                  "ath_of_another_token", "no_ath", "missing", "another_key_than_cnf"])
def test_bad_proofs_are_refused(client, bound, base, case):
    key = DPoPKey()
    token = bound(key)
    url = f"{base}/private"
    htu = "http://testserver" + url
    if case == "reused":
        proof = key.proof("GET", htu, access_token=token)
        assert call(client, url, token, proof).status_code == HTTPStatus.OK
    elif case == "missing":
        proof = None
    elif case == "another_key_than_cnf":
        proof = DPoPKey().proof("GET", htu, access_token=token)  # a valid proof, by a thief's own key
    else:
        proof = bad_proofs(key, "GET", htu, access_token=token, other_htu="http://testserver/api/private-scoped")[case]
    refused(call(client, url, token, proof), "invalid_dpop_proof")


@pytest.mark.parametrize("base", BASES)
def test_bound_token_sent_as_bearer_is_refused(client, bound, base):
    key = DPoPKey()
    token = bound(key)
    url = f"{base}/private"
    response = call(client, url, token, key.proof("GET", "http://testserver" + url, access_token=token),
                    scheme="Bearer")
    refused(response, "invalid_token")


@pytest.mark.parametrize("base", BASES)
def test_unbound_token_with_the_dpop_scheme_is_refused(client, bound, base):
    token = bound()
    key = DPoPKey()
    url = f"{base}/private"
    refused(call(client, url, token, key.proof("GET", "http://testserver" + url, access_token=token)),
            "invalid_token")


@pytest.mark.parametrize("base", BASES)
def test_bearer_tokens_still_work(client, bound, base):
    response = call(client, f"{base}/private", bound(), scheme="Bearer")
    assert response.status_code == HTTPStatus.OK, response.content


@pytest.mark.parametrize("base", BASES)
def test_invalid_token_under_the_dpop_scheme(client, bound, base):
    key = DPoPKey()
    token = bound(key)[:-4] + "AAAA"  # the signature no longer verifies
    url = f"{base}/private"
    refused(call(client, url, token, key.proof("GET", "http://testserver" + url, access_token=token)),
            "invalid_token")


def test_insufficient_scope_uses_the_dpop_challenge(client, make_client, make_api):
    api = make_api()
    app = make_client("m2m")
    create_client_grant(app, api, ["write:messages"])
    key = DPoPKey()
    token = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD},
                        HTTP_AUTHORIZATION=basic(app.client_id, app.secret),
                        HTTP_DPOP=key.proof("POST", ISSUER + "oauth/token")).json()["access_token"]
    for url in ("/api/private-scoped", "/api/drf/private-scoped"):
        response = call(client, url, token, key.proof("GET", "http://testserver" + url, access_token=token))
        assert response.status_code == HTTPStatus.FORBIDDEN, response.content
        assert response["WWW-Authenticate"].startswith('DPoP ') and 'error="insufficient_scope"' in response[
            "WWW-Authenticate"]


@pytest.mark.parametrize("base", BASES)
def test_zero_sql_queries_on_a_dpop_request(client, bound, base):
    key = DPoPKey()
    token = bound(key)
    url = f"{base}/private"
    call(client, url, token, key.proof("GET", "http://testserver" + url, access_token=token))  # warm the key cache
    proof = key.proof("GET", "http://testserver" + url, access_token=token)
    with CaptureQueriesContext(connection) as queries:
        response = call(client, url, token, proof)
    assert response.status_code == HTTPStatus.OK
    assert len(queries) == 0, [q["sql"] for q in queries]


def test_middleware_and_a_second_validation_of_the_same_request(bound):
    """The middleware (sync and async) sees DPoP tokens too; a view that validates again (here for the
    same API named explicitly, another memo key) does not spend the proof's jti a second time."""
    from asgiref.sync import async_to_sync
    from django.http import HttpResponse
    from django.test import AsyncRequestFactory, RequestFactory

    from django_authflows.resource.bearer import authenticate_bearer
    from django_authflows.resource.middleware import BearerTokenMiddleware

    key = DPoPKey()
    token = bound(key)
    seen = {}

    def view(request):
        seen["sub"] = request.token.sub if request.token else None
        seen["again"] = authenticate_bearer(request, audience=AUD).valid
        return HttpResponse("ok")

    def headers():
        return {"HTTP_AUTHORIZATION": f"DPoP {token}",
                "HTTP_DPOP": key.proof("GET", "http://testserver/anything", access_token=token)}

    BearerTokenMiddleware(view)(RequestFactory().get("/anything", **headers()))
    assert seen["sub"].endswith("@clients") and seen["again"]
    BearerTokenMiddleware(view)(RequestFactory().get("/anything", HTTP_AUTHORIZATION=f"Bearer {token}"))
    assert seen["sub"] is None

    async def async_view(request):
        seen["async"] = request.token.sub if request.token else None
        return HttpResponse("ok")

    request = AsyncRequestFactory().get("/anything", headers={
        "Authorization": f"DPoP {token}", "DPoP": key.proof("GET", "http://testserver/anything", access_token=token)})
    async_to_sync(BearerTokenMiddleware(async_view))(request)
    assert seen["async"].endswith("@clients")


def test_userinfo_answers_a_dpop_bound_token_with_a_dpop_challenge(client, bound):
    """RFC 9449 §7.1 at /userinfo too: a DPoP-bound token without the openid scope (a client-credentials token)
    is refused with a DPoP challenge that names the accepted algorithms, not a Bearer one."""
    key = DPoPKey("ES256")
    token = bound(key)
    response = client.get("/userinfo", HTTP_AUTHORIZATION=f"DPoP {token}",
                          HTTP_DPOP=key.proof("GET", "http://testserver/userinfo", access_token=token))
    assert response.status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN), response.content
    assert response["WWW-Authenticate"].startswith('DPoP realm="userinfo", error="'), response["WWW-Authenticate"]
    assert ALGS_PARAM in response["WWW-Authenticate"]


def _description(response):
    challenge = response["WWW-Authenticate"]
    return challenge.split('error_description="', 1)[1]


@pytest.mark.parametrize("base", BASES)
def test_a_badly_signed_proof_does_not_spend_its_jti(client, bound, base):
    """The jti is spent only once the signature verifies: a forged proof that reuses a jti seen on the wire
    (or guesses the next one) cannot refuse the genuine proof that carries it."""
    key, forger = DPoPKey(), DPoPKey()
    token = bound(key)
    url = f"{base}/private"
    htu = "http://testserver" + url
    forged = key.proof("GET", htu, access_token=token, jti="jti-1", signer=forger.key)  # key's jwk, forger's signature
    response = call(client, url, token, forged)
    refused(response, "invalid_dpop_proof")
    assert "signature" in _description(response)
    genuine = key.proof("GET", htu, access_token=token, jti="jti-1")
    assert call(client, url, token, genuine).status_code == HTTPStatus.OK
    response = call(client, url, token, key.proof("GET", htu, access_token=token, jti="jti-1"))  # now it is spent
    refused(response, "invalid_dpop_proof")
    assert "used already" in _description(response)


@pytest.mark.parametrize("base", BASES)
def test_cheap_checks_come_before_the_signature(client, bound, base):
    """A proof wrong in its claims or key is refused for that, before its signature is verified: a badly
    signed proof with a wrong htu, and a badly signed proof by a key other than cnf.jkt's."""
    key, forger = DPoPKey(), DPoPKey()
    token = bound(key)
    url = f"{base}/private"
    htu = "http://testserver" + url
    wrong_htu = key.proof("GET", htu + "-elsewhere", access_token=token, signer=forger.key)
    response = call(client, url, token, wrong_htu)
    refused(response, "invalid_dpop_proof")
    assert "htu" in _description(response)
    thief = forger.proof("GET", htu, access_token=token, signer=DPoPKey().key)
    response = call(client, url, token, thief)
    refused(response, "invalid_dpop_proof")
    assert "not signed with the key the access token is bound to" in _description(response)
    # Neither refusal spent anything: the genuine proof still goes through.
    assert call(client, url, token, key.proof("GET", htu, access_token=token)).status_code == HTTPStatus.OK


@pytest.mark.parametrize("base", BASES)
def test_a_remembered_dpop_token_still_needs_its_own_proof_every_time(client, bound, base):
    """Once a DPoP-bound token was found valid, this process remembers it by its Authorization header (as
    it does bearer tokens, with the token's key thumbprint and hash); every later request is still judged by
    its own proof: replayed, missing, made by another key, for another URI or another token, or without the
    token's hash, it is refused, and a fresh proof goes through."""
    from django_authflows.resource.bearer import verified

    key, thief = DPoPKey(), DPoPKey()
    token = bound(key)
    url = f"{base}/private"
    htu = "http://testserver" + url
    first = key.proof("GET", htu, access_token=token)
    assert call(client, url, token, first).status_code == HTTPStatus.OK
    assert f"DPoP {token}" in verified._accepted  # the next requests take the remembered path
    refused(call(client, url, token, first), "invalid_dpop_proof")  # replayed
    refused(call(client, url, token), "invalid_dpop_proof")  # no proof
    refused(call(client, url, token, thief.proof("GET", htu, access_token=token)), "invalid_dpop_proof")
    refused(call(client, url, token, key.proof("GET", htu + "x", access_token=token)), "invalid_dpop_proof")
    refused(call(client, url, token, key.proof("GET", htu, access_token=token + "x")), "invalid_dpop_proof")
    refused(call(client, url, token, key.proof("GET", htu)), "invalid_dpop_proof")  # no ath
    refused(call(client, url, token, key.proof("POST", htu, access_token=token)), "invalid_dpop_proof")
    assert call(client, url, token, key.proof("GET", htu, access_token=token)).status_code == HTTPStatus.OK
    response = call(client, url, token, key.proof("GET", htu, access_token=token), scheme="Bearer")
    assert response.status_code == HTTPStatus.UNAUTHORIZED  # §7.2: never as a bearer token


def test_a_remembered_dpop_token_is_refused_once_revoked(client, bound, settings):
    from oauth2_provider.models import get_access_token_model

    from django_authflows.revocation import revoke_access_tokens

    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "REVOCATION_PROPAGATION_SECONDS": 0}
    key = DPoPKey()
    token = bound(key)
    htu = "http://testserver/api/private"
    for _ in range(2):  # found valid, then through the remembered path
        assert call(client, "/api/private", token, key.proof("GET", htu, access_token=token)).status_code == 200
    assert revoke_access_tokens(get_access_token_model().objects.all()) >= 1
    response = call(client, "/api/private", token, key.proof("GET", htu, access_token=token))
    refused(response, "invalid_token")


@pytest.mark.parametrize("backend", ["django.core.cache.backends.locmem.LocMemCache",
                                     "django.core.cache.backends.dummy.DummyCache"])
def test_a_replayed_proof_is_refused_after_hundreds_of_others_on_a_per_process_cache(client, bound, settings,
                                                                                    backend):
    """LocMemCache (Django's default) culls a third of its entries at 300: the jti marks live in a store of
    their own, so a proof replayed after 400 other proofs, and 400 other cache writes, is still refused; with
    DummyCache (which keeps nothing) too."""
    settings.CACHES = {"default": {"BACKEND": backend}}
    key = DPoPKey(alg="EdDSA")  # the cheapest to sign 400 times
    token = bound(key)
    url = "/api/private"
    htu = "http://testserver" + url
    first = key.proof("GET", htu, access_token=token)
    assert call(client, url, token, first).status_code == HTTPStatus.OK
    for n in range(400):
        assert call(client, url, token, key.proof("GET", htu, access_token=token)).status_code == HTTPStatus.OK
        cache.set(f"other-{n}", n)
    response = call(client, url, token, first)
    refused(response, "invalid_dpop_proof")
    assert "used already" in _description(response)
