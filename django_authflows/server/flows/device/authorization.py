"""POST /oauth/device/code (RFC 8628 §3.1, §3.2): a device asks for a device code and a user code."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone

from .... import audit, presets, signals
from ....conf import authflows_settings
from ....models import DeviceGrant
from ....models.device import hash_device_code
from ... import audience
from ...endpoint import ClientEndpoint
from ...responses import json_error, json_response
from .codes import display, generate_device_code, normalise_user_code


class DeviceAuthorizationView(ClientEndpoint):
    """Answers device_code, user_code, verification_uri(_complete), expires_in and interval."""

    def refuse_before_authentication(
        self, request: HttpRequest, pairs: list[tuple[str, str]], params: dict[str, str]
    ) -> HttpResponse | None:
        if not audience.one_api(pairs):
            return json_error("invalid_target", audience.ONE_API)
        if not params.get("client_id") and not request.META.get("HTTP_AUTHORIZATION"):
            return json_error("invalid_request", "client_id is required.")
        return None

    def post(self, request: HttpRequest) -> HttpResponse:
        if "device" not in authflows_settings.FLOWS:
            return json_error("unsupported_grant_type", "The device flow is not enabled.")
        checked = self.authenticated(request)
        if isinstance(checked, HttpResponse):
            return checked
        params, client = checked
        if not client.has_grant(presets.DEVICE_CODE):
            return json_error(
                "unauthorized_client", f'The application "{client.name}" does not have the device code grant.'
            )
        try:
            api = audience.get_api(audience.requested_identifier(params))
        except audience.AudienceError as exc:
            return json_error("access_denied", exc.description)
        requested = params.get("scope", "openid").split()
        scopes = audience.user_scopes(client, api, requested)
        return self.create(request, client, api, scopes)

    def create(self, request: HttpRequest, client: Any, api: Any, scopes: list[str]) -> JsonResponse:
        lifetimes = authflows_settings.LIFETIMES
        adapter = authflows_settings.ADAPTER()
        device_code = generate_device_code()
        for _attempt in range(5):  # a user-code collision among live grants is rare; draw again
            user_code = normalise_user_code(adapter.generate_user_code())
            if user_code is None:
                raise ValueError("ADAPTER.generate_user_code() must return 8 base-20 characters.")
            if DeviceGrant.objects.filter(user_code=user_code, expires__gt=timezone.now()).exists():
                continue
            try:
                with transaction.atomic():
                    grant = DeviceGrant.objects.create(
                        application=client,
                        device_code_hash=hash_device_code(device_code),
                        user_code=user_code,
                        scope=" ".join(scopes),
                        audience=api.identifier if api else "",
                        interval=lifetimes["device_interval"],
                        expires=timezone.now() + datetime.timedelta(seconds=lifetimes["device_code"]),
                    )
                break
            except IntegrityError:
                continue
        else:
            return json_error("slow_down", "Try again.", status=503)
        signals.device_authorization_requested.send(sender=DeviceGrant, grant_id=grant.pk, client_id=client.client_id)
        audit.event(
            "device_authorization_requested",
            client_id=client.client_id,
            grant_id=grant.pk,
            audience=grant.audience or None,
            scope=grant.scope,
        )
        uri = request.build_absolute_uri(reverse("authflows:activate"))
        issuer = authflows_settings.ISSUER
        if issuer:  # the configured public URL wins over the Host header
            uri = issuer + reverse("authflows:activate").lstrip("/")
        body = {
            "device_code": device_code,
            "user_code": display(user_code),
            "verification_uri": uri,
            "verification_uri_complete": f"{uri}?user_code={display(user_code)}",
            "expires_in": lifetimes["device_code"],
            "interval": grant.interval,
        }
        return json_response(body)
