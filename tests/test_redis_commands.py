"""Redis commands per protected request, counted as the SQL queries are (tests/test_query_counts.py), against
the real Redis the machine runs (127.0.0.1:6379), with MONITOR: none for a token already seen, one GET of
the revocation generation when AUTHFLOWS["REVOCATION_PROPAGATION_SECONDS"] elapsed, and an MGET of the
revocation log after a revocation."""
from __future__ import annotations

import base64
import threading
import time
import uuid
from typing import Any

import pytest
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from django_authflows.apis import create_client_grant

from .redis_cache import DB, redis_test_cache

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
AUD = "https://api.example.test/"
BOUND = 1.0


def middleware_only(request: HttpRequest) -> JsonResponse:
    """A view that reads what BearerTokenMiddleware attached, and nothing else."""
    if request.token is None:  # type: ignore[attr-defined]
        return JsonResponse({"error": "no token"}, status=401)
    return JsonResponse({"sub": request.token.sub})  # type: ignore[attr-defined]


urlpatterns = [path("mw-only", middleware_only), path("", include("tests.urls"))]
PATHS = {"require_bearer": "/api/private", "middleware": "/mw-only", "drf": "/api/drf/private"}


@pytest.fixture
def redis_cache(settings: Any) -> Any:
    with redis_test_cache(settings) as (client, prefix):
        settings.AUTHFLOWS = {**settings.AUTHFLOWS, "REVOCATION_PROPAGATION_SECONDS": BOUND}
        yield client, prefix


