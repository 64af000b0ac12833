"""The example API of DESIGN.md §1: plain Django views with the decorator (the same as DRF views: api_drf.py)."""
from __future__ import annotations

from importlib.util import find_spec

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET
from django_authflows.resource.decorators import require_bearer


# -- plain Django ---------------------------------------------------------------------------------
@require_GET
def public(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": "Hello from a public endpoint! You don't need to be authenticated."})


@require_GET
@require_bearer
def private(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": "Hello from a private endpoint! You need to be authenticated.",
                         "sub": request.token.sub, "scope": sorted(request.token.scopes)})


@require_GET
@require_bearer(scopes=["read:messages"])
def private_scoped(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": "Hello from a private endpoint! You need to be authenticated and have "
                                    "a scope of read:messages.", "sub": request.token.sub})


urlpatterns = [
    path("api/public", public, name="api-public"),
    path("api/private", private, name="api-private"),
    path("api/private-scoped", private_scoped, name="api-private-scoped"),
]
if find_spec("rest_framework"):  # DRF is the `drf` extra of django_authflows
    from .api_drf import urlpatterns as drf_urlpatterns

    urlpatterns += drf_urlpatterns
