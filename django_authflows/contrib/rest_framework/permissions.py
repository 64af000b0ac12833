"""DRF permissions: ``HasScope.of("read:messages")``."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ...resource.bearer import BearerResult
from ...resource.errors import challenge


class InsufficientScope(exceptions.PermissionDenied):
    """403 with ``WWW-Authenticate: Bearer error="insufficient_scope"`` (RFC 6750 §3.1)."""

    default_code = "insufficient_scope"

    def __init__(self, scopes: frozenset[str], scheme: str = "Bearer") -> None:
        needed = " ".join(sorted(scopes))
        super().__init__(f"The access token does not carry the scope {needed}.")
        self.auth_header = challenge("insufficient_scope", str(self.detail), sorted(scopes), scheme=scheme)


class HasScope(BasePermission):
    """Requires a valid bearer token carrying every scope in :attr:`required`."""

    required: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *scopes: str) -> type[HasScope]:
        return type(f"HasScope({' '.join(scopes)})", (cls,), {"required": frozenset(scopes)})

    def has_permission(self, request: Request, view: Any) -> bool:
        auth = request.auth
        if not isinstance(auth, BearerResult) or not auth.valid:
            raise exceptions.NotAuthenticated()
        if self.required and not self.required <= auth.scopes:
            raise InsufficientScope(self.required, auth.scheme)
        return True
