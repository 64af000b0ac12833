"""Encryption at rest of private signing keys and kept token responses (Fernet), under rotated secrets.

The first key derives from the current secret (``AUTHFLOWS["KEY_ENCRYPTION_SECRET"]``, else
``SECRET_KEY``) and encrypts; the keys from ``AUTHFLOWS["KEY_ENCRYPTION_SECRET_FALLBACKS"]``,
``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS`` only decrypt, as Django treats ``SECRET_KEY_FALLBACKS``."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed

from .conf import authflows_settings


def _key(purpose: str, secret: str) -> Fernet:
    digest = hashlib.sha256(f"django_authflows.{purpose}:".encode() + secret.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def secrets() -> list[str]:
    """The secrets in the order they are tried: the current one first, then every fallback once."""
    ordered = [
        authflows_settings.KEY_ENCRYPTION_SECRET,
        *authflows_settings.KEY_ENCRYPTION_SECRET_FALLBACKS,
        settings.SECRET_KEY,
        *getattr(settings, "SECRET_KEY_FALLBACKS", []),
    ]
    return list(dict.fromkeys(s for s in ordered if s))


@lru_cache(maxsize=8)
def fernet(purpose: str) -> MultiFernet:
    """Encrypts with the current secret; decrypts what any listed secret encrypted. ``purpose`` keeps the
    keys of different uses apart (``signing_keys``, ``successor``)."""
    return MultiFernet([_key(purpose, secret) for secret in secrets()])


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in ("AUTHFLOWS", "SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        fernet.cache_clear()


setting_changed.connect(_reload)
