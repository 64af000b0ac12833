"""Baseline fixtures, straight into DOT's tables (``python -m bench.dot_baseline.seed ...``).

    seed                       the demo user and four applications; prints JSON with their secrets
    codes   CLIENT_ID N FILE   N authorization codes (PKCE S256 over VERIFIER), one per line of FILE
    refresh CLIENT_ID N FILE   N refresh tokens (each with its access token), one per line of FILE

Codes and tokens made here are exactly the rows DOT's /o/authorize/ and /o/token/ would write; making
them directly keeps the baseline's preparation out of the measured time."""
from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import secrets
import sys
import uuid

#: The PKCE verifier of every baseline code (DOT requires PKCE by default).
VERIFIER = "bench-pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG"
REDIRECT_URI = "https://rp.example.test/callback"
USER_SCOPE = "openid profile email read"
USERNAME, PASSWORD = "demo", "demo-password-123"

APPS = {
    # name: (grant type, hash_client_secret)
    "bench-m2m": ("client-credentials", True),
    "bench-m2m-plain": ("client-credentials", False),
    "bench-web": ("authorization-code", True),
    "bench-web-plain": ("authorization-code", False),
}


def challenge(verifier: str = VERIFIER) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def seed() -> dict:
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import get_application_model

    Application = get_application_model()
    user, _ = get_user_model().objects.get_or_create(username=USERNAME, defaults={"email": "demo@example.test"})
    user.set_password(PASSWORD)
    user.save()
    out = {}
    for client_id, (grant, hashed) in APPS.items():
        secret = secrets.token_urlsafe(48)
        Application.objects.filter(client_id=client_id).delete()
        Application.objects.create(
            client_id=client_id, client_secret=secret, hash_client_secret=hashed, name=client_id,
            client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=grant,
            redirect_uris=REDIRECT_URI if grant == "authorization-code" else "",
            algorithm=Application.RS256_ALGORITHM if grant == "authorization-code" else "",
            skip_authorization=True, user=user,
        )
        out[client_id] = {"client_id": client_id, "client_secret": secret, "hashed": hashed}
    return {"applications": out, "redirect_uri": REDIRECT_URI, "verifier": VERIFIER, "username": USERNAME}


def codes(client_id: str, n: int, path: str) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from oauth2_provider.models import get_application_model, get_grant_model

    app = get_application_model().objects.get(client_id=client_id)
    user = get_user_model().objects.get(username=USERNAME)
    expires = timezone.now() + datetime.timedelta(hours=1)
    values = [secrets.token_urlsafe(22) for _ in range(n)]
    get_grant_model().objects.bulk_create([
        get_grant_model()(user=user, application=app, code=code, expires=expires, redirect_uri=REDIRECT_URI,
                          scope=USER_SCOPE, code_challenge=challenge(), code_challenge_method="S256",
                          nonce="bench-nonce", claims="")
        for code in values], batch_size=500)
    with open(path, "w") as fh:
        fh.write("\n".join(values) + "\n")


def refresh(client_id: str, n: int, path: str) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, get_application_model, get_refresh_token_model

    AccessToken, RefreshToken = get_access_token_model(), get_refresh_token_model()
    app = get_application_model().objects.get(client_id=client_id)
    user = get_user_model().objects.get(username=USERNAME)
    expires = timezone.now() + datetime.timedelta(hours=10)
    values = []
    for _ in range(n):
        at = AccessToken.objects.create(user=user, application=app, token=secrets.token_urlsafe(30),
                                        expires=expires, scope=USER_SCOPE)
        value = secrets.token_urlsafe(30)
        RefreshToken.objects.create(user=user, application=app, token=value, access_token=at,
                                    token_family=uuid.uuid4())
        values.append(value)
    with open(path, "w") as fh:
        fh.write("\n".join(values) + "\n")


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.dot_baseline.settings")
    import django

    django.setup()
    command = argv[0]
    if command == "seed":
        print(json.dumps(seed()))
    elif command == "codes":
        codes(argv[1], int(argv[2]), argv[3])
    elif command == "refresh":
        refresh(argv[1], int(argv[2]), argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
