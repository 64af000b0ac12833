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
    assert ids == ["demo-device", "demo-implicit", "demo-m2m", "demo-regular-web-app", "demo-spa"]


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
