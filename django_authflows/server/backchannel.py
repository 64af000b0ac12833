"""OIDC Back-Channel Logout 1.0: the logout token (§2.4) and its delivery (§2.5) as a background task."""

from __future__ import annotations

import datetime
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..compat import task
from ..conf import authflows_settings
from ..models import BackchannelDelivery
from .jwt import new_jti, sign

logger = logging.getLogger("django_authflows.backchannel")

#: OIDC Back-Channel Logout 1.0 §2.4: the one event a logout token carries.
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
#: RS256, as ID tokens: every RP that verifies our ID tokens can verify these (§2.6 step 3).
LOGOUT_TOKEN_ALG = "RS256"


def logout_token(*, issuer: str, client_id: str, subject: str, sid: str) -> str:
    """§2.4: iss, aud, iat, exp, jti, events, sub and/or sid; never a nonce (§2.4: it is prohibited).
    §2.4 recommends explicit typing, ``typ: logout+jwt``."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + int(authflows_settings.BACKCHANNEL_LOGOUT["logout_token"]),
        "jti": new_jti(),
        "events": {LOGOUT_EVENT: {}},
    }
    if subject:
        claims["sub"] = subject
    if sid:
        claims["sid"] = sid
    return sign(claims, typ="logout+jwt", alg=LOGOUT_TOKEN_ALG)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A logout URI that redirects is misconfigured: following it would POST the token elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(uri: str, token: str, timeout: float) -> tuple[int | None, str]:
    """§2.5: ``logout_token`` in an application/x-www-form-urlencoded POST. Returns (status, error)."""
    body = urllib.parse.urlencode({"logout_token": token}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "django-authflows back-channel logout",
    }
    # validate_backchannel_uri lets only http(s) URLs be registered
    request = urllib.request.Request(uri, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:  # refused, unreachable, timed out, TLS, a bad URL
        return None, type(exc).__name__ + (f": {exc.reason}" if isinstance(exc, urllib.error.URLError) else "")


def _retryable(status: int | None) -> bool:
    # §2.8: 200 is success and 400 is the RP refusing the token (sending it again will not help); a server
    # error, a rate limit or no answer at all may pass.
    return status is None or status >= 500 or status in (408, 429)


def backoff(attempts: int) -> float:
    settings = authflows_settings.BACKCHANNEL_LOGOUT
    return min(float(settings["backoff"]) * 2 ** max(attempts - 1, 0), float(settings["backoff_max"]))


@task()
def deliver(delivery_id: int) -> str:
    """One attempt; on a retryable failure, enqueues the next one after the backoff."""
    delivery = (
        BackchannelDelivery.objects.filter(pk=delivery_id, status=BackchannelDelivery.PENDING)
        .select_related("application")
        .first()
    )
    if delivery is None:  # delivered, failed or deleted since: nothing to do
        return "gone"
    settings = authflows_settings.BACKCHANNEL_LOGOUT
    token = logout_token(
        issuer=delivery.issuer, client_id=delivery.application.client_id, subject=delivery.subject, sid=delivery.sid
    )
    status, error = post(delivery.uri, token, float(settings["timeout"]))
    delivery.attempts += 1
    delivery.last_status, delivery.last_error = status, error[:255]
    if status in (200, 204):
        delivery.status, delivery.next_attempt, delivery.last_error = BackchannelDelivery.DELIVERED, None, ""
    elif delivery.attempts >= int(settings["attempts"]) or not _retryable(status):
        delivery.status, delivery.next_attempt = BackchannelDelivery.FAILED, None
    else:
        delivery.next_attempt = timezone.now() + datetime.timedelta(seconds=backoff(delivery.attempts))
    delivery.save(update_fields=["attempts", "last_status", "last_error", "status", "next_attempt", "updated"])
    logger.info(
        "back-channel logout to %s: %s (attempt %d, %s)",
        delivery.application.client_id,
        delivery.status,
        delivery.attempts,
        status or error,
    )
    if delivery.status == BackchannelDelivery.PENDING:
        enqueue(delivery, run_after=delivery.next_attempt)
    return delivery.status


def enqueue(delivery: BackchannelDelivery, run_after: datetime.datetime | None = None) -> None:
    """Hand the delivery to the worker once the transaction that created it commits. A failure to enqueue
    never fails the logout that caused it: the row stays pending, and the admin's retry sends it."""

    def send() -> None:
        try:
            (deliver.using(run_after=run_after) if run_after else deliver).enqueue(delivery.pk)
        except Exception:  # a misconfigured task backend must not turn a logout into a 500
            logger.exception("back-channel logout delivery %s could not be enqueued", delivery.pk)

    transaction.on_commit(send)


def schedule(
    *, application: Any, issuer: str, subject: str, sid: str, session: Any = None
) -> BackchannelDelivery | None:
    """Record and enqueue one logout token for ``application``, when it registered a logout URI."""
    if not application.backchannel_logout_uri:
        return None
    delivery = BackchannelDelivery.objects.create(
        application=application,
        session=session,
        uri=application.backchannel_logout_uri,
        issuer=issuer,
        subject=subject,
        sid=sid,
        next_attempt=timezone.now(),
    )
    enqueue(delivery)
    return delivery


def retry(delivery: BackchannelDelivery) -> None:
    """The admin's retry: a failed (or stuck) delivery gets a fresh round of attempts."""
    BackchannelDelivery.objects.filter(pk=delivery.pk).update(
        status=BackchannelDelivery.PENDING, attempts=0, next_attempt=timezone.now(), updated=timezone.now()
    )
    enqueue(delivery)
