"""The per-process cache of verified tokens and the per-process deny-list: never past ``exp``, never past a
key's removal, bounded, and safe when the shared cache loses its revocation log (flushed or evicted)."""
from __future__ import annotations

import json
import time
from http import HTTPStatus

import pytest
from django.core.cache import cache

from django_authflows import revocation
from django_authflows.resource import bearer
from django_authflows.revocation import DENYLIST_PREFIX, GENERATION_KEY, local_denylist, token_checksum
from django_authflows.server import jwt, keys

from ..oauth import header as jwt_header

pytestmark = pytest.mark.django_db
BOUND = 0.2


def claims_of(token):
    import base64

    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def get(client, token):
    return client.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def bound(settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "REVOCATION_PROPAGATION_SECONDS": BOUND}


def test_a_remembered_token_is_refused_once_it_expires(client, m2m_token):
    claims = claims_of(m2m_token())
    # a real token of the active key that expires (with the resource server's leeway) in 2 seconds
    claims.update(exp=int(time.time()) - bearer.LEEWAY + 2, jti=jwt.new_jti())
    token = jwt.sign(claims, typ="at+jwt")
    assert get(client, token).status_code == HTTPStatus.OK
    assert token_checksum(token) in bearer.verified._entries  # remembered as verified
    assert get(client, token).status_code == HTTPStatus.OK
    time.sleep(max(0.0, claims["exp"] + bearer.LEEWAY - time.time()) + 1.1)
    response = get(client, token)
    assert response.status_code == HTTPStatus.UNAUTHORIZED and "expired" in response["WWW-Authenticate"]
    assert token_checksum(token) not in bearer.verified._entries


def test_a_remembered_token_is_refused_once_its_key_is_removed_in_this_process(client, m2m_token):
    token = m2m_token()
    assert [get(client, token).status_code for _ in range(2)] == [HTTPStatus.OK] * 2
    keys.delete(jwt_header(token)["kid"])  # announced: this process refetches its key set at the next request
    response = get(client, token)
    assert response.status_code == HTTPStatus.UNAUTHORIZED and "unknown key" in response["WWW-Authenticate"]


def test_the_cache_is_bounded(client, m2m_token, settings):
    settings.AUTHFLOWS = {**settings.AUTHFLOWS, "TOKEN_CACHE_SIZE": 2}
    tokens = [m2m_token() for _ in range(3)]
    for token in tokens:
        assert get(client, token).status_code == HTTPStatus.OK
    assert len(bearer.verified) == 2 and token_checksum(tokens[0]) not in bearer.verified._entries
    assert get(client, tokens[0]).status_code == HTTPStatus.OK  # verified again, the least recently used goes


def revoke_elsewhere(token, *, log=True):
    """What another process's revocation leaves in the shared cache: the token's deny-list key, the
    generation moved and (unless lost) the log entry. This process learns of it only through the cache."""
    checksum, exp = token_checksum(token), claims_of(token)["exp"]
    cache.set(DENYLIST_PREFIX + checksum, 1, timeout=3600)
    if log:
        revocation._append_log({"tokens": [(checksum, exp)]}, 3600)
    else:  # the generation moves but the entry is gone (evicted)
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.set(GENERATION_KEY, 1, timeout=None)


def test_a_revocation_in_another_process_is_refused_within_the_bound(client, m2m_token, bound):
    token, other = m2m_token(), m2m_token()
    for _ in range(2):
        assert get(client, token).status_code == get(client, other).status_code == HTTPStatus.OK
    time.sleep(BOUND)
    assert get(client, token).status_code == HTTPStatus.OK  # synced: generation 0 (or None) -> first look done
    local_denylist._doubt_before = 0  # these tokens were not issued before this process's first look
    revoke_elsewhere(token)
    time.sleep(BOUND)
    assert get(client, token).status_code == HTTPStatus.UNAUTHORIZED
    assert get(client, other).status_code == HTTPStatus.OK


@pytest.mark.parametrize("loss", ["evicted log entry", "flushed cache"])
def test_a_lost_revocation_log_is_made_up_for_by_reading_the_token_s_key(client, m2m_token, bound, loss):
    token, other = m2m_token(), m2m_token()
    revoke_elsewhere(other)  # generation 1
    for _ in range(2):
        assert get(client, token).status_code == HTTPStatus.OK
    time.sleep(BOUND)
    get(client, token)
    local_denylist._doubt_before = 0  # as if these tokens were issued long after this process started
    assert get(client, token).status_code == HTTPStatus.OK
    if loss == "flushed cache":  # the generation goes back to nothing, then another revocation: 1 again
        cache.clear()
        revoke_elsewhere(token)
    else:
        revoke_elsewhere(token, log=False)
    time.sleep(BOUND)
    response = get(client, token)  # the log cannot be trusted: every token is read once from the cache
    assert response.status_code == HTTPStatus.UNAUTHORIZED and "revoked" in response["WWW-Authenticate"]
