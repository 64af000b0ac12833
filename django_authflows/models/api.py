"""APIs (resource servers, identified by their audience) and client grants for m2m applications."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

SIGNING_ALGS = [("RS256", "RS256"), ("ES256", "ES256"), ("EdDSA", "EdDSA")]


class Api(models.Model):
    """An API, as in Auth0: its identifier is the ``audience`` clients ask tokens for."""

    identifier = models.CharField(
        _("identifier"),
        max_length=255,
        unique=True,
        help_text=_("The audience of access tokens for this API; cannot change."),
    )
    name = models.CharField(_("name"), max_length=255)
    # [{"value": "read:messages", "description": "Read your messages"}, ...]
    scopes = models.JSONField(_("permissions"), default=list, blank=True)
    token_lifetime = models.PositiveIntegerField(
        _("token lifetime (seconds)"),
        null=True,
        blank=True,
        help_text=_("Empty: AUTHFLOWS['LIFETIMES']['access_token']."),
    )
    signing_alg = models.CharField(_("signing algorithm"), max_length=8, choices=SIGNING_ALGS, default="RS256")
    allow_offline_access = models.BooleanField(_("allow offline access"), default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("API")
        verbose_name_plural = _("APIs")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.identifier})"

    @property
    def scope_values(self) -> list[str]:
        return [s["value"] for s in self.scopes]

    def describe_scope(self, value: str) -> str:
        for s in self.scopes:
            if s["value"] == value:
                return s.get("description") or value
        return value


class ClientGrant(models.Model):
    """Authorises an application to get tokens for an API with some of its scopes (Auth0 client grant)."""

    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="client_grants"
    )
    api = models.ForeignKey(Api, on_delete=models.CASCADE, related_name="client_grants")
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "api"], name="authflows_one_grant_per_api")]
        verbose_name = _("client grant")

    def __str__(self) -> str:
        return f"{self.application} -> {self.api.identifier}"
