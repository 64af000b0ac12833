"""RFC 8628 codes: high-entropy device codes (stored hashed) and base-20 user codes."""

from __future__ import annotations

import secrets

from ....adapter import USER_CODE_ALPHABET

USER_CODE_LENGTH = 8


def generate_device_code() -> str:
    """RFC 8628 §5.2: high entropy; 256 bits."""
    return secrets.token_urlsafe(32)


def normalise_user_code(raw: str) -> str | None:
    """RFC 8628 §6.1: case, spaces and dashes do not matter; None when it cannot be a user code."""
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    code = "".join(c for c in raw.upper() if c not in " -\t")
    if len(code) != USER_CODE_LENGTH or any(c not in USER_CODE_ALPHABET for c in code):
        return None
    return code


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"
