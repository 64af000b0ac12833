"""Compact JWS primitives (RFC 7515) for the accepted algorithms, on ``cryptography`` keys.

RS256 (RFC 7518 §3.3), PS256 (§3.5, the ID tokens of FAPI 2.0 applications), ES256 (§3.4: the signature is
r || s, 32 bytes each, not DER) and EdDSA with Ed25519 (RFC 8037). Signing and verifying tokens is on the hot
path of the token endpoint and of every protected request, so this calls ``cryptography`` directly instead of
building jwcrypto JWS objects."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

#: RFC 7518 §3.3: RS256 keys MUST be 2048 bits or larger.
MIN_RSA_BITS = 2048
_PKCS1 = padding.PKCS1v15()
#: RFC 7518 §3.5: RSASSA-PSS with SHA-256, MGF1 with SHA-256, a salt as long as the hash.
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
_SHA256 = hashes.SHA256()
_ECDSA = ec.ECDSA(hashes.SHA256())
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}
_B64URL = re.compile(r"[A-Za-z0-9_-]*\Z")  # explicit ranges: ASCII only, unlike \w


def b64url_encode(data: bytes) -> bytes:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def b64url_value(char: str) -> int:
    """The 6-bit value of one base64url character (KeyError for any other)."""
    return _VALUE[char]


def b64url_decode(segment: str) -> bytes:
    """Strict base64url without padding: ``=``, whitespace, ``+``/``/`` and non-canonical trailing bits
    raise ValueError, so one byte string has exactly one encoding (``base64`` alone accepts all of them)."""
    rest = len(segment) % 4
    if rest == 1 or not _B64URL.match(segment):
        raise ValueError("Not base64url.")
    # The last character of a 2- or 3-character group carries 4 or 2 bits that must be zero.
    if rest and _VALUE[segment[-1]] & (0x0F if rest == 2 else 0x03):
        raise ValueError("Not canonical base64url.")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def alg_for(key: object) -> str | None:
    """The one JWS algorithm a key serves: RS256 for RSA of 2048 bits or more, ES256 for P-256, EdDSA
    for Ed25519; None for anything else."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "RS256" if key.key_size >= MIN_RSA_BITS else None
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return "ES256" if isinstance(key.curve, ec.SECP256R1) else None
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "EdDSA"
    return None


def signer_for(alg: str, key: object) -> Callable[[bytes], bytes]:
    """A function returning the JWS signature of its input by ``key`` (for ES256 r || s, not the DER that
    ``cryptography`` returns). The key's type is checked here, once, rather than for every token. An RSA key
    signs PS256 too (RFC 7518 §3.5) when its record says so: ID tokens of FAPI 2.0 applications."""
    if alg == "PS256" and alg_for(key) == "RS256" and isinstance(key, rsa.RSAPrivateKey):

        def sign_ps256(data: bytes, sign: Callable[..., bytes] = key.sign) -> bytes:
            return sign(data, _PSS, _SHA256)

        return sign_ps256
    if alg_for(key) != alg:
        raise ValueError(f"A {type(key).__name__} does not sign {alg}.")
    if isinstance(key, rsa.RSAPrivateKey):

        def sign_rs256(data: bytes, sign: Callable[..., bytes] = key.sign) -> bytes:
            return sign(data, _PKCS1, _SHA256)

        return sign_rs256
    if isinstance(key, ec.EllipticCurvePrivateKey):

        def sign_es256(data: bytes, sign: Callable[..., bytes] = key.sign) -> bytes:
            return p256_der_to_raw(sign(data, _ECDSA))

        return sign_es256
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign
    raise ValueError(f"A {type(key).__name__} does not sign JWS.")  # a public key


def p256_der_to_raw(der: bytes) -> bytes:
    """r || s, 32 bytes each, from the DER ``SEQUENCE { INTEGER r, INTEGER s }`` that OpenSSL returns for
    a P-256 key. Same result as ``decode_dss_signature`` and ``int.to_bytes``, in a quarter of the time,
    which is a few percent of an ES256 signature: every length fits in one byte (the sequence is at most
    70 bytes), and an INTEGER is 1 to 33 bytes (a leading zero byte when its high bit is set)."""
    r_len = der[3]
    r, s = der[4 : 4 + r_len], der[6 + r_len :]
    return r[-32:].rjust(32, b"\0") + s[-32:].rjust(32, b"\0")


def _der_integer(value: bytes) -> bytes:
    value = value.lstrip(b"\0") or b"\0"
    if value[0] & 0x80:  # a positive INTEGER whose high bit is set takes a leading zero byte
        value = b"\0" + value
    return b"\x02" + bytes((len(value),)) + value


def p256_raw_to_der(signature: bytes) -> bytes:
    """The DER ``SEQUENCE { INTEGER r, INTEGER s }`` that OpenSSL verifies, from a JWS ES256 signature r || s
    (32 bytes each): ``encode_dss_signature`` without the detour through Python integers. Every length fits
    in one byte (at most 33 per INTEGER, 70 in all)."""
    body = _der_integer(signature[:32]) + _der_integer(signature[32:])
    return b"\x30" + bytes((len(body),)) + body


def verify(alg: str, key: PublicKey, signature: bytes, data: bytes) -> None:
    """Raise InvalidSignature unless ``signature`` is ``alg``'s signature of ``data`` by ``key``. The key
    must be of the algorithm's type (RFC 8725 §3.1: never let the token choose how a key is used)."""
    if alg == "RS256" and isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS:
        key.verify(signature, data, _PKCS1, _SHA256)
    elif alg == "PS256" and isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS:
        key.verify(signature, data, _PSS, _SHA256)
    elif alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        if len(signature) != 64:  # a DER signature, or r and s of another size, is no JWS signature
            raise InvalidSignature
        key.verify(p256_raw_to_der(signature), data, _ECDSA)
    elif alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
    else:
        raise InvalidSignature  # the header names an algorithm this key does not serve


def public_key_from_jwk(data: dict[str, Any]) -> PublicKey:
    """The public key of an RSA, EC P-256 or OKP Ed25519 JWK (RFC 7518 §6, RFC 8037 §2); ValueError for
    other key types, keys not meant for verifying signatures, and malformed members."""
    if data.get("use", "sig") != "sig" or "verify" not in data.get("key_ops", ["verify"]):
        raise ValueError("Not a signature verification key.")
    kty = data.get("kty")
    if kty == "RSA":
        n, e = (int.from_bytes(b64url_decode(data[m]), "big") for m in ("n", "e"))
        return rsa.RSAPublicNumbers(e, n).public_key()
    if kty == "EC" and data.get("crv") == "P-256":
        x, y = b64url_decode(data["x"]), b64url_decode(data["y"])
        if len(x) != 32 or len(y) != 32:
            raise ValueError("P-256 coordinates are 32 bytes.")
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)  # checks the curve
    if kty == "OKP" and data.get("crv") == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(data["x"]))
    raise ValueError(f"Unsupported key type {kty!r}.")
