"""Every shell and Python block of the guides, run in order against a live example project on a free port.

Each guide introduces the server's URL once (``export AUTHFLOWS_URL=http://127.0.0.1:8000`` in its first
block); the runner puts the live server's URL in that line, so a guide that still names port 8000 anywhere
else fails. Shell blocks run through bash, one after the other, sharing the variables they set; Python blocks
run in a subprocess with this venv's python and see the same variables. A block marked
``<!-- not-run: reason -->`` is listed (see the end of the pytest run) and skipped."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ..live import LiveServer
from .guides import (ROOT, STATUS_LINE, URL_LINE, URL_VARIABLE, BrowserStep, blocks, browser_step, expected_keys, guides,
                     last_json_object)

pytestmark = pytest.mark.live
NOT_RUN: list[tuple[str, str]] = []  # (where, reason), printed by conftest.py's terminal summary
BROWSER_STEPS: list[tuple[str, str]] = []  # (where, what the runner did in chromium)
#: The demo's users (example_project/demo/management/commands/seed_demo.py).
PASSWORDS = {"demo": "demo-password-123"}
BLOCK_TIMEOUT = 90
#: What the runner's own environment must not leak into the guides: each guide sets up its own.
PRIVATE = ("SQLITE_PATH", "AUTHFLOWS_ISSUER", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", URL_VARIABLE)

SHELL_WRAPPER = """\
set -a
[ -f "$GUIDE_STATE" ] && . "$GUIDE_STATE"
set -eo pipefail
. "$1"
set +e
export -p | grep -v "^declare -x GUIDE_" > "$GUIDE_STATE"
"""
PYTHON_WRAPPER = """\
set -a
[ -f "$GUIDE_STATE" ] && . "$GUIDE_STATE"
set +a
exec "$2" "$1"
"""


class GuideServer(LiveServer):
    """A LiveServer on a copy of a database already migrated and seeded (saves ~13 s per guide)."""

    def manage(self, *args: str, check: bool = True) -> str:
        if args[:1] == ("migrate",):
            return ""
        return super().manage(*args, check=check)


@pytest.fixture(scope="module")
def seeded():
    """The database `make demo` makes (migrated, then seed_demo), made once and copied for each guide."""
    with tempfile.TemporaryDirectory(prefix="authflows-guides-db-") as tmp:
        template = LiveServer(env={"SQLITE_PATH": str(Path(tmp) / "demo.sqlite3")}, database_dir=tmp)
        template.manage("migrate", "--noinput", "-v0")
        template.manage("seed_demo", "--base-url", template.url)
        yield Path(tmp)


@pytest.fixture
def workdir(seeded):
    """The guides say "at the repository root": a directory with the checkout's manage.py and .venv, and
    the demo's database as $PWD/demo.sqlite3; each guide starts from the same freshly seeded one."""
    with tempfile.TemporaryDirectory(prefix="authflows-guides-") as tmp:
        (Path(tmp) / "manage.py").symlink_to(ROOT / "manage.py")
        (Path(tmp) / ".venv").symlink_to(Path(sys.prefix))
        for db in seeded.glob("demo.sqlite3*"):
            if not db.name.endswith("-cache"):
                shutil.copy(db, Path(tmp) / db.name)
        yield Path(tmp)


@pytest.fixture
def server(workdir):
    with GuideServer(env={"SQLITE_PATH": str(workdir / "demo.sqlite3")}, database_dir=str(workdir),
                     seed=False) as live:
        yield live


@pytest.fixture
def chromium(browser):
    """The session's Chromium (tests/conftest.py)."""
    return browser


def state_value(state: Path, name: str) -> str:
    return subprocess.run(["bash", "-c", f'. "$0"; printf %s "${{{name}}}"', str(state)],
                          capture_output=True, text=True, check=True).stdout


