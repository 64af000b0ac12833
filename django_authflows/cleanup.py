"""``authflows cleanup``: delete what has expired; set-based deletes, safe while the server serves."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import clear_expired, get_access_token_model, get_grant_model, get_refresh_token_model

from .conf import authflows_settings
from .models import DeviceGrant, TokenFamily

#: Redeemed codes are kept this long so that a replay is still recognised (RFC 6749 §4.1.2).
REDEEMED_CODE_MEMORY = datetime.timedelta(hours=1)


def cleanup() -> dict[str, int]:
    now = timezone.now()
    lifetimes = authflows_settings.LIFETIMES
    counts: dict[str, int] = {}
    grant_model = get_grant_model()
    counts["authorization_codes"] = (
        grant_model.objects.filter(created__lt=now - REDEEMED_CODE_MEMORY).filter(expires__lt=now).delete()[0]
    )
    counts["device_grants"] = DeviceGrant.objects.filter(expires__lt=now - datetime.timedelta(days=1)).delete()[0]
    absolute = datetime.timedelta(seconds=lifetimes["refresh_token_absolute"])
    dead = TokenFamily.objects.filter(created__lt=now - absolute) | TokenFamily.objects.filter(
        revoked__lt=now - datetime.timedelta(days=1)
    )
    families = list(dead.values_list("family", flat=True)[:10000])
    with transaction.atomic():
        counts["refresh_tokens"] = get_refresh_token_model().objects.filter(token_family__in=families).delete()[0]
        counts["token_families"] = TokenFamily.objects.filter(family__in=families).delete()[0]
    counts["access_tokens"] = (
        get_access_token_model().objects.filter(expires__lt=now, refresh_token__isnull=True).delete()[0]
    )
    clear_expired()  # DOT's own sweep (expired tokens it knows about)
    return counts
