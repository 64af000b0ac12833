"""Signing keys: a read-only list (never the private key) with "rotate" and "retire", each confirmed."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _t, gettext_lazy as _

from ..conf import authflows_settings
from ..models import SigningKey
from ..server import keys
from .columns import CREATED, date_column
from .confirm import confirm, confirmed

SIGNING_ALGS = ("RS256", "ES256", "EdDSA", "PS256")  # PS256: the ID tokens of FAPI 2.0 applications


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    """Keys are made by rotation, never by hand, and never deleted (retired keys stay published until
    the tokens they signed expire). The private key is not a field of any page."""

    list_display = (
        "short_kid",
        "alg",
        "state",
        CREATED,
        date_column("activated", _("activated")),
        date_column("retired", _("retired")),
    )
    list_filter = ("state", "alg")
    search_fields = ("kid",)
    fields = ("kid", "alg", "state", "created", "activated", "retired", "public_key")
    readonly_fields = fields
    actions = ("rotate_keys", "retire_keys")
    change_list_template = "admin/authflows/signingkey/change_list.html"

    class Media:
        css = {"all": ["authflows/admin/admin.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SigningKey | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SigningKey | None = None) -> bool:
        # The change permission allows the actions (asked without obj); a key's page is read-only.
        return obj is None and super().has_change_permission(request)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("kid"), ordering="kid")
    def short_kid(self, obj: SigningKey) -> str:
        return format_html('<code title="{}">{}…</code>', obj.kid, obj.kid[:16])

    @admin.display(description=_("public key (JWK)"))
    def public_key(self, obj: SigningKey) -> str:
        return format_html('<pre class="authflows-value">{}</pre>', json.dumps(obj.public_jwk, indent=2))

    # -- rotation --------------------------------------------------------------------------------
    def get_urls(self) -> list[Any]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("rotate/", self.admin_site.admin_view(self.rotate_view), name=f"{info}_rotate"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"signing_alg": authflows_settings.SIGNING_ALG, **(extra_context or {})}
        if self.has_change_permission(request):
            extra["rotate_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_rotate", current_app=self.admin_site.name
            )
        return super().changelist_view(request, extra)

    def rotate_view(self, request: HttpRequest) -> HttpResponse:
        """Rotate the keys of one algorithm (``?alg=``, default the signing setting); works on an empty table."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        alg = request.GET.get("alg") or authflows_settings.SIGNING_ALG
        if alg not in SIGNING_ALGS:
            self.message_user(request, _t("Unknown algorithm %(alg)s.") % {"alg": alg}, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:authflows_signingkey_changelist"))
        if not confirmed(request):
            current = SigningKey.objects.filter(alg=alg).exclude(state=SigningKey.RETIRED)
            return self._confirm_rotation(request, [alg], current, action=None)
        self._rotate(request, [alg])
        return HttpResponseRedirect(reverse("admin:authflows_signingkey_changelist", current_app=self.admin_site.name))

    def _confirm_rotation(
        self, request: HttpRequest, algs: list[str], current: Any, action: str | None
    ) -> HttpResponse:
        return confirm(
            self,
            request,
            title=_t("Rotate signing keys?"),
            objects=current,
            action=action,
            question=_t("Rotate the %(algs)s signing keys?") % {"algs": ", ".join(algs)},
            consequences=[
                _t("The published next key starts signing; a new next key is published."),
                _t("The active key is retired: it stays in the key set until every token it signed has expired."),
                _t("APIs that cache the key set more briefly than the key has been published keep working."),
            ],
            submit=_t("Yes, rotate"),
        )

    def _rotate(self, request: HttpRequest, algs: list[str]) -> None:
        for alg in algs:
            previous = list(SigningKey.objects.filter(alg=alg, state=SigningKey.ACTIVE))
            active = keys.rotate(alg)
            self.log_change(request, active, _t("Rotated: now the active %(alg)s key.") % {"alg": alg})
            for old in previous:
                self.log_change(request, old, _t("Retired by a rotation."))
            self.message_user(
                request, _t("%(alg)s: %(kid)s now signs.") % {"alg": alg, "kid": active.kid}, messages.SUCCESS
            )

    @admin.action(description=_("Rotate the selected keys’ algorithms…"), permissions=["change"])
    def rotate_keys(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        algs = sorted({k.alg for k in queryset})
        if not confirmed(request):
            return self._confirm_rotation(request, algs, queryset, action="rotate_keys")
        self._rotate(request, algs)
        return None

    @admin.action(description=_("Retire the selected keys…"), permissions=["change"])
    def retire_keys(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        live = list(queryset.exclude(state=SigningKey.RETIRED))
        if not live:
            self.message_user(request, _t("The selected keys are already retired."), messages.WARNING)
            return None
        if not confirmed(request):
            consequences = [
                _t("A retired key signs nothing more; it stays in the key set until every token it signed has expired.")
            ]
            if any(k.state == SigningKey.ACTIVE for k in live):
                consequences.append(
                    _t(
                        "You are retiring an active key: the published next key takes over "
                        "(a rotation), and a new next key is published."
                    )
                )
            return confirm(
                self,
                request,
                title=_t("Retire signing keys?"),
                objects=live,
                action="retire_keys",
                question=_t("Retire these signing keys?"),
                consequences=consequences,
                submit=_t("Yes, retire"),
            )
        for key in live:
            keys.retire(key.kid)
            self.log_change(request, key, _t("Retired."))
        self.message_user(request, _t("Retired %(n)d key(s).") % {"n": len(live)}, messages.SUCCESS)
        return None
