"""A minimal project made from the README's "Install into an existing project", with production settings."""
from __future__ import annotations

import os

from corsheaders.defaults import default_headers

from django_authflows.recommended import APPLICATION_MODEL, oauth2_provider_settings

SECRET_KEY = os.environ["SMOKE_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["auth.example.test"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "oauth2_provider",
    "django_authflows",
    "django_tasks_db",
]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
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
ROOT_URLCONF = "urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["SMOKE_DB"]}}
# A shared cache, as check --deploy wants (authflows.W007): revocations and rate limits hold across processes.
CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0",
                      "KEY_PREFIX": os.environ["SMOKE_CACHE_PREFIX"]}}
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# DOT warns that http redirect URIs are allowed: django_authflows allows http on loopback only (RFC 8252 §7.3,
# native apps) and refuses it elsewhere itself (presets.validate_url), so the README silences this one.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]

OAUTH2_PROVIDER_APPLICATION_MODEL = APPLICATION_MODEL
OAUTH2_PROVIDER = oauth2_provider_settings()
AUTHFLOWS = {
    "ISSUER": "https://auth.example.test/",
    "AUDIENCE": "https://api.example.test/",
}
CORS_ALLOW_HEADERS = (*default_headers, "auth0-client")
LOGIN_URL = "authflows:login"
