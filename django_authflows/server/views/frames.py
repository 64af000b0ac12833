"""Frame-busting for pages a person sees (RFC 6749 §10.13, clickjacking)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http.response import HttpResponseBase

CSP = "frame-ancestors 'none'"


def no_framing(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(*args, **kwargs)
        response["X-Frame-Options"] = "DENY"
        response["Content-Security-Policy"] = CSP
        response.setdefault("Cache-Control", "no-store")
        return response

    return wrapper
