"""Admin: login sessions (read-only, "end session") and back-channel logout deliveries (read-only, "retry"),
OIDC Back-Channel Logout 1.0 §2.5."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _t, gettext_lazy as _

from ..models import BackchannelDelivery, LoginSession
from ..server import backchannel, logins
from .columns import date_column
from .confirm import confirm, confirmed
from .operations import USER_SEARCH, RecordAdmin


class EndedFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("active", _("active")), ("ended", _("ended"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "active":
            return queryset.filter(ended__isnull=True)
        if self.value() == "ended":
            return queryset.filter(ended__isnull=False)
        return queryset


@admin.register(LoginSession)
class LoginSessionAdmin(RecordAdmin):
    list_display = (
        "id",
        "user",
        "user_agent",
        "ip",
        date_column("auth_time", _("signed in")),
        date_column("last_seen", _("last seen")),
        date_column("ended", _("ended")),
        "end_reason",
    )
    list_select_related = ("user",)
    list_filter = (EndedFilter, "end_reason")
    search_fields = USER_SEARCH + ("=ip",)
    # The sid is not a secret (it is in every ID token), but the Django session key is: never shown.
    fields = (
        "id",
        "user",
        "sid",
        "issuer",
        "auth_time",
        "amr",
        "user_agent",
        "ip",
        "last_seen",
        "ended",
        "end_reason",
        "application_names",
    )
    exclude = RecordAdmin.exclude + ("session_key", "applications")
    actions = ("end_sessions",)

    @admin.display(description=_("applications"))
    def application_names(self, obj: LoginSession) -> str:
        return ", ".join(a.name for a in obj.applications.all()) or "-"

    @admin.action(description=_("End the selected sessions…"), permissions=["change"])
    def end_sessions(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        live = queryset.filter(ended__isnull=True).select_related("user")
        if not confirmed(request):
            return confirm(
                self,
                request,
                title=_t("End sessions?"),
                objects=live,
                action="end_sessions",
                question=_t("End these %(n)d session(s)?") % {"n": live.count()},
                consequences=[
                    _t("Each browser is signed out and must sign in again."),
                    _t("Each application used in them receives a back-channel logout token."),
                ],
            )
        ended = 0
        for login in live:
            if logins.end(login, "ended_by_admin"):
                ended += 1
                self.log_change(request, login, _t("Ended the session."))
        self.message_user(request, _t("Ended %(n)d session(s).") % {"n": ended}, messages.SUCCESS)
        return None


@admin.register(BackchannelDelivery)
class BackchannelDeliveryAdmin(RecordAdmin):
    list_display = (
        "id",
        "application",
        "uri",
        "status",
        "attempts",
        "last_status",
        date_column("created", _("created")),
        date_column("next_attempt", _("next attempt")),
    )
    list_select_related = ("application",)
    list_filter = ("status", "application")
    search_fields = ("application__name", "application__client_id", "=sid")
    fields = (
        "id",
        "application",
        "uri",
        "issuer",
        "subject",
        "sid",
        "status",
        "attempts",
        "last_status",
        "last_error",
        "next_attempt",
        "created",
        "updated",
    )
    actions = ("retry",)

    @admin.action(description=_("Retry the selected deliveries"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: Any) -> None:
        count = 0
        for delivery in queryset.exclude(status=BackchannelDelivery.DELIVERED):
            backchannel.retry(delivery)
            self.log_change(request, delivery, _t("Queued a retry."))
            count += 1
        self.message_user(request, _t("Queued %(n)d retr(ies).") % {"n": count}, messages.SUCCESS)
