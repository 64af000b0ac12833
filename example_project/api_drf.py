"""The example API as Django REST framework views: the authentication class, the permission and the decorator."""
from __future__ import annotations

from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_authflows.contrib.rest_framework.authentication import BearerAuthentication
from django_authflows.contrib.rest_framework.decorators import require_scopes
from django_authflows.contrib.rest_framework.permissions import HasScope


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
    path("api/drf/public", drf_public, name="drf-public"),
    path("api/drf/private", DrfPrivate.as_view(), name="drf-private"),
    path("api/drf/private-scoped", drf_private_scoped, name="drf-private-scoped"),
]
