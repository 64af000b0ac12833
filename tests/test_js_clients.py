"""Independent JavaScript clients (oauth4webapi from npm) against a live server: DPoP client credentials and
a DPoP-protected API call (RFC 9449)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .live import LiveServer

pytestmark = pytest.mark.live
JS = Path(__file__).parent / "js"
AUD = "https://api.example.test/"


@pytest.fixture(scope="module")
def node_modules():
    """oauth4webapi installed from the npm registry into tests/js/node_modules (once; `make test` installs
    node and npm through apt)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed (`make node` installs Debian's nodejs and npm)")
    if not (JS / "node_modules" / "oauth4webapi").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS, check=True,
                       timeout=300)
    return JS / "node_modules"


@pytest.fixture(scope="module")
def server():
    with LiveServer() as live:
        yield live


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "PS256"])
def test_oauth4webapi_dpop_client_credentials_and_api(node_modules, server, alg):
    secret = server.manage("shell", "-c", "from example_project.demo.secrets import demo_secret;"
                                          "print(demo_secret('demo-m2m'))").split()[-1]
    result = subprocess.run(
        ["node", str(JS / "dpop_client_credentials.mjs"), server.url + "/", "demo-m2m", secret, AUD,
         server.url + "/api/private-scoped", alg], capture_output=True, text=True, timeout=60, cwd=JS)
    assert result.returncode == 0, result.stderr + server.log()[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["discovery_algs"] == ["ES256", "EdDSA", "RS256", "PS256"]
    assert out["token_type"].lower() == "dpop"
    assert out["api_status"] == 200, out
    assert out["api_body"]["sub"] == "demo-m2m@clients"
    assert out["stolen_status"] == 401 and out["stolen_challenge"].startswith("DPoP "), out
