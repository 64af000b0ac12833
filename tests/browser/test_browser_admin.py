"""The admin as a person uses it: create a SPA and an m2m app, grant the API, rotate the secret, then use it."""
from __future__ import annotations

import pytest
import requests

from .conftest import shot

pytestmark = pytest.mark.browser
AUDIENCE = "https://api.example.test/"


def admin_log_in(page, demo):
    page.goto(demo.url + "/admin/")
    page.fill("#id_username", "admin")  # seeded by seed_demo, as `make demo` does
    page.fill("#id_password", "admin-password-123")
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def add_application(page, demo, name, app_type, *, screenshot=None):
    """Step one (name and type), then step two (the preset's form); returns the page after saving."""
    page.goto(demo.url + "/admin/authflows/application/")
    page.click(".object-tools a.addlink")
    page.fill("#id_name", name)
    page.check(f"input[name=app_type][value={app_type}]")
    if screenshot:
        shot(page, screenshot + "-type")
    page.click("input[type=submit][value=Continue]")
    page.wait_for_selector("#application_form")
    assert page.input_value("#id_name") == name
    return page


def test_admin_creates_apps_grants_the_api_and_rotates_the_secret(page, demo):
    page.set_viewport_size({"width": 1400, "height": 900})  # the admin's sidebar, list and filters side by side
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo.url)
    admin_log_in(page, demo)

    # A single-page app: only the grants a SPA may use are offered; the callback is validated.
    add_application(page, demo, "Browser SPA", "spa", screenshot="admin-app-add")
    offered = page.eval_on_selector_all("input[name=grants]", "els => els.map(e => e.value)")
    assert offered == ["authorization_code", "implicit", "refresh_token"]
    shot(page, "admin-app-add")
    page.fill("#id_callbacks", "http://shop.example.test/cb")
    page.click("input[name=_save]")
    assert "must use https" in page.inner_text(".field-callbacks .errorlist")
    shot(page, "admin-app-add-error")
    page.fill("#id_callbacks", "http://127.0.0.1:9/cb")
    page.fill("#id_origins", "http://127.0.0.1:9")
    page.click("input[name=_save]")
    page.wait_for_selector(".authflows-quickstart")
    assert "code_challenge_method=S256" in page.inner_text(".authflows-quickstart")
    assert page.inner_text("#quickstart-issuer") == demo.url + "/"
    spa_client_id = page.inner_text("#client-id")
    page.click("button[data-copy='#client-id']")
    page.wait_for_function("document.querySelector(\"button[data-copy='#client-id']\").textContent !== 'Copy'")
    assert page.evaluate("navigator.clipboard.readText()") == spa_client_id
    shot(page, "admin-app-change-spa")

    # A machine-to-machine app: its secret is shown once, right after it is created.
    add_application(page, demo, "Browser M2M", "m2m")
    page.click("input[name=_save]")
    page.wait_for_selector("#client-secret")
    client_id = page.inner_text("#client-id")
    first_secret = page.inner_text("#client-secret")
    page.reload()
    assert page.locator("#client-secret").count() == 0 and page.locator("#client-secret-gone").count() == 1
    page.click("text=Continue to the application")
    page.wait_for_selector(".authflows-quickstart")
    assert first_secret not in page.content()
    shot(page, "admin-app-change-m2m")

    # The seeded API: give the new m2m app read:messages.
    page.goto(demo.url + "/admin/authflows/api/")
    shot(page, "admin-api-list")
    page.click("text=Example API")
    page.wait_for_selector("#api_form")
    row = page.locator("tr.form-row:not(.has_original):not(.empty-form)").first
    row.locator("select").select_option(label="Browser M2M")
    row.locator("input[type=checkbox][value='read:messages']").check()
    shot(page, "admin-api-change")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    # Rotate the m2m app's secret: a confirmation page, then the new secret, once.
    page.goto(demo.url + f"/admin/authflows/application/?q={client_id}")
    page.click("text=Browser M2M")
    page.click("a.authflows-rotate")
    page.wait_for_selector("text=Yes, rotate the secret")
    shot(page, "admin-rotate-confirm")
    page.click("input[type=submit][value='Yes, rotate the secret']")
    page.wait_for_selector("#client-secret")
    secret = page.inner_text("#client-secret")
    assert secret != first_secret
    shot(page, "admin-app-secret")

    # The new secret works for client credentials, the old one no longer does.
    token_url = demo.url + "/oauth/token"
    data = {"grant_type": "client_credentials", "audience": AUDIENCE}
    assert requests.post(token_url, data=data, auth=(client_id, first_secret), timeout=10).status_code == 401
    response = requests.post(token_url, data=data, auth=(client_id, secret), timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"].split() == ["read:messages"]
    api = requests.get(demo.url + "/api/private-scoped", timeout=10,
                       headers={"Authorization": f"Bearer {body['access_token']}"})
    assert api.status_code == 200, api.text

    # The application list and the signing keys (a key exists now that a token was signed).
    page.goto(demo.url + "/admin/authflows/application/")
    assert page.locator(f"text={client_id}").count() == 1
    shot(page, "admin-apps-list")
    page.goto(demo.url + "/admin/authflows/signingkey/")
    assert page.locator("#result_list tbody tr").count() >= 1
    assert "PRIVATE KEY" not in page.content()
    shot(page, "admin-keys-list")


def test_admin_works_without_javascript(browser, demo):
    """Copy buttons stay hidden (the values are plain text), and every form and confirmation still works."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        admin_log_in(page, demo)
        page.goto(demo.url + "/admin/authflows/application/?q=demo-m2m")
        page.click("text=Demo Machine to Machine")
        page.wait_for_selector("#client-id")
        assert page.inner_text("#client-id") == "demo-m2m"
        assert not page.is_visible("button[data-copy='#client-id']")
        page.click("a.authflows-rotate")
        page.click("input[type=submit][value='Yes, rotate the secret']")
        secret = page.inner_text("#client-secret")
        token = requests.post(demo.url + "/oauth/token", auth=("demo-m2m", secret), timeout=10,
                              data={"grant_type": "client_credentials", "audience": AUDIENCE})
        assert token.status_code == 200, token.text
    finally:
        context.close()
