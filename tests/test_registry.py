"""The per-process registry of applications, APIs and client grants: token requests stop querying
them, and every change made through the ORM is seen by the next request."""
from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from django_authflows import applications, presets, registry
from django_authflows.apis import create_client_grant
from django_authflows.models import Application, ClientGrant

AUD = "https://api.example.test/"
# Every test commits, as a deployment does: the registry keeps nothing from an open transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def m2m(make_client: Any, make_api: Any) -> Any:
    api = make_api(AUD)
    app = make_client(presets.M2M, name="Billing job")
    create_client_grant(app, api, ["read:messages"])
    return app


def grant(client: Any, app: Any, secret: str | None = None, **data: str) -> Any:
    return client.post("/oauth/token", {"grant_type": "client_credentials", "audience": AUD, **data},
                       HTTP_AUTHORIZATION=basic(app.client_id, secret or app.secret))


def basic(client_id: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def reads_of(queries: CaptureQueriesContext, *models: Any) -> list[str]:
    tables = [m._meta.db_table for m in models]
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith("SELECT") and any(f'"{t}"' in q["sql"] for t in tables)]


def test_a_second_grant_reads_neither_the_application_nor_the_client_grant(client: Any, m2m: Any) -> None:
    with CaptureQueriesContext(connection) as first:
        assert grant(client, m2m).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert grant(client, m2m).status_code == 200
    assert reads_of(first, Application, ClientGrant)  # the first request loads them
    assert reads_of(second, Application, ClientGrant) == []


def test_a_rotated_secret_stops_working_on_the_next_request(client: Any, m2m: Any) -> None:
    assert grant(client, m2m).status_code == 200
    new = applications.rotate_secret(Application.objects.get(pk=m2m.pk))
    assert grant(client, m2m).status_code == 401
    assert grant(client, m2m, new).status_code == 200


def test_a_removed_client_grant_and_a_narrowed_one_apply_at_once(client: Any, m2m: Any) -> None:
    assert grant(client, m2m, scope="read:messages").status_code == 200
    row = ClientGrant.objects.get(application=m2m)
    row.scopes = []
    row.save()
    refused = grant(client, m2m, scope="read:messages")
    assert refused.status_code == 400 and "read:messages" in refused.json()["error_description"]
    row.delete()
    gone = grant(client, m2m)
    assert gone.status_code == 400 and gone.json()["error"] == "access_denied"


def test_a_deleted_application_is_unknown_at_once(client: Any, m2m: Any) -> None:
    assert grant(client, m2m).status_code == 200
    Application.objects.filter(pk=m2m.pk).delete()  # QuerySet.delete() still sends post_delete per row
    assert grant(client, m2m).status_code == 401


def test_a_bulk_update_is_seen_after_changed(client: Any, m2m: Any) -> None:
    assert grant(client, m2m).status_code == 200
    Application.objects.filter(pk=m2m.pk).update(authorization_grant_type="authorization-code",
                                                   grant_types="authorization_code")
    registry.changed()  # QuerySet.update() sends no signal: code that uses it says so
    denied = grant(client, m2m)
    assert denied.status_code in (400, 401) and denied.json()["error"] == "unauthorized_client"


def test_a_change_rolled_back_never_reaches_the_registry(m2m: Any) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        app = Application.objects.get(pk=m2m.pk)
        app.name = "Renamed, then rolled back"
        app.save()
        assert registry.application(m2m.client_id).name == "Renamed, then rolled back"  # this transaction sees it
        raise RuntimeError
    assert registry.application(m2m.client_id).name == "Billing job"


def test_each_caller_gets_its_own_copy(m2m: Any) -> None:
    first = registry.application(m2m.client_id)
    first.name = "changed by one request"
    assert registry.application(m2m.client_id).name == "Billing job"


def test_an_unknown_client_is_remembered_until_one_is_created(client: Any, make_client: Any) -> None:
    assert registry.application("not-yet") is None
    with CaptureQueriesContext(connection) as again:
        assert registry.application("not-yet") is None
    assert reads_of(again, Application) == []  # unknown and known client_ids cost the same
    app = make_client(presets.M2M, name="Late")
    Application.objects.filter(pk=app.pk).update(client_id="not-yet")
    registry.changed()
    assert registry.application("not-yet").pk == app.pk


def test_another_process_changing_a_row_is_seen_through_the_generation(m2m: Any) -> None:
    assert registry.application(m2m.client_id).name == "Billing job"
    # Another process saves the row: this process only sees the database and the shared generation.
    Application.objects.filter(pk=m2m.pk).update(name="Renamed elsewhere")
    assert registry.application(m2m.client_id).name == "Billing job"  # no signal here, same generation
    registry.write_generation("set-by-the-other-process")  # the database here, Redis in production
    assert registry.application(m2m.client_id).name == "Renamed elsewhere"


def test_one_generation_read_per_request(client: Any, m2m: Any, monkeypatch: Any) -> None:
    assert grant(client, m2m).status_code == 200  # the application and the client grant are kept
    reads = []
    real_read = registry.read_generation
    monkeypatch.setattr(registry, "read_generation", lambda: (reads.append(1), real_read())[1])
    assert grant(client, m2m).status_code == 200  # two lookups: the application, then the client grant
    assert len(reads) == 1
    registry.write_generation("changed-by-another-process")
    reads.clear()
    assert grant(client, m2m).status_code == 200  # the next request reads the new generation
    assert len(reads) == 1


def test_with_a_per_process_cache_the_generation_is_in_the_database(settings: Any) -> None:
    assert registry.in_database()  # the test settings keep Django's default LocMemCache
    registry.write_generation("from-another-process")
    from django_authflows.models import RegistryGeneration

    assert RegistryGeneration.objects.get().value == registry.read_generation() == "from-another-process"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert registry.in_database()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": "/nonexistent-never-written"}}
    assert not registry.in_database()  # a cache every process shares carries it
