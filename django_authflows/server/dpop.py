"""DPoP at the token endpoint (RFC 9449 §5, §8, §10): proofs, key-bound codes and refresh tokens, required DPoP."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from .. import dpop
from ..conf import authflows_settings
from ..issuer import endpoint, issuer_for
from .context import RequestContext, context_of
from .responses import json_error

INVALID_PROOF = dpop.INVALID_PROOF
REQUIRED = "This application requires DPoP: send a DPoP proof with the token request."
#: RFC 9449 §5.1: the JSON body's token_type for a DPoP-bound access token.
TOKEN_TYPE = "DPoP"


def refusal(exc: dpop.ProofError) -> HttpResponse:
    """RFC 9449 §5 and §8: 400 ``invalid_dpop_proof`` or ``use_dpop_nonce``, with a fresh ``DPoP-Nonce``
    when the server asks for nonces."""
    response = json_error(exc.error, exc.description)
    if authflows_settings.DPOP_NONCE:
        response["DPoP-Nonce"] = dpop.current_nonce()
    return response


def endpoint_proof(request: HttpRequest, name: str) -> dpop.Proof | None:
    """The verified ``DPoP`` proof of a POST to the endpoint ``name`` (``token``, ``par``), or None when
    the request has none: RFC 9449 §4.3 with ``htu`` the endpoint as discovery advertises it, and a server
    nonce when ``AUTHFLOWS["DPOP_NONCE"]`` asks for one. Raises :class:`dpop.ProofError`."""
    value = dpop.proof_header(request)
    if value is None:
        return None
    return dpop.verify_proof(
        value,
        method="POST",
        url=endpoint(issuer_for(request), name),
        require_nonce=authflows_settings.DPOP_NONCE,
    )


def check_token_request(ctx: RequestContext, request: HttpRequest) -> HttpResponse | None:
    """Verify the token request's ``DPoP`` proof, if any, and keep its key's thumbprint on the context for
    the tokens to be bound to. Returns the error response, or None."""
    try:
        proof = endpoint_proof(request, "token")
    except dpop.ProofError as exc:
        return refusal(exc)
    if proof is not None:
        ctx.dpop_jkt = proof.jkt
    return None


def require_proof(client: Any, request: Request) -> None:
    """An application that requires DPoP (RFC 9449 §5.2 ``dpop_bound_access_tokens``) gets no token
    without a proof; checked once the client is authenticated, before any code or refresh token is spent."""
    if getattr(client, "dpop_required", False) and context_of(request).dpop_jkt is None:
        raise errors.CustomOAuth2Error(dpop.INVALID_PROOF, REQUIRED, request=request)


def check_bound(jkt: str | None, request: Request, what: str) -> None:
    """RFC 9449 §10 (a code bound by ``dpop_jkt``) and §5 (a public client's refresh token): the token
    request's proof must be made with the same key."""
    if jkt and context_of(request).dpop_jkt != jkt:
        raise errors.InvalidGrantError(
            description=f"This {what} is bound to a DPoP key: send a DPoP proof made with that key.", request=request
        )


def bind(token: dict[str, Any], request: Request) -> None:
    """RFC 9449 §5.1: ``token_type`` DPoP for tokens issued to a proof (the JWT carries ``cnf.jkt``)."""
    if context_of(request).dpop_jkt:
        token["token_type"] = TOKEN_TYPE


def refresh_jkt(request: Request) -> str | None:
    """RFC 9449 §5: the refresh tokens of public clients are bound to the proof's key; a confidential
    client's are already bound to its credentials."""
    client = request.client
    if client is None or client.client_type != client.CLIENT_PUBLIC:
        return None
    return context_of(request).dpop_jkt
