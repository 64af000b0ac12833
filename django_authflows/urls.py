"""``path("", include("django_authflows.urls"))`` mounts every endpoint at Auth0's paths."""

from __future__ import annotations

from .server.urls import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
