"""Device grants (RFC 8628): an operator's decision outside the verification page."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import DeviceGrant


def deny_device_grants(queryset: Any) -> list[DeviceGrant]:
    """Deny the grants that can still yield tokens (pending, or approved but not yet polled): the
    device's next poll gets ``access_denied`` (RFC 8628 §3.5). One conditional UPDATE per grant, so a
    poll that consumes an approval at the same moment wins or loses cleanly. Returns the denied grants."""
    denied = []
    for grant in queryset.filter(state__in=[DeviceGrant.PENDING, DeviceGrant.APPROVED]):
        changed = DeviceGrant.objects.filter(pk=grant.pk, state=grant.state).update(
            state=DeviceGrant.DENIED, decided=timezone.now()
        )
        if changed:
            denied.append(grant)
    return denied
