"""System checks: each id triggers on the bad setting and stays quiet on the good one."""
from __future__ import annotations

import json
from unittest import mock

import pytest
from django.core import checks

from django_authflows import checks as af
from django_authflows.models import Application

pytestmark = pytest.mark.django_db


def ids(settings, deploy=False):
    return {m.id for m in checks.run_checks(include_deployment_checks=deploy) if m.id.startswith("authflows.")}


def test_secure_test_settings_are_quiet(settings):
    assert ids(settings) == set()
    assert ids(settings, deploy=True) == {"authflows.W007"}  # the test run uses the local-memory cache


def test_e001_application_model(settings):
    settings.OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
    assert af.check_application_model(None) == [af.E001]


def test_e002_plain_pkce(settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "COMPLIANT_BCP_RFC9700_PKCE_METHOD": False}
    assert "authflows.E002" in ids(settings)


def test_e003_oauthlib_4():
    with mock.patch.object(af, "version", return_value="4.0.0"):
        assert af.check_oauthlib_version(None) == [af.E003]
    assert af.check_oauthlib_version(None) == []


def test_w001_implicit(settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "FLOWS": ["authorization_code", "implicit"]}
    assert "authflows.W001" in ids(settings)


def test_w002_http_urls_outside_loopback(settings, make_client):
    make_client("native", callbacks=["http://127.0.0.1/cb"])
    assert "authflows.W002" not in ids(settings, deploy=True)
    app = make_client("regular")
    app.redirect_uris = "http://client.example.test/cb"  # as a bad import or an old DOT row would have it
    app.save()
    messages = [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "authflows.W002"]
    assert len(messages) == 1 and "http://client.example.test/cb" in messages[0].msg


def test_w003_issuer(settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "ISSUER": None}
    assert "authflows.W003" in ids(settings, deploy=True)
    assert "authflows.W003" not in ids(settings)


def test_w004_refresh_reuse(settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "REFRESH_TOKEN_REUSE_PROTECTION": False}
    assert "authflows.W004" in ids(settings, deploy=True)


def test_w005_all_scopes(settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "DEFAULT_SCOPES": ["__all__"]}
    assert "authflows.W005" in ids(settings)


def test_e004_middleware_order(settings):
    assert af.check_middleware_order(None) == []
    mw = [m for m in settings.MIDDLEWARE if "BearerTokenMiddleware" not in m]
    settings.MIDDLEWARE = ["django_authflows.resource.middleware.BearerTokenMiddleware", *mw]
    assert af.check_middleware_order(None) == [af.E004]


def test_w006_audience(settings):
    assert af.check_audience(None) == []
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "AUDIENCE": None}
    assert af.check_audience(None) == [af.W006]


def test_w007_shared_cache(settings):
    assert af.check_shared_cache(None) == [af.W007]
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1/9"}}
    assert af.check_shared_cache(None) == []


def test_w008_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert "authflows.W008" in ids(settings, deploy=True)
    del settings.TASKS
    assert af.check_task_backend(None) == [af.W008]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert af.check_task_backend(None) == []
    assert "authflows.W008" not in ids(settings, deploy=True)


def test_e005_fapi_application_that_breaks_the_profile(settings, make_client):
    from jwcrypto import jwk

    key = json.loads(jwk.JWK.generate(kty="EC", crv="P-256", kid="k").export_public())
    app = make_client("regular", fapi=True, jwks={"keys": [key]})
    assert "authflows.E005" not in ids(settings)
    # as a data migration or a script could leave it (the admin, the CLI and the service refuse these)
    for change in ({"grant_types": ["authorization_code", "implicit"]},
                   {"token_endpoint_auth_method": "client_secret_basic"},
                   {"jwks": {"keys": [{**key, "alg": "RS256"}]}}):
        Application.objects.filter(pk=app.pk).update(**change)
        messages = [m for m in checks.run_checks() if m.id == "authflows.E005"]
        assert len(messages) == 1 and app.name in messages[0].msg, change
        Application.objects.filter(pk=app.pk).update(grant_types=["authorization_code"], jwks={"keys": [key]},
                                                     token_endpoint_auth_method="private_key_jwt")
    assert "authflows.E005" not in ids(settings)
