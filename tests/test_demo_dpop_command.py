"""`manage.py authflows demo dpop` against a live example project: the seeded "FAPI 2.0" application
(private_key_jwt with the key seed_demo wrote, DPoP required) and the M2M one (client secret), with server nonces on."""
from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .live import ROOT, LiveServer

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server():
    with LiveServer({"EXAMPLE_DPOP_NONCE": "1"}) as live:
        yield live


def key_file(server) -> Path:
    return Path(server.env["SQLITE_PATH"] + "-demo-fapi-key.json")


def test_seeded_fapi_application_and_its_key(server):
    path = key_file(server)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    private = json.loads(path.read_text())
    assert private["kty"] == "EC" and private["crv"] == "P-256" and "d" in private
    app = server.manage_json("authflows", "apps", "show", "demo-fapi")
    assert app["token_endpoint_auth_method"] == "private_key_jwt", app
    assert app["require_dpop"] is True and app["require_pushed_authorization_requests"] is True, app
    registered = app["jwks"]["keys"]
    assert [k["kid"] for k in registered] == [private["kid"]] and all("d" not in k for k in registered)
    assert registered[0]["x"] == private["x"] and registered[0]["y"] == private["y"]
    # seeding again keeps the key (the file and the registered JWK stay in step)
    server.manage("seed_demo", "--base-url", server.url)
    assert json.loads(path.read_text()) == private
    assert server.manage_json("authflows", "apps", "show", "demo-fapi")["jwks"] == app["jwks"]


def test_demo_dpop_with_the_fapi_application(server):
    result = server.manage_json("authflows", "demo", "dpop", "--client-id", "demo-fapi", "--key-file",
                                str(key_file(server)), "--base-url", server.url)
    assert result["token_type"] == "DPoP"
    assert result["cnf"] == {"jkt": result["proof_key_jkt"]}
    assert result["access_token_claims"]["sub"] == "demo-fapi@clients"
    assert result["api"]["status"] == 200 and result["api"]["body"]["sub"] == "demo-fapi@clients"
    assert result["as_bearer"]["status"] == 401
    assert result["as_bearer"]["www_authenticate"].startswith("DPoP ") and "invalid_token" in result["as_bearer"][
        "www_authenticate"]


def test_demo_dpop_text_output_with_a_client_secret(server):
    secret = server.manage("shell", "-c", "from example_project.demo.secrets import demo_secret;"
                                          "print(demo_secret('demo-m2m'))").split()[-1]
    out = server.manage("authflows", "demo", "dpop", "--client-id", "demo-m2m", "--client-secret", secret,
                        "--base-url", server.url)
    assert "The server asked for its DPoP nonce" in out  # nonces are on in this server
    assert "Token type:  DPoP" in out
    assert "(the proof key's thumbprint: the token is bound to it)" in out
    assert "API with Authorization: DPoP + a proof: 200" in out
    assert "Same token as a plain Bearer token: 401  WWW-Authenticate: DPoP " in out


def test_demo_dpop_refused_client_is_a_clear_error(server, tmp_path):
    from jwcrypto import jwk

    stranger = tmp_path / "stranger.json"  # a key the application never registered
    stranger.write_text(jwk.JWK.generate(kty="EC", crv="P-256", kid="x").export_private())
    result = subprocess.run([sys.executable, "manage.py", "authflows", "demo", "dpop", "--client-id", "demo-fapi",
                             "--key-file", str(stranger), "--base-url", server.url], cwd=ROOT, env=server.env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "invalid_client" in result.stderr and "Traceback" not in result.stderr
    public_only = tmp_path / "public.json"
    public_only.write_text(jwk.JWK.generate(kty="EC", crv="P-256").export_public())
    result = subprocess.run([sys.executable, "manage.py", "authflows", "demo", "dpop", "--client-id", "demo-fapi",
                             "--key-file", str(public_only), "--base-url", server.url], cwd=ROOT, env=server.env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "holds no private key" in result.stderr
