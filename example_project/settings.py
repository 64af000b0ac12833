"""Example project: django_authflows mounted at the root, development mode by default."""
from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

from corsheaders.defaults import default_headers

from django_authflows.recommended import APPLICATION_MODEL, oauth2_provider_settings

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = os.environ.get("EXAMPLE_PRODUCTION") == "1"
DEBUG = not PRODUCTION and os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    "dev-only-insecure-key-change-me" if not PRODUCTION else "")
if PRODUCTION and not SECRET_KEY:
    raise RuntimeError("Set DJANGO_SECRET_KEY in production.")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

# `pip install -e .` serves the authorization server and the plain-Django example API; the demo's relying
# parties, its DRF API and its back-channel receiver need the `demo` extra (`pip install -e '.[demo]'`, as
# `make demo` does).
DEMO = all(find_spec(name) for name in ("rest_framework", "authlib", "requests", "joserfc"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    *(["rest_framework"] if find_spec("rest_framework") else []),
    "oauth2_provider",
    "django_authflows",
    "django_tasks_db",  # the database task backend: back-channel logouts, run by `manage.py db_worker`
    *(["example_project.demo"] if DEMO else []),
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
ROOT_URLCONF = "example_project.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        *(["example_project.demo.context.navigation"] if DEMO else []),
    ]},
}]
WSGI_APPLICATION = "example_project.wsgi.application"

if os.environ.get("DATABASE_URL", "").startswith("postgres"):
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
        "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        # Parallel token requests on SQLite: WAL, a busy timeout and IMMEDIATE transactions, so writers
        # queue instead of failing with "database is locked" (Django 5.1+).
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        # Under gunicorn, keep each worker thread's connection: opening and closing SQLite per request
        # (Django's default) costs more than a client-credentials grant itself, as closing the last
        # connection checkpoints the WAL. runserver starts a thread per request, so not there.
        "CONN_MAX_AGE": 60 if PRODUCTION else 0,
    }}
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}}
elif not PRODUCTION and os.environ.get("EXAMPLE_CACHE") != "locmem":
    # Development: a cache the server and `manage.py authflows ...` share, so that an application deleted
    # with the CLI has its access tokens refused by the running server at once (a per-process cache would
    # keep the deny-list inside the CLI). Production uses Redis (docs/production.md).
    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")) + "-cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "authflows:login"
LOGIN_REDIRECT_URL = "/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000

# django-cors-headers: origins are registered per application; our signal allows them on our endpoints.
CORS_ALLOW_HEADERS = (*default_headers, "auth0-client")

OAUTH2_PROVIDER_APPLICATION_MODEL = APPLICATION_MODEL
OAUTH2_PROVIDER = oauth2_provider_settings()
AUTHFLOWS = {
    "ISSUER": os.environ.get("AUTHFLOWS_ISSUER") or None,
    "FLOWS": ["authorization_code", "pkce", "implicit", "client_credentials", "device"],
    "DEFAULT_AUDIENCE": None,
    # Resource-server side: the API this project's protected views accept tokens for.
    "AUDIENCE": os.environ.get("EXAMPLE_API_AUDIENCE", "https://api.example.test/"),
}
# Back-channel logout tokens are POSTed by a worker (`manage.py db_worker`; `make demo` starts one), never by
# the request that ends the session.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if os.environ.get("EXAMPLE_BACKCHANNEL_BACKOFF"):  # the tests' worker retries within seconds
    AUTHFLOWS["BACKCHANNEL_LOGOUT"] = {"backoff": float(os.environ["EXAMPLE_BACKCHANNEL_BACKOFF"]), "attempts": 3,
                                       "timeout": 2}
if os.environ.get("EXAMPLE_DPOP_NONCE") == "1":  # RFC 9449 §8 server nonces (the tests turn them on)
    AUTHFLOWS["DPOP_NONCE"] = True
SILENCED_SYSTEM_CHECKS = ["authflows.W001"]  # the demo shows the implicit flow on purpose
EXAMPLE_API_AUDIENCE = os.environ.get("EXAMPLE_API_AUDIENCE", "https://api.example.test/")


def _seeded_base_url() -> str | None:
    """The server `make demo` last seeded and serves (it writes .demo-base-url), for `authflows demo ...`."""
    try:
        return (BASE_DIR / ".demo-base-url").read_text().strip() or None
    except OSError:
        return None


# Where `manage.py authflows demo device|m2m` sends its requests when no --base-url is given.
AUTHFLOWS_DEMO_BASE_URL = os.environ.get("AUTHFLOWS_ISSUER") or _seeded_base_url()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_authflows": {"handlers": ["console"], "level": "INFO"}},
}
