"""Application types: the one place that knows what regular, spa, native and m2m mean (grants, client type,
PKCE, URL rules). No models here: :mod:`django_authflows.applications` creates and changes applications."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

AUTHORIZATION_CODE = "authorization_code"
IMPLICIT = "implicit"
REFRESH_TOKEN = "refresh_token"
CLIENT_CREDENTIALS = "client_credentials"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"

#: Every grant an application can hold, by its RFC name.
GRANT_TYPES = (AUTHORIZATION_CODE, IMPLICIT, REFRESH_TOKEN, CLIENT_CREDENTIALS, DEVICE_CODE)
GRANT_LABELS = {
    AUTHORIZATION_CODE: _("Authorization Code"),
    IMPLICIT: _("Implicit"),
    REFRESH_TOKEN: _("Refresh Token"),
    CLIENT_CREDENTIALS: _("Client Credentials"),
    DEVICE_CODE: _("Device Code"),
}
#: Short names accepted on the command line and in forms.
GRANT_ALIASES = {
    "device_code": DEVICE_CODE,
    "authorization-code": AUTHORIZATION_CODE,
    "client-credentials": CLIENT_CREDENTIALS,
}

#: Token endpoint authentication methods, by Auth0's (and RFC 7591 §2's) names.
CLIENT_SECRET_BASIC = "client_secret_basic"
CLIENT_SECRET_POST = "client_secret_post"
PRIVATE_KEY_JWT = "private_key_jwt"  # RFC 7523 §2.2, OIDC Core §9
AUTH_NONE = "none"
SECRET_AUTH_METHODS = (CLIENT_SECRET_BASIC, CLIENT_SECRET_POST)
AUTH_METHODS = (CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, PRIVATE_KEY_JWT, AUTH_NONE)
AUTH_METHOD_CHOICES = [
    (CLIENT_SECRET_BASIC, _("Client secret (HTTP Basic)")),
    (CLIENT_SECRET_POST, _("Client secret (POST body)")),
    (PRIVATE_KEY_JWT, _("Private key JWT (public keys registered here)")),
    (AUTH_NONE, _("None (public client)")),
]

REGULAR = "regular"
SPA = "spa"
NATIVE = "native"
M2M = "m2m"


@dataclass(frozen=True)
class Preset:
    """What an application type means: client type, grants, token endpoint auth method, PKCE rule."""

    app_type: str
    label: str | StrPromise
    confidential: bool
    default_grants: tuple[str, ...]
    allowed_grants: tuple[str, ...]
    token_endpoint_auth_method: str
    pkce_required: bool

    @property
    def client_type(self) -> str:
        return "confidential" if self.confidential else "public"


PRESETS: dict[str, Preset] = {
    REGULAR: Preset(
        REGULAR,
        _("Regular Web Application"),
        True,
        (AUTHORIZATION_CODE, REFRESH_TOKEN),
        (AUTHORIZATION_CODE, IMPLICIT, REFRESH_TOKEN),
        "client_secret_basic",
        False,
    ),
    SPA: Preset(
        SPA,
        _("Single Page Application"),
        False,
        (AUTHORIZATION_CODE, REFRESH_TOKEN),
        (AUTHORIZATION_CODE, IMPLICIT, REFRESH_TOKEN),
        "none",
        True,
    ),
    NATIVE: Preset(
        NATIVE,
        _("Native"),
        False,
        (AUTHORIZATION_CODE, REFRESH_TOKEN),
        (AUTHORIZATION_CODE, IMPLICIT, REFRESH_TOKEN, DEVICE_CODE),
        "none",
        True,
    ),
    M2M: Preset(
        M2M,
        _("Machine to Machine Application"),
        True,
        (CLIENT_CREDENTIALS,),
        (CLIENT_CREDENTIALS,),
        "client_secret_basic",
        False,
    ),
}
APP_TYPE_CHOICES = [(p.app_type, p.label) for p in PRESETS.values()]


def get_preset(app_type: str) -> Preset:
    try:
        return PRESETS[app_type]
    except KeyError:
        raise ValueError(f"Unknown application type {app_type!r}; choose one of {', '.join(PRESETS)}.") from None


def normalise_grants(grants: list[str] | tuple[str, ...]) -> list[str]:
    """Map CLI spellings (``device_code``) to RFC names and drop duplicates, keeping order."""
    out: list[str] = []
    for grant in grants:
        grant = GRANT_ALIASES.get(grant.strip(), grant.strip())
        if not grant:
            continue
        if grant not in GRANT_TYPES:
            raise ValueError(f"Unknown grant type {grant!r}; choose from {', '.join(GRANT_TYPES)} or device_code.")
        if grant not in out:
            out.append(grant)
    return out


def check_grants(app_type: str, grants: list[str]) -> None:
    """Refuse grants an application type cannot hold (a public client has no client credentials)."""
    preset = get_preset(app_type)
    refused = [g for g in grants if g not in preset.allowed_grants]
    if refused:
        raise ValueError(
            f"A {preset.label} cannot use {', '.join(refused)}; allowed: {', '.join(preset.allowed_grants)}."
        )


# -- what each type may register (pure rules; the admin, the CLI and the model's clean() apply them) --
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def validate_url(url: str, *, kind: str, app_type: str) -> str:
    """Callback and logout URLs: absolute, exact (no wildcard, no fragment), https except on loopback
    (RFC 9700 §4.1.1, RFC 8252 §7.3); native apps may also use a private-use scheme (RFC 8252 §7.1)."""
    from urllib.parse import urlsplit

    url = url.strip()
    parts = urlsplit(url)
    if not parts.scheme or "*" in url or any(c.isspace() for c in url):
        raise ValueError(f"{kind} {url!r} must be an absolute URL without wildcards.")
    if parts.fragment or url.endswith("#"):
        raise ValueError(f"{kind} {url!r} must not contain a fragment (RFC 6749 §3.1.2).")
    if parts.scheme in {"http", "https"}:
        if not parts.hostname:
            raise ValueError(f"{kind} {url!r} has no host.")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            raise ValueError(f"{kind} {url!r} must use https (http is for 127.0.0.1, [::1] and localhost).")
    elif app_type != NATIVE or "." not in parts.scheme:
        raise ValueError(f"{kind} {url!r} must use https; only native apps may use a reverse-domain scheme.")
    return url


def validate_backchannel_uri(url: str) -> str:
    """OIDC Back-Channel Logout 1.0 §2.2: an absolute http(s) URL, https except on loopback, no fragment."""
    url = validate_url(url, kind="Back-channel logout URI", app_type=REGULAR)
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"Back-channel logout URI {url!r} must use https.")
    return url


def validate_origin(origin: str) -> str:
    from urllib.parse import urlsplit

    origin = origin.strip().rstrip("/")
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path or parts.query or "*" in origin:
        raise ValueError(f"Origin {origin!r} must be scheme://host[:port], without a path or wildcard.")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"Origin {origin!r} must use https (http is for loopback only).")
    return origin


def check_callbacks(grants: list[str], callbacks: list[str]) -> None:
    """Browser flows redirect to a registered callback, so they need one (RFC 6749 §3.1.2.2)."""
    if set(grants) & {AUTHORIZATION_CODE, IMPLICIT} and not callbacks:
        raise ValueError("Browser flows (authorization code, implicit) need at least one callback URL.")


def check_auth_method(app_type: str, method: str) -> str:
    """The token endpoint auth method an application type may register: public clients authenticate with
    nothing, confidential ones with a secret or a signed assertion (RFC 7523 §2.2)."""
    preset = get_preset(app_type)
    method = (method or preset.token_endpoint_auth_method).strip()
    if method not in AUTH_METHODS:
        raise ValueError(f"Unknown token endpoint auth method {method!r}; choose from {', '.join(AUTH_METHODS)}.")
    if preset.confidential == (method == AUTH_NONE):
        allowed = ", ".join(m for m in AUTH_METHODS if (m != AUTH_NONE) == preset.confidential)
        raise ValueError(f"A {preset.label} authenticates with {allowed}, not {method}.")
    return method


# -- FAPI 2.0 Security Profile (https://openid.net/specs/fapi-security-profile-2_0-final.html) -----------------
@dataclass(frozen=True)
class FapiProfile:
    """What the FAPI 2.0 Security Profile mode of an application means (FAPI 2.0 SP §5.3.2, §5.4): the rules the
    server enforces for it and the system check (authflows.E005) verifies on its registration."""

    #: §5.3.2.2: only the authorization code flow (no implicit, no hybrid), and the grants that go with it.
    grants: tuple[str, ...] = (AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS)
    response_types: tuple[str, ...] = ("code",)
    #: §5.3.2: private_key_jwt (mTLS is not served) for confidential clients; a public client must be DPoP-bound.
    auth_methods: tuple[str, ...] = (PRIVATE_KEY_JWT, AUTH_NONE)
    #: §5.4.1: PS256, ES256 (EdDSA is allowed by the profile, but not asked for here); never RS256 or HS*.
    assertion_algs: tuple[str, ...] = ("PS256", "ES256")
    #: §5.4.1: the ID tokens of a FAPI application are signed with this: PS256, with an RSA key of its own, so that
    #: the key set stays RSA-only for the clients that read every key as RSA (auth0-python's TokenVerifier).
    id_token_alg: str = "PS256"
    #: §5.3.2: authorization codes live at most 60 seconds.
    code_lifetime: int = 60
    #: §5.3.2 discourages refresh token rotation; this server rotates, and answers a FAPI application's previous
    #: refresh token with the same successor for this many seconds (a lost token response, the suite's
    #: "refresh token request with previous token" 30 s later), whatever AUTHFLOWS['REFRESH_REUSE_LEEWAY'] is.
    refresh_reuse_leeway: int = 60


FAPI = FapiProfile()


def fapi_key_problem(jwks: Any) -> str | None:
    """Why an inline key set cannot sign FAPI 2.0 assertions (no key usable with PS256 or ES256), or None."""
    keys = (jwks or {}).get("keys", []) if isinstance(jwks, dict) else []
    for key in keys:
        alg = key.get("alg")
        if key.get("kty") == "RSA" and alg in (None, "PS256"):
            return None
        if key.get("kty") == "EC" and key.get("crv") == "P-256" and alg in (None, "ES256"):
            return None
    return "its registered keys cannot sign PS256 or ES256 (RS256, EdDSA or other keys only)"


def fapi_problems(
    *,
    app_type: str,
    grants: list[str] | tuple[str, ...],
    auth_method: str,
    jwks: Any = None,
    jwks_uri: str = "",
) -> list[str]:
    """The ways a registration breaks the FAPI 2.0 Security Profile rules (empty when it keeps them)."""
    problems = []
    refused = [g for g in grants if g not in FAPI.grants]
    if refused:
        problems.append(
            f"grants {', '.join(refused)} are not allowed (authorization code, refresh token, client credentials only)"
        )
    if auth_method not in FAPI.auth_methods:
        problems.append(
            f"it authenticates with {auth_method}; FAPI 2.0 needs private_key_jwt (or none for a "
            "public, DPoP-bound client)"
        )
    elif auth_method == PRIVATE_KEY_JWT:
        if not jwks and not jwks_uri:
            problems.append("it has no public keys for private_key_jwt")
        elif jwks:
            key_problem = fapi_key_problem(jwks)
            if key_problem:
                problems.append(key_problem)
    if not get_preset(app_type).confidential and CLIENT_CREDENTIALS in grants:
        problems.append("a public client cannot use client credentials")
    return problems
