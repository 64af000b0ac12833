"""A newcomer's first hour on a port that is not 8000 (issue 19): every flow, the commands the home page prints
(copied from the page and run as printed), the account page, logout and the admin's M2M creation; each page
screenshotted at 1280 px and at a phone's 390 px into tests/artifacts/, and checked by axe-core."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time

import pytest
import requests

from ..live import ROOT
from .conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": 1280, "phone": 390}
AUDIENCE = "https://api.example.test/"
# An admin list whose columns all show at 1280 px (none cut off behind a horizontal scroll).

FITS = "(() => { const r = document.querySelector('.results'); return r.scrollWidth <= r.clientWidth; })()"


class Visit:
    """Screenshots at both widths and an axe-core run (no serious or critical violation) for each page."""

    def __init__(self, page):
        from axe_playwright_python.sync_playwright import Axe

        self.page, self.axe, self.seen, self.problems = page, Axe(), [], []

    def __call__(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()
        ARTIFACTS.mkdir(exist_ok=True)
        for label, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(ARTIFACTS / f"newcomer-{name}-{label}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 1:
                self.problems.append(f"{name} at {width} px scrolls sideways by {overflow} px")
        page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
        results = self.axe.run(page)
        for violation in results.response["violations"]:
            if violation["impact"] in {"serious", "critical"}:
                targets = [n["target"] for n in violation["nodes"]][:3]
                self.problems.append(f"{name}: axe {violation['id']} ({violation['impact']}) at {targets}")
        self.seen.append(name)


def command_argv(text: str) -> list[str]:
    """The page's command as typed in the project's folder; `.venv/bin/python` is this test's interpreter."""
    argv = shlex.split(text)
    assert argv[0] == ".venv/bin/python" and argv[1] == "manage.py", argv
    return [sys.executable, *argv[1:]]


def terminal_env(demo) -> dict[str, str]:
    """A second terminal: the demo's database and settings, but not the server's AUTHFLOWS_ISSUER."""
    env = {k: v for k, v in demo.env.items() if k != "AUTHFLOWS_ISSUER"}
    return env


