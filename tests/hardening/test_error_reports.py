"""Django's error reports (admin e-mails, their HTML form, Sentry-style reporters) never contain a secret, code,
verifier or token that the failing request carried: a real exception is raised inside the real views."""
from __future__ import annotations

import base64
import logging

import pytest
from django.views.debug import ExceptionReporter

from ..oauth import TOKEN_URL, pkce_pair, query

pytestmark = pytest.mark.django_db


class FailingAdapter:
    """The user adapter of a project with a bug: every claim lookup raises."""

    def __init__(self) -> None:
        from django_authflows.adapter import DefaultAdapter

        self._default = DefaultAdapter()

    def __getattr__(self, name):
        return getattr(self._default, name)

    def get_user_claims(self, user, scopes):
        raise RuntimeError("adapter bug")

    def get_user_by_subject(self, subject):
        raise RuntimeError("adapter bug")


def reports(caplog) -> list[str]:
    """The reports Django's AdminEmailHandler would send (text and HTML) for each logged server error."""
    out = []
    for record in caplog.records:
        if record.name == "django.request" and record.exc_info and getattr(record, "request", None) is not None:
            reporter = ExceptionReporter(record.request, *record.exc_info, is_email=True)
            out += [reporter.get_traceback_text(), reporter.get_traceback_html()]
    return out


def code_for(authorize, app, **params):
    return query(authorize(app, **params)["Location"])["code"]


@pytest.mark.parametrize("basic", [False, True], ids=["client_secret_post", "client_secret_basic"])
def test_token_endpoint_report_has_no_code_secret_or_verifier(client, authorize, make_client, caplog, settings, basic):
    app = make_client("regular")
    verifier, challenge = pkce_pair()
    code = code_for(authorize, app, code_challenge=challenge, code_challenge_method="S256")
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "ADAPTER": f"{__name__}.FailingAdapter"}
    client.raise_request_exception = False
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri_list[0],
            "code_verifier": verifier, "client_id": app.client_id}
    extra = {}
    if basic:
        extra["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()
    else:
        body["client_secret"] = app.secret
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(TOKEN_URL, body, **extra)
    assert response.status_code == 500  # the adapter's bug, raised inside the token view
    found = reports(caplog)
    assert found, "no error report was produced"
    for report in found:
        for secret in (code, verifier, app.secret):
            assert secret not in report


def test_userinfo_report_has_no_access_token(client, authorize, make_client, caplog, settings):
    app = make_client("regular")
    code = code_for(authorize, app)
    token = client.post(TOKEN_URL, {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                                    "client_secret": app.secret,
                                    "redirect_uri": app.redirect_uri_list[0]}).json()["access_token"]
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "ADAPTER": f"{__name__}.FailingAdapter"}
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post("/userinfo", {"access_token_echo": token}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 500
    found = reports(caplog)
    assert found
    for report in found:
        assert token not in report and token.split(".")[2] not in report
