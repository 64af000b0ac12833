"""A DPoP proof is accepted once across server processes that share Redis (RFC 9449 §11.1)."""
from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from ..dpop_client import DPoPKey
from ..live import LiveServer

pytestmark = [pytest.mark.live]
AUD = "https://api.example.test/"


@pytest.fixture(scope="module")
def pair(redis_url):
    """Two gunicorn servers (2 workers each) behind one issuer, on one SQLite database and one Redis."""
    shared = tempfile.mkdtemp(prefix="authflows-dpop-")
    env = {"REDIS_URL": redis_url}
    try:
        with LiveServer(env, gunicorn=True, threads=4, database_dir=shared) as one:
            with LiveServer({**env, "AUTHFLOWS_ISSUER": one.url + "/"}, gunicorn=True, threads=4, seed=False,
                            database_dir=shared) as two:
                yield one, two
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def token_request(server, secret, proof):
    return requests.post(server.url + "/oauth/token", data={"grant_type": "client_credentials", "audience": AUD},
                         auth=("demo-m2m", secret), headers={"DPoP": proof}, timeout=10)


def test_one_proof_one_token_across_processes(pair):
    one, two = pair
    secret = one.manage("shell", "-c", "from example_project.demo.secrets import demo_secret;"
                                       "print(demo_secret('demo-m2m'))").split()[-1]
    key = DPoPKey()
    proof = key.proof("POST", one.url + "/oauth/token")  # the issuer's token endpoint, whichever process answers
    first, second = token_request(one, secret, proof), token_request(two, secret, proof)
    assert first.status_code == 200, first.text
    assert second.status_code == 400 and second.json()["error"] == "invalid_dpop_proof", second.text
    # In parallel, through both servers and all their workers: exactly one of them accepts it.
    proof = key.proof("POST", one.url + "/oauth/token")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: token_request((one, two)[i % 2], secret, proof), range(8)))
    assert sorted(a.status_code for a in answers) == [200] + [400] * 7, [a.text for a in answers]
    token = first.json()["access_token"]
    # The API: one public host (the load balancer's), a proof replayed to the other process is refused.
    url = one.url + "/api/private"
    host = one.url.split("//")[1]
    api_proof = key.proof("GET", url, access_token=token)

    def call(server):
        return requests.get(server.url + "/api/private", timeout=10,
                            headers={"Host": host, "Authorization": f"DPoP {token}", "DPoP": api_proof})

    ok, replayed = call(two), call(one)
    assert ok.status_code == 200, ok.text
    assert replayed.status_code == 401 and 'error="invalid_dpop_proof"' in replayed.headers["WWW-Authenticate"]
    api_proof = key.proof("GET", url, access_token=token)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: call((one, two)[i % 2]), range(8)))
    assert sorted(a.status_code for a in answers) == [200] + [401] * 7, [a.text for a in answers]
