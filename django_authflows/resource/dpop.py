"""DPoP-bound access tokens at the resource server (RFC 9449 §7): the proof of every request, ``cnf.jkt``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import DisallowedHost
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest

from .. import dpop

if TYPE_CHECKING:
    from .bearer import BearerResult

_ATTR = "_authflows_dpop_proof"
#: Normalised request URIs (the htu a proof must name) by what Django builds them from; bounded, since the
#: path and Host header are the client's to choose.
_HTU_MEMO_SIZE = 1024
_htus: dict[tuple[str | None, ...], str | None] = {}


def request_htu(request: HttpRequest) -> str | None:
    """The request's URI as RFC 9449 §4.3 check 9 compares it: ``build_absolute_uri(path)`` (so the Host
    header is checked against ALLOWED_HOSTS: DisallowedHost), normalised. Remembered per process by the
    scheme, the host and port headers and the path it is made of, which is all Django reads."""
    meta = request.META
    key = (
        request.scheme,
        meta.get("HTTP_HOST"),
        meta.get("HTTP_X_FORWARDED_HOST"),
        meta.get("HTTP_X_FORWARDED_PORT"),
        meta.get("SERVER_NAME"),
        meta.get("SERVER_PORT"),
        request.path,
    )
    try:
        return _htus[key]
    except KeyError:
        pass
    htu = dpop.normalise_htu(request.build_absolute_uri(request.path))
    if len(_htus) >= _HTU_MEMO_SIZE:
        _htus.clear()
    _htus[key] = htu
    return htu


@receiver(setting_changed)
def _forget_htus(**kwargs: Any) -> None:  # ALLOWED_HOSTS, USE_X_FORWARDED_HOST, SECURE_PROXY_SSL_HEADER...
    _htus.clear()


def scheme_of(request: HttpRequest) -> str:
    """``DPoP`` when the Authorization header uses that scheme (case-insensitive, RFC 9110 §11.1), else
    ``Bearer``."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return "DPoP" if header[:5].lower() == "dpop " else "Bearer"


def proof_for(request: HttpRequest, token: str, jkt: str, ath: str | None = None) -> dpop.Proof | dpop.ProofError:
    """The request's proof, verified once per request (its ``jti`` can be spent only once), for ``token``
    bound to the key of thumbprint ``jkt``; ``ath``, the token's hash, when the caller has it already."""
    memo = request.__dict__.get(_ATTR)
    if memo is not None and memo[0] == token:
        return memo[1]
    try:
        value = dpop.proof_header(request)
        if value is None:
            raise dpop.ProofError("A DPoP proof is required with a DPoP-bound access token.")
        try:
            url = request_htu(request)
        except DisallowedHost:  # Django refuses the Host header: no URI to compare htu with
            url = None
        if url is None:
            raise dpop.ProofError("The request URI cannot be determined.")
        # §7.1: the same checks as at the token endpoint, plus ath, the hash of this access token, and the
        # proof's key being the token's (compared before the signature is verified and the jti spent).
        outcome: dpop.Proof | dpop.ProofError = dpop.verify_proof(
            value, method=request.method or "GET", url=url, access_token=token, jkt=jkt, ath=ath
        )
    except dpop.ProofError as exc:
        outcome = exc
    request.__dict__[_ATTR] = (token, outcome)
    return outcome


def bind_to_proof(request: HttpRequest, token: str | None, result: BearerResult, *, dpop_scheme: bool) -> BearerResult:
    """RFC 9449 §7: with the DPoP scheme, the token must be DPoP-bound and the proof valid and made with
    the key of ``cnf.jkt``; with the Bearer scheme, a DPoP-bound token is refused (§7.2: a stolen bound
    token must not work as a bearer token). Errors then carry a DPoP challenge."""
    if dpop_scheme:
        result = type(result)(  # as dataclasses.replace, in a fraction of its time
            claims=result.claims,
            error=result.error,
            description=result.description,
            token_sent=result.token_sent,
            scheme="DPoP",
        )
    if not result.valid or token is None:
        return result
    cnf = result.claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    if not dpop_scheme:
        if cnf is None:
            return result
        return refused(
            result,
            "invalid_token",
            "This access token is bound to a key: send it as 'Authorization: DPoP' with a DPoP proof.",
        )
    if not dpop.is_thumbprint(jkt):
        return refused(result, "invalid_token", "Only DPoP-bound access tokens are accepted with the DPoP scheme.")
    return checked(request, token, result, jkt)


def checked(request: HttpRequest, token: str, result: BearerResult, jkt: str, ath: str | None = None) -> BearerResult:
    """``result`` (valid, DPoP scheme, ``token`` bound to the key of thumbprint ``jkt``) once this request's
    proof is checked (§7.1), else the proof's error. ``ath``: the token's hash, when known already."""
    proof = proof_for(request, token, jkt, ath)
    if isinstance(proof, dpop.ProofError):
        return refused(result, proof.error, proof.description)
    if proof.jkt != jkt:  # §7.1: the proof's key is the key the token is bound to (verify_proof checked it)
        return refused(
            result, dpop.INVALID_PROOF, "The DPoP proof is not signed with the key the access token is bound to."
        )
    return result


def refused(result: BearerResult, error: str, description: str) -> BearerResult:
    """``result`` refused with the DPoP scheme's challenge (as ``dataclasses.replace``, in a fraction of its time)."""
    return type(result)(claims={}, error=error, description=description, token_sent=result.token_sent, scheme="DPoP")
