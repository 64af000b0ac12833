"""Application config for django_authflows (app label ``authflows``)."""
from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthflowsConfig(AppConfig):
    name = "django_authflows"
    label = "authflows"
    verbose_name = _("Auth flows")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (registers checks and receivers)
