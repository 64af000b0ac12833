"""The admin as a newcomer meets it (issue 19, item 4): M2M apps get their API at creation, empty forms say what is
missing, no consent switch where no user logs in, a redeemed code reads "used"."""
from __future__ import annotations

import base64
from http import HTTPStatus

import pytest
from oauth2_provider.models import Grant

from django_authflows.models import Application, ClientGrant
from django_authflows.server.flows.authorization_code import REDEEMED

from ..oauth import TOKEN_URL

ADD = "/admin/authflows/application/add/"


def test_m2m_creation_asks_for_the_api_and_creates_the_client_grant(admin_client, client, make_api):
    api = make_api()
    step_two = admin_client.get(ADD, {"app_type": "m2m", "name": "Reports"}).content.decode()
    assert 'name="api"' in step_two and f'value="{api.pk} read:messages"' in step_two
    response = admin_client.post(f"{ADD}?app_type=m2m", {
        "name": "Reports", "grants": ["client_credentials"], "api": str(api.pk),
        "api_scopes": [f"{api.pk} read:messages"]})
    assert response.status_code == HTTPStatus.FOUND, response.content[:2000]
    app = Application.objects.get(name="Reports")
    grant = ClientGrant.objects.get(application=app)
    assert grant.api == api and grant.scopes == ["read:messages"]

    # The first token request works: no "Create a client grant" on the way.
    secret = admin_client.get(response["Location"]).content.decode().split('id="client-secret">')[1].split("<")[0]
    basic = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    token = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": api.identifier},
                        HTTP_AUTHORIZATION=f"Basic {basic}")
    assert token.status_code == HTTPStatus.OK, token.json()
    assert token.json()["scope"] == "read:messages"


def test_m2m_permissions_of_another_api_are_refused(admin_client, make_api):
    one, other = make_api(), make_api("https://other.example.test/", name="Other API")
    response = admin_client.post(f"{ADD}?app_type=m2m", {
        "name": "Mixed", "grants": ["client_credentials"], "api": str(one.pk),
        "api_scopes": [f"{other.pk} read:messages"]})
    assert response.status_code == HTTPStatus.OK
    assert "Tick only permissions of the chosen API" in response.content.decode()
    assert not Application.objects.filter(name="Mixed").exists()


def test_empty_step_one_says_what_is_missing(admin_client):
    response = admin_client.get(ADD, {"step": "type", "name": ""})
    page = response.content.decode()
    assert "Give the application a name and choose its type." in page
    assert "Give the application a name." in page and "Choose one of the four types below." in page


def test_no_consent_switch_for_m2m(admin_client, make_client):
    m2m, spa = make_client("m2m"), make_client("spa")
    assert 'name="first_party"' not in admin_client.get(f"/admin/authflows/application/{m2m.pk}/change/").content.decode()
    assert 'name="first_party"' in admin_client.get(f"/admin/authflows/application/{spa.pk}/change/").content.decode()


def test_quickstart_comes_before_the_save_buttons(admin_client, make_client):
    page = admin_client.get(f"/admin/authflows/application/{make_client('m2m').pk}/change/").content.decode()
    assert page.index("authflows-quickstart") < page.index('name="_save"')


@pytest.mark.django_db
def test_a_redeemed_code_reads_used(admin_client, make_client, django_user_model):
    from datetime import timedelta

    from django.utils import timezone

    app, user = make_client("regular"), django_user_model.objects.create_user("carol")
    common = {"application": app, "user": user, "redirect_uri": app.redirect_uri_list[0], "scope": "openid"}
    used = Grant.objects.create(code="c1", expires=REDEEMED, **common)
    live = Grant.objects.create(code="c2", expires=timezone.now() + timedelta(minutes=1), **common)
    listing = admin_client.get("/admin/oauth2_provider/grant/").content.decode()
    assert ">used</td>" in listing and "2000-01-01" not in listing and "Jan. 1, 2000" not in listing
    assert "used" in admin_client.get(f"/admin/oauth2_provider/grant/{used.pk}/change/").content.decode()
    assert "expires" in admin_client.get(f"/admin/oauth2_provider/grant/{live.pk}/change/").content.decode()
