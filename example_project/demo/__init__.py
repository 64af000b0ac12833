"""The django_authflows demo: a home page, one relying party per browser flow and seed_demo."""
from __future__ import annotations
