"""Grants for what no longer exists: a refresh for a deleted API is a clean invalid_grant (RFC 6749 §5.2)."""
from __future__ import annotations

import pytest

from django_authflows.models import Api

from ..flows.conftest import spa_tokens  # noqa: F401  (the fixture)
from ..oauth import TOKEN_URL

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"


def test_refresh_after_its_api_was_deleted_is_invalid_grant(client, spa_tokens):  # noqa: F811
    app, first = spa_tokens()
    Api.objects.filter(identifier=AUD).delete()
    response = client.post(TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                       "client_id": app.client_id})
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.json()
