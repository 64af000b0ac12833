"""Revocation, shared by /oauth/revoke, reuse detection, logout, consent and the admin.

Access tokens are JWTs that APIs validate without a query, so revoking one also puts its hash on a
deny-list in Django's cache until it expires (one cache read per API request; Redis in production)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

DENYLIST_PREFIX = "authflows:revoked:"


def token_checksum(token: str) -> str:
    """The same SHA-256 DOT stores as ``token_checksum``."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def denylist(rows: Iterable[Any]) -> None:
    """Deny-list access-token records (DOT AccessToken rows) until each expires."""
    now = timezone.now()
    values = {}
    longest = 0
    for row in rows:
        ttl = int((row.expires - now).total_seconds()) + 60  # + the resource server's leeway
        if ttl > 0 and row.token_checksum:
            values[DENYLIST_PREFIX + row.token_checksum] = 1
            longest = max(longest, ttl)
    if values:
        cache.set_many(values, timeout=longest)


def is_denied(token: str) -> bool:
    return cache.get(DENYLIST_PREFIX + token_checksum(token)) is not None


def revoke_access_tokens(queryset: Any) -> int:
    """Deny-list and delete access-token records (DOT revokes by deleting)."""
    rows = list(queryset.only("pk", "expires", "token_checksum"))
    denylist(rows)
    if rows:
        type(rows[0]).objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)


def revoke_family(family: uuid.UUID | None) -> None:
    """Revoke every refresh token of a family and every access token issued from it."""
    if not family:
        return
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model

    from .models import TokenFamily

    access_token_model, refresh_token_model = get_access_token_model(), get_refresh_token_model()
    with transaction.atomic():
        now = timezone.now()
        TokenFamily.objects.filter(family=family, revoked__isnull=True).update(revoked=now)
        members = refresh_token_model.objects.filter(token_family=family)
        revoke_access_tokens(
            access_token_model.objects.filter(pk__in=members.exclude(access_token_id=None).values("access_token_id"))
        )
        revoke_access_tokens(access_token_model.objects.filter(source_refresh_token__token_family=family))
        refresh_token_model.revoke_family(family)


def revoke_application_for_user(application: Any, user: Any) -> int:
    """Revoke what a user gave an application: consent, refresh-token families and access tokens."""
    from oauth2_provider.models import get_access_token_model

    from .models import Consent, TokenFamily

    families = list(
        TokenFamily.objects.filter(application=application, user=user, revoked__isnull=True).values_list(
            "family", flat=True
        )
    )
    for family in families:
        revoke_family(family)
    revoke_access_tokens(get_access_token_model().objects.filter(application=application, user=user))
    Consent.objects.filter(application=application, user=user).delete()
    return len(families)
