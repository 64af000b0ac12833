"""The login session as OIDC sees it: when the user authenticated (auth_time) and a session id (sid)."""
from __future__ import annotations

import secrets
import time
from typing import Any

from django.http import HttpRequest

AUTH_TIME = "authflows_auth_time"
SID = "authflows_sid"


def record_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Every login (ours, the admin's, a project's) starts an OIDC session."""
    if request is not None and hasattr(request, "session"):
        request.session[AUTH_TIME] = int(time.time())
        request.session[SID] = secrets.token_urlsafe(16)


def connect() -> None:
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(record_login, dispatch_uid="authflows_record_login")


def session_info(request: HttpRequest) -> dict[str, Any]:
    auth_time = request.session.get(AUTH_TIME)
    if auth_time is None:
        return {}
    return {"auth_time": auth_time, "sid": request.session.get(SID)}
