"""Server-side login sessions: started at login, ended by logout, the user, an admin, a password change or
a deactivation; ending one sends OIDC Back-Channel Logout 1.0 tokens (§2.5) to the applications it served."""

from __future__ import annotations

import datetime
import re
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import audit
from ..conf import authflows_settings
from ..models import LoginSession, SessionApplication, TokenFamily
from ..revocation import revoke_family
from . import backchannel

#: last_seen is written at most this often per session (one UPDATE, not one per request).
TOUCH_EVERY = datetime.timedelta(seconds=60)

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-requests", "Python"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_summary(user_agent: str) -> str:
    """ "Firefox on Linux": enough for a person to recognise a browser, nothing to fingerprint with."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or re.sub(r"[^\w .;/()-]", "", user_agent)[:40]


def start(
    *,
    sid: str,
    user: Any,
    session_key: str,
    issuer: str,
    auth_time: datetime.datetime,
    user_agent: str,
    ip: str,
    backend: str = "",
) -> LoginSession:
    # OIDC Core §2 amr (RFC 8176 values): Django's own backends check a password.
    amr = ["pwd"] if backend.startswith("django.contrib.auth.backends.") else []
    return LoginSession.objects.create(
        sid=sid,
        user=user,
        session_key=session_key or "",
        issuer=issuer,
        auth_time=auth_time,
        amr=amr,
        user_agent=device_summary(user_agent or "")[:120],
        ip=(ip or "")[:45],
        last_seen=auth_time,
    )


def touch(login: LoginSession) -> None:
    now = timezone.now()
    if login.last_seen < now - TOUCH_EVERY:
        LoginSession.objects.filter(pk=login.pk, last_seen__lt=now - TOUCH_EVERY).update(last_seen=now)


def add_application(sid: str | None, application: Any) -> None:
    """The application got tokens (or a code for them) from this session: it is told when the session ends."""
    if not sid:
        return
    login = LoginSession.objects.filter(sid=sid).only("pk").first()
    if login is not None:
        SessionApplication.objects.bulk_create(
            [SessionApplication(session=login, application=application)], ignore_conflicts=True
        )


def _delete_django_session(session_key: str) -> None:
    if session_key:
        engine = import_module(settings.SESSION_ENGINE)
        engine.SessionStore(session_key).delete()


def end(login: LoginSession, reason: str, *, keep_django_session: bool = False, applications: Any = None) -> bool:
    """End the session (a second call, or one on an ended session, does nothing and returns False): its
    Django session goes, each application it served gets a logout token through the worker, and those
    applications that asked for it lose the refresh tokens the session gave them. Nothing here waits on an
    application's server."""
    now = timezone.now()
    with transaction.atomic():
        if not LoginSession.objects.filter(pk=login.pk, ended__isnull=True).update(ended=now, end_reason=reason):
            return False
        login.ended, login.end_reason = now, reason
        if not keep_django_session:
            _delete_django_session(login.session_key)
        notify(login, applications)
    audit.event("session_ended", user_id=login.user_id, reason=reason)
    return True


def notify(login: LoginSession, applications: Any = None) -> int:
    """Logout tokens for the session's applications (all, or those given), and their refresh tokens when
    they asked for that (``refresh_tokens_end_with_session``)."""
    subject = authflows_settings.ADAPTER().get_subject(login.user)
    issuer = login.issuer or authflows_settings.ISSUER or ""
    sent = 0
    for application in applications if applications is not None else login.applications.all():
        if application.refresh_tokens_end_with_session:
            families = TokenFamily.objects.filter(
                application=application, user_id=login.user_id, session__sid=login.sid, revoked__isnull=True
            )
            for family in families.values_list("family", flat=True):
                revoke_family(family)
        if backchannel.schedule(application=application, issuer=issuer, subject=subject, sid=login.sid, session=login):
            sent += 1
    return sent


def end_all(user: Any, reason: str) -> int:
    """Every live session of ``user`` (a password change, a deactivation)."""
    ended = 0
    for login in LoginSession.objects.filter(user=user, ended__isnull=True).select_related("user"):
        ended += end(login, reason)
    return ended


def application_revoked(user: Any, application: Any) -> int:
    """The user revoked ``application`` on the account page: each live session it took part in tells it so
    (a logout token per session), and forgets it."""
    sent = 0
    links = SessionApplication.objects.filter(
        session__user=user, session__ended__isnull=True, application=application
    ).select_related("session", "session__user")
    for link in links:
        sent += notify(link.session, [application])
    links.delete()
    return sent


def _user_sessions_invalidated(sender: Any, user: Any, reason: str, **kwargs: Any) -> None:
    end_all(user, reason)


def connect() -> None:
    from .. import signals

    signals.user_sessions_invalidated.connect(_user_sessions_invalidated, dispatch_uid="authflows_end_sessions")
