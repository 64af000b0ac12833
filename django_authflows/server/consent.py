"""Recorded consent (what a user allowed an application, per API): written by /authorize and /activate alike."""

from __future__ import annotations

from typing import Any

from .. import signals
from ..models import Consent


def record_consent(user: Any, application: Any, audience: str, scopes: list[str], sender: Any) -> None:
    """Remember (or widen) the user's consent, so that the application shows on the account page, where
    revoking it revokes every token it holds for the user (a device approval included)."""
    consent, created = Consent.objects.get_or_create(
        user=user, application=application, audience=audience, defaults={"scopes": sorted(set(scopes))}
    )
    if not created and not consent.covers(set(scopes)):
        consent.scopes = sorted(set(consent.scopes) | set(scopes))
        consent.save(update_fields=["scopes", "updated"])
    signals.consent_granted.send(
        sender=sender, user=user, application=application, audience=audience, scopes=list(scopes)
    )
