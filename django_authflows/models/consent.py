"""Consent a user gave an application, per API (audience) and scopes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings


class Consent(models.Model):
    """Remembered consent: which scopes a user allowed an application, for which audience."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="authflows_consents")
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    audience = models.CharField(max_length=255, blank=True, default="")
    scopes = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "application", "audience"], name="authflows_one_consent_per_audience"
            )
        ]
        verbose_name = _("consent")

    def __str__(self) -> str:
        return f"{self.user} -> {self.application} ({self.audience or 'default audience'})"

    def covers(self, scopes: set[str]) -> bool:
        return scopes <= set(self.scopes)
