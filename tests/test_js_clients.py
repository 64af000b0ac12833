"""Independent JavaScript clients (oauth4webapi from npm) against a live server: DPoP client credentials and
a DPoP-protected API call (RFC 9449)."""
from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
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


CALLBACK = "http://127.0.0.1:9/callback"


def client_key(alg: str):
    from jwcrypto import jwk

    if alg == "ES256":
        return jwk.JWK.generate(kty="EC", crv="P-256", kid=f"e2e-{alg}", alg=alg, use="sig")
    return jwk.JWK.generate(kty="RSA", size=2048, kid=f"e2e-{alg}", alg=alg, use="sig")


def run_browser_login(url: str) -> str:
    """A real Chromium (Debian's, through Playwright): the login page, then Allow; returns where the server sent
    the browser back (the client's callback, answered here without a network)."""
    from playwright.sync_api import sync_playwright

    from .browser.conftest import ARGS, CHROMIUM, log_in

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium).")
    seen: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context().new_page()
            page.route(CALLBACK + "*", lambda route: (seen.append(route.request.url),
                                                      route.fulfill(status=200, body="back at the client")))
            page.goto(url)
            log_in(page)
            page.wait_for_url(CALLBACK + "*")
        finally:
            browser.close()
    return seen[-1]


@pytest.fixture(scope="module")
def nonce_server():
    """The example project with RFC 9449 §8 server nonces on: every token request needs the server's DPoP-Nonce."""
    with LiveServer({"EXAMPLE_DPOP_NONCE": "1"}) as live:
        yield live


@pytest.mark.browser
@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_oauth4webapi_par_private_key_jwt_dpop_code_flow(node_modules, nonce_server, tmp_path, alg):
    """The FAPI 2.0 shape by an independent client: PAR + private_key_jwt + PKCE + DPoP (with server nonces),
    a person logging in through Chromium, a DPoP-bound refresh, the API with a proof; then what a thief tries."""
    from jwcrypto import jwt as jose_jwt

    server = nonce_server
    key = client_key(alg)
    (tmp_path / "public.json").write_text(key.export_public())
    private = tmp_path / "private.json"
    private.write_text(key.export_private())
    private.chmod(0o600)
    app = server.manage_json("authflows", "apps", "create", "--name", f"oauth4webapi FAPI {alg}", "--type",
                             "regular", "--callbacks", CALLBACK, "--auth-method", "private_key_jwt",
                             "--jwk-file", str(tmp_path / "public.json"), "--require-par", "--require-dpop")
    assert "client_secret" not in app or not app["client_secret"]
    node = subprocess.Popen(["node", str(JS / "fapi_code_flow.mjs"), server.url + "/", app["client_id"], str(private),
                             CALLBACK, AUD, server.url + "/api/drf/private-scoped", server.url + "/api/private-scoped"],
                            cwd=JS, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = node.stdout.readline()
        assert first, node.stderr.read() + server.log()[-3000:]
        pushed = json.loads(first)
        assert pushed["request_uri"].startswith("urn:ietf:params:oauth:request_uri:") and pushed["expires_in"] == 60
        # its own thread: a session-scoped Playwright of tests/browser may already run an event loop in this one
        with ThreadPoolExecutor(1) as pool:
            callback = pool.submit(run_browser_login, pushed["authorize"]).result(timeout=120)
        out_text, err = node.communicate(callback + "\n", timeout=60)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait(5)
    assert node.returncode == 0, err + server.log()[-3000:]
    out = json.loads(out_text.strip().splitlines()[-1])

    assert out["par_endpoint"] == server.url + "/oauth/par"
    assert out["token_type"].lower() == "dpop" and out["refreshed_token_type"].lower() == "dpop", out
    assert out["rotated"]
    # server nonces: the first proof of each grant lacked the nonce and was refused with use_dpop_nonce; then
    # the client kept the nonce the server sent (code exchange, then the refresh with the nonce it already had)
    assert out["nonce_errors"] == ["use_dpop_nonce"], out
    assert out["token_proofs_have_nonce"] == [False, True, True], out
    jwks = json.loads(urllib_get(server.url + "/.well-known/jwks.json"))
    for token in (out["access_token"], out["refreshed_access_token"]):
        claims = json.loads(jose_jwt.JWT(jwt=token, key=jwk_set(jwks), algs=["RS256", "ES256", "PS256"]).claims)
        assert claims["cnf"] == {"jkt": out["jkt"]} and claims["client_id"] == app["client_id"]
        assert AUD in claims["aud"] and "read:messages" in claims["scope"].split()
    assert out["api_status"] == 200, out
    assert out["api_body"]["sub"] == out["sub"]
    assert out["plain_api_status"] == 200 and out["plain_api_body"]["sub"] == out["sub"], out
    assert out["plain_stolen_status"] == 401 and out["plain_stolen_challenge"].startswith("DPoP "), out
    # the thief's attempts, each a 401 with a DPoP challenge, no data
    assert out["stolen_status"] == 401 and out["stolen_challenge"].startswith("DPoP "), out
    assert 'error="invalid_token"' in out["stolen_challenge"]
    assert out["replayed_status"] == 401 and 'error="invalid_dpop_proof"' in out["replayed_challenge"], out
    assert out["other_ath_status"] == 401 and 'error="invalid_dpop_proof"' in out["other_ath_challenge"], out
    assert out["request_uri_again_status"] == 400, out


def urllib_get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def jwk_set(keys: dict):
    from jwcrypto import jwk

    return jwk.JWKSet.from_json(json.dumps(keys))
