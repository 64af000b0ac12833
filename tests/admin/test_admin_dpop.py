"""The "require DPoP" switch of an application (RFC 9449 §5.2) in the admin and the CLI."""
from __future__ import annotations

import json
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command

from django_authflows.models import Application

from .test_admin_applications import change_url, form_errors

pytestmark = pytest.mark.django_db


def test_admin_checkbox(admin_client, make_client):
    app = make_client("m2m")
    page = admin_client.get(change_url(app))
    assert b'name="require_dpop"' in page.content
    response = admin_client.post(change_url(app), {"name": app.name, "grants": ["client_credentials"],
                                                   "first_party": "on", "require_dpop": "on"})
    assert response.status_code == HTTPStatus.FOUND, form_errors(response)
    assert Application.objects.get(pk=app.pk).require_dpop
    admin_client.post(change_url(app), {"name": app.name, "grants": ["client_credentials"], "first_party": "on"})
    assert not Application.objects.get(pk=app.pk).require_dpop


def test_cli_flag():
    out = StringIO()
    call_command("authflows", "apps", "create", "--name", "Bound", "--type", "spa",
                 "--callbacks", "https://spa.example.test/cb", "--require-dpop", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["require_dpop"] is True
    assert Application.objects.get(client_id=payload["client_id"]).require_dpop
    out = StringIO()
    call_command("authflows", "apps", "create", "--name", "Plain", "--type", "m2m", "--json", stdout=out)
    assert json.loads(out.getvalue())["require_dpop"] is False
