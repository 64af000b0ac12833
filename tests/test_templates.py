"""Every page template renders with the context its view documents, extends authflows/base.html, and
labels its inputs."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template.loader import get_template, render_to_string
from django.test import RequestFactory

TEMPLATES = Path(__file__).resolve().parent.parent / "django_authflows" / "templates" / "authflows"
app = SimpleNamespace(name="Acme", client_id="abc")
api = SimpleNamespace(name="Msgs", identifier="https://api.example.test/")
CONTEXTS = {
    "login.html": {"form": SimpleNamespace(errors=None, username=SimpleNamespace(value=lambda: "")), "next": "/"},
    "consent.html": {"application": app, "api": api, "scopes": [("openid", "Know who you are")],
                     "user": SimpleNamespace(get_username=lambda: "alice"), "form_action": "/authorize?x=1"},
    "error.html": {"error": "invalid_request", "description": "Bad."},
    "form_post.html": {"redirect_uri": "https://client.example.test/cb", "params": [("code", "c"), ("state", "s")]},
    "logged_out.html": {"refused_url": None, "error": None},
    "locked.html": {"retry_after": 30},
    "authorized_apps.html": {"consents": [], "entries": [], "sessions": []},
    "device/code_entry.html": {"user_code": "BCDF-GHJK", "error": "unknown"},
    "device/confirm.html": {"application": app, "api": api, "scopes": [("openid", "Know who you are")],
                            "user_code": "BCDF-GHJK", "qr": "<svg></svg>", "grant": None},
    "device/done.html": {"outcome": "too_many", "retry_after": 10},
}


def test_every_template_is_covered():
    found = {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")} - {"base.html"}
    assert found == set(CONTEXTS)


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_renders_and_extends_base(name, rf=RequestFactory()):
    request = rf.get("/")
    request.user = SimpleNamespace(is_authenticated=False)
    html = render_to_string(f"authflows/{name}", CONTEXTS[name], request=request)
    assert "<main" in html and "authflows.css" in html
    source = Path(get_template(f"authflows/{name}").origin.name).read_text()
    assert source.startswith('{% extends "authflows/base.html" %}')
    for match in re.finditer(r'<input[^>]*type="(?:text|password)"[^>]*\sid="([^"]+)"', html):
        assert f'for="{match.group(1)}"' in html, (name, match.group(1))
    if "<form" in html and 'method="post"' in html and name != "form_post.html":
        assert "csrfmiddlewaretoken" in html
