"""The per-process memos of the API path, attacked from the wire: raw HTTP/1.1 to a live gunicorn (2 workers).

Each worker remembers an Authorization header it found valid (the token's checks then run without the
signature) and the request URI a DPoP proof's ``htu`` is compared with (by scheme, Host and path). Neither
may turn into a way in: a remembered DPoP-bound token still needs a fresh proof of its key on every request,
a bound token is still refused as a bearer token, a header one byte off is validated afresh, and a request
with another Host header, allowed or refused by Django, neither passes nor changes what the next request
sees. Every request is sent several times, so that both workers have remembered the token first.
"""
from __future__ import annotations

import base64
import json

import pytest

from ..dpop_client import DPoPKey
from ..live import LiveServer
from .raw import Answer, demo_secret, exchange

pytestmark = pytest.mark.live

AUD = "https://api.example.test/"
API = "/api/private"
ROUNDS = 6  # requests per check: with 2 sync workers, each worker answers some of them


def raw(port: int, method: str, target: str, headers: list[tuple[str, str]], *, host: str | None = None,
        body: bytes | None = None) -> Answer:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}", "Connection: close",
             *(f"{k}: {v}" for k, v in headers)]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return exchange(port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))


def m2m_token(port: int, proof: str | None = None) -> str:
    basic = base64.b64encode(f"demo-m2m:{demo_secret('demo-m2m')}".encode()).decode()
    headers = [("Authorization", f"Basic {basic}"), ("Content-Type", "application/x-www-form-urlencoded")]
    if proof:
        headers.append(("DPoP", proof))
    answer = raw(port, "POST", "/oauth/token", headers, body=f"grant_type=client_credentials&audience={AUD}".encode())
    assert answer.status == 200, answer.body
    return json.loads(answer.body)["access_token"]


@pytest.fixture(scope="module")
def server():
    with LiveServer({"DJANGO_DEBUG": "0"}, gunicorn=True, workers=2) as live:
        yield live


def test_a_remembered_bearer_header_helps_no_other_header(server):
    port = server.port
    token = m2m_token(port)
    good = ("Authorization", f"Bearer {token}")
    assert [raw(port, "GET", API, [good]).status for _ in range(ROUNDS)] == [200] * ROUNDS  # remembered by both
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    forged = base64.urlsafe_b64encode(json.dumps({**json.loads(base64.urlsafe_b64decode(payload + "==")),
                                                  "scope": "admin"}).encode()).rstrip(b"=").decode()
    for header in (f"Bearer {head}.{payload}.{flipped}",  # one character of the signature
                   f"Bearer {head}.{forged}.{signature}",  # other claims under the same signature
                   f"Bearer {token}x", f"Bearer {token[:-1]}",
                   f"DPoP {token}"):  # an unbound token under the DPoP scheme
        answers = [raw(port, "GET", API, [("Authorization", header)]) for _ in range(ROUNDS)]
        assert {a.status for a in answers} == {401}, (header[-20:], [a.status for a in answers])
        assert all(a.header("WWW-Authenticate") for a in answers)
    # still valid as it was, for both workers
    assert [raw(port, "GET", API, [good]).status for _ in range(ROUNDS)] == [200] * ROUNDS


def test_a_remembered_dpop_token_needs_a_fresh_proof_of_its_key_every_time(server):
    port = server.port
    key, thief = DPoPKey(), DPoPKey()
    url = f"http://127.0.0.1:{port}{API}"
    token = m2m_token(port, key.proof("POST", f"http://127.0.0.1:{port}/oauth/token"))
    auth = ("Authorization", f"DPoP {token}")
    proofs = [key.proof("GET", url, access_token=token) for _ in range(ROUNDS)]
    assert [raw(port, "GET", API, [auth, ("DPoP", p)]).status for p in proofs] == [200] * ROUNDS
    refused = {
        "no proof": [auth],
        "a proof used already": [auth, ("DPoP", proofs[0])],
        "another key's proof": [auth, ("DPoP", thief.proof("GET", url, access_token=token))],
        "a proof for another token": [auth, ("DPoP", key.proof("GET", url, access_token=token + "x"))],
        "a proof for another endpoint": [auth, ("DPoP", key.proof("GET", f"http://127.0.0.1:{port}/api/public",
                                                                  access_token=token))],
        "the bound token as a bearer token": [("Authorization", f"Bearer {token}")],
    }
    for name, headers in refused.items():
        answers = [raw(port, "GET", API, headers) for _ in range(ROUNDS)]
        assert {a.status for a in answers} == {401}, (name, [(a.status, a.body[:80]) for a in answers])
        assert all(a.header("WWW-Authenticate").startswith("DPoP ") for a in answers), name


def test_another_host_header_neither_passes_nor_changes_the_next_request(server):
    port = server.port
    key = DPoPKey()
    url = f"http://127.0.0.1:{port}{API}"
    token = m2m_token(port, key.proof("POST", f"http://127.0.0.1:{port}/oauth/token"))
    auth = ("Authorization", f"DPoP {token}")

    def call(host: str | None = None, htu: str = url) -> Answer:
        return raw(port, "GET", API, [auth, ("DPoP", key.proof("GET", htu, access_token=token))], host=host)

    assert [call().status for _ in range(ROUNDS)] == [200] * ROUNDS  # the htu of 127.0.0.1 remembered by both
    for _ in range(ROUNDS):
        # an allowed host: the request URI is http://localhost:PORT/..., which a proof for 127.0.0.1 does not name
        assert call(host=f"localhost:{port}").status == 401
        # a proof naming the URI that Host gives is accepted: the memo is by Host, not one URI per path
        assert call(host=f"localhost:{port}", htu=f"http://localhost:{port}{API}").status == 200
        # a host Django refuses: 400, and nothing remembered for it
        assert call(host="evil.example").status == 400
        assert call(host="evil.example", htu=f"http://evil.example{API}").status == 400
        assert call().status == 200  # 127.0.0.1 as before
