"""CORS for the endpoints browsers call, for the origins registered on each application
(django-cors-headers' ``check_request_enabled`` signal)."""
from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest

CORS_PATHS = re.compile(r"(^|/)(oauth/token|oauth/revoke|oauth/device/code|userinfo|\.well-known/[\w.-]+)/?$")


def origin_registered(origin: str) -> bool:
    from oauth2_provider.models import get_application_model

    if not origin or len(origin) > 255 or not origin.isprintable():
        return False
    candidates = get_application_model().objects.filter(allowed_origins__contains=origin)
    return any(origin in app.allowed_origins.split() for app in candidates.only("allowed_origins"))


def cors_allow_registered_origins(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    if not CORS_PATHS.search(request.path):
        return False
    return origin_registered(request.headers.get("Origin", ""))


def connect() -> None:
    from corsheaders.signals import check_request_enabled

    check_request_enabled.connect(cors_allow_registered_origins, dispatch_uid="authflows_cors")
