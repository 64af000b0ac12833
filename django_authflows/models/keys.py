"""Signing keys: next, active and retired, private keys encrypted at rest."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


class SigningKey(models.Model):
    """A JWS signing key. ``next`` keys are published before they sign; ``retired`` keys are still
    published until every token they signed has expired."""

    NEXT, ACTIVE, RETIRED = "next", "active", "retired"
    STATES = [(NEXT, _("next")), (ACTIVE, _("active")), (RETIRED, _("retired"))]

    kid = models.CharField(max_length=64, unique=True)
    alg = models.CharField(max_length=8)
    state = models.CharField(max_length=8, choices=STATES, default=NEXT, db_index=True)
    private_key = models.TextField(help_text=_("Encrypted at rest (Fernet, key derived from a setting)."))
    public_jwk = models.JSONField()
    created = models.DateTimeField(auto_now_add=True)
    activated = models.DateTimeField(null=True, blank=True)
    retired = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("signing key")

    def __str__(self) -> str:
        return f"{self.kid} ({self.alg}, {self.state})"

    @classmethod
    def trusted(cls) -> models.QuerySet[SigningKey]:
        """Keys that verify: next, active, and retired ones until every token they signed has expired.
        A compromised key is deleted, not retired."""
        from django.db.models import Q
        from django.utils import timezone

        horizon = timezone.now() - timedelta(seconds=longest_token_lifetime())
        return cls.objects.filter(~Q(state=cls.RETIRED) | Q(retired__gte=horizon))


def longest_token_lifetime() -> int:
    """The longest time a signed token can stay valid (settings and per-API lifetimes)."""
    from ..conf import authflows_settings
    from .api import Api

    lifetimes = authflows_settings.LIFETIMES
    api_max = max((a for a in Api.objects.values_list("token_lifetime", flat=True) if a), default=0)
    return max(lifetimes["access_token"], lifetimes["id_token"], lifetimes["userinfo_access_token"], api_max)
