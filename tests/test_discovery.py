"""Discovery (OIDC Discovery §3, RFC 8414) and the published key set."""
from __future__ import annotations

import pytest

from django_authflows.server import keys

from .oauth import ISSUER

pytestmark = pytest.mark.django_db


def test_discovery_advertises_every_endpoint(client):
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == ISSUER + "authorize"
    assert doc["token_endpoint"] == ISSUER + "oauth/token"
    assert doc["userinfo_endpoint"] == ISSUER + "userinfo"
    assert doc["jwks_uri"] == ISSUER + ".well-known/jwks.json"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post",
                                                           "private_key_jwt", "none"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256", "PS256"]  # PS256: FAPI 2.0 applications
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert "password" not in doc["grant_types_supported"]
    assert "token" not in doc["response_types_supported"]  # implicit is off in the test settings


def test_discovery_lists_implicit_when_enabled(client, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "FLOWS": ["authorization_code", "implicit"]}
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["response_types_supported"] == ["code", "token", "id_token", "id_token token"]


def test_issuer_derived_from_the_request_keeps_the_trailing_slash(client, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "ISSUER": None}
    doc = client.get("/.well-known/openid-configuration", HTTP_HOST="127.0.0.1").json()
    assert doc["issuer"] == "http://127.0.0.1/"


def test_jwks_publishes_public_keys_only(client):
    body = client.get("/.well-known/jwks.json").json()
    assert len(body["keys"]) == 2  # the active key and the next one, published before it signs
    for key in body["keys"]:
        assert {"kid", "alg", "use", "kty", "n", "e"} <= set(key)
        assert key["alg"] == "RS256" and key["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_private_keys_are_encrypted_at_rest(client):
    client.get("/.well-known/jwks.json")
    records = list(keys.SigningKey.objects.all())
    assert sorted(r.state for r in records) == ["active", "next"]
    assert all("PRIVATE KEY" not in r.private_key for r in records)


def test_rotation_promotes_the_published_next_key(client):
    client.get("/.well-known/jwks.json")
    first = keys.active_key()[0]
    nxt = keys.SigningKey.objects.get(state="next")
    keys.rotate()
    assert keys.active_key()[0] == nxt.kid
    newest = keys.SigningKey.objects.get(state="next")
    kids = {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
    assert kids == {first, nxt.kid, newest.kid}  # retired (still has live tokens), active, next


@pytest.mark.parametrize("path", ["/.well-known/jwks.json", "/.well-known/openid-configuration"])
def test_etag_and_304_not_modified(client, path):
    first = client.get(path)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    assert client.get(path)["ETag"] == etag  # the same bytes, the same tag
    for asked in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get(path, HTTP_IF_NONE_MATCH=asked)
        assert again.status_code == 304 and again.content == b"", asked
        assert again["ETag"] == etag and again["Cache-Control"] == "public, max-age=300"
    for asked in ('"other"', etag[:-2] + '"', "", "W/", "," * 10_000 + etag):
        answer = client.get(path, HTTP_IF_NONE_MATCH=asked)
        assert answer.status_code == 200 and answer.json(), asked


def test_the_jwks_etag_changes_with_the_key_set(client):
    before = client.get("/.well-known/jwks.json")["ETag"]
    keys.rotate()
    after = client.get("/.well-known/jwks.json", HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200 and after["ETag"] != before
    assert client.get("/.well-known/jwks.json", HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304
