"""Idempotent creation of the demo user, the admin user, the example API and one application per flow."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from django_authflows import apis, applications, presets
from django_authflows.models import Api, Application

from .secrets import FAPI_CLIENT_ID, demo_secret, fapi_key_path, fapi_private_key

USERNAME = "demo"
PASSWORD = "demo-password-123"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-password-123"
API_SCOPES = ["read:messages=Read your messages", "write:messages=Write messages"]


@dataclass(frozen=True)
class AppSpec:
    """One demo application: fixed client_id, type, grants and URLs relative to the base URL."""

    client_id: str
    name: str
    app_type: str
    flow: str
    grants: list[str] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    logout_urls: list[str] = field(default_factory=list)
    api_scopes: list[str] = field(default_factory=list)  # m2m: the client grant on the example API
    backchannel_logout_uri: str = ""  # OIDC Back-Channel Logout: the app's receiver


def app_specs(base: str) -> list[AppSpec]:
    return [
        AppSpec("demo-regular-web-app", "Demo Regular Web App", presets.REGULAR, "Authorization Code",
                callbacks=[f"{base}/demo/regular/callback"], logout_urls=[f"{base}/"],
                backchannel_logout_uri=f"{base}/demo/regular/backchannel-logout"),
        AppSpec("demo-spa", "Demo Single-Page App", presets.SPA, "Authorization Code with PKCE",
                callbacks=[f"{base}/demo/spa/"], origins=[base], logout_urls=[f"{base}/demo/spa/"]),
        AppSpec("demo-implicit", "Demo Implicit (form_post)", presets.SPA, "Implicit with form_post",
                grants=[presets.IMPLICIT], callbacks=[f"{base}/demo/implicit/callback"]),
        AppSpec("demo-m2m", "Demo Machine to Machine", presets.M2M, "Client Credentials",
                api_scopes=["read:messages", "write:messages"]),
        AppSpec("demo-device", "Demo Device", presets.NATIVE, "Device Authorization",
                grants=["device_code", presets.REFRESH_TOKEN]),
    ]


def seed_user() -> Any:
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=USERNAME)
    user.email, user.first_name, user.last_name = "demo@example.test", "Demo", "User"
    user.is_active = True
    user.set_password(PASSWORD)
    user.save()
    return user


def seed_admin() -> Any:
    """A superuser for /admin/ (the demo only: a fixed, published password)."""
    user, _ = get_user_model().objects.get_or_create(username=ADMIN_USERNAME)
    user.email, user.is_active, user.is_staff, user.is_superuser = "admin@example.test", True, True, True
    user.set_password(ADMIN_PASSWORD)
    user.save()
    return user


def seed_api() -> Api:
    identifier = settings.EXAMPLE_API_AUDIENCE
    api = Api.objects.filter(identifier=identifier).first()
    if api is None:
        return apis.create_api(name="Example API", identifier=identifier, scopes=API_SCOPES)
    api.name, api.scopes = "Example API", apis.parse_scopes(API_SCOPES)
    api.save(update_fields=["name", "scopes"])
    return api


def _update(app: Application, spec: AppSpec) -> None:
    """Bring an existing application in line with ``spec``, validating like create_application does."""
    preset = presets.get_preset(spec.app_type)
    grants = presets.normalise_grants(spec.grants) if spec.grants else list(preset.default_grants)
    presets.check_grants(spec.app_type, grants)
    app.name, app.app_type, app.grant_types = spec.name, spec.app_type, grants
    app.redirect_uris = " ".join(presets.validate_url(u, kind="Callback URL", app_type=spec.app_type)
                                 for u in spec.callbacks)
    app.allowed_origins = " ".join(presets.validate_origin(o) for o in spec.origins)
    app.post_logout_redirect_uris = " ".join(presets.validate_url(u, kind="Logout URL", app_type=spec.app_type)
                                             for u in spec.logout_urls)


def seed_app(spec: AppSpec, api: Api) -> tuple[Application, str | None, bool]:
    """Create or update one application; returns (application, demo secret or None, created)."""
    app = Application.objects.filter(client_id=spec.client_id).first()
    created = app is None
    if created:
        app, _ = applications.create_application(spec.app_type, name=spec.name, grants=spec.grants or None,
                                            callbacks=spec.callbacks, origins=spec.origins,
                                            logout_urls=spec.logout_urls)
        app.client_id = spec.client_id
    else:
        _update(app, spec)
    uri = spec.backchannel_logout_uri
    app.backchannel_logout_uri = presets.validate_backchannel_uri(uri) if uri else ""
    secret = demo_secret(spec.client_id) if app.preset.confidential else None
    app.client_secret = secret or ""
    app.save()
    if spec.api_scopes:
        apis.create_client_grant(app, api, spec.api_scopes)
    return app, secret, created


def seed_fapi_app(api: Api) -> tuple[Application, bool]:
    """The "FAPI 2.0" demo application: a machine client that authenticates with private_key_jwt (an ES256 key
    pair generated here: the public JWK registered on the application, the private key in :func:`fapi_key_path`),
    gets only DPoP-bound tokens (require DPoP) and would have to push any authorization request (require PAR): the
    FAPI 2.0 Security Profile mode."""
    public = json.loads(fapi_private_key().export_public())
    app = Application.objects.filter(client_id=FAPI_CLIENT_ID).first()
    created = app is None
    if created:
        app, _ = applications.create_application(
            presets.M2M, name="Demo FAPI 2.0 (private_key_jwt + DPoP)", auth_method="private_key_jwt",
            jwks={"keys": [public]}, require_dpop=True, require_par=True, fapi=True)
        app.client_id = FAPI_CLIENT_ID
    app.token_endpoint_auth_method, app.jwks = "private_key_jwt", {"keys": [public]}
    app.jwks_uri = app.client_secret = ""
    app.require_dpop = app.require_pushed_authorization_requests = app.fapi = True
    app.full_clean(exclude=["client_secret", "user", "client_id"])
    app.save()
    apis.create_client_grant(app, api, ["read:messages"])
    return app, created


@transaction.atomic
def seed(base_url: str) -> dict[str, Any]:
    """Everything the demo needs; safe to run again (it updates, never duplicates)."""
    base = base_url.rstrip("/")
    seed_user()
    seed_admin()
    api = seed_api()
    applications = []
    for spec in app_specs(base):
        app, secret, created = seed_app(spec, api)
        applications.append({
            "client_id": app.client_id, "client_secret": secret, "name": app.name, "type": app.app_type,
            "flow": spec.flow, "grant_types": list(app.grant_types), "callbacks": app.redirect_uri_list,
            "origins": app.origin_list, "created": created,
        })
    fapi, created = seed_fapi_app(api)
    applications.append({
        "client_id": fapi.client_id, "client_secret": None, "name": fapi.name, "type": fapi.app_type,
        "flow": "Client Credentials, FAPI 2.0", "grant_types": list(fapi.grant_types), "callbacks": [],
        "origins": [], "created": created, "auth_method": "private_key_jwt", "private_key_file": str(fapi_key_path()),
        "require_dpop": True, "require_par": True,
    })
    return {
        "url": f"{base}/", "username": USERNAME, "password": PASSWORD,
        "admin": {"url": f"{base}/admin/", "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
        "api": {"identifier": api.identifier, "scopes": api.scope_values},
        "applications": applications,
    }
