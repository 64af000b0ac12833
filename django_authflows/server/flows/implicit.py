"""Implicit grant (RFC 6749 §4.2, OIDC Core §3.2): only when listed in AUTHFLOWS['FLOWS']."""
from __future__ import annotations

from typing import Any

from oauthlib.common import Request
from oauth2_provider.oauth2_validators import OAuth2Validator

from ...conf import authflows_settings
from ... import presets

IMPLICIT_RESPONSE_TYPES = frozenset({"token", "id_token", "id_token token"})


class ImplicitValidatorMixin(OAuth2Validator):
    """Response types: ``code`` for the code flow; ``token``, ``id_token`` and ``id_token token`` for
    implicit (RFC 9700 §2.1.2 advises against it, hence off by default and warned by authflows.W001)."""

    def validate_response_type(self, client_id: str, response_type: str, client: Any, request: Request,
                               *args: Any, **kwargs: Any) -> bool:
        flows = authflows_settings.FLOWS
        if response_type == "code":
            return client.has_grant(presets.AUTHORIZATION_CODE) and bool(flows & {"authorization_code", "pkce"})
        if " ".join(sorted(response_type.split())) in {" ".join(sorted(t.split())) for t in IMPLICIT_RESPONSE_TYPES}:
            return "implicit" in flows and client.has_grant(presets.IMPLICIT)
        return False
