"""A real worker (``manage.py db_worker``, django-tasks-db) delivers back-channel logouts from a real server
to real receivers; the user's logout never waits for them (OIDC Back-Channel Logout 1.0 §2.5, §2.8)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from urllib.parse import urlencode

import requests

from ..live import ROOT, LiveServer
from ..oauth import verify
from ..people import consent, login
from .receiver import Receiver

WAIT = 40  # seconds: the worker polls every 0.2 s; retries come 0.3 s, then 0.6 s apart


def deliveries(server: LiveServer) -> dict[str, dict]:
    out = server.manage("shell", "-c", "import json; from django_authflows.models import BackchannelDelivery as D; "
                        "print(json.dumps({d.uri: {'status': d.status, 'attempts': d.attempts, "
                        "'last_status': d.last_status} for d in D.objects.all()}))")
    return json.loads(out.strip().splitlines()[-1])


def test_a_real_worker_delivers_retries_and_records_failures():
    with (Receiver(200) as ok, Receiver(503) as broken, Receiver(200, delay=8) as slow,
          LiveServer(env={"EXAMPLE_BACKCHANNEL_BACKOFF": "0.3"}) as server):
        apps = {}
        for name, receiver in (("ok", ok), ("broken", broken), ("slow", slow)):
            apps[name] = server.manage_json("authflows", "apps", "create", "--name", f"RP {name}", "--type", "regular",
                                            "--callbacks", "https://rp.example.test/cb",
                                            "--backchannel-logout-uri", receiver.url)
        browser = requests.Session()
        login(browser, server.url)
        for app in apps.values():
            consent(browser, server.url, server.url + "/authorize?" + urlencode({
                "response_type": "code", "client_id": app["client_id"], "redirect_uri": "https://rp.example.test/cb",
                "scope": "openid", "state": "s"}))
        worker = subprocess.Popen([sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay",
                                   "--no-reload"], cwd=ROOT, env=server.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            started = time.monotonic()
            response = browser.get(server.url + "/v2/logout", timeout=10)
            assert response.status_code == 200
            assert time.monotonic() - started < 2  # the slow and the broken receivers are not waited on
            [token] = ok.wait_for(1, WAIT)
            broken.wait_for(3, WAIT)
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                state = deliveries(server)
                if state[broken.url]["status"] == "failed" and state[slow.url]["status"] != "pending":
                    break
                time.sleep(0.5)
        finally:
            worker.terminate()
            worker.wait(15)
        assert state[ok.url] == {"status": "delivered", "attempts": 1, "last_status": 200}
        # EXAMPLE_BACKCHANNEL_BACKOFF sets 3 attempts and a 2 s timeout per POST.
        assert state[broken.url] == {"status": "failed", "attempts": 3, "last_status": 503}
        assert len(broken.tokens) == 3
        assert state[slow.url]["status"] == "failed" and state[slow.url]["last_status"] is None
        claims = verify(token, requests.get(server.url + "/.well-known/jwks.json", timeout=10).json())
        assert claims["aud"] == apps["ok"]["client_id"] and claims["iss"] == server.url + "/" and claims["sid"]
