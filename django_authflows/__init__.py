"""django_authflows: an Auth0-compatible OAuth 2.0 / OpenID Connect server on django-oauth-toolkit."""

from __future__ import annotations

__version__ = "0.1.0"
