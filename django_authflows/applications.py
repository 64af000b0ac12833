"""Applications: the create / change / rotate-secret service the admin, the CLI and the demo share, under
the rules of :mod:`django_authflows.presets` (RFC 6749 §2: client types and registration)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import client_jwks, hashing, presets
from .models import Application


def _keys(app_type: str, auth_method: str | None, jwks: Any, jwks_uri: str) -> tuple[str, Any, str]:
    """(auth method, public JWKS or None, jwks_uri) checked: private_key_jwt needs keys (RFC 7523 §2.2), and
    only public keys are ever accepted."""
    method = presets.check_auth_method(app_type, auth_method or "")
    keys = client_jwks.parse_public_jwks(jwks) if jwks else None
    uri = client_jwks.validate_jwks_uri(jwks_uri) if jwks_uri else ""
    if keys and uri:
        raise ValueError("Register the public keys inline or by URL, not both.")
    if method == presets.PRIVATE_KEY_JWT and not (keys or uri):
        raise ValueError("private_key_jwt needs the application's public keys (--jwk-file) or --jwks-uri.")
    return method, keys, uri


def create_application(
    app_type: str,
    *,
    name: str,
    grants: list[str] | None = None,
    callbacks: Sequence[str] = (),
    origins: Sequence[str] = (),
    logout_urls: Sequence[str] = (),
    first_party: bool = True,
    user: object = None,
    require_dpop: bool = False,
    backchannel_logout_uri: str = "",
    backchannel_logout_session_required: bool = False,
    refresh_tokens_end_with_session: bool = False,
    auth_method: str | None = None,
    jwks: Any = None,
    jwks_uri: str = "",
    require_par: bool = False,
    fapi: bool = False,
) -> tuple[Application, str | None]:
    """Create an application from its type; returns (application, plaintext secret or None). The
    secret is returned once and stored only hashed. ``fapi``: the FAPI 2.0 Security Profile mode, whose
    defaults (private_key_jwt for confidential types, PAR, DPoP) are applied and whose rules are checked."""
    preset = presets.get_preset(app_type)
    grant_list = presets.normalise_grants(list(grants)) if grants else list(preset.default_grants)
    presets.check_grants(app_type, grant_list)
    if not name.strip():
        raise ValueError("An application needs a name.")
    callbacks = [presets.validate_url(u, kind="Callback URL", app_type=app_type) for u in callbacks if u.strip()]
    presets.check_callbacks(grant_list, callbacks)
    if fapi and not auth_method and preset.confidential:
        auth_method = presets.PRIVATE_KEY_JWT  # FAPI 2.0 SP §5.3.2: no shared secret
    method, keys, uri = _keys(app_type, auth_method, jwks, jwks_uri)
    if fapi:
        _check_fapi(app_type, grant_list, method, keys, uri)
        require_dpop = require_par = True  # shown as they are enforced
    secret = hashing.generate_client_secret() if method in presets.SECRET_AUTH_METHODS else None
    app = Application(
        token_endpoint_auth_method=method,
        jwks=keys,
        jwks_uri=uri,
        require_pushed_authorization_requests=require_par,
        name=name.strip(),
        app_type=app_type,
        grant_types=grant_list,
        first_party=first_party,
        redirect_uris=" ".join(callbacks),
        allowed_origins=" ".join(presets.validate_origin(o) for o in origins if o.strip()),
        post_logout_redirect_uris=" ".join(
            presets.validate_url(u, kind="Logout URL", app_type=app_type) for u in logout_urls if u.strip()
        ),
        client_secret=secret or "",
        user=user,
        require_dpop=require_dpop,
        fapi=fapi,
    )
    _set_backchannel(app, backchannel_logout_uri, backchannel_logout_session_required, refresh_tokens_end_with_session)
    app.save()
    return app, secret


def rotate_secret(app: Application) -> str:
    """A new secret for a confidential application; the old one stops working at once."""
    if not app.preset.confidential:
        raise ValueError("Public applications have no client secret.")
    if app.auth_method == presets.PRIVATE_KEY_JWT:
        raise ValueError("This application authenticates with private_key_jwt: it has keys, not a secret.")
    secret = hashing.generate_client_secret()
    app.client_secret = secret
    app.save(update_fields=["client_secret", "updated"])
    return secret


def update_application(
    app: Application,
    *,
    name: str,
    grants: list[str],
    callbacks: Sequence[str] = (),
    origins: Sequence[str] = (),
    logout_urls: Sequence[str] = (),
    first_party: bool = True,
    can_introspect: bool = False,
    require_dpop: bool | None = None,
    backchannel_logout_uri: str | None = None,
    backchannel_logout_session_required: bool | None = None,
    refresh_tokens_end_with_session: bool | None = None,
    auth_method: str | None = None,
    jwks: Any = None,
    jwks_uri: str | None = None,
    require_par: bool | None = None,
    fapi: bool | None = None,
) -> Application:
    """Change an application's settings under create_application's rules; its type, client_id and
    secret stay (:func:`rotate_secret` changes the secret)."""
    app_type = app.app_type
    grant_list = presets.normalise_grants(list(grants))
    if not grant_list:
        raise ValueError("An application needs at least one grant type.")
    presets.check_grants(app_type, grant_list)
    if not name.strip():
        raise ValueError("An application needs a name.")
    callbacks = [presets.validate_url(u, kind="Callback URL", app_type=app_type) for u in callbacks if u.strip()]
    presets.check_callbacks(grant_list, callbacks)
    app.name, app.grant_types = name.strip(), grant_list
    app.redirect_uris = " ".join(callbacks)
    app.allowed_origins = " ".join(presets.validate_origin(o) for o in origins if o.strip())
    app.post_logout_redirect_uris = " ".join(
        presets.validate_url(u, kind="Logout URL", app_type=app_type) for u in logout_urls if u.strip()
    )
    app.first_party, app.can_introspect = first_party, can_introspect
    if require_dpop is not None:
        app.require_dpop = require_dpop
    _set_backchannel(app, backchannel_logout_uri, backchannel_logout_session_required, refresh_tokens_end_with_session)
    if auth_method is not None or jwks is not None or jwks_uri is not None:  # None: unchanged
        method, keys, uri = _keys(
            app_type,
            auth_method or app.auth_method,
            app.jwks if jwks is None else jwks,
            app.jwks_uri if jwks_uri is None else jwks_uri,
        )
        app.token_endpoint_auth_method, app.jwks, app.jwks_uri = method, keys, uri
    if require_par is not None:
        app.require_pushed_authorization_requests = require_par
    if fapi is not None:
        app.fapi = fapi
    if app.fapi:
        _check_fapi(app_type, grant_list, app.auth_method, app.jwks, app.jwks_uri)
        app.require_dpop = app.require_pushed_authorization_requests = True
    app.save()
    return app


def _check_fapi(app_type: str, grants: list[str], method: str, jwks: Any, jwks_uri: str) -> None:
    problems = presets.fapi_problems(app_type=app_type, grants=grants, auth_method=method, jwks=jwks, jwks_uri=jwks_uri)
    if problems:
        raise ValueError("The FAPI 2.0 Security Profile mode refuses this application: " + "; ".join(problems) + ".")


def _set_backchannel(
    app: Application, uri: str | None, session_required: bool | None, refresh_ends: bool | None
) -> None:
    """OIDC Back-Channel Logout 1.0 §2.2 registration; None keeps the current value."""
    if uri is not None:
        uri = uri.strip()
        app.backchannel_logout_uri = presets.validate_backchannel_uri(uri) if uri else ""
    if session_required is not None:
        app.backchannel_logout_session_required = session_required
    if refresh_ends is not None:
        app.refresh_tokens_end_with_session = refresh_ends
