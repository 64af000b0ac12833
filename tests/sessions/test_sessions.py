"""Login sessions (OIDC Core §2 sid) and what ends them: /v2/logout, a password change, a deactivation;
each sends OIDC Back-Channel Logout 1.0 tokens through the task backend, never from the request."""
from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import transaction

from django_authflows.models import BackchannelDelivery, LoginSession, SessionApplication

from ..oauth import verify

pytestmark = pytest.mark.django_db(transaction=True)  # deliveries are enqueued on commit
BCL = "https://rp.example.test/backchannel-logout"


def refresh(client, app, token):
    return client.post("/oauth/token", {"grant_type": "refresh_token", "refresh_token": token,
                                        "client_id": app.client_id})


def test_login_starts_a_session_whose_sid_the_id_token_carries(client, spa_tokens, make_client, user):
    app = make_client("spa", origins=["https://spa.example.test"], backchannel_logout_uri=BCL)
    _, tokens = spa_tokens(app)
    login = LoginSession.objects.get(user=user)
    claims = verify(tokens["id_token"], client.get("/.well-known/jwks.json").json())
    assert claims["sid"] == login.sid and login.ended is None and login.session_key
    assert SessionApplication.objects.filter(session=login, application=app).exists()


def test_logout_ends_the_session_and_enqueues_one_delivery_per_application(client, spa_tokens, make_client,
                                                                           user, enqueued):
    told = make_client("spa", origins=["https://spa.example.test"], backchannel_logout_uri=BCL)
    silent = make_client("spa", origins=["https://spa2.example.test"])
    spa_tokens(told), spa_tokens(silent)
    assert client.get("/v2/logout").status_code == HTTPStatus.OK
    login = LoginSession.objects.get(user=user)
    assert login.ended is not None and login.end_reason == "logout"
    delivery = BackchannelDelivery.objects.get()
    assert (delivery.application, delivery.uri, delivery.sid, delivery.status) == (told, BCL, login.sid, "pending")
    assert enqueued() == [delivery.pk]
    # Logging out twice, or with a session that already ended, is harmless and sends nothing more.
    assert client.get("/v2/logout").status_code == HTTPStatus.OK
    from django_authflows.server import logins
    assert logins.end(login, "logout") is False
    assert BackchannelDelivery.objects.count() == 1 and enqueued() == [delivery.pk]


def test_refresh_tokens_survive_logout_unless_the_application_asks(client, spa_tokens, make_client, user):
    keeps = make_client("spa", origins=["https://spa.example.test"])
    ends = make_client("spa", origins=["https://spa2.example.test"], refresh_tokens_end_with_session=True)
    _, kept = spa_tokens(keeps)
    _, ended = spa_tokens(ends)
    client.get("/v2/logout")
    assert refresh(client, keeps, kept["refresh_token"]).status_code == HTTPStatus.OK  # as Auth0 by default
    response = refresh(client, ends, ended["refresh_token"])
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"] == "invalid_grant"
    api = client.get("/api/private-scoped", HTTP_AUTHORIZATION=f"Bearer {ended['access_token']}")
    assert api.status_code == HTTPStatus.UNAUTHORIZED  # its access token is deny-listed at once


@pytest.mark.parametrize("change", ["password", "deactivation"])
def test_a_password_change_or_a_deactivation_ends_every_session(client, spa_tokens, make_client, user, enqueued,
                                                                 change):
    app = make_client("spa", origins=["https://spa.example.test"], backchannel_logout_uri=BCL)
    spa_tokens(app)
    if change == "password":
        user.set_password("another correct horse battery")
    else:
        user.is_active = False
    with transaction.atomic():
        user.save()
    login = LoginSession.objects.get(user=user)
    assert login.end_reason == ("password_changed" if change == "password" else "deactivated")
    assert BackchannelDelivery.objects.get().sid == login.sid and len(enqueued()) == 1
    # The browser's Django session is gone: the account page asks it to log in again.
    response = client.get("/account/authorized-apps")
    assert response.status_code == HTTPStatus.FOUND and "/login" in response["Location"]


def test_a_login_hash_upgrade_is_not_a_password_change(user, logged_in):
    user.set_password("correct horse battery staple")
    user._password = None  # what check_password's setter does before its save(update_fields=["password"])
    user.save(update_fields=["password"])
    assert LoginSession.objects.get(user=user).ended is None


def test_discovery_advertises_back_channel_logout(client):
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["backchannel_logout_supported"] is True and doc["backchannel_logout_session_supported"] is True


@pytest.mark.parametrize("uri", ["http://rp.example.test/logout", "https://rp.example.test/logout#frag",
                                 "https://*.example.test/logout", "com.example.app:/logout", "not a url"])
def test_a_backchannel_logout_uri_must_be_https_except_on_loopback(make_client, uri):
    with pytest.raises(ValueError):
        make_client("regular", backchannel_logout_uri=uri)


def test_a_loopback_backchannel_logout_uri_may_use_http(make_client):
    app = make_client("regular", backchannel_logout_uri="http://127.0.0.1:8001/logout")
    assert app.backchannel_logout_uri == "http://127.0.0.1:8001/logout"
