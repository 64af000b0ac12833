"""Operations in the admin: tokens, codes, device grants and consents, read-only, with revocations."""
from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from django_authflows.models import Consent, DeviceGrant
from django_authflows.models.device import hash_device_code

from .conftest import action

TOKENS = "/admin/oauth2_provider/accesstoken/"
REFRESH = "/admin/oauth2_provider/refreshtoken/"
CODES = "/admin/oauth2_provider/grant/"
ID_TOKENS = "/admin/oauth2_provider/idtoken/"
DEVICES = "/admin/authflows/devicegrant/"
CONSENTS = "/admin/authflows/consent/"


def secrets_of(body):
    """Every value no admin page may show."""
    values = []
    for model, fields in ((AccessToken, ("token", "token_checksum")), (RefreshToken, ("token", "token_checksum")),
                          (Grant, ("code", "code_challenge"))):
        for row in model.objects.all():
            values += [getattr(row, f) for f in fields if getattr(row, f)]
    values += [row.device_code_hash for row in DeviceGrant.objects.all()]
    values += [row.user_code for row in DeviceGrant.objects.all()]
    values += [body["access_token"], body["refresh_token"], body["id_token"]]
    return values


@pytest.fixture
def device_grant(make_client, user):
    app = make_client("native", grants=["device_code"])
    return DeviceGrant.objects.create(application=app, device_code_hash=hash_device_code("device-code-xyz"),
                                      user_code="BCDFGHJK", scope="openid", interval=5,
                                      expires=timezone.now() + datetime.timedelta(minutes=10))


def test_no_page_shows_a_token_code_or_hash(admin_client, spa_session, device_grant, user):
    app, body = spa_session()
    Grant.objects.create(application=app, user=user,
                         code="a-code-nobody-may-see", redirect_uri=app.redirect_uri_list[0],
                         expires=timezone.now() + datetime.timedelta(minutes=1), code_challenge="c" * 43,
                         code_challenge_method="S256")
    IDToken.objects.create(application=app, user=user, expires=timezone.now() + datetime.timedelta(minutes=5),
                           scope="openid")
    pages = []
    for url, model in ((TOKENS, AccessToken), (REFRESH, RefreshToken), (CODES, Grant), (ID_TOKENS, IDToken),
                       (DEVICES, DeviceGrant), (CONSENTS, Consent)):
        listing = admin_client.get(url)
        assert listing.status_code == HTTPStatus.OK, url
        assert len(listing.context["cl"].result_list) >= 1, url
        detail = admin_client.get(f"{url}{model.objects.first().pk}/change/")
        assert detail.status_code == HTTPStatus.OK, url
        assert b'name="_save"' not in detail.content, url
        pages += [listing.content.decode(), detail.content.decode()]
    for value in secrets_of(body):
        assert not any(value in page for page in pages), value[:12]
    for url in (TOKENS, REFRESH, CODES, ID_TOKENS, DEVICES, CONSENTS):
        assert admin_client.get(url + "add/").status_code == HTTPStatus.FORBIDDEN


def test_search_and_filters(admin_client, spa_session, make_client):
    app, _ = spa_session()
    other, _ = spa_session(make_client("spa", name="Other shop"))
    for url in (TOKENS, REFRESH, CONSENTS):
        found = admin_client.get(url, {"q": app.client_id}).context["cl"].result_list
        assert {row.application_id for row in found} == {app.pk}, url
        filtered = admin_client.get(url, {"application__id__exact": other.pk}).context["cl"].result_list
        assert {row.application_id for row in filtered} == {other.pk}, url
    assert len(admin_client.get(REFRESH, {"status": "revoked"}).context["cl"].result_list) == 0
    assert len(admin_client.get(TOKENS, {"status": "expired"}).context["cl"].result_list) == 0
    family = RefreshToken.objects.filter(application=app).first().token_family
    assert [r.application_id for r in admin_client.get(REFRESH, {"q": str(family)}).context["cl"].result_list] \
        == [app.pk]


def test_revoke_a_refresh_token_family(admin_client, client, spa_session, log_messages):
    app, body = spa_session()
    rotated = client.post("/oauth/token", {"grant_type": "refresh_token", "refresh_token": body["refresh_token"],
                                           "client_id": app.client_id}).json()
    assert "refresh_token" in rotated
    latest = RefreshToken.objects.get(application=app, revoked__isnull=True)
    page = action(admin_client, REFRESH, "revoke_families", [latest], confirm=False)
    assert page.status_code == HTTPStatus.OK and str(latest.token_family).encode() in page.content
    assert RefreshToken.objects.filter(application=app, revoked__isnull=True).exists()

    action(admin_client, REFRESH, "revoke_families", [latest], confirm=True)
    assert not RefreshToken.objects.filter(application=app, revoked__isnull=True).exists()
    assert not AccessToken.objects.filter(application=app).exists()
    refused = client.post("/oauth/token", {"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"],
                                           "client_id": app.client_id})
    assert refused.json()["error"] == "invalid_grant"
    api = client.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {rotated['access_token']}")
    assert api.status_code == HTTPStatus.UNAUTHORIZED
    assert log_messages(latest) == [f"Revoked its family {latest.token_family}."]


