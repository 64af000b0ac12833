"""The login session as OIDC sees it: when the user authenticated (auth_time) and a session id (sid)."""
from __future__ import annotations

import secrets
import time
from typing import Any

from django.http import HttpRequest

AUTH_TIME = "authflows_auth_time"
SID = "authflows_sid"
#: The login moment to the microsecond: ``auth_time`` is whole seconds, too coarse to tell whether a login
#: came after a request made in the same second (prompt=login, max_age).
LOGGED_IN_AT = "authflows_logged_in_at"


def record_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Every login (ours, the admin's, a project's) starts an OIDC session."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[AUTH_TIME] = int(now)
        request.session[LOGGED_IN_AT] = now
        request.session[SID] = secrets.token_urlsafe(16)


def connect() -> None:
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(record_login, dispatch_uid="authflows_record_login")


def session_info(request: HttpRequest) -> dict[str, Any]:
    auth_time = request.session.get(AUTH_TIME)
    if auth_time is None:
        return {}
    return {"auth_time": auth_time, "sid": request.session.get(SID)}


def logged_in_since(request: HttpRequest, moment: float) -> bool:
    """Whether the user of this session logged in at or after ``moment`` (OIDC Core §3.1.2.1, prompt=login)."""
    if not request.user.is_authenticated:
        return False
    logged_in_at = request.session.get(LOGGED_IN_AT)
    return isinstance(logged_in_at, (int, float)) and logged_in_at >= moment
