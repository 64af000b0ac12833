"""Applications in the admin: type first, presets, URL validation on the field, the secret shown once."""
from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry

from django_authflows import hashing, presets
from django_authflows.models import Application

LIST = "/admin/authflows/application/"
ADD = LIST + "add/"


def change_url(app):
    return f"{LIST}{app.pk}/change/"


def form_errors(response):
    return response.context["adminform"].form.errors


@pytest.fixture
def apps(make_client):
    return {
        "spa": make_client("spa", name="Shop front"),
        "m2m": make_client("m2m", name="Nightly export"),
        "device": make_client("native", name="TV app", grants=["device_code", "refresh_token"]),
        "regular": make_client("regular", name="Back office"),
    }


# -- the list ------------------------------------------------------------------------------------
def test_list_shows_name_client_id_type_and_grants(admin_client, apps):
    response = admin_client.get(LIST)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    for app in apps.values():
        assert app.client_id in page and app.name in page
    assert "Machine to Machine Application" in page and "Client Credentials" in page
    assert hashing.PREFIX not in page


@pytest.mark.parametrize("query, expected", [
    ("grant=client_credentials", {"m2m"}),
    (f"grant={presets.DEVICE_CODE}", {"device"}),
    ("grant=refresh_token", {"spa", "device", "regular"}),
    ("app_type=spa", {"spa"}),
    ("q=export", {"m2m"}),
])
def test_filters_and_search(admin_client, apps, query, expected):
    response = admin_client.get(f"{LIST}?{query}")
    assert response.status_code == HTTPStatus.OK
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert shown == {apps[k].pk for k in expected}


def test_search_by_client_id(admin_client, apps):
    response = admin_client.get(LIST, {"q": apps["spa"].client_id})
    assert [a.pk for a in response.context["cl"].result_list] == [apps["spa"].pk]


# -- add: the type first, then the preset's form -------------------------------------------------
def test_add_asks_for_a_name_and_a_type_first(admin_client):
    response = admin_client.get(ADD)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert 'method="get"' in page and 'name="name"' in page
    for app_type in presets.PRESETS:
        assert f'name="app_type" value="{app_type}"' in page
    assert 'name="grants"' not in page


def test_step_one_errors_are_shown(admin_client):
    response = admin_client.get(ADD, {"name": "", "app_type": "mainframe"})
    assert response.status_code == HTTPStatus.OK
    assert set(response.context["form"].errors) == {"name", "app_type"}
    assert 'class="errornote"' in response.content.decode()


@pytest.mark.parametrize("app_type", list(presets.PRESETS))
def test_step_two_offers_only_the_grants_the_type_allows(admin_client, app_type):
    response = admin_client.get(ADD, {"app_type": app_type, "name": "My app"})
    assert response.status_code == HTTPStatus.OK
    form = response.context["adminform"].form
    preset = presets.get_preset(app_type)
    assert [value for value, _ in form.fields["grants"].choices] == list(preset.allowed_grants)
    assert form.fields["grants"].initial == list(preset.default_grants)
    assert form.initial["name"] == "My app"
    assert ("callbacks" in form.fields) is (app_type != presets.M2M)
    assert 'name="client_secret"' not in response.content.decode()


def test_create_spa_from_its_preset(admin_client):
    response = admin_client.post(f"{ADD}?app_type=spa", {
        "name": "Shop", "grants": ["authorization_code", "refresh_token"],
        "callbacks": "http://127.0.0.1:9/cb\nhttps://shop.example.test/callback",
        "origins": "https://shop.example.test/", "logout_urls": "https://shop.example.test/"})
    app = Application.objects.get(name="Shop")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == change_url(app)
    assert (app.app_type, app.client_type, app.client_secret) == ("spa", "public", "")
    assert app.grant_types == ["authorization_code", "refresh_token"]
    assert app.redirect_uri_list == ["http://127.0.0.1:9/cb", "https://shop.example.test/callback"]
    assert app.origin_list == ["https://shop.example.test"]
    assert LogEntry.objects.filter(object_id=str(app.pk), action_flag=ADDITION).exists()


