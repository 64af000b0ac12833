"""``manage.py authflows``: JSON output, secrets shown once and stored hashed, readable errors."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_authflows.models import Application, ClientGrant

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("authflows", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def run_json(*args):
    return json.loads(run(*args, "--json"))


def test_apis_create_json():
    body = run_json("apis", "create", "--name", "Msgs", "--identifier", "https://api.example.test/",
                    "--scopes", "read:messages,write:messages")
    assert body["identifier"] == "https://api.example.test/"
    assert body["name"] == "Msgs"
    assert body["scopes"] == ["read:messages", "write:messages"]


@pytest.mark.parametrize("app_type,grants,secret", [
    ("regular", ["authorization_code", "refresh_token"], True),
    ("spa", ["authorization_code", "refresh_token"], False),
    ("native", ["authorization_code", "refresh_token"], False),
    ("m2m", ["client_credentials"], True),
])
def test_apps_create_defaults(app_type, grants, secret):
    args = ["apps", "create", "--name", "A", "--type", app_type]
    if app_type != "m2m":
        args += ["--callbacks", "https://a.example.test/cb"]
    body = run_json(*args)
    assert body["type"] == app_type
    assert body["grant_types"] == grants
    assert (body["client_secret"] is not None) == secret
    app = Application.objects.get(client_id=body["client_id"])
    if secret:
        assert body["client_secret"] not in app.client_secret  # stored hashed only
        assert len(body["client_secret"]) >= 43  # >= 256 bits


def test_device_code_alias_and_implicit_only_when_asked():
    body = run_json("apps", "create", "--name", "TV", "--type", "native", "--grants", "device_code,refresh_token")
    assert body["grant_types"] == ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]


def test_m2m_with_client_grant():
    run_json("apis", "create", "--name", "Msgs", "--identifier", "https://api.example.test/",
             "--scopes", "read:messages,write:messages")
    body = run_json("apps", "create", "--name", "Cron", "--type", "m2m", "--api", "https://api.example.test/",
                    "--scopes", "read:messages")
    grant = ClientGrant.objects.get(application__client_id=body["client_id"])
    assert grant.scopes == ["read:messages"]
    listed = run_json("grants", "list")
    assert listed == {"client_grants": [{"client_id": body["client_id"], "audience": "https://api.example.test/",
                                         "scopes": ["read:messages"]}]}


def test_show_never_prints_the_secret():
    created = run_json("apps", "create", "--name", "Web", "--type", "regular", "--callbacks", "https://a.test/cb")
    shown = run_json("apps", "show", created["client_id"])
    assert "client_secret" not in shown
    assert created["client_secret"] not in run("apps", "list")


def test_rotate_secret():
    created = run_json("apps", "create", "--name", "Web", "--type", "regular", "--callbacks", "https://a.test/cb")
    rotated = run_json("apps", "rotate-secret", created["client_id"])
    assert rotated["client_secret"] != created["client_secret"]


def test_delete_and_list():
    created = run_json("apps", "create", "--name", "Web", "--type", "spa", "--callbacks", "https://a.test/cb")
    assert run_json("apps", "delete", created["client_id"]) == {"client_id": created["client_id"], "deleted": True}
    assert run_json("apps", "list") == {"applications": []}


@pytest.mark.parametrize("args,message", [
    (["apps", "create", "--name", "x", "--type", "spa", "--grants", "client_credentials"], "cannot use"),
    (["apps", "create", "--name", "x", "--type", "regular", "--callbacks", "http://evil.example/cb"], "https"),
    (["apps", "create", "--name", "x", "--type", "regular", "--callbacks", "https://a.test/*"], "wildcard"),
    (["apps", "create", "--name", "x", "--type", "regular", "--callbacks", "https://a.test/cb#x"], "fragment"),
    (["apps", "create", "--name", "x", "--type", "regular"], "callback"),
    (["apps", "show", "missing"], "No application with client_id .missing."),
])
def test_errors_are_command_errors(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_keys_list_and_rotate():
    first = run_json("keys", "list")["keys"]
    assert sorted(k["state"] for k in first) == ["active", "next"]
    nxt = run_json("keys", "rotate", "--prepare")
    assert nxt["state"] == "next" and nxt["kid"] in {k["kid"] for k in first}
    rotated = run_json("keys", "rotate")
    assert rotated["kid"] == nxt["kid"] and rotated["state"] == "active"
    states = sorted(k["state"] for k in run_json("keys", "list")["keys"])
    assert states == ["active", "next", "retired"]
    retired = run_json("keys", "retire", nxt["kid"])
    assert retired["state"] == "retired"


def test_table_output():
    run("apis", "create", "--name", "Msgs", "--identifier", "https://api.example.test/", "--scopes", "read:x")
    table = run("apis", "list")
    assert table.splitlines()[0].split() == ["IDENTIFIER", "NAME", "SCOPES"]


def test_retiring_the_active_key_promotes_the_published_next_key():
    keys = run_json("keys", "list")["keys"]
    active = next(k for k in keys if k["state"] == "active")
    nxt = next(k for k in keys if k["state"] == "next")
    assert run_json("keys", "retire", active["kid"])["state"] == "retired"
    states = {k["kid"]: k["state"] for k in run_json("keys", "list")["keys"]}
    assert states[nxt["kid"]] == "active"


def test_application_clean_uses_our_url_rules():
    from django.core.exceptions import ValidationError

    body = run_json("apps", "create", "--name", "App", "--type", "native", "--callbacks", "com.example.app:/cb")
    app = Application.objects.get(client_id=body["client_id"])
    app.full_clean()  # DOT's clean() would demand OIDC_RSA_PRIVATE_KEY and refuse the private-use scheme
    app.allowed_origins = "http://evil.example"
    with pytest.raises(ValidationError) as info:
        app.full_clean()
    assert "allowed_origins" in info.value.message_dict


def test_retiring_the_next_key_publishes_another_and_delete_removes_a_key():
    keys = run_json("keys", "list")["keys"]
    nxt = next(k for k in keys if k["state"] == "next")
    run_json("keys", "retire", nxt["kid"])
    again = run_json("keys", "list")["keys"]
    assert sum(k["state"] == "next" for k in again) == 1
    assert run_json("keys", "retire", nxt["kid"])["state"] == "retired"  # idempotent
    assert run_json("keys", "delete", nxt["kid"]) == {"kid": nxt["kid"], "deleted": True}
    assert nxt["kid"] not in {k["kid"] for k in run_json("keys", "list")["keys"]}


def test_no_kid_starts_with_a_dash_so_the_cli_can_take_it(monkeypatch):
    from jwcrypto import jwk

    from django_authflows.server import keys

    made = iter(["-starts-with-a-dash", "A-fine-kid"])
    with monkeypatch.context() as patched:  # the 1-in-64 case, made certain
        patched.setattr(jwk.JWK, "thumbprint", lambda self, *a: next(made))
        record = keys.create_key("EdDSA")
    assert record.kid == "A-fine-kid"
    assert run_json("keys", "retire", record.kid)["state"] == "retired"


@pytest.mark.parametrize("args", [
    ["apps", "show", "nobody"], ["apps", "delete", "nobody"], ["apps", "rotate-secret", "nobody"],
    ["grants", "create", "--client-id", "nobody", "--api", "https://api.example.test/"],
])
def test_unknown_client_id_is_named(args):
    """Not Django's 'Application matching query does not exist.': what was looked for, and where to look."""
    with pytest.raises(CommandError, match="No application with client_id 'nobody'"):
        run(*args)


