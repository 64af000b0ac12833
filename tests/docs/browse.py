"""A stand-in for the person at the browser, for guides whose code calls ``webbrowser.open`` (the runner sets
``BROWSER`` to this file): log in as demo, press Allow, and follow the redirect to the application.

Python's webbrowser waits for the BROWSER command to exit, while the application waits for the redirect, so
the command returns at once and the browsing goes on in a child process."""
from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def browse(url: str) -> None:
    from playwright.sync_api import sync_playwright

    server = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(url)
        if page.locator("input[name=username]").count():
            page.fill("input[name=username]", "demo")
            page.fill("input[name=password]", "demo-password-123")
            page.click("form button[type=submit]")
            page.wait_for_load_state()
        if page.locator("button[name=allow]").count():
            page.click("button[name=allow]", no_wait_after=True)
        page.wait_for_url(lambda u: not u.startswith(server), timeout=30000)
        page.wait_for_load_state()
        browser.close()


if __name__ == "__main__":
    if os.environ.get("AUTHFLOWS_BROWSE_CHILD"):
        browse(sys.argv[1])
    else:
        log = open(os.environ.get("AUTHFLOWS_BROWSE_LOG", os.devnull), "ab")
        subprocess.Popen([sys.executable, __file__, sys.argv[1]], env={**os.environ, "AUTHFLOWS_BROWSE_CHILD": "1"},
                         stdout=log, stderr=log, start_new_session=True)
