"""The client-credentials grant's lean path (views/token.py TokenView.client_credentials) answers exactly as
oauthlib's path does: status, headers in order, JSON fields in order, the token's header and claims, the
AccessToken row and the audit lines, for each way a client asks, refusals included."""
from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from oauth2_provider.models import AccessToken

from django_authflows.apis import create_client_grant
from django_authflows.models import Api, Application
from django_authflows.server.views import token as token_view

from ..dpop_client import DPoPKey
from ..oauth import ISSUER, TOKEN_URL, basic
from .test_private_key_jwt import ASSERTION_TYPE, claims_for, new_key, public_set, sign

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"
ES = "https://es.example.test/"
HTU = ISSUER + "oauth/token"
#: Claims that differ from one token to the next whichever path made it.
PER_TOKEN = {"jti", "iat", "exp"}


def segment(value: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))


def answer(client: Any, caplog: Any, send: Callable[[], Any]) -> dict[str, Any]:
    """Everything a client, an auditor or the token tables can observe of one request."""
    before = set(AccessToken.objects.values_list("pk", flat=True))
    caplog.clear()
    response = send()
    audit = [r.getMessage() for r in caplog.records if r.name == "django_authflows.audit"]
    body = json.loads(response.content)
    out: dict[str, Any] = {
        "status": response.status_code,
        "headers": list(response.items()),
        "fields": list(body),
        "body": {k: v for k, v in body.items() if k != "access_token"},
        "audit": audit,
    }
    if "access_token" in body:
        head, payload, _sig = body["access_token"].split(".")
        claims = segment(payload)
        out["jwt_header"] = segment(head)
        out["claims"] = {k: v for k, v in claims.items() if k not in PER_TOKEN}
        out["claim_order"] = list(claims)
        out["lifetime"] = claims["exp"] - claims["iat"]
    rows = list(AccessToken.objects.exclude(pk__in=before).values())
    for row in rows:
        lifetime = (row.pop("expires") - row["created"]).total_seconds()
        row["lifetime"] = round(lifetime)
        for key in ("id", "token_checksum", "created", "updated"):
            row.pop(key)
    out["rows"] = rows
    return out


@pytest.fixture
def m2m(make_client, make_api):
    api = make_api()
    app = make_client("m2m", name="Cron job")
    create_client_grant(app, api, ["read:messages", "write:messages"])
    es = make_api(ES, token_lifetime=600, signing_alg="ES256")
    create_client_grant(app, es, ["read:messages"])
    return app


@pytest.fixture
def key_client(make_client, m2m):
    key = new_key()
    app = make_client("m2m", auth_method="private_key_jwt", jwks=public_set(key))
    create_client_grant(app, Api.objects.get(identifier=AUD), ["read:messages"])
    return app, key


def requests_for(client: Any, m2m: Any, key_client: Any, make_client: Any) -> dict[str, Callable[[], Any]]:
    auth = {"HTTP_AUTHORIZATION": basic(m2m.client_id, m2m.secret)}
    cc = {"grant_type": "client_credentials"}
    dpop_key = DPoPKey()
    pk_app, pk_key = key_client
    regular = make_client("regular")
    required = make_client("m2m")
    create_client_grant(required, Api.objects.get(identifier=AUD), ["read:messages"])
    Application.objects.filter(pk=required.pk).update(require_dpop=True)
    post = {"client_id": m2m.client_id, "client_secret": m2m.secret}

    def assertion() -> dict[str, str]:
        return {"client_assertion_type": ASSERTION_TYPE,
                "client_assertion": sign(pk_key, claims_for(pk_app.client_id))}

    return {
        "basic": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD}, **auth),
        "post": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD, **post}),
        "json": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD, **post}, content_type="application/json"),
        "resource": lambda: client.post(TOKEN_URL, {**cc, "resource": AUD}, **auth),
        "narrowed": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD, "scope": "write:messages"}, **auth),
        "both_scopes": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD,
                                                       "scope": "write:messages read:messages"}, **auth),
        "es256_api": lambda: client.post(TOKEN_URL, {**cc, "audience": ES}, **auth),
        "dpop": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD}, HTTP_DPOP=dpop_key.proof("POST", HTU),
                                    **auth),
        "private_key_jwt": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD, **assertion()}),
        "private_key_jwt_dpop": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD, **assertion()},
                                                    HTTP_DPOP=dpop_key.proof("POST", HTU)),
        # refusals: the lean path hands them to oauthlib, or answers them as it does
        "empty_scope": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD, "scope": ""}, **auth),
        "wider_scope": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD, "scope": "delete:all"}, **auth),
        "unknown_audience": lambda: client.post(TOKEN_URL, {**cc, "audience": "https://nope/"}, **auth),
        "no_audience": lambda: client.post(TOKEN_URL, cc, **auth),
        "query_string": lambda: client.post(TOKEN_URL + "?audience=x", {**cc, "audience": AUD}, **auth),
        "regular_app": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD}, HTTP_AUTHORIZATION=basic(
            regular.client_id, regular.secret)),
        "dpop_required_without_proof": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD},
                                                           HTTP_AUTHORIZATION=basic(required.client_id,
                                                                                    required.secret)),
        "dpop_required_with_proof": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD},
                                                        HTTP_DPOP=dpop_key.proof("POST", HTU),
                                                        HTTP_AUTHORIZATION=basic(required.client_id,
                                                                                 required.secret)),
        "wrong_secret": lambda: client.post(TOKEN_URL, {**cc, "audience": AUD},
                                            HTTP_AUTHORIZATION=basic(m2m.client_id, "wrong")),
    }


