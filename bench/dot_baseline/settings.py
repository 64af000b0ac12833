"""Stock django-oauth-toolkit, wired as its documentation shows.

- the stock ``oauth2_provider`` app and models (no swapped application), the stock ``OAuth2Validator``;
- client secrets hashed by DOT's ``ClientSecretField`` (Django's default hasher: PBKDF2-SHA256 with
  1,000,000 iterations on Django 5.2), opaque access tokens stored in the database;
- DRF with ``oauth2_provider.contrib.rest_framework.OAuth2Authentication`` and ``IsAuthenticated``;
- OIDC on, with an RSA key generated at startup (``BENCH_DOT_RSA_KEY_FILE`` shares one key between the
  gunicorn workers of a run: the harness writes the file before the server starts).

Same Django middleware and the same SQLite options (WAL, busy timeout, IMMEDIATE transactions) as the
example project, so the database setup is not what the comparison measures; with ``DATABASE_URL``
(postgres://...) the same PostgreSQL settings as the example project (the benchmark's production class).
DOT keeps no state in Django's cache, so Redis changes nothing for it."""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "bench-dot-baseline-insecure-key"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "bench.dot_baseline.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
WSGI_APPLICATION = "bench.dot_baseline.wsgi.application"
if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    # The production class of the benchmark: PostgreSQL, as DOT's documentation and Django's deployment
    # checklist say, with the same persistent connections as ours (CONN_MAX_AGE).
    from urllib.parse import urlsplit

    _db = urlsplit(os.environ["DATABASE_URL"])
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql", "NAME": _db.path.lstrip("/"), "USER": _db.username or "",
        "PASSWORD": _db.password or "", "HOST": _db.hostname or "", "PORT": _db.port or "",
        "CONN_MAX_AGE": 60,
    }}
else:
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "baseline.sqlite3")),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        "CONN_MAX_AGE": 60,  # as the example project under gunicorn: one connection per worker thread
    }}
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/admin/login/"


def _rsa_private_key() -> str:
    """PEM of an RSA-2048 key: the run's key file when the harness made one, else a new key."""
    path = os.environ.get("BENCH_DOT_RSA_KEY_FILE")
    if path and Path(path).exists():
        return Path(path).read_text()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    if path:
        Path(path).write_text(pem)
    return pem


OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _rsa_private_key(),
    "SCOPES": {
        "openid": "OpenID Connect scope",
        "profile": "Profile",
        "email": "Email",
        "read": "Read scope",
        "write": "Write scope",
    },
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["oauth2_provider.contrib.rest_framework.OAuth2Authentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
