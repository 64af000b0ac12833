"""Per-process copies of the rows every token request reads: applications, APIs and client grants.

A client-credentials grant used to spend most of its time compiling two ORM queries (the application,
then its client grant with the API) that return the same rows every time. This module keeps them in
process memory instead, and keeps them correct across processes:

- every ``save()`` or ``delete()`` of an application, API or client grant, in any process (the admin,
  the CLI, a secret rotation), writes a new random *generation* where every process reads it: Django's
  cache when it is shared (Redis in production), else the database (one row), because a per-process
  cache (LocMemCache, DummyCache) would keep the change to the process that made it;
- a request that would use a kept copy first reads the generation (once per request) and drops all
  copies when it changed, so a change made through the ORM takes effect on the very next request
  everywhere, a revoked secret, a deleted application or API, or a removed grant included;
- a copy is also dropped after :data:`MAX_AGE` seconds, for changes made around the ORM (raw SQL,
  ``QuerySet.update()``); call :func:`changed` after those.

Unknown client_ids and audiences are remembered too (bounded, keyed by a 16-byte hash, never by the
string an attacker sent), so that a wrong client_id and a wrong secret cost the same and an attacker
cannot tell which client_ids exist from the response time.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.db.models.base import ModelState

GENERATION_KEY = "authflows:registry:generation"
#: Longest a copy is used without reading the row again.
MAX_AGE = 60.0
#: Most entries kept per process (least recently used go first).
MAX_ENTRIES = 10_000
#: Cache backends that are not shared between processes: the generation then lives in the database.
PROCESS_LOCAL_CACHES = ("LocMemCache", "DummyCache")
_GENERATION_PK = 1

_MISSING = object()
#: Set while this thread's open transaction has changed a registered row: its lookups are not kept, so
#: a row that may still be rolled back never reaches the other threads.
_local = threading.local()


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
        self._generation: str | None = None

    def _current_generation(self) -> str:
        """The shared generation, read at most once per HTTP request (a token request looks up the
        application, then its client grant or API: one read, not one per lookup), and on every call
        outside one."""
        generation = getattr(_local, "request_generation", None)
        if generation is not None:
            return generation
        generation = read_generation()
        if getattr(_local, "in_request", False):
            _local.request_generation = generation
        return generation

    def lookup(self, key: tuple[Any, ...], load: Any) -> Any:
        """The copy for ``key``, loaded with ``load()`` (which returns None for "no such row") when absent,
        stale or from an older generation. The generation is read only to use a kept copy: a request that
        finds nothing kept reads the rows, and nothing else."""
        if getattr(_local, "dirty", False):
            if connection.in_atomic_block:  # this transaction changed a row: read its own view, keep nothing
                return load()
            _local.dirty = False
        now = time.monotonic()
        entry = self._entries.get(key, _MISSING)
        if entry is not _MISSING and entry[0] > now:  # type: ignore[index]
            generation: str | None = self._current_generation()
            if generation == self._generation:
                return entry[1]  # type: ignore[index]
            with self._lock:
                self._entries.clear()
                self._generation = generation
        generation = self._generation
        if generation is None:  # a fresh process, or just cleared: copies are tagged with a generation read first
            read = self._current_generation()
            with self._lock:
                if self._generation is None:
                    self._generation = read
                generation = self._generation
        # Every kept copy was loaded after its generation was read: when that generation is still current,
        # no change was published since the load.
        value = load()
        with self._lock:
            if self._generation == generation:
                self._entries[key] = (now + MAX_AGE, value)
                self._entries.move_to_end(key)
                while len(self._entries) > MAX_ENTRIES:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation = None


registry = Registry()


def changed(**kwargs: Any) -> None:
    """Tell every process that an application, API or client grant changed (connected to their
    ``post_save`` and ``post_delete``, and called after bulk updates).

    The new generation is published when the transaction commits: published earlier, another process
    could read the row before the commit and keep the old version under the new generation."""
    registry.clear()
    _local.request_generation = None
    if connection.in_atomic_block:
        _local.dirty = True
    transaction.on_commit(_publish_generation)


def _publish_generation() -> None:
    _local.dirty = False
    _local.request_generation = None
    write_generation(uuid.uuid4().hex)
    registry.clear()


@lru_cache(maxsize=1)
def in_database() -> bool:
    """True when the default cache is per process, so the generation must live in the database."""
    backend = (
        (getattr(settings, "CACHES", {}) or {})
        .get("default", {})
        .get("BACKEND", "django.core.cache.backends.locmem.LocMemCache")
    )
    return backend.endswith(PROCESS_LOCAL_CACHES)


def _generation_table() -> str:
    from .models import RegistryGeneration

    return connection.ops.quote_name(RegistryGeneration._meta.db_table)


def read_generation() -> str:
    """The current generation: one indexed read of one row, or one cache read."""
    if in_database():
        with connection.cursor() as cursor:  # raw SQL: this runs on every request that uses a kept copy
            cursor.execute(f"SELECT value FROM {_generation_table()} WHERE id = %s", [_GENERATION_PK])  # noqa: S608
            row = cursor.fetchone()
        return row[0] if row else ""
    generation = cache.get(GENERATION_KEY)
    if generation is None:  # never set, or evicted: start one (every process then sees the same value)
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        generation = cache.get(GENERATION_KEY) or ""
    return generation


def shared_generation_key() -> str | None:
    """The cache key of the generation when it lives in the shared cache (so it can be read along with other
    keys), else None."""
    return None if in_database() else GENERATION_KEY


def prime_generation(value: Any) -> None:
    """The generation, read from the shared cache with other keys at the start of this request (one round
    trip instead of two): the request's lookups use it as :func:`read_generation` would have returned it."""
    if isinstance(value, str) and value and getattr(_local, "in_request", False) and not in_database():
        _local.request_generation = value


