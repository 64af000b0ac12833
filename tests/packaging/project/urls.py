"""The README's urls.py plus one plain view protected with @require_bearer."""
from __future__ import annotations

from django.http import JsonResponse
from django.urls import include, path

from django_authflows.resource.decorators import require_bearer


@require_bearer(scopes=["read:messages"])
def messages(request):
    return JsonResponse({"sub": request.token.sub, "scopes": sorted(request.token.scopes)})


urlpatterns = [
    path("api/messages", messages),
    path("", include("django_authflows.urls")),
]
handler400 = "django_authflows.server.views.errors.bad_request"
