"""People, applications, APIs and keys that are gone lose access at once (issue 14, item 5)."""
from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.management import call_command

from django_authflows import presets, registry
from django_authflows.apis import create_client_grant
from django_authflows.models import Api, Application

from .. import oauth
from ..oauth import TOKEN_URL, pkce_pair, query
from .test_device import approve, poll, ready, start
from .test_refresh import INVALID, refresh

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"


def basic(app):
    return oauth.basic(app.client_id, app.secret)


def api_call(client, token):
    return client.get("/api/private-scoped", HTTP_AUTHORIZATION=f"Bearer {token}")


def deactivate(user):
    user.is_active = False
    user.save()


@pytest.fixture
def m2m(make_client, make_api):
    def get():
        api = Api.objects.filter(identifier=AUD).first() or make_api()
        app = make_client(presets.M2M)
        create_client_grant(app, api, ["read:messages"])
        return app
    return get


def cc(client, app, audience=AUD):
    return client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": audience},
                       HTTP_AUTHORIZATION=basic(app))


# -- users ------------------------------------------------------------------------------------------
def test_a_deactivated_user_can_no_longer_refresh_and_their_access_tokens_are_denied(client, spa_tokens, user):
    app, first = spa_tokens()
    assert api_call(client, first["access_token"]).status_code == HTTPStatus.OK
    deactivate(user)
    assert api_call(client, first["access_token"]).status_code == HTTPStatus.UNAUTHORIZED
    answer = refresh(client, app, first["refresh_token"])
    assert answer.status_code == HTTPStatus.BAD_REQUEST and answer.json() == INVALID


def test_a_user_deactivated_around_the_orm_is_refused_at_redemption(client, spa_tokens, user, django_user_model):
    app, first = spa_tokens()
    django_user_model.objects.filter(pk=user.pk).update(is_active=False)  # no signal: the redemption checks
    assert refresh(client, app, first["refresh_token"]).json() == INVALID
    django_user_model.objects.filter(pk=user.pk).update(is_active=True)
    assert refresh(client, app, first["refresh_token"]).status_code == HTTPStatus.OK  # not spent by the refusal


def test_saving_an_active_user_revokes_nothing(client, spa_tokens, user):
    app, first = spa_tokens()
    user.first_name = "Changed"
    user.save()
    assert api_call(client, first["access_token"]).status_code == HTTPStatus.OK
    assert refresh(client, app, first["refresh_token"]).status_code == HTTPStatus.OK


def test_a_deactivated_users_code_is_refused(client, authorize, make_client, make_api, user):
    make_api()
    app = make_client("spa")
    verifier, challenge = pkce_pair()
    code = query(authorize(app, audience=AUD, code_challenge=challenge, code_challenge_method="S256")
                 ["Location"])["code"]
    deactivate(user)
    answer = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                                     "redirect_uri": app.redirect_uri_list[0], "code_verifier": verifier})
    assert answer.status_code == HTTPStatus.BAD_REQUEST and answer.json()["error"] == "invalid_grant"


def test_a_deactivated_users_device_grant_is_refused(client, logged_in, make_client, user):
    device = make_client("native", grants=["device_code", "refresh_token"], callbacks=[])
    body = start(client, device)
    assert approve(logged_in, body["user_code"]).status_code == HTTPStatus.OK
    deactivate(user)
    ready(body["device_code"])
    answer = poll(client, device, body["device_code"])
    assert answer.status_code == HTTPStatus.BAD_REQUEST and answer.json()["error"] == "invalid_grant"


def test_a_deleted_users_tokens_are_denied(client, spa_tokens, user):
    app, first = spa_tokens()
    user.delete()
    assert api_call(client, first["access_token"]).status_code == HTTPStatus.UNAUTHORIZED
    assert refresh(client, app, first["refresh_token"]).json() == INVALID


# -- applications -----------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["instance", "queryset", "cli"])
def test_a_deleted_applications_access_tokens_are_denied_at_once(client, m2m, how):
    app, other = m2m(), m2m()
    token, kept = cc(client, app).json()["access_token"], cc(client, other).json()["access_token"]
    assert api_call(client, token).status_code == HTTPStatus.OK
    if how == "instance":
        Application.objects.get(pk=app.pk).delete()
    elif how == "queryset":
        Application.objects.filter(pk=app.pk).delete()
    else:
        call_command("authflows", "apps", "delete", app.client_id)
    refused = api_call(client, token)
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused.json()["error_description"] == "The access token has been revoked."
    assert api_call(client, kept).status_code == HTTPStatus.OK
    assert cc(client, app).status_code == HTTPStatus.UNAUTHORIZED


