"""The demo: one relying party per browser flow, a home page and the seed_demo command."""
from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "example_project.demo"
    label = "demo"
    verbose_name = "django_authflows demo"
