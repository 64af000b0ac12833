"""The login page: Django's LoginView with our template and ``login_hint``."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.views import LoginView as DjangoLoginView
from django.utils.decorators import method_decorator

from .frames import no_framing


@method_decorator(no_framing, name="dispatch")
class LoginView(DjangoLoginView):
    """Context: Django's ``form`` (fields ``username`` and ``password``), ``next``, ``site_name``."""

    template_name = "authflows/login.html"
    redirect_authenticated_user = False  # prompt=login and max_age must be able to ask again

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        hint = self.request.GET.get("login_hint")
        if hint:
            initial["username"] = hint[:150]
        return initial
