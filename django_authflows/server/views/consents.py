"""The signed-in user's authorised applications, each revocable (consent, refresh tokens, access tokens)."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View

from ... import audit
from ...models import Consent
from ...revocation import revoke_application_for_user
from .frames import no_framing


@method_decorator(no_framing, name="dispatch")
class AuthorizedAppsView(LoginRequiredMixin, View):
    """Context: ``consents`` (Consent rows with ``application``), ``messages``, ``home_url``
    (settings.LOGIN_REDIRECT_URL) and ``logout_url`` (/v2/logout)."""

    template_name = "authflows/authorized_apps.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        consents = Consent.objects.filter(user=request.user).select_related("application").order_by("-updated")
        return TemplateResponse(request, self.template_name, {"consents": consents, **self.links()})

    @staticmethod
    def links() -> dict[str, str]:
        return {"home_url": resolve_url(settings.LOGIN_REDIRECT_URL), "logout_url": reverse("authflows:logout")}

    def post(self, request: HttpRequest) -> HttpResponse:
        value = request.POST.get("consent", "")
        # str.isdigit() is true for "²" and other digits int() refuses: ASCII digits only, and no more than fit.
        pk = int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else 0
        consent = Consent.objects.filter(user=request.user, pk=pk).first()
        if consent is None:
            return TemplateResponse(request, self.template_name, {"consents": Consent.objects.none(),
                                                                  "error": "Unknown application.",
                                                                  **self.links()}, status=400)
        revoke_application_for_user(consent.application, request.user)
        audit.event("application_access_revoked", user_id=request.user.pk, client_id=consent.application.client_id)
        messages.success(request, f"{consent.application.name} can no longer access your account.")
        return HttpResponseRedirect(reverse("authflows:authorized-apps"))
