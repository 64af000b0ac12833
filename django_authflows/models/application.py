"""The swapped DOT Application: an application type, a set of grants, origins and logout URLs."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication

from .. import client_jwks, hashing, presets

# DOT's single-grant vocabulary -> ours (RFC names).
_DOT_GRANTS = {
    AbstractApplication.GRANT_AUTHORIZATION_CODE: presets.AUTHORIZATION_CODE,
    AbstractApplication.GRANT_IMPLICIT: presets.IMPLICIT,
    AbstractApplication.GRANT_CLIENT_CREDENTIALS: presets.CLIENT_CREDENTIALS,
    AbstractApplication.GRANT_DEVICE_CODE: presets.DEVICE_CODE,
}


class ClientSecretField(models.CharField):
    """Stores the client secret hashed with :func:`hashing.hash_client_secret` (never in plaintext)."""

    def pre_save(self, model_instance: Any, add: bool) -> str:
        secret = getattr(model_instance, self.attname) or ""
        if secret and not hashing.is_hashed(secret):
            secret = hashing.hash_client_secret(secret)
            setattr(model_instance, self.attname, secret)
        return secret


class Application(AbstractApplication):
    """An OAuth client, as Auth0 models it: a type, a set of grants, callbacks, origins and logout URLs."""

    app_type = models.CharField(
        _("application type"), max_length=16, choices=presets.APP_TYPE_CHOICES, default=presets.REGULAR
    )
    grant_types = models.JSONField(_("grant types"), default=list, blank=True)
    first_party = models.BooleanField(
        _("first party"),
        default=True,
        help_text=_("First-party applications skip the consent page once the user has consented."),
    )
    can_introspect = models.BooleanField(
        _("may introspect tokens"),
        default=False,
        help_text=_("Allow this application to introspect tokens issued to other applications (RFC 7662)."),
    )
    require_dpop = models.BooleanField(
        _("require DPoP"),
        default=False,
        help_text=_("Issue tokens only to token requests with a DPoP proof, bound to its key (RFC 9449)."),
    )
    client_secret = ClientSecretField(
        _("client secret"), max_length=255, blank=True, default=hashing.generate_client_secret, db_index=True
    )
    # OIDC Back-Channel Logout 1.0 §2.2: where a logout token is POSTed when a session the app took part in ends.
    backchannel_logout_uri = models.CharField(_("back-channel logout URI"), max_length=2048, blank=True, default="")
    backchannel_logout_session_required = models.BooleanField(
        _("back-channel logout needs sid"),
        default=False,
        help_text=_("The logout token always carries the session id (sid)."),
    )
    refresh_tokens_end_with_session = models.BooleanField(
        _("refresh tokens end with the session"),
        default=False,
        help_text=_(
            "Revoke this application's refresh tokens when the login session they came from ends "
            "(off: they survive logout, as in Auth0)."
        ),
    )

    # RFC 7591 §2 names. Blank: the type's default (rows made before the field existed).
    token_endpoint_auth_method = models.CharField(
        _("token endpoint authentication"),
        max_length=32,
        blank=True,
        default="",
        choices=presets.AUTH_METHOD_CHOICES,
        help_text=_(
            "How the application authenticates at the token, PAR, revocation, introspection and "
            "device endpoints. Private key JWT needs its public keys below."
        ),
    )
    jwks = models.JSONField(
        _("public keys (JWKS)"),
        null=True,
        blank=True,
        help_text=_(
            "The application's PUBLIC signature keys as a JWK Set, for private key JWT and signed "
            "request objects. Never paste a private key."
        ),
    )
    jwks_uri = models.URLField(
        _("JWKS URL"),
        max_length=2048,
        blank=True,
        default="",
        help_text=_("Or where the application publishes its public keys (https; fetched and cached)."),
    )
    require_pushed_authorization_requests = models.BooleanField(
        _("require PAR"),
        default=False,
        help_text=_("Refuse authorization requests that were not pushed to /oauth/par first (RFC 9126 §6)."),
    )

    fapi = models.BooleanField(
        _("FAPI 2.0 Security Profile"),
        default=False,
        help_text=_(
            "Enforce the FAPI 2.0 Security Profile: PAR required, PKCE S256, private key JWT with PS256/ES256 (or a "
            "public client), DPoP on every grant, authorization code only, codes valid 60 s, ID tokens signed PS256."
        ),
    )

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    @property
    def preset(self) -> presets.Preset:
        return presets.get_preset(self.app_type)

    @property
    def pkce_required(self) -> bool:
        return self.preset.pkce_required or self.client_type == self.CLIENT_PUBLIC or self.fapi

    @property
    def dpop_required(self) -> bool:
        """Tokens only for token requests with a DPoP proof: asked for, or the FAPI 2.0 mode (RFC 9449 §5.2)."""
        return self.require_dpop or self.fapi

    @property
    def par_required(self) -> bool:
        """Authorization requests must be pushed first: asked for, or the FAPI 2.0 mode (RFC 9126 §6)."""
        return self.require_pushed_authorization_requests or self.fapi

    def fapi_problems(self) -> list[str]:
        """How this registration breaks the FAPI 2.0 Security Profile rules (empty when it is not in the mode)."""
        if not self.fapi:
            return []
        return presets.fapi_problems(
            app_type=self.app_type,
            grants=self.grant_types or [],
            auth_method=self.auth_method,
            jwks=self.jwks,
            jwks_uri=self.jwks_uri,
        )

    @property
    def auth_method(self) -> str:
        """The registered token endpoint auth method (Auth0's names), or the type's default."""
        return self.token_endpoint_auth_method or self.preset.token_endpoint_auth_method

    @property
    def has_keys(self) -> bool:
        """Public keys are registered (inline or by URL): private key JWT and request objects can be verified."""
        return bool(self.jwks) or bool(self.jwks_uri)

    def has_grant(self, grant: str) -> bool:
        return grant in (self.grant_types or [])

    def allows_grant_type(self, *grant_types: str) -> bool:
        """DOT asks with its own grant names; answer from our set of grants."""
        return any(self.has_grant(_DOT_GRANTS.get(g, g)) for g in grant_types)

    @property
    def redirect_uri_list(self) -> list[str]:
        return self.redirect_uris.split()

    @property
    def origin_list(self) -> list[str]:
        return self.allowed_origins.split()

    @property
    def logout_url_list(self) -> list[str]:
        return self.post_logout_redirect_uris.split()

    def clean(self) -> None:
        """Our URL rules (presets.validate_url / validate_origin) instead of DOT's, which would ask for
        OIDC_RSA_PRIVATE_KEY (our keys live in SigningKey) and refuse native reverse-domain callbacks."""
        from django.core.exceptions import ValidationError

        errors: dict[str, list[str]] = {}
        checks = [
            ("redirect_uris", self.redirect_uri_list, "Callback URL"),
            ("post_logout_redirect_uris", self.logout_url_list, "Logout URL"),
        ]
        for field, urls, kind in checks:
            for url in urls:
                try:
                    presets.validate_url(url, kind=kind, app_type=self.app_type)
                except ValueError as exc:
                    errors.setdefault(field, []).append(str(exc))
        if self.backchannel_logout_uri:
            try:
                presets.validate_backchannel_uri(self.backchannel_logout_uri)
            except ValueError as exc:
                errors.setdefault("backchannel_logout_uri", []).append(str(exc))
        for origin in self.origin_list:
            try:
                presets.validate_origin(origin)
            except ValueError as exc:
                errors.setdefault("allowed_origins", []).append(str(exc))
        for field, check in (
            ("jwks", client_jwks.parse_public_jwks),
            ("jwks_uri", client_jwks.validate_jwks_uri),
            ("token_endpoint_auth_method", lambda m: presets.check_auth_method(self.app_type, m)),
        ):
            value = getattr(self, field)
            try:
                if value:
                    check(value)
            except ValueError as exc:
                errors.setdefault(field, []).append(str(exc))
        if self.auth_method == presets.PRIVATE_KEY_JWT and not self.has_keys:
            errors.setdefault("jwks", []).append("Private key JWT needs the application's public keys or a JWKS URL.")
        for problem in self.fapi_problems():
            errors.setdefault("fapi", []).append(f"FAPI 2.0: {problem}.")
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("admin:authflows_application_change", args=[self.pk])

    def save(self, *args: Any, **kwargs: Any) -> None:
        # DOT still reads its single grant in places (its admin, its checks): keep it meaningful.
        self.client_type = self.preset.client_type
        self.authorization_grant_type = (
            AbstractApplication.GRANT_CLIENT_CREDENTIALS
            if self.app_type == presets.M2M
            else AbstractApplication.GRANT_AUTHORIZATION_CODE
        )
        self.algorithm = AbstractApplication.RS256_ALGORITHM
        if not self.token_endpoint_auth_method:
            self.token_endpoint_auth_method = self.preset.token_endpoint_auth_method
        if self.client_type == self.CLIENT_PUBLIC or self.token_endpoint_auth_method == presets.PRIVATE_KEY_JWT:
            self.client_secret = ""  # keys, not a shared secret
        super().save(*args, **kwargs)
