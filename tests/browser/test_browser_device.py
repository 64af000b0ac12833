"""Device flow on the real pages: approve and deny, via verification_uri_complete and by typing the code."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from ..live import ROOT
from .conftest import log_in, shot

pytestmark = pytest.mark.browser
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def start(demo, scope="openid profile offline_access read:messages"):
    response = requests.post(demo.url + "/oauth/device/code", data={"client_id": "demo-device", "scope": scope,
                                                                     "audience": "https://api.example.test/"},
                             timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def poll(demo, device_code):
    return requests.post(demo.url + "/oauth/token", data={"grant_type": DEVICE_GRANT, "client_id": "demo-device",
                                                           "device_code": device_code}, timeout=10).json()


def test_approve_through_verification_uri_complete(page, demo):
    started = start(demo)
    page.goto(started["verification_uri_complete"])
    log_in(page)
    assert page.input_value("input[name=user_code]") == started["user_code"]
    shot(page, "device-code-entry")
    page.click("form button[type=submit]")
    page.wait_for_selector("#user-code")
    assert page.inner_text("#user-code") == started["user_code"]
    assert "Demo Device" in page.inner_text("main") or "device" in page.inner_text("main").lower()
    shot(page, "device-confirm")
    page.click("button[name=allow]")
    page.wait_for_selector("text=Your device is connected")
    shot(page, "device-approved")
    tokens = poll(demo, started["device_code"])
    assert "access_token" in tokens and "refresh_token" in tokens and "id_token" in tokens
    api = requests.get(demo.url + "/api/private-scoped", headers={"Authorization": f"Bearer {tokens['access_token']}"},
                       timeout=10)
    assert api.status_code == 200


def test_deny_by_typing_the_code(page, demo):
    started = start(demo)
    page.goto(demo.url + "/activate")
    log_in(page)
    page.fill("input[name=user_code]", started["user_code"].lower().replace("-", ""))
    page.click("form button[type=submit]")
    page.click("button[name=deny]")
    page.wait_for_selector("text=Request denied")
    assert poll(demo, started["device_code"])["error"] == "access_denied"


def test_unknown_code_then_too_many(page, demo):
    page.goto(demo.url + "/activate")
    log_in(page)
    page.fill("input[name=user_code]", "BBBB-BBBB")
    page.click("form button[type=submit]")
    page.wait_for_selector("[role=alert]")
    assert "not valid" in page.inner_text("[role=alert]")
    assert page.get_attribute("input[name=user_code]", "aria-invalid") == "true"
    shot(page, "device-unknown-code")


def test_demo_device_command_against_a_live_server(browser, demo):
    """`manage.py authflows demo device` acts as the device; a person approves in the browser."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "authflows", "demo", "device", "--client-id", "demo-device",
         "--base-url", demo.url, "--json"], cwd=ROOT, env=demo.env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        user_code, uri = None, None
        lines = []
        while user_code is None:
            line = process.stderr.readline()
            assert line, "the command ended early: " + "".join(lines) + process.stdout.read()
            lines.append(line)
            text = line.strip()
            if text.startswith(demo.url + "/activate") and "?" not in text:
                uri = text
            elif len(text) == 9 and text[4] == "-":
                user_code = text
        assert uri == demo.url + "/activate"
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{uri}?user_code={user_code}")
        log_in(page)
        page.click("form button[type=submit]")
        page.click("button[name=allow]")
        page.wait_for_selector("text=Your device is connected")
        context.close()
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "▀" in err or "▄" in err  # the QR code of verification_uri_complete, in the terminal
    result = json.loads(out)
    assert result["api"]["status"] == 200
    assert result["access_token_claims"]["client_id"] == "demo-device"
    assert result["id_token_claims"]["aud"] == "demo-device"
    assert result["refresh_token_issued"] is True
