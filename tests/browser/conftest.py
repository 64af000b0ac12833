"""Playwright driving Debian's chromium (Playwright's own browser download cannot work here)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..live import LiveServer

from ..conftest import ARGS, CHROMIUM  # noqa: F401 (the session's `browser` fixture is tests/conftest.py's)
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="module")
def demo():
    """The example project exactly as `make demo` serves it: migrated, seeded, on a free port."""
    with LiveServer(worker=True) as live:
        yield live


@pytest.fixture
def page(browser, demo):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def claims(page, selector: str) -> dict:
    return json.loads(page.inner_text(selector))


def log_in(page, username="demo", password="demo-password-123", approve=True):
    """What a person does on our pages: the login form, then Allow (or Deny) if asked."""
    page.wait_for_selector("input[name=username]")
    assert page.get_attribute("label[for=id_username]", "for") == "id_username"
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    if page.locator("button[name=allow]").count():
        page.click("button[name=allow]" if approve else "button[name=deny]")
        page.wait_for_load_state()
