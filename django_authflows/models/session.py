"""Server-side login sessions (OIDC Core §2 ``sid``) and Back-Channel Logout deliveries (OIDC BCL 1.0 §2.7)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings


class LoginSession(models.Model):
    """One browser login: who, when and how, from what, and every application that got tokens in it."""

    sid = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="authflows_sessions")
    #: Django's session key at login (it changes when Django cycles it; ``sid`` does not).
    session_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    issuer = models.CharField(max_length=255, blank=True, default="")
    auth_time = models.DateTimeField()
    amr = models.JSONField(default=list, blank=True)
    user_agent = models.CharField(_("device"), max_length=120, blank=True, default="")
    ip = models.CharField(_("IP address"), max_length=45, blank=True, default="")
    last_seen = models.DateTimeField()
    ended = models.DateTimeField(null=True, blank=True, db_index=True)
    end_reason = models.CharField(max_length=32, blank=True, default="")
    applications = models.ManyToManyField(
        oauth2_settings.APPLICATION_MODEL, through="SessionApplication", related_name="login_sessions", blank=True
    )

    class Meta:
        verbose_name = _("login session")
        verbose_name_plural = _("login sessions")
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.user} / {self.user_agent or 'unknown device'} ({'ended' if self.ended else 'active'})"


class SessionApplication(models.Model):
    """An application that received tokens (code, implicit, device approval) from a login session."""

    session = models.ForeignKey(LoginSession, on_delete=models.CASCADE)
    application = models.ForeignKey(oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "application"], name="authflows_one_row_per_session_application")
        ]

    def __str__(self) -> str:
        return f"{self.session} -> {self.application}"


class BackchannelDelivery(models.Model):
    """One logout token to POST to one application's ``backchannel_logout_uri``, retried by the worker."""

    PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
    STATUS_CHOICES = [(PENDING, _("pending")), (DELIVERED, _("delivered")), (FAILED, _("failed"))]

    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="backchannel_deliveries"
    )
    session = models.ForeignKey(
        LoginSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    uri = models.CharField(max_length=2048)
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255, blank=True, default="")
    sid = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True, default="")
    next_attempt = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("back-channel logout delivery")
        verbose_name_plural = _("back-channel logout deliveries")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.application} <- {self.uri} ({self.status})"
