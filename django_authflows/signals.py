"""Signals (past tense; arguments are objects or ids, never tokens, codes or secrets) and receivers."""
from __future__ import annotations

from django.dispatch import Signal

from .server import cors, session  # noqa: F401  (connects their receivers)

#: consent_granted(sender, user, application, audience, scopes)
consent_granted = Signal()
