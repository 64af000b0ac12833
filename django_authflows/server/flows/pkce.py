"""PKCE (RFC 7636), an extension of the code flow: S256 only, required for public clients."""

from __future__ import annotations

from typing import Any

from oauthlib.common import Request

from .authorization_code import AuthorizationCodeValidatorMixin, _grant_for


class PKCEValidatorMixin(AuthorizationCodeValidatorMixin):
    """Required for spa and native applications; honoured for regular ones when sent."""

    def is_pkce_required(self, client_id: str, request: Request) -> bool:
        client = request.client or self._load_application(client_id, request)
        return bool(client is not None and client.pkce_required)

    def get_code_challenge(self, code: str, request: Request) -> str | None:
        grant = _grant_for(request, code)
        return (grant.code_challenge or None) if grant is not None else None

    def get_code_challenge_method(self, code: str, request: Request) -> str | None:
        grant = _grant_for(request, code)
        return (grant.code_challenge_method or None) if grant is not None else None

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        grant = _grant_for(request, code)
        # RFC 9700 §2.1.1: a code issued without code_challenge is refused when a code_verifier is
        # sent, or an attacker could inject a stolen code into a PKCE client (PKCE downgrade).
        if grant is not None and not grant.code_challenge and getattr(request, "code_verifier", None):
            return False
        return super().validate_code(client_id, code, client, request, *args, **kwargs)
