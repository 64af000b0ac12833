"""/oauth/token (RFC 6749 §3.2): form or JSON bodies, JSON answers, no caching."""
from __future__ import annotations

import json
import time

from cryptography.fernet import InvalidToken, MultiFernet
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749.errors import InvalidClientError

from ... import audit
from ...conf import authflows_settings
from ...encryption import fernet
from ...presets import DEVICE_CODE
from ...revocation import token_checksum
from ..clients import authenticated_early, failure_logged, presented_credentials, presents_secret
from ..core import BodyError, get_core
from ..endpoint import ClientEndpoint
from ..flows.device.polling import poll
from ..flows.refresh import INVALID_REFRESH, ReusedWithinLeeway
from ..responses import NO_STORE, json_error
from ..throttle import check_client, claimed_client_id

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
    fields = {"client_id": claimed_client_id(request, params)[:100] or None,
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
    """The token endpoint; every answer, errors included, is JSON. Client authentication is oauthlib's
    (through our validator), so :meth:`ClientEndpoint.authenticated` is not used here."""

    def post(self, request: HttpRequest) -> HttpResponse:
        core = get_core()
        try:
            pairs = core.extract_body(request)
        except BodyError as exc:
            return json_error("invalid_request", str(exc))
        if sum(key in ("resource", "audience") for key, _value in pairs) > 1:
            return json_error("invalid_target", "Ask for one API per request (audience or resource, once).")
        params = dict(pairs)
        limited = check_client(request, params, count_request=True)
        if limited is not None:
            return limited
        if params.get("grant_type") == DEVICE_CODE:
            response = poll(request, params)
            log_token_response(request, params, response.status_code, response.content)
            return response
        logged, early = failure_logged.set(False), authenticated_early.set(None)
        try:
            refused = self.refuse_client(request, pairs, params)
            if refused is None:
                _uri, headers, body, status = core.create_token_response(request)
            else:
                headers, body, status = refused
        except ReusedWithinLeeway:
            return self.successor(params.get("refresh_token", ""))
        finally:
            already_logged = failure_logged.get()
            failure_logged.reset(logged)
            authenticated_early.reset(early)
        if not (status == 401 and already_logged):  # client_authentication_failed says it, with the reason
            log_token_response(request, params, status, body)
        if status == 200 and params.get("grant_type") == "refresh_token":
            self.remember_successor(params.get("refresh_token", ""), body)
        response = HttpResponse(body, status=status, content_type="application/json")
        for key, value in {**headers, **NO_STORE}.items():
            if key.lower() not in {"content-type", "location"}:
                response[key] = value
        return response

    @staticmethod
    def refuse_client(request: HttpRequest, pairs: list[tuple[str, str]],
                      params: dict[str, str]) -> tuple[dict[str, str], str, int] | None:
        """A client that presents a wrong secret gets oauthlib's own ``invalid_client`` answer without
        oauthlib's whole token pipeline first: the same validator method decides, on the request
        oauthlib would build, at the point where oauthlib would ask it. None: let oauthlib answer."""
        grant_type = params.get("grant_type")
        if grant_type not in _CHECKED_BEFORE_CLIENT:
            return None
        needed = _CHECKED_BEFORE_CLIENT[grant_type]
        if needed is not None and params.get(needed) is None:  # oauthlib answers invalid_request first
            return None
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        if not presents_secret(authorization, params.get("client_secret")):
            return None  # public clients, and clients without credentials: oauthlib's rules
        core = get_core()
        oauth_request = Request(core._get_escaped_full_path(request), "POST", pairs,
                                {"HTTP_AUTHORIZATION": authorization, "REMOTE_ADDR": request.META.get("REMOTE_ADDR", "")})
        presented = presented_credentials(oauth_request)
        if core.server.request_validator.authenticate_client(oauth_request):
            # oauthlib asks again, on the request it builds from the same Django request
            authenticated_early.set((presented, oauth_request.client, oauth_request.authflows_auth_method))
            return None
        error = InvalidClientError(request=oauth_request)
        return error.headers, error.json, error.status_code  # post() adds NO_STORE, as to oauthlib's answers

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
