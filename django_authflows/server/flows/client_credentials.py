"""Client Credentials grant (RFC 6749 §4.4): machine-to-machine, no user, no refresh token."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749.utils import scope_to_list

from ... import presets, registry
from ...conf import authflows_settings
from .. import audience
from ..context import context_of


class ClientCredentialsValidatorMixin(OAuth2Validator):
    """The client grant for the requested API decides the scopes; ``scope`` may only narrow them."""

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        if request.grant_type != "client_credentials":
            return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)
        try:
            identifier = audience.requested_identifier(
                {"audience": getattr(request, "audience", None), "resource": getattr(request, "resource", None)}
            )
            # The usual case: the client grant and its API together, from the per-process registry.
            grant = registry.client_grant(client.pk, identifier) if identifier else None
            api = grant.api if grant is not None else audience.api_for(request)
            context_of(request).api, context_of(request).api_resolved = api, True
            request.scopes = audience.client_credentials_scopes(client, api, scope_to_list(request.scope), grant)
        except audience.AudienceError as exc:
            raise exc.oauth_error(request) from None
        return True

    def client_credentials_allowed(self, client: Any) -> bool:
        return (
            client.app_type == presets.M2M
            and client.has_grant(presets.CLIENT_CREDENTIALS)
            and "client_credentials" in authflows_settings.FLOWS
        )