def test_regular_app_secret_is_shown_once(admin_client):
    response = admin_client.post(f"{ADD}?app_type=regular", {
        "name": "Back office", "grants": ["authorization_code", "refresh_token"],
        "callbacks": "https://office.example.test/callback"})
    app = Application.objects.get(name="Back office")
    secret_url = f"{LIST}{app.pk}/secret/"
    assert response["Location"] == secret_url

    first = admin_client.get(secret_url)
    assert first.status_code == HTTPStatus.OK
    secret = first.context["secret"]
    assert secret and f'id="client-secret">{secret}<' in first.content.decode()
    assert hashing.verify_client_secret(secret, app.client_secret) == (True, False)
    assert "no-store" in first["Cache-Control"]

    again = admin_client.get(secret_url)
    assert again.context["secret"] is None and secret not in again.content.decode()
    change = admin_client.get(change_url(app)).content.decode()
    assert secret not in change and app.client_secret not in change and hashing.PREFIX not in change


def test_m2m_app_gets_a_secret_and_no_urls(admin_client):
    response = admin_client.post(f"{ADD}?app_type=m2m", {"name": "Export", "grants": ["client_credentials"]})
    app = Application.objects.get(name="Export")
    assert response["Location"].endswith("/secret/")
    assert app.grant_types == ["client_credentials"] and app.redirect_uris == ""


@pytest.mark.parametrize("data, field, message", [
    ({"callbacks": "http://shop.example.test/cb"}, "callbacks", "must use https"),
    ({"callbacks": "https://shop.example.test/*"}, "callbacks", "without wildcards"),
    ({"callbacks": "https://shop.example.test/cb#x"}, "callbacks", "must not contain a fragment"),
    ({"callbacks": ""}, "callbacks", "need at least one callback URL"),
    ({"origins": "https://shop.example.test/app"}, "origins", "without a path"),
    ({"logout_urls": "javascript:alert(1)"}, "logout_urls", "must use https"),
    ({"grants": ["client_credentials"]}, "grants", "Select a valid choice"),
    ({"grants": []}, "grants", "Choose at least one grant type"),
    ({"name": ""}, "name", "This field is required"),
])
def test_create_errors_are_shown_on_the_field(admin_client, data, field, message):
    post = {"name": "Shop", "grants": ["authorization_code"], "callbacks": "https://shop.example.test/cb", **data}
    response = admin_client.post(f"{ADD}?app_type=spa", post)
    assert response.status_code == HTTPStatus.OK
    errors = form_errors(response)
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert not Application.objects.filter(name="Shop").exists()


def test_native_may_use_a_reverse_domain_scheme(admin_client):
    response = admin_client.post(f"{ADD}?app_type=native", {
        "name": "Phone", "grants": ["authorization_code"], "callbacks": "com.example.phone:/callback"})
    assert response.status_code == HTTPStatus.FOUND
    assert Application.objects.get(name="Phone").redirect_uri_list == ["com.example.phone:/callback"]


# -- change --------------------------------------------------------------------------------------
def test_change_updates_through_the_service_layer(admin_client, apps, log_messages):
    app = apps["spa"]
    response = admin_client.post(change_url(app), {
        "name": "Shop front 2", "grants": ["authorization_code", "implicit"],
        "callbacks": "https://a.example.test/cb\n\nhttps://b.example.test/cb", "origins": "",
        "logout_urls": "", "first_party": "on"})
    assert response.status_code == HTTPStatus.FOUND, form_errors(response)
    app.refresh_from_db()
    assert app.name == "Shop front 2" and app.grant_types == ["authorization_code", "implicit"]
    assert app.redirect_uri_list == ["https://a.example.test/cb", "https://b.example.test/cb"]
    assert not app.can_introspect
    entry = LogEntry.objects.get(object_id=str(app.pk), action_flag=CHANGE)
    assert "Allowed Callback URLs" in entry.get_change_message()


