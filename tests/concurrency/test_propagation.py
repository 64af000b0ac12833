"""A change made with ``manage.py authflows`` in another process reaches a running server on its very next
request: with a per-process cache (the registry's generation in the database), with the example project's
development cache (files shared by the server and the CLI) and with Redis."""
from __future__ import annotations

import base64
import time
import uuid

import pytest
import requests

from ..live import LiveServer

pytestmark = pytest.mark.live
AUD = "https://api.example.test/"


@pytest.fixture(scope="module", params=["sqlite+locmem", "postgres+locmem", "sqlite+file", "sqlite+redis"])
def server(request):
    env = {"EXAMPLE_CACHE": "locmem"} if "locmem" in request.param else {}
    if "postgres" in request.param:
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    if "redis" in request.param:
        env["REDIS_URL"] = request.getfixturevalue("redis_url")
    with LiveServer(env) as live:
        live.kind = request.param
        yield live


def m2m(server, audience=AUD, scopes="read:messages"):
    return server.manage_json("authflows", "apps", "create", "--name", f"Job {uuid.uuid4().hex[:6]}", "--type", "m2m",
                              "--api", audience, "--scopes", scopes)


def cc(server, app, audience=AUD):
    auth = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    return requests.post(server.url + "/oauth/token", data={"grant_type": "client_credentials", "audience": audience},
                         headers={"Authorization": f"Basic {auth}"}, timeout=10)


def test_an_application_deleted_with_the_cli_is_refused_at_once(server):
    app = m2m(server)
    for _ in range(2):  # the second request is served from the server's kept copies
        granted = cc(server, app)
        assert granted.status_code == 200, granted.text
    server.manage("authflows", "apps", "delete", app["client_id"])
    refused = cc(server, app)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client", refused.text
    if "locmem" not in server.kind:  # the deny-list is in the cache: shared only when the cache is
        deadline = time.monotonic() + 1.5  # within AUTHFLOWS["REVOCATION_PROPAGATION_SECONDS"] (1 s)
        while True:
            api = requests.get(server.url + "/api/private",
                               headers={"Authorization": f"Bearer {granted.json()['access_token']}"}, timeout=10)
            if api.status_code != 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert api.status_code == 401 and "revoked" in api.json()["error_description"], api.text


def test_an_api_deleted_with_the_cli_gets_no_more_tokens(server):
    identifier = f"https://gone-{uuid.uuid4().hex[:8]}.example.test/"
    server.manage("authflows", "apis", "create", "--name", "Soon gone", "--identifier", identifier,
                  "--scopes", "read:things")
    app = m2m(server, identifier, "read:things")
    for _ in range(2):
        assert cc(server, app, identifier).status_code == 200
    server.manage("authflows", "apis", "delete", identifier)
    refused = cc(server, app, identifier)
    assert refused.status_code == 400 and refused.json()["error"] == "access_denied", refused.text


def test_a_removed_client_grant_applies_at_once(server):
    app = m2m(server)
    for _ in range(2):
        assert cc(server, app).status_code == 200
    server.manage("authflows", "grants", "delete", "--client-id", app["client_id"], "--api", AUD)
    refused = cc(server, app)
    assert refused.status_code == 400 and refused.json()["error"] == "access_denied", refused.text
