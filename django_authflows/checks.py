"""System checks (``authflows.E001`` ...): configuration that would make the server unsafe or broken."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register  # noqa: A004 (django.core.checks' name)

from .conf import authflows_settings
from .recommended import APPLICATION_MODEL

E001 = Error(
    "OAUTH2_PROVIDER_APPLICATION_MODEL is not 'authflows.Application'.",
    hint="Set OAUTH2_PROVIDER_APPLICATION_MODEL = 'authflows.Application' before the first migrate: "
    "application types, grant sets and origins live on that model.",
    id="authflows.E001",
)
E002 = Error(
    "PKCE 'plain' is accepted: OAUTH2_PROVIDER['COMPLIANT_BCP_RFC9700_PKCE_METHOD'] is not True.",
    hint="RFC 9700 §2.1.1: accept S256 only. Use django_authflows.recommended.oauth2_provider_settings().",
    id="authflows.E002",
)
E003 = Error(
    "oauthlib 4 or later is installed; django-oauth-toolkit 3.x answers HTTP 500 with it.",
    hint="Install 'oauthlib>=3.3.1,<4'.",
    id="authflows.E003",
)
W001 = Warning(
    "The implicit flow is enabled (AUTHFLOWS['FLOWS'] contains 'implicit').",
    hint="RFC 9700 §2.1.2: use 'authorization_code' with PKCE instead.",
    id="authflows.W001",
)
W002_MSG = "Application {app!r} has an http redirect, logout or origin URL outside loopback: {url}"
W002_HINT = "RFC 9700 §4.1.1 / RFC 8252 §8.3: use https; http is for 127.0.0.1, [::1] and localhost only."
W003 = Warning(
    "AUTHFLOWS['ISSUER'] is not set: the issuer is derived from the Host header of each request.",
    hint="OIDC Discovery §4.3: set AUTHFLOWS['ISSUER'] to the public https URL, with its trailing slash.",
    id="authflows.W003",
)
W004 = Warning(
    "OAUTH2_PROVIDER['REFRESH_TOKEN_REUSE_PROTECTION'] is False.",
    hint="RFC 9700 §4.14.2: a replayed refresh token must revoke its family; set it to True.",
    id="authflows.W004",
)
W005 = Warning(
    "OAUTH2_PROVIDER['DEFAULT_SCOPES'] contains '__all__': clients would get every scope they did not ask for.",
    hint="RFC 6749 §3.3: grant only what was requested and allowed; use ['openid'].",
    id="authflows.W005",
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def _dot() -> dict[str, Any]:
    return getattr(settings, "OAUTH2_PROVIDER", {}) or {}


@register(Tags.security)
def check_application_model(app_configs: Any, **kwargs: Any) -> list[Error]:
    model = getattr(settings, "OAUTH2_PROVIDER_APPLICATION_MODEL", None)
    return [] if model == APPLICATION_MODEL else [E001]


@register(Tags.security)
def check_pkce_plain(app_configs: Any, **kwargs: Any) -> list[Error]:
    return [] if _dot().get("COMPLIANT_BCP_RFC9700_PKCE_METHOD") is True else [E002]


@register(Tags.compatibility)
def check_oauthlib_version(app_configs: Any, **kwargs: Any) -> list[Error]:
    try:
        major = int(version("oauthlib").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return []
    return [E003] if major >= 4 else []


@register(Tags.security)
def check_implicit_flow(app_configs: Any, **kwargs: Any) -> list[Warning]:
    return [W001] if "implicit" in authflows_settings.FLOWS else []


@register(Tags.security)
def check_default_scopes(app_configs: Any, **kwargs: Any) -> list[Warning]:
    return [W005] if "__all__" in _dot().get("DEFAULT_SCOPES", ["__all__"]) else []


@register(Tags.security, deploy=True)
def check_issuer(app_configs: Any, **kwargs: Any) -> list[Warning]:
    return [] if authflows_settings.ISSUER else [W003]


@register(Tags.security, deploy=True)
def check_refresh_reuse(app_configs: Any, **kwargs: Any) -> list[Warning]:
    return [] if _dot().get("REFRESH_TOKEN_REUSE_PROTECTION") is True else [W004]


def insecure_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK_HOSTS


@register(Tags.security, deploy=True)
def check_http_urls(app_configs: Any, **kwargs: Any) -> list[Warning]:
    from django.db import DatabaseError

    from .models import Application

    found = []
    try:
        for app in Application.objects.only("name", "redirect_uris", "post_logout_redirect_uris", "allowed_origins"):
            for url in app.redirect_uri_list + app.logout_url_list + app.origin_list:
                if insecure_url(url):
                    found.append(
                        Warning(W002_MSG.format(app=app.name, url=url), hint=W002_HINT, obj=app, id="authflows.W002")
                    )
    except DatabaseError:  # not migrated yet: nothing registered to check
        return []
    return found


E004 = Error(
    "BearerTokenMiddleware is placed before AuthenticationMiddleware.",
    hint="Put 'django_authflows.resource.middleware.BearerTokenMiddleware' after "
    "'django.contrib.auth.middleware.AuthenticationMiddleware' in MIDDLEWARE.",
    id="authflows.E004",
)
_BEARER_MW = "django_authflows.resource.middleware.BearerTokenMiddleware"
_AUTH_MW = "django.contrib.auth.middleware.AuthenticationMiddleware"


@register(Tags.security)
def check_middleware_order(app_configs: Any, **kwargs: Any) -> list[Error]:
    middleware = list(getattr(settings, "MIDDLEWARE", []) or [])
    if (
        _BEARER_MW in middleware
        and _AUTH_MW in middleware
        and middleware.index(_BEARER_MW) < middleware.index(_AUTH_MW)
    ):
        return [E004]
    return []


W006 = Warning(
    "BearerTokenMiddleware is installed but AUTHFLOWS['AUDIENCE'] is not set: protected views refuse every token.",
    hint="RFC 9068 §4: an API accepts only tokens for its own identifier; set AUTHFLOWS['AUDIENCE'] to it, "
    "or pass audience= to @require_bearer.",
    id="authflows.W006",
)
W007 = Warning(
    "The default cache is per process (LocMemCache): revocations, rate limits and the single use of DPoP proofs "
    "and client assertions do not hold across processes "
    "(changes to applications, APIs and client grants still reach every process, through one database read "
    "per token request).",
    hint="Use a shared cache in production, e.g. django-redis: CACHES['default']['BACKEND'] = "
    "'django_redis.cache.RedisCache'.",
    id="authflows.W007",
)


@register(Tags.security)
def check_audience(app_configs: Any, **kwargs: Any) -> list[Warning]:
    installed = _BEARER_MW in list(getattr(settings, "MIDDLEWARE", []) or [])
    return [W006] if installed and not authflows_settings.AUDIENCE else []


@register(Tags.security, deploy=True)
def check_shared_cache(app_configs: Any, **kwargs: Any) -> list[Warning]:
    backend = (
        getattr(settings, "CACHES", {})
        .get("default", {})
        .get("BACKEND", "django.core.cache.backends.locmem.LocMemCache")
    )
    return [W007] if backend.endswith(("LocMemCache", "DummyCache")) else []


W008 = Warning(
    "Back-channel logout deliveries run inside the request that ends a session: the default task backend is "
    "Django's immediate one (TASKS is not set, or names ImmediateBackend), so a slow or unreachable "
    "backchannel_logout_uri delays the user's logout.",
    hint="OIDC Back-Channel Logout 1.0 §2.7 leaves delivery to the OP: TASKS = {'default': {'BACKEND': "
    "'django_tasks_db.DatabaseBackend'}} and run `manage.py db_worker` beside the server.",
    id="authflows.W008",
)


@register(Tags.security, deploy=True)
def check_task_backend(app_configs: Any, **kwargs: Any) -> list[Warning]:
    backend = (getattr(settings, "TASKS", None) or {}).get("default", {}).get("BACKEND", "ImmediateBackend")
    return [W008] if backend.endswith("ImmediateBackend") else []


E005_HINT = (
    "FAPI 2.0 Security Profile §5.3.2: authorization code (+ refresh token, client credentials) only, "
    "private_key_jwt with PS256/ES256 keys (or a public client, DPoP-bound), no client secret. Fix the application "
    "in the admin, or turn its FAPI 2.0 mode off."
)


@register(Tags.security)
def check_fapi_applications(app_configs: Any, **kwargs: Any) -> list[Error]:
    """authflows.E005: an application in the FAPI 2.0 mode whose registration breaks the profile's rules (an
    implicit grant, a client secret, no keys, RS256-only keys) - e.g. changed by a data migration or a script."""
    from django.db import DatabaseError

    from .models import Application

    found = []
    try:
        for app in Application.objects.filter(fapi=True):
            for problem in app.fapi_problems():
                found.append(
                    Error(
                        f"Application {app.name!r} is in the FAPI 2.0 Security Profile mode but {problem}.",
                        hint=E005_HINT,
                        obj=app,
                        id="authflows.E005",
                    )
                )
    except DatabaseError:  # not migrated yet
        return []
    return found
