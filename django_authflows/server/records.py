"""The token endpoint's rows, written and read from SQL that Django's own compiler makes once.

DOT records every token it issues (revocation, introspection and the admin read the rows) with
``AccessToken(...).save()`` and finds codes and refresh tokens with ``.filter(...).first()``: per request,
building the query, the save machinery and the SQL cost more than the statement itself, on SQLite and on
PostgreSQL alike. Here:

- :func:`insert_access_token` writes a client-credentials access token without a model instance, with the
  same columns and values as DOT's ``_create_access_token`` (RFC 9700 token storage included: only the
  SHA-256 checksum when ``COMPLIANT_BCP_RFC9700_TOKEN_STORAGE`` is on);
- :func:`save_new` is ``save()`` for a new row (the access and refresh tokens of a code exchange or a
  refresh, a token family);
- :class:`FirstRow` is ``.first()`` for a lookup by a text column, ``select_related`` included (the code,
  the refresh token by its checksum);
- :class:`Update` is ``.filter(...).update(...)`` (the conditional UPDATEs that spend a code or a refresh
  token).

Each gives what the ORM gives, and leaves the work to the ORM where it cannot be sure of that: a model
whose signals have receivers or whose ``save()`` is its own, a swapped model with other columns, a database
other than PostgreSQL and SQLite. They rely on Django internals that are stable since Django 3 (the
compilers' ``as_sql``, ``klass_info``, ``get_related_populators``), and tests/flows/test_records.py checks
them against the ORM on every Django of the matrix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import signals
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery, UpdateQuery
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
    fields = _insert_fields(model)
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


#: The databases whose INSERT ... RETURNING, SELECT and UPDATE statements the helpers below run themselves.
_VENDORS = ("postgresql", "sqlite")
#: A plan not made yet (None: made, and the ORM does the work).
_UNSET_SQL: Any = object()


# -- any new row: save() without the save machinery ------------------------------------------------------
#: (model, database alias) -> the INSERT of :func:`save_new` (``RETURNING`` the primary key), made by Django's
#: compiler, or None when the model is saved the ORM way.
_insert_plans: dict[tuple[Any, str], str | None] = {}


def _insert_fields(model: Any) -> list[Any]:
    """The fields an INSERT writes, as ``Model._save_table`` takes them for a row without a primary key."""
    meta = model._meta
    return [f for f in meta.local_concrete_fields if f is not meta.pk and not getattr(f, "generated", False)]


def _insert_plan(obj: Any, alias: str) -> str | None:
    """The plan for ``type(obj)`` on ``alias``, made once from ``obj`` (whose values are plain: an expression
    would write its own SQL into the statement); None when this model or database needs more than one
    INSERT whose SQL never changes (a parent table, ``order_with_respect_to``, generated or returned columns
    other than the primary key, a custom placeholder, a backend that cannot return the new primary key from
    the INSERT)."""
    model = type(obj)
    key = (model, alias)
    if key in _insert_plans:
        return _insert_plans[key]
    meta = model._meta
    connection = connections[alias]
    plan = None
    if (
        not meta.parents
        and not meta.order_with_respect_to
        and meta.auto_field is not None
        and meta.auto_field is meta.pk
        and list(meta.db_returning_fields) == [meta.pk]
        and connection.features.can_return_columns_from_insert
        and connection.vendor in _VENDORS
    ):
        fields = _insert_fields(model)
        if not any(hasattr(f, "get_placeholder") for f in fields):
            query = InsertQuery(model)
            query.insert_values(fields, [obj])
            compiler = query.get_compiler(using=alias)
            compiler.returning_fields = meta.db_returning_fields
            statements = compiler.as_sql()
            if len(statements) == 1:
                plan = statements[0][0]
    _insert_plans[key] = plan
    return plan


def save_new(obj: Any) -> None:
    """``obj.save()`` for a new instance (no primary key yet) of a model whose ``save`` is Django's: the
    same INSERT with the same values (each field's ``pre_save`` and ``get_db_prep_save``, as Django's
    compiler takes them), the new primary key set on ``obj`` and the transaction marked for rollback when
    it fails, as ``save_base`` does, from SQL made once per model and database. Falls back to ``save()``
    when a receiver listens to the model's ``pre_save`` or ``post_save``, when a value is an expression
    (``db_default``, ``F()``), or when the model or database needs what :func:`_insert_plan` leaves out."""
    model = type(obj)
    if (
        obj.pk is not None
        or not obj._state.adding
        or model.save is not models.Model.save
        or model.save_base is not models.Model.save_base
        or _listened(model)
    ):
        obj.save()
        return
    obj._prepare_related_fields_for_save(operation_name="save")  # first, as save() does: it may set a key
    fields = _insert_fields(model)
    values = [field.pre_save(obj, True) for field in fields]
    if any(hasattr(value, "resolve_expression") for value in values):
        obj.save()
        return
    alias = router.db_for_write(model, instance=obj)
    plan = _insert_plan(obj, alias)
    if plan is None:
        obj.save()
        return
    connection = connections[alias]
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values, strict=True)]
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(plan, params)
        row = cursor.fetchone()  # RETURNING the primary key (PostgreSQL, SQLite)
    setattr(obj, model._meta.pk.attname, row[0])
    obj._state.adding = False
    obj._state.db = alias


# -- one row by one column: a SELECT compiled once ---------------------------------------------------------
try:  # Django 6.1: the objects of select_related take the query's fetch mode, the default one here
    from django.db.models.query import DEFAULT_FETCH_MODE  # type: ignore[attr-defined,unused-ignore]

    _FETCH_MODE: tuple[Any, ...] = (DEFAULT_FETCH_MODE,)
except ImportError:  # Django 5.2, 6.0
    _FETCH_MODE = ()


class _SelectPlan:
    def __init__(self, compiler: Any, sql: str, alias: str) -> None:
        self.sql, self.alias = sql, alias
        self.select, self.klass_info = compiler.select, compiler.klass_info
        self.model = self.klass_info["model"]
        fields = self.klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [s[0].target.attname for s in self.select[self.start : self.end]]
        self.converters = list(compiler.get_converters([s[0] for s in self.select]).items())

    def populators(self) -> list[Any]:
        """The related objects' makers, new for each row as the ORM makes them (Django 6.1's keep the
        objects they made, for its fetch modes)."""
        args: tuple[Any, ...] = (self.klass_info, self.select, self.alias, *_FETCH_MODE)
        return get_related_populators(*args)

    def first(self, connection: Any, param: Any) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [param])
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = list(row)
            for position, (converters, expression) in self.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
        obj = self.model.from_db(self.alias, self.init_list, row[self.start : self.end])
        for populator in self.populators():
            populator.populate(row, obj)
        return obj


class FirstRow:
    """``build(model, value).first()`` for a query that selects one model's rows (with ``select_related``) by
    one value of ``column``: Django's compiler writes its SQL on the first call for each model and database,
    and later calls run it with the value as the column's field prepares it (``get_db_prep_value``) and
    make the instances as the ORM makes them (``from_db``, the objects of ``select_related``, the database's
    converters). The first call checks that the compiler's parameters are that value alone, else the model
    is read the ORM way. ``build`` must order its rows (``first()`` adds the primary key's order only to an
    unordered query)."""

    def __init__(self, build: Callable[[Any, Any], Any], column: str) -> None:
        self.build, self.column = build, column
        self.plans: dict[tuple[Any, str], _SelectPlan | None] = {}

    def first(self, model: Any, value: Any) -> Any:
        alias = router.db_for_read(model)
        key = (model, alias)
        plan = self.plans.get(key, _UNSET_SQL)
        if plan is None or value is None:  # None is IS NULL: no parameter
            return self.build(model, value).first()
        connection = connections[alias]
        param = model._meta.get_field(self.column).get_db_prep_value(value, connection, prepared=False)
        if plan is _UNSET_SQL:
            compiler = self.build(model, value)[:1].query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            usable = (
                connection.vendor in _VENDORS
                and list(params) == [param]
                and compiler.klass_info is not None
                and not compiler.annotation_col_map
            )
            plan = self.plans[key] = _SelectPlan(compiler, sql, alias) if usable else None
            if plan is None:
                return self.build(model, value).first()
        return plan.first(connection, param)


# -- a conditional UPDATE: SQL compiled once --------------------------------------------------------------
class Update:
    """``model._base_manager.filter(**where).update(**values)``, the claims of single-use rows (a code, a
    refresh token), from SQL that Django's compiler writes on the first call for each model, database and
    set of NULL conditions. Later calls make the parameters themselves, as the compiler makes them (each
    value through its field's ``get_db_prep_save``, each condition through ``get_db_prep_value``, the
    conditions in the order ``filter()`` sorts its keywords, a None condition being ``IS NULL``); the first
    call checks that they equal the compiler's, and a model where they differ is updated the ORM way. Only
    plain values of the model's own fields: no expressions (``F()``), no lookups other than equality."""

    def __init__(self) -> None:
        self.plans: dict[tuple[Any, str, tuple[str, ...], tuple[str, ...]], str | None] = {}

    @staticmethod
    def _params(model: Any, connection: Any, where: dict[str, Any], values: dict[str, Any]) -> list[Any]:
        meta = model._meta
        field = meta.get_field
        params = [field(name).get_db_prep_save(value, connection) for name, value in values.items()]
        params += [
            (meta.pk if name == "pk" else field(name)).get_db_prep_value(where[name], connection, prepared=False)
            for name in sorted(where)
            if where[name] is not None
        ]
        return params

    def run(self, model: Any, where: dict[str, Any], values: dict[str, Any]) -> int:
        """The number of rows updated, as ``update()`` returns it."""
        alias = router.db_for_write(model)
        key = (
            model,
            alias,
            tuple(name if value is None else "" for name, value in sorted(where.items())),
            tuple(values),
        )
        connection = connections[alias]
        sql = self.plans.get(key, _UNSET_SQL)
        if sql is None:
            return int(model._base_manager.filter(**where).update(**values))
        params = self._params(model, connection, where, values)
        if sql is _UNSET_SQL:
            query = model._base_manager.filter(**where).query.chain(UpdateQuery)
            query.add_update_values(values)
            compiled, compiled_params = query.get_compiler(using=alias).as_sql()
            usable = (
                connection.vendor in _VENDORS
                and not query.related_updates  # a parent model's fields: more than one statement
                and list(compiled_params) == params
            )
            sql = self.plans[key] = compiled if usable else None
            if sql is None:
                return int(model._base_manager.filter(**where).update(**values))
        with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.rowcount)