def test_newcomer_walk_through(browser, demo):
    assert not demo.url.endswith(":8000")
    context = browser.new_context(viewport={"width": WIDTHS["desktop"], "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    visit = Visit(page)
    started = time.monotonic()

    # Home: the commands name this server, whole, with a copy button.
    page.goto(demo.url + "/")
    visit("home")
    m2m_command = page.inner_text("#command-m2m")
    fapi_command = page.inner_text("#command-fapi")
    device_command = page.inner_text("#command-device")
    assert f"--base-url {demo.url}" in m2m_command and f"--base-url {demo.url}" in device_command
    assert page.is_visible("button[data-copy-target=command-m2m]")
    box = page.locator("#command-m2m").bounding_box()
    assert box is not None and box["width"] <= WIDTHS["desktop"]

    # Regular web app: the login page names the application; Call the API lands on its answer.
    page.click("text=Try it: Authorization Code")
    page.click("#login")
    page.wait_for_selector("input[name=username]")
    assert "Demo Regular Web App" in page.inner_text("#login-for")
    visit("login")
    log_in(page)
    page.wait_for_selector("#id-token-claims")
    visit("regular-logged-in")
    page.click("#call-api")
    page.wait_for_selector("#api-result")
    assert page.url.endswith("#api")
    assert page.evaluate("(() => { const r = document.getElementById('api-result-heading').getBoundingClientRect();"
                         " return r.top >= 0 && r.bottom <= window.innerHeight; })()")
    assert json.loads(page.inner_text("#api-result"))["status"] == 200
    visit("regular-api-result")
    assert "may go through without asking for your password" in page.inner_text("#forget-note")

    # Single-page app (PKCE) and implicit: already logged in, so no password is asked.
    page.goto(demo.url + "/demo/spa/")
    page.click("#login")
    page.wait_for_load_state()
    if page.locator("button[name=allow]").count():
        visit("consent")
        page.click("button[name=allow]")
    page.wait_for_selector("#id-token-claims", state="visible")
    visit("spa-logged-in")
    page.goto(demo.url + "/demo/implicit/")
    page.click("#login")
    page.wait_for_load_state()
    if page.locator("button[name=allow]").count():
        page.click("button[name=allow]")
    page.wait_for_selector("#id-token-claims")
    page.click("#call-api")
    page.wait_for_selector("#api-result")
    visit("implicit-api-result")

    # Machine to machine: the home page's command, as printed, in a terminal without AUTHFLOWS_ISSUER.
    result = subprocess.run(command_argv(m2m_command) + ["--json"], cwd=ROOT, env=terminal_env(demo),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["api"]["status"] == 200

    # FAPI 2.0 (private_key_jwt + DPoP): the home page's command, with the key seed_demo wrote.
    result = subprocess.run(command_argv(fapi_command), cwd=ROOT, env=terminal_env(demo),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Token type:  DPoP" in result.stdout and "API with Authorization: DPoP + a proof: 200" in result.stdout
    assert "Same token as a plain Bearer token: 401" in result.stdout

    # Device: the home page's command shows a code; this browser enters it and approves.
    device = subprocess.Popen(command_argv(device_command), cwd=ROOT, env=terminal_env(demo),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        shown = ""
        while "enter the code" not in shown or not re.search(r"\n\s+([A-Z]{4}-[A-Z]{4})\n", shown):
            line = device.stdout.readline()
            assert line, device.stderr.read()
            shown += line
        user_code = re.search(r"\n\s+([A-Z]{4}-[A-Z]{4})\n", shown).group(1)
        page.goto(demo.url + "/activate")
        page.fill("input[name=user_code]", user_code)
        visit("device-code-entry")
        page.click("form button[type=submit]")
        page.wait_for_selector("#user-code")
        page.click("details.phone summary")
        visit("device-confirm")
        page.click("button[name=allow]")
        page.wait_for_selector("#another-code")
        visit("device-approved")
        out, err = device.communicate(timeout=60)
    finally:
        if device.poll() is None:
            device.kill()
    assert device.returncode == 0, err
    assert '"status": 200' in out

    # The account page: the apps just authorized, each revocable after a confirmation.
    page.goto(demo.url + "/")
    page.click("#nav-account")
    page.wait_for_selector("ul.apps")
    assert "Demo Regular Web App" in page.inner_text("ul.apps")
    page.click("ul.apps details.confirm summary >> nth=0")
    visit("account")

    # Logout: a real one (/v2/logout), from the demo's navigation, back to the home page, logged out.
    page.click("text=Home")
    page.click("#nav-logout")
    page.wait_for_selector("#nav-login")
    assert page.url.rstrip("/") == demo.url
    visit("logged-out-home")

    # The admin: a Machine-to-Machine application with its API access, then a token for it.
    page.goto(demo.url + "/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-password-123")
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    visit("admin-index")
    page.goto(demo.url + "/admin/authflows/application/add/")
    page.click("input[type=submit][value=Continue]")
    page.wait_for_selector(".errornote")
    assert "Give the application a name" in page.inner_text(".errornote")
    visit("admin-add-empty")
    page.fill("#id_name", "Nightly report")
    page.check("input[name=app_type][value=m2m]")
    page.click("input[type=submit][value=Continue]")
    page.wait_for_selector("#id_api")
    page.select_option("#id_api", index=1)
    assert "Example API" in page.inner_text("#id_api option:checked")
    page.check("input[name=api_scopes] >> nth=0")
    visit("admin-add-m2m")
    page.click("input[name=_save]")
    page.wait_for_selector("#client-secret")
    client_id, secret = page.inner_text("#client-id"), page.inner_text("#client-secret")
    page.click("text=Continue to the application")
    page.wait_for_selector(".authflows-quickstart")
    assert "Example API" in page.inner_text(".authflows-quickstart")
    visit("admin-m2m-change")
    token = requests.post(demo.url + "/oauth/token", auth=(client_id, secret), timeout=10,
                          data={"grant_type": "client_credentials", "audience": AUDIENCE})
    assert token.status_code == 200, token.text
    page.goto(demo.url + "/admin/oauth2_provider/grant/")
    visit("admin-codes")
    assert ">used</td>" in page.content() and page.evaluate(FITS)
    page.goto(demo.url + "/admin/authflows/signingkey/")
    visit("admin-keys")
    assert page.evaluate(FITS)
    context.close()

    assert not errors, errors
    assert not visit.problems, "\n".join(visit.problems)
    assert time.monotonic() - started < 120
    assert os.path.exists(ARTIFACTS / "newcomer-home-phone.png")


def test_pages_load_without_a_failed_request(browser, demo):
    """Nothing our pages ask for fails: a 404 for /favicon.ico (which a browser asks for when a page names no
    icon) shows up as an error in every visitor's console. The demo's pages, the server's login page and the
    admin's (which names no icon: /favicon.ico leads to the package's icon)."""
    context = browser.new_context()
    page = context.new_page()
    failures: list[str] = []
    page.on("console", lambda message: message.type == "error" and failures.append(message.text))
    page.on("requestfailed", lambda request: failures.append(f"failed {request.url}"))
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    for path in ("/", "/demo/regular/", "/demo/spa/", "/login", "/admin/login/"):
        page.goto(demo.url + path)
        page.wait_for_load_state("networkidle")
    assert not failures, failures
    icon = page.request.get(demo.url + "/favicon.ico")
    assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml"), icon.headers
    context.close()
