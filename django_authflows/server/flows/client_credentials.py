"""Client Credentials grant (RFC 6749 §4.4): machine-to-machine, no user, no refresh token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749.utils import scope_to_list

from ... import presets, registry
from ...conf import authflows_settings
from .. import audience, client_auth, dpop
from ..context import RequestContext, context_of
from ..records import insert_access_token
from ..tokens import client_credentials_token


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


def issue(ctx: RequestContext) -> dict[str, Any] | None:
    """The lean path of the grant, for a client that :func:`..client_auth.authenticate` authenticated with a
    secret or a key: what oauthlib's ClientCredentialsGrant, our validator hooks and DOT's token record do on
    success (the same checks, token, JSON fields in the same order and AccessToken row), without building an
    oauthlib request. None when the request would be refused: oauthlib's path then answers it, with the same
    checks (they have no side effects; the authentication and the rate limit are memoised on the context).
    Raises IntegrityError when the application was deleted after this process loaded it."""
    auth = ctx.client_auth
    if auth is None or not auth.ok or auth.credentials.method not in client_auth.AUTHENTICATED_METHODS:
        return None
    client = auth.client
    # validate_grant_type: the grant is on, the application has it and is a machine-to-machine application
    if not (
        "client_credentials" in authflows_settings.FLOWS
        and client.has_grant(presets.CLIENT_CREDENTIALS)
        and client.app_type == presets.M2M
    ):
        return None
    jkt = ctx.dpop_jkt
    if jkt is None and client.dpop_required:  # dpop.require_proof refuses it
        return None
    # validate_scopes: the client grant for the requested API decides, ``scope`` may only narrow it
    params = ctx.params
    try:
        identifier = audience.requested_identifier(
            {"audience": params.get("audience"), "resource": params.get("resource")}
        )
        grant = registry.client_grant(client.pk, identifier) if identifier else None
        if grant is None:  # no API, or no grant for it: the errors say which
            return None
        api = grant.api
        scopes = audience.client_credentials_scopes(client, api, scope_to_list(params.get("scope")), grant)
    except audience.AudienceError:
        return None
    ctx.api, ctx.api_resolved = api, True
    lifetime = api.token_lifetime or authflows_settings.lifetime("access_token")
    access_token, ctx.jti = client_credentials_token(
        issuer=ctx.issuer, client_id=client.client_id, api=api, scopes=scopes, lifetime=lifetime, jkt=jkt
    )
    scope = " ".join(scopes)
    # oauthlib's BearerToken.create_token, then dpop.bind (RFC 9449 §5.1)
    token: dict[str, Any] = {
        "access_token": access_token,
        "expires_in": lifetime,
        "token_type": dpop.TOKEN_TYPE if jkt else "Bearer",
        "scope": scope,
    }
    now = timezone.now()
    insert_access_token(
        application=client,
        raw_token=access_token,
        scope=scope,
        expires=now + timedelta(seconds=lifetime),
        now=now,
        resource=[api.identifier],
    )
    return token
