from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("example_project.api")),
    path("", include("example_project.demo.urls")),
    path("", include("django_authflows.urls")),
]
