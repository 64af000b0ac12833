"""The DOT settings django_authflows needs and recommends; a project spreads them into its settings."""

from __future__ import annotations

from typing import Any

#: ``OAUTH2_PROVIDER_APPLICATION_MODEL = APPLICATION_MODEL``
APPLICATION_MODEL = "authflows.Application"


def pkce_required(client_id: str) -> bool:
    """DOT's per-client PKCE policy (RFC 9700 §2.1.1), the rule our validator applies (server/flows/pkce.py):
    public clients and types that require it. A callable, so `check --deploy` sees a policy, not "off"."""
    from django.apps import apps
    from django.conf import settings

    model = apps.get_model(settings.OAUTH2_PROVIDER_APPLICATION_MODEL)
    app = model.objects.filter(client_id=client_id).first()
    return app is None or bool(app.pkce_required)


def oauth2_provider_settings(**overrides: Any) -> dict[str, Any]:
    """Secure values for DOT's ``OAUTH2_PROVIDER``: every RFC 9700 gate on, reuse protection on,
    no ``__all__`` default scope, short single-use codes."""
    values: dict[str, Any] = {
        "OIDC_ENABLED": True,
        "PKCE_REQUIRED": pkce_required,  # per application type (presets): a policy, not a blanket False
        "SCOPES": {
            "openid": "Know who you are",
            "profile": "See your name and username",
            "email": "See your email address",
            "offline_access": "Stay signed in (refresh tokens)",
        },
        "DEFAULT_SCOPES": ["openid"],
        "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
        "REFRESH_TOKEN_REUSE_PROTECTION": True,
        "ROTATE_REFRESH_TOKEN": True,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],  # http is refused outside loopback by our checks
        "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,  # DOT's own implicit path; ours is AUTHFLOWS['FLOWS']
        "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
        "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
        "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
        "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
        "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
        "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": False,  # loopback http is allowed (RFC 8252 §7.3)
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
        "OAUTH2_VALIDATOR_CLASS": "django_authflows.server.validator.AuthflowsValidator",
    }
    values.update(overrides)
    return values
