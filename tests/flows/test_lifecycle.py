"""Revocation (RFC 7009), introspection (RFC 7662), logout, authorised applications, key rotation."""
from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

import pytest

from django_authflows.apis import create_client_grant
from django_authflows.server import keys

from .. import oauth
from .test_refresh import INVALID, refresh

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"


def basic(app):
    return oauth.basic(app.client_id, app.secret)


def api(client, token):
    return client.get("/api/private-scoped", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def m2m(make_client, make_api):
    def get(**kwargs):
        from django_authflows.models import Api

        api_obj = Api.objects.filter(identifier=AUD).first() or make_api()
        app = make_client("m2m", **kwargs)
        create_client_grant(app, api_obj, ["read:messages"])
        return app
    return get


def cc_token(client, app):
    return client.post("/oauth/token", {"grant_type": "client_credentials", "audience": AUD},
                       HTTP_AUTHORIZATION=basic(app)).json()["access_token"]


# -- revocation -------------------------------------------------------------------------------------
def test_revoked_access_token_is_refused_by_the_api(client, m2m):
    app = m2m()
    token = cc_token(client, app)
    assert api(client, token).status_code == HTTPStatus.OK
    response = client.post("/oauth/revoke", {"token": token, "token_type_hint": "access_token"},
                           HTTP_AUTHORIZATION=basic(app))
    assert response.status_code == HTTPStatus.OK and response.content == b""
    refused = api(client, token)
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused.json()["error_description"] == "The access token has been revoked."


def test_revocation_check_can_be_turned_off_for_stateless_apis(client, m2m, settings):
    app = m2m()
    token = cc_token(client, app)
    client.post("/oauth/revoke", {"token": token}, HTTP_AUTHORIZATION=basic(app))
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "CHECK_REVOCATION": False}
    assert api(client, token).status_code == HTTPStatus.OK


def test_refresh_token_revocation_revokes_the_family(client, spa_tokens):
    app, first = spa_tokens()
    second = refresh(client, app, first["refresh_token"]).json()
    assert client.post("/oauth/revoke", {"token": second["refresh_token"], "client_id": app.client_id}).status_code == 200
    assert refresh(client, app, second["refresh_token"]).json() == INVALID
    assert api(client, second["access_token"]).status_code == HTTPStatus.UNAUTHORIZED


def test_revocation_of_unknown_or_foreign_tokens_is_200_and_harmless(client, m2m):
    owner, other = m2m(), m2m()
    token = cc_token(client, owner)
    assert client.post("/oauth/revoke", {"token": "nope"}, HTTP_AUTHORIZATION=basic(other)).status_code == 200
    assert client.post("/oauth/revoke", {"token": token}, HTTP_AUTHORIZATION=basic(other)).status_code == 200
    assert api(client, token).status_code == HTTPStatus.OK


@pytest.mark.parametrize("data,auth,error,status", [
    ({"token": "x"}, None, "invalid_client", 401),
    ({}, "ok", "invalid_request", 400),
])
def test_revocation_errors(client, m2m, data, auth, error, status):
    app = m2m()
    headers = {"HTTP_AUTHORIZATION": basic(app)} if auth else {}
    response = client.post("/oauth/revoke", data, **headers)
    assert response.status_code == status and response.json()["error"] == error


@pytest.mark.parametrize("hint", ["bogus", "refresh_token", ""])
def test_revocation_ignores_an_unknown_or_wrong_token_type_hint(client, m2m, hint):
    """RFC 7009 §2.1: the hint is only an optimisation; the server searches every token type."""
    app = m2m()
    token = cc_token(client, app)
    response = client.post("/oauth/revoke", {"token": token, "token_type_hint": hint}, HTTP_AUTHORIZATION=basic(app))
    assert response.status_code == HTTPStatus.OK and response.content == b""
    assert api(client, token).status_code == HTTPStatus.UNAUTHORIZED


# -- introspection ----------------------------------------------------------------------------------
def test_introspection_by_the_owner_and_by_an_allowed_client(client, m2m):
    owner, stranger, gateway = m2m(), m2m(), m2m()
    gateway.can_introspect = True
    gateway.save()
    token = cc_token(client, owner)
    mine = client.post("/oauth/introspect", {"token": token}, HTTP_AUTHORIZATION=basic(owner)).json()
    assert mine["active"] is True and mine["client_id"] == owner.client_id and mine["scope"] == "read:messages"
    assert client.post("/oauth/introspect", {"token": token}, HTTP_AUTHORIZATION=basic(stranger)).json() == {
        "active": False}
    assert client.post("/oauth/introspect", {"token": token}, HTTP_AUTHORIZATION=basic(gateway)).json()["active"]


