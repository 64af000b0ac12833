"""Two server processes on one PostgreSQL database and one Redis cache behave as one server."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from .. import people
from ..live import LiveServer
from ..oauth import header

pytestmark = [pytest.mark.live, pytest.mark.postgres]
AUD = "https://api.example.test/"


@pytest.fixture(scope="module")
def pair(postgres_url, redis_url):
    env = {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url}
    with LiveServer(env, gunicorn=True) as one:
        # Behind one load balancer both processes answer for the same issuer.
        with LiveServer({**env, "AUTHFLOWS_ISSUER": one.url + "/"}, gunicorn=True) as two:
            yield one, two


def m2m_secret(server):
    return server.manage("shell", "-c", "from example_project.demo.secrets import demo_secret;"
                                        "print(demo_secret('demo-m2m'))").split()[-1]


def cc(server, secret):
    return requests.post(server.url + "/oauth/token", data={"grant_type": "client_credentials", "audience": AUD},
                         auth=("demo-m2m", secret), timeout=10)


def test_a_code_from_one_is_redeemed_once_through_either(pair):
    one, two = pair
    session = requests.Session()
    people.login(session, one.url)
    callback = one.url + "/demo/regular/callback"  # both processes serve the same registered callback
    location = people.consent(session, one.url, one.url + "/authorize?" + urlencode({
        "response_type": "code", "client_id": "demo-regular-web-app", "redirect_uri": callback, "scope": "openid",
        "state": "s"}))
    code = parse_qs(urlsplit(location).query)["code"][0]
    secret = one.manage("shell", "-c", "from example_project.demo.secrets import demo_secret;"
                                       "print(demo_secret('demo-regular-web-app'))").split()[-1]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback}
    first = requests.post(two.url + "/oauth/token", data=data, auth=("demo-regular-web-app", secret), timeout=10)
    second = requests.post(one.url + "/oauth/token", data=data, auth=("demo-regular-web-app", secret), timeout=10)
    assert (first.status_code, second.status_code) == (200, 400)
    assert second.json()["error"] == "invalid_grant"


def test_a_rate_limit_reached_through_one_holds_on_the_other(pair):
    one, two = pair
    for _ in range(20):  # AUTHFLOWS['RATE_LIMITS']['client_auth_client'] is 20 per minute by default
        assert cc(one, "wrong").status_code == 401
    blocked = cc(two, m2m_secret(two))
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=9).flushdb()  # the other tests of the pair use this client


def test_a_revocation_through_one_is_seen_by_the_api_on_the_other(pair):
    one, two = pair
    secret = m2m_secret(one)
    token = cc(one, secret).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(two.url + "/api/private", headers=auth, timeout=10).status_code == 200
    assert requests.post(one.url + "/oauth/revoke", data={"token": token}, auth=("demo-m2m", secret),
                         timeout=10).status_code == 200
    # within AUTHFLOWS["REVOCATION_PROPAGATION_SECONDS"] (1 s): test_revocation_bound.py measures it
    deadline = time.monotonic() + 1.5
    while requests.get(two.url + "/api/private", headers=auth, timeout=10).status_code == 200:
        assert time.monotonic() < deadline, "the other server still accepts the revoked token"
        time.sleep(0.05)


def test_a_key_rotated_through_one_is_served_by_both(pair):
    one, two = pair
    secret = m2m_secret(one)
    before = header(cc(one, secret).json()["access_token"])["kid"]
    rotated = one.manage_json("authflows", "keys", "rotate")
    assert rotated["kid"] != before
    for server in (one, two):
        kids = {k["kid"] for k in requests.get(server.url + "/.well-known/jwks.json", timeout=10).json()["keys"]}
        assert {before, rotated["kid"]} <= kids
    time.sleep(6)  # each process trusts its cached active key for ACTIVE_KEY_TTL (5 s)
    for signer in (one, two):
        token = cc(signer, secret).json()["access_token"]
        assert header(token)["kid"] == rotated["kid"]
        for api in (one, two):
            response = requests.get(api.url + "/api/private", headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert response.status_code == 200, (signer.url, api.url, response.text)


def test_a_secret_rotated_in_another_process_is_refused_by_both_at_once(pair):
    one, two = pair
    created = one.manage("shell", "-c", (
        "from django_authflows import applications; from django_authflows.apis import create_client_grant;"
        "from django_authflows.models import Api;"
        "app, secret = applications.create_application('m2m', name='Rotated job');"
        f"create_client_grant(app, Api.objects.get(identifier='{AUD}'), []);"
        "print(app.client_id, secret)")).split()
    client_id, old = created[-2], created[-1]

    def token(server, secret):
        return requests.post(server.url + "/oauth/token", data={"grant_type": "client_credentials", "audience": AUD},
                             auth=(client_id, secret), timeout=10).status_code

    assert [token(one, old), token(two, old)] == [200, 200]  # both processes now hold the application
    new = two.manage("shell", "-c", (
        "from django_authflows import applications; from django_authflows.models import Application;"
        f"print(applications.rotate_secret(Application.objects.get(client_id='{client_id}')))")).split()[-1]
    assert [token(one, old), token(two, old)] == [401, 401]
    assert [token(one, new), token(two, new)] == [200, 200]
