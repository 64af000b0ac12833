"""The example API of DESIGN.md §1: plain Django views with the decorator, and the same as DRF views."""
from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_authflows.contrib.rest_framework.authentication import BearerAuthentication
from django_authflows.contrib.rest_framework.decorators import require_scopes
from django_authflows.contrib.rest_framework.permissions import HasScope
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


# -- Django REST framework ------------------------------------------------------------------------
@api_view(["GET"])
def drf_public(request: Request) -> Response:
    return Response({"message": "Hello from a public endpoint! You don't need to be authenticated."})


class DrfPrivate(APIView):
    authentication_classes = [BearerAuthentication]
    permission_classes = [HasScope]  # any valid token

    def get(self, request: Request) -> Response:
        return Response({"message": "Hello from a private endpoint! You need to be authenticated.",
                         "sub": request.user.sub, "scope": sorted(request.auth.scopes)})


@api_view(["GET"])
@require_scopes("read:messages")
def drf_private_scoped(request: Request) -> Response:
    return Response({"message": "Hello from a private endpoint! You need to be authenticated and have "
                                "a scope of read:messages.", "sub": request.user.sub})


urlpatterns = [
    path("api/public", public, name="api-public"),
    path("api/private", private, name="api-private"),
    path("api/private-scoped", private_scoped, name="api-private-scoped"),
    path("api/drf/public", drf_public, name="drf-public"),
    path("api/drf/private", DrfPrivate.as_view(), name="drf-private"),
    path("api/drf/private-scoped", drf_private_scoped, name="drf-private-scoped"),
]
