"""private_key_jwt with keys fetched from the client's jwks_uri (OIDC Core §10.1.1): fetched once and cached,
refetched when an assertion names an unknown ``kid`` (the client rotated), at most once per refresh floor, and
bounded in size. A real key-set server on a loopback port, which the tests change as a client would."""
from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from django_authflows.apis import create_client_grant

from .test_private_key_jwt import claims_for, new_key, public_set, sign, token_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_server():
    """``server.body`` is what GET /jwks answers; ``server.fetches`` counts the requests."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            server.fetches += 1
            if server.redirect:
                self.send_response(302)
                self.send_header("Location", server.redirect)
                self.end_headers()
                return
            body = server.body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.fetches, server.body, server.redirect = 0, "{}", None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/jwks"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def remote_app(make_client, make_api, key_server):
    api = make_api()
    app = make_client("m2m", auth_method="private_key_jwt", jwks_uri=key_server.url)
    create_client_grant(app, api, ["read:messages"])
    return app


def test_keys_are_fetched_once_and_refetched_for_a_rotated_key(client, remote_app, key_server):
    first, second, third = new_key(), new_key(), new_key()
    key_server.body = json.dumps(public_set(first))
    for _ in range(2):
        response = token_request(client, sign(first, claims_for(remote_app.client_id)))
        assert response.status_code == HTTPStatus.OK, response.content
    assert key_server.fetches == 1  # the second assertion was checked against the cached set
    # The client rotates: an assertion under a new kid makes the server fetch the set again.
    key_server.body = json.dumps(public_set(first, second))
    response = token_request(client, sign(second, claims_for(remote_app.client_id)))
    assert response.status_code == HTTPStatus.OK, response.content
    assert key_server.fetches == 2
    # Unknown kids cannot make the server fetch again and again: one refetch per refresh floor.
    key_server.body = json.dumps(public_set(first, second, third))
    refused = token_request(client, sign(third, claims_for(remote_app.client_id)))
    assert refused.status_code == HTTPStatus.UNAUTHORIZED and refused.json()["error"] == "invalid_client"
    assert key_server.fetches == 2


def test_a_key_that_is_not_in_the_set_is_refused(client, remote_app, key_server):
    registered, stranger = new_key(), new_key()
    key_server.body = json.dumps(public_set(registered))
    refused = token_request(client, sign(stranger, claims_for(remote_app.client_id)))
    assert refused.status_code == HTTPStatus.UNAUTHORIZED and refused.json()["error"] == "invalid_client"


def test_an_oversized_key_set_is_not_used(client, remote_app, key_server):
    key = new_key()
    keys = public_set(key)
    keys["padding"] = "x" * 70_000  # over the 64 KB the server reads
    key_server.body = json.dumps(keys)
    refused = token_request(client, sign(key, claims_for(remote_app.client_id)))
    assert refused.status_code == HTTPStatus.UNAUTHORIZED and refused.json()["error"] == "invalid_client"


def test_a_redirect_is_not_followed(client, remote_app, key_server, make_client):
    key = new_key()
    key_server.body = json.dumps(public_set(key))
    key_server.redirect = key_server.url  # the same set, one hop away: still refused
    refused = token_request(client, sign(key, claims_for(remote_app.client_id)))
    assert refused.status_code == HTTPStatus.UNAUTHORIZED and refused.json()["error"] == "invalid_client"
    assert key_server.fetches <= 2  # the first GET and its one refetch; the Location was never requested again