def test_both_paths_answer_alike(client, caplog, monkeypatch, m2m, key_client, make_client):
    caplog.set_level(logging.INFO, logger="django_authflows.audit")
    cases = requests_for(client, m2m, key_client, make_client)
    client.get("/.well-known/jwks.json")  # the signing keys exist before either path signs
    for name, send in cases.items():
        monkeypatch.setattr(token_view, "LEAN_CLIENT_CREDENTIALS", True)
        lean = answer(client, caplog, send)
        monkeypatch.setattr(token_view, "LEAN_CLIENT_CREDENTIALS", False)
        oauthlib = answer(client, caplog, send)
        assert lean == oauthlib, name
        if name in {"basic", "dpop", "private_key_jwt", "es256_api"}:
            assert lean["status"] == 200 and len(lean["rows"]) == 1, name


def test_the_lean_path_answers_the_usual_requests(client, caplog, m2m, key_client, make_client):
    """Not oauthlib: its grant is never asked (the lean path is on by default)."""
    from django_authflows.server.core import get_core

    grant = get_core().server.grant_types["client_credentials"]
    calls = []
    original = grant.create_token_response

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    grant.create_token_response = spy
    try:
        cases = requests_for(client, m2m, key_client, make_client)
        for name in ("basic", "post", "json", "resource", "dpop", "private_key_jwt", "private_key_jwt_dpop"):
            assert cases[name]().status_code == 200, name
        assert calls == []
        assert cases["wider_scope"]().status_code == 400
        assert calls == [1]
    finally:
        del grant.create_token_response


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lean", [True, False])
def test_an_application_deleted_around_the_orm_is_invalid_client(client, caplog, monkeypatch, make_client, make_api,
                                                                  lean):
    """Deleted with raw SQL after this process kept its copy: the token record cannot reference it, and both
    paths answer invalid_client and drop the stale copies."""
    from django.db import connection

    monkeypatch.setattr(token_view, "LEAN_CLIENT_CREDENTIALS", lean)
    caplog.set_level(logging.INFO, logger="django_authflows.audit")
    app = make_client("m2m")
    create_client_grant(app, make_api(), ["read:messages"])
    send = lambda: client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD},  # noqa: E731
                               HTTP_AUTHORIZATION=basic(app.client_id, app.secret))
    assert send().status_code == 200  # the application and its grant are now kept by this process
    with connection.cursor() as cursor:
        for table, column in ((AccessToken._meta.db_table, "application_id"), ("authflows_clientgrant", "application_id"),
                              (Application._meta.db_table, "id")):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)} WHERE {column} = %s", [app.pk])  # noqa: S608
    caplog.clear()
    response = send()
    assert response.status_code == 401 and response.json() == {"error": "invalid_client",
                                                               "error_description": "Client authentication failed."}
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert [r.getMessage().split(" ", 1)[0] for r in caplog.records if r.name == "django_authflows.audit"] == [
        "event=token_refused"]
    assert not AccessToken.objects.exists()
    assert send().status_code == 401  # the copies were dropped: now an unknown client
