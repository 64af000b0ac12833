"""The login page: the real form, login_hint, frame-busting, and the way back to /authorize."""
from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

import pytest

from ..oauth import query

pytestmark = pytest.mark.django_db


def test_login_page_form_and_headers(client):
    page = client.get("/login")
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert 'name="username"' in html and 'name="password"' in html and 'type="submit"' in html
    assert 'for="id_username"' in html and 'for="id_password"' in html
    assert "csrfmiddlewaretoken" in html
    assert page["X-Frame-Options"] == "DENY"
    assert page["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_login_then_authorize(client, user, password, make_client):
    app = make_client("regular")
    url = "/authorize?" + urlencode({"response_type": "code", "client_id": app.client_id, "scope": "openid",
                                     "redirect_uri": app.redirect_uri_list[0], "state": "xyz"})
    to_login = client.get(url)
    login_url = to_login["Location"]
    response = client.post(login_url, {"username": "alice", "password": password,
                                       "next": query(login_url)["next"]})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == url
    consent = client.get(url)
    assert b'name="allow"' in consent.content
    done = client.post(url, {"allow": "1"})
    assert query(done["Location"])["state"] == "xyz"


def test_wrong_password_does_not_say_whether_the_user_exists(client, user):
    wrong = client.post("/login", {"username": "alice", "password": "nope"})
    unknown = client.post("/login", {"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == HTTPStatus.OK
    assert b"Please try again" in wrong.content and b"Please try again" in unknown.content
    assert b'role="alert"' in wrong.content


def test_consent_page_is_csrf_protected(user, make_client):
    from django.test import Client

    app = make_client("regular")
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    url = "/authorize?" + urlencode({"response_type": "code", "client_id": app.client_id, "scope": "openid",
                                     "redirect_uri": app.redirect_uri_list[0]})
    assert csrf_client.post(url, {"allow": "1"}).status_code == HTTPStatus.FORBIDDEN


def test_consent_page_describes_the_request(logged_in, make_client, make_api):
    make_api()
    app = make_client("regular", name="Acme Dashboard")
    page = logged_in.get("/authorize", {"response_type": "code", "client_id": app.client_id,
                                        "redirect_uri": app.redirect_uri_list[0], "audience": "https://api.example.test/",
                                        "scope": "openid email read:messages"})
    html = page.content.decode()
    assert "<strong>Acme Dashboard</strong> is asking to" in html and "See your email address" in html
    assert "read:messages" in html and "https://api.example.test/" in html
    assert page["X-Frame-Options"] == "DENY"
