"""A person logs in through the real pages with each browser flow, and the demo calls the API."""
from __future__ import annotations

import pytest

from .conftest import claims, log_in, shot

pytestmark = pytest.mark.browser


def test_regular_web_app(page, demo):
    page.goto(demo.url + "/")
    shot(page, "demo-home")
    page.goto(demo.url + "/demo/regular/")
    page.click("#login")
    page.wait_for_selector("input[name=username]")
    shot(page, "login")
    log_in(page)
    page.wait_for_selector("#id-token-claims")
    id_token = claims(page, "#id-token-claims")
    assert id_token["iss"] == demo.url + "/"
    assert id_token["aud"] == "demo-regular-web-app"
    assert id_token["email"] == "demo@example.test"
    assert {"sub", "iat", "exp", "auth_time", "sid", "nonce"} <= set(id_token)
    access = claims(page, "#access-token-claims")
    assert "https://api.example.test/" in access["aud"] and "read:messages" in access["scope"].split()
    page.click("#call-api")
    page.wait_for_selector("#api-result")
    assert "Hello from a private endpoint" in page.inner_text("#api-result")
    shot(page, "demo-regular-result")


def test_single_page_app_with_pkce(page, demo):
    page.goto(demo.url + "/demo/spa/")
    page.click("#login")
    log_in(page)
    page.wait_for_selector("#tokens:not([hidden])")
    id_token = claims(page, "#id-token-claims")
    assert id_token["aud"] == "demo-spa" and id_token["iss"] == demo.url + "/"
    assert "code=" not in page.url  # the SPA cleans the address bar
    page.click("#call-api")
    page.wait_for_selector("#api-result:not([hidden])")
    assert "Hello from a private endpoint" in page.inner_text("#api-result")
    shot(page, "demo-spa-result")


def test_implicit_with_form_post(page, demo):
    page.goto(demo.url + "/demo/implicit/")
    page.click("#login")
    log_in(page)
    page.wait_for_selector("#id-token-claims")
    id_token = claims(page, "#id-token-claims")
    assert id_token["aud"] == "demo-implicit" and "at_hash" in id_token and "nonce" in id_token
    page.click("#call-api")
    page.wait_for_selector("#api-result")
    assert "Hello from a private endpoint" in page.inner_text("#api-result")
    shot(page, "demo-implicit-result")


def test_consent_page_and_deny(page, demo):
    page.goto(demo.url + "/authorize?response_type=code&client_id=demo-regular-web-app&scope=openid%20email"
              f"&redirect_uri={demo.url}/demo/regular/callback&state=abc&prompt=consent")
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", "demo-password-123")
    page.click("form button[type=submit]")
    page.wait_for_selector("button[name=deny]")
    assert "Demo Regular Web App" in page.inner_text("main") or "Regular" in page.inner_text("main")
    assert "See your email address" in page.inner_text("main")
    shot(page, "consent")
    with page.expect_response(lambda r: "/authorize" in r.url and r.request.method == "POST") as info:
        page.click("button[name=deny]")
    assert info.value.status == 302
    assert "error=access_denied" in info.value.headers["location"]


def test_wrong_password_stays_on_the_login_page(page, demo):
    page.goto(demo.url + "/login")
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", "wrong")
    page.click("form button[type=submit]")
    page.wait_for_selector("[role=alert]")
    assert "try again" in page.inner_text("[role=alert]")
