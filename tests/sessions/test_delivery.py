"""One back-channel delivery attempt (OIDC Back-Channel Logout 1.0 §2.4, §2.5) against a real receiver: the
logout token's exact claims, retries on 5xx with backoff, failure after N attempts, a timeout per POST."""
from __future__ import annotations

import time

import pytest

from django_authflows.models import BackchannelDelivery
from django_authflows.server import backchannel
from django_authflows.server.backchannel import LOGOUT_EVENT, deliver

from ..oauth import header, verify
from .receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pending(make_client, user):
    def make(uri, **app):
        client = make_client("regular", backchannel_logout_uri=uri, **app)
        return backchannel.schedule(application=client, issuer="http://testserver/", subject=f"authflows|{user.pk}",
                                    sid="sid-123")
    return make


def test_the_logout_token_follows_the_spec(client, pending, user, enqueued):
    with Receiver(200) as receiver:
        delivery = pending(receiver.url)
        assert enqueued() == [delivery.pk]
        assert deliver.call(delivery.pk) == "delivered"
    [post] = receiver.posts
    assert post["content_type"] == "application/x-www-form-urlencoded"
    token = post["form"]["logout_token"][0]
    assert header(token)["typ"] == "logout+jwt" and header(token)["alg"] == "RS256"
    claims = verify(token, client.get("/.well-known/jwks.json").json())
    assert claims["iss"] == "http://testserver/" and claims["aud"] == delivery.application.client_id
    assert claims["sub"] == f"authflows|{user.pk}" and claims["sid"] == "sid-123"
    assert claims["events"] == {LOGOUT_EVENT: {}} and "nonce" not in claims and claims["jti"]
    assert 0 < claims["exp"] - claims["iat"] <= 300 and abs(claims["iat"] - time.time()) < 60
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)


def test_a_5xx_is_retried_with_backoff_then_recorded_failed(pending, settings, enqueued):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "BACKCHANNEL_LOGOUT": {"attempts": 3, "backoff": 10}}
    with Receiver(503) as receiver:
        delivery = pending(receiver.url)
        before = time.time()
        assert deliver.call(delivery.pk) == "pending"
        delivery.refresh_from_db()
        assert delivery.attempts == 1 and delivery.last_status == 503
        assert 9 <= delivery.next_attempt.timestamp() - before <= 12  # the first backoff
        assert enqueued() == [delivery.pk, delivery.pk]  # the retry is enqueued to run after the backoff
        assert deliver.call(delivery.pk) == "pending"
        delivery.refresh_from_db()
        assert 19 <= delivery.next_attempt.timestamp() - before <= 23  # doubled
        assert deliver.call(delivery.pk) == "failed"
        assert deliver.call(delivery.pk) == "gone"  # a stray retry of a finished delivery sends nothing
    assert len(receiver.tokens) == 3
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status, delivery.next_attempt) == ("failed", 3, 503, None)
    assert len(set(receiver.tokens)) == 3  # each attempt a fresh token (jti, iat)


def test_a_400_is_not_retried(pending):
    with Receiver(400) as receiver:
        delivery = pending(receiver.url)
        assert deliver.call(delivery.pk) == "failed"
    assert len(receiver.posts) == 1


def test_each_post_has_a_timeout(pending, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "BACKCHANNEL_LOGOUT": {"timeout": 0.5}}
    with Receiver(200, delay=3) as receiver:
        delivery = pending(receiver.url)
        started = time.monotonic()
        assert deliver.call(delivery.pk) == "pending"
        assert time.monotonic() - started < 2
    delivery.refresh_from_db()
    assert delivery.last_status is None and "timeout" in delivery.last_error.lower()


def test_an_unreachable_receiver_is_recorded(pending, settings):
    from ..live import free_port

    delivery = pending(f"http://127.0.0.1:{free_port()}/logout")
    assert deliver.call(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_status is None and delivery.last_error


def test_redirects_are_not_followed(pending):
    with Receiver(302) as receiver:
        delivery = pending(receiver.url)
        assert deliver.call(delivery.pk) == "failed"
    assert len(receiver.posts) == 1
    assert BackchannelDelivery.objects.get().last_status == 302
