"""DPoP proofs (RFC 9449 §4): verification shared by the authorization server and the resource server."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeGuard
from urllib.parse import urlsplit, urlunsplit

from cryptography.exceptions import InvalidSignature
from django.http import HttpRequest

from . import jws, single_use
from .conf import authflows_settings

#: RFC 9449 §5.1 ``dpop_signing_alg_values_supported``: asymmetric only (§4.3 check 5: never none or HS*).
ALGS = ("ES256", "EdDSA", "RS256", "PS256")
ALGS_PARAM = " ".join(ALGS)
#: RFC 9864 §2.2 names EdDSA over Ed25519 "Ed25519", and clients that follow it (oauth4webapi 3) send that.
_ALIASES = {"Ed25519": "EdDSA"}
INVALID_PROOF = "invalid_dpop_proof"
USE_NONCE = "use_dpop_nonce"
MAX_PROOF_LENGTH = 8192
#: Seconds a proof's ``iat`` may lie in the future (clocks differ); the past is LIFETIMES["dpop_proof"].
CLOCK_SKEW = 15  # the OIDF FAPI 2.0 suite sends proofs 10 s ahead and expects them accepted
#: RFC 7638 §3.2: the required members of each key type, the only ones in the thumbprint.
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}
#: RFC 7517 §9.1 / RFC 7518 §6: members that only a private (or symmetric) key has.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REPLAY = "authflows:dpop:jti:"
_BAD_SIGNATURE = "The DPoP proof's signature does not verify with its jwk."
_THUMBPRINT_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}\Z")


class ProofError(Exception):
    """A refused proof: ``error`` is ``invalid_dpop_proof`` or ``use_dpop_nonce`` (RFC 9449 §5, §7.1, §8)."""

    def __init__(self, description: str, error: str = INVALID_PROOF) -> None:
        super().__init__(description)
        self.error, self.description = error, description


@dataclass(frozen=True)
class Proof:
    """A verified proof: the RFC 7638 thumbprint of its key, its ``ath`` (if any) and ``jti``."""

    jkt: str
    jti: str
    ath: str | None


def b64_sha256(value: str) -> str:
    """base64url SHA-256 without padding: ``ath`` (RFC 9449 §4.2) and ``jkt`` (RFC 7638 §3)."""
    return jws.b64url_encode(hashlib.sha256(value.encode()).digest()).decode("ascii")


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 §3: SHA-256 of the required members, sorted, without whitespace."""
    members = _THUMBPRINT_MEMBERS[jwk["kty"]]
    return b64_sha256(json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True))


def is_thumbprint(value: object) -> TypeGuard[str]:
    """A base64url SHA-256 (43 characters), the shape of ``dpop_jkt`` (RFC 9449 §10) and ``cnf.jkt``: the
    alphabet, and the last character's two low bits zero (canonical, as :func:`jws.b64url_decode` demands)."""
    return (
        isinstance(value, str)
        and len(value) == 43
        and _THUMBPRINT_SHAPE.match(value) is not None
        and not jws.b64url_value(value[-1]) & 0x03
    )


