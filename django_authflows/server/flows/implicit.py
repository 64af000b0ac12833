"""Implicit grant (RFC 6749 §4.2, OIDC Core §3.2): only when listed in AUTHFLOWS['FLOWS']."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from ... import presets
from ...conf import authflows_settings

IMPLICIT_RESPONSE_TYPES = frozenset({"token", "id_token", "id_token token"})
_IMPLICIT_NORMALISED = frozenset(" ".join(sorted(t.split())) for t in IMPLICIT_RESPONSE_TYPES)


def supported_response_types() -> list[str]:
    """The response types this server serves, in the order the discovery document lists them."""
    flows = authflows_settings.FLOWS
    served = ["code"] if flows & {"authorization_code", "pkce"} else []
    return served + (sorted(IMPLICIT_RESPONSE_TYPES) if "implicit" in flows else [])


def unsupported_response_type(response_type: str) -> str:
    """The description of ``unsupported_response_type`` (RFC 6749 §4.1.2.1): the type asked and those served."""
    asked = repr(response_type[:40]) if response_type else "(none)"
    allowed = ", ".join(repr(t) for t in supported_response_types()) or "none"
    return f"response_type {asked} is not supported here; use one of: {allowed}."


class ImplicitValidatorMixin(OAuth2Validator):
    """Response types: ``code`` for the code flow; ``token``, ``id_token`` and ``id_token token`` for
    implicit (RFC 9700 §2.1.2 advises against it, hence off by default and warned by authflows.W001)."""

    def validate_response_type(
        self, client_id: str, response_type: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """A response type this server does not serve is ``unsupported_response_type``; one this client
        may not use is ``unauthorized_client`` (RFC 6749 §4.1.2.1)."""
        flows = authflows_settings.FLOWS
        normalised = " ".join(sorted(response_type.split()))
        if normalised == "code" and flows & {"authorization_code", "pkce"}:
            return client.has_grant(presets.AUTHORIZATION_CODE)
        if normalised in _IMPLICIT_NORMALISED and "implicit" in flows:
            return client.has_grant(presets.IMPLICIT)
        raise errors.UnsupportedResponseTypeError(request=request)
