"""Logs of a full run of every flow, at DEBUG for every logger: no token, code, secret or password."""
from __future__ import annotations

import base64
import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from django_authflows.apis import create_client_grant

from ..oauth import TOKEN_URL, pkce_pair, query

pytestmark = pytest.mark.django_db
AUD = "https://api.example.test/"
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


def test_no_secret_reaches_the_logs(client, caplog, settings, user, password, make_client, make_api):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "FLOWS": [*settings.AUTHFLOWS["FLOWS"], "implicit"]}
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = [password]
    api = make_api()

    # login through the page, with one wrong password first
    client.post("/login", {"username": "alice", "password": "wrong-password-xyz"})
    secrets.append("wrong-password-xyz")
    assert client.post("/login", {"username": "alice", "password": password}).status_code == 302

    def authorize(app, **params):
        params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri_list[0],
                  "scope": "openid profile email offline_access read:messages", "audience": AUD, "state": "st",
                  "nonce": "nonce-value-123", **params}
        response = client.get("/authorize", params)
        if response.status_code == 200 and b'name="allow"' in response.content:
            response = client.post(response.wsgi_request.get_full_path(), {"allow": "1"})
        return response

    # authorization code (confidential) with refresh, revoke, introspect
    web = make_client("regular")
    secrets.append(web.secret)
    code = query(authorize(web)["Location"])["code"]
    auth = "Basic " + base64.b64encode(f"{web.client_id}:{web.secret}".encode()).decode()
    body = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code,
                                   "redirect_uri": web.redirect_uri_list[0]}, HTTP_AUTHORIZATION=auth).json()
    secrets += [code, body["access_token"], body["id_token"], body["refresh_token"]]
    refreshed = client.post(TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                            HTTP_AUTHORIZATION=auth).json()
    secrets += [refreshed["access_token"], refreshed["refresh_token"]]
    client.post(TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                HTTP_AUTHORIZATION=auth)  # a replay
    client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code,
                            "redirect_uri": web.redirect_uri_list[0]}, HTTP_AUTHORIZATION=auth)  # a replay
    client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {refreshed['access_token']}")
    client.post("/oauth/introspect", {"token": refreshed["access_token"]}, HTTP_AUTHORIZATION=auth)
    client.post("/oauth/revoke", {"token": refreshed["refresh_token"]}, HTTP_AUTHORIZATION=auth)

    # PKCE (public)
    spa = make_client("spa")
    verifier, challenge = pkce_pair()
    code = query(authorize(spa, code_challenge=challenge, code_challenge_method="S256")["Location"])["code"]
    body = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code, "client_id": spa.client_id,
                                   "redirect_uri": spa.redirect_uri_list[0], "code_verifier": verifier}).json()
    secrets += [verifier, code, body["access_token"], body["refresh_token"]]

    # implicit
    implicit = make_client("spa", grants=["implicit"])
    fragment = parse_qs(urlsplit(authorize(implicit, response_type="id_token token")["Location"]).fragment)
    secrets += [fragment["access_token"][0], fragment["id_token"][0]]

    # client credentials, with a wrong secret first
    m2m = make_client("m2m")
    create_client_grant(m2m, api, ["read:messages"])
    secrets.append(m2m.secret)
    client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD, "client_id": m2m.client_id,
                            "client_secret": "wrong-client-secret-xyz"})
    secrets.append("wrong-client-secret-xyz")
    body = client.post(TOKEN_URL, {"grant_type": "client_credentials", "audience": AUD, "client_id": m2m.client_id,
                                   "client_secret": m2m.secret}).json()
    secrets.append(body["access_token"])
    client.get("/api/private-scoped", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")

    # device
    tv = make_client("native", grants=["device_code", "refresh_token"], callbacks=[])
    started = client.post("/oauth/device/code", {"client_id": tv.client_id, "scope": "openid offline_access"}).json()
    client.post("/activate", {"user_code": started["user_code"]})
    client.post("/activate", {"user_code": started["user_code"], "allow": "1"})
    body = client.post(TOKEN_URL, {"grant_type": DEVICE, "client_id": tv.client_id,
                                   "device_code": started["device_code"]}).json()
    secrets += [started["device_code"], started["user_code"], started["user_code"].replace("-", ""),
                body["access_token"], body["refresh_token"]]

    text = "\n".join(f"{r.name} {r.getMessage()} {getattr(r, 'authflows', '')}" for r in caplog.records)
    assert "event=token_issued" in text and "event=client_authentication_failed" in text
    assert "event=login_failed" in text and "event=authorization_code_replayed" in text
    leaked = [s[:12] + "..." for s in secrets if s and s in text]
    assert leaked == [], leaked


@pytest.mark.parametrize("client_id", ["known", "unknown-client"])
def test_a_failed_client_authentication_is_one_audit_line_with_its_reason(client, caplog, make_client, client_id):
    app = make_client("m2m")
    sent_id = app.client_id if client_id == "known" else client_id
    caplog.set_level(logging.INFO, logger="django_authflows.audit")
    auth = "Basic " + base64.b64encode(f"{sent_id}:not-the-secret".encode()).decode()
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    lines = [r.getMessage() for r in caplog.records if r.name == "django_authflows.audit"]
    reason = "wrong_secret" if client_id == "known" else "unknown_client"
    assert len(lines) == 1, lines
    assert lines[0].startswith("event=client_authentication_failed") and f"reason={reason}" in lines[0]
    assert "not-the-secret" not in lines[0]
