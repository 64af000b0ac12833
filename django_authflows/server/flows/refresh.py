"""Refresh tokens (RFC 6749 §6, RFC 9700 §4.14): rotation, reuse detection, idle and absolute lifetimes."""

from __future__ import annotations

import datetime
import json
import time
import uuid
from typing import Any

from cryptography.fernet import InvalidToken
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from ... import audit, presets
from ...conf import authflows_settings
from ...encryption import fernet
from ...lifecycle import user_is_active
from ...models import TokenFamily
from ...revocation import revoke_family, token_checksum
from .. import audience
from ..context import context_of
from ..dpop import check_bound, refresh_jkt
from ..records import FirstRow, Update, save_new

#: auth0-spa-js falls back to a new login when the description contains "invalid refresh token".
INVALID_REFRESH = "Unknown or invalid refresh token."


class ReusedWithinLeeway(Exception):  # noqa: N818 (a signal that carries the successor, not an error)
    """A rotated token replayed inside AUTHFLOWS['REFRESH_REUSE_LEEWAY']: answer with its successor."""


def invalid(request: Request) -> errors.InvalidGrantError:
    return errors.InvalidGrantError(description=INVALID_REFRESH, request=request)


#: The conditional UPDATE that spends a refresh token (one statement: of parallel refreshes, one wins).
_CLAIM = Update()
#: The live token first, should a checksum ever match two rows; its application is the client's (compared by pk).
_REFRESH_BY_CHECKSUM = FirstRow(
    lambda model, checksum: (
        model.objects.filter(token_checksum=checksum)
        .select_related("access_token", "user")
        .order_by(F("revoked").desc(nulls_first=True))
    ),
    "token_checksum",
)
#: A refresh token's family (one row per family: the column is unique).
_FAMILY = FirstRow(lambda model, family: model.objects.filter(family=family).order_by("pk"), "family")


