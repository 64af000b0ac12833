"""Signing keys: generation, encryption at rest, rotation and the published key set (RFC 7517)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.utils import timezone
from jwcrypto import jwk

from .. import jws, presets, revocation
from ..conf import authflows_settings
from ..encryption import fernet
from ..models import SigningKey

_PURPOSE = "signing_keys"

_KEY_SPECS: dict[str, dict[str, Any]] = {
    "RS256": {"kty": "RSA", "size": 2048},
    "PS256": {"kty": "RSA", "size": 2048},  # FAPI 2.0 applications' ID tokens: RSA, so RSA-only JWKS readers cope
    "ES256": {"kty": "EC", "crv": "P-256"},
    "EdDSA": {"kty": "OKP", "crv": "Ed25519"},
}
#: How long a process trusts its idea of the active key before asking the database again.
ACTIVE_KEY_TTL = 5.0


@dataclass(frozen=True)
class Signer:
    """One private key, decrypted and parsed once per process, that signs JWS for its ``alg``:
    ``sign(signing_input)`` returns the signature (for ES256 the raw r || s form, not DER)."""

    kid: str
    alg: str
    key: jws.PrivateKey
    sign: Callable[[bytes], bytes] = field(repr=False, compare=False)


_lock = threading.Lock()
_signers: dict[str, Signer] = {}  # kid -> signer (a key never changes once created)
_active: dict[str, tuple[float, Signer]] = {}  # alg -> (fetched at, signer)


def _generate(alg: str) -> jwk.JWK:
    if alg not in _KEY_SPECS:
        raise ValueError(f"Unsupported signing algorithm {alg!r}; choose from {', '.join(_KEY_SPECS)}.")
    return jwk.JWK.generate(**_KEY_SPECS[alg])


def public_jwk(key: jwk.JWK, alg: str, kid: str) -> dict[str, Any]:
    data = key.export_public(as_dict=True)
    data.update({"kid": kid, "alg": alg, "use": "sig"})
    return data


def create_key(alg: str, state: str = SigningKey.NEXT) -> SigningKey:
    """Generate a key pair; the private half is stored encrypted (Fernet, key derived from a setting)."""
    key = _generate(alg)
    kid = key.thumbprint()  # RFC 7638
    while kid.startswith("-"):  # 1 in 64: `authflows keys retire -abc...` would read it as an option
        key = _generate(alg)
        kid = key.thumbprint()
    pem = key.export_to_pem(private_key=True, password=None)
    return SigningKey.objects.create(
        kid=kid,
        alg=alg,
        state=state,
        private_key=fernet(_PURPOSE).encrypt(pem).decode(),
        public_jwk=public_jwk(key, alg, kid),
        activated=timezone.now() if state == SigningKey.ACTIVE else None,
    )


def load_signer(record: SigningKey) -> Signer:
    """The record's private key as a :class:`Signer`, decrypted and parsed once per process: both cost
    more than signing with an ECDSA or Ed25519 key."""
    cached = _signers.get(record.kid)
    if cached is not None:
        return cached
    try:
        pem = fernet(_PURPOSE).decrypt(record.private_key.encode())
    except InvalidToken:
        raise RuntimeError(
            f"Signing key {record.kid} cannot be decrypted: AUTHFLOWS['KEY_ENCRYPTION_SECRET'] (or SECRET_KEY) "
            "changed since it was created. Put the old value in AUTHFLOWS['KEY_ENCRYPTION_SECRET_FALLBACKS'] "
            "(or SECRET_KEY_FALLBACKS)."
        ) from None
    key = serialization.load_pem_private_key(pem, password=None)
    try:
        sign = jws.signer_for(record.alg, key)
    except ValueError as exc:
        raise RuntimeError(f"Signing key {record.kid}: {exc}") from None
    signer = Signer(record.kid, record.alg, cast(jws.PrivateKey, key), sign)  # signer_for checked its type
    _signers[record.kid] = signer
    return signer


def active_key(alg: str | None = None) -> tuple[str, Signer]:
    """The key that signs for ``alg`` (created on first use), as (kid, signer). Called for every token:
    within ACTIVE_KEY_TTL it is a dict lookup and a clock read."""
    alg = alg or authflows_settings.SIGNING_ALG
    now = time.monotonic()
    hit = _active.get(alg)
    if hit and now - hit[0] < ACTIVE_KEY_TTL:
        return hit[1].kid, hit[1]
    with _lock:
        record = SigningKey.objects.filter(alg=alg, state=SigningKey.ACTIVE).order_by("-activated").first()
        if record is None:
            record = _create_first_active(alg)
        signer = load_signer(record)
        _active[alg] = (now, signer)
        return record.kid, signer


def _create_first_active(alg: str) -> SigningKey:
    with transaction.atomic():
        # Two processes starting at once: the second sees the first's key under the lock.
        existing = (
            SigningKey.objects.select_for_update()
            .filter(alg=alg, state=SigningKey.ACTIVE)
            .order_by("-activated")
            .first()
        )
        if existing is not None:
            return existing
        record = create_key(alg, SigningKey.ACTIVE)
        prepare_next(alg)  # published from the start, so the first rotation breaks no cached key set
        _published[:] = [0.0, None, b""]  # this process publishes it at once
        return record


_published: list[Any] = [0.0, None, b""]  # (fetched at, key set, its JSON body)


def published_jwks() -> dict[str, list[dict[str, Any]]]:
    """RFC 7517 key set: next, active and retired keys (retired ones until their tokens expire). Kept
    for ACTIVE_KEY_TTL seconds in process: a new key is published one rotation before it signs."""
    now = time.monotonic()
    if _published[1] is not None and now - _published[0] < ACTIVE_KEY_TTL:
        return _published[1]
    active_key()  # a fresh install publishes its first key before anything asks for a token
    if _fapi_applications():  # their ID tokens' key (FAPI 2.0 SP §5.4.1) too, before the first one is signed
        active_key(presets.FAPI.id_token_alg)
    jwks = {"keys": [r.public_jwk for r in SigningKey.trusted().order_by("created")]}
    # The body /.well-known/jwks.json serves: encoded once per key set, not per request.
    body = _published[2] if jwks == _published[1] else json.dumps(jwks).encode()
    _published[:] = [now, jwks, body]
    return jwks


def published_jwks_body() -> bytes:
    """:func:`published_jwks` as the JSON bytes the key set endpoint serves, with the same freshness."""
    now = time.monotonic()
    if _published[1] is not None and now - _published[0] < ACTIVE_KEY_TTL:
        return _published[2]
    published_jwks()
    return _published[2]


def _fapi_applications() -> bool:
    from ..models import Application

    return Application.objects.filter(fapi=True).exists()


def rotate(alg: str | None = None) -> SigningKey:
    """Promote the published ``next`` key, retire the active one (still published until its tokens
    expire) and publish a new ``next`` key: a key is always in the key set before it signs anything,
    so APIs that cache the key set never meet an unknown kid."""
    alg = alg or authflows_settings.SIGNING_ALG
    with transaction.atomic():
        nxt = SigningKey.objects.select_for_update().filter(alg=alg, state=SigningKey.NEXT).first()
        if nxt is None:
            nxt = create_key(alg, SigningKey.NEXT)
        now = timezone.now()
        SigningKey.objects.filter(alg=alg, state=SigningKey.ACTIVE).update(state=SigningKey.RETIRED, retired=now)
        nxt.state, nxt.activated = SigningKey.ACTIVE, now
        nxt.save(update_fields=["state", "activated"])
        create_key(alg, SigningKey.NEXT)
        reencrypt()
    forget_cached_keys()
    return nxt


def reencrypt() -> int:
    """Encrypt every private key again under the current secret (done by each rotation), so that the
    secrets in the fallback lists can be removed afterwards. Keys no listed secret decrypts are left."""
    multi, count = fernet(_PURPOSE), 0
    for record in SigningKey.objects.select_for_update().only("pk", "private_key"):
        try:
            token = multi.rotate(record.private_key.encode()).decode()
        except InvalidToken:
            continue
        SigningKey.objects.filter(pk=record.pk).update(private_key=token)
        count += 1
    return count


def prepare_next(alg: str | None = None) -> SigningKey:
    """Publish a ``next`` key without signing with it yet."""
    alg = alg or authflows_settings.SIGNING_ALG
    existing = SigningKey.objects.filter(alg=alg, state=SigningKey.NEXT).first()
    return existing or create_key(alg, SigningKey.NEXT)


def retire(kid: str) -> SigningKey:
    """Retire a key. Retiring the active key rotates: the published next key takes over, so nothing is
    ever signed with a key that was not published first."""
    record = SigningKey.objects.get(kid=kid)
    if record.state == SigningKey.RETIRED:
        return record  # retiring again must not push back the date its trust ends
    if record.state == SigningKey.ACTIVE:
        rotate(record.alg)
        record.refresh_from_db()
        return record
    record.state, record.retired = SigningKey.RETIRED, timezone.now()
    record.save(update_fields=["state", "retired"])
    prepare_next(record.alg)  # a retired next key is replaced, so rotation never signs with an unpublished key
    forget_cached_keys()
    return record


def delete(kid: str) -> None:
    """Remove a (compromised) key at once: it stops being published and trusted. The active key is first
    rotated out, so signing goes on with the published next key."""
    record = SigningKey.objects.get(kid=kid)
    if record.state == SigningKey.ACTIVE:
        rotate(record.alg)
    SigningKey.objects.filter(kid=kid).delete()
    forget_cached_keys()
    revocation.announce_key_change()  # APIs sharing the cache drop it within REVOCATION_PROPAGATION_SECONDS


def forget_cached_keys() -> None:
    _active.clear()
    _published[:] = [float("-inf"), _published[1], _published[2]]  # refetched next time; re-encoded if it changed
