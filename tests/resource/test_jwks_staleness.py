"""A key deleted at the server stops being trusted by a remote API within AUTHFLOWS["JWKS_MAX_STALE"],
even while its jwks_uri fails: a real key-set server on a free loopback port, then made to fail."""
from __future__ import annotations

import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from django_authflows.server import keys as server_keys

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"
MAX_STALE = 2


class KeySetServer:
    """Serves ``self.jwks`` at /jwks.json, or answers 503 while ``self.failing``; counts requests."""

    def __init__(self) -> None:
        self.jwks: dict = {"keys": []}
        self.failing = False
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                owner.hits += 1
                status, body = (503, b"unavailable") if owner.failing else (200, json.dumps(owner.jwks).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "KeySetServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def remote(settings, m2m_token):
    """A token signed by this project's key, and an API that trusts only the key-set server's keys."""
    token = m2m_token()
    with KeySetServer() as jwks_server:
        jwks_server.jwks = server_keys.published_jwks()
        settings.AUTHFLOWS = {**settings.AUTHFLOWS, "AUDIENCE": AUD, "REMOTE_JWKS_URI": jwks_server.url,
                              "JWKS_MAX_STALE": MAX_STALE}
        yield token, jwks_server


def call(client, token):
    return client.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {token}")


def without_signing_key(jwks, token):
    import base64

    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    return {"keys": [k for k in jwks["keys"] if k["kid"] != header["kid"]]}


def test_a_deleted_key_stops_being_trusted_while_the_key_set_cannot_be_fetched(client, remote):
    token, jwks_server = remote
    assert call(client, token).status_code == HTTPStatus.OK
    jwks_server.jwks = without_signing_key(jwks_server.jwks, token)  # deleted as compromised ...
    jwks_server.failing = True  # ... and the key set cannot be fetched any more
    deadline = time.monotonic() + MAX_STALE + 1.5
    while call(client, token).status_code == HTTPStatus.OK:
        assert time.monotonic() < deadline, "the deleted key is still trusted"
        time.sleep(0.2)
    refused = call(client, token)
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused.json()["error_description"] == "The access token is signed with an unknown key."
    hits = jwks_server.hits
    for _ in range(20):  # a failing jwks_uri is not asked once per request
        call(client, token)
    assert jwks_server.hits - hits <= 2


def test_within_the_bound_a_failing_fetch_keeps_the_keys_and_they_come_back(client, remote):
    token, jwks_server = remote
    assert call(client, token).status_code == HTTPStatus.OK
    jwks_server.failing = True
    time.sleep(MAX_STALE / 2 + 0.2)  # stale: the refetch fails, the last good set is still young enough
    assert call(client, token).status_code == HTTPStatus.OK
    time.sleep(MAX_STALE / 2 + 0.2)
    assert call(client, token).status_code == HTTPStatus.UNAUTHORIZED
    jwks_server.failing = False
    time.sleep(MAX_STALE / 2 + 0.2)  # the next retry finds the key set again
    assert call(client, token).status_code == HTTPStatus.OK


def test_a_deleted_key_stops_being_trusted_when_the_fetch_works(client, remote):
    token, jwks_server = remote
    assert call(client, token).status_code == HTTPStatus.OK
    jwks_server.jwks = without_signing_key(jwks_server.jwks, token)
    time.sleep(MAX_STALE + 0.2)
    assert call(client, token).status_code == HTTPStatus.UNAUTHORIZED
