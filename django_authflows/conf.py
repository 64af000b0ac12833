"""Settings: one ``AUTHFLOWS`` dict, read through a typed object.

Every value is computed once and kept until Django's ``setting_changed`` signal says ``AUTHFLOWS`` (or
``SECRET_KEY``) changed, as ``override_settings`` and pytest-django's ``settings`` fixture send: these are
read several times per protected request, and each ``settings.X`` goes through Django's lazy object."""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

ALL_FLOWS = frozenset({"authorization_code", "pkce", "implicit", "client_credentials", "device"})
# Risky flows are off unless enabled: RFC 9700 §2.1.2 says the implicit grant should not be used.
DEFAULT_FLOWS = frozenset({"authorization_code", "pkce", "client_credentials", "device"})

DEFAULT_LIFETIMES: dict[str, int] = {
    "authorization_code": 60,  # RFC 6749 §4.1.2: short-lived; 10 minutes at most
    "access_token": 86400,  # Auth0's default for APIs
    "userinfo_access_token": 86400,
    "id_token": 36000,  # Auth0's default
    "refresh_token_idle": 1296000,  # 15 days
    "refresh_token_absolute": 2592000,  # 30 days
    "device_code": 900,
    "device_interval": 5,
    "dpop_proof": 60,  # RFC 9449 §11.1: how old a DPoP proof may be; its jti is remembered as long
}

#: OIDC Back-Channel Logout delivery: POSTs per logout token, seconds before the first retry (doubled at each
#: later one, up to ``backoff_max``), and seconds one POST may take.
DEFAULT_BACKCHANNEL: dict[str, float] = {
    "attempts": 5,
    "backoff": 10,
    "backoff_max": 600,
    "timeout": 5,
    "logout_token": 120,
}

DEFAULT_RATE_LIMITS: dict[str, tuple[int, int]] = {
    # name: (attempts, window in seconds)
    "login_username": (5, 300),
    "login_ip": (50, 300),
    "activate": (10, 300),
    "client_auth_client": (20, 60),
    "client_auth_ip": (100, 60),
    "token_client": (600, 60),
}


def _user_settings() -> dict[str, Any]:
    return getattr(settings, "AUTHFLOWS", {}) or {}


_computed: dict[str, Any] = {}
_MISSING = object()


def _setting(compute: Any) -> property:
    """A property computed once from the settings (see the module docstring)."""
    name = compute.__name__

    def get(self: Any) -> Any:
        value = _computed.get(name, _MISSING)
        if value is _MISSING:
            value = _computed[name] = compute(self)
        return value

    get.__doc__ = compute.__doc__
    return property(get)


@lru_cache(maxsize=64)
def _import_cached(path: str) -> Any:
    return import_string(path)


class AuthflowsSettings:
    """Typed, live view of ``settings.AUTHFLOWS``; never read at import time."""

    @_setting
    def ISSUER(self) -> str | None:
        """The issuer URL with its trailing slash, as Auth0 emits it; None derives it from the request."""
        issuer = _user_settings().get("ISSUER")
        if not issuer:
            return None
        return issuer if issuer.endswith("/") else issuer + "/"

    @_setting
    def FLOWS(self) -> frozenset[str]:
        return frozenset(_user_settings().get("FLOWS", DEFAULT_FLOWS))

    @_setting
    def DEFAULT_AUDIENCE(self) -> str | None:
        return _user_settings().get("DEFAULT_AUDIENCE") or None

    @_setting
    def LIFETIMES(self) -> MappingProxyType[str, int]:
        return MappingProxyType({**DEFAULT_LIFETIMES, **_user_settings().get("LIFETIMES", {})})

    @_setting
    def SIGNING_ALG(self) -> str:
        return _user_settings().get("SIGNING_ALG", "RS256")

    @_setting
    def KEY_ENCRYPTION_SECRET(self) -> str:
        """Secret from which the key that encrypts private signing keys at rest is derived."""
        return _user_settings().get("KEY_ENCRYPTION_SECRET") or settings.SECRET_KEY

    @_setting
    def KEY_ENCRYPTION_SECRET_FALLBACKS(self) -> tuple[str, ...]:
        """Earlier values of KEY_ENCRYPTION_SECRET: keys they encrypted still decrypt (as SECRET_KEY_FALLBACKS)."""
        return tuple(_user_settings().get("KEY_ENCRYPTION_SECRET_FALLBACKS", ()))

    @_setting
    def ADAPTER(self) -> Any:
        return _import_cached(_user_settings().get("ADAPTER", "django_authflows.adapter.DefaultAdapter"))

    @_setting
    def RATE_LIMITS(self) -> MappingProxyType[str, tuple[int, int]]:
        return MappingProxyType({**DEFAULT_RATE_LIMITS, **_user_settings().get("RATE_LIMITS", {})})

    @_setting
    def REFRESH_REUSE_LEEWAY(self) -> int:
        return int(_user_settings().get("REFRESH_REUSE_LEEWAY", 0))

    @_setting
    def CHECK_REVOCATION(self) -> bool:
        return bool(_user_settings().get("CHECK_REVOCATION", True))

    @_setting
    def REVOCATION_PROPAGATION_SECONDS(self) -> float:
        """Resource server: a revoked access token is refused by every process that shares the cache within
        this many seconds; each process reads the deny-list's generation from the cache at most this often."""
        return max(float(_user_settings().get("REVOCATION_PROPAGATION_SECONDS", 1)), 0.0)

    @_setting
    def TOKEN_CACHE_SIZE(self) -> int:
        """Resource server: verified access tokens kept per process (never past their ``exp``)."""
        return max(int(_user_settings().get("TOKEN_CACHE_SIZE", 10_000)), 0)

    @_setting
    def REMOTE_JWKS_URI(self) -> str | None:
        return _user_settings().get("REMOTE_JWKS_URI") or None

    @_setting
    def JWKS_MAX_STALE(self) -> int:
        """Resource server: a key deleted at the server stops being trusted within this many seconds,
        even while the key set cannot be fetched."""
        return int(_user_settings().get("JWKS_MAX_STALE", 600))

    @_setting
    def DPOP_NONCE(self) -> bool:
        """RFC 9449 §8: the token endpoint asks for a server nonce in every DPoP proof (``use_dpop_nonce``)."""
        return bool(_user_settings().get("DPOP_NONCE", False))

    @_setting
    def AUDIENCE(self) -> str | None:
        """Resource-server side: the API identifier this project's protected views accept."""
        return _user_settings().get("AUDIENCE") or None

    @_setting
    def BACKCHANNEL_LOGOUT(self) -> MappingProxyType[str, float]:
        return MappingProxyType({**DEFAULT_BACKCHANNEL, **_user_settings().get("BACKCHANNEL_LOGOUT", {})})

    def lifetime(self, name: str) -> int:
        return int(self.LIFETIMES[name])


authflows_settings = AuthflowsSettings()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in ("AUTHFLOWS", "SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        _computed.clear()
        _import_cached.cache_clear()


setting_changed.connect(_reload)
