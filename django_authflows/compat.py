"""Compatibility register: every private (or undocumented) django-oauth-toolkit and oauthlib hook we override,
call, set or read, and the versions each was checked against; tests/test_compat.py fails when one goes."""

from __future__ import annotations

from dataclasses import dataclass

#: The releases whose source every hook below was read in. On a new minor release of either, re-read each hook
#: (is it still called, with the same arguments, at the same point?) and update these.
CHECKED_AGAINST = {"django-oauth-toolkit": "3.4.1", "oauthlib": "3.3.1"}

_VALIDATOR = "oauth2_provider.oauth2_validators:OAuth2Validator"
_CORE = "oauth2_provider.oauth2_backends:OAuthLibCore"
_OIDC_SERVER = "oauthlib.openid:Server"
_CODE_GRANT = "oauthlib.oauth2.rfc6749.grant_types.authorization_code:AuthorizationCodeGrant"
_OIDC_CODE_GRANT = "oauthlib.openid.connect.core.grant_types.authorization_code:AuthorizationCodeGrant"


@dataclass(frozen=True)
class Hook:
    """One dependency on a name the library does not document as public.

    ``owner`` is ``module:Class``; ``use`` is override, call, set or read; ``where`` is our
    ``module[:Class]`` that depends on it; ``params`` are the parameter names after ``self`` that we
    receive or pass, when we depend on them; ``instance`` marks an attribute that ``__init__`` sets;
    ``set_in`` names the owner's method that sets a request attribute we read."""

    owner: str
    name: str
    use: str
    where: str
    params: tuple[str, ...] | None = None
    instance: bool = False
    set_in: str | None = None


HOOKS: tuple[Hook, ...] = (
    # DOT's validator: the lookup of an application by client_id, used by every client check.
    Hook(
        _VALIDATOR,
        "_load_application",
        "override",
        "django_authflows.server.client_auth:ClientAuthenticationMixin",
        ("client_id", "request"),
    ),
    # DOT's token rows: we add the JWT's checksum, the token family and the refresh rotation, and write
    # the same rows with records.save_new.
    Hook(
        _VALIDATOR,
        "_create_access_token",
        "override",
        "django_authflows.server.oidc:IDTokenMixin",
        ("expires", "request", "token", "source_refresh_token"),
    ),
    Hook(
        _VALIDATOR,
        "_create_refresh_token",
        "override",
        "django_authflows.server.flows.refresh:RefreshTokenValidatorMixin",
        ("request", "refresh_token_code", "access_token", "previous_refresh_token"),
    ),
    # DOT's way of putting a token's value on its row (the checksum, and the plain value unless RFC 9700
    # storage is on): our _create_access_token and _create_refresh_token make DOT's rows with it.
    Hook(
        _VALIDATOR,
        "_set_token_value",
        "call",
        "django_authflows.server.oidc:IDTokenMixin",
        ("token_instance", "raw_token"),
    ),
    Hook(
        _VALIDATOR,
        "_set_token_value",
        "call",
        "django_authflows.server.flows.refresh:RefreshTokenValidatorMixin",
        ("token_instance", "raw_token"),
    ),
    # DOT's saving of a token response: a refresh rotates in our own statements, other grants call DOT's.
    Hook(
        _VALIDATOR,
        "_save_bearer_token",
        "override",
        "django_authflows.server.flows.refresh:RefreshTokenValidatorMixin",
        ("token", "request", "args", "kwargs"),
    ),
    # DOT's RFC 8707 handling: Auth0 audiences are identifiers of registered APIs, resolved by us.
    Hook(
        _VALIDATOR,
        "_check_and_set_request_resource",
        "override",
        "django_authflows.server.validator:AuthflowsValidator",
        ("request",),
    ),
    Hook(
        _VALIDATOR,
        "_validate_resource_uris",
        "override",
        "django_authflows.server.validator:AuthflowsValidator",
        ("request", "resources"),
    ),
    # DOT's Django -> oauthlib bridge.
    Hook(_CORE, "_extract_params", "call", "django_authflows.server.core:AuthflowsOAuthLibCore", ("request",)),
    # oauthlib's PKCE methods (RFC 7636 §4.2): narrowed to S256.
    Hook(_CODE_GRANT, "_code_challenge_methods", "set", "django_authflows.server.core:AuthflowsServer"),
    # oauthlib's pre-configured server: the grants and response types we narrow.
    Hook(_OIDC_SERVER, "auth_grant", "read", "django_authflows.server.core:AuthflowsServer", instance=True),
    Hook(_OIDC_SERVER, "openid_connect_auth", "read", "django_authflows.server.core:AuthflowsServer", instance=True),
    Hook(_OIDC_SERVER, "grant_types", "set", "django_authflows.server.core:AuthflowsServer", instance=True),
    Hook(_OIDC_SERVER, "response_types", "set", "django_authflows.server.core:AuthflowsServer", instance=True),
    Hook(_OIDC_CODE_GRANT, "proxy_target", "read", "django_authflows.server.core:AuthflowsServer", instance=True),
    # RFC 6749 §4.1.3: oauthlib fills in the registered redirect_uri when the token request has none.
    Hook(
        _CODE_GRANT,
        "using_default_redirect_uri",
        "read",
        "django_authflows.server.flows.authorization_code:AuthorizationCodeValidatorMixin",
        set_in="validate_token_request",
    ),
)


# Django's task framework (back-channel logout delivery): built in from Django 6.0 (``django.tasks``); on
# Django 5.2 the ``django-tasks`` backport, the same API. Either runs with django-tasks-db's database backend
# (``django_tasks_db.DatabaseBackend``) and its worker, ``manage.py db_worker``.
try:
    from django.tasks import task as task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Django 5.2
    from django_tasks import task as task  # type: ignore[no-redef,unused-ignore]
