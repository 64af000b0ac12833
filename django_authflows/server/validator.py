"""The oauthlib RequestValidator: composes the flow mixins."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, router, transaction
from oauth2_provider.models import get_access_token_model
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from .. import presets, registry
from ..conf import authflows_settings
from . import audience, dpop
from .client_auth import ClientAuthenticationMixin
from .flows.authorization_code import claim_code
from .flows.client_credentials import ClientCredentialsValidatorMixin
from .flows.implicit import ImplicitValidatorMixin
from .flows.pkce import PKCEValidatorMixin
from .flows.refresh import RefreshTokenValidatorMixin
from .oidc import IDTokenMixin

_GRANT_FLOWS = {
    "authorization_code": ({"authorization_code", "pkce"}, presets.AUTHORIZATION_CODE),
    "refresh_token": ({"authorization_code", "pkce", "implicit", "device"}, presets.REFRESH_TOKEN),
    "client_credentials": ({"client_credentials"}, presets.CLIENT_CREDENTIALS),
}


def refresh_allowed(request: Request) -> bool:
    """With ``offline_access`` granted (a refresh keeps its family even when it narrows the scopes)."""
    client = request.client
    if client is None or not client.has_grant(presets.REFRESH_TOKEN):
        return False
    return request.grant_type == "refresh_token" or "offline_access" in (request.scopes or [])


class AuthflowsValidator(
    ClientCredentialsValidatorMixin,
    ImplicitValidatorMixin,
    RefreshTokenValidatorMixin,
    PKCEValidatorMixin,
    IDTokenMixin,
    ClientAuthenticationMixin,
):
    """oauthlib RequestValidator; behaviour lives in the flow mixins."""

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        flows, grant = _GRANT_FLOWS.get(grant_type, (set(), None))
        if grant is None or not (flows & authflows_settings.FLOWS) or not client.has_grant(grant):
            return False
        dpop.require_proof(client, request)
        if grant_type == "client_credentials":
            return self.client_credentials_allowed(client)
        return True

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """User flows: requested ∩ (OIDC scopes ∪ the API's permissions); the rest are dropped, as
        Auth0 does. An unknown audience is ``access_denied``."""
        if request.grant_type == "client_credentials":
            return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)
        try:
            api = audience.api_for(request)
        except audience.AudienceError as exc:
            raise exc.oauth_error(request) from None
        request.scopes = audience.user_scopes(client, api, list(scopes))
        return True

    def save_bearer_token(self, token: dict[str, Any], request: Request, *args: Any, **kwargs: Any) -> Any:
        """oauthlib offers a refresh token to every code exchange: keep it only with ``offline_access``
        for an application that has the refresh grant (as Auth0).

        One transaction claims the code or the refresh token and records the tokens issued for it: a
        request that loses the claim to a parallel one writes nothing."""
        if "refresh_token" in token and not refresh_allowed(request):
            del token["refresh_token"]
        dpop.bind(token, request)
        rotating = request.grant_type == "refresh_token"
        claimed = True
        try:
            with transaction.atomic(using=router.db_for_write(get_access_token_model())):
                if rotating:
                    claimed = self.claim_refresh_token(request)
                if claimed:
                    self._save_bearer_token(token, request, *args, **kwargs)
                    if request.grant_type == "authorization_code":
                        claim_code(request)
        except IntegrityError:
            # The application (or the user) was deleted after this process loaded it: the client or the grant
            # is gone (RFC 6749 §5.2), and this process's copies are stale.
            registry.changed()
            if request.grant_type == "client_credentials":
                raise errors.InvalidClientError(request=request) from None
            raise errors.InvalidGrantError(request=request) from None
        if not claimed:  # outside the transaction: a replay revokes the family, which must stay revoked
            self.reused(request)
        return None

    def get_default_scopes(self, client_id: str, request: Request, *args: Any, **kwargs: Any) -> list[str]:
        return ["openid"] if request.grant_type != "client_credentials" else []

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """Exact match (RFC 9700 §4.1.3); for a registered loopback URI any port (RFC 8252 §7.3)."""
        # validate_client_id set request.client before oauthlib asks this
        return request.client.redirect_uri_allowed(redirect_uri)  # type: ignore[union-attr]

    def _check_and_set_request_resource(self, request: Request) -> None:
        """DOT records ``resource`` on tokens (RFC 8707): ours is the audience already resolved."""
        api = audience.api_for(request)
        request.resource = [api.identifier] if api is not None else []  # type: ignore[attr-defined]  # DOT's

    def _validate_resource_uris(self, request: Request, resources: list[str]) -> None:
        """Auth0 audiences are identifiers, not always URLs: any registered API is a valid target."""
        for identifier in resources:
            try:
                audience.get_api(identifier)
            except audience.AudienceError as exc:
                raise errors.AccessDeniedError(description=exc.description, request=request) from None
