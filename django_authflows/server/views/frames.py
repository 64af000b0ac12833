"""Frame-busting for pages a person sees (RFC 6749 §10.13, clickjacking)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpResponse

CSP = "frame-ancestors 'none'"


def no_framing(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> HttpResponse:
        response = view(*args, **kwargs)
        response["X-Frame-Options"] = "DENY"
        response["Content-Security-Policy"] = CSP
        response.setdefault("Cache-Control", "no-store")
        return response

    return wrapper
