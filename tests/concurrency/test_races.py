"""Single-use state under parallel requests, across processes: exactly one winner, never a 500."""
from __future__ import annotations

import base64
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from .. import people

pytestmark = [pytest.mark.live, pytest.mark.postgres]
PARALLEL = 10
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def parallel(fn, n=PARALLEL):
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _i: fn(), range(n)))


def test_parallel_device_polls_redeem_once(race_server):
    base = race_server.url
    started = requests.post(base + "/oauth/device/code", data={"client_id": "demo-device", "scope": "openid"},
                            timeout=10).json()
    session = requests.Session()
    people.login(session, base)
    people.approve_device(session, base, started["user_code"])
    data = {"grant_type": DEVICE_GRANT, "client_id": "demo-device", "device_code": started["device_code"]}
    responses = parallel(lambda: requests.post(base + "/oauth/token", data=data, timeout=30))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (PARALLEL - 1), [r.text for r in responses]
    assert {r.json()["error"] for r in responses if r.status_code == 400} == {"invalid_grant"}


def test_parallel_code_redemptions_succeed_once(race_server):
    base = race_server.url
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    session = requests.Session()
    people.login(session, base)
    url = base + "/authorize?" + urlencode({
        "response_type": "code", "client_id": "demo-spa", "redirect_uri": base + "/demo/spa/", "scope": "openid",
        "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"})
    location = people.consent(session, base, url)
    code = parse_qs(urlsplit(location).query)["code"][0]
    data = {"grant_type": "authorization_code", "client_id": "demo-spa", "code": code,
            "redirect_uri": base + "/demo/spa/", "code_verifier": verifier}
    responses = parallel(lambda: requests.post(base + "/oauth/token", data=data, timeout=30))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (PARALLEL - 1), [r.text for r in responses]
    assert all(r.headers["Content-Type"] == "application/json" for r in responses)


def test_parallel_client_credentials_never_500(race_server):
    base = race_server.url
    secret = race_server.manage("shell", "-c", "from example_project.demo.secrets import demo_secret;"
                                               "print(demo_secret('demo-m2m'))").split()[-1]
    data = {"grant_type": "client_credentials", "audience": "https://api.example.test/"}
    responses = parallel(lambda: requests.post(base + "/oauth/token", data=data, auth=("demo-m2m", secret),
                                               timeout=30), n=20)
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses if r.status_code != 200]


def test_parallel_refreshes_at_most_one_then_a_replay_revokes_the_family(race_server):
    base = race_server.url
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    session = requests.Session()
    people.login(session, base)
    location = people.consent(session, base, base + "/authorize?" + urlencode({
        "response_type": "code", "client_id": "demo-spa", "redirect_uri": base + "/demo/spa/",
        "scope": "openid offline_access", "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"}))
    code = parse_qs(urlsplit(location).query)["code"][0]
    tokens = requests.post(base + "/oauth/token", data={
        "grant_type": "authorization_code", "client_id": "demo-spa", "code": code,
        "redirect_uri": base + "/demo/spa/", "code_verifier": verifier}, timeout=10).json()
    data = {"grant_type": "refresh_token", "client_id": "demo-spa", "refresh_token": tokens["refresh_token"]}
    responses = parallel(lambda: requests.post(base + "/oauth/token", data=data, timeout=30))
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) <= 1, [r.text for r in responses]
    assert all(r.status_code in (200, 400) for r in responses), [r.text for r in responses]
    assert all(r.json()["error"] == "invalid_grant" for r in responses if r.status_code == 400)
    # the losers were replays of a rotated token: the family is revoked, the winner's successor too
    if winners:
        successor = winners[0].json()["refresh_token"]
        again = requests.post(base + "/oauth/token", data={**data, "refresh_token": successor}, timeout=10)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
