"""Example project URLs: the authorization server at the root, the admin, the demo and the example API."""
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("example_project.api")),
    *([path("", include("example_project.demo.urls"))] if settings.DEMO else []),
    path("", include("django_authflows.urls")),
]
# Django's default 400 view re-reads the body that failed to parse and turns the 400 into a 500.
handler400 = "django_authflows.server.views.errors.bad_request"
