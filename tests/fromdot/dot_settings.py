"""A stock django-oauth-toolkit project (DOT's own Application model), as DOT's users have one."""
from __future__ import annotations

import os

SECRET_KEY = "dot-project-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["FROMDOT_DB"]}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
