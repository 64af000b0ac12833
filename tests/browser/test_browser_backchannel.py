"""Single logout in a real browser (OIDC Back-Channel Logout 1.0): one login serves the demo's Regular web
app and its SPA; signing out at the SPA signs the Regular web app out too, through the task worker."""
from __future__ import annotations

import time

import pytest

from .conftest import claims, log_in, shot

pytestmark = pytest.mark.browser


def test_signing_out_at_the_spa_signs_the_regular_app_out(page, demo):
    page.goto(demo.url + "/demo/regular/")
    page.click("#login")
    log_in(page)
    regular = claims(page, "#id-token-claims")
    page.goto(demo.url + "/demo/spa/")
    page.click("#login")  # the same login: no login form this time (the SPA may ask for consent)
    page.wait_for_selector("#tokens:not([hidden]), button[name=allow]")
    assert page.locator("input[name=password]").count() == 0
    if page.locator("button[name=allow]").count():
        page.click("button[name=allow]")
    page.wait_for_selector("#tokens:not([hidden])")
    spa = claims(page, "#id-token-claims")
    assert spa["sid"] == regular["sid"]  # one login session, two applications
    page.click("#spa-logout")
    page.wait_for_url(demo.url + "/demo/spa/")
    deadline = time.monotonic() + 30  # the worker polls every 0.2 s
    while True:
        page.goto(demo.url + "/demo/regular/")
        if page.locator("#id-token-claims").count() == 0:
            break
        assert time.monotonic() < deadline, "the Regular web app is still signed in:\n" + demo.log()[-3000:]
        time.sleep(0.5)
    assert page.locator("a[href='/demo/regular/login'], #login").count() >= 1  # it offers to log in again
    shot(page, "backchannel-regular-signed-out")
