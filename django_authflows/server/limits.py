"""Bounds on what a request may carry before anything is looked up or stored (RFC 6749 §3.1, RFC 7636 §4.1).

Every parameter that reaches a lookup, a cache key or a column is checked here first, so that unauthenticated
traffic cannot make a worker keep (or compare, or log) megabytes per request: a value longer than the column it
is matched against cannot match anything and is refused as ``invalid_request``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from oauthlib.common import INVALID_HEX_PATTERN

#: Longest accepted value per parameter, from the column it is looked up in or stored to.
MAX_LENGTH = {
    "client_id": 100,  # oauth2_provider.Application.client_id
    "audience": 255,  # Api.identifier
    "resource": 255,  # RFC 8707: matched against Api.identifier
    "redirect_uri": 2048,
    "scope": 2048,
    "state": 2048,
    "nonce": 255,  # oauth2_provider.Grant.nonce
    "code_challenge": 128,  # RFC 7636 §4.2 (and oauth2_provider.Grant.code_challenge)
    "code_verifier": 128,  # RFC 7636 §4.1
    "login_hint": 255,
}
#: RFC 7636 §4.1: code-verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def query_problem(query: str) -> str | None:
    """Why oauthlib cannot read this query string (it refuses escapes such as ``%ZZ`` with a ValueError
    deep inside the endpoint), or None. ``%`` and ``%F`` at the very end pass its check and are kept
    literally, as Django keeps them."""
    if INVALID_HEX_PATTERN.search(query):
        return "The query string has an invalid percent-escape."
    return None


def parameter_problem(pairs: Iterable[tuple[str, str]], only: frozenset[str] | None = None) -> str | None:
    """The first parameter (of ``only``, or of all) that is too long or malformed, as a description for
    ``invalid_request``."""
    for key, value in pairs:
        if only is not None and key not in only:
            continue
        limit = MAX_LENGTH.get(key)
        if limit is not None and len(value) > limit:
            return f"{key} is longer than {limit} characters."
        if key == "code_verifier" and not CODE_VERIFIER.fullmatch(value):  # RFC 7636 §4.1
            return "code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'."
    return None
