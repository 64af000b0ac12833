"""seed_demo: the demo user, API and applications."""
from __future__ import annotations
