"""Device Authorization (RFC 8628) end to end over HTTP: every state of the grant."""
from __future__ import annotations

import datetime
import json
from http import HTTPStatus

import pytest
from django.utils import timezone

from django_authflows.models import DeviceGrant
from django_authflows.server.flows.device.codes import normalise_user_code

from ..oauth import ISSUER, TOKEN_URL, verify

pytestmark = pytest.mark.django_db
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
AUD = "https://api.example.test/"


@pytest.fixture
def device(make_client):
    return make_client("native", grants=["device_code", "refresh_token"], callbacks=[])


def start(client, app, **params):
    params = {"client_id": app.client_id, "scope": "openid profile offline_access", **params}
    response = client.post("/oauth/device/code", params)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def poll(client, app, device_code):
    return client.post(TOKEN_URL, {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": app.client_id})


def approve(logged_in, user_code, decision="allow"):
    page = logged_in.post("/activate", {"user_code": user_code})
    assert b'name="allow"' in page.content, page.content
    return logged_in.post("/activate", {"user_code": user_code, decision: "1"})


def ready(device_code):  # as if the device waited its interval
    DeviceGrant.objects.update(last_polled=None)


def test_device_authorization_response(client, device):
    body = start(client, device)
    assert set(body) == {"device_code", "user_code", "verification_uri", "verification_uri_complete",
                         "expires_in", "interval"}
    assert body["verification_uri"] == ISSUER + "activate"
    assert body["verification_uri_complete"] == f"{ISSUER}activate?user_code={body['user_code']}"
    assert body["expires_in"] == 900 and body["interval"] == 5
    code = body["user_code"]
    assert len(code) == 9 and code[4] == "-" and set(code.replace("-", "")) <= set("BCDFGHJKLMNPQRSTVWXZ")
    grant = DeviceGrant.objects.get()
    assert body["device_code"] not in grant.device_code_hash  # stored hashed


def test_json_body_and_charset(client, device):
    assert client.post("/oauth/device/code", json.dumps({"client_id": device.client_id, "scope": None}),
                       content_type="application/json").status_code == HTTPStatus.OK
    assert client.post("/oauth/device/code", f"client_id={device.client_id}",
                       content_type="application/x-www-form-urlencoded; charset=ISO-8859-1").status_code == 200


def test_full_flow_pending_approved_single_use(client, logged_in, device, make_api, user):
    make_api()
    body = start(client, device, audience=AUD, scope="openid offline_access read:messages")
    assert poll(client, device, body["device_code"]).json()["error"] == "authorization_pending"
    assert approve(logged_in, body["user_code"]).status_code == HTTPStatus.OK
    ready(body["device_code"])
    tokens = poll(client, device, body["device_code"])
    assert tokens.status_code == HTTPStatus.OK, tokens.content
    data = tokens.json()
    assert {"access_token", "refresh_token", "id_token", "expires_in", "token_type", "scope"} <= set(data)
    jwks = client.get("/.well-known/jwks.json").json()
    access = verify(data["access_token"], jwks)
    assert AUD in access["aud"] and access["client_id"] == device.client_id
    assert access["sub"] == f"authflows|{user.pk}"
    assert verify(data["id_token"], jwks)["aud"] == device.client_id
    assert client.get("/api/private-scoped", HTTP_AUTHORIZATION=f"Bearer {data['access_token']}").status_code == 200
    again = poll(client, device, body["device_code"])
    assert again.json()["error"] == "invalid_grant"


def test_slow_down_grows_the_interval(client, device):
    body = start(client, device)
    assert poll(client, device, body["device_code"]).json()["error"] == "authorization_pending"
    slow = poll(client, device, body["device_code"]).json()
    assert slow["error"] == "slow_down" and slow["interval"] == 10
    assert DeviceGrant.objects.get().interval == 10


def test_denied(client, logged_in, device):
    body = start(client, device)
    page = approve(logged_in, body["user_code"], decision="deny")
    assert b"Request denied" in page.content
    assert poll(client, device, body["device_code"]).json()["error"] == "access_denied"


def test_expired_once_then_invalid(client, device):
    body = start(client, device)
    DeviceGrant.objects.update(expires=timezone.now() - datetime.timedelta(seconds=1))
    assert poll(client, device, body["device_code"]).json()["error"] == "expired_token"
    assert poll(client, device, body["device_code"]).json()["error"] == "invalid_grant"


def test_bound_to_its_client(client, logged_in, device, make_client):
    other = make_client("native", grants=["device_code"], callbacks=[])
    body = start(client, device)
    approve(logged_in, body["user_code"])
    assert poll(client, other, body["device_code"]).json()["error"] == "invalid_grant"
    ready(body["device_code"])
    assert poll(client, device, body["device_code"]).status_code == HTTPStatus.OK


@pytest.mark.parametrize("data,error,status", [
    ({"device_code": "nope"}, "invalid_grant", 400),
    ({}, "invalid_request", 400),
])
def test_unknown_or_missing_device_code(client, device, data, error, status):
    response = client.post(TOKEN_URL, {"grant_type": DEVICE_GRANT, "client_id": device.client_id, **data})
    assert response.status_code == status and response.json()["error"] == error


def test_unknown_client(client, db):
    response = client.post(TOKEN_URL, {"grant_type": DEVICE_GRANT, "client_id": "nope", "device_code": "x"})
    assert response.status_code == HTTPStatus.UNAUTHORIZED and response.json()["error"] == "invalid_client"
    response = client.post("/oauth/device/code", {"client_id": "nope"})
    assert response.json()["error"] == "invalid_client"


def test_only_apps_with_the_device_grant(client, make_client):
    app = make_client("native")
    response = client.post("/oauth/device/code", {"client_id": app.client_id})
    assert response.json()["error"] == "unauthorized_client"


def test_no_refresh_token_without_offline_access(client, logged_in, device):
    body = start(client, device, scope="openid")
    approve(logged_in, body["user_code"])
    ready(body["device_code"])
    assert "refresh_token" not in poll(client, device, body["device_code"]).json()


@pytest.mark.parametrize("raw,expected", [("bcdf-ghjk", "BCDFGHJK"), (" BCDF GHJK ", "BCDFGHJK"), ("BCDFGHJK", "BCDFGHJK"),
                                          ("BCDF-GHJA", None), ("BCD", None), ("", None)])
def test_user_code_normalisation(raw, expected):
    assert normalise_user_code(raw) == expected


def test_activate_prefills_and_needs_login(client, logged_in, device):
    body = start(client, device)
    anonymous = client.__class__().get("/activate", {"user_code": body["user_code"]})
    assert anonymous.status_code == HTTPStatus.FOUND and "/login" in anonymous["Location"]
    page = logged_in.get("/activate", {"user_code": body["user_code"]})
    assert f'value="{body["user_code"]}"'.encode() in page.content
    assert page["X-Frame-Options"] == "DENY"
    confirm = logged_in.post("/activate", {"user_code": body["user_code"].lower().replace("-", " ")})
    assert body["user_code"].encode() in confirm.content and b"<svg" in confirm.content


def test_activate_pages_for_used_and_expired_codes(client, logged_in, device):
    body = start(client, device)
    approve(logged_in, body["user_code"])
    used = logged_in.post("/activate", {"user_code": body["user_code"]})
    assert used.status_code == HTTPStatus.BAD_REQUEST and b"already used" in used.content
    body = start(client, device)
    DeviceGrant.objects.filter(state="pending").update(expires=timezone.now())
    expired = logged_in.post("/activate", {"user_code": body["user_code"]})
    assert b"expired" in expired.content


def test_activate_rate_limit(logged_in, device, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "RATE_LIMITS": {"activate": (3, 60)}}
    statuses = [logged_in.post("/activate", {"user_code": "BBBB-BBBB"}).status_code for _ in range(4)]
    assert statuses == [400, 400, 429, 429]
    blocked = logged_in.post("/activate", {"user_code": "BBBB-BBBB"})
    assert b"Too many attempts" in blocked.content and int(blocked["Retry-After"]) > 0


def test_device_flow_off(client, device, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "FLOWS": ["authorization_code"]}
    assert client.post("/oauth/device/code", {"client_id": device.client_id}).status_code == 400


def test_two_audiences_are_refused(client, device):
    response = client.post("/oauth/device/code", {"client_id": device.client_id, "audience": AUD,
                                                  "resource": "https://other.example.test/"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_target"


def test_signals_carry_ids_not_codes(client, logged_in, device):
    from django_authflows import signals

    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    for signal in (signals.device_authorization_requested, signals.device_authorization_approved,
                   signals.device_authorization_denied):
        signal.connect(receiver, weak=False)
    try:
        body = start(client, device)
        approve(logged_in, body["user_code"])
        denied = start(client, device)
        approve(logged_in, denied["user_code"], decision="deny")
    finally:
        for signal in (signals.device_authorization_requested, signals.device_authorization_approved,
                       signals.device_authorization_denied):
            signal.disconnect(receiver)
    assert [sorted(k for k in s if k != "signal") for s in seen] == [
        ["client_id", "grant_id"], ["client_id", "grant_id", "user"],
        ["client_id", "grant_id"], ["client_id", "grant_id", "user"]]
    flat = repr(seen)
    for secret in (body["device_code"], body["user_code"], denied["device_code"], denied["user_code"]):
        assert secret not in flat


def test_an_approved_device_shows_on_the_account_page_and_can_be_revoked(client, logged_in, device, make_api):
    """The confirmation at /activate is the user's consent, as the other flows record it: the device is listed
    among the authorized apps, and revoking it there makes its next refresh fail."""
    make_api()
    started = start(client, device, audience=AUD)
    approve(logged_in, started["user_code"])
    ready(started["device_code"])
    tokens = poll(client, device, started["device_code"]).json()
    assert "refresh_token" in tokens, tokens
    page = logged_in.get("/account/authorized-apps")
    assert device.name.encode() in page.content
    consent = device.consents.get()
    assert (consent.audience, sorted(consent.scopes)) == (AUD, ["offline_access", "openid", "profile"])
    assert logged_in.post("/account/authorized-apps", {"consent": consent.pk}).status_code == HTTPStatus.FOUND
    again = client.post(TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                    "client_id": device.client_id})
    assert again.json() == {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}
