"""Deterministic demo client secrets, derived from SECRET_KEY so the demo relying party needs no plaintext store."""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from django.conf import settings
from jwcrypto import jwk

#: The confidential demo applications (they get a secret; the public ones do not).
CONFIDENTIAL_CLIENT_IDS = ("demo-regular-web-app", "demo-m2m")


def demo_secret(client_id: str) -> str:
    """The client secret ``seed_demo`` gives ``client_id``: HMAC-SHA256(SECRET_KEY, "demo-secret:" + client_id)."""
    return hmac.new(settings.SECRET_KEY.encode(), b"demo-secret:" + client_id.encode(), hashlib.sha256).hexdigest()


#: The "FAPI 2.0" demo application: private_key_jwt with an ES256 key pair that ``seed_demo`` generates.
FAPI_CLIENT_ID = "demo-fapi"


def fapi_key_path() -> Path:
    """Where ``seed_demo`` keeps the FAPI demo client's private key: beside the demo database (gitignored, 0600)."""
    database = settings.DATABASES["default"]
    name = str(database.get("NAME") or "")
    if database["ENGINE"].endswith("sqlite3") and name != ":memory:" and not name.startswith("file:"):
        return Path(f"{name}-demo-fapi-key.json")
    label = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:40]  # one file per database
    return Path(getattr(settings, "BASE_DIR", ".")) / f"demo-fapi-key-{label or 'default'}.json"


def fapi_private_key() -> jwk.JWK:
    """The FAPI demo client's ES256 private key: the one on disk, else a new one written with mode 0600."""
    path = fapi_key_path()
    try:
        key = jwk.JWK.from_json(path.read_text())
        if key.has_private and key.get("kty") == "EC" and key.get("crv") == "P-256":
            return key
    except (OSError, ValueError, jwk.InvalidJWKValue):
        pass
    key = jwk.JWK.generate(kty="EC", crv="P-256", alg="ES256", use="sig")
    key["kid"] = key.thumbprint()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a new file, so that it is 0600 from its first byte
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key.export_private())
    return key