def test_change_errors_are_shown_on_the_field(admin_client, apps):
    app = apps["device"]
    response = admin_client.post(change_url(app), {
        "name": "TV", "grants": [presets.DEVICE_CODE, "authorization_code"], "callbacks": "",
        "origins": "ftp://tv.example.test", "logout_urls": ""})
    assert response.status_code == HTTPStatus.OK
    assert set(form_errors(response)) == {"callbacks", "origins"}
    app.refresh_from_db()
    assert app.name == "TV app"


def test_change_page_shows_client_id_with_copy_button_and_no_secret(admin_client, apps):
    app = apps["regular"]
    page = admin_client.get(change_url(app)).content.decode()
    assert f'<code class="authflows-value" id="client-id">{app.client_id}</code>' in page
    assert 'data-copy="#client-id" hidden' in page and "authflows/admin/copy.js" in page
    assert 'name="client_secret"' not in page and app.client_secret not in page
    assert "Rotate secret" in page


@pytest.mark.parametrize("key, expected", [
    ("m2m", ["grant_type=client_credentials", "--url http://testserver/oauth/token", "YOUR_CLIENT_SECRET",
             "None yet: its token requests are refused", 'href="/admin/authflows/api/" id="open-an-api">Open an API</a>']),
    ("spa", ["http://testserver/authorize?response_type=code", "code_challenge_method=S256", "code_verifier"]),
    ("device", ["http://testserver/oauth/device/code"]),
    ("regular", ["authlib.integrations.django_client", "http://testserver/.well-known/openid-configuration"]),
])
def test_quickstart_per_type(admin_client, apps, key, expected):
    response = admin_client.get(change_url(apps[key]))
    quickstart = response.context["quickstart"]
    assert quickstart["issuer"] == "http://testserver/" and quickstart["client_id"] == apps[key].client_id
    page = response.content.decode()
    assert "Quickstart" in page
    for text in expected:
        assert text.replace('"', "&quot;") in page or text in page, text


# -- rotate secret -------------------------------------------------------------------------------
def test_rotate_secret_asks_then_shows_the_new_secret_once(admin_client, apps, log_messages):
    app = apps["m2m"]
    old_secret, old_hash = app.secret, app.client_secret
    url = f"{LIST}{app.pk}/rotate-secret/"
    confirm = admin_client.get(url)
    assert confirm.status_code == HTTPStatus.OK and b"Yes, rotate the secret" in confirm.content
    app.refresh_from_db()
    assert app.client_secret == old_hash

    response = admin_client.post(url, {"post": "yes"})
    assert response["Location"] == f"{LIST}{app.pk}/secret/"
    secret = admin_client.get(response["Location"]).context["secret"]
    app.refresh_from_db()
    assert hashing.verify_client_secret(secret, app.client_secret)[0]
    assert not hashing.verify_client_secret(old_secret, app.client_secret)[0]
    assert admin_client.get(response["Location"]).context["secret"] is None
    assert log_messages(app) == ["Rotated the client secret."]


def test_public_apps_have_no_secret_to_rotate(admin_client, apps):
    app = apps["spa"]
    response = admin_client.post(f"{LIST}{app.pk}/rotate-secret/", {"post": "yes"}, follow=True)
    assert b"Public applications have no client secret." in response.content
    assert "Rotate secret" not in admin_client.get(change_url(app)).content.decode()


def test_a_secret_left_in_one_session_is_not_shown_in_another(admin_client, client, django_user_model, apps):
    app = apps["m2m"]
    admin_client.post(f"{LIST}{app.pk}/rotate-secret/", {"post": "yes"})
    other = django_user_model.objects.create_superuser("root2", "r@example.test", "pw-unused-123")
    client.force_login(other)
    assert client.get(f"{LIST}{app.pk}/secret/").context["secret"] is None


