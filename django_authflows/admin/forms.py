"""Admin forms: every value is checked by the rules of presets and apis, errors shown on the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from .. import apis, client_jwks, presets
from ..models import Api, Application, ClientGrant

#: What each type is for, in Auth0's words, on the first step of "Add application".
TYPE_HELP = {
    presets.REGULAR: _(
        "Traditional web app using redirects (Django, Rails, Express...). Confidential: "
        "it keeps a client secret on the server."
    ),
    presets.SPA: _(
        "A JavaScript front end that runs in the browser and calls an API (React, Vue, Angular). "
        "Public: Authorization Code with PKCE, no secret."
    ),
    presets.NATIVE: _(
        "Mobile, desktop, CLI and smart-device apps running natively. Public: PKCE, and the "
        "device flow for devices without a browser."
    ),
    presets.M2M: _(
        "CLIs, daemons or services on your back end that call an API with their own credentials (Client Credentials)."
    ),
}
URL_HELP = _("One URL per line, matched exactly. https, or http on 127.0.0.1, [::1] and localhost.")
NATIVE_URL_HELP = _(
    "One URL per line, matched exactly. https, http on loopback (any port matches), or a "
    "reverse-domain scheme such as com.example.app:/callback."
)


class LinesField(forms.CharField):
    """One value per line in a textarea; each line goes through a service-layer check, and every
    refused line is reported on the field."""

    def __init__(self, *, check: Callable[[str], str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", forms.Textarea(attrs={"rows": 3, "cols": 70, "class": "vLargeTextField", "spellcheck": "false"})
        )
        super().__init__(**kwargs)
        self.check = check

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, (list, tuple)) else value

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value) or ""
        out: list[str] = []
        errors: list[ValidationError] = []
        for line in text.split():  # stored space-separated, so no value can hold a space
            try:
                checked = self.check(line) if self.check else line
            except ValueError as exc:
                errors.append(ValidationError(str(exc)))
                continue
            if checked not in out:
                out.append(checked)
        if errors:
            raise ValidationError(errors)
        return out


class ApplicationTypeForm(forms.Form):
    """Step one of "Add application": a name and a type; everything else comes from the type's preset."""

    name = forms.CharField(
        label=_("Name"),
        max_length=255,
        widget=forms.TextInput(attrs={"class": "vTextField", "autofocus": True}),
        error_messages={"required": _("Give the application a name.")},
    )
    app_type = forms.ChoiceField(
        label=_("Application type"),
        choices=presets.APP_TYPE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the four types below.")},
    )

    def type_choices(self) -> list[dict[str, Any]]:
        chosen = self["app_type"].value()
        return [
            {"value": p.app_type, "label": p.label, "help": TYPE_HELP[p.app_type], "checked": chosen == p.app_type}
            for p in presets.PRESETS.values()
        ]


