"""`manage.py authflows import-dot`: prints what :mod:`django_authflows.fromdot` did or would do."""

from __future__ import annotations

import json
from typing import Any

from ..fromdot import Mapping, run


def _row(m: Mapping) -> dict[str, Any]:
    return {
        "client_id": m.client_id,
        "name": m.row.get("name"),
        "dot": f"{m.row.get('client_type')} {m.row.get('authorization_grant_type')}",
        "type": m.app_type or None,
        "grant_types": m.grants,
        "skipped": m.reason or None,
        "notes": m.notes,
    }


def report(command: Any, options: dict[str, Any]) -> None:
    result = run(dry_run=options["dry_run"])
    done = {m.client_id for m in result["imported"]}
    already = {m.client_id for m in result["already"]}
    rows = [_row(m) for m in result["mappings"]]
    for row in rows:
        cid = row["client_id"]
        row["result"] = (
            "skipped"
            if row["skipped"]
            else "imported"
            if cid in done
            else "already imported"
            if cid in already
            else "would import"
        )
    payload = {"dry_run": result["dry_run"], "steps": result["steps"], "applications": rows}
    if options["json"]:
        command.stdout.write(json.dumps(payload, indent=2))
        return
    prefix = "Would " if result["dry_run"] else ""
    for step in result["steps"]:
        command.stdout.write(f"{prefix}{step}" if prefix else f"Done: {step}")
    if not rows:
        command.stdout.write("No django-oauth-toolkit applications found (authflows_dot_application).")
    for row in rows:
        what = f"-> {row['type']} [{', '.join(row['grant_types'])}]" if row["type"] else f"({row['skipped']})"
        notes = f"; {'; '.join(row['notes'])}" if row["notes"] else ""
        command.stdout.write(f"{row['result']:<16} {row['client_id']}  {row['name']!r}  {row['dot']} {what}{notes}")
    skipped = [r for r in rows if r["skipped"]]
    if skipped:
        command.stderr.write(
            f"{len(skipped)} application(s) not imported: their rows stay in authflows_dot_application, unchanged."
        )