class RedisCommands:
    """The commands Redis executed on our database with our key prefix while the block ran (MONITOR)."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client, self.prefix = client, prefix
        self.commands: list[str] = []
        self._marker = "authflows-monitor-" + uuid.uuid4().hex
        self._ready = threading.Event()

    def _listen(self) -> None:
        with self.client.monitor() as monitor:
            self.client.echo(self._marker + "-start")
            for event in monitor.listen():
                command = event["command"]
                if self._marker + "-start" in command:
                    self._ready.set()
                elif self._marker + "-stop" in command:
                    return
                elif event.get("db") == DB and self.prefix in command:
                    self.commands.append(command)

    def __enter__(self) -> RedisCommands:
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "MONITOR did not start"
        return self

    def __exit__(self, *exc: Any) -> None:
        self.client.echo(self._marker + "-stop")
        self._thread.join(10)
        assert not self._thread.is_alive(), "MONITOR did not stop"

    def verbs(self) -> list[str]:
        return [command.split(" ", 1)[0].upper() for command in self.commands]


@pytest.fixture
def issue(client: Any, make_client: Any, make_api: Any) -> Any:
    api = make_api()

    def token() -> tuple[str, Any]:
        app = make_client("m2m")
        create_client_grant(app, api, ["read:messages"])
        response = client.post("/oauth/token", {"grant_type": "client_credentials", "audience": AUD},
                               HTTP_AUTHORIZATION=basic(app))
        assert response.status_code == 200, response.content
        return response.json()["access_token"], app

    return token


def basic(app: Any) -> str:
    return "Basic " + base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()


def request(client: Any, url: str, token: str, status: int = 200) -> None:
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == status, response.content


def counted(redis_cache: Any, fn: Any) -> tuple[list[str], int]:
    with RedisCommands(*redis_cache) as redis_commands, CaptureQueriesContext(connection) as queries:
        fn()
    return redis_commands.verbs(), len(queries)


@pytest.mark.parametrize("kind", list(PATHS))
def test_no_sql_and_no_redis_command_for_a_token_already_seen(kind, client, issue, redis_cache):
    url = PATHS[kind]
    token, _ = issue()
    request(client, url, token)  # first sight: verified, and (issued before this process first looked) read once
    started = time.monotonic()
    verbs, sql = counted(redis_cache, lambda: [request(client, url, token) for _ in range(20)])
    assert time.monotonic() - started < BOUND, "too slow a machine for this bound: the count below would be off"
    assert (verbs, sql) == ([], 0)


def test_one_get_per_bound_and_an_mget_after_a_revocation(client, issue, redis_cache):
    url = PATHS["require_bearer"]
    token, _ = issue()
    revoked, app = issue()
    for t in (token, revoked):
        request(client, url, t)
    assert counted(redis_cache, lambda: request(client, url, token)) == ([], 0)

    time.sleep(BOUND + 0.05)  # the bound elapses: one look at the generation, which did not move
    assert counted(redis_cache, lambda: request(client, url, token)) == (["GET"], 0)
    assert counted(redis_cache, lambda: [request(client, url, token) for _ in range(5)]) == ([], 0)

    response = client.post("/oauth/revoke", {"token": revoked}, HTTP_AUTHORIZATION=basic(app))
    assert response.status_code == 200, response.content
    time.sleep(BOUND + 0.05)  # the generation moved: its new log entry is read with one MGET
    assert counted(redis_cache, lambda: request(client, url, token)) == (["GET", "MGET"], 0)
    verbs, sql = counted(redis_cache, lambda: [request(client, url, t, s) for t, s in ((token, 200), (revoked, 401))])
    assert (verbs, sql) == ([], 0)


@pytest.mark.parametrize("kind", list(PATHS))
def test_a_dpop_request_sends_one_set_and_a_replay_is_refused_by_it(kind, client, make_client, make_api,
                                                                     redis_cache):
    """A DPoP-bound token already seen: the proof's jti is the one Redis command (SET NX, so a replay of
    the proof, here through the same process, is refused by Redis itself), and no SQL."""
    from .dpop_client import DPoPKey

    api = make_api()
    app = make_client("m2m")
    create_client_grant(app, api, ["read:messages"])
    key = DPoPKey()
    response = client.post("/oauth/token", {"grant_type": "client_credentials", "audience": AUD},
                           HTTP_AUTHORIZATION=basic(app), HTTP_DPOP=key.proof("POST", "http://testserver/oauth/token"))
    assert response.status_code == 200 and response.json()["token_type"] == "DPoP", response.content
    token, url = response.json()["access_token"], PATHS[kind]

    def call(proof: str, status: int) -> None:
        answer = client.get(url, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
        assert answer.status_code == status, answer.content

    call(key.proof("GET", "http://testserver" + url, access_token=token), 200)  # first sight of the token
    proof = key.proof("GET", "http://testserver" + url, access_token=token)
    with RedisCommands(*redis_cache) as commands, CaptureQueriesContext(connection) as queries:
        call(proof, 200)
    assert (commands.verbs(), len(queries)) == (["SET"], 0)
    assert " NX " in commands.commands[0].upper() + " " and ":authflows:dpop:jti:" in commands.commands[0]
    with RedisCommands(*redis_cache) as commands:
        call(proof, 401)
    assert commands.verbs() == ["SET"]


@pytest.mark.django_db(transaction=True)
def test_a_client_credentials_grant_is_two_round_trips(client, make_client, make_api, redis_cache):
    """As in production (rows committed and kept): the failed-authentication counters and the registry's
    generation in one MGET, then the client's token count (django-redis's atomic incr, an EVAL); one INSERT."""
    app = make_client("m2m")
    create_client_grant(app, make_api(), ["read:messages"])

    def token() -> None:
        response = client.post("/oauth/token", {"grant_type": "client_credentials", "audience": AUD},
                               HTTP_AUTHORIZATION=basic(app))
        assert response.status_code == 200, response.content

    token()
    token()  # the token count's window is open
    verbs, sql = counted(redis_cache, token)
    # two round trips; EXISTS and INCRBY are the script's own, run inside Redis (MONITOR lists them too)
    assert (verbs, sql) == (["MGET", "EVAL", "EXISTS", "INCRBY"], 1)
