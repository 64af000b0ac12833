"""The example project: `check` passes with its own settings, `seed_demo` is idempotent."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from .live import ROOT


def manage(*args, env=None):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "DJANGO_SETTINGS_MODULE": "example_project.settings",
                                            **(env or {})})


def test_check_passes(tmp_path):
    result = manage("check", env={"SQLITE_PATH": str(tmp_path / "db.sqlite3")})
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_in_production_mode(tmp_path):
    env = {"SQLITE_PATH": str(tmp_path / "db.sqlite3"), "EXAMPLE_PRODUCTION": "1",
           "DJANGO_SECRET_KEY": "x" * 60, "AUTHFLOWS_ISSUER": "https://auth.example.test/"}
    result = manage("check", "--deploy", env=env)
    assert result.returncode == 0, result.stderr
    assert "authflows.E" not in result.stderr + result.stdout


def test_seed_demo_is_idempotent(tmp_path):
    env = {"SQLITE_PATH": str(tmp_path / "db.sqlite3")}
    assert manage("migrate", "-v0", env=env).returncode == 0
    first = manage("seed_demo", "--json", env=env)
    second = manage("seed_demo", "--json", env=env)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    listed = json.loads(manage("authflows", "apps", "list", "--json", env=env).stdout)
    ids = sorted(a["client_id"] for a in listed["applications"])
    assert ids == ["demo-device", "demo-fapi", "demo-implicit", "demo-m2m", "demo-regular-web-app", "demo-spa"]
    # the FAPI demo client's private key: beside the database, owner-only, the same key after a second seed
    key = tmp_path / "db.sqlite3-demo-fapi-key.json"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    fapi = [a for a in json.loads(second.stdout)["applications"] if a["client_id"] == "demo-fapi"]
    assert fapi[0]["private_key_file"] == str(key) and fapi[0]["client_secret"] is None
    assert json.loads(first.stdout)["applications"][-1]["created"] and not fapi[0]["created"]


def imports_of(path):
    import ast

    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or "")
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_roles_do_not_leak():
    """resource/ imports neither server/ nor contrib/; only contrib/rest_framework/ imports DRF."""
    package = ROOT / "django_authflows"
    for path in (package / "resource").rglob("*.py"):
        for name in imports_of(path):
            assert "server" not in name and "contrib" not in name and "rest_framework" not in name, (path, name)
    for path in package.rglob("*.py"):
        if "contrib" in path.parts:
            continue
        for name in imports_of(path):
            assert not name.startswith("rest_framework"), (path, name)


def test_home_commands_name_a_server_off_port_8000(client, db, settings):
    """Served elsewhere than :8000, the device and M2M commands carry --base-url, whole (issue 19)."""
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "ISSUER": "http://127.0.0.1:8123/"}
    page = client.get("/").content.decode()
    assert "--base-url http://127.0.0.1:8123</code>" in page
    assert "authflows demo device --client-id demo-device --base-url http://127.0.0.1:8123" in page
    assert 'data-copy-target="command-m2m" hidden' in page


def test_404_is_in_the_demo_style(client, db):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "demo/demo.css" in page and 'href="/"' in page


def test_500_is_in_the_demo_style(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong on the server" in response.content and b"demo/demo.css" in response.content


def test_home_shows_the_fapi_application_and_its_command(client, db, settings):
    """The "FAPI 2.0" demo application (private_key_jwt + DPoP) with what it is and its terminal command."""
    from example_project.demo.secrets import fapi_key_path

    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "ISSUER": "http://127.0.0.1:8123/"}
    page = client.get("/").content.decode()
    assert "<h3>FAPI 2.0: private_key_jwt + DPoP</h3>" in page
    assert "<code>demo-fapi</code>" in page and "DPoP key (RFC 9449)" in page and "(PAR)" in page
    assert (f"authflows demo dpop --client-id demo-fapi --key-file {fapi_key_path()} "
            "--base-url http://127.0.0.1:8123</code>") in page
    assert 'data-copy-target="command-fapi" hidden' in page