def test_introspection_inactive_for_revoked_and_garbage(client, m2m):
    app = m2m()
    token = cc_token(client, app)
    client.post("/oauth/revoke", {"token": token}, HTTP_AUTHORIZATION=basic(app))
    for candidate in (token, "garbage", "a.b.c"):
        body = client.post("/oauth/introspect", {"token": candidate}, HTTP_AUTHORIZATION=basic(app)).json()
        assert body == {"active": False}


def test_introspection_needs_client_authentication_and_post(client, m2m, make_client):
    app = m2m()
    token = cc_token(client, app)
    assert client.post("/oauth/introspect", {"token": token}).status_code == HTTPStatus.UNAUTHORIZED
    spa = make_client("spa")
    assert client.post("/oauth/introspect", {"token": token, "client_id": spa.client_id}).status_code == 401
    assert client.get("/oauth/introspect", {"token": token}).status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize("hint", ["bogus", "refresh_token"])
def test_introspection_ignores_an_unknown_or_wrong_token_type_hint(client, m2m, hint):
    """RFC 7662 §2.1: an unknown hint, or one naming the wrong type, still finds the token."""
    app = m2m()
    token = cc_token(client, app)
    body = client.post("/oauth/introspect", {"token": token, "token_type_hint": hint},
                       HTTP_AUTHORIZATION=basic(app)).json()
    assert body["active"] is True and body["client_id"] == app.client_id


def test_introspect_refresh_token(client, spa_tokens, make_client):
    app, first = spa_tokens()
    gateway = make_client("m2m")
    gateway.can_introspect = True
    gateway.save()
    body = client.post("/oauth/introspect", {"token": first["refresh_token"]}, HTTP_AUTHORIZATION=basic(gateway)).json()
    assert body["active"] is True and body["token_type"] == "refresh_token" and body["client_id"] == app.client_id


def test_discovery_lists_the_lifecycle_endpoints(client):
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["revocation_endpoint"].endswith("/oauth/revoke")
    assert doc["introspection_endpoint"].endswith("/oauth/introspect")
    assert doc["end_session_endpoint"].endswith("/v2/logout")
    assert doc["device_authorization_endpoint"].endswith("/oauth/device/code")


# -- logout -----------------------------------------------------------------------------------------
def test_auth0_logout_follows_a_registered_url(logged_in, make_client):
    app = make_client("regular", logout_urls=["https://client.example.test/bye"])
    response = logged_in.get("/v2/logout", {"client_id": app.client_id, "returnTo": "https://client.example.test/bye"})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "https://client.example.test/bye"
    assert "_auth_user_id" not in logged_in.session


def test_logout_never_redirects_to_an_unregistered_url(logged_in, make_client):
    app = make_client("regular", logout_urls=["https://client.example.test/bye"])
    response = logged_in.get("/v2/logout", {"client_id": app.client_id, "returnTo": "https://evil.example/"})
    assert response.status_code == HTTPStatus.OK and b"You are signed out" in response.content
    assert "Location" not in response
    assert "_auth_user_id" not in logged_in.session


def test_oidc_rp_initiated_logout_with_id_token_hint_and_state(client, logged_in, make_client, authorize):
    from ..oauth import query
    from .test_authorization_code import exchange

    app = make_client("regular", logout_urls=["https://client.example.test/bye"])
    code = query(authorize(app)["Location"])["code"]
    id_token = exchange(client, app, code).json()["id_token"]
    response = logged_in.get("/v2/logout?" + urlencode({"id_token_hint": id_token, "state": "xyz",
                                                        "post_logout_redirect_uri": "https://client.example.test/bye"}))
    assert response["Location"] == "https://client.example.test/bye?state=xyz"


def test_logout_with_a_forged_hint(logged_in, make_client):
    app = make_client("regular", logout_urls=["https://client.example.test/bye"])
    response = logged_in.get("/v2/logout", {"id_token_hint": "a.b.c", "client_id": app.client_id,
                                            "post_logout_redirect_uri": "https://client.example.test/bye"})
    assert response.status_code == HTTPStatus.BAD_REQUEST and "Location" not in response


