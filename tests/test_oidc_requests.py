"""OIDC authentication requests (OIDC Core §3.1.2.1, §5.5, §6): POST, request objects, redirect_uri, prompt,
max_age, id_token_hint, claims and the tolerated parameters, through Django's test client over HTTP."""
from __future__ import annotations

import json
import time
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client

from .flows.test_authorization_code import exchange
from .oauth import ISSUER, fragment, query, verify

pytestmark = pytest.mark.django_db

CALLBACK = "https://client.example.test/callback"


@pytest.fixture
def make_client(make_client, user):
    """Applications the user has already consented to (the consent page is tested elsewhere)."""
    from django_authflows.models import Consent

    def factory(*args, **kwargs):
        app = make_client(*args, **kwargs)
        Consent.objects.create(user=user, application=app, audience="",
                               scopes=["openid", "profile", "email", "offline_access"])
        return app

    return factory


def params_for(app, **extra):
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": CALLBACK,
              "scope": "openid", "state": "st", "nonce": "nn"}
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def id_token(client, app, location):
    code = query(location)["code"]
    body = exchange(client, app, code).json()
    return verify(body["id_token"], client.get("/.well-known/jwks.json").json()), body


def login(client, user, password, location):
    """Follow a redirect to the login page and log in there with the form, as a person would."""
    assert urlsplit(location).path == "/login", location
    page = client.get(location)
    assert page.status_code == HTTPStatus.OK and b'name="password"' in page.content
    next_url = page.context["next"]
    response = client.post(location, {"username": user.username, "password": password, "next": next_url})
    assert response.status_code == HTTPStatus.FOUND, response.content
    return response["Location"]


# -- 1. POST authorization requests ------------------------------------------------------------------------

