"""JWS interoperability: our signing and verifying (``cryptography`` directly, django_authflows/jws.py)
against two independent JOSE libraries, jwcrypto and authlib, and the signatures and keys that must
never verify (RFC 7515, RFC 7518 §3.3-3.4, RFC 8037, RFC 8725)."""
from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from authlib.deprecate import AuthlibDeprecationWarning
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from django.utils import timezone
from jwcrypto import jwk, jws

from django_authflows.jws import b64url_decode, b64url_encode, p256_der_to_raw, p256_raw_to_der
from django_authflows.models import SigningKey
from django_authflows.resource.bearer import verify_jwt
from django_authflows.resource.keys import key_cache
from django_authflows.server import jwt as server_jwt
from django_authflows.server import keys

from ..oauth import ISSUER
from .test_bearer import good_claims

with warnings.catch_warnings():  # authlib.jose warns that joserfc replaces it; it is still authlib's JWS
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebSignature
    from authlib.jose import jwt as authlib_jwt

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"
ALGS = pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
INVALID = "The access token signature is invalid."
UNKNOWN = "The access token is signed with an unknown key."
MALFORMED = "The access token is malformed."


def check(token: str) -> str | None:
    """None when the API accepts ``token``, else the reason it gives."""
    result = verify_jwt(token, issuer=ISSUER, audience=AUD)
    return None if result.valid else result.description


def published(client: Any, kid: str) -> dict[str, Any]:
    return next(k for k in client.get("/.well-known/jwks.json").json()["keys"] if k["kid"] == kid)


def parts(token: str) -> tuple[dict[str, Any], bytes, bytes]:
    """(header, signing input, signature) of a compact JWS."""
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), f"{h}.{p}".encode(), b64url_decode(s)


