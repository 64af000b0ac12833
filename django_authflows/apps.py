"""Application config for django_authflows (app label ``authflows``)."""

from __future__ import annotations

import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthflowsConfig(AppConfig):
    name = "django_authflows"
    label = "authflows"
    verbose_name = _("Auth flows")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, lifecycle, registry, signals  # noqa: F401  (checks register when imported)
        from .server import cors, session

        # Every receiver is connected here, one call each (dispatch_uid makes a second ready() harmless).
        registry.connect()
        cors.connect()
        session.connect()
        lifecycle.connect()
        if self.apps is not None and self.apps.is_installed("django.contrib.admin"):
            signals.connect_admin_audit()

        # oauthlib logs issued tokens and codes at DEBUG ("Issuing token to client id ..., {'access_token':
        # ...}"). Unless a project set these loggers' levels itself, keep them at INFO so that a DEBUG root
        # logger never writes a token to a log.
        for name in ("oauthlib", "oauth2_provider"):
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.INFO)
