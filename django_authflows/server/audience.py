"""Audiences: which API a token is for (Auth0 ``audience``, RFC 8707 ``resource``) and its scopes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from .. import registry
from ..conf import authflows_settings
from ..models import Api, ClientGrant
from .context import context_of

#: OpenID Connect scopes: granted on top of an API's permissions, never part of them.
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
# a CharField, so an int (django-stubs types get_field() as any field or relation)
IDENTIFIER_MAX_LENGTH: int = Api._meta.get_field("identifier").max_length  # type: ignore[union-attr,assignment]


class AudienceError(Exception):
    """``access_denied`` with a description that says what to create or enable."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def oauth_error(self, request: Request | None = None) -> errors.OAuth2Error:
        return errors.AccessDeniedError(description=self.description, request=request)


ONE_API = "Ask for one API per request (audience or resource, once)."


def one_api(pairs: Iterable[tuple[str, str]]) -> bool:
    """Whether a request names one API at most (``audience`` or RFC 8707 ``resource``, once): a token is
    for one audience, as Auth0 issues them."""
    return sum(key in ("resource", "audience") for key, _value in pairs) <= 1


def requested_identifier(params: dict[str, Any]) -> str | None:
    """``audience`` wins over ``resource``; the configured default applies when neither is sent."""
    value = params.get("audience") or params.get("resource")
    if isinstance(value, list):
        if len(value) > 1:
            raise AudienceError("Only one audience (resource) per request is supported.")
        value = value[0] if value else None
    return value or authflows_settings.DEFAULT_AUDIENCE


def get_api(identifier: str | None) -> Api | None:
    if not identifier:
        return None
    # Longer than the column cannot match: not looked up, so no miss keyed by it is cached.
    api = registry.api(identifier) if len(identifier) <= IDENTIFIER_MAX_LENGTH else None
    if api is None:
        shown = identifier if len(identifier) <= IDENTIFIER_MAX_LENGTH else identifier[:40] + "..."
        raise AudienceError(
            f"Service not found: {shown}. Register the API first "
            f"(manage.py authflows apis create --identifier {shown} ...)."
        )
    return api


def api_for(request: Request) -> Api | None:
    """The API the oauthlib request is for, looked up once per request."""
    ctx = context_of(request)
    if not ctx.api_resolved:
        resource = getattr(request, "resource", None) or []
        if isinstance(resource, str):
            resource = [resource]
        ctx.api = get_api(requested_identifier({"audience": getattr(request, "audience", None), "resource": resource}))
        ctx.api_resolved = True
    return ctx.api


def user_scopes(app: Any, api: Api | None, requested: list[str]) -> list[str]:
    """Scopes for a user flow: requested ∩ (OIDC scopes ∪ the API's permissions). ``offline_access``
    only for applications with the refresh grant and APIs that allow it."""
    allowed = set(OIDC_SCOPES)
    if api is not None:
        allowed |= set(api.scope_values)
        if not api.allow_offline_access:
            allowed.discard("offline_access")
    if not app.has_grant("refresh_token"):
        allowed.discard("offline_access")
    out: list[str] = []
    for scope in requested:
        if scope in allowed and scope not in out:
            out.append(scope)
    return out


def client_credentials_scopes(
    app: Any, api: Api | None, requested: list[str] | None, grant: ClientGrant | None = None
) -> list[str]:
    """The client grant decides; ``scope`` can only narrow it."""
    if api is None:
        raise AudienceError("No audience: send 'audience' (the API identifier) or set AUTHFLOWS['DEFAULT_AUDIENCE'].")
    if grant is None:
        grant = registry.client_grant(app.pk, api.identifier)
    if grant is None:
        raise AudienceError(
            f'Client "{app.name}" ({app.client_id}) is not authorized to access "{api.identifier}". '
            f"Create a client grant for it: manage.py authflows grants create --client-id {app.client_id} "
            f"--api {api.identifier} --scopes ..."
        )
    granted = [s for s in grant.scopes if s in api.scope_values]
    if requested:
        refused = [s for s in requested if s not in granted]
        if refused:
            raise AudienceError(
                f'Client "{app.name}" has not been granted scopes: {", ".join(refused)}. '
                f'Add them to its client grant for "{api.identifier}".'
            )
        return [s for s in granted if s in requested]
    return granted
