"""One client-credentials token from /oauth/token, then one request to the protected view (argv: id, secret)."""
from __future__ import annotations

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django.setup()

from django.test import Client  # noqa: E402

client_id, secret = sys.argv[1:3]
http = Client(HTTP_HOST="auth.example.test")
token = http.post("/oauth/token", {"grant_type": "client_credentials", "audience": "https://api.example.test/"},
                  HTTP_AUTHORIZATION=f"Basic {__import__('base64').b64encode(f'{client_id}:{secret}'.encode()).decode()}",
                  secure=True)
assert token.status_code == 200, (token.status_code, token.content)
access = token.json()["access_token"]
assert http.get("/api/messages", secure=True).status_code == 401
answer = http.get("/api/messages", HTTP_AUTHORIZATION=f"Bearer {access}", secure=True)
assert answer.status_code == 200, (answer.status_code, answer.content)
print("protected:", answer.json())
