"""Admin fixtures: a superuser client, staff clients with chosen permissions, and real tokens to revoke."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from django.contrib.auth.models import Permission
from django.contrib.admin.models import LogEntry
from django.test import Client

from ..oauth import TOKEN_URL, pkce_pair, query

AUD = "https://api.example.test/"


@pytest.fixture
def staff_client(db: Any, django_user_model: Any) -> Callable[..., Client]:
    """``staff_client("view_application", ...)``: a logged-in staff user holding only those permissions."""
    counter = iter(range(100))

    def make(*codenames: str) -> Client:
        user = django_user_model.objects.create_user(f"staff{next(counter)}", password="x-unused-password",
                                                     is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def log_messages(db: Any) -> Callable[[Any], list[str]]:
    """The admin log's change messages for one object, oldest first."""

    def read(obj: Any) -> list[str]:
        entries = LogEntry.objects.filter(object_id=str(obj.pk)).order_by("action_time")
        return [e.get_change_message() or e.get_action_flag_display() for e in entries
                if e.content_type.model_class() is type(obj)]

    return read


@pytest.fixture
def spa_session(client: Any, authorize: Any, make_client: Any, make_api: Any) -> Callable[..., Any]:
    """Alice signs in to an SPA (code + PKCE, offline_access, the API): consent, tokens and a family."""
    from django_authflows.models import Api

    def get(app: Any = None) -> tuple[Any, dict[str, Any]]:
        if not Api.objects.filter(identifier=AUD).exists():
            make_api()
        app = app or make_client("spa")
        verifier, challenge = pkce_pair()
        code = query(authorize(app, scope="openid profile offline_access read:messages", audience=AUD,
                               code_challenge=challenge, code_challenge_method="S256")["Location"])["code"]
        body = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                                       "redirect_uri": app.redirect_uri_list[0], "code_verifier": verifier}).json()
        assert "refresh_token" in body, body
        return app, body

    return get


def action(client: Client, url: str, name: str, objects: list[Any], confirm: bool) -> Any:
    """Run an admin action the way the changelist does; ``confirm`` also presses "Yes, I'm sure"."""
    data: dict[str, Any] = {"action": name, "_selected_action": [str(o.pk) for o in objects]}
    if confirm:
        data["post"] = "yes"
    else:
        data["index"] = "0"
    return client.post(url, data)
