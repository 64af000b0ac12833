"""Memory stays bounded for unauthenticated traffic: 1,000 requests with distinct 2 MB client_ids and audiences
grow one gunicorn worker's resident memory by less than 20 MB (nothing keyed by attacker input is kept)."""
from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from ..live import LiveServer
from .raw import exchange, request_bytes

pytestmark = pytest.mark.live

REQUESTS = 1_000
SIZE = 2 * 1024 * 1024
PARSED_SIZE = 500 * 1024  # under the body limit (1 MB): read and parsed
BUDGET_MB = 20
DEADLINE_S = 90


def worker_pid(server: LiveServer) -> int:
    master = server.process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children  # one worker: the memory measured is the memory that answered
    return int(children[0])


def rss_kb(pid: int) -> int:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1])


def variants(filler: bytes) -> list:
    """Each takes the request number and returns (headers, body): the distinct part is a short prefix of one
    shared 2 MB buffer, so building a request costs one copy."""
    form = [("Content-Type", "application/x-www-form-urlencoded")]

    def body_client_id(i: int):
        return form, b"grant_type=client_credentials&client_secret=x&client_id=%08d" % i + filler

    def json_client_id(i: int):
        return [("Content-Type", "application/json")], (b'{"grant_type": "client_credentials", "client_id": "%08d'
                                                         % i + filler + b'"}')

    def basic_client_id(i: int):
        # gunicorn refuses a header line over 8 KB, so the Basic header carries as much as a header can
        credentials = base64.b64encode(b"%08d" % i + filler[:5_000] + b":secret")
        return [*form, ("Authorization", b"Basic " + credentials)], b"grant_type=client_credentials"

    def audience(i: int):
        return form, b"grant_type=authorization_code&code=x&client_id=demo-spa&audience=%08d" % i + filler

    def public_client_id(i: int):
        return form, b"grant_type=authorization_code&code=x&code_verifier=" + b"v" * 43 + b"&client_id=%08d" % i + filler

    return [body_client_id, json_client_id, basic_client_id, audience, public_client_id]


def send(server: LiveServer, path: str, headers, body: bytes) -> int:
    return exchange(server.port, request_bytes("POST", path, port=server.port, headers=headers, body=body)).status


@pytest.mark.parametrize("size", [SIZE, PARSED_SIZE], ids=["2MB-refused-unread", "500KB-parsed"])
def test_distinct_large_client_ids_do_not_grow_a_worker(size):
    """2 MB bodies are over the client endpoints' body limit and refused unread; 500 KB ones are read and
    parsed, and refused by the parameter limits before any lookup."""
    with LiveServer({"DJANGO_DEBUG": "0"}, gunicorn=True, workers=1) as server:
        pid = worker_pid(server)
        filler = b"A" * (size - 200)
        kinds = variants(filler)
        for i in range(50):  # warm up: imports, templates, connections, caches of the real clients
            headers, body = kinds[i % len(kinds)](10**7 + i)
            send(server, "/oauth/token", headers, body[:200])
            send(server, "/oauth/token", headers, body)
        before = rss_kb(pid)
        started = time.monotonic()
        statuses: dict[int, int] = {}
        for i in range(REQUESTS):
            headers, body = kinds[i % len(kinds)](i)
            path = "/oauth/device/code" if i % 10 == 9 else "/oauth/token"
            status = send(server, path, headers, body)
            statuses[status] = statuses.get(status, 0) + 1
            assert time.monotonic() - started < DEADLINE_S, f"{i} requests in {DEADLINE_S} s"
        after = rss_kb(pid)
        grown_mb = (after - before) / 1024
        print(f"\nRSS of the worker: {before / 1024:.1f} MB -> {after / 1024:.1f} MB (+{grown_mb:.1f} MB) after "
              f"{REQUESTS} requests with distinct {size // 1024} KB client_ids/audiences in {time.monotonic() - started:.1f} s; "
              f"answers {json.dumps(statuses)}")
        assert not any(status >= 500 for status in statuses), statuses
        assert grown_mb < BUDGET_MB