def test_authorization_request_sent_as_a_form_post_succeeds(user, make_client):
    """OIDC Core §3.1.2.1: the OP MUST support POST; an RP's cross-site form carries no CSRF token."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    app = make_client("regular")
    response = browser.post("/authorize", urlencode(params_for(app)), follow=True,
                            content_type="application/x-www-form-urlencoded")  # what a browser sends
    final = response.redirect_chain[-1][0] if response.redirect_chain else ""
    assert final.startswith(CALLBACK), (response.status_code, response.redirect_chain)
    assert query(final)["state"] == "st" and "code" in query(final)


def test_posted_request_without_a_session_comes_back_after_login(client, user, password, make_client):
    app = make_client("regular")
    response = client.post("/authorize", params_for(app))
    while urlsplit(response["Location"]).path == "/authorize":
        response = client.get(response["Location"])
    after = login(client, user, password, response["Location"])
    final = client.get(after)
    assert final["Location"].startswith(CALLBACK) and "code" in query(final["Location"])


def test_consent_post_keeps_its_csrf_protection(user, make_client):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    app = make_client("regular", first_party=False)
    url = "/authorize?" + urlencode(params_for(app))
    assert b'name="allow"' in browser.get(url).content
    forged = browser.post(url, {"allow": "1"})
    assert forged.status_code == HTTPStatus.FORBIDDEN
    token = browser.cookies["csrftoken"].value
    allowed = browser.post(url, {"allow": "1", "csrfmiddlewaretoken": token})
    assert allowed["Location"].startswith(CALLBACK) and "code" in query(allowed["Location"])


# -- 2. request and request_uri ----------------------------------------------------------------------------

@pytest.mark.parametrize("name,error", [("request", "request_not_supported"),
                                        ("request_uri", "request_uri_not_supported")])
def test_request_objects_are_refused_not_ignored(logged_in, make_client, name, error):
    """OIDC Core §6: an OP that does not support them says so at the redirect URI."""
    app = make_client("regular")
    value = "eyJhbGciOiJub25lIn0.eyJzdGF0ZSI6ImEifQ." if name == "request" else "https://rp.example/r"
    response = logged_in.get("/authorize", params_for(app, **{name: value}))
    assert response.status_code == HTTPStatus.FOUND
    found = query(response["Location"])
    assert response["Location"].startswith(CALLBACK) and found["error"] == error and found["state"] == "st"
    assert "code" not in found


def test_discovery_says_what_is_supported(client, db):
    doc = client.get("/.well-known/openid-configuration").json()
    # request objects: for applications with keys (tests/flows/test_par.py); request_uri: only PAR's
    assert doc["request_parameter_supported"] is True and doc["request_uri_parameter_supported"] is False
    assert doc["claims_parameter_supported"] is True
    assert {"name", "email", "auth_time", "acr"} <= set(doc["claims_supported"])


# -- 3. redirect_uri is required in OIDC requests ----------------------------------------------------------

def test_oidc_request_without_redirect_uri_is_an_error_page(logged_in, make_client):
    app = make_client("regular")  # one registered callback
    response = logged_in.get("/authorize", params_for(app, redirect_uri=None))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    assert b"redirect_uri" in response.content


# -- 4. prompt=login and max_age re-authenticate -----------------------------------------------------------

def test_prompt_login_needs_a_new_login_and_auth_time_moves(client, user, password, make_client):
    app = make_client("regular")
    client.force_login(user)
    first, _ = id_token(client, app, client.get("/authorize", params_for(app))["Location"])
    time.sleep(1.1)
    response = client.get("/authorize", params_for(app, prompt="login"))
    assert urlsplit(response["Location"]).path == "/login"
    next_url = client.get(response["Location"]).context["next"]
    # The old session opening the `next` URL directly gets no code: it must log in first.
    replay = client.get(next_url)
    assert not replay["Location"].startswith(CALLBACK), replay["Location"]
    assert urlsplit(replay["Location"]).path == "/login"
    after = login(client, user, password, response["Location"])
    second, _ = id_token(client, app, client.get(after)["Location"])
    assert second["auth_time"] > first["auth_time"]
    assert second["sub"] == first["sub"]


def test_a_forged_login_stamp_does_not_skip_the_login(logged_in, make_client):
    app = make_client("regular")
    response = logged_in.get("/authorize", params_for(app, prompt="login"))
    next_url = logged_in.get(response["Location"]).context["next"]
    forged = next_url.replace("authflows_login=", "authflows_login=x")
    assert urlsplit(logged_in.get(forged)["Location"]).path == "/login"


def test_max_age_1_asks_again_and_auth_time_is_later(client, user, password, make_client):
    app = make_client("regular")
    client.force_login(user)
    first, _ = id_token(client, app, client.get("/authorize", params_for(app))["Location"])
    time.sleep(2.1)
    response = client.get("/authorize", params_for(app, max_age="1"))
    assert urlsplit(response["Location"]).path == "/login"
    assert urlsplit(client.get(client.get(response["Location"]).context["next"])["Location"]).path == "/login"
    time.sleep(1.1)  # the login itself takes longer than max_age: it still satisfies this request
    after = login(client, user, password, response["Location"])
    second, _ = id_token(client, app, client.get(after)["Location"])
    assert second["auth_time"] > first["auth_time"]


def test_max_age_10000_keeps_the_session_and_auth_time(logged_in, make_client):
    app = make_client("regular")
    first, _ = id_token(logged_in, app, logged_in.get("/authorize", params_for(app))["Location"])
    second, _ = id_token(logged_in, app, logged_in.get("/authorize", params_for(app, max_age="10000"))["Location"])
    assert second["auth_time"] == first["auth_time"]


# -- 5. id_token_hint --------------------------------------------------------------------------------------

def test_id_token_hint_of_the_session_user_with_prompt_none(logged_in, make_client):
    app = make_client("regular")
    first, body = id_token(logged_in, app, logged_in.get("/authorize", params_for(app))["Location"])
    response = logged_in.get("/authorize", params_for(app, prompt="none", id_token_hint=body["id_token"]))
    second, _ = id_token(logged_in, app, response["Location"])
    assert second["sub"] == first["sub"]


def test_id_token_hint_of_another_user_is_login_required(client, django_user_model, logged_in, make_client):
    app = make_client("regular")
    _, body = id_token(logged_in, app, logged_in.get("/authorize", params_for(app))["Location"])
    other = Client()
    other.force_login(django_user_model.objects.create_user("bob", "bob@example.test", "pw-bob-123456"))
    response = other.get("/authorize", params_for(app, prompt="none", id_token_hint=body["id_token"]))
    found = query(response["Location"])
    assert found["error"] == "login_required" and "code" not in found


@pytest.mark.parametrize("hint", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."])
def test_invalid_id_token_hint_is_invalid_request(logged_in, make_client, hint):
    app = make_client("regular")
    response = logged_in.get("/authorize", params_for(app, prompt="none", id_token_hint=hint))
    found = query(response["Location"])
    assert found["error"] == "invalid_request" and "code" not in found


def test_tampered_id_token_hint_is_invalid_request(logged_in, make_client):
    app = make_client("regular")
    _, body = id_token(logged_in, app, logged_in.get("/authorize", params_for(app))["Location"])
    head, payload, signature = body["id_token"].split(".")
    tampered = ".".join([head, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), signature])
    response = logged_in.get("/authorize", params_for(app, prompt="none", id_token_hint=tampered))
    assert query(response["Location"])["error"] == "invalid_request"


# -- 7. tolerated parameters -------------------------------------------------------------------------------

@pytest.mark.parametrize("extra", [
    {"display": "page"}, {"display": "popup"}, {"ui_locales": "fr-CA fr en"}, {"claims_locales": "de en"},
    {"login_hint": "alice"}, {"acr_values": "urn:mace:incommon:iap:silver 1 2"}, {"unknown_parameter": "x"},
])
def test_optional_parameters_are_tolerated(logged_in, make_client, extra):
    app = make_client("regular")
    response = logged_in.get("/authorize", params_for(app, **extra))
    assert response["Location"].startswith(CALLBACK) and "code" in query(response["Location"]), response


def test_prompt_select_account_shows_the_login_page(logged_in, make_client):
    app = make_client("regular")
    response = logged_in.get("/authorize", params_for(app, prompt="select_account"))
    assert urlsplit(response["Location"]).path == "/login"


def test_parameter_order_does_not_matter(logged_in, make_client):
    app = make_client("regular")
    params = list(params_for(app, scope="email profile openid").items())[::-1]
    response = logged_in.get("/authorize?" + urlencode(params))
    assert "code" in query(response["Location"])


def test_response_type_is_a_set(logged_in, make_client, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "FLOWS": [*settings.AUTHFLOWS["FLOWS"], "implicit"]}
    app = make_client("spa", grants=["implicit"])
    response = logged_in.get("/authorize", params_for(app, response_type="token id_token"))
    found = fragment(response["Location"])
    assert "id_token" in found and "access_token" in found, response["Location"]


def test_acr_essential_in_claims_is_in_the_id_token(logged_in, client, make_client):
    app = make_client("regular")
    claims = json.dumps({"id_token": {"acr": {"essential": True}}})
    token, _ = id_token(client, app, logged_in.get("/authorize", params_for(app, claims=claims))["Location"])
    assert isinstance(token["acr"], str)


# -- 8. the claims parameter -------------------------------------------------------------------------------

def test_claims_essential_name_at_userinfo(logged_in, client, make_client):
    """oidcc-claims-essential: scope openid only, ``name`` asked as essential for /userinfo."""
    app = make_client("regular")
    claims = json.dumps({"userinfo": {"name": {"essential": True}}})
    token, body = id_token(client, app, logged_in.get("/authorize", params_for(app, claims=claims))["Location"])
    info = client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}").json()
    assert info["name"] == "Alice Liddell"
    assert "email" not in info
    assert "name" not in token  # asked for /userinfo only


def test_claims_for_the_id_token(logged_in, client, make_client):
    app = make_client("regular")
    claims = json.dumps({"id_token": {"email": None, "auth_time": {"essential": True}}})
    token, body = id_token(client, app, logged_in.get("/authorize", params_for(app, claims=claims))["Location"])
    assert token["email"] == "alice@example.test" and "auth_time" in token
    info = client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}").json()
    assert "email" not in info


@pytest.mark.parametrize("claims", ["not json", "[1, 2]", '"name"', '{"userinfo": ["name"]}',
                                    '{"id_token": {"name": 5}}'])
def test_malformed_claims_is_invalid_request(logged_in, make_client, claims):
    app = make_client("regular")
    response = logged_in.get("/authorize", params_for(app, claims=claims))
    assert response.status_code == HTTPStatus.FOUND
    found = query(response["Location"])
    assert found["error"] == "invalid_request" and found["state"] == "st" and found["iss"] == ISSUER
