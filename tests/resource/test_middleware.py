"""BearerTokenMiddleware and @require_bearer on sync and async views."""
from __future__ import annotations

from http import HTTPStatus

import pytest
from django.http import HttpResponse, JsonResponse
from django.test import AsyncRequestFactory, RequestFactory

from django_authflows.resource.decorators import require_bearer
from django_authflows.resource.middleware import BearerTokenMiddleware

pytestmark = pytest.mark.django_db(transaction=True)


def test_middleware_attaches_without_blocking(m2m_token):
    token = m2m_token()
    seen = {}

    def view(request):
        seen["valid"] = request.bearer.valid
        seen["sub"] = request.token.sub if request.token else None
        return HttpResponse("ok")

    response = BearerTokenMiddleware(view)(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    assert response.status_code == 200 and seen["valid"] and seen["sub"].endswith("@clients")
    response = BearerTokenMiddleware(view)(RequestFactory().get("/", HTTP_AUTHORIZATION="Bearer nope"))
    assert response.status_code == 200 and seen["valid"] is False


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer a.b.c", "DPoP nope", "Bearer ", "Basic Zm9vOmJhcg=="])
def test_request_token_is_none_for_a_refused_or_absent_token(header):
    """The pattern docs/protect-your-api.md shows, ``if request.token is None``, holds for a refused token
    too (it was a lazy object around None, and the view answered 500 on an attribute of None)."""

    def view(request):
        if request.token is None:
            return JsonResponse({"error": "unauthorized"}, status=401)
        return JsonResponse({"sub": request.token.sub})

    response = BearerTokenMiddleware(view)(RequestFactory().get("/", HTTP_AUTHORIZATION=header))
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_async_middleware_and_decorator(m2m_token):
    from asgiref.sync import async_to_sync

    token = m2m_token()
    async_to_sync(_run_async)(token)


async def _run_async(token):

    @require_bearer(scopes=["read:messages"])
    async def view(request):
        return JsonResponse({"sub": request.token.sub})

    async def inner(request):
        return await view(request)

    middleware = BearerTokenMiddleware(inner)
    ok = await middleware(AsyncRequestFactory().get("/", headers={"Authorization": f"Bearer {token}"}))
    assert ok.status_code == HTTPStatus.OK, ok.content
    denied = await middleware(AsyncRequestFactory().get("/"))
    assert denied.status_code == HTTPStatus.UNAUTHORIZED


def test_decorator_with_explicit_audience(m2m_token):
    token = m2m_token(audience="https://other.example.test/")

    @require_bearer(audience="https://other.example.test/")
    def view(request):
        return HttpResponse("ok")

    assert view(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")).status_code == 200
    assert require_bearer(view.__wrapped__)(
        RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")).status_code == 401