def test_revoke_access_tokens(admin_client, client, spa_session):
    app, body = spa_session()
    token = AccessToken.objects.get(application=app)
    assert b"Yes, I" in action(admin_client, TOKENS, "revoke_tokens", [token], confirm=False).content
    assert client.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}").status_code == 200
    action(admin_client, TOKENS, "revoke_tokens", [token], confirm=True)
    assert not AccessToken.objects.filter(pk=token.pk).exists()
    assert client.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}").status_code == 401
    assert LogEntry.objects.filter(object_id=str(token.pk), action_flag=DELETION).exists()


def test_revoke_a_consent_revokes_the_users_refresh_tokens(admin_client, client, spa_session):
    app, body = spa_session()
    consent = Consent.objects.get(application=app)
    page = action(admin_client, CONSENTS, "revoke_consents", [consent], confirm=False)
    assert page.status_code == HTTPStatus.OK and b"alice" in page.content
    assert Consent.objects.filter(pk=consent.pk).exists()

    action(admin_client, CONSENTS, "revoke_consents", [consent], confirm=True)
    assert not Consent.objects.filter(pk=consent.pk).exists()
    assert not RefreshToken.objects.filter(application=app, revoked__isnull=True).exists()
    refused = client.post("/oauth/token", {"grant_type": "refresh_token", "refresh_token": body["refresh_token"],
                                           "client_id": app.client_id})
    assert refused.json()["error"] == "invalid_grant"
    assert LogEntry.objects.filter(object_id=str(consent.pk), action_flag=DELETION).exists()


def test_deny_a_pending_device_grant(admin_client, device_grant, log_messages):
    consumed = DeviceGrant.objects.create(application=device_grant.application, device_code_hash="0" * 64,
                                          user_code="LMNPQRST", state=DeviceGrant.CONSUMED,
                                          expires=timezone.now() + datetime.timedelta(minutes=10))
    page = action(admin_client, DEVICES, "deny_grants", [device_grant, consumed], confirm=False)
    assert page.status_code == HTTPStatus.OK and f"Device grant #{consumed.pk}".encode() not in page.content
    action(admin_client, DEVICES, "deny_grants", [device_grant, consumed], confirm=True)
    device_grant.refresh_from_db()
    consumed.refresh_from_db()
    assert (device_grant.state, consumed.state) == (DeviceGrant.DENIED, DeviceGrant.CONSUMED)
    assert log_messages(device_grant) == ["Denied by an administrator."]


def test_a_device_grant_is_found_by_its_user_code(admin_client, device_grant):
    found = admin_client.get(DEVICES, {"q": "bcdf-ghjk"}).context["cl"].result_list
    assert list(found) == [device_grant]
    assert list(admin_client.get(DEVICES, {"q": "zzzz-zzzz"}).context["cl"].result_list) == []


def test_permissions(staff_client, spa_session, device_grant):
    app, _ = spa_session()
    nobody = staff_client()
    for url in (TOKENS, REFRESH, CODES, ID_TOKENS, DEVICES, CONSENTS):
        assert nobody.get(url).status_code == HTTPStatus.FORBIDDEN, url

    viewer = staff_client("view_refreshtoken", "view_consent", "view_devicegrant")
    token, consent = RefreshToken.objects.get(application=app), Consent.objects.get(application=app)
    assert b"revoke_families" not in viewer.get(REFRESH).content
    action(viewer, REFRESH, "revoke_families", [token], confirm=True)
    action(viewer, CONSENTS, "revoke_consents", [consent], confirm=True)
    action(viewer, DEVICES, "deny_grants", [device_grant], confirm=True)
    token.refresh_from_db()
    device_grant.refresh_from_db()
    assert token.revoked is None and Consent.objects.filter(pk=consent.pk).exists()
    assert device_grant.state == DeviceGrant.PENDING

    changer = staff_client("view_consent", "change_consent")
    assert b"revoke_consents" not in changer.get(CONSENTS).content  # revoking a consent deletes it
    deleter = staff_client("view_consent", "delete_consent")
    action(deleter, CONSENTS, "revoke_consents", [consent], confirm=True)
    assert not Consent.objects.filter(pk=consent.pk).exists()


def test_records_are_revoked_never_deleted_raw(admin_client, spa_session):
    app, _ = spa_session()
    for url, model in ((TOKENS, AccessToken), (REFRESH, RefreshToken), (CONSENTS, Consent)):
        row = model.objects.get(application=app)
        assert b"deletelink" not in admin_client.get(f"{url}{row.pk}/change/").content, url
        assert admin_client.post(f"{url}{row.pk}/delete/", {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
        assert model.objects.filter(pk=row.pk).exists()
        assert b"delete_selected" not in admin_client.get(url).content


def test_a_refresh_token_without_a_family_is_revoked_alone(admin_client, make_client, user):
    app = make_client("spa")
    expires = timezone.now() + datetime.timedelta(minutes=5)
    access = AccessToken.objects.create(application=app, user=user, token="legacy-access", expires=expires)
    legacy = RefreshToken.objects.create(application=app, user=user, token="legacy-refresh", access_token=access)
    action(admin_client, REFRESH, "revoke_families", [legacy], confirm=True)
    legacy.refresh_from_db()
    assert legacy.revoked is not None and not AccessToken.objects.filter(pk=access.pk).exists()
    assert [r.pk for r in admin_client.get(REFRESH, {"status": "revoked"}).context["cl"].result_list] == [legacy.pk]
