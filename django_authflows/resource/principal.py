"""Who a valid access token speaks for, without a database query."""

from __future__ import annotations

from typing import Any

from django.utils.functional import cached_property

from ..conf import authflows_settings
from .bearer import scopes_of


class TokenPrincipal:
    """``request.user`` for token-authenticated API requests: a user (``sub``) or a client
    (``<client_id>@clients``). It needs no query; :attr:`user` loads the Django user when asked."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims
        self.sub = str(claims.get("sub", ""))

    @cached_property
    def client_id(self) -> str:
        return str(self.claims.get("client_id", self.claims.get("azp", "")))

    @property
    def scopes(self) -> frozenset[str]:
        return scopes_of(self.claims)  # one set per distinct scope string, kept per process

    @property
    def is_client(self) -> bool:
        """True for machine-to-machine tokens (client credentials)."""
        return self.claims.get("gty") == "client-credentials"

    @cached_property
    def user(self) -> Any:
        """The Django user of a user token (one query, on first use), or None."""
        if self.is_client:
            return None
        return authflows_settings.ADAPTER().get_user_by_subject(self.sub)

    def get_username(self) -> str:
        return self.sub

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def __str__(self) -> str:
        return self.sub

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TokenPrincipal) and other.claims.get("jti") == self.claims.get("jti")

    def __hash__(self) -> int:
        return hash(self.claims.get("jti"))
