"""The support matrix (README "Supported versions"): Django 5.2 LTS, 6.0 and 6.1 on the Pythons each supports.

`make test` runs the whole suite on the main combination in `.venv` and then `make matrix`, which is
`nox -s matrix`: the database-facing suites on every other combination, each in a fresh virtualenv.
`nox -s main` is the whole suite on the main combination in a fresh virtualenv, for local use.
"""
from __future__ import annotations

import glob
import os

import nox

# pyenv's interpreters (python3.10 ... python3.13) are found on PATH even where no shim is set up.
_pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
for _bin in sorted(glob.glob(os.path.join(_pyenv, "versions", "3.*", "bin"))):
    os.environ["PATH"] = os.environ["PATH"] + os.pathsep + _bin

nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = True  # a combination that cannot run fails, never silently skips

MAIN = ("3.11", "5.2")
#: (Python, Django) pairs besides MAIN, most valuable first: the newest Django on the newest Python, the
#: next major, then the oldest Python on the LTS. Each runs DB_SUITES in about four minutes here.
EXTRA = [("3.13", "6.1"), ("3.12", "6.0"), ("3.10", "5.2")]
DB_SUITES = ["tests/flows", "tests/resource", "tests/hardening"]


def _install(session: nox.Session, django: str) -> None:
    session.install("-e", ".[test]", f"Django~={django}.0")
    session.run("python", "-c", "import django, oauth2_provider; print('Django', django.get_version(), "
                "'DOT', oauth2_provider.__version__)")


@nox.session(python=MAIN[0])
def main(session: nox.Session) -> None:
    """The whole suite on the main combination (what `make test` runs in .venv)."""
    _install(session, MAIN[1])
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
@nox.parametrize("python,django", EXTRA, ids=[f"py{p}-django{d}" for p, d in EXTRA])
def matrix(session: nox.Session, django: str) -> None:
    """The database-facing suites on one other combination (SQLite; the main run covers PostgreSQL)."""
    _install(session, django)
    session.run("python", "-m", "pytest", *DB_SUITES, *session.posargs)
