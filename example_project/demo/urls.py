"""Demo URLs: the home page and one relying party per browser flow (mounted at the root)."""
from __future__ import annotations

from django.urls import include, path

from . import implicit, regular, views
from .views import content_security_policy as csp

app_name = "demo"

urlpatterns = [
    path("", views.home, name="home"),
    # One prefix for the rest: a request for the server's endpoints (mounted after the demo) skips them all.
    path("demo/", include([
        path("regular/", csp()(regular.result), name="regular-result"),
        path("regular/login", regular.login, name="regular-login"),
        path("regular/callback", csp()(regular.callback), name="regular-callback"),
        path("regular/call-api", csp()(regular.call_api), name="regular-call-api"),
        path("regular/logout", regular.logout, name="regular-logout"),
        path("regular/backchannel-logout", regular.backchannel_logout, name="regular-backchannel-logout"),
        path("spa/", views.spa, name="spa"),
        path("implicit/", csp()(implicit.start), name="implicit-start"),
        path("implicit/callback", csp()(implicit.callback), name="implicit-callback"),
        path("implicit/call-api", csp()(implicit.call_api), name="implicit-call-api"),
        path("implicit/logout", implicit.logout, name="implicit-logout"),
    ])),
]
