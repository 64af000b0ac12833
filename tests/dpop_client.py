"""DPoP proofs made with jwcrypto (RFC 9449 §4.2), independently of the server's own JOSE code."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any

from jwcrypto import jwk, jws

ALGS_PARAM = 'algs="ES256 EdDSA RS256 PS256"'


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ath(access_token: str) -> str:
    return b64(hashlib.sha256(access_token.encode()).digest())


class DPoPKey:
    """A client's DPoP key pair; ``proof(...)`` signs a proof, with every field overridable for the
    negative tests."""

    def __init__(self, alg: str = "ES256") -> None:
        self.alg = alg
        if alg == "ES256":
            self.key = jwk.JWK.generate(kty="EC", crv="P-256")
        elif alg == "EdDSA":
            self.key = jwk.JWK.generate(kty="OKP", crv="Ed25519")
        else:
            self.key = jwk.JWK.generate(kty="RSA", size=2048)
        self.public = self.key.export_public(as_dict=True)
        self.jkt = self.key.thumbprint()  # RFC 7638, SHA-256, computed by jwcrypto

    def proof(self, htm: str, htu: str, *, access_token: str | None = None, nonce: str | None = None,
              iat: float | None = None, jti: str | None = None, header: dict[str, Any] | None = None,
              claims: dict[str, Any] | None = None, signer: Any = None) -> str:
        protected = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.public, **(header or {})}
        payload: dict[str, Any] = {"jti": jti or secrets.token_urlsafe(16), "htm": htm, "htu": htu,
                                   "iat": int(time.time()) if iat is None else iat}
        if access_token is not None:
            payload["ath"] = ath(access_token)
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims or {})
        token = jws.JWS(json.dumps(payload).encode())
        token.add_signature(signer or self.key, alg=protected["alg"], protected=json.dumps(protected))
        return token.serialize(compact=True)

    def unsigned(self, htm: str, htu: str) -> str:
        """alg none: what jwcrypto refuses to make, made by hand."""
        header = {"typ": "dpop+jwt", "alg": "none", "jwk": self.public}
        payload = {"jti": secrets.token_urlsafe(16), "htm": htm, "htu": htu, "iat": int(time.time())}
        return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}."

    def hs256(self, htm: str, htu: str) -> str:
        """HS256 with a symmetric key carried in jwk (a server must never accept it)."""
        secret = jwk.JWK.generate(kty="oct", size=256)
        return self.proof(htm, htu, header={"alg": "HS256", "jwk": secret.export(as_dict=True)}, signer=secret)

    def with_private_jwk(self, htm: str, htu: str) -> str:
        return self.proof(htm, htu, header={"jwk": self.key.export_private(as_dict=True)})


def bad_proofs(key: DPoPKey, htm: str, htu: str, *, access_token: str | None = None,
               other_htu: str) -> dict[str, str]:
    """The negative matrix of issue 17: each proof is wrong in one way (the reused proof is made by the test)."""
    other = DPoPKey()
    wrong_method = "GET" if htm == "POST" else "POST"
    made = {
        "iat_too_old": key.proof(htm, htu, access_token=access_token, iat=time.time() - 3600),
        "iat_in_the_future": key.proof(htm, htu, access_token=access_token, iat=time.time() + 3600),
        "htu_of_another_endpoint": key.proof(htm, other_htu, access_token=access_token),
        "htm_wrong": key.proof(wrong_method, htu, access_token=access_token),
        "alg_none": key.unsigned(htm, htu),
        "alg_hs256": key.hs256(htm, htu),
        "private_key_in_jwk": key.with_private_jwk(htm, htu),
        "typ_jwt": key.proof(htm, htu, access_token=access_token, header={"typ": "JWT"}),
        "signed_by_another_key_than_jwk": key.proof(htm, htu, access_token=access_token, signer=other.key),
        "no_jti": key.proof(htm, htu, access_token=access_token, claims={"jti": None}),
        "two_proofs": key.proof(htm, htu, access_token=access_token) + "," + key.proof(htm, htu),
        "not_a_jwt": "not-a-jwt",
    }
    if access_token is not None:
        made["ath_of_another_token"] = key.proof(htm, htu, access_token=access_token + "x")
        made["no_ath"] = key.proof(htm, htu)
    return made
