"""Demo navigation for every demo page: account, login, logout (a real /v2/logout) and admin links."""
from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

#: The demo application whose registered logout URL is the home page (seed.py), for /v2/logout's returnTo.
LOGOUT_CLIENT_ID = "demo-regular-web-app"


def navigation(request: HttpRequest) -> dict[str, str]:
    home = request.build_absolute_uri(reverse("demo:home"))
    return {
        "demo_account_url": reverse("authflows:authorized-apps"),
        "demo_login_url": reverse("authflows:login") + "?" + urlencode({"next": reverse("demo:home")}),
        "demo_logout_url": reverse("authflows:logout") + "?" + urlencode(
            {"client_id": LOGOUT_CLIENT_ID, "returnTo": home}),
        "demo_admin_url": reverse("admin:index"),
    }
