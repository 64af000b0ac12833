"""The account page "Apps, devices and sessions": applications with consent or live tokens, browser
sessions with "this browser", each revocable; revoking sends the back-channel logouts (OIDC BCL 1.0 §2.5)."""
from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from django_authflows.models import BackchannelDelivery, LoginSession

pytestmark = pytest.mark.django_db(transaction=True)
PAGE = "/account/authorized-apps"
BCL = "https://rp.example.test/backchannel-logout"


@pytest.fixture
def other_browser(user, password):
    browser = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
    assert browser.post("/login", {"username": user.username, "password": password}).status_code == HTTPStatus.FOUND
    return browser


def test_the_page_lists_every_browser_session_and_marks_this_one(logged_in, other_browser, user):
    page = logged_in.get(PAGE)
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert "Apps, devices and sessions" in html and "Firefox on Linux" in html
    assert html.count('name="sign_out"') == 2 and html.count('id="this-browser"') == 1
    firefox = LoginSession.objects.get(user=user, user_agent="Firefox on Linux")
    assert firefox.amr == ["pwd"] and firefox.ip == "127.0.0.1"


def test_signing_out_another_browser_ends_it_and_tells_its_applications(logged_in, other_browser, user,
                                                                        make_client, enqueued):
    app = make_client("regular", backchannel_logout_uri=BCL, callbacks=["https://rp.example.test/cb"])
    answer = other_browser.get("/authorize", {"client_id": app.client_id, "response_type": "code", "scope": "openid",
                                              "redirect_uri": "https://rp.example.test/cb", "state": "s"})
    if answer.status_code == HTTPStatus.OK:  # the consent page
        answer = other_browser.post(answer.request["PATH_INFO"] + "?" + answer.request["QUERY_STRING"], {"allow": "1"})
    assert answer.status_code == HTTPStatus.FOUND and "code=" in answer["Location"]
    firefox = LoginSession.objects.get(user=user, user_agent="Firefox on Linux")
    response = logged_in.post(PAGE, {"session": firefox.pk})
    assert response.status_code == HTTPStatus.FOUND
    firefox.refresh_from_db()
    assert firefox.end_reason == "signed_out_by_user"
    assert BackchannelDelivery.objects.get().sid == firefox.sid and len(enqueued()) == 1
    assert other_browser.get(PAGE)["Location"].startswith("/login")  # that browser is signed out
    assert logged_in.get(PAGE).status_code == HTTPStatus.OK  # this one is not
    assert logged_in.post(PAGE, {"session": firefox.pk}).status_code == HTTPStatus.BAD_REQUEST  # twice: harmless


def test_signing_out_this_browser_logs_it_out(logged_in, user):
    login = LoginSession.objects.get(user=user)
    response = logged_in.post(PAGE, {"session": login.pk})
    assert response.status_code == HTTPStatus.FOUND
    assert logged_in.get(PAGE)["Location"].startswith("/login")


def test_an_application_with_live_tokens_and_no_consent_is_listed_and_revocable(logged_in, make_client,
                                                                                spa_tokens, enqueued):
    app = make_client("spa", origins=["https://spa.example.test"], backchannel_logout_uri=BCL)
    _, tokens = spa_tokens(app)
    from django_authflows.models import Consent
    Consent.objects.filter(application=app).delete()  # as a first-party application that skipped consent
    html = logged_in.get(PAGE).content.decode()
    assert app.name in html and f'name="application" value="{app.pk}"' in html
    assert logged_in.post(PAGE, {"application": app.pk}).status_code == HTTPStatus.FOUND
    api = logged_in.get("/api/private-scoped", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api.status_code == HTTPStatus.UNAUTHORIZED  # deny-listed at once
    assert BackchannelDelivery.objects.get().application == app and len(enqueued()) == 1
    assert f"value=\"{app.pk}\"" not in logged_in.get(PAGE).content.decode().split("<h2 id=\"sessions\">")[0]


@pytest.mark.parametrize("data", [{"session": "x"}, {"session": "²"}, {"session": "9" * 40}, {"application": "0"}, {}])
def test_bad_input_is_a_400(logged_in, data):
    assert logged_in.post(PAGE, data).status_code == HTTPStatus.BAD_REQUEST
