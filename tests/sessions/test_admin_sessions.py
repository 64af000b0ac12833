"""Admin: login sessions (read-only; "end session" behind a confirmation) and back-channel deliveries
(read-only; "retry")."""
from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from django_authflows.models import BackchannelDelivery, LoginSession
from django_authflows.server import backchannel

pytestmark = pytest.mark.django_db(transaction=True)
BCL = "https://rp.example.test/backchannel-logout"
SESSIONS = "/admin/authflows/loginsession/"
DELIVERIES = "/admin/authflows/backchanneldelivery/"


@pytest.fixture
def admin(django_user_model):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.test", "boss-password-123")
    browser = Client()
    browser.force_login(boss)
    return browser


def test_an_admin_ends_a_session_after_a_confirmation(admin, logged_in, user, make_client, enqueued):
    app = make_client("regular", backchannel_logout_uri=BCL)
    login = LoginSession.objects.get(user=user)
    from django_authflows.server import logins
    logins.add_application(login.sid, app)
    listing = admin.get(SESSIONS)
    assert listing.status_code == HTTPStatus.OK and login.session_key not in listing.content.decode()
    page = admin.get(f"{SESSIONS}{login.pk}/change/")
    assert page.status_code == HTTPStatus.OK and login.session_key not in page.content.decode()
    asked = admin.post(SESSIONS, {"action": "end_sessions", "_selected_action": [login.pk]})
    assert asked.status_code == HTTPStatus.OK and b"End sessions?" in asked.content
    assert LoginSession.objects.get(pk=login.pk).ended is None  # nothing until confirmed
    done = admin.post(SESSIONS, {"action": "end_sessions", "_selected_action": [login.pk], "post": "yes"})
    assert done.status_code == HTTPStatus.FOUND
    login.refresh_from_db()
    assert login.end_reason == "ended_by_admin"
    assert BackchannelDelivery.objects.get().sid == login.sid and len(enqueued()) == 1
    assert logged_in.get("/account/authorized-apps")["Location"].startswith("/login")  # that browser is out
    assert admin.get(f"{SESSIONS}add/").status_code == HTTPStatus.FORBIDDEN


def test_a_failed_delivery_is_retried_from_the_admin(admin, make_client, user, enqueued):
    app = make_client("regular", backchannel_logout_uri=BCL)
    delivery = backchannel.schedule(application=app, issuer="http://testserver/", subject="s", sid="x")
    BackchannelDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=5, last_status=503)
    listing = admin.get(DELIVERIES + "?status=failed")
    assert listing.status_code == HTTPStatus.OK and BCL in listing.content.decode()
    assert admin.get(f"{DELIVERIES}{delivery.pk}/change/").status_code == HTTPStatus.OK
    assert admin.post(DELIVERIES, {"action": "retry", "_selected_action": [delivery.pk]}).status_code == HTTPStatus.FOUND
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert enqueued() == [delivery.pk, delivery.pk]


def test_the_application_page_sets_the_backchannel_logout_uri(admin, make_client):
    app = make_client("regular")
    url = f"/admin/authflows/application/{app.pk}/change/"
    form = {"name": app.name, "grants": app.grant_types, "callbacks": "\n".join(app.redirect_uri_list),
            "first_party": "on", "backchannel_logout_uri": "http://rp.example.test/logout"}
    refused = admin.post(url, form)
    assert refused.status_code == HTTPStatus.OK and b"must use https" in refused.content
    saved = admin.post(url, {**form, "backchannel_logout_uri": BCL, "refresh_tokens_end_with_session": "on"})
    assert saved.status_code == HTTPStatus.FOUND, saved.content[:2000]
    app.refresh_from_db()
    assert app.backchannel_logout_uri == BCL and app.refresh_tokens_end_with_session
