"""/oauth/token (RFC 6749 §3.2): form or JSON bodies, JSON answers, no caching."""

from __future__ import annotations

import json
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse

from ... import audit, registry
from ...presets import DEVICE_CODE
from .. import audience, client_auth, dpop, throttle
from ..context import RequestContext, context
from ..core import BodyError, get_core
from ..endpoint import ClientEndpoint
from ..flows import client_credentials, refresh
from ..flows.device.polling import poll
from ..flows.refresh import ReusedWithinLeeway
from ..responses import NO_STORE, json_error, json_response, no_store

#: The grants whose oauthlib handler authenticates a client that presents a secret right after checking
#: that this parameter is there (repeated parameters are refused before, by ``parse_body``).
_CHECKED_BEFORE_CLIENT = {"client_credentials": None, "authorization_code": "code", "refresh_token": "refresh_token"}
#: Client-credentials grants go through :meth:`TokenView.client_credentials` rather than oauthlib (the tests
#: turn it off to compare both paths).
LEAN_CLIENT_CREDENTIALS = True


def log_token_response(request: HttpRequest, params: dict[str, str], status: int, body: str | bytes) -> None:
    """One audit line per token request: what was granted to whom, or why it was refused."""
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        data = {}
    fields: dict[str, Any] = {
        "client_id": client_auth.credentials(context(request, params)).client_id[:100] or None,
        "grant_type": str(params.get("grant_type", ""))[:80] or None,
        "status": status,
        "ip": request.META.get("REMOTE_ADDR"),
    }
    if status == 200:
        audit.event(
            "token_issued",
            scope=data.get("scope"),
            refresh_issued=("refresh_token" in data),
            id_token_issued=("id_token" in data),
            **fields,
        )
    else:
        audit.event("token_refused", error=data.get("error"), reason=data.get("error_description"), **fields)


class TokenView(ClientEndpoint):
    """The token endpoint; every answer, errors included, is JSON.

    A client that presents a secret is authenticated (by :mod:`..client_auth`) before oauthlib's token
    pipeline, at the point where oauthlib would do it, so a wrong secret is refused cheaply and spends nothing
    the request carries; oauthlib's own hooks then read the same memoised result."""

    def post(self, request: HttpRequest) -> HttpResponse:
        core = get_core()
        try:
            pairs = core.extract_body(request)
        except BodyError as exc:
            return json_error("invalid_request", str(exc))
        if not audience.one_api(pairs):
            return json_error("invalid_target", audience.ONE_API)
        params = dict(pairs)
        if not params.get("grant_type"):  # RFC 6749 §5.2: a missing parameter is invalid_request, and says which
            return json_error(
                "invalid_request",
                "grant_type is missing (e.g. grant_type=authorization_code, client_credentials or refresh_token).",
            )
        ctx = context(request, params)
        creds = client_auth.credentials(ctx)
        limited = throttle.refuse_failing(ctx, creds.client_id)
        if limited is not None:
            return limited
        refused = dpop.check_token_request(ctx, request)  # RFC 9449 §5: the proof, before any grant
        if refused is not None:
            log_token_response(request, params, refused.status_code, refused.content)
            return refused
        if params.get("grant_type") == DEVICE_CODE:
            response = poll(request, params)
            log_token_response(request, params, response.status_code, response.content)
            return response
        early = self.authenticate_early(ctx, params)
        if early is not None:
            if not ctx.failure_logged:
                log_token_response(request, params, early.status_code, early.content)
            return early
        if (
            params["grant_type"] == "client_credentials"
            and LEAN_CLIENT_CREDENTIALS
            and not request.META.get("QUERY_STRING")  # oauthlib refuses it
        ):
            issued = self.client_credentials(request, ctx, params)
            if issued is not None:
                return issued
        try:
            _uri, headers, body, status = core.create_token_response(request)
        except ReusedWithinLeeway:
            earlier = refresh.successor(params.get("refresh_token", ""))
            if earlier is None:
                return json_error("invalid_grant", refresh.INVALID_REFRESH)
            return json_response(earlier)
        if status == 401:  # oauthlib's invalid_client, answered as every client endpoint answers it
            response = client_auth.refusal(ctx)
        else:
            response = no_store(HttpResponse(body, status=status, content_type="application/json"))
            for key, value in headers.items():
                if key.lower() not in {"content-type", "location", *map(str.lower, NO_STORE)}:
                    response[key] = value
        if not (status == 401 and ctx.failure_logged):  # client_authentication_failed says it, with the reason
            log_token_response(request, params, response.status_code, response.content)
        if status == 200 and params.get("grant_type") == "refresh_token":
            client = ctx.client_auth.client if ctx.client_auth is not None else None
            refresh.remember_successor(params.get("refresh_token", ""), body, client)
        return response

    @staticmethod
    def client_credentials(request: HttpRequest, ctx: RequestContext, params: dict[str, str]) -> HttpResponse | None:
        """The client-credentials grant without oauthlib's machinery (see :func:`..flows.client_credentials.issue`):
        the response and the audit line oauthlib's path gives a token. None: oauthlib's path answers (a refusal,
        or a query string, which it refuses)."""
        try:
            token = client_credentials.issue(ctx)
        except IntegrityError:
            # The application was deleted after this process loaded it: invalid_client (RFC 6749 §5.2), and this
            # process's copies are stale (as the validator's save_bearer_token answers it).
            registry.changed()
            refused = client_auth.refusal(ctx)
            log_token_response(request, params, refused.status_code, refused.content)
            return refused
        if token is None:
            return None
        response = no_store(HttpResponse(json.dumps(token), content_type="application/json"))
        audit.event(
            "token_issued",
            scope=token["scope"],
            refresh_issued=False,
            id_token_issued=False,
            client_id=client_auth.credentials(ctx).client_id[:100] or None,
            grant_type="client_credentials",
            status=200,
            ip=request.META.get("REMOTE_ADDR"),
        )
        return response

    @staticmethod
    def authenticate_early(ctx: RequestContext, params: dict[str, str]) -> HttpResponse | None:
        """Authenticate a client that presents a secret before oauthlib does, and count the request against
        the client's token limit (per client once authenticated; per client and IP for public clients).
        None: go on to oauthlib."""
        creds = client_auth.credentials(ctx)
        grant_type = params.get("grant_type")
        if grant_type not in _CHECKED_BEFORE_CLIENT:
            return None  # oauthlib answers unsupported_grant_type first
        needed = _CHECKED_BEFORE_CLIENT[grant_type]
        if needed is not None and params.get(needed) is None:  # oauthlib answers invalid_request first
            return None
        if creds.method == client_auth.NONE:
            return throttle.count_token_request(ctx, creds.client_id, authenticated=False)
        if creds.method not in client_auth.AUTHENTICATED_METHODS:
            return None  # no client named: oauthlib's answer
        auth = client_auth.authenticate(ctx)
        if not auth.ok:
            return client_auth.refusal(ctx)
        return throttle.count_token_request(ctx, auth.client.client_id, authenticated=True)
