"""Demo URLs: the home page and one relying party per browser flow (mounted at the root)."""
from __future__ import annotations

from django.urls import path

from . import implicit, regular, views
from .views import content_security_policy as csp

app_name = "demo"

urlpatterns = [
    path("", views.home, name="home"),
    path("demo/regular/", csp()(regular.result), name="regular-result"),
    path("demo/regular/login", regular.login, name="regular-login"),
    path("demo/regular/callback", csp()(regular.callback), name="regular-callback"),
    path("demo/regular/call-api", csp()(regular.call_api), name="regular-call-api"),
    path("demo/regular/logout", regular.logout, name="regular-logout"),
    path("demo/regular/backchannel-logout", regular.backchannel_logout, name="regular-backchannel-logout"),
    path("demo/spa/", views.spa, name="spa"),
    path("demo/implicit/", csp()(implicit.start), name="implicit-start"),
    path("demo/implicit/callback", csp()(implicit.callback), name="implicit-callback"),
    path("demo/implicit/call-api", csp()(implicit.call_api), name="implicit-call-api"),
    path("demo/implicit/logout", implicit.logout, name="implicit-logout"),
]
