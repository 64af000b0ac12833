"""Refresh-token families: one per login session of an application, for lifetimes and ID tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings


class TokenFamily(models.Model):
    """Every refresh token rotated from one grant shares a family (DOT's ``token_family``). The family
    keeps what the rotation must carry on: the login's auth_time and sid, and when it started (the
    absolute lifetime)."""

    family = models.UUIDField(unique=True)
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="token_families"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="authflows_families")
    audience = models.CharField(max_length=255, blank=True, default="")
    session = models.JSONField(default=dict, blank=True)
    scope = models.TextField(blank=True, default="", help_text=_("The scopes the login granted."))
    #: RFC 9449 §5: a public client's refresh tokens are bound to the DPoP key of the first token request.
    dpop_jkt = models.CharField(max_length=43, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refresh token family")
        verbose_name_plural = _("refresh token families")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.application} / {self.user} ({'revoked' if self.revoked else 'active'})"
