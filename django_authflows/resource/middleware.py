"""BearerTokenMiddleware: attaches the (lazy) bearer result to every request; blocks nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse

from .bearer import BearerResult, authenticate_bearer
from .principal import TokenPrincipal


def _principal(result: BearerResult) -> TokenPrincipal | None:
    return TokenPrincipal(result.claims) if result.error is None and result.token_sent else None


class BearerTokenMiddleware:
    """Sets ``request.bearer`` (a :class:`~.bearer.BearerResult`) and ``request.token`` (a
    :class:`~.principal.TokenPrincipal` or None) on requests with an Authorization header (or a query
    string, where a token is refused); protected views use ``@require_bearer`` or the DRF classes, which
    share the same memoised result.
    Place it after ``AuthenticationMiddleware`` (authflows.E004)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)  # known once: not asked again on every request
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:  # then __init__ marked this middleware a coroutine function
            return self.__acall__(request)
        meta = request.META
        if "HTTP_AUTHORIZATION" in meta or meta.get("QUERY_STRING"):  # a token (or one in the URL, refused)
            # Validated now, not lazily: ``request.token is None`` must hold for a refused token (a lazy
            # object around None is not None), and a protected view validates anyway (memoised).
            request.bearer = result = authenticate_bearer(request)  # type: ignore[attr-defined]
            request.token = (  # type: ignore[attr-defined]
                TokenPrincipal(result.claims) if result.error is None and result.token_sent else None
            )
        else:  # no token: what authenticate_bearer() would say, without lazy objects
            request.bearer = BearerResult(token_sent=False)  # type: ignore[attr-defined]
            request.token = None  # type: ignore[attr-defined]
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        # Async views cannot touch the ORM, so validate now (the key cache may need one query).
        if request.META.get("HTTP_AUTHORIZATION"):
            request.bearer = result = await sync_to_async(authenticate_bearer)(request)  # type: ignore[attr-defined]
            request.token = _principal(result)  # type: ignore[attr-defined]
        else:
            request.bearer = authenticate_bearer(request)  # type: ignore[attr-defined]
            request.token = None  # type: ignore[attr-defined]
        return await self.get_response(request)