class ApplicationFormBase(forms.ModelForm):
    """Grants limited to what the type allows, and the URL lists, each checked like the CLI checks them."""

    app_type: str = presets.REGULAR
    grants = forms.MultipleChoiceField(
        label=_("Grant types"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one grant type.")},
    )
    callbacks = LinesField(label=_("Allowed Callback URLs"))
    origins = LinesField(
        label=_("Allowed Web Origins"),
        check=presets.validate_origin,
        help_text=_(
            "One origin per line (scheme://host[:port]): browsers on these origins may "
            "call /oauth/token, /oauth/revoke and /userinfo (CORS)."
        ),
    )
    logout_urls = LinesField(
        label=_("Allowed Logout URLs"), help_text=_("One URL per line: where /v2/logout may send the user back to.")
    )
    public_jwks = forms.CharField(
        label=_("Public keys (JWKS)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 70, "class": "vLargeTextField", "spellcheck": "false"}),
        help_text=_(
            'The application\'s PUBLIC keys as a JWK Set ({"keys": [...]}). Never paste a private key: '
            "the server never needs one."
        ),
    )
    key_set_uri = forms.URLField(
        label=_("JWKS URL"),
        required=False,
        max_length=2048,
        assume_scheme="https",
        help_text=_("Or where the application publishes its public keys (https)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        preset = presets.get_preset(self.app_type)
        if "name" in self.fields:
            self.fields["name"].required = True
        grants = cast(forms.MultipleChoiceField, self.fields["grants"])
        grants.choices = [(g, presets.GRANT_LABELS[g]) for g in preset.allowed_grants]
        self.fields["grants"].help_text = _("A %(type)s may use these grants.") % {"type": preset.label}
        self.fields["grants"].initial = list(preset.default_grants)
        url_help = NATIVE_URL_HELP if self.app_type == presets.NATIVE else URL_HELP
        for name, kind in (("callbacks", "Callback URL"), ("logout_urls", "Logout URL")):
            cast(LinesField, self.fields[name]).check = self._url_check(kind)
        self.fields["callbacks"].help_text = url_help
        if self.app_type == presets.M2M:  # no browser, so no callbacks, origins or logout URLs
            for name in ("callbacks", "origins", "logout_urls"):
                del self.fields[name]

    def _post_clean(self) -> None:
        """Model field validation only. The swapped Application inherits DOT's clean(), which enforces
        DOT's single-grant rules (RS256 needs OIDC_RSA_PRIVATE_KEY, DOT's own URI schemes) that are not
        ours: we sign with our own keys, and the service layer validated every value above."""
        opts = self._meta
        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)
        try:
            self.instance.clean_fields(exclude={f.name for f in opts.model._meta.fields} - set(self.fields))
        except ValidationError as exc:
            self._update_errors(exc)  # type: ignore[attr-defined]  # ModelForm's own _post_clean calls it

    def clean_public_jwks(self) -> Any:
        text = (self.cleaned_data.get("public_jwks") or "").strip()
        try:
            return client_jwks.parse_public_jwks(text) if text else None
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def clean_key_set_uri(self) -> str:
        url = (self.cleaned_data.get("key_set_uri") or "").strip()
        try:
            return client_jwks.validate_jwks_uri(url) if url else ""
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def _url_check(self, kind: str) -> Callable[[str], str]:
        return lambda url: presets.validate_url(url, kind=kind, app_type=self.app_type)

    def clean_grants(self) -> list[str]:
        try:
            grants = presets.normalise_grants(self.cleaned_data["grants"])
            presets.check_grants(self.app_type, grants)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        return grants

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # Django's clean() returns cleaned_data
        if "grants" in data and "callbacks" in data:
            try:
                presets.check_callbacks(data["grants"], data["callbacks"])
            except ValueError as exc:
                self.add_error("callbacks", str(exc))
        return data

    def fapi_errors(self, data: dict[str, Any], auth_method: str) -> None:
        """The FAPI 2.0 Security Profile rules (presets.fapi_problems) on what the form is about to save."""
        if not data.get("fapi") or "grants" not in data:
            return
        for problem in presets.fapi_problems(
            app_type=self.app_type,
            grants=data["grants"],
            auth_method=auth_method,
            jwks=data.get("public_jwks"),
            jwks_uri=data.get("key_set_uri") or "",
        ):
            self.add_error("fapi", _("FAPI 2.0: %(problem)s.") % {"problem": problem})


class ApplicationCreateForm(ApplicationFormBase):
    """Step two of "Add application"; the admin saves it through app_service.create_application.

    A machine-to-machine application is also asked, as on Auth0's dashboard, which API it may call and
    with which permissions (``cleaned_data["api"]`` and ``["api_scopes"]``: the client grant to create)."""

    api = forms.ModelChoiceField(
        label=_("Authorized API"),
        queryset=Api.objects.order_by("name"),
        required=False,
        empty_label=_("None for now"),
        help_text=_(
            "The API this application may get tokens for (client credentials). Without one, its "
            "token requests are refused until you authorize it on an API."
        ),
    )
    api_scopes = forms.MultipleChoiceField(
        label=_("Permissions"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The permissions (scopes) of the chosen API that its tokens may carry."),
    )

    class Meta:
        model = Application
        fields = ["name", "fapi"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.app_type != presets.M2M:
            del self.fields["api"], self.fields["api_scopes"]
            return
        cast(forms.MultipleChoiceField, self.fields["api_scopes"]).choices = [
            (
                api.name,
                [
                    (
                        f"{api.pk} {p['value']}",
                        p["value"]
                        if p.get("description") in (None, "", p["value"])
                        else f"{p['value']} ({p['description']})",
                    )
                    for p in api.scopes
                ],
            )
            for api in Api.objects.order_by("name")
            if api.scopes
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        confidential = presets.get_preset(self.app_type).confidential
        self.fapi_errors(data, presets.PRIVATE_KEY_JWT if confidential else presets.AUTH_NONE)
        if self.app_type != presets.M2M:
            return data
        api, picked = data.get("api"), [v.split(" ", 1) for v in data.get("api_scopes") or []]
        if picked and api is None:
            self.add_error("api", _("Choose the API whose permissions you ticked."))
        elif api is not None and any(pk != str(api.pk) for pk, _scope in picked):
            self.add_error("api_scopes", _("Tick only permissions of the chosen API (%(api)s).") % {"api": api.name})
        else:
            data["api_scopes"] = [scope for _pk, scope in picked]
        return data


class ApplicationChangeForm(ApplicationFormBase):
    """The settings of an existing application; saved through app_service.update_application. The client
    secret is not a field: it is stored hashed and only "Rotate secret" changes it."""

    auth_method = forms.ChoiceField(
        label=_("Token endpoint authentication"),
        required=False,
        choices=[("", _("The type's default")), *presets.AUTH_METHOD_CHOICES],
    )

    class Meta:
        model = Application
        fields = [
            "name",
            "first_party",
            "can_introspect",
            "require_dpop",
            "backchannel_logout_uri",
            "backchannel_logout_session_required",
            "refresh_tokens_end_with_session",
            "require_pushed_authorization_requests",
            "fapi",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        instance = kwargs.get("instance")
        if instance is not None:
            self.app_type = instance.app_type
        super().__init__(*args, **kwargs)
        if "backchannel_logout_uri" in self.fields:
            self.fields["backchannel_logout_uri"].help_text = _(
                "OIDC Back-Channel Logout: logout tokens are POSTed here when a session the application took "
                "part in ends (https, or http on 127.0.0.1, [::1] and localhost)."
            )
        if self.app_type == presets.M2M:  # no user session to end
            for name in (
                "backchannel_logout_uri",
                "backchannel_logout_session_required",
                "refresh_tokens_end_with_session",
            ):
                self.fields.pop(name, None)
        if instance is not None:
            current = {
                "grants": list(instance.grant_types),
                "callbacks": instance.redirect_uri_list,
                "origins": instance.origin_list,
                "logout_urls": instance.logout_url_list,
                "auth_method": instance.auth_method,
                "key_set_uri": instance.jwks_uri,
                "public_jwks": json.dumps(instance.jwks, indent=2) if instance.jwks else "",
            }
            for name, value in current.items():
                if name in self.fields:
                    self.fields[name].initial = value

    def clean_backchannel_logout_uri(self) -> str:
        value = (self.cleaned_data.get("backchannel_logout_uri") or "").strip()
        try:
            return presets.validate_backchannel_uri(value) if value else ""
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "auth_method" in data and "public_jwks" in data and "key_set_uri" in data:
            try:
                data["auth_method"] = presets.check_auth_method(
                    self.app_type, data["auth_method"] or getattr(self.instance, "auth_method", "")
                )
                if data["public_jwks"] and data["key_set_uri"]:
                    raise ValueError("Register the public keys inline or by URL, not both.")
                if data["auth_method"] == presets.PRIVATE_KEY_JWT and not (data["public_jwks"] or data["key_set_uri"]):
                    raise ValueError("Private key JWT needs the application's public keys or a JWKS URL.")
            except ValueError as exc:
                self.add_error("auth_method", str(exc))
            else:
                self.fapi_errors(data, data["auth_method"])
        return data


def create_form_for(app_type: str) -> type[ApplicationCreateForm]:
    return type("ApplicationCreateForm", (ApplicationCreateForm,), {"app_type": app_type})


class PermissionsField(LinesField):
    """An API's permissions, one per line as ``value = description``, parsed by apis.parse_scopes."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(
                p["value"] if p.get("description") in (None, "", p["value"]) else f"{p['value']} = {p['description']}"
                for p in value
            )
        return value

    def clean(self, value: Any) -> list[dict[str, str]]:  # type: ignore[override]
        text = forms.CharField.clean(self, value) or ""
        try:
            return apis.parse_scopes(text.splitlines())
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class ApiForm(forms.ModelForm):
    """An API; the admin saves it through apis.create_api or apis.update_api."""

    permissions = PermissionsField(
        label=_("Permissions"),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 70, "class": "vLargeTextField", "spellcheck": "false"}),
        help_text=_(
            "One per line: <code>value = description</code>, for example "
            "<code>read:messages = Read your messages</code>. Values have no spaces or quotes."
        ),
    )

    class Meta:
        model = Api
        fields = ["identifier", "name", "token_lifetime", "signing_alg", "allow_offline_access"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["permissions"].initial = list(self.instance.scopes)

    def clean_identifier(self) -> str:
        try:
            return apis.check_identifier(self.cleaned_data["identifier"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def clean_token_lifetime(self) -> int | None:
        value = self.cleaned_data.get("token_lifetime")
        if value is not None and value <= 0:
            raise ValidationError(_("A positive number of seconds, or empty for the default."))
        return value


class ClientGrantForm(forms.ModelForm):
    """One machine-to-machine application authorised on the API, with some of its permissions."""

    api: Api | None = None
    scopes = forms.MultipleChoiceField(label=_("Permissions"), required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ClientGrant
        fields = ["application", "scopes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        permissions = self.api.scopes if self.api is not None else []
        cast(forms.MultipleChoiceField, self.fields["scopes"]).choices = [
            (
                p["value"],
                p["value"] if p.get("description") in (None, "", p["value"]) else f"{p['value']} ({p['description']})",
            )
            for p in permissions
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # Django's clean() returns cleaned_data
        app = data.get("application")
        if app is not None and self.api is not None and not self.cleaned_data.get("DELETE"):
            try:
                apis.check_client_grant(app, self.api, data.get("scopes") or [])
            except ValueError as exc:
                self.add_error(None, str(exc))
        return data


def client_grant_form_for(api: Api | None) -> type[ClientGrantForm]:
    return type("ClientGrantForm", (ClientGrantForm,), {"api": api})
