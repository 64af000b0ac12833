"""/activate (RFC 8628 §3.3): enter or confirm the user code, then approve or deny; rate limited."""

from __future__ import annotations

import segno
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.views import View

from .... import audit, ratelimit, signals
from ....models import DeviceGrant
from ... import audience, logins
from ...consent import record_consent
from ...sensitive import keep_out_of_reports
from ...session import session_info
from ...views.authorize import SCOPE_LABELS
from ...views.frames import no_framing
from .codes import display, normalise_user_code

LIMIT = "activate"


def _client_keys(request: HttpRequest) -> list[str]:
    if request.session.session_key is None:
        request.session.save()
    return [f"session:{request.session.session_key}", f"ip:{request.META.get('REMOTE_ADDR', '')}"]


def _blocked(request: HttpRequest) -> ratelimit.Limit | None:
    for key in _client_keys(request):
        state = ratelimit.peek(LIMIT, key)
        if state.exceeded:
            return state
    return None


def qr_svg(url: str) -> str:
    """An inline SVG QR code (segno, pure Python; no JavaScript, no image request)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#111", light="#fff", title="QR code for this page")
    return mark_safe(svg)  # noqa: S308 (segno's own markup; it escapes the URL)


def _find(code: str) -> DeviceGrant | None:
    return DeviceGrant.objects.select_related("application").filter(user_code=code).order_by("-created").first()


@keep_out_of_reports  # codes, secrets, verifiers, passwords and tokens
@method_decorator(no_framing, name="dispatch")
class ActivateView(LoginRequiredMixin, View):
    """Code entry and confirmation.

    ``code_entry.html`` context: ``user_code``, ``error``. ``confirm.html``: ``grant``, ``application``,
    ``api``, ``scopes`` ((value, words) pairs), ``user_code``, ``qr``. ``done.html``: ``outcome`` (one of
    approved, denied, expired, used, too_many), ``retry_after``.
    """

    entry_template_name = "authflows/device/code_entry.html"
    confirm_template_name = "authflows/device/confirm.html"
    done_template_name = "authflows/device/done.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.entry(request, request.GET.get("user_code", "")[:32])

    def post(self, request: HttpRequest) -> HttpResponse:
        limited = _blocked(request)
        if limited is not None:
            return self.done(request, "too_many", status=429, retry_after=limited.retry_after)
        raw = request.POST.get("user_code", "")
        code = normalise_user_code(raw)
        grant = _find(code) if code else None
        if grant is None:
            states = [ratelimit.hit(LIMIT, key) for key in _client_keys(request)]
            exceeded = [s for s in states if s.exceeded]
            if exceeded:
                return self.done(request, "too_many", status=429, retry_after=max(s.retry_after for s in exceeded))
            return self.entry(request, raw[:32], error="unknown", status=400)
        if grant.is_expired:
            return self.done(request, "expired", status=400)
        if grant.state != DeviceGrant.PENDING:
            return self.done(request, "used", status=400)
        decision = "allow" if "allow" in request.POST else "deny" if "deny" in request.POST else None
        if decision is None:
            return self.confirm(request, grant)
        return self.decide(request, grant, decision == "allow")

    def entry(self, request: HttpRequest, user_code: str, error: str | None = None, status: int = 200) -> HttpResponse:
        return TemplateResponse(
            request, self.entry_template_name, {"user_code": user_code, "error": error}, status=status
        )

    def confirm(self, request: HttpRequest, grant: DeviceGrant) -> HttpResponse:
        try:
            api = audience.get_api(grant.audience or None)
        except audience.AudienceError:
            api = None
        scopes = [(s, SCOPE_LABELS.get(s) or (api.describe_scope(s) if api else s)) for s in grant.scopes]
        complete = request.build_absolute_uri(request.path) + f"?user_code={display(grant.user_code)}"
        return TemplateResponse(
            request,
            self.confirm_template_name,
            {
                "grant": grant,
                "application": grant.application,
                "api": api,
                "scopes": scopes,
                "user_code": display(grant.user_code),
                "qr": qr_svg(complete),
            },
        )

    def decide(self, request: HttpRequest, grant: DeviceGrant, approve: bool) -> HttpResponse:
        state = DeviceGrant.APPROVED if approve else DeviceGrant.DENIED
        changed = DeviceGrant.objects.filter(pk=grant.pk, state=DeviceGrant.PENDING).update(
            state=state, user=request.user, session=session_info(request), decided=timezone.now()
        )
        if not changed:
            return self.done(request, "used", status=400)
        if approve:  # the confirmation page is the consent: the device then shows on the account page
            record_consent(request.user, grant.application, grant.audience, grant.scopes, sender=DeviceGrant)
            logins.add_application(session_info(request).get("sid"), grant.application)
        signal = signals.device_authorization_approved if approve else signals.device_authorization_denied
        signal.send(sender=DeviceGrant, grant_id=grant.pk, client_id=grant.application.client_id, user=request.user)
        audit.event(
            "device_authorization_approved" if approve else "device_authorization_denied",
            client_id=grant.application.client_id,
            user_id=request.user.pk,
            grant_id=grant.pk,
        )
        for key in _client_keys(request):
            ratelimit.reset(LIMIT, key)
        return self.done(request, "approved" if approve else "denied")

    def done(
        self, request: HttpRequest, outcome: str, status: int = 200, retry_after: int | None = None
    ) -> HttpResponse:
        response = TemplateResponse(
            request, self.done_template_name, {"outcome": outcome, "retry_after": retry_after}, status=status
        )
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response
