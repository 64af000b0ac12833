"""The login session as OIDC sees it: when the user authenticated (auth_time) and a session id (sid, OIDC
Back-Channel Logout 1.0 §2.1), kept in Django's session and recorded server-side (models.LoginSession)."""

from __future__ import annotations

import datetime
import secrets
import time
from typing import Any

from django.contrib.auth import logout
from django.http import HttpRequest

from ..issuer import issuer_for
from ..models import LoginSession
from . import logins

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
        request.session[SID] = sid = secrets.token_urlsafe(16)
        if request.session.session_key is None:
            request.session.save()
        logins.start(
            sid=sid,
            user=user,
            session_key=request.session.session_key or "",
            issuer=issuer_for(request),
            auth_time=datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            ip=request.META.get("REMOTE_ADDR", ""),
            backend=getattr(user, "backend", "") or "",
        )


def record_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Every logout (/v2/logout, RP-initiated, the admin's) ends the login session; Django flushes its own."""
    sid = request.session.get(SID) if request is not None and hasattr(request, "session") else None
    login = LoginSession.objects.filter(sid=sid).select_related("user").first() if sid else None
    if login is not None:
        logins.end(login, "logout", keep_django_session=True)


def current(request: HttpRequest) -> LoginSession | None:
    """The live login session of this browser. One an admin or the user ended elsewhere, whose Django
    session survived (Django cycles session keys), is ended here too: the user signs in again."""
    sid = request.session.get(SID) if request.user.is_authenticated else None
    if not sid:
        return None
    login = LoginSession.objects.filter(sid=sid).first()
    if login is None or login.ended is not None or login.user_id != request.user.pk:
        logout(request)
        return None
    logins.touch(login)
    return login


def connect() -> None:
    from django.contrib.auth.signals import user_logged_in, user_logged_out

    user_logged_in.connect(record_login, dispatch_uid="authflows_record_login")
    user_logged_out.connect(record_logout, dispatch_uid="authflows_record_logout")
    logins.connect()


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