def write_generation(value: str) -> None:
    """Publish ``value`` as the generation every process reads (called after the change committed)."""
    if in_database():
        from .models import RegistryGeneration

        RegistryGeneration.objects.update_or_create(pk=_GENERATION_PK, defaults={"value": value})
    else:
        cache.set(GENERATION_KEY, value, timeout=None)


def _cache_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "CACHES":
        in_database.cache_clear()
        registry.clear()


setting_changed.connect(_cache_changed)


def _short(value: str) -> bytes:
    """The key a looked-up string is kept under: a hash, so that a 2 MB client_id keeps 16 bytes."""
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _too_long(model: Any, field: str, value: str) -> bool:
    """No row can hold a value longer than its column: such a lookup reads and keeps nothing."""
    return len(value) > (model._meta.get_field(field).max_length or len(value))


def _clone(instance: Any) -> Any:
    """A shallow copy of a model instance with its own state (``copy.copy`` goes through pickling at
    several times the cost, and this runs on every token request)."""
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__ = instance.__dict__.copy()
    state = clone._state = ModelState()  # an empty relation cache: related rows are loaded per request
    state.db, state.adding = instance._state.db, False
    return clone


def application(client_id: str) -> Any | None:
    """The application with ``client_id``, or None. Each caller gets its own copy of the instance, so
    nothing one request sets on it is seen by another."""
    from oauth2_provider.models import get_application_model

    model = get_application_model()
    if _too_long(model, "client_id", client_id):
        return None
    app = registry.lookup(("app", _short(client_id)), lambda: model.objects.filter(client_id=client_id).first())
    return _clone(app) if app is not None else None


def api(identifier: str) -> Any | None:
    from .models import Api

    if _too_long(Api, "identifier", identifier):
        return None
    found = registry.lookup(("api", _short(identifier)), lambda: Api.objects.filter(identifier=identifier).first())
    return _clone(found) if found is not None else None


def client_grant(application_id: Any, identifier: str) -> Any | None:
    """The client grant of an application for the API ``identifier``, with its API, or None."""
    from .models import Api, ClientGrant

    if _too_long(Api, "identifier", identifier):
        return None
    found = registry.lookup(
        ("grant", application_id, _short(identifier)),
        lambda: (
            ClientGrant.objects.select_related("api")
            .filter(application_id=application_id, api__identifier=identifier)
            .first()
        ),
    )
    if found is None:
        return None
    grant = _clone(found)
    grant.api = _clone(found.api)
    return grant


def _request_started(**kwargs: Any) -> None:
    _local.in_request, _local.request_generation = True, None


def _request_finished(**kwargs: Any) -> None:
    _local.in_request, _local.request_generation = False, None


def connect() -> None:
    from django.core.signals import request_finished, request_started
    from django.db.models.signals import post_delete, post_save
    from oauth2_provider.models import get_application_model

    from .models import Api, ClientGrant

    request_started.connect(_request_started, dispatch_uid="authflows_registry_request_started")
    request_finished.connect(_request_finished, dispatch_uid="authflows_registry_request_finished")
    for model in (get_application_model(), Api, ClientGrant):
        post_save.connect(changed, sender=model, dispatch_uid=f"authflows_registry_save_{model._meta.label}")
        post_delete.connect(changed, sender=model, dispatch_uid=f"authflows_registry_delete_{model._meta.label}")
