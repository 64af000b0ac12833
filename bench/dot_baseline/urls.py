"""DOT's endpoints under o/ (token, authorize, userinfo, jwks...) and the example API."""
from django.urls import include, path

from . import views

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/public", views.public),
    path("api/private", views.Private.as_view()),
]
