"""Signals (past tense; arguments are objects or ids, never tokens, codes or secrets) and the admin audit
receiver. Receivers are connected by ``AuthflowsConfig.ready()``, never by importing a module."""

from __future__ import annotations

from django.dispatch import Signal

#: consent_granted(sender, user, application, audience, scopes)
consent_granted = Signal()

#: device_authorization_requested(sender, grant_id, client_id)
device_authorization_requested = Signal()
#: device_authorization_approved(sender, grant_id, client_id, user)
device_authorization_approved = Signal()
#: device_authorization_denied(sender, grant_id, client_id, user)
device_authorization_denied = Signal()

#: user_sessions_invalidated(sender, user, reason): a password change or a deactivation; every login
#: session of the user ends (and sends its back-channel logouts).
user_sessions_invalidated = Signal()


def _admin_action_logged(sender: object, instance: object, created: bool, **kwargs: object) -> None:
    """Every admin change and action (Django's LogEntry) also becomes an audit line."""
    from . import audit

    if created:
        audit.event(
            "admin_action",
            user_id=getattr(instance, "user_id", None),
            action={1: "add", 2: "change", 3: "delete"}.get(getattr(instance, "action_flag", 0), "other"),
            model=str(getattr(instance, "content_type", "") or ""),
            object_id=getattr(instance, "object_id", None),
            message=str(getattr(instance, "get_change_message", lambda: "")())[:200] or None,
        )


def connect_admin_audit() -> None:
    from django.contrib.admin.models import LogEntry
    from django.db.models.signals import post_save

    post_save.connect(_admin_action_logged, sender=LogEntry, dispatch_uid="authflows_admin_audit")