def run_browser_step(step: BrowserStep, state: Path, server: LiveServer, chromium) -> str:
    """What the person does in the browser, done in chromium; the landing address goes into the state."""
    url = state_value(state, step.open)
    assert url.startswith(server.url), f"${step.open} is {url!r}, not a URL of the server"
    context = chromium.new_context()
    landed: dict[str, str] = {}

    def elsewhere(route) -> None:  # the relying party's callback: nobody listens there, the runner answers
        landed.setdefault("url", route.request.url)
        landed.setdefault("form", route.request.post_data or "")
        route.fulfill(status=200, content_type="text/plain", body="callback received")

    context.route(lambda u: not u.startswith(server.url), elsewhere)
    try:
        page = context.new_page()
        page.goto(url)
        if step.user is not None and page.locator("input[name=username]").count():
            page.fill("input[name=username]", step.user)
            page.fill("input[name=password]", PASSWORDS[step.user])
            page.click("form button[type=submit]")
            page.wait_for_load_state()
        for name, variable in step.fill.items():
            page.fill(f"input[name={name}]", state_value(state, variable))
        for button in step.press:
            page.get_by_role("button", name=button, exact=True).click()
            page.wait_for_load_state()
        if step.sets:
            for _ in range(150):
                if "url" in landed:
                    break
                page.wait_for_timeout(100)
            assert "url" in landed, f"the browser stayed on {page.url}:\n{page.inner_text('body')[:500]}"
            if landed["form"]:  # response_mode=form_post: the posted fields, as a query string
                value = landed["url"] + "?" + landed["form"]
            else:  # query or fragment (the fragment never reaches a server: read it from the address bar)
                page.wait_for_url(lambda u: u.split("#")[0] == landed["url"], timeout=15000)
                value = page.url
            with state.open("a") as f:
                f.write(f"declare -x {step.sets}={shlex.quote(value)}\n")
            return f"{step.sets}={value[:80]}..."
        body = page.inner_text("body")
        assert step.sees is None or step.sees in body, f"the page does not say {step.sees!r}:\n{body[:500]}"
        return body[:200]
    finally:
        context.close()


@pytest.mark.parametrize("guide", guides(), ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_guide(guide: Path, server: LiveServer, workdir: Path, request) -> None:
    found = blocks(guide)
    runnable = [b for b in found if b.runs]
    NOT_RUN.extend((b.where, b.not_run) for b in found if b.not_run is not None)
    assert runnable, f"{guide.name} has no block to run"

    # One URL variable, introduced once, in the first block that runs; no block depends on port 8000.
    introductions = [b for b in found if URL_LINE.search(b.code)]
    assert len(introductions) == 1 and introductions[0] is runnable[0], (
        f"{guide.name}: the first block that runs must introduce `export {URL_VARIABLE}=...`, once in the guide")
    for block in found:
        if block.runs and block.browser is None:
            stray = [line for line in block.code.splitlines()
                     if "127.0.0.1:8000" in line and not URL_LINE.match(line)]
            assert not stray, f"{block.where} names the port itself instead of ${URL_VARIABLE}: {stray}"

    state = workdir / f"{guide.stem}.env"
    state.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in PRIVATE}
    env["GUIDE_STATE"] = str(state)
    # Code that calls webbrowser.open (a native app's login) gets a stand-in person: tests/docs/browse.py.
    env["BROWSER"] = f"{sys.executable} {Path(__file__).with_name('browse.py')} %s"
    env["AUTHFLOWS_BROWSE_LOG"] = str(workdir / "browse.log")
    for block in runnable:
        if block.browser is not None:
            chromium = request.getfixturevalue("chromium")
            state.touch()
            BROWSER_STEPS.append((block.where, block.browser))
            run_browser_step(browser_step(block.browser), state, server, chromium)
            continue
        code = block.code
        if block is runnable[0]:
            code = URL_LINE.sub(f"export {URL_VARIABLE}={server.url}", code)
        script = workdir / ("block.py" if block.lang in ("python", "py") else "block.sh")
        script.write_text(code)
        wrapper = PYTHON_WRAPPER if script.suffix == ".py" else SHELL_WRAPPER
        result = subprocess.run(["bash", "-c", wrapper, "bash", str(script), sys.executable], cwd=workdir, env=env,
                                capture_output=True, text=True, timeout=BLOCK_TIMEOUT)
        context = (f"\n--- {block.where} ({block.lang}) ---\n{code}--- exit {result.returncode} ---\n"
                   f"{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}")
        assert result.returncode == 0, f"block failed{context}\n--- server log ---\n{server.log()[-3000:]}"
        sample = block.expected
        status = STATUS_LINE.match(sample or "")
        if status:  # the status line, then the JSON body if the guide shows one
            shown = re.search(r"^HTTP/[\d.]+ (\d{3})", result.stdout, re.M)
            assert shown and shown.group(1) == status.group(1), f"the guide shows HTTP {status.group(1)}{context}"
            sample = sample.split("\n\n", 1)[1] if "\n\n" in sample else None
        if sample:
            keys, exact = expected_keys(sample)
            if keys:
                actual = last_json_object(result.stdout)
                assert actual is not None, f"the guide shows a JSON answer, the block printed none{context}"
                missing = keys - set(actual)
                assert not missing, f"the answer lacks {sorted(missing)} that the guide shows{context}"
                for key, value in exact.items():
                    assert actual.get(key) == value, f"{key}: the guide shows {value!r}{context}"