def compact(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A compact JWS built by hand, so a test can choose exactly what the signature bytes are."""
    signing_input = b64url_encode(json.dumps(header).encode()) + b"." + b64url_encode(json.dumps(claims).encode())
    return (signing_input + b"." + b64url_encode(sign(signing_input))).decode()


def with_signature(token: str, signature: bytes) -> str:
    return token.rsplit(".", 1)[0] + "." + b64url_encode(signature).decode()


def private_pem(alg: str) -> bytes:
    return keys.active_key(alg)[1].key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


# -- what sign() makes, read by jwcrypto and authlib ---------------------------------------------------
@ALGS
def test_the_header_is_exactly_alg_kid_typ(alg):
    claims = good_claims()
    token = server_jwt.sign(claims, typ="at+jwt", alg=alg)
    kid = keys.active_key(alg)[0]
    h, p, _ = token.split(".")
    assert b64url_decode(h) == json.dumps({"alg": alg, "kid": kid, "typ": "at+jwt"}, separators=(",", ":")).encode()
    assert b64url_decode(p) == json.dumps(claims, separators=(",", ":")).encode()


@ALGS
def test_sign_verifies_in_jwcrypto(client, alg):
    claims = good_claims()
    token = server_jwt.sign(claims, typ="at+jwt", alg=alg)
    verifier = jws.JWS()
    verifier.deserialize(token)
    verifier.verify(jwk.JWK(**published(client, keys.active_key(alg)[0])), alg=alg)
    assert json.loads(verifier.payload) == claims


@ALGS
def test_sign_verifies_in_authlib(client, alg):
    claims = good_claims()
    token = server_jwt.sign(claims, typ="at+jwt", alg=alg)
    key = JsonWebKey.import_key(published(client, keys.active_key(alg)[0]))
    data = JsonWebSignature(algorithms=[alg]).deserialize_compact(token, key)
    assert data["header"] == {"alg": alg, "kid": keys.active_key(alg)[0], "typ": "at+jwt"}
    assert json.loads(data["payload"]) == claims
    decoded = authlib_jwt.decode(token, key)
    decoded.validate()  # exp, nbf, iat
    assert dict(decoded) == claims


def test_es256_signature_is_raw_r_and_s(client):
    token = server_jwt.sign(good_claims(), typ="at+jwt", alg="ES256")
    _, signing_input, signature = parts(token)
    assert len(signature) == 64
    # r || s, 32 bytes each big-endian: re-encoded as DER it verifies with cryptography's own API.
    public = jwk.JWK(**published(client, keys.active_key("ES256")[0])).get_op_key("verify")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("r,s", [(1, 2), (2**255, 2**256 - 1), (2**247 - 1, 2**255 - 1), (2**255 + 12345, 7),
                                 (2**256 - 2**224, 2**248)])
def test_der_to_raw_keeps_32_bytes_for_every_integer_size(r, s):
    """Short integers are left-padded, and the sign byte of an integer with its high bit set is dropped."""
    assert p256_der_to_raw(encode_dss_signature(r, s)) == r.to_bytes(32, "big") + s.to_bytes(32, "big")


def test_der_to_raw_matches_decode_dss_signature_on_real_signatures():
    key = ec.generate_private_key(ec.SECP256R1())
    for i in range(300):
        der = key.sign(i.to_bytes(2, "big"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        assert p256_der_to_raw(der) == r.to_bytes(32, "big") + s.to_bytes(32, "big")


@pytest.mark.parametrize("r,s", [(1, 1), (0, 2**255), (2**255, 0), (2**256 - 1, 2**256 - 1), (127, 128), (2**247, 2**248 - 1)])
def test_raw_to_der_matches_encode_dss_signature(r, s):
    """Leading zero bytes are dropped, a sign byte is added where the high bit is set, zero stays one byte."""
    assert p256_raw_to_der(r.to_bytes(32, "big") + s.to_bytes(32, "big")) == encode_dss_signature(r, s)


def test_raw_to_der_round_trips_real_signatures():
    key = ec.generate_private_key(ec.SECP256R1())
    for i in range(300):
        der = key.sign(i.to_bytes(2, "big"), ec.ECDSA(hashes.SHA256()))
        assert p256_raw_to_der(p256_der_to_raw(der)) == der


# -- what jwcrypto and authlib make with our key, read by verify_jwt ------------------------------------
@ALGS
def test_tokens_signed_by_jwcrypto_are_accepted(alg):
    kid, signer = keys.active_key(alg)
    claims = good_claims()
    token = jws.JWS(json.dumps(claims).encode())
    token.add_signature(jwk.JWK.from_pyca(signer.key), alg=alg, protected={"alg": alg, "kid": kid, "typ": "at+jwt"})
    result = verify_jwt(token.serialize(compact=True), issuer=ISSUER, audience=AUD)
    assert result.valid, result.description
    assert result.claims == claims


@ALGS
def test_tokens_signed_by_authlib_are_accepted(alg):
    kid = keys.active_key(alg)[0]
    claims = good_claims()
    key = JsonWebKey.import_key(private_pem(alg))
    token = JsonWebSignature(algorithms=[alg]).serialize_compact(
        {"alg": alg, "kid": kid, "typ": "at+jwt"}, json.dumps(claims).encode(), key).decode()
    result = verify_jwt(token, issuer=ISSUER, audience=AUD)
    assert result.valid, result.description
    assert result.claims == claims


# -- signatures that must not verify --------------------------------------------------------------------
def test_es256_refuses_a_der_signature():
    token = server_jwt.sign(good_claims(), typ="at+jwt", alg="ES256")
    assert check(token) is None
    der = keys.active_key("ES256")[1].key.sign(parts(token)[1], ec.ECDSA(hashes.SHA256()))
    assert check(with_signature(token, der)) == INVALID


@pytest.mark.parametrize("resize", [lambda s: s[:-1], lambda s: s + b"\x00", lambda s: b"\x00" + s],
                         ids=["63 bytes", "65 bytes", "65 bytes, zero first"])
def test_es256_refuses_signatures_of_another_length(resize):
    token = server_jwt.sign(good_claims(), typ="at+jwt", alg="ES256")
    assert check(token) is None
    assert check(with_signature(token, resize(parts(token)[2]))) == INVALID


@ALGS
@pytest.mark.parametrize("bit", [0, 7, -1])
def test_a_flipped_signature_bit_is_refused(alg, bit):
    token = server_jwt.sign(good_claims(), typ="at+jwt", alg=alg)
    assert check(token) is None
    signature = bytearray(parts(token)[2])
    signature[bit // 8 if bit >= 0 else -1] ^= 1 << (bit % 8)
    assert check(with_signature(token, bytes(signature))) == INVALID


# -- a key is used only for its own algorithm -------------------------------------------------------------
def _rsa(bits: int = 2048) -> tuple[Any, Callable[[bytes], bytes]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key, lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _ec() -> tuple[Any, Callable[[bytes], bytes]]:
    key = ec.generate_private_key(ec.SECP256R1())

    def sign(data: bytes) -> bytes:
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return key, sign


def _ed() -> tuple[Any, Callable[[bytes], bytes]]:
    key = ed25519.Ed25519PrivateKey.generate()
    return key, key.sign


MAKERS = {"RS256": _rsa, "ES256": _ec, "EdDSA": _ed}


def register(private: Any, kid: str, **members: Any) -> None:
    """Publish a test-made public key in the key table: retired just now, so trusted but never signing."""
    data = {**jwk.JWK.from_pyca(private.public_key()).export_public(as_dict=True), "kid": kid, **members}
    SigningKey.objects.create(kid=kid, alg=members.get("alg", "RS256"), state=SigningKey.RETIRED,
                              retired=timezone.now(), private_key="", public_jwk=data)
    key_cache.clear()


@pytest.mark.parametrize("key_alg,header_alg", [
    ("RS256", "ES256"), ("RS256", "EdDSA"), ("ES256", "RS256"), ("ES256", "EdDSA"), ("EdDSA", "RS256"),
    ("EdDSA", "ES256"),
])
def test_the_header_cannot_pick_another_algorithm_for_a_key(key_alg, header_alg):
    """The key's JWK names no ``alg`` (allowed by RFC 7517 §4.4), so only its type decides: a signature
    that is valid for the key's own algorithm is refused under any other one."""
    private, sign = MAKERS[key_alg]()
    register(private, "no-alg")
    own = compact({"alg": key_alg, "kid": "no-alg", "typ": "at+jwt"}, good_claims(), sign)
    assert check(own) is None  # the key is trusted and its own algorithm verifies
    other = compact({"alg": header_alg, "kid": "no-alg", "typ": "at+jwt"}, good_claims(), sign)
    assert check(other) == INVALID


@ALGS
def test_a_published_key_verifies_only_its_published_alg(alg):
    kid, signer = keys.active_key(alg)
    assert check(compact({"alg": alg, "kid": kid, "typ": "at+jwt"}, good_claims(), signer.sign)) is None
    for other in {"RS256", "ES256", "EdDSA"} - {alg}:
        assert check(compact({"alg": other, "kid": kid, "typ": "at+jwt"}, good_claims(), signer.sign)) == UNKNOWN


def test_rsa_keys_under_2048_bits_are_refused():
    private, sign = _rsa(1024)
    register(private, "small", alg="RS256")
    assert check(compact({"alg": "RS256", "kid": "small", "typ": "at+jwt"}, good_claims(), sign)) == INVALID


@pytest.mark.parametrize("members,accepted", [
    ({"use": "sig"}, True), ({"key_ops": ["verify"]}, True), ({"use": "enc"}, False), ({"key_ops": ["encrypt"]}, False),
])
def test_keys_not_meant_for_signatures_are_not_used(members, accepted):
    private, sign = _ec()
    register(private, "k", alg="ES256", **members)
    token = compact({"alg": "ES256", "kid": "k", "typ": "at+jwt"}, good_claims(), sign)
    assert check(token) == (None if accepted else UNKNOWN)


# -- strict base64url and header ------------------------------------------------------------------------
def _non_canonical(segment: str) -> str:
    """The same bytes with the unused low bits of the last character set: lenient decoders accept it."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return segment[:-1] + alphabet[alphabet.index(segment[-1]) | 1]


@pytest.mark.parametrize("mangle,reason", [
    (lambda h, p, s: (h, p, s + "=="), INVALID),
    (lambda h, p, s: (h + "=", p, s), MALFORMED),
    (lambda h, p, s: (h, p + "=", s), INVALID),
    (lambda h, p, s: (h, p, s.replace("-", "+").replace("_", "/")), INVALID),
    (lambda h, p, s: (h, p, s[:40] + "\n" + s[40:]), INVALID),
    (lambda h, p, s: (h, p, _non_canonical(s)), INVALID),
    (lambda h, p, s: (h, p, s + "A"), INVALID),
], ids=["padded signature", "padded header", "padded payload", "standard alphabet", "newline", "non-canonical",
        "one character too many"])
def test_base64url_is_strict(mangle, reason):
    token = ""
    while not ("-" in token.rsplit(".", 1)[-1] or "_" in token.rsplit(".", 1)[-1]):  # ES256 signs at random
        token = server_jwt.sign(good_claims(), typ="at+jwt", alg="ES256")
    assert check(token) is None
    mangled = ".".join(mangle(*token.split(".")))
    assert mangled != token
    assert check(mangled) == reason


def test_a_deeply_nested_header_is_malformed_not_a_crash():
    assert check(b64url_encode(b"[" * 5000).decode() + ".e30.AA") == MALFORMED


def test_critical_header_parameters_are_refused():
    """RFC 7515 §4.1.11: a ``crit`` extension we do not understand makes the token invalid."""
    kid, signer = keys.active_key("RS256")
    assert check(compact({"alg": "RS256", "kid": kid, "typ": "at+jwt"}, good_claims(), signer.sign)) is None
    assert check(compact({"alg": "RS256", "kid": kid, "typ": "at+jwt", "crit": ["b64"], "b64": False},
                         good_claims(), signer.sign)) == MALFORMED


@pytest.mark.parametrize("data", [b"", b"f", b"fo", b"foo", b"foob", bytes(range(256))])
def test_b64url_round_trip(data):
    encoded = b64url_encode(data).decode()
    assert "=" not in encoded
    assert b64url_decode(encoded) == data == base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


@pytest.mark.parametrize("segment", ["Zg==", "Zg=", "Z", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm 9v", "Zm9v\n", "Zé9v"])
def test_b64url_decode_refuses(segment):
    with pytest.raises(ValueError):
        b64url_decode(segment)


def test_a_remembered_header_is_still_checked_on_every_request():
    from django_authflows.resource import bearer

    id_token_like = server_jwt.sign(good_claims(), typ="JWT")
    assert verify_jwt(id_token_like, issuer=ISSUER, audience=AUD, typ="JWT").valid  # as logout checks a hint
    assert id_token_like.split(".")[0] in bearer._signed_headers
    assert check(id_token_like) == "Only access tokens are accepted."


def test_only_headers_with_a_valid_signature_are_remembered():
    from django_authflows.resource import bearer

    kid, signer = keys.active_key("RS256")
    forged = compact({"alg": "RS256", "kid": kid, "typ": "at+jwt", "x": "made up"}, good_claims(), signer.sign)
    forged = with_signature(forged, bytes(256))
    assert check(forged) == INVALID
    assert forged.split(".")[0] not in bearer._signed_headers
