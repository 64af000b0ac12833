"""`manage.py authflows import-dot`: a stock django-oauth-toolkit project, its settings moved to ours, its
applications imported with their client_ids, and a DOT-era secret redeemed with client credentials."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

DOT_ROWS = """
from oauth2_provider.models import Application as A
A.objects.create(name="Worker", client_id="dot-m2m", client_type="confidential",
                 authorization_grant_type="client-credentials", client_secret="dot-era-secret-m2m")
A.objects.create(name="Web", client_id="dot-web", client_type="confidential", skip_authorization=True,
                 authorization_grant_type="authorization-code", client_secret="dot-era-secret-web",
                 redirect_uris="https://app.example.test/cb", allowed_origins="https://app.example.test",
                 post_logout_redirect_uris="https://app.example.test/bye")
A.objects.create(name="Mobile", client_id="dot-native", client_type="public",
                 authorization_grant_type="authorization-code", redirect_uris="com.example.app:/cb http://127.0.0.1/cb")
A.objects.create(name="Legacy", client_id="dot-password", client_type="confidential",
                 authorization_grant_type="password", client_secret="dot-era-secret-pw")
A.objects.create(name="Odd", client_id="dot-odd", client_type="public", authorization_grant_type="saml-bearer")
A.objects.create(name="PublicM2M", client_id="dot-public-cc", client_type="public",
                 authorization_grant_type="client-credentials")
print(A.objects.get(client_id="dot-m2m").client_secret.split("$")[0])
"""


@pytest.fixture
def project(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AUTHFLOWS_"))}
    env.update(FROMDOT_DB=str(tmp_path / "dot.sqlite3"), PYTHONPATH=str(ROOT))

    def run(settings: str, *args: str) -> str:
        done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                              env={**env, "DJANGO_SETTINGS_MODULE": f"tests.fromdot.{settings}"})
        assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    run("dot_settings", "-m", "django", "migrate", "-v0")
    hasher = run("dot_settings", "-m", "django", "shell", "-v0", "-c", DOT_ROWS).strip()
    assert hasher == "pbkdf2_sha256"  # DOT hashed the secret, as every DOT 2+ project has it
    return run


def _apps(run) -> dict[str, dict]:
    return {a["client_id"]: a for a in json.loads(run("ours_settings", "-m", "django", "authflows", "apps",
                                                       "list", "--json"))["applications"]}


def test_dry_run_says_what_it_would_do_and_changes_nothing(project) -> None:
    out = json.loads(project("ours_settings", "-m", "django", "authflows", "import-dot", "--dry-run", "--json"))
    assert out["dry_run"] is True and len(out["steps"]) == 2
    result = {a["client_id"]: (a["result"], a["type"]) for a in out["applications"]}
    assert result == {"dot-m2m": ("would import", "m2m"), "dot-web": ("would import", "regular"),
                      "dot-native": ("would import", "native"), "dot-password": ("skipped", None),
                      "dot-odd": ("skipped", None), "dot-public-cc": ("skipped", None)}
    # Nothing moved: DOT's own project still works on its tables.
    again = project("dot_settings", "-m", "django", "shell", "-v0", "-c",
                    "from oauth2_provider.models import Application as A; print(A.objects.count())")
    assert again.strip() == "6"


def test_import_keeps_clients_and_secrets_and_a_dot_secret_redeems(project) -> None:
    out = json.loads(project("ours_settings", "-m", "django", "authflows", "import-dot", "--json"))
    rows = {a["client_id"]: a for a in out["applications"]}
    assert {c for c, a in rows.items() if a["result"] == "imported"} == {"dot-m2m", "dot-web", "dot-native"}
    assert "password grant" in rows["dot-password"]["skipped"]
    assert "unknown grant 'saml-bearer'" in rows["dot-odd"]["skipped"]
    assert "cannot use client_credentials" in rows["dot-public-cc"]["skipped"]

    apps = _apps(project)
    assert set(apps) == {"dot-m2m", "dot-web", "dot-native"}
    assert apps["dot-web"]["type"] == "regular"
    assert apps["dot-web"]["grant_types"] == ["authorization_code", "refresh_token"]
    assert apps["dot-native"]["type"] == "native"
    show = json.loads(project("ours_settings", "-m", "django", "authflows", "apps", "show", "dot-web", "--json"))
    assert show["callbacks"] == ["https://app.example.test/cb"]
    assert show["allowed_origins"] == ["https://app.example.test"]
    assert show["allowed_logout_urls"] == ["https://app.example.test/bye"]
    assert show["is_first_party"] is True  # DOT's skip_authorization
    native = json.loads(project("ours_settings", "-m", "django", "authflows", "apps", "show", "dot-native", "--json"))
    assert native["is_first_party"] is False and native["pkce_required"] is True
    # The unmapped rows are kept as they were.
    kept = project("ours_settings", "-m", "django", "shell", "-v0", "-c",
                   "from django.db import connection; c = connection.cursor(); "
                   "c.execute('SELECT client_id, client_secret FROM authflows_dot_application ORDER BY id'); "
                   "print([(r[0], r[1].split('$')[0]) for r in c.fetchall()])")
    assert "('dot-password', 'pbkdf2_sha256')" in kept and "dot-odd" in kept

    # Running it again changes nothing.
    again = json.loads(project("ours_settings", "-m", "django", "authflows", "import-dot", "--json"))
    assert {a["result"] for a in again["applications"] if not a["skipped"]} == {"already imported"}

    project("ours_settings", "-m", "django", "authflows", "apis", "create", "--name", "API", "--identifier",
            "https://api.example.test/", "--scopes", "read:messages", "--json")
    project("ours_settings", "-m", "django", "authflows", "grants", "create", "--client-id", "dot-m2m",
            "--api", "https://api.example.test/", "--scopes", "read:messages", "--json")
    answers = json.loads(project("ours_settings", "tests/fromdot/redeem.py", "dot-m2m", "dot-era-secret-m2m"))
    assert [a["status"] for a in answers] == [200, 200], answers
    assert answers[0]["body"]["token_type"].lower() == "bearer" and answers[0]["body"]["access_token"]
    assert answers[0]["stored"] == "authflows_hmac_sha256" == answers[1]["stored"]  # upgraded on first use
    wrong = json.loads(project("ours_settings", "tests/fromdot/redeem.py", "dot-m2m", "not-the-secret"))
    assert wrong[0]["status"] == 401
