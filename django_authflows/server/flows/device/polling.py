"""Device grant at the token endpoint (RFC 8628 §3.4, §3.5): pending, slow_down, denied, expired, single use."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .... import presets
from ....conf import authflows_settings
from ....issuer import issuer_for
from ....lifecycle import user_is_active
from ....models import DeviceGrant
from ....models.device import hash_device_code
from ... import audience, client_auth, dpop
from ...context import context
from ...issuance import issue_tokens
from ...responses import json_error, json_response

SLOW_DOWN_STEP = 5  # RFC 8628 §3.5: "the interval MUST be increased by 5 seconds"


def poll(request: HttpRequest, params: dict[str, str]) -> HttpResponse:
    if "device" not in authflows_settings.FLOWS:
        return json_error("unsupported_grant_type", "The device flow is not enabled.")
    ctx = context(request, params)
    auth = client_auth.authenticate(ctx)
    if not auth.ok:
        return client_auth.refusal(ctx)
    client = auth.client
    if not client.has_grant(presets.DEVICE_CODE):
        return json_error("unauthorized_client", "This application does not have the device code grant.")
    if client.dpop_required and ctx.dpop_jkt is None:
        return json_error(dpop.INVALID_PROOF, dpop.REQUIRED)
    device_code = params.get("device_code")
    if not device_code:
        return json_error("invalid_request", "device_code is required.")
    grant = (
        DeviceGrant.objects.select_related("user")
        .filter(device_code_hash=hash_device_code(device_code), application=client)
        .first()
    )
    if grant is None:  # unknown, or another client's: never say which
        return json_error("invalid_grant", "Unknown or invalid device_code.")
    return _answer(request, client, grant)


def _answer(request: HttpRequest, client: Any, grant: DeviceGrant) -> HttpResponse:
    now = timezone.now()
    if grant.state == DeviceGrant.CONSUMED:
        return json_error("invalid_grant", "This device_code has already been used.")
    if grant.is_expired:
        # RFC 8628 §3.5: expired_token, once; after that the code is simply invalid.
        reported = DeviceGrant.objects.filter(pk=grant.pk, expiry_reported=False).update(expiry_reported=True)
        if reported:
            return json_error("expired_token", "The device_code has expired; start again.")
        return json_error("invalid_grant", "Unknown or invalid device_code.")
    if grant.state == DeviceGrant.DENIED:
        return json_error("access_denied", "The user denied the request.")
    if grant.state == DeviceGrant.PENDING:
        return _pending(grant, now)
    if not user_is_active(grant.user):  # approved by a user deactivated since
        return json_error("invalid_grant", "Unknown or invalid device_code.")
    # Approved: exactly one poll wins the conditional update, even when many arrive at once.
    won = DeviceGrant.objects.filter(pk=grant.pk, state=DeviceGrant.APPROVED).update(
        state=DeviceGrant.CONSUMED, last_polled=now
    )
    if not won:
        return json_error("invalid_grant", "This device_code has already been used.")
    try:
        api = audience.get_api(grant.audience or None)
    except audience.AudienceError as exc:
        return json_error("access_denied", exc.description)
    token = issue_tokens(
        client=client,
        user=grant.user,
        scopes=grant.scopes,
        api=api,
        session=grant.session,
        issuer=issuer_for(request),
        grant_type=presets.DEVICE_CODE,
        dpop_jkt=context(request).dpop_jkt,
    )
    return json_response(token)


def _pending(grant: DeviceGrant, now: datetime.datetime) -> HttpResponse:
    """authorization_pending, or slow_down when polled faster than the interval (which then grows)."""
    too_soon = grant.last_polled is not None and now - grant.last_polled < datetime.timedelta(seconds=grant.interval)
    if too_soon:
        DeviceGrant.objects.filter(pk=grant.pk).update(interval=F("interval") + SLOW_DOWN_STEP, last_polled=now)
        return json_error(
            "slow_down",
            f"Polling too fast: wait {grant.interval + SLOW_DOWN_STEP} seconds.",
            interval=grant.interval + SLOW_DOWN_STEP,
        )
    DeviceGrant.objects.filter(pk=grant.pk).update(last_polled=now)
    return json_error("authorization_pending", "The user has not yet approved the request.")
