"""Client secrets: generation and a fast keyed hash suited to high-entropy random secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher

PREFIX = "authflows_hmac_sha256$"
_SALT = b"django_authflows.client_secret"


def generate_client_secret() -> str:
    """384 bits from the OS CSPRNG, as 64 URL-safe characters (Auth0's secret length)."""
    return secrets.token_urlsafe(48)


def _key(secret_key: str) -> bytes:
    return hashlib.sha256(_SALT + secret_key.encode()).digest()


def _digest(secret: str, secret_key: str) -> str:
    return hmac.new(_key(secret_key), secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def hash_client_secret(secret: str) -> str:
    """HMAC-SHA-256 under a server key: a random 384-bit secret needs no stretching, so checking
    one costs microseconds instead of a 1,000,000-iteration PBKDF2 (which protects weak passwords)."""
    return PREFIX + _digest(secret, settings.SECRET_KEY)


def is_hashed(stored: str) -> bool:
    if stored.startswith(PREFIX):
        return True
    try:
        identify_hasher(stored)
    except ValueError:
        return False
    return True


def verify_client_secret(provided: str, stored: str) -> tuple[bool, bool]:
    """Return (matches, needs_upgrade). Constant-time; DOT-hashed and plaintext secrets still verify
    and are reported for upgrade to the fast hash."""
    if not provided or not stored:
        return False, False
    if stored.startswith(PREFIX):
        expected = stored[len(PREFIX) :]
        for key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
            if hmac.compare_digest(_digest(provided, key), expected):
                return True, key != settings.SECRET_KEY
        return False, False
    try:
        identify_hasher(stored)
    except ValueError:  # stored in plaintext (DOT with hash_client_secret=False)
        return hmac.compare_digest(provided.encode("utf-8", "surrogatepass"), stored.encode()), True
    ok = check_password(provided, stored)
    return ok, ok
