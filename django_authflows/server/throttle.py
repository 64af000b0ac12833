"""Rate limits on the client endpoints: failed client authentication and token requests, keyed so that nobody's
failures lock out anyone else (429 with Retry-After, JSON).

- Failed authentication is counted per IP and per (client, IP), and only checked against those: a stranger
  who guesses a client's secret from another address never blocks that client's own requests.
- Token requests are counted per client only once the client has authenticated with its secret; for public
  clients, which cannot authenticate, per (client, IP).
- A made-up client_id creates no key of its own (only the per-IP counter), so unauthenticated traffic cannot
  fill the limiter's store (see :mod:`django_authflows.ratelimit`).
"""

from __future__ import annotations

from django.http import HttpResponse

from .. import audit, ratelimit, registry
from .context import RequestContext
from .responses import json_error


def _pair(client_id: str, ip: str) -> str:
    return f"{client_id}\n{ip}"


def too_many(limit: ratelimit.Limit, description: str) -> HttpResponse:
    response = json_error("too_many_requests", description, status=429)
    response["Retry-After"] = str(limit.retry_after)
    return response


def refuse_failing(ctx: RequestContext, client_id: str) -> HttpResponse | None:
    """Before any work: refuse when this IP, or this IP for this client, has failed authentication too often."""
    checks = [("client_auth_ip", ctx.ip)]
    if client_id:
        checks.append(("client_auth_client", _pair(client_id, ctx.ip)))
    # The registry's generation, which the client's lookup reads next, comes in the same round trip.
    states, generation = ratelimit.peek_with(checks, also=registry.shared_generation_key())
    registry.prime_generation(generation)
    for (name, _key), state in zip(checks, states, strict=True):
        if state.exceeded:
            audit.event("rate_limited", limit=name, client_id=client_id[:100] or None, ip=ctx.ip)
            return too_many(state, "Too many failed client authentications from this address; try again later.")
    return None


def count_token_request(ctx: RequestContext, client_id: str, *, authenticated: bool) -> HttpResponse | None:
    """Count one token request of ``client_id``: per client once it has authenticated, else per (client, IP)."""
    state = ratelimit.hit("token_client", client_id if authenticated else _pair(client_id, ctx.ip))
    if state.count > state.limit:  # counted before it is served: the limit-th request still passes
        audit.event("rate_limited", limit="token_client", client_id=client_id[:100], ip=ctx.ip)
        return too_many(state, "Too many token requests for this client; try again later.")
    return None


def record_failure(ctx: RequestContext, known_client_id: str | None) -> None:
    """One failed authentication: per IP, and per (client, IP) for a client that exists."""
    ratelimit.hit("client_auth_ip", ctx.ip)
    if known_client_id:
        ratelimit.hit("client_auth_client", _pair(known_client_id, ctx.ip))
