"""The adapter: one class whose methods a project overrides to change behaviour (as in allauth)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

# RFC 8628 §6.1: base-20, no vowels (no words) and no look-alikes.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


class DefaultAdapter:
    """Behaviour a project may override through ``AUTHFLOWS['ADAPTER']``."""

    def get_user_claims(self, user: AbstractBaseUser, scopes: set[str]) -> dict[str, Any]:
        """OIDC standard claims that ``scopes`` allow, for the ID token and /userinfo."""
        claims: dict[str, Any] = {}
        if "profile" in scopes:
            full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
            claims["name"] = full_name or user.get_username()
            claims["nickname"] = user.get_username()
            claims["preferred_username"] = user.get_username()
            if given_name := getattr(user, "first_name", ""):
                claims["given_name"] = given_name
            if family_name := getattr(user, "last_name", ""):
                claims["family_name"] = family_name
            updated = getattr(user, "last_login", None) or getattr(user, "date_joined", None)
            if updated:
                claims["updated_at"] = int(updated.timestamp())
        email = getattr(user, "email", "") if "email" in scopes else ""
        if email:
            claims["email"] = email
            claims["email_verified"] = False
        return claims

    def get_subject(self, user: AbstractBaseUser) -> str:
        """The ``sub`` claim for a user: stable, never reassigned."""
        return f"authflows|{user.pk}"

    def get_user_by_subject(self, subject: str) -> AbstractBaseUser | None:
        """The inverse of :meth:`get_subject`; None for anything else."""
        from django.contrib.auth import get_user_model

        prefix = "authflows|"
        if not subject.startswith(prefix) or not subject[len(prefix) :].isdigit():
            return None
        return get_user_model().objects.filter(pk=int(subject[len(prefix) :])).first()

    def generate_user_code(self) -> str:
        """RFC 8628 §6.1: base-20 alphabet without look-alikes; with rate limiting, enough entropy
        to defeat brute force."""
        raw = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
        return f"{raw[:4]}-{raw[4:]}"
