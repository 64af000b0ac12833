"""APIs (audiences) with their permissions, and the machine-to-machine applications authorised on them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .. import apis, presets
from ..models import Api, Application, ClientGrant
from . import forms


class ClientGrantInline(admin.TabularInline):
    """Auth0's "Machine to Machine Applications" tab: which m2m app may get tokens, with which permissions."""

    model = ClientGrant
    form = forms.ClientGrantForm
    fields = ("application", "scopes")
    extra = 1  # one empty row, so a grant can be added without JavaScript
    verbose_name = _("machine-to-machine application")
    verbose_name_plural = _("Machine-to-machine applications (client grants)")

    def get_formset(self, request: HttpRequest, obj: Api | None = None, **kwargs: Any) -> Any:
        kwargs["form"] = forms.client_grant_form_for(obj)
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "application":
            kwargs["queryset"] = Application.objects.filter(app_type=presets.M2M).order_by("name")
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return field

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "application" and field is not None:
            # No "+" popup: a new application's secret is shown on a page of its own, not in a popup.
            for flag in ("can_add_related", "can_change_related", "can_delete_related", "can_view_related"):
                setattr(field.widget, flag, False)
        return field


@admin.register(Api)
class ApiAdmin(admin.ModelAdmin):
    """The identifier is fixed once created (tokens carry it as ``aud``); saved through apis.*."""

    form = forms.ApiForm
    list_display = ("name", "identifier", "permission_list", "signing_alg", "lifetime", "allow_offline_access")
    list_filter = ("signing_alg", "allow_offline_access")
    search_fields = ("name", "identifier")
    ordering = ("name",)
    inlines = [ClientGrantInline]

    class Media:
        css = {"all": ["authflows/admin/admin.css"]}

    def get_fieldsets(self, request: HttpRequest, obj: Api | None = None) -> list[Any]:
        return [
            (None, {"fields": ["name", "identifier"] + (["created"] if obj else [])}),
            (_("Permissions"), {"fields": ["permissions"]}),
            (_("Access tokens"), {"fields": ["token_lifetime", "signing_alg", "allow_offline_access"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Api | None = None) -> tuple[str, ...]:
        return ("identifier", "created") if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Api | None = None) -> list[Any]:
        return list(self.inlines) if obj is not None else []  # grants pick among saved permissions

    @admin.display(description=_("permissions"))
    def permissions(self, obj: Api) -> str:
        return (
            format_html_join(
                "\n", "<div><code>{}</code> {}</div>", ((p["value"], p.get("description", "")) for p in obj.scopes)
            )
            or "-"
        )

    @admin.display(description=_("permissions"))
    def permission_list(self, obj: Api) -> str:
        return ", ".join(obj.scope_values) or "-"

    @admin.display(description=_("token lifetime"))
    def lifetime(self, obj: Api) -> str:
        return f"{obj.token_lifetime} s" if obj.token_lifetime else str(_("default"))

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if change:
            return form.save(commit=False)
        data = form.cleaned_data
        return apis.create_api(
            name=data["name"],
            identifier=data["identifier"],
            scopes=[_line(p) for p in data["permissions"]],
            token_lifetime=data["token_lifetime"],
            signing_alg=data["signing_alg"],
            allow_offline_access=data["allow_offline_access"],
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:  # a new one was saved whole by apis.create_api (no many-to-many fields, no inlines)
            super().save_related(request, form, formsets, change)

    def save_model(self, request: HttpRequest, obj: Api, form: Any, change: bool) -> None:
        if not change:
            return  # saved by apis.create_api in save_form
        data = form.cleaned_data
        apis.update_api(
            obj,
            name=data["name"],
            scopes=[_line(p) for p in data["permissions"]],
            token_lifetime=data["token_lifetime"],
            signing_alg=data["signing_alg"],
            allow_offline_access=data["allow_offline_access"],
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Client grants go through apis.create_client_grant, against the API's permissions as just saved."""
        if formset.model is not ClientGrant:
            return super().save_formset(request, form, formset, change)
        api = form.instance
        grants = formset.save(commit=False)
        for grant in formset.deleted_objects:
            grant.delete()
        for grant in grants:
            if grant.pk:  # its application changed: the old row goes, create_client_grant makes the new one
                ClientGrant.objects.filter(pk=grant.pk).exclude(application_id=grant.application_id).delete()
            scopes = [s for s in grant.scopes if s in api.scope_values]
            apis.create_client_grant(grant.application, api, scopes)


def _line(permission: dict[str, str]) -> str:
    """A permission dict back to parse_scopes' ``value=description`` form."""
    return f"{permission['value']}={permission.get('description') or permission['value']}"
