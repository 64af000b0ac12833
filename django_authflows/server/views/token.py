"""/oauth/token (RFC 6749 §3.2): form or JSON bodies, JSON answers, no caching."""
from __future__ import annotations

import json
import time

from cryptography.fernet import InvalidToken, MultiFernet
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from ... import audit
from ...conf import authflows_settings
from ...encryption import fernet
from ...presets import DEVICE_CODE
from ...revocation import token_checksum
from .. import client_auth, throttle
from ..context import RequestContext, context
from ..core import BodyError, get_core
from ..endpoint import ClientEndpoint
from ..flows.device.polling import poll
from ..flows.refresh import INVALID_REFRESH, ReusedWithinLeeway
from ..responses import NO_STORE, json_error

_SUCCESSOR = "authflows:successor:"
#: The grants whose oauthlib handler authenticates a client that presents a secret right after checking
#: that this parameter is there (repeated parameters are refused before, by ``parse_body``).
_CHECKED_BEFORE_CLIENT = {"client_credentials": None, "authorization_code": "code", "refresh_token": "refresh_token"}


def log_token_response(request: HttpRequest, params: dict[str, str], status: int, body: str | bytes) -> None:
    """One audit line per token request: what was granted to whom, or why it was refused."""
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        data = {}
    fields = {"client_id": client_auth.credentials(context(request, params)).client_id[:100] or None,
              "grant_type": str(params.get("grant_type", ""))[:80] or None, "status": status,
              "ip": request.META.get("REMOTE_ADDR")}
    if status == 200:
        audit.event("token_issued", scope=data.get("scope"), refresh_issued=("refresh_token" in data),
                    id_token_issued=("id_token" in data), **fields)
    else:
        audit.event("token_refused", error=data.get("error"), reason=data.get("error_description"), **fields)


def _fernet() -> MultiFernet:
    return fernet("successor")


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
        if sum(key in ("resource", "audience") for key, _value in pairs) > 1:
            return json_error("invalid_target", "Ask for one API per request (audience or resource, once).")
        params = dict(pairs)
        ctx = context(request, params)
        creds = client_auth.credentials(ctx)
        limited = throttle.refuse_failing(ctx, creds.client_id)
        if limited is not None:
            return limited
        if params.get("grant_type") == DEVICE_CODE:
            response = poll(request, params)
            log_token_response(request, params, response.status_code, response.content)
            return response
        early = self.authenticate_early(ctx, params)
        if early is not None:
            if not ctx.failure_logged:
                log_token_response(request, params, early.status_code, early.content)
            return early
        try:
            _uri, headers, body, status = core.create_token_response(request)
        except ReusedWithinLeeway:
            return self.successor(params.get("refresh_token", ""))
        if status == 401:  # oauthlib's invalid_client, answered as every client endpoint answers it
            response = client_auth.refusal(ctx)
        else:
            response = HttpResponse(body, status=status, content_type="application/json")
            for key, value in {**headers, **NO_STORE}.items():
                if key.lower() not in {"content-type", "location"}:
                    response[key] = value
        if not (status == 401 and ctx.failure_logged):  # client_authentication_failed says it, with the reason
            log_token_response(request, params, response.status_code, response.content)
        if status == 200 and params.get("grant_type") == "refresh_token":
            self.remember_successor(params.get("refresh_token", ""), body)
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
        if creds.method not in client_auth.SECRET_METHODS:
            return None  # no client named: oauthlib's answer
        auth = client_auth.authenticate(ctx)
        if not auth.ok:
            return client_auth.refusal(ctx)
        return throttle.count_token_request(ctx, auth.client.client_id, authenticated=True)

    @staticmethod
    def remember_successor(refresh_token: str, body: str) -> None:
        """Within AUTHFLOWS['REFRESH_REUSE_LEEWAY'] a replay of the rotated token gets the same answer
        (two tabs refreshing at once) instead of revoking the family; kept encrypted, briefly."""
        leeway = authflows_settings.REFRESH_REUSE_LEEWAY
        if leeway and refresh_token:
            cache.set(_SUCCESSOR + token_checksum(refresh_token), _fernet().encrypt(body.encode()).decode(), leeway)

    @staticmethod
    def successor(refresh_token: str) -> HttpResponse:
        key = _SUCCESSOR + token_checksum(refresh_token)
        deadline = time.monotonic() + 2.0  # the winning request may still be writing its answer
        while True:
            stored = cache.get(key)
            if stored is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        try:
            body = json.loads(_fernet().decrypt(stored.encode())) if stored else None
        except (InvalidToken, ValueError):
            body = None
        if body is None:
            return json_error("invalid_grant", INVALID_REFRESH)
        response = HttpResponse(json.dumps(body), content_type="application/json")
        for key_, value in NO_STORE.items():
            response[key_] = value
        return response