# -- APIs -------------------------------------------------------------------------------------------
def test_no_token_for_a_deleted_api_from_any_grant(client, m2m, spa_tokens, authorize, make_client):
    machine = m2m()
    spa, first = spa_tokens()
    web = make_client("regular")
    code = query(authorize(web, audience=AUD, scope="openid read:messages")["Location"])["code"]
    Api.objects.get(identifier=AUD).delete()

    answer = cc(client, machine)
    assert answer.status_code == HTTPStatus.BAD_REQUEST and answer.json()["error"] == "access_denied"
    answer = refresh(client, spa, first["refresh_token"])
    assert answer.status_code == HTTPStatus.BAD_REQUEST and answer.json()["error"] == "invalid_grant", answer.content
    answer = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code,
                                     "redirect_uri": web.redirect_uri_list[0]}, HTTP_AUTHORIZATION=basic(web))
    assert answer.status_code == HTTPStatus.BAD_REQUEST, answer.content
    assert answer.json()["error"] in ("invalid_grant", "access_denied") and "access_token" not in answer.json()


def test_no_device_token_for_a_deleted_api(client, logged_in, make_client, make_api):
    make_api()
    device = make_client("native", grants=["device_code"], callbacks=[])
    body = start(client, device, audience=AUD, scope="openid read:messages")
    approve(logged_in, body["user_code"])
    Api.objects.get(identifier=AUD).delete()
    ready(body["device_code"])
    answer = poll(client, device, body["device_code"])
    assert answer.status_code == HTTPStatus.BAD_REQUEST and answer.json()["error"] == "access_denied"


# -- the registry keeps no key derived from an unbounded string -------------------------------------
def test_unknown_client_ids_and_audiences_leave_only_short_keys(client, db):
    for n in range(20):  # as long as the columns allow (kept, by hash), and far longer (never looked up)
        for client_id, identifier in ((100, 255), (200_000, 200_000)):
            assert registry.application(f"{n}".ljust(client_id, "x")) is None
            assert registry.api(f"https://{n}/".ljust(identifier, "y")) is None
    keys = list(registry.registry._entries)
    assert len(keys) == 40  # misses are still remembered: a wrong client_id costs what a wrong secret costs
    longest = max(len(part) for key in keys for part in key if isinstance(part, (str, bytes)))
    assert longest <= 16


# -- keys encrypted under a rotated secret ----------------------------------------------------------
OLD_SECRET = "test-secret-key-not-for-production-0123456789"


def restart():
    """What a new process knows: nothing decrypted yet."""
    from django_authflows.server import keys

    keys._signers.clear()
    keys.forget_cached_keys()


def test_rotating_secret_key_with_a_fallback_keeps_tokens_coming(client, m2m, settings):
    app = m2m()
    assert cc(client, app).status_code == HTTPStatus.OK  # the keys are created, encrypted under SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" + "x" * 40, [OLD_SECRET]
    restart()
    answer = cc(client, app)  # the client secret (HMAC under SECRET_KEY) verifies through the fallback too
    assert answer.status_code == HTTPStatus.OK, answer.content
    assert api_call(client, answer.json()["access_token"]).status_code == HTTPStatus.OK


def test_key_encryption_secret_fallbacks_and_rotation_reencrypts(client, m2m, settings):
    from django_authflows.models import SigningKey

    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "KEY_ENCRYPTION_SECRET": "first-encryption-secret"}
    app = m2m()
    assert cc(client, app).status_code == HTTPStatus.OK
    before = dict(SigningKey.objects.values_list("kid", "private_key"))
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "KEY_ENCRYPTION_SECRET": "second-encryption-secret",
                          "KEY_ENCRYPTION_SECRET_FALLBACKS": ["first-encryption-secret"]}
    restart()
    assert cc(client, app).status_code == HTTPStatus.OK
    call_command("authflows", "keys", "rotate")  # new keys under the new secret, old ones encrypted again
    after = dict(SigningKey.objects.values_list("kid", "private_key"))
    assert all(after[kid] != token for kid, token in before.items() if kid in after)
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "KEY_ENCRYPTION_SECRET_FALLBACKS": []}  # the old secret retired
    restart()
    answer = cc(client, app)
    assert answer.status_code == HTTPStatus.OK, answer.content
    assert api_call(client, answer.json()["access_token"]).status_code == HTTPStatus.OK


def test_without_the_old_secret_the_error_names_the_fallback_settings(client, m2m, settings):
    app = m2m()
    assert cc(client, app).status_code == HTTPStatus.OK
    settings.SECRET_KEY = "a-new-secret-key-" + "y" * 40
    restart()
    from django_authflows.models import SigningKey
    from django_authflows.server import keys

    with pytest.raises(RuntimeError, match="KEY_ENCRYPTION_SECRET_FALLBACKS"):
        keys.load_signer(SigningKey.objects.filter(state=SigningKey.ACTIVE).first())