# -- permissions ---------------------------------------------------------------------------------
def test_staff_without_permissions_gets_403(staff_client, apps):
    staff = staff_client()
    app = apps["m2m"]
    for url in (LIST, ADD, f"{ADD}?app_type=spa", change_url(app), f"{LIST}{app.pk}/rotate-secret/",
                f"{LIST}{app.pk}/secret/", f"{LIST}{app.pk}/delete/"):
        assert staff.get(url).status_code == HTTPStatus.FORBIDDEN, url
    assert staff.post(f"{LIST}{app.pk}/rotate-secret/", {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN


def test_view_permission_shows_read_only_pages(staff_client, apps):
    staff = staff_client("view_application")
    app = apps["spa"]
    response = staff.get(change_url(app))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert 'name="callbacks"' not in page and app.redirect_uri_list[0] in page
    assert "Rotate secret" not in page
    assert staff.post(change_url(app), {"name": "x"}).status_code == HTTPStatus.FORBIDDEN
    assert staff.get(ADD).status_code == HTTPStatus.FORBIDDEN
    m2m = apps["m2m"]
    assert staff.post(f"{LIST}{m2m.pk}/rotate-secret/", {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN


def test_add_permission_alone_creates_and_sees_the_secret_once(staff_client):
    staff = staff_client("add_application")
    response = staff.post(f"{ADD}?app_type=m2m", {"name": "Cron", "grants": ["client_credentials"]})
    app = Application.objects.get(name="Cron")
    assert response["Location"] == f"{LIST}{app.pk}/secret/"
    secret = staff.get(response["Location"]).context["secret"]
    assert hashing.verify_client_secret(secret, app.client_secret)[0]
    assert staff.get(change_url(app)).status_code == HTTPStatus.FORBIDDEN
    assert staff.post(f"{LIST}{app.pk}/rotate-secret/", {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    public = staff.post(f"{ADD}?app_type=spa", {"name": "Pub", "grants": ["authorization_code"],
                                                "callbacks": "https://pub.example.test/cb"})
    assert public["Location"] == "/admin/"


def test_delete_asks_for_confirmation_and_logs(admin_client, apps):
    app = apps["regular"]
    assert b"Are you sure" in admin_client.get(f"{LIST}{app.pk}/delete/").content
    admin_client.post(f"{LIST}{app.pk}/delete/", {"post": "yes"})
    assert not Application.objects.filter(pk=app.pk).exists()
    assert LogEntry.objects.filter(object_id=str(app.pk), object_repr="Back office").exists()


def test_deleting_an_application_takes_its_tokens_and_consents(admin_client, spa_session):
    app, _ = spa_session()
    page = admin_client.get(f"{LIST}{app.pk}/delete/")
    assert page.status_code == HTTPStatus.OK and not page.context["perms_lacking"]
    admin_client.post(f"{LIST}{app.pk}/delete/", {"post": "yes"})
    assert not Application.objects.filter(pk=app.pk).exists()


def test_choose_another_type_keeps_the_name(admin_client):
    step_two = admin_client.get(ADD, {"app_type": "spa", "name": "Shop & co"}).content.decode()
    assert 'href="?name=Shop%20%26%20co"' in step_two
    step_one = admin_client.get(ADD, {"name": "Shop & co"})
    assert 'value="Shop &amp; co"' in step_one.content.decode() and not step_one.context["form"].errors


def test_change_registers_public_keys_and_refuses_a_private_one(admin_client, apps):
    import json

    from jwcrypto import jwk

    app = apps["regular"]
    key = jwk.JWK.generate(kty="EC", crv="P-256", kid="k1")
    base = {"name": app.name, "grants": ["authorization_code"], "callbacks": app.redirect_uri_list[0],
            "origins": "", "logout_urls": "", "first_party": "on", "auth_method": "private_key_jwt"}
    private = admin_client.post(change_url(app), {**base, "public_jwks": key.export_private()})
    assert private.status_code == HTTPStatus.OK and "public_jwks" in form_errors(private)
    assert "PUBLIC key only" in private.content.decode()
    no_keys = admin_client.post(change_url(app), base)
    assert no_keys.status_code == HTTPStatus.OK and "auth_method" in form_errors(no_keys)
    saved = admin_client.post(change_url(app), {**base, "public_jwks": key.export_public(),
                                                "require_pushed_authorization_requests": "on"})
    assert saved.status_code == HTTPStatus.FOUND, form_errors(saved)
    app.refresh_from_db()
    assert app.auth_method == "private_key_jwt" and app.client_secret == ""
    assert app.jwks == {"keys": [json.loads(key.export_public())]} and app.require_pushed_authorization_requests
