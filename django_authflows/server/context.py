"""What one HTTP request to the authorization server has established, shared by every layer that handles it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from ..issuer import ISSUER_HEADER, issuer_for

if TYPE_CHECKING:
    from .client_auth import ClientAuthentication, Credentials

#: The key under which the context travels inside the headers of the oauthlib request that DOT builds
#: from the Django request (oauthlib hands its validator hooks only that request).
HEADER = "authflows.context"
_ATTRIBUTE = "_authflows_context"


@dataclass
class RequestContext:
    """Parsed once per request and read by the throttle, the endpoint, oauthlib's validator hooks and the
    audit line, instead of each parsing the request again or passing results through globals.

    ``api``, ``family``, ``session`` and the other grant fields are set by the flow modules while oauthlib
    runs (the audience, the refresh-token family and the login session of the tokens being issued)."""

    ip: str
    authorization: str = ""
    #: The issuer identifier, for audiences that name it (client assertions, RFC 7523 §3).
    issuer: str = ""
    params: dict[str, str] = field(default_factory=dict)
    credentials: Credentials | None = None
    client_auth: ClientAuthentication | None = None
    #: True once the failed authentication of this request has its audit line (one line per refusal).
    failure_logged: bool = False
    # Grant state, set by the flows while oauthlib runs.
    api: Any = None
    api_resolved: bool = False
    family: Any = None
    family_id: Any = None
    session: dict[str, Any] | None = None
    grant: Any = None
    #: The code validate_code accepted, not claimed yet (see flows.authorization_code.claim_code).
    code_pending: Any = None
    access_token_id: Any = None
    jti: str | None = None
    redirect_uri_sent: bool = True
    #: RFC 7638 thumbprint of the key of this token request's verified DPoP proof (RFC 9449 §5), if any.
    dpop_jkt: str | None = None


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR; behind a proxy, set it from the proxy's header in the proxy or a middleware."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def context(request: HttpRequest, params: dict[str, str] | None = None) -> RequestContext:
    """This request's context, made on first use (``params``: its parsed body, once known)."""
    ctx: RequestContext | None = getattr(request, _ATTRIBUTE, None)
    if ctx is None:
        ctx = RequestContext(
            ip=client_ip(request), authorization=request.META.get("HTTP_AUTHORIZATION", ""), issuer=issuer_for(request)
        )
        setattr(request, _ATTRIBUTE, ctx)
    if params is not None and not ctx.params:
        ctx.params = params
    return ctx


def context_of(oauth_request: Any) -> RequestContext:
    """The context of an oauthlib request: the Django request's own when DOT built it from one (see
    ``core.AuthflowsOAuthLibCore.extract_headers``), else one made from what the oauthlib request carries."""
    headers = oauth_request.headers
    ctx = headers.get(HEADER)
    if ctx is None:
        params = {
            key: value
            for key in ("client_id", "client_secret", "client_assertion", "client_assertion_type")
            if isinstance(value := getattr(oauth_request, key, None), str)
        }
        ctx = RequestContext(
            ip=headers.get("REMOTE_ADDR", "") or "unknown",
            authorization=headers.get("HTTP_AUTHORIZATION", "") or "",
            params=params,
            issuer=headers.get(ISSUER_HEADER, "") or "",
        )
        headers[HEADER] = ctx
    return ctx
