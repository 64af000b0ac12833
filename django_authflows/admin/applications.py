"""Applications, as on Auth0's dashboard: created from a type, secret shown once, a quickstart per type."""

from __future__ import annotations

from typing import Any

import oauth2_provider.admin  # noqa: F401  (DOT registers first, whatever the INSTALLED_APPS order)
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _t, gettext_lazy as _

from .. import apis as api_service, applications as app_service, presets
from ..models import Application
from . import forms
from .confirm import confirm, confirmed
from .quickstart import quickstart

#: The session key holding a plaintext secret until the one page that shows it pops it.
SECRET_SESSION_KEY = "authflows_admin_secret_%s"


class GrantTypeFilter(admin.SimpleListFilter):
    """Applications holding one grant. ``grant_types`` is a JSON list and ``__contains`` means jsonb
    containment on PostgreSQL but is unsupported on SQLite, so the ids are picked in Python."""

    title = _("grant type")
    parameter_name = "grant"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [(g, presets.GRANT_LABELS[g]) for g in presets.GRANT_TYPES]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        value = self.value()
        if not value:
            return queryset
        ids = [pk for pk, grants in queryset.values_list("pk", "grant_types") if value in (grants or [])]
        return queryset.filter(pk__in=ids)


if admin.site.is_registered(Application):  # DOT's ApplicationAdmin, registered before us
    admin.site.unregister(Application)


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Add asks for a name and a type first; the change page never shows the (hashed) secret."""

    list_display = ("name", "client_id", "app_type", "grants")
    list_filter = ("app_type", GrantTypeFilter)
    search_fields = ("name", "client_id")
    ordering = ("name",)
    view_on_site = False  # DOT's get_absolute_url names a URL this app does not mount
    form = forms.ApplicationChangeForm
    change_form_template = "admin/authflows/application/change_form.html"
    choose_type_template = "admin/authflows/application/choose_type.html"
    secret_template = "admin/authflows/application/secret.html"

    class Media:
        css = {"all": ["authflows/admin/admin.css"]}
        js = ["authflows/admin/copy.js"]

    # -- pages -----------------------------------------------------------------------------------
    def get_urls(self) -> list[Any]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/rotate-secret/", wrap(self.rotate_secret_view), name=f"{info}_rotate_secret"),
            path("<path:object_id>/secret/", wrap(self.secret_view), name=f"{info}_secret"),
            *super().get_urls(),
        ]

    def _url(self, name: str, app: Application) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=[quote(app.pk)],
            current_app=self.admin_site.name,
        )

    def _app_type(self, request: HttpRequest, obj: Application | None) -> str:
        return obj.app_type if obj is not None else request.GET.get("app_type", presets.REGULAR)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.GET.get("app_type") not in presets.PRESETS:
            return self.choose_type_view(request)
        preset = presets.get_preset(request.GET["app_type"])
        extra = {
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
            "preset": preset,
            "title": _t("Add %(type)s") % {"type": preset.label},
            **(extra_context or {}),
        }
        return super().add_view(request, form_url, extra)

    def choose_type_view(self, request: HttpRequest) -> HttpResponse:
        """Step one: a name and a type (a GET form, so step two's URL carries the type)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        submitted = "app_type" in request.GET or "step" in request.GET  # an empty step one says what is missing
        form = forms.ApplicationTypeForm(
            request.GET if submitted else None, initial={"name": request.GET.get("name", "")}
        )
        form.is_valid()
        return TemplateResponse(
            request,
            self.choose_type_template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "form": form,
                "media": self.media,
                "title": _t("Add application"),
                "has_view_permission": self.has_view_permission(request),
                "changelist_filters": request.GET.get("_changelist_filters", ""),
            },
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        app = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if app is not None and self.has_view_or_change_permission(request, app):
            extra["quickstart"] = quickstart(app, request)
            if app.preset.confidential and self.has_change_permission(request, app):
                extra["rotate_secret_url"] = self._url("rotate_secret", app)
        return super().change_view(request, object_id, form_url, extra)

    def rotate_secret_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Confirm, rotate with app_service.rotate_secret, then show the new secret once."""
        app = self._object_or_404(request, object_id)
        if not self.has_change_permission(request, app):
            raise PermissionDenied
        if not app.preset.confidential:
            self.message_user(request, _t("Public applications have no client secret."), messages.ERROR)
            return HttpResponseRedirect(self._url("change", app))
        if not confirmed(request):
            return confirm(
                self,
                request,
                title=_t("Rotate the client secret?"),
                objects=[app],
                question=_t("A new client secret will be generated for “%(app)s” and shown once.") % {"app": app},
                consequences=[
                    _t(
                        "The current secret stops working at once: every server that uses it must be given the new one."
                    ),
                    _t("Tokens already issued stay valid until they expire."),
                ],
                submit=_t("Yes, rotate the secret"),
                cancel_url=self._url("change", app),
            )
        secret = app_service.rotate_secret(app)
        self.log_change(request, app, _t("Rotated the client secret."))
        request.session[SECRET_SESSION_KEY % app.pk] = secret
        return HttpResponseRedirect(self._url("secret", app))

    def secret_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The one page that shows a plaintext secret: it takes it out of the session as it renders (so only
        the person who created or rotated it sees it, once)."""
        app = self._object_or_404(request, object_id)
        if not (self.has_change_permission(request, app) or self.has_add_permission(request)):
            raise PermissionDenied
        secret = request.session.pop(SECRET_SESSION_KEY % app.pk, None)
        return TemplateResponse(
            request,
            self.secret_template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": app,
                "secret": secret,
                "title": _t("Client secret of %(app)s") % {"app": app},
                "media": self.media,
                "change_url": (
                    self._url("change", app)
                    if self.has_view_or_change_permission(request, app)
                    else reverse("admin:index", current_app=self.admin_site.name)
                ),
                "rotate_secret_url": (
                    self._url("rotate_secret", app)
                    if app.preset.confidential and self.has_change_permission(request, app)
                    else None
                ),
                "has_view_permission": True,
            },
        )

    def _object_or_404(self, request: HttpRequest, object_id: str) -> Application:
        app = self.get_object(request, unquote(object_id))
        if app is None:
            raise Http404(_t("No application with this id."))
        return app

    # -- forms -----------------------------------------------------------------------------------
    def get_form(
        self, request: HttpRequest, obj: Application | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = (
            forms.ApplicationChangeForm if obj is not None else forms.create_form_for(self._app_type(request, obj))
        )
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Application | None = None) -> list[Any]:
        app_type = self._app_type(request, obj)
        main = ["name"] if obj is None else ["name", "client_id_display", "app_type", "client_secret_display"]
        fieldsets: list[Any] = [(None, {"fields": main})]
        if app_type != presets.M2M:
            fieldsets.append((_("Application URIs"), {"fields": ["callbacks", "origins", "logout_urls"]}))
        elif obj is None:  # as Auth0's dashboard: which API it may call, at once (else its first token fails)
            fieldsets.append((_("API access"), {"fields": ["api", "api_scopes"]}))
        fieldsets.append((_("Grant types"), {"fields": ["grants"]}))
        if obj is None:  # FAPI 2.0 mode at once: a confidential application then needs its public keys
            keys = ["public_jwks", "key_set_uri"] if presets.get_preset(app_type).confidential else []
            fieldsets.append((_("FAPI 2.0 Security Profile"), {"fields": ["fapi", *keys]}))
        if obj is not None:
            # No user ever logs in to a machine-to-machine application: no consent page to skip.
            advanced = ["can_introspect"] if app_type == presets.M2M else ["first_party", "can_introspect"]
            if app_type != presets.M2M:
                fieldsets.append(
                    (
                        _("Back-Channel Logout"),
                        {
                            "fields": [
                                "backchannel_logout_uri",
                                "backchannel_logout_session_required",
                                "refresh_tokens_end_with_session",
                            ]
                        },
                    )
                )
            fieldsets.append(
                (
                    _("Credentials and keys"),
                    {
                        "fields": [
                            "auth_method",
                            "public_jwks",
                            "key_set_uri",
                            "require_pushed_authorization_requests",
                            "fapi",
                        ]
                    },
                )
            )
            fieldsets.append((_("Advanced"), {"fields": [*advanced, "require_dpop", "created", "updated"]}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Application | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("client_id_display", "app_type", "client_secret_display", "created", "updated")

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if change:
            return form.save(commit=False)
        data = form.cleaned_data
        app, secret = app_service.create_application(
            form.app_type,
            name=data["name"],
            grants=data["grants"],
            callbacks=data.get("callbacks", []),
            origins=data.get("origins", []),
            logout_urls=data.get("logout_urls", []),
            fapi=bool(data.get("fapi")),
            jwks=data.get("public_jwks"),
            jwks_uri=data.get("key_set_uri") or "",
            auth_method=presets.PRIVATE_KEY_JWT if data.get("public_jwks") or data.get("key_set_uri") else None,
        )
        if data.get("api") is not None:
            api_service.create_client_grant(app, data["api"], data.get("api_scopes") or [])
        if secret:
            request.session[SECRET_SESSION_KEY % app.pk] = secret
        return app

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:  # a new one was saved whole by app_service.create_application (no many-to-many fields, no inlines)
            super().save_related(request, form, formsets, change)

    def save_model(self, request: HttpRequest, obj: Application, form: Any, change: bool) -> None:
        if not change:
            return  # saved by app_service.create_application in save_form
        data = form.cleaned_data
        app_service.update_application(
            obj,
            name=data["name"],
            grants=data["grants"],
            callbacks=data.get("callbacks", obj.redirect_uri_list),
            origins=data.get("origins", obj.origin_list),
            logout_urls=data.get("logout_urls", obj.logout_url_list),
            first_party=data.get("first_party", obj.first_party),
            can_introspect=data["can_introspect"],
            require_dpop=data.get("require_dpop", obj.require_dpop),
            backchannel_logout_uri=data.get("backchannel_logout_uri"),
            backchannel_logout_session_required=data.get("backchannel_logout_session_required"),
            refresh_tokens_end_with_session=data.get("refresh_tokens_end_with_session"),
            auth_method=data["auth_method"],
            jwks=data.get("public_jwks") or {},
            jwks_uri=data.get("key_set_uri", ""),
            require_par=data.get("require_pushed_authorization_requests", False),
            fapi=data.get("fapi", obj.fapi),
        )

    def response_add(
        self, request: HttpRequest, obj: Application, post_url_continue: str | None = None
    ) -> HttpResponse:
        if IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, format_html(_t("The application “{}” was created."), obj), messages.SUCCESS)
        if SECRET_SESSION_KEY % obj.pk in request.session:
            return HttpResponseRedirect(self._url("secret", obj))
        if not self.has_view_or_change_permission(request, obj):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.admin_site.name))
        return HttpResponseRedirect(self._url("change", obj))

    # -- columns and read-only values ------------------------------------------------------------
    @admin.display(description=_("grant types"))
    def grants(self, obj: Application) -> str:
        return ", ".join(str(presets.GRANT_LABELS.get(g, g)) for g in obj.grant_types) or "-"

    @admin.display(description=_("Allowed Callback URLs"))
    def callbacks(self, obj: Application) -> str:
        return format_html_join("\n", "<div>{}</div>", ((u,) for u in obj.redirect_uri_list)) or "-"

    @admin.display(description=_("Allowed Web Origins"))
    def origins(self, obj: Application) -> str:
        return format_html_join("\n", "<div>{}</div>", ((u,) for u in obj.origin_list)) or "-"

    @admin.display(description=_("Allowed Logout URLs"))
    def logout_urls(self, obj: Application) -> str:
        return format_html_join("\n", "<div>{}</div>", ((u,) for u in obj.logout_url_list)) or "-"

    @admin.display(description=_("client ID"))
    def client_id_display(self, obj: Application) -> str:
        return format_html(
            '<code class="authflows-value" id="client-id">{}</code> '
            '<button type="button" class="button authflows-copy" data-copy="#client-id" hidden>{}</button>',
            obj.client_id,
            _t("Copy"),
        )

    @admin.display(description=_("client secret"))
    def client_secret_display(self, obj: Application) -> str:
        if not obj.preset.confidential:
            return _t("None: a public client (PKCE) has no secret.")
        return _t(
            "Stored hashed: shown only once, when the application is created or the secret rotated "
            "(“Rotate secret” above)."
        )
