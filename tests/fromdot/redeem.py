"""Under ours_settings on the migrated DOT database: client credentials with a DOT-era secret (argv: id, secret)."""
from __future__ import annotations

import base64
import json
import sys

import django

django.setup()

from django.test import Client  # noqa: E402

from django_authflows.models import Application  # noqa: E402

client_id, secret = sys.argv[1:3]
basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
answers = []
for _ in range(2):  # the first use upgrades DOT's PBKDF2 hash; the second verifies the upgraded one
    r = Client().post("/oauth/token", {"grant_type": "client_credentials", "audience": "https://api.example.test/"},
                      HTTP_AUTHORIZATION=f"Basic {basic}")
    answers.append({"status": r.status_code, "body": r.json(),
                    "stored": Application.objects.get(client_id=client_id).client_secret.split("$")[0]})
print(json.dumps(answers))
