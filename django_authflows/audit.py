"""Structured audit log lines (logfmt) for grants, refusals and admin actions; never a secret.

Each line is ``event=<name> key=value ...`` on the ``django_authflows.audit`` logger, and the same
fields travel in ``record.authflows`` for JSON formatters."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

log = logging.getLogger("django_authflows.audit")

#: Field names that may never be logged, whatever a caller passes.
FORBIDDEN = frozenset(
    {
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "device_code",
        "user_code",
        "client_secret",
        "password",
        "secret",
        "code_verifier",
        "assertion",
    }
)


#: Characters that make a value quoted.
_QUOTED = re.compile(r'[ "=\n\r\t]')


def _value(value: Any) -> str:
    text = str(value)
    if not text or _QUOTED.search(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    return text


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one audit event; ``None`` fields are left out and a field named like a secret is redacted."""
    if not log.isEnabledFor(level):
        return
    clean = {k: ("[redacted]" if k in FORBIDDEN else v) for k, v in fields.items() if v is not None}
    # What Logger.log does, less its search of the stack for the caller, which is always this function.
    record = log.makeRecord(
        log.name,
        level,
        _SOURCE,
        sys._getframe().f_lineno,
        "event=%s %s",
        (name, " ".join(f"{k}={_value(v)}" for k, v in clean.items())),
        None,
        "event",
        {"authflows": {"event": name, **clean}},
    )
    log.handle(record)


_SOURCE = event.__code__.co_filename
