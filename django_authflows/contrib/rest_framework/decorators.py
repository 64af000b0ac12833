"""Decorators for DRF function views: ``@require_scopes("read:messages")`` under ``@api_view``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.decorators import authentication_classes, permission_classes

from .authentication import BearerAuthentication
from .permissions import HasScope


def require_scopes(*scopes: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Bearer authentication plus :class:`HasScope` for one function view (apply below ``@api_view``)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        return authentication_classes([BearerAuthentication])(permission_classes([HasScope.of(*scopes)])(func))

    return decorate
