"""APIs in the admin: permissions as lines, a fixed identifier, client grants for m2m applications."""
from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry

from django_authflows.models import Api, ClientGrant

LIST = "/admin/authflows/api/"
ADD = LIST + "add/"


def change_url(api):
    return f"{LIST}{api.pk}/change/"


def api_post(api, grants=(), **overrides):
    """The change form as a browser posts it, with the client-grant inline rows given."""
    data = {
        "name": api.name,
        "permissions": "\n".join(f"{p['value']} = {p['description']}" for p in api.scopes),
        "token_lifetime": api.token_lifetime or "", "signing_alg": api.signing_alg,
        "allow_offline_access": "on" if api.allow_offline_access else "",
        "client_grants-TOTAL_FORMS": str(len(grants)), "client_grants-INITIAL_FORMS": str(
            sum(1 for g in grants if g.get("id"))),
        "client_grants-MIN_NUM_FORMS": "0", "client_grants-MAX_NUM_FORMS": "1000",
    }
    for i, grant in enumerate(grants):
        data[f"client_grants-{i}-api"] = str(api.pk)
        data[f"client_grants-{i}-id"] = str(grant.get("id", ""))
        data[f"client_grants-{i}-application"] = str(grant["application"].pk)
        data[f"client_grants-{i}-scopes"] = grant.get("scopes", [])
        if grant.get("delete"):
            data[f"client_grants-{i}-DELETE"] = "on"
    data.update(overrides)
    return data


@pytest.fixture
def api(make_api):
    return make_api(scopes=["read:messages=Read your messages", "write:messages=Write messages"])


def test_list(admin_client, api):
    response = admin_client.get(LIST, {"q": "example"})
    assert response.status_code == HTTPStatus.OK
    assert list(response.context["cl"].result_list) == [api]
    assert b"read:messages, write:messages" in response.content


def test_create_an_api_with_permissions_as_lines(admin_client):
    response = admin_client.post(ADD, {
        "name": "Orders", "identifier": "https://orders.example.test/",
        "permissions": "read:orders = Read orders\n\nwrite:orders\n", "token_lifetime": "600",
        "signing_alg": "ES256", "allow_offline_access": ""})
    assert response.status_code == HTTPStatus.FOUND
    api = Api.objects.get(identifier="https://orders.example.test/")
    assert api.scopes == [{"value": "read:orders", "description": "Read orders"},
                          {"value": "write:orders", "description": "write:orders"}]
    assert (api.token_lifetime, api.signing_alg, api.allow_offline_access) == (600, "ES256", False)
    assert LogEntry.objects.filter(object_id=str(api.pk), action_flag=ADDITION).exists()


@pytest.mark.parametrize("data, field, message", [
    ({"identifier": "https://api.example.test/"}, "identifier", "already exists"),
    ({"identifier": "has spaces"}, "identifier", "without spaces"),
    ({"permissions": "read messages = Read"}, "permissions", "must not contain spaces"),
    ({"permissions": 'read:"x"'}, "permissions", "quotes"),
    ({"token_lifetime": "0"}, "token_lifetime", "positive number"),
    ({"signing_alg": "HS256"}, "signing_alg", "Select a valid choice"),
])
def test_create_errors_are_shown_on_the_field(admin_client, api, data, field, message):
    post = {"name": "Orders", "identifier": "https://orders.example.test/", "permissions": "read:orders",
            "signing_alg": "RS256", **data}
    response = admin_client.post(ADD, post)
    assert response.status_code == HTTPStatus.OK
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field] and message in " ".join(errors[field])


def test_the_identifier_cannot_change(admin_client, api):
    page = admin_client.get(change_url(api)).content.decode()
    assert 'name="identifier"' not in page and api.identifier in page
    response = admin_client.post(change_url(api), api_post(api, identifier="https://other.example.test/",
                                                           name="Renamed"))
    assert response.status_code == HTTPStatus.FOUND
    api.refresh_from_db()
    assert (api.identifier, api.name) == ("https://api.example.test/", "Renamed")


def test_grant_an_m2m_app_some_permissions(admin_client, api, make_client, log_messages):
    m2m = make_client("m2m")
    response = admin_client.post(change_url(api), api_post(api, [{"application": m2m, "scopes": ["read:messages"]}]))
    assert response.status_code == HTTPStatus.FOUND
    grant = ClientGrant.objects.get(application=m2m, api=api)
    assert grant.scopes == ["read:messages"]
    entry = LogEntry.objects.get(object_id=str(api.pk), action_flag=CHANGE)
    assert "client grant" in entry.get_change_message()

    response = admin_client.post(change_url(api), api_post(api, [
        {"id": grant.pk, "application": m2m, "scopes": ["read:messages", "write:messages"]}]))
    assert response.status_code == HTTPStatus.FOUND
    grant.refresh_from_db()
    assert grant.scopes == ["read:messages", "write:messages"]

    admin_client.post(change_url(api), api_post(api, [{"id": grant.pk, "application": m2m, "delete": True}]))
    assert not ClientGrant.objects.filter(pk=grant.pk).exists()


def test_only_m2m_apps_and_the_apis_permissions_can_be_granted(admin_client, api, make_client):
    spa, m2m = make_client("spa"), make_client("m2m")
    page = admin_client.get(change_url(api)).content.decode()
    assert f'value="{m2m.pk}"' in page and f'<option value="{spa.pk}"' not in page
    for row in ({"application": spa, "scopes": ["read:messages"]}, {"application": m2m, "scopes": ["admin:all"]}):
        response = admin_client.post(change_url(api), api_post(api, [row]))
        assert response.status_code == HTTPStatus.OK
        errors = response.context["inline_admin_formsets"][0].formset.errors[0]
        assert "Select a valid choice" in str(errors)
    assert not ClientGrant.objects.exists()


def test_a_removed_permission_leaves_the_client_grants(admin_client, api, make_client):
    m2m = make_client("m2m")
    grant = ClientGrant.objects.create(application=m2m, api=api, scopes=["read:messages", "write:messages"])
    response = admin_client.post(change_url(api), api_post(
        api, [{"id": grant.pk, "application": m2m, "scopes": ["read:messages", "write:messages"]}],
        permissions="read:messages = Read your messages"))
    assert response.status_code == HTTPStatus.FOUND
    grant.refresh_from_db()
    assert grant.scopes == ["read:messages"]
    api.refresh_from_db()
    assert api.scope_values == ["read:messages"]


def test_permissions(staff_client, api):
    nobody = staff_client()
    for url in (LIST, ADD, change_url(api)):
        assert nobody.get(url).status_code == HTTPStatus.FORBIDDEN
    viewer = staff_client("view_api", "view_clientgrant")
    page = viewer.get(change_url(api))
    assert page.status_code == HTTPStatus.OK and b'name="permissions"' not in page.content
    assert b"read:messages" in page.content
    assert viewer.post(change_url(api), api_post(api, name="x")).status_code == HTTPStatus.FORBIDDEN
