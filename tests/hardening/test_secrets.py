"""Client secrets: >= 256 bits, a fast keyed hash at rest, constant-time checks, DOT hashes upgraded."""
from __future__ import annotations

import base64

import pytest
from django.contrib.auth.hashers import make_password

from django_authflows import hashing
from django_authflows.models import Application

pytestmark = pytest.mark.django_db


def cc(client, client_id, secret):
    auth = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return client.post("/oauth/token", {"grant_type": "client_credentials", "audience": "https://api.example.test/"},
                       HTTP_AUTHORIZATION=auth)


def test_generated_secrets_have_at_least_256_bits():
    secret = hashing.generate_client_secret()
    assert len(base64.urlsafe_b64decode(secret + "==")) * 8 >= 256


def test_dot_hashed_secret_still_verifies_and_is_upgraded(client, make_client, make_api):
    from django_authflows.apis import create_client_grant

    api = make_api()
    app = make_client("m2m")
    create_client_grant(app, api, ["read:messages"])
    legacy = "legacy-secret-from-dot-" + "x" * 40
    Application.objects.filter(pk=app.pk).update(client_secret=make_password(legacy))  # DOT's PBKDF2
    assert cc(client, app.client_id, legacy).status_code == 200
    stored = Application.objects.get(pk=app.pk).client_secret
    assert stored.startswith(hashing.PREFIX)
    assert cc(client, app.client_id, legacy).status_code == 200
    assert cc(client, app.client_id, "wrong").status_code == 401


def test_plaintext_secret_from_dot_is_upgraded(client, make_client, make_api):
    app = make_client("m2m")
    Application.objects.filter(pk=app.pk).update(client_secret="plain-text-secret")
    assert hashing.verify_client_secret("plain-text-secret", "plain-text-secret") == (True, True)
    cc(client, app.client_id, "plain-text-secret")
    assert Application.objects.get(pk=app.pk).client_secret.startswith(hashing.PREFIX)


def test_secret_key_rotation_keeps_secrets_valid(settings):
    stored = hashing.hash_client_secret("s3cret")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "y" * 40, [settings.SECRET_KEY]
    assert hashing.verify_client_secret("s3cret", stored) == (True, True)