class RefreshTokenValidatorMixin(OAuth2Validator):
    """Every use rotates; a rotated token used again revokes its whole family (unless inside the leeway)."""

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        rt = _REFRESH_BY_CHECKSUM.first(get_refresh_token_model(), token_checksum(refresh_token))
        if rt is None or rt.application_id != client.pk:  # another client's token looks unknown
            raise invalid(request)
        if not user_is_active(rt.user):  # a deactivated user's tokens look unknown; not spent, so they work again
            raise invalid(request)
        now = timezone.now()
        if rt.revoked is not None:
            self._reused(rt, now, request)
        family = _FAMILY.first(TokenFamily, rt.token_family) if rt.token_family else None
        lifetimes = authflows_settings.LIFETIMES
        if (
            family is None
            or family.revoked is not None
            or family.created + datetime.timedelta(seconds=lifetimes["refresh_token_absolute"]) <= now
            or rt.created + datetime.timedelta(seconds=lifetimes["refresh_token_idle"]) <= now
        ):
            raise invalid(request)
        check_bound(family.dpop_jkt, request, "refresh token")  # RFC 9449 §5, before the token is spent
        request.user = rt.user
        request.refresh_token = refresh_token
        request.refresh_token_instance = rt  # type: ignore[attr-defined]  # DOT's attribute, read below
        ctx = context_of(request)
        ctx.session, ctx.family = family.session, family
        try:
            ctx.api, ctx.api_resolved = audience.get_api(family.audience or None), True
        except audience.AudienceError:  # the API was deleted: its families can mint nothing more
            raise invalid(request) from None
        return True

    @staticmethod
    def _reused(rt: Any, now: datetime.datetime, request: Request) -> None:
        client: Any = request.client  # the token's application (validate_refresh_token compared them)
        leeway = reuse_leeway(client)
        if leeway and rt.revoked > now - datetime.timedelta(seconds=leeway):
            raise ReusedWithinLeeway()
        # RFC 9700 §4.14.2: a rotated token used again means it leaked; revoke the whole family.
        revoke_family(rt.token_family)
        audit.event("refresh_token_reused", client_id=client.client_id, user_id=rt.user_id, family=str(rt.token_family))
        raise invalid(request)

    def claim_refresh_token(self, request: Request) -> bool:
        """Rotation claims the token with a conditional UPDATE once the request is known to be good (so a
        refused refresh does not spend it), in the transaction that records its successor: of any number of
        parallel refreshes, one wins; for the others (False) the token is a rotated one used again, see
        :meth:`reused`, to be called once their transaction has ended."""
        rt: Any = request.refresh_token_instance
        now = timezone.now()
        if _CLAIM.run(type(rt), {"pk": rt.pk, "revoked": None}, {"revoked": now, "updated": now}):
            return True
        rt.revoked = now
        return False

    def reused(self, request: Request) -> None:
        """Raises for a refresh token that :meth:`claim_refresh_token` could not claim."""
        rt: Any = request.refresh_token_instance
        self._reused(rt, rt.revoked, request)

    def _save_bearer_token(self, token: dict[str, Any], request: Request, *args: Any, **kwargs: Any) -> None:
        """A rotation whose refresh token :meth:`claim_refresh_token` has just claimed: a new access token
        and a new refresh token in the same family. DOT's rotation would read the claimed token and its
        successor access token again, and try to revoke it a second time (a no-op: it is revoked); what it
        then writes is this."""
        rt: Any = getattr(request, "refresh_token_instance", None)
        if (
            request.grant_type != "refresh_token"
            or rt is None
            or "scope" not in token
            or not token.get("refresh_token")
            or not self.rotate_refresh_token(request)
        ):
            return super()._save_bearer_token(token, request, *args, **kwargs)
        self._check_and_set_request_resource(request)
        expires = timezone.now() + datetime.timedelta(
            seconds=token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        )
        access_token = self._create_access_token(expires, request, token, source_refresh_token=rt)
        self._create_refresh_token(request, token["refresh_token"], access_token, rt)
        request.refresh_token_instance = None  # type: ignore[attr-defined]  # as DOT leaves it
        return None

    def get_original_scopes(self, refresh_token: str, request: Request, *args: Any, **kwargs: Any) -> list[str]:
        rt: Any = request.refresh_token_instance
        if rt.access_token is not None:
            return rt.access_token.scope.split()
        family = context_of(request).family
        if family is not None and family.scope:  # its access token was revoked: the login's scopes remain
            return family.scope.split()
        return super().get_original_scopes(refresh_token, request, *args, **kwargs)

    def _create_refresh_token(
        self, request: Request, refresh_token_code: str, access_token: Any, previous_refresh_token: Any
    ) -> Any:
        # DOT's _create_refresh_token, its row written by records.save_new.
        rt = get_refresh_token_model()(
            user=request.user,
            application=request.client,
            access_token=access_token,
            token_family=previous_refresh_token.token_family if previous_refresh_token else uuid.uuid4(),
            resource=getattr(request, "resource", []),  # RFC 8707
        )
        self._set_token_value(rt, refresh_token_code)
        save_new(rt)
        context_of(request).family_id = rt.token_family
        if previous_refresh_token is None:  # a new login session: a new family
            api = audience.api_for(request)
            save_new(
                TokenFamily(
                    family=rt.token_family,
                    application=request.client,
                    user=request.user,
                    audience=api.identifier if api else "",
                    scope=" ".join(request.scopes or []),
                    session=context_of(request).session or {},
                    dpop_jkt=refresh_jkt(request) or "",
                )
            )
        return rt


# Reuse leeway: a rotated token replayed within AUTHFLOWS['REFRESH_REUSE_LEEWAY'] (two tabs of an SPA
# refreshing at once) gets the answer its first use got, instead of revoking the family.
_SUCCESSOR = "authflows:successor:"


def reuse_leeway(client: Any) -> int:
    """Seconds a rotated refresh token of ``client`` still gets its successor: the setting, and at least
    :attr:`presets.FapiProfile.refresh_reuse_leeway` for a FAPI 2.0 application."""
    leeway = authflows_settings.REFRESH_REUSE_LEEWAY
    return max(leeway, presets.FAPI.refresh_reuse_leeway) if getattr(client, "fapi", False) else leeway


def remember_successor(refresh_token: str, body: str, client: Any = None) -> None:
    """Keep the answer to a refresh, encrypted, for the leeway (see :class:`ReusedWithinLeeway`)."""
    leeway = reuse_leeway(client)
    if leeway and refresh_token:
        cache.set(
            _SUCCESSOR + token_checksum(refresh_token), fernet("successor").encrypt(body.encode()).decode(), leeway
        )


def successor(refresh_token: str) -> dict[str, Any] | None:
    """The answer the first use of ``refresh_token`` got, or None. Waits briefly: the winning request may
    still be writing its answer."""
    key = _SUCCESSOR + token_checksum(refresh_token)
    deadline = time.monotonic() + 2.0
    while True:
        stored = cache.get(key)
        if stored is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    try:
        body = json.loads(fernet("successor").decrypt(stored.encode())) if stored else None
    except (InvalidToken, ValueError):
        return None
    return body if isinstance(body, dict) else None
