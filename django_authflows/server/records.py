"""Access-token records written as one INSERT, without a model instance.

DOT records every access token it issues (revocation, introspection and the admin read the rows) with
``AccessToken(...).save()`` inside ``transaction.atomic()``: building the instance, its field descriptors,
the save machinery and the INSERT's SQL cost more than the INSERT itself. :func:`insert_access_token` writes
the same row, with the same columns and values as DOT's ``_create_access_token`` (RFC 9700 token storage
included: only the SHA-256 checksum when ``COMPLIANT_BCP_RFC9700_TOKEN_STORAGE`` is on), from an INSERT whose
SQL Django's own compiler made once per database. It falls back to ``save()`` when the model is not the one it
knows (a swapped model with other columns) or when something listens to the model's signals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import signals
from django.db.models.sql import InsertQuery
from oauth2_provider.models import get_access_token_model, set_token_value
from oauth2_provider.settings import oauth2_settings

#: The columns of DOT's AccessToken, by field name: a model with other fields is saved the ORM way.
_FIELDS = frozenset(
    {
        "user",
        "source_refresh_token",
        "token",
        "token_checksum",
        "id_token",
        "application",
        "expires",
        "scope",
        "resource",
        "created",
        "updated",
    }
)


class _Plan:
    """The INSERT for one model on one database: its SQL, and for each column its attname and the function
    that turns a value into the database's parameter, as ``Field.get_db_prep_save`` does for the values
    written here (None for a value passed as it is: text, and NULL foreign keys)."""

    def __init__(self, sql: str, columns: list[tuple[str, Callable[[Any, Any], Any] | None]]) -> None:
        self.sql, self.columns = sql, columns


def _adapt_datetime(value: Any, connection: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _converter(field: Any) -> Callable[[Any, Any], Any] | None:
    """``field.get_db_prep_save`` for the values :func:`insert_access_token` writes: text (str) and NULL
    foreign keys pass as they are; a datetime (aware with USE_TZ, as ``timezone.now()`` makes it) goes
    through the backend's adapter, as ``DateTimeField.get_db_prep_value`` sends it; anything else through
    the field itself."""
    if field.name in ("user", "source_refresh_token", "id_token"):
        return None  # always NULL here, which get_db_prep_save passes through
    if isinstance(field, (models.CharField, models.TextField)) and (
        type(field).get_db_prep_value is models.Field.get_db_prep_value
        and type(field).get_prep_value in (models.CharField.get_prep_value, models.TextField.get_prep_value)
    ):
        return None  # str in, str out
    if type(field) is models.DateTimeField:
        return _adapt_datetime
    return field.get_db_prep_save


#: (model, database alias) -> its plan, or None when the model is saved the ORM way.
_plans: dict[tuple[Any, str], _Plan | None] = {}


def _plan(model: Any, alias: str) -> _Plan | None:
    key = (model, alias)
    if key in _plans:
        return _plans[key]
    opts = model._meta
    fields = [f for f in opts.local_concrete_fields if not f.primary_key and not getattr(f, "generated", False)]
    plan = None
    if {f.name for f in fields} == _FIELDS and not any(hasattr(f, "get_placeholder") for f in fields):
        # Django's compiler writes the statement once, for a throwaway instance; only its SQL is kept.
        query = InsertQuery(model)
        query.insert_values(fields, [model(token="", token_checksum="", scope="", resource=[], expires=None)])
        statements = query.get_compiler(using=alias).as_sql()
        if len(statements) == 1:
            plan = _Plan(statements[0][0], [(f.attname, _converter(f)) for f in fields])
    _plans[key] = plan
    return plan


def _listened(model: Any) -> bool:
    """Whether a receiver of ``pre_save`` or ``post_save`` expects the instance that ``save()`` would send."""
    return signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)


def insert_access_token(
    *, application: Any, raw_token: str, scope: str, expires: datetime, now: datetime, resource: list[str]
) -> None:
    """Record an access token of ``application`` without a user, refresh token or ID token (the
    client-credentials grant), as DOT's ``_create_access_token`` records it. Raises IntegrityError when the
    application no longer exists."""
    model = get_access_token_model()
    alias = router.db_for_write(model)
    plan = None if _listened(model) else _plan(model, alias)
    if plan is None:
        record = model(
            user=None,
            scope=scope,
            expires=expires,
            id_token=None,
            application=application,
            source_refresh_token=None,
            resource=resource,
        )
        set_token_value(record, raw_token)
        with transaction.atomic(using=alias):
            record.save()
        return
    stored = "" if oauth2_settings.COMPLIANT_BCP_RFC9700_TOKEN_STORAGE else raw_token
    values = {
        "user_id": None,
        "source_refresh_token_id": None,
        "token": stored,
        "token_checksum": hashlib.sha256(raw_token.encode("utf-8")).hexdigest(),
        "id_token_id": None,
        "application_id": application.pk,
        "expires": expires,
        "scope": scope,
        "resource": resource,
        "created": now,
        "updated": now,
    }
    connection = connections[alias]
    params = [
        values[attname] if convert is None else convert(values[attname], connection)
        for attname, convert in plan.columns
    ]
    if connection.in_atomic_block:  # a savepoint, as DOT's atomic(): a failed INSERT leaves the outer block usable
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
    else:  # autocommit: the single statement is its own transaction
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
