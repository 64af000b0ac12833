"""DRF authentication class: the shared, memoised bearer validation (Bearer and DPoP schemes, RFC 6750, RFC 9449)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from ...resource.bearer import BearerResult, authenticate_bearer
from ...resource.errors import challenge
from ...resource.principal import TokenPrincipal


class InvalidBearerRequest(exceptions.ParseError):
    """400 ``invalid_request`` with its RFC 6750 challenge (a token in the URL, a malformed header)."""

    def __init__(self, description: str, scheme: str = "Bearer") -> None:
        super().__init__(description)
        self.auth_header = challenge("invalid_request", description, scheme=scheme)


class BearerAuthentication(BaseAuthentication):
    """``request.user`` is a :class:`TokenPrincipal` (no query); ``request.auth`` the BearerResult."""

    audience: str | None = None

    def authenticate(self, request: Request) -> tuple[TokenPrincipal, BearerResult] | None:
        django_request = request._request
        result = authenticate_bearer(django_request, audience=self.audience)
        if not result.token_sent:
            return None
        if result.error is not None:
            if result.error == "invalid_request":
                raise InvalidBearerRequest(result.description, result.scheme)
            raise exceptions.AuthenticationFailed(result.description)
        token = django_request.__dict__.get("token")  # BearerTokenMiddleware's principal of this very result
        if type(token) is TokenPrincipal and token.claims is result.claims:
            return token, result
        return TokenPrincipal(result.claims), result

    def authenticate_header(self, request: Request) -> str:
        result = authenticate_bearer(request._request, audience=self.audience)
        if result.token_sent and not result.valid:
            return challenge(result.error, result.description, scheme=result.scheme)
        return challenge()


def for_audience(audience: str) -> type[BearerAuthentication]:
    """A BearerAuthentication bound to one API identifier."""
    return type("BearerAuthentication", (BearerAuthentication,), {"audience": audience})
