"""Test settings: the production-secure values; a test that needs an insecure one sets it in its body."""
from __future__ import annotations

import os

from corsheaders.defaults import default_headers

from django_authflows.recommended import APPLICATION_MODEL, oauth2_provider_settings

SECRET_KEY = "test-secret-key-not-for-production-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost", "[::1]"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "oauth2_provider",
    "django_authflows",
    "example_project.demo",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_authflows.resource.middleware.BearerTokenMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
if os.environ.get("AUTHFLOWS_TEST_DB") == "postgres":
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "test", "USER": "postgres",
                             "HOST": "127.0.0.1", "PORT": "5432", "TEST": {"NAME": "test_authflows"}}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:",
                             "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20}}}
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "authflows:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
CORS_ALLOW_HEADERS = (*default_headers, "auth0-client")

OAUTH2_PROVIDER_APPLICATION_MODEL = APPLICATION_MODEL
OAUTH2_PROVIDER = oauth2_provider_settings()
AUTHFLOWS = {
    "ISSUER": "http://testserver/",
    "FLOWS": ["authorization_code", "pkce", "client_credentials", "device"],
    "AUDIENCE": "https://api.example.test/",
}
EXAMPLE_API_AUDIENCE = "https://api.example.test/"
# Back-channel logouts: the in-process tests see what was enqueued; tests/sessions runs the real worker
# (django-tasks-db) against the example project.
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
