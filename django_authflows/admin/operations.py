"""Operations: read-only lists of what the flows recorded (tokens, codes, device grants, consents), with
revocation actions. No page shows a token, code, secret or hash: those fields are never listed."""

from __future__ import annotations

from typing import Any, ClassVar

import oauth2_provider.admin  # noqa: F401  (DOT registers first, whatever the INSTALLED_APPS order)
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _t, gettext_lazy as _
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from .. import devices, revocation
from ..models import Consent, DeviceGrant
from ..server.flows.authorization_code import REDEEMED
from ..server.flows.device.codes import normalise_user_code
from .columns import CREATED, EXPIRES, code_expiry, date_column, short
from .confirm import confirm, confirmed

#: Never a field of any page here.
SECRET_FIELDS = (
    "token",
    "token_checksum",
    "code",
    "code_challenge",
    "device_code_hash",
    "client_secret",
    "private_key",
    "session",
    "nonce",
    "claims",
)
_USER = get_user_model().USERNAME_FIELD
USER_SEARCH = (f"user__{_USER}",) + (
    ("user__email",) if _USER != "email" and hasattr(get_user_model(), "email") else ()
)
APP_SEARCH = ("application__name", "application__client_id")

for _model in (AccessToken, RefreshToken, Grant, IDToken):  # DOT's admins, replaced below
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class RecordAdmin(admin.ModelAdmin):
    """Records the flows create: listed and viewed, never added or edited by hand. Actions need the
    change or delete permission; each record's own page is read-only."""

    list_select_related: ClassVar[tuple[str, ...]] = ("application", "user")
    search_fields = APP_SEARCH + USER_SEARCH
    exclude: ClassVar[tuple[str, ...]] = SECRET_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields or ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request)

    # The delete permission stays the model's, so deleting an application still cascades to its records
    # (the admin asks every related record's admin). Records themselves are revoked, never deleted raw:
    # a raw delete would skip the deny-list and the revoked refresh tokens that reuse detection needs.
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        raise PermissionDenied

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().change_view(request, object_id, form_url, {"show_delete": False, **(extra_context or {})})


class ExpiryFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("live", _("Not expired")), ("expired", _("Expired"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "live":
            return queryset.filter(expires__gt=timezone.now())
        if self.value() == "expired":
            return queryset.filter(expires__lte=timezone.now())
        return queryset


class RevokedFilter(ExpiryFilter):
    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("live", _("Active")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        value = self.value()
        return queryset.filter(revoked__isnull=value == "live") if value in ("live", "revoked") else queryset


@admin.register(AccessToken)
class AccessTokenAdmin(RecordAdmin):
    list_display = ("id", "application", "user", "scope", CREATED, EXPIRES)
    list_filter = (ExpiryFilter, "application")
    fields = (
        "id",
        "application",
        "user",
        "scope",
        "resource",
        "source_refresh_token",
        "id_token",
        "created",
        "expires",
    )
    date_hierarchy = "created"
    actions = ("revoke_tokens",)

    @admin.action(description=_("Revoke selected access tokens…"), permissions=["change"])
    def revoke_tokens(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        if not confirmed(request):
            return confirm(
                self,
                request,
                title=_t("Revoke access tokens?"),
                objects=queryset,
                action="revoke_tokens",
                question=_t("Revoke these access tokens?"),
                consequences=[
                    _t("APIs refuse them from now on (a deny-list held until they expire)."),
                    _t(
                        "Refresh tokens issued with them stay valid: revoke their family on the "
                        "refresh-token list to end the session."
                    ),
                ],
            )
        self.log_deletions(request, queryset)
        count = revocation.revoke_access_tokens(queryset.select_related(None))
        self.message_user(request, _t("Revoked %(n)d access token(s).") % {"n": count}, messages.SUCCESS)
        return None


@admin.register(RefreshToken)
class RefreshTokenAdmin(RecordAdmin):
    list_display = ("id", "application", "user", "token_family", CREATED, date_column("revoked", _("revoked")))
    list_filter = (RevokedFilter, "application")
    search_fields = RecordAdmin.search_fields + ("=token_family",)
    fields = ("id", "application", "user", "token_family", "access_token", "resource", "created", "revoked")
    date_hierarchy = "created"
    actions = ("revoke_families",)

    @admin.action(description=_("Revoke the selected tokens’ families…"), permissions=["change"])
    def revoke_families(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        families = sorted({t.token_family for t in queryset if t.token_family}, key=str)
        if not confirmed(request):
            members = RefreshToken.objects.filter(token_family__in=families).count()
            return confirm(
                self,
                request,
                title=_t("Revoke refresh-token families?"),
                objects=queryset,
                action="revoke_families",
                describe=lambda t: f"{t} ({t.application}, {t.user}): {t.token_family}",
                question=_t("Revoke %(f)d famil(ies): %(n)d refresh token(s) in all?")
                % {"f": len(families), "n": members},
                consequences=[
                    _t("Every refresh token of each family stops working: the user signs in again."),
                    _t("The access tokens issued from them are revoked too."),
                ],
            )
        for token in queryset:
            if not token.token_family:  # issued before families existed: revoke it alone
                revocation.revoke_access_tokens(AccessToken.objects.filter(pk=token.access_token_id))
                token.revoke()
        for family in families:
            revocation.revoke_family(family)
        for token in queryset:
            self.log_change(request, token, _t("Revoked its family %(family)s.") % {"family": token.token_family})
        self.message_user(request, _t("Revoked %(n)d famil(ies).") % {"n": len(families)}, messages.SUCCESS)
        return None


@admin.register(Grant)
class AuthorizationCodeAdmin(RecordAdmin):
    """DOT's authorization codes (single use, short-lived); the code itself is never shown."""

    list_display = ("id", "application", "user", CREATED, code_expiry)
    list_filter = (ExpiryFilter, "application")
    fields = ("id", "application", "user", "redirect_uri", "scope", "code_challenge_method", "created", "state")

    @admin.display(description=_("state"))
    def state(self, obj: Grant) -> str:
        """Used (redeemed at the token endpoint), or when it expires."""
        return _t("used") if obj.expires == REDEEMED else _t("expires %(when)s") % {"when": short(obj.expires)}


@admin.register(IDToken)
class IDTokenAdmin(RecordAdmin):
    list_display = ("jti", "application", "user", CREATED, EXPIRES)
    list_filter = (ExpiryFilter, "application")
    search_fields = RecordAdmin.search_fields + ("=jti",)
    fields = ("jti", "application", "user", "scope", "created", "expires")


@admin.register(DeviceGrant)
class DeviceGrantAdmin(RecordAdmin):
    """Device authorizations; search also finds one by its user code (typed, never shown)."""

    list_display = (
        "id",
        "application",
        "state",
        "user",
        "scope",
        CREATED,
        EXPIRES,
        date_column("decided", _("decided")),
    )
    list_filter = ("state", "application")
    fields = (
        "id",
        "application",
        "state",
        "user",
        "scope",
        "audience",
        "interval",
        "created",
        "expires",
        "decided",
        "last_polled",
    )
    actions = ("deny_grants",)

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> tuple[Any, bool]:
        results, duplicates = super().get_search_results(request, queryset, search_term)
        code = normalise_user_code(search_term.strip())
        if code:
            results = results | queryset.filter(user_code=code)
        return results, duplicates

    @admin.action(description=_("Deny the selected device requests…"), permissions=["change"])
    def deny_grants(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        open_grants = queryset.filter(state__in=[DeviceGrant.PENDING, DeviceGrant.APPROVED])
        if not open_grants.exists():
            self.message_user(
                request, _t("Only pending or approved (not yet used) requests can be denied."), messages.WARNING
            )
            return None
        if not confirmed(request):
            return confirm(
                self,
                request,
                title=_t("Deny device requests?"),
                objects=open_grants,
                action="deny_grants",
                question=_t("Deny these device requests?"),
                consequences=[
                    _t("The device gets access_denied on its next poll, even if the user already approved it.")
                ],
            )
        denied = devices.deny_device_grants(open_grants)
        for grant in denied:
            self.log_change(request, grant, _t("Denied by an administrator."))
        self.message_user(request, _t("Denied %(n)d device request(s).") % {"n": len(denied)}, messages.SUCCESS)
        return None


@admin.register(Consent)
class ConsentAdmin(RecordAdmin):
    list_display = ("user", "application", "audience", "scope_list", date_column("updated", _("updated")))
    list_filter = ("application",)
    search_fields = RecordAdmin.search_fields + ("audience",)
    fields = ("user", "application", "audience", "scope_list", "created", "updated")
    actions = ("revoke_consents",)

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: Consent) -> str:
        return " ".join(obj.scopes) or "-"

    @admin.action(description=_("Revoke the selected consents…"), permissions=["delete"])
    def revoke_consents(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        pairs = {(c.application, c.user) for c in queryset}
        if not confirmed(request):
            return confirm(
                self,
                request,
                title=_t("Revoke consents?"),
                objects=queryset,
                action="revoke_consents",
                describe=lambda c: f"{c.user} → {c.application} ({c.audience or _t('no API')})",
                question=_t("Revoke what these users gave these applications?"),
                consequences=[
                    _t("The consent is deleted: the application must ask again."),
                    _t(
                        "The user's refresh tokens for the application are revoked, with the access "
                        "tokens issued from them."
                    ),
                ],
            )
        revoked = 0
        for app, user in pairs:
            consents = Consent.objects.filter(application=app, user=user)
            revoked += consents.count()
            self.log_deletions(request, consents)
            revocation.revoke_application_for_user(app, user)
        self.message_user(request, _t("Revoked %(n)d consent(s).") % {"n": revoked}, messages.SUCCESS)
        return None
