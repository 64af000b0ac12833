"""The account page "Apps, devices and sessions": every application with consent or live tokens, every
approved device, every active browser session, each revocable (OIDC Back-Channel Logout 1.0 §2.5 on each)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from oauth2_provider.models import get_access_token_model, get_application_model

from ... import audit, presets
from ...models import Consent, LoginSession, TokenFamily
from ...revocation import revoke_application_for_user
from .. import logins
from ..session import current
from .frames import no_framing


def _pk(value: str) -> int:
    # str.isdigit() is true for "²" and other digits int() refuses: ASCII digits only, and no more than fit.
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else 0


@method_decorator(no_framing, name="dispatch")
class AuthorizedAppsView(LoginRequiredMixin, View):
    """Context: ``entries`` (dicts: ``application``, ``consents``, ``device``), ``consents`` (Consent rows,
    for templates written before entries), ``sessions`` (live LoginSession rows), ``current_session`` (this
    browser's), ``messages``, ``home_url`` (settings.LOGIN_REDIRECT_URL) and ``logout_url`` (/v2/logout)."""

    template_name = "authflows/authorized_apps.html"
    login: LoginSession | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            self.login = current(request)  # a session ended elsewhere signs this browser out here
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return TemplateResponse(request, self.template_name, self.context(request))

    def context(self, request: HttpRequest) -> dict[str, Any]:
        user = request.user
        consents = list(Consent.objects.filter(user=user).select_related("application").order_by("-updated"))
        # First-party applications skip the consent page, so live tokens name applications too.
        holding = set(
            TokenFamily.objects.filter(user=user, revoked__isnull=True).values_list("application_id", flat=True)
        )
        holding |= set(
            get_access_token_model()
            .objects.filter(user=user, expires__gt=timezone.now())
            .exclude(application=None)
            .values_list("application_id", flat=True)
        )
        entries: dict[int, dict[str, Any]] = {}
        for consent in consents:
            entries.setdefault(consent.application_id, {"application": consent.application, "consents": []})[
                "consents"
            ].append(consent)
        missing = holding - set(entries)
        for app in get_application_model().objects.filter(pk__in=missing):
            entries[app.pk] = {"application": app, "consents": []}
        for entry in entries.values():
            entry["device"] = entry["application"].has_grant(presets.DEVICE_CODE)
        sessions = LoginSession.objects.filter(user=user, ended__isnull=True).order_by("-last_seen")
        return {
            "entries": list(entries.values()),
            "consents": consents,
            "sessions": sessions,
            "current_session": getattr(self, "login", None),
            **self.links(),
        }

    @staticmethod
    def links() -> dict[str, str]:
        return {"home_url": resolve_url(settings.LOGIN_REDIRECT_URL), "logout_url": reverse("authflows:logout")}

    def refuse(self, request: HttpRequest, error: str) -> HttpResponse:
        return TemplateResponse(
            request,
            self.template_name,
            {"entries": [], "consents": Consent.objects.none(), "sessions": [], "error": error, **self.links()},
            status=400,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        if "session" in request.POST:
            return self.sign_out(request, _pk(request.POST["session"]))
        application = None
        if "consent" in request.POST:
            consent = Consent.objects.filter(user=request.user, pk=_pk(request.POST["consent"])).first()
            application = consent.application if consent else None
        elif "application" in request.POST:
            application = get_application_model().objects.filter(pk=_pk(request.POST["application"])).first()
        if application is None:
            return self.refuse(request, "Unknown application.")
        # Deny-lists its access tokens at once, revokes its refresh tokens and consent, and tells it through
        # the back-channel in every live session it took part in.
        revoke_application_for_user(application, request.user)
        logins.application_revoked(request.user, application)
        audit.event("application_access_revoked", user_id=request.user.pk, client_id=application.client_id)
        messages.success(request, f"{application.name} can no longer access your account.")
        return HttpResponseRedirect(reverse("authflows:authorized-apps"))

    def sign_out(self, request: HttpRequest, pk: int) -> HttpResponse:
        login = LoginSession.objects.filter(user=request.user, pk=pk, ended__isnull=True).first()
        if login is None:
            return self.refuse(request, "Unknown or already ended session.")
        this_browser = self.login is not None and self.login.pk == login.pk
        logins.end(login, "signed_out_by_user", keep_django_session=this_browser)
        if this_browser:
            logout(request)
            return HttpResponseRedirect(resolve_url(settings.LOGIN_REDIRECT_URL))
        messages.success(request, f"{login.user_agent or 'That browser'} is signed out.")
        return HttpResponseRedirect(reverse("authflows:authorized-apps"))
