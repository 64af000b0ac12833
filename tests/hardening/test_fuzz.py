"""Fuzzing every endpoint with malformed, oversized, non-UTF-8, NUL-byte, duplicated and wrongly typed
input: zero 5xx, and every answer from /oauth/* and /userinfo is JSON."""
from __future__ import annotations

import json
from urllib.parse import quote_from_bytes

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings, strategies as st

pytestmark = pytest.mark.django_db
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

PARAMS = ["grant_type", "code", "redirect_uri", "client_id", "client_secret", "refresh_token", "scope", "audience",
          "resource", "code_verifier", "device_code", "token", "token_type_hint", "response_type", "state",
          "nonce", "prompt", "max_age", "response_mode", "code_challenge", "code_challenge_method", "user_code",
          "returnTo", "post_logout_redirect_uri", "id_token_hint", "login_hint", "username", "password"]
GRANTS = ["authorization_code", "refresh_token", "client_credentials", "password", "implicit",
          "urn:ietf:params:oauth:grant-type:device_code", "", "\x00"]
JSON_ENDPOINTS = ("/oauth/token", "/oauth/device/code", "/oauth/revoke", "/oauth/introspect", "/userinfo")
POST_ENDPOINTS = ["/oauth/token", "/oauth/device/code", "/oauth/revoke", "/oauth/introspect", "/userinfo",
                  "/authorize", "/login", "/activate", "/v2/logout"]
GET_ENDPOINTS = ["/authorize", "/userinfo", "/v2/logout", "/activate", "/login", "/.well-known/openid-configuration",
                 "/.well-known/jwks.json", "/api/private", "/api/drf/private", "/api/private-scoped",
                 "/account/authorized-apps"]

text = st.one_of(st.text(max_size=40), st.sampled_from(GRANTS), st.just("x" * 100_000),
                 st.text(alphabet=st.characters(codec="utf-8"), max_size=10).map(lambda s: s + "\x00"))
params = st.lists(st.tuples(st.sampled_from(PARAMS) | st.text(max_size=10), text), max_size=8)
raw_bytes = st.binary(max_size=300)
headers = st.fixed_dictionaries({}, optional={
    "HTTP_AUTHORIZATION": st.one_of(st.text(max_size=60), st.sampled_from(["Basic", "Bearer", "Basic ===",
                                                                          "Basic Og==", "Bearer a.b.c"])
                                    .map(lambda s: s)),
    "HTTP_ORIGIN": st.text(max_size=30),
    "HTTP_AUTH0_CLIENT": st.text(max_size=30),
})


def form(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{quote_from_bytes(k.encode('utf-8', 'surrogatepass'))}="
                    f"{quote_from_bytes(v.encode('utf-8', 'surrogatepass'))}" for k, v in pairs).encode()


bodies = st.one_of(
    params.map(lambda p: ("application/x-www-form-urlencoded", form(p))),
    params.map(lambda p: ("application/json", json.dumps(dict(p)).encode())),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                 lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.sampled_from(PARAMS), kids, max_size=4),
                 max_leaves=10).map(lambda v: ("application/json", json.dumps(v).encode())),
    raw_bytes.map(lambda b: ("application/x-www-form-urlencoded; charset=latin-1", b)),
    raw_bytes.map(lambda b: ("application/x-www-form-urlencoded; charset=bogus-charset", b)),
    raw_bytes.map(lambda b: ("application/json", b)),
    raw_bytes.map(lambda b: ("multipart/form-data; boundary=xyz", b)),
    raw_bytes.map(lambda b: ("text/plain", b)),
)


def check(response, path: str) -> None:
    assert response.status_code < 500, (path, response.status_code, response.content[:300])
    if path.startswith(JSON_ENDPOINTS) and response.content:
        assert response["Content-Type"].startswith("application/json"), (path, response.content[:200])
        json.loads(response.content)


@pytest.fixture
def clients(db, user, make_client):
    make_client("regular")
    make_client("spa")
    anonymous, logged = Client(), Client()
    logged.force_login(user)
    return [anonymous, logged]


@FUZZ
@given(path=st.sampled_from(POST_ENDPOINTS), body=bodies, extra=headers, who=st.integers(0, 1))
def test_post_bodies(clients, path, body, extra, who):
    content_type, data = body
    response = clients[who].generic("POST", path, data, content_type=content_type, **extra)
    check(response, path)


@FUZZ
@given(path=st.sampled_from(GET_ENDPOINTS), query=params, extra=headers, who=st.integers(0, 1))
def test_get_queries(clients, path, query, extra, who):
    response = clients[who].get(path + "?" + form(query).decode(), **extra)
    check(response, path)


@FUZZ
@given(query=params, duplicate=st.sampled_from(["client_id", "redirect_uri", "response_type", "scope", "state"]))
def test_duplicated_authorize_parameters(clients, query, duplicate):
    query = [*query, (duplicate, "a"), (duplicate, "b")]
    check(clients[1].get("/authorize?" + form(query).decode()), "/authorize")
