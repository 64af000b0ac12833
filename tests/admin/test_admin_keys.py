"""Signing keys in the admin: a read-only list, rotate and retire behind a confirmation page."""
from __future__ import annotations

from http import HTTPStatus

import pytest

from django_authflows.models import SigningKey
from django_authflows.server import keys

from .conftest import action

LIST = "/admin/authflows/signingkey/"


@pytest.fixture
def active(db):
    keys.active_key("RS256")
    return SigningKey.objects.get(alg="RS256", state=SigningKey.ACTIVE)


def test_list_never_shows_a_private_key(admin_client, active):
    for url in (LIST, f"{LIST}{active.pk}/change/"):
        response = admin_client.get(url)
        assert response.status_code == HTTPStatus.OK
        page = response.content.decode()
        assert active.kid in page
        assert active.private_key[:40] not in page and "PRIVATE KEY" not in page and '"d":' not in page
    detail = admin_client.get(f"{LIST}{active.pk}/change/").content.decode()
    assert 'name="_save"' not in detail and "deletelink" not in detail and "&quot;kty&quot;: &quot;RSA&quot;" in detail
    assert admin_client.get(f"{LIST}add/").status_code == HTTPStatus.FORBIDDEN


def test_rotate_action_asks_then_rotates_and_logs(admin_client, active, log_messages):
    page = action(admin_client, LIST, "rotate_keys", [active], confirm=False)
    assert page.status_code == HTTPStatus.OK and b"Yes, rotate" in page.content
    active.refresh_from_db()
    assert active.state == SigningKey.ACTIVE

    done = action(admin_client, LIST, "rotate_keys", [active], confirm=True)
    assert done.status_code == HTTPStatus.FOUND
    active.refresh_from_db()
    assert active.state == SigningKey.RETIRED
    new = SigningKey.objects.get(alg="RS256", state=SigningKey.ACTIVE)
    assert log_messages(new) == ["Rotated: now the active RS256 key."]
    assert log_messages(active) == ["Retired by a rotation."]


def test_retire_action_asks_then_retires(admin_client, active, log_messages):
    nxt = keys.prepare_next("RS256")
    page = action(admin_client, LIST, "retire_keys", [nxt], confirm=False)
    assert b"Yes, retire" in page.content and b"You are retiring an active key" not in page.content
    assert b"You are retiring an active key" in action(admin_client, LIST, "retire_keys", [active], False).content
    action(admin_client, LIST, "retire_keys", [nxt], confirm=True)
    nxt.refresh_from_db()
    assert nxt.state == SigningKey.RETIRED and log_messages(nxt) == ["Retired."]


def test_rotate_button_works_on_an_empty_table(admin_client):
    assert not SigningKey.objects.exists()
    assert b"Rotate RS256 keys" in admin_client.get(LIST).content
    assert b"Yes, rotate" in admin_client.get(f"{LIST}rotate/?alg=RS256").content
    assert not SigningKey.objects.exists()
    admin_client.post(f"{LIST}rotate/?alg=RS256", {"post": "yes"})
    assert SigningKey.objects.filter(alg="RS256", state=SigningKey.ACTIVE).count() == 1


def test_staff_needs_the_change_permission_to_act(staff_client, active):
    nobody = staff_client()
    assert nobody.get(LIST).status_code == HTTPStatus.FORBIDDEN
    viewer = staff_client("view_signingkey")
    listing = viewer.get(LIST)
    assert listing.status_code == HTTPStatus.OK and b"rotate_keys" not in listing.content
    assert b"Rotate RS256 keys" not in listing.content
    action(viewer, LIST, "rotate_keys", [active], confirm=True)
    active.refresh_from_db()
    assert active.state == SigningKey.ACTIVE
    assert viewer.post(f"{LIST}rotate/?alg=RS256", {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN

    operator = staff_client("view_signingkey", "change_signingkey")
    assert b"rotate_keys" in operator.get(LIST).content
    action(operator, LIST, "retire_keys", [active], confirm=True)
    active.refresh_from_db()
    assert active.state == SigningKey.RETIRED


def test_admin_actions_are_audit_lines(db, caplog):
    import logging

    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType

    from django_authflows.models import SigningKey

    caplog.set_level(logging.INFO, logger="django_authflows.audit")
    staff = get_user_model().objects.create_superuser("auditor", "a@example.test", "pw-123456789")
    LogEntry.objects.create(user=staff, content_type=ContentType.objects.get_for_model(SigningKey), object_id="1",
                            object_repr="k", action_flag=CHANGE, change_message="Rotated")
    assert any("event=admin_action" in r.getMessage() and "action=change" in r.getMessage() for r in caplog.records)
