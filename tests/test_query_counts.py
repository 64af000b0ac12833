"""SQL queries per request (deterministic, so plain tests; speed itself is measured in bench/)."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_authflows import registry
from django_authflows.apis import create_client_grant

from . import oauth
from .oauth import TOKEN_URL, query

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"


def basic(app):
    return oauth.basic(app.client_id, app.secret)


def count(fn):
    with CaptureQueriesContext(connection) as captured:
        response = fn()
    assert response.status_code == 200, response.content
    # SAVEPOINTs come from the test's own transaction (in production atomic() is BEGIN/COMMIT, not logged)
    queries = [q for q in captured if "SAVEPOINT" not in q["sql"]]
    return len(queries), "\n".join(q["sql"][:70] + " ... " + q["sql"][-40:] for q in queries)


def statements(fn):
    """Like count(), without transaction control: what the request itself reads and writes."""
    n, sql = count(fn)
    kept = [line for line in sql.splitlines() if not line.startswith(("BEGIN", "COMMIT"))]
    return len(kept), "\n".join(kept)


def without_generation_read(n, sql):
    """With a per-process cache (these tests' LocMemCache) the registry reads its generation from the
    database: exactly one indexed read of one row per request that uses kept rows (registry.py). With a
    shared cache that read goes to the cache (see the test below)."""
    lines = sql.splitlines()
    reads = [line for line in lines if "authflows_registrygeneration" in line]
    assert len(reads) == (1 if registry.in_database() else 0), sql
    assert all(line.startswith("SELECT value FROM") and "WHERE id = " in line for line in reads), sql
    return n - len(reads), "\n".join(line for line in lines if line not in reads)


def test_code_exchange_with_openid_in_at_most_7_queries(client, authorize, make_client, make_api):
    make_api()
    app = make_client("regular")
    client.get("/.well-known/jwks.json")  # keys exist, as on any running server
    code = query(authorize(app, audience=AUD, scope="openid profile email offline_access read:messages")
                 ["Location"])["code"]
    n, sql = count(lambda: client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code,
                                                   "redirect_uri": app.redirect_uri_list[0]},
                                       HTTP_AUTHORIZATION=basic(app)))
    assert n <= 7, sql


def test_client_credentials_queries(client, make_client, make_api):
    app = make_client("m2m")
    create_client_grant(app, make_api(), ["read:messages"])
    client.get("/.well-known/jwks.json")
    post = lambda: client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD},  # noqa: E731
                               HTTP_AUTHORIZATION=basic(app))
    post()
    n, sql = count(post)
    assert n <= 3, sql  # the application, its client grant with the API, the token record



@pytest.fixture(params=["locmem", "shared"])
def cache_kind(request, settings, tmp_path):
    """Django's default per-process cache (the registry's generation in the database), or a cache that
    processes share (FileBasedCache here; Redis in production) that carries it."""
    if request.param == "shared":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                       "LOCATION": str(tmp_path / "cache")}}
    assert registry.in_database() == (request.param == "locmem")
    return request.param


@pytest.mark.django_db(transaction=True)
def test_with_committed_rows_the_registry_leaves_only_the_writes(client, authorize, make_client, make_api,
                                                                 cache_kind):
    """As in production (rows committed, so the registry keeps them): a client-credentials grant is the
    token record alone, and a code exchange with openid reads no application and no API."""
    api = make_api()
    m2m, web = make_client("m2m"), make_client("regular")
    create_client_grant(m2m, api, ["read:messages"])
    client.get("/.well-known/jwks.json")
    post = lambda: client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD},  # noqa: E731
                               HTTP_AUTHORIZATION=basic(m2m))
    post()
    n, sql = without_generation_read(*statements(post))
    assert n == 1 and sql.startswith("INSERT"), sql

    def exchange():
        code = query(authorize(web, audience=AUD, scope="openid profile email read:messages")["Location"])["code"]
        return client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code,
                                       "redirect_uri": web.redirect_uri_list[0]}, HTTP_AUTHORIZATION=basic(web))

    exchange()
    code = query(authorize(web, audience=AUD, scope="openid profile email read:messages")["Location"])["code"]
    n, sql = without_generation_read(*statements(lambda: client.post(
        TOKEN_URL, {"grant_type": "authorization_code", "code": code, "redirect_uri": web.redirect_uri_list[0]},
        HTTP_AUTHORIZATION=basic(web))))
    # the code (read), the token record, the code claimed with what it issued (for replay revocation)
    assert n <= 3 and "authflows_application" not in sql and "authflows_api" not in sql, sql


@pytest.mark.django_db(transaction=True)
def test_a_refresh_reads_the_token_and_its_family_then_writes_the_rotation(client, authorize, make_client,
                                                                            make_api, cache_kind):
    """Rotation: the refresh token (with its user and access token) and its family are read, then one
    transaction claims the token and writes its successors. Nothing is read twice."""
    make_api()
    web = make_client("regular")
    client.get("/.well-known/jwks.json")
    code = query(authorize(web, audience=AUD, scope="openid profile email offline_access read:messages")
                 ["Location"])["code"]
    tokens = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code,
                                     "redirect_uri": web.redirect_uri_list[0]}, HTTP_AUTHORIZATION=basic(web)).json()

    def refresh():
        response = client.post(TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                               HTTP_AUTHORIZATION=basic(web))
        tokens.update(response.json())
        return response

    refresh()
    n, sql = without_generation_read(*statements(refresh))
    writes = [line for line in sql.splitlines() if not line.startswith("SELECT")]
    assert n <= 5 and len(writes) == 3, sql  # the token and its family; the claim, the access and refresh tokens
    assert "authflows_application" not in sql and "authflows_api" not in sql, sql
