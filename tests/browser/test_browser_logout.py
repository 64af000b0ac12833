"""Both logout forms in a real browser, an unregistered URL, and the authorised-applications page."""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from .. import people
from .conftest import log_in, shot

pytestmark = pytest.mark.browser


def signed_in(page, demo):
    page.goto(demo.url + "/login")
    log_in(page)


def id_token_for_regular_app(demo):
    secret = demo.manage("shell", "-c", "from example_project.demo.secrets import demo_secret;"
                                        "print(demo_secret('demo-regular-web-app'))").split()[-1]
    session = requests.Session()
    people.login(session, demo.url)
    callback = demo.url + "/demo/regular/callback"
    location = people.consent(session, demo.url, demo.url + "/authorize?" + urlencode({
        "response_type": "code", "client_id": "demo-regular-web-app", "redirect_uri": callback,
        "scope": "openid", "state": "s"}))
    code = parse_qs(urlsplit(location).query)["code"][0]
    tokens = requests.post(demo.url + "/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                            "redirect_uri": callback},
                           auth=("demo-regular-web-app", secret), timeout=10).json()
    return tokens["id_token"]


def still_signed_in(page, demo) -> bool:
    page.goto(demo.url + "/account/authorized-apps")
    return "/login" not in page.url


def test_auth0_logout(page, demo):
    signed_in(page, demo)
    page.goto(demo.url + "/v2/logout?" + urlencode({"client_id": "demo-regular-web-app", "returnTo": demo.url + "/"}))
    assert page.url == demo.url + "/"
    assert not still_signed_in(page, demo)


def test_oidc_rp_initiated_logout(page, demo):
    hint = id_token_for_regular_app(demo)
    signed_in(page, demo)
    page.goto(demo.url + "/v2/logout?" + urlencode({"id_token_hint": hint, "state": "xyz",
                                                    "post_logout_redirect_uri": demo.url + "/"}))
    assert page.url == demo.url + "/?state=xyz"
    assert not still_signed_in(page, demo)


def test_unregistered_return_url_shows_the_signed_out_page(page, demo):
    signed_in(page, demo)
    page.goto(demo.url + "/v2/logout?" + urlencode({"client_id": "demo-regular-web-app",
                                                    "returnTo": "https://evil.example/"}))
    assert page.url.startswith(demo.url + "/v2/logout")
    assert "You are signed out" in page.inner_text("main")
    assert "not a registered logout URL" in page.inner_text("[role=alert]")
    shot(page, "logged-out-refused")
    assert not still_signed_in(page, demo)


def test_authorized_apps_page(page, demo):
    page.goto(demo.url + "/demo/regular/")
    page.click("#login")
    log_in(page)
    page.wait_for_selector("#id-token-claims")
    page.goto(demo.url + "/account/authorized-apps")
    assert "Demo Regular Web App" in page.inner_text("main")
    shot(page, "authorized-apps")
    assert not page.is_visible("button[name=revoke]")  # a confirmation step first (issue 19)
    page.click("details.confirm summary")
    page.click("button[name=revoke]")
    page.wait_for_selector("[role=status]")
    assert "can no longer access your account" in page.inner_text("[role=status]")