def test_unknown_api_is_named():
    with pytest.raises(CommandError, match="No API with identifier 'https://nowhere.test/'"):
        run("apis", "show", "https://nowhere.test/")


@pytest.mark.parametrize("flow", [["m2m", "--client-secret", "s"], ["device"], ["dpop", "--client-secret", "s"]])
def test_demo_connection_error_names_the_url(flow, settings):
    """A server that is not there: the error says which URL was tried and how to give another one."""
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with pytest.raises(CommandError) as caught:
        run("demo", flow[0], "--client-id", "x", *flow[1:], "--base-url", base, "--audience", "https://a.test/")
    assert f"Could not reach {base}/oauth/" in str(caught.value) and "--base-url" in str(caught.value)


def test_demo_defaults_to_the_seeded_server(settings):
    """No --base-url and no ISSUER: the base URL the demo was seeded for, not a fixed :8000."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.AUTHFLOWS = {**getattr(settings, "AUTHFLOWS", {}), "ISSUER": None}
    settings.AUTHFLOWS_DEMO_BASE_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(CommandError, match=f"Could not reach http://127.0.0.1:{port}/oauth/token"):
        run("demo", "m2m", "--client-id", "x", "--client-secret", "s", "--audience", "https://a.test/")


def test_apps_create_private_key_jwt(tmp_path):
    from jwcrypto import jwk

    key = jwk.JWK.generate(kty="EC", crv="P-256", kid="cli-1")
    private, public = tmp_path / "private.json", tmp_path / "public.json"
    private.write_text(key.export_private())
    public.write_text(key.export_public())
    with pytest.raises(CommandError, match="PUBLIC key only"):
        run("apps", "create", "--name", "Keyed", "--type", "m2m", "--auth-method", "private_key_jwt",
            "--jwk-file", str(private), "--json")
    with pytest.raises(CommandError, match="needs the application's public keys"):
        run("apps", "create", "--name", "Keyed", "--type", "m2m", "--auth-method", "private_key_jwt", "--json")
    with pytest.raises(CommandError, match="https"):
        run("apps", "create", "--name", "Keyed", "--type", "m2m", "--auth-method", "private_key_jwt",
            "--jwks-uri", "http://keys.example.test/jwks.json", "--json")
    made = run_json("apps", "create", "--name", "Keyed", "--type", "m2m", "--auth-method", "private_key_jwt",
                    "--jwk-file", str(public), "--json")
    assert made["token_endpoint_auth_method"] == "private_key_jwt" and made["client_secret"] is None
    assert made["jwks"]["keys"][0]["kid"] == "cli-1" and "d" not in made["jwks"]["keys"][0]
    by_url = run_json("apps", "create", "--name", "Keyed 2", "--type", "regular", "--auth-method", "private_key_jwt",
                      "--jwks-uri", "https://keys.example.test/jwks.json", "--callbacks",
                      "https://client.example.test/cb", "--require-par", "--json")
    assert by_url["jwks_uri"] == "https://keys.example.test/jwks.json"
    assert by_url["require_pushed_authorization_requests"] is True
    with pytest.raises(CommandError):
        run("apps", "create", "--name", "SPA", "--type", "spa", "--auth-method", "private_key_jwt",
            "--jwk-file", str(public), "--callbacks", "https://client.example.test/cb", "--json")


def test_apps_create_fapi(tmp_path):
    from jwcrypto import jwk

    public = tmp_path / "public.json"
    public.write_text(jwk.JWK.generate(kty="EC", crv="P-256", kid="fapi-1").export_public())
    made = run_json("apps", "create", "--name", "Bank", "--type", "regular", "--callbacks",
                    "https://bank.example.test/cb", "--fapi", "--jwk-file", str(public))
    assert made["fapi"] is True and made["token_endpoint_auth_method"] == "private_key_jwt"
    assert made["client_secret"] is None and made["require_dpop"] and made["require_pushed_authorization_requests"]
    with pytest.raises(CommandError, match="FAPI 2.0"):
        run("apps", "create", "--name", "Bank 2", "--type", "regular", "--callbacks", "https://bank.example.test/cb",
            "--grants", "authorization_code,implicit", "--fapi", "--jwk-file", str(public), "--json")
    with pytest.raises(CommandError, match="public keys"):
        run("apps", "create", "--name", "Bank 3", "--type", "m2m", "--fapi", "--json")
    assert run_json("apps", "create", "--name", "Plain", "--type", "m2m")["fapi"] is False
