"""Server endpoints at Auth0's paths; include at the root of a project (``path("", include(...))``)."""

from __future__ import annotations

from django.urls import path

from .flows.device.authorization import DeviceAuthorizationView
from .flows.device.views import ActivateView
from .views.authorize import AuthorizeView
from .views.consents import AuthorizedAppsView
from .views.discovery import jwks, openid_configuration
from .views.introspect import IntrospectView
from .views.login import LoginView
from .views.logout import LogoutView
from .views.par import PushedAuthorizationView
from .views.revoke import RevokeView
from .views.token import TokenView
from .views.userinfo import UserInfoView

app_name = "authflows"

urlpatterns = [
    path(".well-known/openid-configuration", openid_configuration, name="openid-configuration"),
    path(".well-known/jwks.json", jwks, name="jwks"),
    path("authorize", AuthorizeView.as_view(), name="authorize"),
    path("oauth/token", TokenView.as_view(), name="token"),
    path("userinfo", UserInfoView.as_view(), name="userinfo"),
    path("oauth/revoke", RevokeView.as_view(), name="revoke"),
    path("oauth/introspect", IntrospectView.as_view(), name="introspect"),
    path("oauth/par", PushedAuthorizationView.as_view(), name="par"),
    path("v2/logout", LogoutView.as_view(), name="logout"),
    path("account/authorized-apps", AuthorizedAppsView.as_view(), name="authorized-apps"),
    path("oauth/device/code", DeviceAuthorizationView.as_view(), name="device_code"),
    path("activate", ActivateView.as_view(), name="activate"),
    path("login", LoginView.as_view(), name="login"),
]
