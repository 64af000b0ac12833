"""``@require_bearer(scopes=...)`` for plain Django views, sync or async."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse

from .bearer import authenticate_bearer
from .errors import error_response
from .principal import TokenPrincipal


def _check(request: HttpRequest, scopes: frozenset[str], audience: str | None) -> HttpResponse | None:
    result = authenticate_bearer(request, audience=audience)
    if not result.valid or (scopes and not scopes <= result.scopes):
        return error_response(result, required=sorted(scopes))
    request.bearer = result  # type: ignore[attr-defined]
    request.token = TokenPrincipal(result.claims)  # type: ignore[attr-defined]
    return None


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
            denied = _check(request, required, audience)
            return denied if denied is not None else func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