@pytest.mark.parametrize("param", ["returnTo", "post_logout_redirect_uri"])
def test_logout_to_a_url_without_client_id_says_client_id_is_missing(logged_in, make_client, param):
    """Logout URLs are registered per application: without client_id (or id_token_hint) there is nothing
    to check the URL against, and the page says so instead of calling the URL unregistered."""
    make_client("regular", logout_urls=["https://client.example.test/bye"])
    response = logged_in.get("/v2/logout", {param: "https://client.example.test/bye"})
    assert response.status_code == HTTPStatus.BAD_REQUEST and "Location" not in response
    assert response.context["error"] == "client_id is missing: send the application's client_id with the logout URL."
    assert b"not a registered logout URL" not in response.content
    assert "_auth_user_id" not in logged_in.session


def test_logout_with_an_unknown_client_id(logged_in):
    response = logged_in.get("/v2/logout", {"client_id": "nope", "returnTo": "https://client.example.test/bye"})
    assert response.status_code == HTTPStatus.BAD_REQUEST and "Location" not in response
    assert response.context["error"] == "The client_id is not a known application."
    assert "_auth_user_id" not in logged_in.session


def test_logout_without_a_url_needs_no_client_id(logged_in):
    response = logged_in.get("/v2/logout")
    assert response.status_code == HTTPStatus.OK and response.context["error"] is None
    assert "_auth_user_id" not in logged_in.session


# -- consent management ---------------------------------------------------------------------------
def test_authorized_apps_page_revokes_an_application(client, logged_in, spa_tokens):
    app, first = spa_tokens()
    page = logged_in.get("/account/authorized-apps")
    assert app.name.encode() in page.content
    consent_id = app.consents.get().pk
    response = logged_in.post("/account/authorized-apps", {"consent": consent_id})
    assert response.status_code == HTTPStatus.FOUND
    assert refresh(client, app, first["refresh_token"]).json() == INVALID
    assert api(client, first["access_token"]).status_code == HTTPStatus.UNAUTHORIZED
    assert not app.consents.exists()


# -- key rotation -----------------------------------------------------------------------------------
def test_tokens_from_before_during_and_after_rotation_all_validate(client, m2m, spa_tokens):
    """Zero failed validations at the API and at /userinfo across two rotations, each token checked as
    soon as it is issued and all of them again at the end."""
    from django_authflows.resource import keys as resource_keys

    from ..oauth import header

    app = m2m()
    spa, body = spa_tokens()
    machine, person, refresh_token = [cc_token(client, app)], [body["access_token"]], body["refresh_token"]
    failures = []

    def check(token_list):
        failures.extend(t for t in token_list if api(client, t).status_code != 200
                        and client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {t}").status_code != 200)

    check(machine + person)
    for _round in range(2):
        keys.rotate()
        machine.append(cc_token(client, app))
        following = refresh(client, spa, refresh_token).json()
        person.append(following["access_token"])
        refresh_token = following["refresh_token"]
        check([machine[-1]])
        assert client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {person[-1]}").status_code == 200
        resource_keys.key_cache._loaded -= resource_keys.MAX_AGE + 1  # the API's key set ages 5 minutes
        resource_keys.key_cache._attempted -= resource_keys.MAX_AGE + 1
    check(machine)
    failures += [t for t in person if client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {t}").status_code != 200]
    assert failures == []
    assert len({header(t)["kid"] for t in machine}) == 3


# -- cleanup ----------------------------------------------------------------------------------------
def test_cleanup_removes_only_what_is_dead(client, spa_tokens, settings):
    import datetime
    import json
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone
    from oauth2_provider.models import Grant, RefreshToken

    from django_authflows.models import TokenFamily

    _app, live = spa_tokens()
    dead_app, dead = spa_tokens()
    TokenFamily.objects.filter(application=dead_app).update(created=timezone.now() - datetime.timedelta(days=365))
    Grant.objects.update(created=timezone.now() - datetime.timedelta(hours=2))
    out = StringIO()
    call_command("authflows", "cleanup", "--json", stdout=out)
    counts = json.loads(out.getvalue())
    assert counts["token_families"] == 1 and counts["authorization_codes"] == 2
    assert RefreshToken.objects.filter(application=dead_app).count() == 0
    assert refresh(client, _app, live["refresh_token"]).status_code == HTTPStatus.OK
