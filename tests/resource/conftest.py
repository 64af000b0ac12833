from __future__ import annotations

import base64

import pytest

from django_authflows.apis import create_client_grant

AUD = "https://api.example.test/"


@pytest.fixture
def m2m_token(client, make_client, make_api):
    """``m2m_token(scopes=[...], audience=AUD)`` -> a real client-credentials access token."""
    apis = {}

    def get(scopes=("read:messages",), audience=AUD):
        if audience not in apis:
            apis[audience] = make_api(audience)
        app = make_client("m2m")
        create_client_grant(app, apis[audience], list(scopes))
        auth = "Basic " + base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()
        body = client.post("/oauth/token", {"grant_type": "client_credentials", "audience": audience},
                           HTTP_AUTHORIZATION=auth).json()
        return body["access_token"]

    return get
