"""Nobody's failures lock out anyone else: failed client authentication counts per (client, IP) and per IP,
token requests per client only once the client authenticated, login per (username, IP) and per IP; the
state cannot be erased by other traffic, and parallel guesses cannot all pass."""
from __future__ import annotations

import re
import threading
from http import HTTPStatus

import pytest
import requests

from django_authflows.apis import create_client_grant

from ..live import LiveServer
from ..oauth import TOKEN_URL, basic, pkce_pair, query

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"
ATTACKER, USER = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def spa_code(authorize, make_client):
    """A public SPA and a fresh code of one of its users, with its verifier."""
    app = make_client("spa")
    verifier, challenge = pkce_pair()

    def code():
        location = authorize(app, code_challenge=challenge, code_challenge_method="S256")["Location"]
        return {"grant_type": "authorization_code", "code": query(location)["code"], "client_id": app.client_id,
                "redirect_uri": app.redirect_uri_list[0], "code_verifier": verifier}

    return app, code


def test_wrong_secrets_against_an_spa_do_not_lock_out_its_users(client, spa_code):
    """Today 21 such POSTs made every user's code exchange for the SPA answer 429 for a minute."""
    app, code = spa_code
    for _ in range(30):
        client.post(TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": "x", "client_id": app.client_id,
                                "client_secret": "x"}, REMOTE_ADDR=ATTACKER)
    response = client.post(TOKEN_URL, code(), REMOTE_ADDR=USER)
    assert response.status_code == HTTPStatus.OK, response.content
    # ... while the attacker's own address is blocked
    assert client.post(TOKEN_URL, code(), REMOTE_ADDR=ATTACKER).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_token_requests_of_strangers_do_not_use_up_a_public_clients_limit(client, spa_code, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "RATE_LIMITS": {"token_client": (3, 60)}}
    app, code = spa_code
    for _ in range(10):
        client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": "x", "client_id": app.client_id,
                                "redirect_uri": app.redirect_uri_list[0], "code_verifier": "v" * 64},
                    REMOTE_ADDR=ATTACKER)
    assert client.post(TOKEN_URL, code(), REMOTE_ADDR=USER).status_code == HTTPStatus.OK


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect", "/oauth/device/code"])
def test_wrong_basic_credentials_do_not_lock_out_the_client(client, make_client, make_api, path):
    app = make_client("m2m")
    create_client_grant(app, make_api(), ["read:messages"])
    data = {"grant_type": "client_credentials", "audience": AUD, "token": "x"}
    for _ in range(30):
        client.post(path, data, HTTP_AUTHORIZATION=basic(app.client_id, "wrong"), REMOTE_ADDR=ATTACKER)
    assert client.post(path, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret),
                       REMOTE_ADDR=ATTACKER).status_code == HTTPStatus.TOO_MANY_REQUESTS
    own = client.post(path, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret), REMOTE_ADDR=USER)
    assert own.status_code != HTTPStatus.TOO_MANY_REQUESTS, own.content
    if path == "/oauth/token":
        assert own.status_code == HTTPStatus.OK


def test_wrong_secrets_do_not_use_up_a_confidential_clients_token_limit(client, make_client, make_api, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "RATE_LIMITS": {"token_client": (3, 60), "client_auth_ip": (100, 60),
                                                                "client_auth_client": (100, 60)}}
    app = make_client("m2m")
    create_client_grant(app, make_api(), ["read:messages"])
    data = {"grant_type": "client_credentials", "audience": AUD}
    for _ in range(10):
        client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=basic(app.client_id, "wrong"), REMOTE_ADDR=ATTACKER)
    statuses = [client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret),
                            REMOTE_ADDR=USER).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # the client's own limit still holds


def login(client, username, password, ip):
    return client.post("/login", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_block_is_per_username_and_ip(client, user, password):
    for _ in range(6):
        login(client, "alice", "wrong", ATTACKER)
    assert login(client, "alice", password, ATTACKER).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert login(client, "alice", password, USER).status_code == HTTPStatus.FOUND


@pytest.mark.parametrize("variant", ["ＡＬＩＣＥ", "ａlice", "Alice", " alice "])
def test_login_counts_username_variants_as_the_backend_compares_them(client, user, password, variant):
    for _ in range(5):
        login(client, variant, "wrong", ATTACKER)
    assert login(client, "alice", password, ATTACKER).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_lockouts_survive_other_traffic(client, user, password, make_client):
    """Today the default local-memory cache holds 300 entries: 400 requests with made-up client_ids evicted a
    lockout, after which the right password logged in again."""
    for _ in range(5):
        login(client, "alice", "wrong", ATTACKER)
    make_client("m2m")
    for i in range(400):
        ip = f"10.{i // 250}.{i % 250}.1"
        client.post(TOKEN_URL, {"grant_type": "client_credentials", "client_id": f"made-up-{i}",
                                "client_secret": "x"}, REMOTE_ADDR=ip)
    assert login(client, "alice", password, ATTACKER).status_code == HTTPStatus.TOO_MANY_REQUESTS


@pytest.mark.live
def test_parallel_login_guesses_cannot_all_pass():
    """Check-and-count is one atomic step: of 20 parallel guesses against a limit of 5, at most 5 are
    judged; the others are refused without looking at the password."""
    with LiveServer() as server:
        session = requests.Session()
        page = session.get(server.url + "/login", timeout=10).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        statuses: list[int] = []
        barrier = threading.Barrier(20)

        def guess() -> None:
            barrier.wait()
            response = session.post(server.url + "/login", timeout=30, allow_redirects=False,
                                    data={"csrfmiddlewaretoken": token, "username": "demo", "password": "wrong"},
                                    headers={"Referer": server.url + "/login"})
            statuses.append(response.status_code)

        threads = [threading.Thread(target=guess) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(statuses) == 20
        assert set(statuses) <= {200, 429}
        assert statuses.count(200) <= 5, statuses
