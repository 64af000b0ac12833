"""DPoP proofs and private_key_jwt client assertions for the benchmark's pools, signed with ``cryptography``
directly (ES256), independently of the server's own JOSE code.

    python -m bench.jose proofs KEYFILE N METHOD URL ACCESS_TOKEN OUT   N proofs, each with its own jti
    python -m bench.jose assertions KEYFILE N CLIENT_ID AUD OUT          N assertions, each with its own jti

Proofs and assertions are made just before the measurement that sends them (their iat is "now"; the
server accepts a proof for ``AUTHFLOWS['LIFETIMES']['dpop_proof']`` seconds, 60 by default, and an
assertion until its exp, 120 s after it is made here)."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class Key:
    """An ES256 key pair; ``save``/``load`` keep the private key in a PEM file the run's processes share."""

    def __init__(self, private: ec.EllipticCurvePrivateKey | None = None) -> None:
        self.private = private or ec.generate_private_key(ec.SECP256R1())
        numbers = self.private.public_key().public_numbers()
        self.public_jwk = {"kty": "EC", "crv": "P-256", "x": b64(numbers.x.to_bytes(32, "big")),
                           "y": b64(numbers.y.to_bytes(32, "big"))}
        canonical = _json({k: self.public_jwk[k] for k in ("crv", "kty", "x", "y")})
        self.jkt = b64(hashlib.sha256(canonical).digest())  # RFC 7638

    def save(self, path: Path) -> None:
        path.write_bytes(self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))

    @classmethod
    def load(cls, path: Path) -> Key:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return cls(key)

    def sign(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        data = b64(_json(header)) + "." + b64(_json(claims))
        r, s = decode_dss_signature(self.private.sign(data.encode(), ec.ECDSA(hashes.SHA256())))
        return data + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        """A DPoP proof (RFC 9449 §4.2) with a fresh jti and iat."""
        claims: dict[str, Any] = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": url, "iat": int(time.time())}
        if access_token is not None:
            claims["ath"] = b64(hashlib.sha256(access_token.encode()).digest())
        return self.sign({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.public_jwk}, claims)

    def assertion(self, client_id: str, audience: str, lifetime: int = 120) -> str:
        """A private_key_jwt client assertion (RFC 7523 §2.2) with a fresh jti."""
        now = int(time.time())
        return self.sign({"alg": "ES256", "typ": "JWT"}, {"iss": client_id, "sub": client_id, "aud": audience,
                                                         "jti": secrets.token_urlsafe(16), "iat": now,
                                                         "exp": now + lifetime})


def main() -> None:
    kind, key_file, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    key = Key.load(key_file)
    if kind == "proofs":
        method, url, token, out = sys.argv[4:8]
        lines = [key.proof(method, url, token or None) for _ in range(n)]
    else:
        client_id, audience, out = sys.argv[4:7]
        lines = [key.assertion(client_id, audience) for _ in range(n)]
    Path(out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