def normalise_htu(url: str) -> str | None:
    """RFC 9449 §4.3 check 9: the URI without query and fragment, normalised as RFC 3986 §6.2.2 and §6.2.3
    say (scheme and host lower case, default port dropped, empty path "/", percent-encodings upper case);
    None when it is no absolute http(s) URI."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = parts.path or "/"
    if "%" in path:
        chunks = path.split("%")
        path = chunks[0] + "".join("%" + c[:2].upper() + c[2:] for c in chunks[1:])
    return urlunsplit((scheme, host, path, "", ""))


def proof_header(request: HttpRequest) -> str | None:
    """The ``DPoP`` header, or None. Several headers (joined with commas by the server) are refused
    (§4.3 check 1): a compact JWS has no comma."""
    value = request.META.get("HTTP_DPOP")
    if value is None:
        return None
    if "," in value or not value.strip():
        raise ProofError("Send exactly one DPoP proof.")
    if len(value) > MAX_PROOF_LENGTH or not value.isascii():
        raise ProofError("The DPoP proof is malformed.")
    return value.strip()


def _decode(segment: str) -> Any:
    try:  # RFC 7515 §5.2: UTF-8 JSON (a str for json.loads, which would also guess UTF-16 and UTF-32 from bytes)
        return json.loads(jws.b64url_decode(segment).decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ProofError("The DPoP proof is malformed.") from None


def _header(segment: str) -> tuple[str, dict[str, Any]]:
    """§4.3 checks 4 to 7 on the header: typ, an accepted alg, a public jwk; returns (alg, jwk)."""
    header = _decode(segment)
    if not isinstance(header, dict) or "crit" in header:
        raise ProofError("The DPoP proof is malformed.")
    if header.get("typ") != "dpop+jwt":  # §4.2: typ is dpop+jwt, so a proof is never taken for another JWT
        raise ProofError("The DPoP proof's typ must be dpop+jwt.")
    alg = header.get("alg")
    alg = _ALIASES.get(alg, alg) if isinstance(alg, str) else alg
    if alg not in ALGS:  # §4.3 check 5: none and symmetric algorithms are refused
        raise ProofError(f"The DPoP proof's alg must be one of {ALGS_PARAM}.")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or jwk.get("kty") not in _THUMBPRINT_MEMBERS:
        raise ProofError("The DPoP proof must carry its public key in jwk.")
    if _PRIVATE_MEMBERS & jwk.keys():  # §4.3 check 7: a private key never travels
        raise ProofError("The DPoP proof's jwk must not contain a private key.")
    if not all(isinstance(jwk.get(m), str) for m in _THUMBPRINT_MEMBERS[jwk["kty"]]):
        raise ProofError("The DPoP proof's jwk is malformed.")
    return alg, jwk


@lru_cache(maxsize=1024)
def _normal_htu(url: str) -> str | None:
    """normalise_htu, memoised: a client sends the same few URIs, and the server compares with its own."""
    return normalise_htu(url)


@lru_cache(maxsize=256)
def _protected(segment: str) -> tuple[str, str, jws.PublicKey] | tuple[str, None, None]:
    """(alg, RFC 7638 thumbprint, public key) of a proof's protected header, checked and made once per
    distinct header in this process: a client sends the same header (typ, alg, jwk) with every proof. The
    thumbprint and key are None for a jwk that is no usable key (refused once the claims are checked);
    ProofError, not cached, for a refused header."""
    alg, jwk = _header(segment)
    try:
        canonical = _canonical(jwk)
        return alg, b64_sha256(canonical), jws.public_key_from_jwk(json.loads(canonical))
    except (ValueError, TypeError, KeyError):
        return alg, None, None


def _canonical(jwk: dict[str, Any]) -> str:
    """RFC 7638 §3: the required members, sorted, without whitespace (the thumbprint's input). ``use`` and
    ``key_ops``, which are not in it, are checked here: a key not meant for verifying signatures is refused."""
    if jwk.get("use", "sig") != "sig" or "verify" not in jwk.get("key_ops", ["verify"]):
        raise ValueError("Not a signature verification key.")
    members = _THUMBPRINT_MEMBERS[jwk["kty"]]
    return json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)


def verify_proof(
    value: str,
    *,
    method: str,
    url: str,
    access_token: str | None = None,
    require_nonce: bool = False,
    jkt: str | None = None,
    ath: str | None = None,
) -> Proof:
    """Every check of RFC 9449 §4.3 (and ``ath`` of §7.1 when ``access_token`` is given, the proof's key
    being the one of ``jkt`` when given); the ``jti`` is spent in the cache, so a proof is accepted once
    within the window across every process that shares the cache. Raises :class:`ProofError`. A caller
    that has the access token's hash already passes it as ``ath`` instead of ``access_token``.

    The cheap checks (the header, the claims, the key's thumbprint) come first, so a refused proof costs
    no signature verification; the ``jti`` is reserved while the signature is checked and released when it
    does not verify, so unsigned junk cannot spend the ``jti`` of a proof still to come."""
    parts = value.split(".")
    if len(parts) != 3:  # §4.3 check 2: a well-formed JWS
        raise ProofError("The DPoP proof is malformed.")
    alg, proof_jkt, key = _protected(parts[0])
    claims = _decode(parts[1])
    if not isinstance(claims, dict):
        raise ProofError("The DPoP proof is malformed.")
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not 0 < len(jti) <= 256:  # §4.2
        raise ProofError("The DPoP proof needs a jti.")
    if claims.get("htm") != method:  # §4.3 check 8
        raise ProofError("The DPoP proof's htm does not match the request method.")
    htu = claims.get("htu")
    if not isinstance(htu, str) or _normal_htu(htu) != _normal_htu(url):
        raise ProofError("The DPoP proof's htu does not match the request URI.")  # §4.3 check 9
    window = authflows_settings.lifetime("dpop_proof")
    now = time.time()
    if isinstance(iat, bool) or not isinstance(iat, (int, float)) or not now - window <= iat <= now + CLOCK_SKEW:
        raise ProofError("The DPoP proof's iat is outside the accepted window.")  # §4.3 check 11
    nonce = claims.get("nonce")
    if require_nonce and not (isinstance(nonce, str) and nonce_valid(nonce)):  # §4.3 check 10, §8
        raise ProofError("Use the DPoP-Nonce the server sent in the proof.", USE_NONCE)
    if ath is None and access_token is not None:
        ath = b64_sha256(access_token)
    sent_ath = claims.get("ath")
    if ath is not None and sent_ath != ath:  # §4.3 check 12
        raise ProofError("The DPoP proof's ath does not match the access token.")
    if proof_jkt is None or key is None:
        raise ProofError(_BAD_SIGNATURE)
    if jkt is not None and proof_jkt != jkt:  # §7.1: the proof's key is the key the token is bound to
        raise ProofError("The DPoP proof is not signed with the key the access token is bound to.")
    # §11.1: a proof is single use, across every process that shares the cache; the mark outlives the window.
    # It is sent before the signature is checked, so the cache's round trip overlaps that check, and released
    # when the signature fails: unsigned junk cannot spend the jti of a proof still to come.
    mark = single_use.Reservation(_REPLAY + b64_sha256(proof_jkt + ":" + jti), window + CLOCK_SKEW + 1)
    try:
        signature = jws.b64url_decode(parts[2])
        jws.verify(alg, key, signature, (parts[0] + "." + parts[1]).encode("ascii"))  # RS256 PS256 ES256 EdDSA
    except (InvalidSignature, ValueError, TypeError):
        mark.cancel()
        raise ProofError(_BAD_SIGNATURE) from None
    except BaseException:
        mark.cancel()
        raise
    if not mark.done():
        raise ProofError("This DPoP proof has been used already.")
    return Proof(jkt=proof_jkt, jti=jti, ath=sent_ath if isinstance(sent_ath, str) else None)


# Server nonces (§8, §9): stateless, an HMAC of the current time slot, so every process that shares the
# secret agrees without a cache; a nonce stays good for two slots.
def _slot_nonce(slot: int) -> str:
    secret = (authflows_settings.KEY_ENCRYPTION_SECRET + ":dpop-nonce").encode()
    return jws.b64url_encode(hmac.new(secret, str(slot).encode(), hashlib.sha256).digest()[:24]).decode("ascii")


def _slot() -> int:
    return int(time.time()) // max(authflows_settings.lifetime("dpop_proof"), 1)


def current_nonce() -> str:
    """The ``DPoP-Nonce`` to send now (RFC 9449 §8)."""
    return _slot_nonce(_slot())


def nonce_valid(nonce: str) -> bool:
    slot = _slot()
    return any(hmac.compare_digest(nonce, _slot_nonce(s)) for s in (slot, slot - 1))
