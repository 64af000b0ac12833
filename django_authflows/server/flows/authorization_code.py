"""Authorization Code grant (RFC 6749 §4.1): single-use codes bound to client, redirect URI and login."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django.utils import timezone
from oauth2_provider.models import get_grant_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from ... import audit, presets
from ...conf import authflows_settings
from ...lifecycle import user_is_active
from ...revocation import revoke_access_tokens, revoke_family
from .. import audience
from ..context import context_of
from ..dpop import check_bound
from ..records import FirstRow, Update

#: ``expires`` of a redeemed code: kept (not deleted) so that a replay can be recognised.
REDEEMED = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
_PRIVATE = "_authflows"


def revoke_issued(grant: Any) -> None:
    """Revoke the tokens a redeemed code issued (recorded by :func:`record_issued`)."""
    from oauth2_provider.models import get_access_token_model

    issued = json.loads(grant.claims or "{}").get(_PRIVATE, {}).get("issued", {})
    if issued.get("family"):
        revoke_family(uuid.UUID(issued["family"]))
    if issued.get("access_token"):
        revoke_access_tokens(get_access_token_model().objects.filter(pk=issued["access_token"]))
    audit.event(
        "authorization_code_replayed",
        client_id=grant.application.client_id,
        user_id=grant.user_id,
        revoked=bool(issued),
    )


def claim_code(request: Request) -> None:
    """RFC 6749 §4.1.2: single use. Claims the code :meth:`AuthorizationCodeValidatorMixin.validate_code`
    accepted, in the transaction that records its tokens, and remembers on it which tokens it issued, so that
    a replay can revoke them: one conditional UPDATE, which only one of any number of parallel redemptions
    makes (the others' tokens are rolled back, and they answer ``invalid_grant``)."""
    ctx = context_of(request)
    grant = ctx.code_pending
    if grant is None:
        return
    ctx.code_pending = None
    claims = json.loads(grant.claims or "{}")
    claims.setdefault(_PRIVATE, {})["issued"] = {
        "access_token": ctx.access_token_id,
        "family": str(ctx.family_id) if ctx.family_id else None,
    }
    claimed = _CLAIM.run(
        type(grant), {"pk": grant.pk, "expires": grant.expires}, {"expires": REDEEMED, "claims": json.dumps(claims)}
    )
    if claimed != 1:
        raise errors.InvalidGrantError(request=request)


def spend_pending_code(ctx: Any) -> None:
    """A code that :meth:`AuthorizationCodeValidatorMixin.validate_code` accepted is spent even when the
    request fails afterwards (a wrong code_verifier or redirect_uri, an error while issuing): called once
    the token endpoint has answered."""
    grant = ctx.code_pending
    if grant is None:
        return
    ctx.code_pending = None
    _CLAIM.run(type(grant), {"pk": grant.pk, "expires": grant.expires}, {"expires": REDEEMED})


#: The conditional UPDATE that spends a code (one statement, whichever of parallel redemptions comes first).
_CLAIM = Update()
#: DOT's code column is unique; the order is ``first()``'s.
_GRANT_BY_CODE = FirstRow(
    lambda model, code: model.objects.select_related("user").filter(code=code).order_by("pk"), "code"
)


def _grant_for(request: Request, code: str) -> Any:
    ctx = context_of(request)
    if ctx.grant is not None and ctx.grant.code == code:
        return ctx.grant
    grant = ctx.grant = _GRANT_BY_CODE.first(get_grant_model(), code)
    return grant


class AuthorizationCodeValidatorMixin(OAuth2Validator):
    """Codes are claimed with a conditional UPDATE (:func:`claim_code`), so two parallel redemptions never both
    succeed."""

    def get_authorization_code_scopes(
        self, client_id: str, code: str, redirect_uri: str, request: Request
    ) -> list[str]:
        grant = _grant_for(request, code)
        return grant.scope.split() if grant is not None else []

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        grant = _grant_for(request, code)
        if grant is None or grant.application_id != client.pk:
            context_of(request).grant = None
            return False
        if grant.expires == REDEEMED:
            revoke_issued(grant)  # RFC 6749 §4.1.2: a replayed code revokes what it issued
            return False
        if grant.is_expired() or not user_is_active(grant.user):
            return False
        # RFC 9449 §10: checked before the code is spent, so a thief without the key cannot burn it.
        check_bound(json.loads(grant.claims or "{}").get(_PRIVATE, {}).get("dpop_jkt"), request, "authorization code")
        # RFC 6749 §4.1.2: single use. Spent from here on, whatever follows: claimed by :func:`claim_code`
        # with the tokens it issues, else by :func:`spend_pending_code` once the request has failed.
        context_of(request).code_pending = grant
        claims = json.loads(grant.claims or "{}")
        private = claims.pop(_PRIVATE, {})
        request.scopes = grant.scope.split()
        request.user = grant.user
        request.nonce = grant.nonce or None
        request.claims = claims or None
        request.resource = grant.resource or []  # type: ignore[attr-defined]  # read by DOT (RFC 8707)
        # The API was fixed at /authorize; an ``audience`` sent to the token endpoint cannot change it.
        ctx = context_of(request)
        try:
            ctx.api = audience.get_api(request.resource[0]) if request.resource else None
        except audience.AudienceError as exc:  # deleted since /authorize: no token for it
            raise exc.oauth_error(request) from None
        ctx.api_resolved = True
        ctx.session = private.get("session", {})
        ctx.redirect_uri_sent = private.get("redirect_uri_sent", True)
        return True

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str | None,
        client: Any,
        request: Request,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """RFC 6749 §4.1.3: identical to the one sent to /authorize, when one was sent."""
        grant = _grant_for(request, code)
        # oauthlib fills in the client's one registered URI when the token request has none, and says so.
        if getattr(request, "using_default_redirect_uri", False):
            redirect_uri = None
        if redirect_uri is None:
            matches = not context_of(request).redirect_uri_sent
        else:
            matches = grant is not None and redirect_uri == grant.redirect_uri
        if not matches:  # RFC 6749 §5.2 names invalid_grant for this (oauthlib says invalid_request)
            raise errors.InvalidGrantError(
                description="redirect_uri does not match the authorization request.", request=request
            )
        return True

    @staticmethod
    def spend_pending_code(ctx: Any) -> None:
        """Called by the token endpoint once it has answered (see :func:`spend_pending_code`)."""
        spend_pending_code(ctx)

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Request, *args: Any, **kwargs: Any
    ) -> None:
        """Nothing to do: :func:`claim_code` claimed the code with the tokens it issued; the row stays,
        marked redeemed, until ``authflows cleanup`` so that a replay is recognised."""

    def get_authorization_code_nonce(
        self, client_id: str, code: str, redirect_uri: str, request: Request
    ) -> str | None:
        grant = _grant_for(request, code)
        return (grant.nonce or None) if grant is not None else None

    def save_authorization_code(
        self, client_id: str, code: dict[str, str], request: Request, *args: Any, **kwargs: Any
    ) -> None:
        claims = dict(request.claims or {}) if isinstance(request.claims, dict) else {}
        claims[_PRIVATE] = {
            "session": context_of(request).session or {},
            "redirect_uri_sent": context_of(request).redirect_uri_sent,
            "dpop_jkt": getattr(request, "dpop_jkt", None),  # RFC 9449 §10, checked at /authorize
        }
        get_grant_model().objects.create(
            application=request.client,
            user=request.user,
            code=code["code"],
            expires=timezone.now() + datetime.timedelta(seconds=code_lifetime(request.client)),
            redirect_uri=request.redirect_uri,
            scope=" ".join(request.scopes or []),
            code_challenge=request.code_challenge or "",
            code_challenge_method=request.code_challenge_method or "",
            nonce=request.nonce or "",
            claims=json.dumps(claims),
            resource=list(getattr(request, "resource", None) or []),
        )


def code_lifetime(client: Any) -> int:
    """Seconds an authorization code lives: the setting, at most 60 for a FAPI 2.0 application (FAPI 2.0 SP §5.3.2)."""
    lifetime = authflows_settings.lifetime("authorization_code")
    return min(lifetime, presets.FAPI.code_lifetime) if getattr(client, "fapi", False) else lifetime
