"""From django-oauth-toolkit: a DOT project's stock applications moved onto ours (RFC 6749 §2 client registration).

`manage.py authflows import-dot`, run once the project's settings name ``authflows.Application``:

1. *Set aside* (only while DOT's migrations are recorded and ours are not): DOT's tables are copied to
   ``authflows_dot_*`` (rows only, so no index or constraint name collides), dropped, and DOT's migration
   records removed, so that ``migrate`` creates our tables and DOT's token tables pointing at them.
2. *Migrate* (``call_command("migrate")``).
3. *Import*: each row of ``authflows_dot_application`` becomes an application with the same id, client_id and
   stored secret (DOT's PBKDF2 hash verifies and is upgraded on first use, see :mod:`hashing`). Rows that cannot
   be mapped are listed and not imported; their copy stays. Nothing is deleted that was not copied first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from . import presets

DOT_PREFIX = "oauth2_provider_"
KEPT_PREFIX = "authflows_dot_"
KEPT_APPLICATIONS = KEPT_PREFIX + "application"

# DOT's grant names (AbstractApplication.GRANT_*) -> ours; password and openid-hybrid have no counterpart.
_GRANTS = {
    "authorization-code": presets.AUTHORIZATION_CODE,
    "implicit": presets.IMPLICIT,
    "client-credentials": presets.CLIENT_CREDENTIALS,
    presets.DEVICE_CODE: presets.DEVICE_CODE,
}
_REFUSED = {
    "password": "the password grant is not served (RFC 9700 §2.4)",
    "openid-hybrid": "the OIDC hybrid flow is not served",
}


@dataclass
class Mapping:
    """One DOT application and what it becomes (``reason`` set: it is not imported)."""

    row: dict[str, Any]
    app_type: str = ""
    grants: list[str] = field(default_factory=list)
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def client_id(self) -> str:
        return self.row["client_id"]


def _tables() -> list[str]:
    return connection.introspection.table_names()


def _recorded(app: str) -> bool:
    with connection.cursor() as cursor:
        if "django_migrations" not in _tables():
            return False
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = %s", [app])
        return cursor.fetchone()[0] > 0


def needs_set_aside() -> bool:
    """DOT's tables were made for its stock Application: our migrations cannot run beside them."""
    return f"{DOT_PREFIX}application" in _tables() and _recorded("oauth2_provider") and not _recorded("authflows")


def set_aside() -> list[str]:
    """Copy DOT's tables to ``authflows_dot_*``, drop them and forget DOT's migrations; returns the copies."""
    qn = connection.ops.quote_name
    dot_tables = [t for t in _tables() if t.startswith(DOT_PREFIX)]
    kept = []
    with connection.schema_editor(atomic=True) as editor:  # one transaction (DDL is transactional here)
        for table in dot_tables:
            copy = KEPT_PREFIX + table[len(DOT_PREFIX) :]
            editor.execute(f"CREATE TABLE {qn(copy)} AS SELECT * FROM {qn(table)}")  # noqa: S608 (quoted names)
            kept.append(copy)
        cascade = " CASCADE" if connection.vendor == "postgresql" else ""  # DOT's tokens point at each other
        for table in dot_tables:
            editor.execute(f"DROP TABLE {qn(table)}{cascade}")
        editor.execute("DELETE FROM django_migrations WHERE app = %s", ["oauth2_provider"])
    return kept


def _rows(table: str) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY id")  # noqa: S608 (quoted name)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _type_for(row: dict[str, Any], grant: str) -> str:
    """Public clients: native when a callback is a loopback or private-use URI (RFC 8252), else a SPA."""
    if row["client_type"] == "confidential":
        return presets.M2M if grant == presets.CLIENT_CREDENTIALS else presets.REGULAR
    if grant == presets.DEVICE_CODE:
        return presets.NATIVE
    for uri in (row.get("redirect_uris") or "").split():
        scheme, _, rest = uri.partition("://")
        host = rest.split("/")[0].rsplit(":", 1)[0].strip("[]")
        if scheme not in {"http", "https"} or host in presets.LOOPBACK_HOSTS:
            return presets.NATIVE
    return presets.SPA


