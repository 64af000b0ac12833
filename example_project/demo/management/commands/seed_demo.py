"""``manage.py seed_demo``: the demo and admin users, the example API and one application per flow (idempotent)."""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...seed import seed


class Command(BaseCommand):
    help = "Create or update the demo user, the admin user, the example API and the six demo applications."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000",
                            help="Where the example project runs (callbacks and origins are built from it).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object on stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = seed(options["base_url"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"Open:      {result['url']}")
        self.stdout.write(f"Log in as: {result['username']} / {result['password']}")
        admin = result["admin"]
        self.stdout.write(f"Admin:     {admin['url']} as {admin['username']} / {admin['password']}")
        self.stdout.write(f"API:       {result['api']['identifier']} ({', '.join(result['api']['scopes'])})")
        self.stdout.write("")
        width = max(len(a["client_id"]) for a in result["applications"])
        for app in result["applications"]:
            if app.get("private_key_file"):
                secret = f"none: private_key_jwt, private key in {app['private_key_file']}"
            else:
                secret = app["client_secret"] or "(public client, no secret)"
            self.stdout.write(f"{app['client_id']:<{width}}  {app['flow']:<29}  secret: {secret}")
