"""Example project URLs: the authorization server at the root, the admin, the demo and the example API."""
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's): the package's icon, not a 404
    in their console. Resolved per request, so a hashed static storage needs no manifest at import."""
    return HttpResponseRedirect(static("authflows/favicon.svg"))


urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("example_project.api")),
    *([path("", include("example_project.demo.urls"))] if settings.DEMO else []),
    path("", include("django_authflows.urls")),
    path("favicon.ico", favicon),
]
# Django's default 400 view re-reads the body that failed to parse and turns the 400 into a 500.
handler400 = "django_authflows.server.views.errors.bad_request"