def map_row(row: dict[str, Any]) -> Mapping:
    """DOT's client_type + authorization_grant_type -> our type and grants; the URLs checked by our rules."""
    mapping = Mapping(row)
    dot_grant = row.get("authorization_grant_type") or ""
    if dot_grant in _REFUSED or dot_grant not in _GRANTS:
        mapping.reason = _REFUSED.get(dot_grant, f"unknown grant {dot_grant!r}")
        return mapping
    grant = _GRANTS[dot_grant]
    app_type = _type_for(row, grant)
    try:
        presets.check_grants(app_type, [grant])
    except ValueError as exc:  # a confidential device client, a public client-credentials client
        mapping.reason = f"{row['client_type']} {dot_grant}: {exc}"
        return mapping
    grants = [grant]
    if grant in {presets.AUTHORIZATION_CODE, presets.DEVICE_CODE}:  # DOT lets these refresh
        grants.append(presets.REFRESH_TOKEN)
    try:
        callbacks = [
            presets.validate_url(u, kind="Callback URL", app_type=app_type)
            for u in (row.get("redirect_uris") or "").split()
        ]
        presets.check_callbacks(grants, callbacks)
        for u in (row.get("post_logout_redirect_uris") or "").split():
            presets.validate_url(u, kind="Logout URL", app_type=app_type)
        for o in (row.get("allowed_origins") or "").split():
            presets.validate_origin(o)
    except ValueError as exc:
        mapping.reason = str(exc)
        return mapping
    mapping.app_type, mapping.grants = app_type, grants
    if (row.get("algorithm") or "") not in {"", "RS256"}:
        mapping.notes.append(f"ID tokens were {row['algorithm']}, now RS256")
    if row["client_type"] == "public" and row.get("client_secret"):
        mapping.notes.append("public client: its unused secret is dropped")
    return mapping


def plan() -> list[Mapping]:
    if KEPT_APPLICATIONS not in _tables():
        return []
    return [map_row(row) for row in _rows(KEPT_APPLICATIONS)]


def import_applications(mappings: list[Mapping]) -> tuple[list[Mapping], list[Mapping]]:
    """Create the mapped applications (same id, client_id and stored secret); returns (imported, already)."""
    from .models import Application

    imported, already = [], []
    with transaction.atomic():
        existing = set(Application.objects.values_list("client_id", flat=True))
        for m in mappings:
            if m.reason:
                continue
            if m.client_id in existing:
                already.append(m)
                continue
            row = m.row
            app = Application(
                id=row["id"],
                client_id=row["client_id"],
                name=row.get("name") or row["client_id"],
                app_type=m.app_type,
                grant_types=m.grants,
                # DOT's skip_authorization skipped consent: that is our first party; otherwise always ask.
                first_party=bool(row.get("skip_authorization")),
                redirect_uris=row.get("redirect_uris") or "",
                post_logout_redirect_uris=row.get("post_logout_redirect_uris") or "",
                allowed_origins=row.get("allowed_origins") or "",
                client_secret=row.get("client_secret") or "",  # a DOT hash stays; plaintext gets our hash
                user_id=row.get("user_id"),
            )
            if "hash_client_secret" in row:
                app.hash_client_secret = bool(row["hash_client_secret"])
            app.save()
            imported.append(m)
        # Explicit ids: move PostgreSQL's sequence past them (a no-op on SQLite).
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Application]):
                cursor.execute(sql)
    if imported:
        from . import registry

        registry.changed()
    return imported, already


def run(*, dry_run: bool) -> dict[str, Any]:
    """The whole path; with ``dry_run`` nothing changes and the answer says what would."""
    steps: list[str] = []
    if needs_set_aside():
        dot_tables = [t for t in _tables() if t.startswith(DOT_PREFIX)]
        steps.append("copy " + ", ".join(dot_tables) + f" to {KEPT_PREFIX}*, drop them, forget DOT's migrations")
        steps.append("migrate (our tables, and DOT's token tables pointing at authflows.Application)")
        if dry_run:
            mappings = [map_row(row) for row in _rows(f"{DOT_PREFIX}application")]
            return {"dry_run": True, "steps": steps, "mappings": mappings, "imported": [], "already": []}
        set_aside()
        call_command("migrate", interactive=False, verbosity=0)
    mappings = plan()
    if dry_run:
        return {"dry_run": True, "steps": steps, "mappings": mappings, "imported": [], "already": []}
    imported, already = import_applications(mappings)
    return {"dry_run": False, "steps": steps, "mappings": mappings, "imported": imported, "already": already}
