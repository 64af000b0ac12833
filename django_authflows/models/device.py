"""Device authorization grants (RFC 8628): one row per device_code, stored hashed."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings


def hash_device_code(device_code: str) -> str:
    return hashlib.sha256(device_code.encode("utf-8", "surrogatepass")).hexdigest()


class DeviceGrant(models.Model):
    """A device waiting for, or holding, a user's approval. ``consumed`` is set exactly once."""

    PENDING, APPROVED, DENIED, CONSUMED = "pending", "approved", "denied", "consumed"
    STATES = [(PENDING, _("pending")), (APPROVED, _("approved")), (DENIED, _("denied")), (CONSUMED, _("consumed"))]

    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="device_grants"
    )
    device_code_hash = models.CharField(max_length=64, unique=True)
    user_code = models.CharField(max_length=8, db_index=True, help_text=_("Normalised: 8 letters, no dash."))
    scope = models.TextField(blank=True)
    audience = models.CharField(max_length=255, blank=True, default="")
    state = models.CharField(max_length=10, choices=STATES, default=PENDING, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="authflows_device_grants",
    )
    session = models.JSONField(default=dict, blank=True, help_text=_("auth_time and sid of the approving login."))
    interval = models.PositiveIntegerField(default=5)
    expires = models.DateTimeField()
    last_polled = models.DateTimeField(null=True, blank=True)
    expiry_reported = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    decided = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("device grant")
        ordering = ["-created"]

    def __str__(self) -> str:
        # Never the user code: __str__ appears in the admin (titles, breadcrumbs, its log) and in logs.
        return f"Device grant #{self.pk} ({self.state})"

    @property
    def display_code(self) -> str:
        return f"{self.user_code[:4]}-{self.user_code[4:]}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()
