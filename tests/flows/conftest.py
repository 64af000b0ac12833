"""Fixtures shared by the flow tests."""
from __future__ import annotations

import pytest

from ..oauth import TOKEN_URL, pkce_pair, query

AUD = "https://api.example.test/"


@pytest.fixture
def spa_tokens(client, authorize, make_client, make_api):
    """A public SPA's first token response (code + PKCE, with offline_access and the API)."""
    from django_authflows.models import Api

    if not Api.objects.filter(identifier=AUD).exists():
        make_api()

    def get(app=None, scope="openid profile offline_access read:messages"):
        app = app or make_client("spa", origins=["https://spa.example.test"])
        verifier, challenge = pkce_pair()
        code = query(authorize(app, scope=scope, audience=AUD, code_challenge=challenge,
                               code_challenge_method="S256")["Location"])["code"]
        body = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                                       "redirect_uri": app.redirect_uri_list[0], "code_verifier": verifier}).json()
        return app, body

    return get


