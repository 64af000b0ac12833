"""Signals (past tense; arguments are objects or ids, never tokens, codes or secrets) and receivers."""
from __future__ import annotations

from django.dispatch import Signal

from .server import cors, session  # noqa: F401  (connects their receivers)

#: consent_granted(sender, user, application, audience, scopes)
consent_granted = Signal()

#: device_authorization_requested(sender, grant_id, client_id)
device_authorization_requested = Signal()
#: device_authorization_approved(sender, grant_id, client_id, user)
device_authorization_approved = Signal()
#: device_authorization_denied(sender, grant_id, client_id, user)
device_authorization_denied = Signal()
