"""The same project moved to django_authflows: the test settings on the DOT project's database."""
from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

SECRET_KEY = "dot-project-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["FROMDOT_DB"]}}
