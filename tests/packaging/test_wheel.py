"""The wheel as users get it: built by `python -m build`, installed without DRF into a fresh virtualenv, serving
a minimal project made from the README's "Install into an existing project" with production settings."""
from __future__ import annotations

import email
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = Path(__file__).resolve().parent / "project"
SKIP_COPY = shutil.ignore_patterns(".git", ".venv", ".nox", "build", "dist", "*.egg-info", "__pycache__",
                                   "artifacts", "*.sqlite3*", "bench")


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), 2).close()
    except OSError:
        return False
    return True


def _run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{cmd} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the tree, so a stale build/ here can never leak into it."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=SKIP_COPY)
    dist = work / "dist"
    try:
        import build  # noqa: F401  (the `test` extra)

        _run(sys.executable, "-m", "build", "--wheel", "--outdir", dist, source, cwd=work)
    except ImportError:  # a venv without the extra: pip builds the same PEP 517 wheel
        _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, source, cwd=work)
    (built,) = dist.glob("django_authflows-*.whl")
    return built


def test_the_wheel_holds_only_the_package(wheel: Path) -> None:
    from django_authflows import __version__

    assert wheel.name.startswith(f"django_authflows-{__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    dist_info = f"django_authflows-{__version__}.dist-info/"
    assert [n for n in names if not n.startswith(("django_authflows/", dist_info))] == []
    for needed in ["django_authflows/py.typed", "django_authflows/migrations/0001_initial.py",
                   "django_authflows/templates/authflows/base.html", "django_authflows/urls.py"]:
        assert needed in names
    assert any(n.startswith("django_authflows/static/authflows/") for n in names)


def test_the_wheel_depends_on_what_the_package_imports(wheel: Path) -> None:
    from django_authflows import __version__

    meta = email.message_from_bytes(
        zipfile.ZipFile(wheel).read(f"django_authflows-{__version__}.dist-info/METADATA"))
    requires = meta.get_all("Requires-Dist")
    hard = {r.split(";")[0].split("<")[0].split(">")[0].split("=")[0].split("~")[0].strip().lower()
            for r in requires if "extra ==" not in r}
    assert hard == {"django", "django-oauth-toolkit", "oauthlib", "jwcrypto", "cryptography",
                    "django-cors-headers", "segno", "django-tasks", "django-tasks-db"}
    drf = [r for r in requires if r.lower().startswith("djangorestframework")]
    assert drf and all("extra ==" in r for r in drf)
    assert {"drf", "demo", "test"} <= set(meta.get_all("Provides-Extra"))


@pytest.mark.skipif(not _redis_up(), reason="Redis is not reachable on 127.0.0.1:6379 (the shared cache)")
def test_a_project_from_the_readme_runs_on_the_wheel_without_drf(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", wheel, "django-redis>=5.4", cwd=tmp_path)
    absent = _run(python, "-c", "import importlib.util as u; print([m for m in ('rest_framework', 'authlib', "
                  "'example_project', 'tests') if u.find_spec(m)])", cwd=tmp_path)
    assert absent.strip() == "[]"

    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHON", "AUTHFLOWS_"))}
    env.update(SMOKE_SECRET_KEY=secrets.token_urlsafe(50), SMOKE_DB=str(tmp_path / "db.sqlite3"),
               SMOKE_CACHE_PREFIX=f"smoke-{secrets.token_hex(8)}")

    def manage(*args: str) -> str:
        return _run(python, "manage.py", *args, cwd=project, env=env)

    manage("migrate", "--noinput", "-v0")
    deploy = manage("check", "--deploy", "--fail-level", "WARNING")
    assert "no issues" in deploy
    api = json.loads(manage("authflows", "apis", "create", "--name", "Messages", "--identifier",
                            "https://api.example.test/", "--scopes", "read:messages", "--json"))
    assert api["identifier"] == "https://api.example.test/"
    app = json.loads(manage("authflows", "apps", "create", "--name", "Worker", "--type", "m2m", "--api",
                            "https://api.example.test/", "--scopes", "read:messages", "--json"))
    out = _run(python, "smoke.py", app["client_id"], app["client_secret"], cwd=project, env=env)
    assert f"'sub': '{app['client_id']}@clients'" in out
