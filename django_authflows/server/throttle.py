"""Rate limits on the OAuth endpoints: failed client authentication per client_id and per IP, and
token requests per client (429 with Retry-After, JSON)."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from .. import audit, ratelimit
from .clients import basic_credentials_from_header
from .responses import json_error


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR; behind a proxy, set it from the proxy's header in the proxy or a middleware."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def claimed_client_id(request: HttpRequest, params: dict[str, str]) -> str:
    basic = basic_credentials_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
    return (basic[0] if basic else params.get("client_id")) or ""


def too_many(limit: ratelimit.Limit, description: str) -> HttpResponse:
    response = json_error("too_many_requests", description, status=429)
    response["Retry-After"] = str(limit.retry_after)
    return response


def check_client(request: HttpRequest, params: dict[str, str], *, count_request: bool = False) -> HttpResponse | None:
    """Refuse before any work when this client or IP has failed authentication too often (or, for the
    token endpoint, made too many requests)."""
    client_id = claimed_client_id(request, params)
    checks = [("client_auth_ip", client_ip(request))]
    if client_id:
        checks.append(("client_auth_client", client_id))
    for (name, _key), state in zip(checks, ratelimit.peek_many(checks)):
        if state.exceeded:
            audit.event("rate_limited", limit=name, client_id=client_id or None, ip=client_ip(request))
            return too_many(state, "Too many failed client authentications; try again later.")
    if count_request and client_id:
        state = ratelimit.hit("token_client", client_id)
        if state.count > state.limit:  # counted before it is served: the limit-th request still passes
            audit.event("rate_limited", limit="token_client", client_id=client_id)
            return too_many(state, "Too many token requests for this client; try again later.")
    return None


def record_failed_authentication(client_id: str | None, ip: str) -> None:
    ratelimit.hit("client_auth_ip", ip or "unknown")
    if client_id:
        ratelimit.hit("client_auth_client", client_id)
