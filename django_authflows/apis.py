"""APIs and client grants: the service layer the admin and the CLI share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .models import Api, Application, ClientGrant


def parse_scopes(values: Sequence[str] | str) -> list[dict[str, str]]:
    """``read:messages,write:messages`` or ``read:messages=Read your messages`` -> permission dicts."""
    if isinstance(values, str):
        values = values.split(",")
    out: list[dict[str, str]] = []
    for raw in values:
        value, _, description = raw.strip().partition("=")
        value = value.strip()
        if not value:
            continue
        if any(c.isspace() for c in value) or '"' in value or "\\" in value:
            raise ValueError(f"Scope {value!r} must not contain spaces, quotes or backslashes (RFC 6749 §3.3).")
        if value not in [s["value"] for s in out]:
            out.append({"value": value, "description": description.strip() or value})
    return out


def check_identifier(identifier: str) -> str:
    """A new API's identifier (the ``aud`` of its tokens): non-empty, no spaces, not taken."""
    identifier = identifier.strip()
    if not identifier or any(c.isspace() for c in identifier) or len(identifier) > 255:
        raise ValueError("An API identifier is a non-empty string without spaces (a URL is customary).")
    if Api.objects.filter(identifier=identifier).exists():
        raise ValueError(f"An API with the identifier {identifier!r} already exists.")
    return identifier


def create_api(
    *,
    name: str,
    identifier: str,
    scopes: Sequence[str] | str = (),
    token_lifetime: int | None = None,
    signing_alg: str = "RS256",
    allow_offline_access: bool = True,
) -> Api:
    identifier = check_identifier(identifier)
    if signing_alg not in {"RS256", "ES256", "EdDSA"}:
        raise ValueError("The signing algorithm must be RS256, ES256 or EdDSA.")
    return Api.objects.create(
        name=name.strip() or identifier,
        identifier=identifier,
        scopes=parse_scopes(scopes),
        token_lifetime=token_lifetime,
        signing_alg=signing_alg,
        allow_offline_access=allow_offline_access,
    )


def update_api(
    api: Api,
    *,
    name: str,
    scopes: Sequence[str] | str = (),
    token_lifetime: int | None = None,
    signing_alg: str = "RS256",
    allow_offline_access: bool = True,
) -> Api:
    """Change an API; its identifier stays (tokens carry it as ``aud``). A permission removed from the
    API is removed from the client grants that held it, so no client keeps a scope the API lost."""
    if signing_alg not in {"RS256", "ES256", "EdDSA"}:
        raise ValueError("The signing algorithm must be RS256, ES256 or EdDSA.")
    if token_lifetime is not None and token_lifetime <= 0:
        raise ValueError("The token lifetime is a positive number of seconds.")
    api.name = name.strip() or api.identifier
    api.scopes = parse_scopes(scopes)
    api.token_lifetime, api.signing_alg, api.allow_offline_access = token_lifetime, signing_alg, allow_offline_access
    api.save()
    kept = set(api.scope_values)
    for grant in api.client_grants.all():
        if not set(grant.scopes) <= kept:
            grant.scopes = [s for s in grant.scopes if s in kept]
            grant.save(update_fields=["scopes"])
    return api


def check_client_grant(app: Application, api: Api, scopes: list[str]) -> None:
    """The rules of a client grant: the API's own permissions, an application with client credentials."""
    unknown = [s for s in scopes if s not in api.scope_values]
    if unknown:
        raise ValueError(f"The API {api.identifier} has no permission {', '.join(unknown)}.")
    if not app.has_grant("client_credentials"):
        raise ValueError(f"{app.name} does not use the client credentials grant.")


def create_client_grant(app: Application, api: Api, scopes: list[str]) -> ClientGrant:
    """Authorise a machine-to-machine application on an API with some of its permissions."""
    check_client_grant(app, api, scopes)
    grant, _ = ClientGrant.objects.update_or_create(application=app, api=api, defaults={"scopes": list(scopes)})
    return grant


def api_payload(api: Api) -> dict[str, Any]:
    return {
        "identifier": api.identifier,
        "name": api.name,
        "scopes": api.scope_values,
        "permissions": api.scopes,
        "token_lifetime": api.token_lifetime,
        "signing_alg": api.signing_alg,
        "allow_offline_access": api.allow_offline_access,
    }


def grant_payload(grant: ClientGrant) -> dict[str, Any]:
    return {"client_id": grant.application.client_id, "audience": grant.api.identifier, "scopes": grant.scopes}
