"""``@require_bearer(scopes=...)`` for plain Django views, sync or async."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse

from .bearer import BearerResult, authenticate_bearer
from .errors import error_response
from .principal import TokenPrincipal


def _check(request: HttpRequest, scopes: frozenset[str], audience: str | None) -> HttpResponse | None:
    result = authenticate_bearer(request, audience=audience)
    if result.error is not None or not result.token_sent or (scopes and not scopes <= result.scopes):
        return error_response(result, required=sorted(scopes))
    attributes = request.__dict__
    token = attributes.get("token")
    if attributes.get("bearer") is not result or type(token) is not TokenPrincipal or token.claims is not result.claims:
        _attach(request, result)
    return None


def _attach(request: HttpRequest, result: BearerResult) -> None:
    """``request.bearer`` and ``request.token`` of a valid result. Not called when they are already those
    BearerTokenMiddleware attached: this very (memoised) result and its principal."""
    request.bearer = result  # type: ignore[attr-defined]
    request.token = TokenPrincipal(result.claims)  # type: ignore[attr-defined]


def require_bearer(
    view: Callable[..., Any] | None = None, *, scopes: Iterable[str] = (), audience: str | None = None
) -> Any:
    """Allow the view only with a valid access token for ``audience`` (default AUTHFLOWS['AUDIENCE'])
    carrying every scope in ``scopes``; sets ``request.bearer`` and ``request.token``."""
    required = frozenset(scopes)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if iscoroutinefunction(func):

            @wraps(func)
            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                denied = await sync_to_async(_check)(request, required, audience)
                return denied if denied is not None else await func(request, *args, **kwargs)

            return async_wrapper

        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # _check(), inline: this runs on every request of a protected view
            result = authenticate_bearer(request, audience=audience)
            if result.error is not None or not result.token_sent or (required and not required <= result.scopes):
                return error_response(result, required=sorted(required))
            attributes = request.__dict__
            token = attributes.get("token")
            if (
                attributes.get("bearer") is not result
                or type(token) is not TokenPrincipal
                or token.claims is not result.claims
            ):
                _attach(request, result)
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
