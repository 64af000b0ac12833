"""/oauth/par (RFC 9126 §2): an authenticated client pushes its authorization request and gets a request_uri."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauthlib.oauth2.rfc6749 import errors

from ... import audit, dpop
from ...issuer import issuer_for
from .. import audience, oidc_request, par
from ..core import get_authorization_core, get_core
from ..dpop import endpoint_proof, refusal as dpop_refusal
from ..endpoint import ClientEndpoint
from ..limits import parameter_problem
from ..request_object import RequestObjectError, parameters
from ..responses import json_error, json_response, no_store
from .authorize import FAPI_RESPONSE_TYPE

#: Client authentication travels beside the request, never inside the stored one (RFC 9126 §2.1).
_CLIENT_AUTH = frozenset({"client_id", "client_secret", "client_assertion", "client_assertion_type"})


class PushedAuthorizationView(ClientEndpoint):
    """Validates the request as /authorize would, without the user (RFC 9126 §2.1), then stores it."""

    def post(self, request: HttpRequest) -> HttpResponse:
        checked = self.authenticated(request)
        if isinstance(checked, HttpResponse):
            return checked
        params, client = checked
        if "request_uri" in params:  # RFC 9126 §2.1
            return json_error("invalid_request", "request_uri cannot be pushed.")
        if params.get("client_id", client.client_id) != client.client_id:
            return json_error("invalid_request", "client_id is not the authenticated client.")
        if "request" in params:  # RFC 9126 §3: a request object, verified now, its parameters stored
            try:
                pairs = parameters(client, params["request"], client.client_id, issuer_for(request))
            except RequestObjectError as exc:
                return json_error(exc.error, exc.description)
        else:
            pairs = [("client_id", client.client_id)] + [
                (k, v) for k, v in get_core().extract_body(request) if k not in _CLIENT_AUTH
            ]
        pairs, refused = self.dpop_binding(request, pairs)
        if refused is not None:
            return refused
        refused = self.validate(request, pairs)
        if refused is not None:
            return refused
        if client.fapi and dict(pairs).get("response_type") != "code":  # FAPI 2.0 SP §5.3.2.2: code only
            return json_error("unsupported_response_type", FAPI_RESPONSE_TYPE)
        request_uri = par.push(client.client_id, pairs)
        audit.event("authorization_request_pushed", client_id=client.client_id)
        return no_store(json_response({"request_uri": request_uri, "expires_in": par.LIFETIME}, status=201))

    @staticmethod
    def dpop_binding(
        request: HttpRequest, pairs: list[tuple[str, str]]
    ) -> tuple[list[tuple[str, str]], HttpResponse | None]:
        """RFC 9449 §10.1: a DPoP proof sent to the PAR endpoint binds the code to its key, as ``dpop_jkt`` would;
        when both are sent they must name the same key."""
        try:
            proof = endpoint_proof(request, "par")
        except dpop.ProofError as exc:
            return pairs, dpop_refusal(exc)
        if proof is None:
            return pairs, None
        sent = [v for k, v in pairs if k == "dpop_jkt"]
        if sent and sent != [proof.jkt]:
            return pairs, json_error(dpop.INVALID_PROOF, "dpop_jkt does not match the key of the DPoP proof.")
        return pairs if sent else [*pairs, ("dpop_jkt", proof.jkt)], None

    @staticmethod
    def validate(request: HttpRequest, pairs: list[tuple[str, str]]) -> HttpResponse | None:
        """The checks /authorize makes before the user is involved: client_id, redirect_uri, response_type,
        scope, PKCE, claims, audience. /authorize checks the stored request again when it is used."""
        oauth_pairs, _claims, malformed = oidc_request.for_oauthlib(pairs)
        problem = parameter_problem(pairs) or malformed
        if problem:
            return json_error("invalid_request", problem)
        if not audience.one_api(pairs):
            return json_error("invalid_target", audience.ONE_API)
        try:
            _scopes, credentials = get_authorization_core().validate(request, oauth_pairs)
            audience.api_for(credentials["request"])
        except (FatalClientError, OAuthToolkitError) as exc:
            err = exc.oauthlib_error
            return json_error(err.error, err.description or "The authorization request is not valid.")
        except errors.OAuth2Error as exc:
            return json_error(
                exc.error or "invalid_request", exc.description or "The authorization request is not valid."
            )
        return None
