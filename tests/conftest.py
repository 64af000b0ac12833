"""Fixtures: factories for users, applications and logged-in authorization requests."""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlencode

import pytest
from django.core.cache import cache

from django_authflows import applications, presets, ratelimit, registry, single_use
from django_authflows.apis import create_api
from django_authflows.resource.bearer import verified
from django_authflows.revocation import local_denylist
from django_authflows.resource.keys import key_cache
from django_authflows.server import keys as server_keys

from .oauth import AUTHORIZE_URL

#: Debian's chromium, which Playwright drives (Playwright's own browser download cannot work here).
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session: Playwright's sync API runs an event loop in the thread that starts it,
    so a second ``sync_playwright()`` in the main thread (another directory's fixture) would fail."""
    import os

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(autouse=True)
def _fresh_state() -> Any:
    cache.clear()
    ratelimit.clear()
    single_use.clear()
    registry.registry.clear()
    registry._local.dirty = False
    key_cache.clear()
    verified.clear()
    local_denylist.clear()
    server_keys.forget_cached_keys()
    yield
    key_cache.clear()
    verified.clear()
    local_denylist.clear()
    server_keys.forget_cached_keys()


@pytest.fixture
def password() -> str:
    return "correct horse battery staple"


@pytest.fixture
def user(django_user_model: Any, password: str) -> Any:
    return django_user_model.objects.create_user(
        "alice", "alice@example.test", password, first_name="Alice", last_name="Liddell")


@pytest.fixture
def logged_in(client: Any, user: Any, password: str) -> Any:
    """The test client with a logged-in session (``user_logged_in`` fires, so auth_time and sid are set;
    tests/flows/test_login.py covers the login page itself)."""
    client.force_login(user)
    return client


@pytest.fixture
def make_client(db: Any) -> Callable[..., Any]:
    """``make_client("regular", grants=[...], callbacks=[...])`` -> application with ``.secret``."""
    counter = iter(range(1000))

    def factory(app_type: str = "regular", **kwargs: Any) -> Any:
        kwargs.setdefault("name", f"{app_type} app {next(counter)}")
        if app_type != presets.M2M:
            kwargs.setdefault("callbacks", ["https://client.example.test/callback"])
        app, secret = applications.create_application(app_type, **kwargs)
        app.secret = secret
        return app

    return factory


@pytest.fixture
def make_api(db: Any) -> Callable[..., Any]:
    def factory(identifier: str = "https://api.example.test/", **kwargs: Any) -> Any:
        kwargs.setdefault("name", "Example API")
        kwargs.setdefault("scopes", "read:messages,write:messages")
        return create_api(identifier=identifier, **kwargs)

    return factory


@pytest.fixture
def authorize(logged_in: Any) -> Callable[..., Any]:
    """GET /authorize with the given params, approving consent if asked; returns the final response."""

    def go(app: Any, *, approve: bool = True, **params: Any) -> Any:
        params.setdefault("response_type", "code")
        params.setdefault("client_id", app.client_id)
        params.setdefault("redirect_uri", app.redirect_uri_list[0])
        params.setdefault("scope", "openid profile email")
        params.setdefault("state", "state-123")
        url = f"{AUTHORIZE_URL}?{urlencode(params)}"
        response = logged_in.get(url)
        if response.status_code == 200 and b'name="allow"' in response.content:
            response = logged_in.post(url, {"allow" if approve else "deny": "1"})
        return response

    return go
