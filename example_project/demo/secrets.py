"""Deterministic demo client secrets, derived from SECRET_KEY so the demo relying party needs no plaintext store."""
from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

#: The confidential demo applications (they get a secret; the public ones do not).
CONFIDENTIAL_CLIENT_IDS = ("demo-regular-web-app", "demo-m2m")


def demo_secret(client_id: str) -> str:
    """The client secret ``seed_demo`` gives ``client_id``: HMAC-SHA256(SECRET_KEY, "demo-secret:" + client_id)."""
    return hmac.new(settings.SECRET_KEY.encode(), b"demo-secret:" + client_id.encode(), hashlib.sha256).hexdigest()
