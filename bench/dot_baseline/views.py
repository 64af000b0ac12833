"""The example API: a plain public view and a DRF view protected by DOT's OAuth2Authentication."""
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


@require_GET
def public(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": "Hello from a public endpoint! You don't need to be authenticated."})


class Private(APIView):
    authentication_classes = [OAuth2Authentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"message": "Hello from a private endpoint! You need to be authenticated.",
                         "sub": str(request.user.pk), "scope": sorted(request.auth.scope.split())})
