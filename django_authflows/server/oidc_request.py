"""OIDC authentication request parameters (OIDC Core §3.1.2.1, §5.5): claims, id_token_hint, login stamps."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core import signing

from ..resource.bearer import verify_jwt

#: The signed moment a request sent the user to log in again (prompt=login, max_age, select_account).
LOGIN_STAMP = "authflows_login"
_STAMP_SALT = "django_authflows.authorize.login"
#: A login page left open longer than this starts over (the stamp is refused, the user logs in again).
LOGIN_WINDOW = 3600
#: prompt values (OIDC Core §3.1.2.1); select_account shows the login page (one account per session here).
PROMPTS = frozenset({"none", "login", "consent", "select_account"})
#: OIDC Core §6: request objects are not supported (yet): refused with these errors, never ignored.
UNSUPPORTED = {"request": "request_not_supported", "request_uri": "request_uri_not_supported"}
#: The access-token claim that carries the names of the claims a ``claims`` request asked /userinfo for:
#: /userinfo validates the token locally and has no other record of the authorization request.
USERINFO_CLAIMS = "authflows_userinfo"
#: Every scope whose claims the adapter knows: a ``claims`` request may ask for any of them by name.
CLAIM_SCOPES = frozenset({"profile", "email"})
#: The acr we assert: no authentication context class beyond a password (OIDC Core §2, "0" = below level 1).
ACR = "0"
_MEMBERS = ("id_token", "userinfo")


class RequestParameterError(ValueError):
    """A malformed OIDC request parameter: ``invalid_request`` at the redirect URI."""


def parse_claims(value: str | None) -> dict[str, dict[str, Any]] | None:
    """The ``claims`` parameter (OIDC Core §5.5): a JSON object whose ``id_token`` and ``userinfo`` members
    are objects of claim name -> null or an object (``essential``, ``value``, ``values``)."""
    if value is None:
        return None
    try:
        claims = json.loads(value)
    except (ValueError, RecursionError):
        raise RequestParameterError("claims is not valid JSON.") from None
    if not isinstance(claims, dict):
        raise RequestParameterError("claims must be a JSON object.")
    parsed: dict[str, dict[str, Any]] = {}
    for member in _MEMBERS:
        requested = claims.get(member)
        if requested is None:
            continue
        if not isinstance(requested, dict):
            raise RequestParameterError(f"claims.{member} must be a JSON object.")
        for name, spec in requested.items():
            if spec is not None and not isinstance(spec, dict):
                raise RequestParameterError(f"claims.{member}.{name} must be null or a JSON object.")
            if isinstance(spec, dict) and not isinstance(spec.get("essential", False), bool):
                raise RequestParameterError(f"claims.{member}.{name}.essential must be true or false.")
        parsed[member] = requested
    return parsed


def for_oauthlib(pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], dict[str, Any] | None, str | None]:
    """The parameters as oauthlib should see them, the parsed ``claims``, and why ``claims`` is malformed (it
    is then left out: oauthlib would refuse it before it knows where to redirect). ``response_type`` is a set
    (OAuth 2.0 Multiple Response Types §3): ``token id_token`` becomes ``id_token token``, as oauthlib has it."""
    try:
        claims, malformed = parse_claims(dict(pairs).get("claims")), None
    except RequestParameterError as exc:
        claims, malformed = None, str(exc)
    normalised = []
    for key, value in pairs:
        if key == "claims":
            if claims is None:
                continue
            value = json.dumps(claims)
        elif key == "response_type":
            value = " ".join(sorted(value.split()))
        normalised.append((key, value))
    return normalised, claims, malformed


def requested(claims: Any, member: str) -> dict[str, Any]:
    """What ``claims`` (as stored with a grant, or as oauthlib parsed it) asks for in ``member``."""
    if not isinstance(claims, dict):
        return {}
    asked = claims.get(member)
    return asked if isinstance(asked, dict) else {}


def acr_problem(claims: Any) -> str | None:
    """OIDC Core §5.5.1.1: an essential ``acr`` with values we cannot meet is a failed authentication."""
    spec = requested(claims, "id_token").get("acr")
    if not isinstance(spec, dict) or not spec.get("essential"):
        return None
    wanted = spec.get("values") or ([spec["value"]] if "value" in spec else [])
    if wanted and ACR not in wanted:
        return "The requested authentication context class (acr) cannot be met."
    return None


def hinted_subject(hint: str, issuer: str) -> str:
    """The ``sub`` of an ``id_token_hint`` we issued (OIDC Core §3.1.2.1). Its expiry is not checked: a hint
    is often an old ID token, and the spec does not ask the OP to refuse one."""
    result = verify_jwt(hint, issuer=issuer, audience=None, typ="JWT", check_expiry=False)
    subject = result.claims.get("sub") if result.valid else None
    if not isinstance(subject, str) or not subject:
        raise RequestParameterError("id_token_hint is not an ID token issued by this server.")
    return subject


def login_stamp() -> str:
    """A value that says, unforgeably, "a login newer than now is required"."""
    return signing.dumps(time.time(), salt=_STAMP_SALT)


def stamped_at(value: str | None) -> float | None:
    """The moment a genuine, recent stamp was made; None for a missing, forged or stale one."""
    if not value:
        return None
    try:
        moment = signing.loads(value, salt=_STAMP_SALT, max_age=LOGIN_WINDOW)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return float(moment) if isinstance(moment, (int, float)) else None


def requested_claims(adapter: Any, user: Any, names: Any) -> dict[str, Any]:
    """The user's claims among ``names`` (OIDC Core §5.5: returned in addition to those of the scopes;
    a requested claim the user does not have is left out, essential or not)."""
    if not names or not isinstance(names, (list, tuple)):
        return {}
    available = adapter.get_user_claims(user, set(CLAIM_SCOPES))
    found = {name: available[name] for name in names if isinstance(name, str) and name in available}
    if "acr" in names:
        found["acr"] = ACR
    return found


def userinfo_claim_names(claims: Any) -> list[str]:
    """For the access token (:data:`USERINFO_CLAIMS`): what ``claims`` asks /userinfo for, capped."""
    return sorted(name for name in requested(claims, "userinfo") if isinstance(name, str) and len(name) <= 64)[:32]
